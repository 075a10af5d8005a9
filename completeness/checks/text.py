"""Small text helpers shared by the checks (pure)."""

from __future__ import annotations

import re
import unicodedata

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff·]")


def norm(text: str) -> str:
    """NFKC, whitespace removed."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))


def cjk_only(text: str) -> str:
    return "".join(_CJK.findall(unicodedata.normalize("NFKC", text or "")))


def title_matches(title: str, accepted: str) -> bool:
    """A 卷内目录 title satisfies an accepted title: equal, or contains it (职工退休审批表 ⊇ 退休审批表)."""
    t, a = cjk_only(title), cjk_only(accepted)
    return bool(a) and (t == a or a in t)
