"""Text clean-up rules for OCR output (pure functions).

Chinese has no word spaces: engines that insert them between CJK characters break every phrase
and bigram search (DOMAIN.md §7.3), so they are removed before anything is stored or indexed.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from functools import lru_cache

import opencc

_CJK = r"\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
_SPACE_BETWEEN_CJK = re.compile(rf"(?<=[{_CJK}])[ \t\u3000]+(?=[{_CJK}])")
# Also between CJK and digits/latin: "1985 年" reads as one token in Chinese forms.
_SPACE_CJK_ASCII = re.compile(rf"(?<=[{_CJK}])[ \t]+(?=[0-9])|(?<=[0-9])[ \t]+(?=[{_CJK}])")


def strip_cjk_spaces(text: str) -> str:
    text = _SPACE_BETWEEN_CJK.sub("", text)
    return _SPACE_CJK_ASCII.sub("", text)


_SPECKS = "·'‘’`.,，、:：;"
# After a Chinese character an ASCII dot or middle dot ending the line is a speck or the tail of
# a cell rule ("出生年月.", "中专·"); Chinese text ends with 。 and a decimal point sits between digits.
_TRAILING_SPECK = re.compile(rf"(?<=[{_CJK}])[.·'`‘’]+$")
# Inside a line, a speck of the paper is read as a dot where no dot is ever written: between two
# Chinese characters ("中.专", "同.意"), between a number and the 年/月/日/元 it counts ("13.日",
# "9.00.元"), and as a middle dot before a bracket ("单位意见·(盖章)"). A middle dot between
# characters is kept: it joins the parts of a name (买买提·吐尔逊).
_INNER_SPECK = re.compile(rf"(?<=[{_CJK}])\.(?=[{_CJK}])|(?<=[0-9])\.(?=[年月日元])|(?<=[{_CJK}])·(?=[(（])")


def tidy_line(text: str) -> str:
    """One recognized line made fit to store: CJK spaces removed, scanner specks at its ends and
    where no dot is written inside it dropped, and traditional characters written as simplified ones."""
    text = strip_cjk_spaces(text.strip())
    if len(text) <= 1:
        return "" if text in _SPECKS else to_simplified(text)
    return to_simplified(_INNER_SPECK.sub("", _TRAILING_SPECK.sub("", text.lstrip(_SPECKS).lstrip())))


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional characters as simplified ones (鄭州 → 郑州, 員 → 员). Files from before the
    1956–64 simplification are written in traditional characters, and cursive hands take
    traditional shapes that the recognizer reads as such; the archive is searched in simplified
    characters, so one search for 郑州 finds both. The page image keeps what was written."""
    return _t2s().convert(text)


def normalize(text: str) -> str:
    """NFKC (full-width digits and brackets to ASCII) and CJK spaces removed."""
    return strip_cjk_spaces(unicodedata.normalize("NFKC", text))


def comparable(text: str) -> str:
    """The form on which character error rates are computed: normalized, whitespace dropped."""
    return re.sub(r"\s+", "", normalize(text))


def edit_distance(a: str, b: str) -> int:
    # Two-row Levenshtein: pages are a few thousand characters, well within pure Python's reach.
    if len(a) < len(b):
        a, b = b, a
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def cer(truth: str, found: str) -> float:
    """Character error rate of ``found`` against ``truth`` (both compared without whitespace)."""
    t, f = comparable(truth), comparable(found)
    if not t:
        return 0.0 if not f else 1.0
    return edit_distance(t, f) / len(t)


def bag_error(truth: str, found: str) -> float:
    """Character error rate ignoring order: misread, missing and extra characters only. Reading
    order through a form's cells differs between readers; this separates misreading from it."""
    t, f = Counter(comparable(truth)), Counter(comparable(found))
    n = sum(t.values())
    return (max(n, sum(f.values())) - sum((t & f).values())) / n if n else 0.0


def similarity(a: str, b: str) -> float:
    a, b = comparable(a), comparable(b)
    if not a and not b:
        return 1.0
    return 1.0 - edit_distance(a, b) / max(len(a), len(b))
