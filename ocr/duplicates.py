"""Pages scanned twice (pure): the same text, the same figures.

Compared on OCR text rather than pixels: a rescan differs in skew, crop and noise, while two
different forms of one person (two 工资变动审批表) share their printed labels and the name and
differ exactly in their dates and amounts — so the digits must agree as well as the words.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from .textnorm import comparable, similarity

MIN_CHARS = 15
TEXT_SIMILARITY = 0.9
DIGIT_SIMILARITY = 0.9


def _digits(text: str) -> str:
    return "".join(re.findall(r"\d", text))


def _close_bags(a: str, b: str) -> bool:
    # Cheap pre-filter before the quadratic edit distance.
    ca, cb = Counter(a), Counter(b)
    common = sum((ca & cb).values())
    return common >= TEXT_SIMILARITY * max(len(a), len(b))


def is_duplicate(a: str, b: str) -> bool:
    ta, tb = comparable(a), comparable(b)
    if min(len(ta), len(tb)) < MIN_CHARS or not _close_bags(ta, tb):
        return False
    if similarity(ta, tb) < TEXT_SIMILARITY:
        return False
    da, db = _digits(ta), _digits(tb)
    return (not da and not db) or similarity(da, db) >= DIGIT_SIMILARITY


def find_duplicates(texts: Sequence[str], skip: Sequence[bool]) -> list[int | None]:
    """For each page the 1-based index of the earlier page it repeats, or None."""
    out: list[int | None] = [None] * len(texts)
    for i, t in enumerate(texts):
        if skip[i]:
            continue
        for j in range(i):
            if skip[j] or out[j] is not None:
                continue
            if is_duplicate(texts[j], t):
                out[i] = j + 1
                break
    return out
