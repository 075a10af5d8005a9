"""Pages scanned twice (pure): the same text, the same figures — or, for pages with almost no
text (a photograph, a sheet of seals or drawings), the same picture.

Text pages are compared on OCR text rather than pixels: a rescan differs in skew, crop and noise,
while two different forms of one person (two 工资变动审批表) share their printed labels and the
name and differ exactly in their dates and amounts — so the digits must agree as well as the
words. Pages without enough text fall back to comparing thumbnails of the cleaned (upright,
deskewed, trimmed) images, which survive rescanning noise but not a different picture.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

import cv2
import numpy as np

from .textnorm import comparable, similarity

MIN_CHARS = 15
TEXT_SIMILARITY = 0.9
NUMBERED_SIMILARITY = 0.6  # two sheets bearing the same pencilled number
DIGIT_SIMILARITY = 0.9
THUMB_SIDE = 32  # grey thumbnail, 1 KiB: each cell ~70 px, so skew and crop shifts blur away
MIN_CORRELATION = 0.97  # rescans of one picture measured at ≥ 0.999, different pictures ≤ 0.71
MARGIN = 0.05  # of each side, ignored: scanner edges and crop differences live there


def image_fingerprint(img: np.ndarray) -> str:
    """A small grey thumbnail of the page's inner area, as hex."""
    gray = img if img.ndim == 2 else cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
    h, w = gray.shape
    inner = gray[int(h * MARGIN):h - int(h * MARGIN), int(w * MARGIN):w - int(w * MARGIN)]
    return cv2.resize(inner, (THUMB_SIDE, THUMB_SIDE), interpolation=cv2.INTER_AREA).tobytes().hex()


def _unit(fingerprint: str) -> np.ndarray | None:
    """The thumbnail centred and scaled to length 1, so a dot product is the correlation."""
    if len(fingerprint) != 2 * THUMB_SIDE * THUMB_SIDE:
        return None
    x = np.frombuffer(bytes.fromhex(fingerprint), np.uint8).astype(np.float64)
    x -= x.mean()
    norm = np.sqrt((x * x).sum())
    return x / norm if norm else None


def picture_similarity(a: str, b: str) -> float:
    """Correlation of two fingerprints: 1 for the same picture, whatever the scan's brightness."""
    x, y = _unit(a), _unit(b)
    return float(x @ y) if x is not None and y is not None else 0.0


def _digits(text: str) -> str:
    return "".join(re.findall(r"\d", text))


def _close_bags(a: str, b: str) -> bool:
    # Cheap pre-filter before the quadratic edit distance.
    ca, cb = Counter(a), Counter(b)
    common = sum((ca & cb).values())
    return common >= TEXT_SIMILARITY * max(len(a), len(b))


def is_duplicate(a: str, b: str) -> bool:
    return _same_text(comparable(a), comparable(b))


def _same_text(ta: str, tb: str) -> bool:
    if min(len(ta), len(tb)) < MIN_CHARS or not _close_bags(ta, tb):
        return False
    if similarity(ta, tb) < TEXT_SIMILARITY:
        return False
    da, db = _digits(ta), _digits(tb)
    return (not da and not db) or similarity(da, db) >= DIGIT_SIMILARITY


def find_duplicates(texts: Sequence[str], skip: Sequence[bool],
                    fingerprints: Sequence[str] | None = None,
                    numbers: Sequence[int | None] | None = None) -> list[int | None]:
    """For each page the 1-based index of the earlier page it repeats, or None.

    ``numbers`` are the page numbers pencilled on the sheets (``ocr.corners``), where read: a
    handwritten page is read differently on each scan, the number on the sheet is not.
    """
    # Normalised once per page, not once per pair: the comparison below is quadratic.
    comps = [comparable(t) for t in texts]
    units = [_unit(f) for f in fingerprints] if fingerprints else [None] * len(texts)
    numbers = numbers or [None] * len(texts)
    out: list[int | None] = [None] * len(texts)
    prev: int | None = None  # the last page kept
    for i in range(len(texts)):
        if skip[i]:
            continue
        if prev is not None and _same_sheet(comps[prev], comps[i], numbers[prev], numbers[i]):
            out[i] = prev + 1
            continue
        for j in range(i):
            if skip[j] or out[j] is not None or _numbered_apart(numbers[j], numbers[i]):
                continue
            if _same_text(comps[j], comps[i]) or _same_picture(comps[j], comps[i], units[j], units[i]):
                out[i] = j + 1
                break
        if out[i] is None:
            prev = i
    return out


def _numbered_apart(na: int | None, nb: int | None) -> bool:
    """Two sheets the archive numbered apart are two sheets, however alike their text: a copy
    kept beside its original, or a form filled in twice. (The number left the page text, so the
    digit comparison no longer tells them apart.)"""
    return na is not None and nb is not None and na != nb


def _same_sheet(ta: str, tb: str, na: int | None, nb: int | None) -> bool:
    """The sheet just scanned, again: the same pencilled number and texts alike (a cursive page's
    two readings measured 0.74 alike; different sheets in a row ≤ 0.3)."""
    return na is not None and na == nb and min(len(ta), len(tb)) >= MIN_CHARS and similarity(ta, tb) >= NUMBERED_SIMILARITY


def _same_picture(ta: str, tb: str, ua: np.ndarray | None, ub: np.ndarray | None) -> bool:
    if ua is None or ub is None or max(len(ta), len(tb)) >= MIN_CHARS:
        return False  # no picture to compare, or text pages: judged by their text alone
    return float(ua @ ub) >= MIN_CORRELATION
