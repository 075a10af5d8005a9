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


def edit_distance(a: str, b: str) -> int:
    if len(a) < len(b):
        a, b = b, a
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def title_matches(title: str, accepted: str) -> bool:
    """A 卷内目录 title satisfies an accepted title: equal, or contains it (职工退休审批表 ⊇ 退休审批表)."""
    t, a = cjk_only(title), cjk_only(accepted)
    return bool(a) and (t == a or a in t)
