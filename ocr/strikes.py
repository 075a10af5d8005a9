"""Crossed-out values (pure but for the recognizer).

A clerk who wrote a wrong value crossed it out with a pen stroke (划改) and wrote the correction
beside or above it. The struck value is not what the form says: read as text it becomes a second
工种 or a second date in the cell, a wrong 形成时间, and a stray word in every search. Each line
the detector found is looked at for such a stroke; struck parts are cut out, and what is left of
the line is read again on its own.

A strike is told from the strokes of characters by four things together: it is a straight line
longer than the text is high, it runs nearly level through the middle of the line, its ink is
unbroken from end to end (a row of characters whose level strokes line up, as in a printed
title, has gaps between the characters), and the characters it passes have ink above and below
it (a lone 一 or a dash has none). A table rule or an underline is long and straight too, but it
runs on well past the text at either end, so a stroke that does is not a strike. A stroke no
longer than two line heights could be a character's own (女's is as long as the character is
wide): it counts only with a correction beside it or above it.

A correction squeezed in above the struck value often straddles the cell's rule, and the detector
then takes it for part of the rule and misses it. The writing just above a struck line is
therefore looked for with the rules painted out, and read.

Measured with benchmarks/bench_check.py (54 files, four handwriting faces): see the README.
"""

from __future__ import annotations

import cv2
import numpy as np

from . import models, reread
from .layout import Box, enclosing
from .records import OcrLine

Crop = tuple[Box, np.ndarray]  # a box on the page and the pixels to read for it

# Grey levels under the paper's at which a pixel is ink: a strike is sought in the firm ink only
# (the fainter edges of characters join them into false strokes); a correction written with a
# faint pen is found with the fainter ink too.
STROKE_GAP = 100
WRITING_GAP = 60
MIN_LENGTH = 1.1  # × line height
SURE_LENGTH = 2.0  # × line height: long enough to be a strike without a correction beside it
MIDDLE = (0.35, 0.75)  # where through the line's height a strike runs (measured 0.43–0.70)
UNBROKEN = 0.98  # share of the stroke's length that is ink
OVER_TEXT = 0.4  # share of its length where the crossed-out characters show above or below
OVERRUN = 1.0  # × line height past the line's box at either end: a rule, not a strike


def strike_spans(gray: np.ndarray, box: Box) -> list[tuple[int, int]]:
    """The x-ranges of ``box``'s line that are crossed out, merged and left to right."""
    x0, y0, x1, y1 = box
    h = y1 - y0
    if h < 8:
        return []
    height, width = gray.shape[:2]
    margin = int(1.5 * h)
    cx0, cy0 = max(0, x0 - margin), max(0, y0 - h // 4)
    ink = _ink(gray[cy0:min(height, y1 + h // 4), cx0:min(width, x1 + margin)], STROKE_GAP)
    found = cv2.HoughLinesP(ink * 255, 1, np.pi / 180, threshold=int(0.8 * h),
                            minLineLength=int(MIN_LENGTH * h), maxLineGap=max(2, h // 14))
    spans = []
    for sx0, sy0, sx1, sy1 in ([] if found is None else found.reshape(-1, 4).tolist()):
        if sx0 > sx1:
            sx0, sy0, sx1, sy1 = sx1, sy1, sx0, sy0
        if abs(sy1 - sy0) > 0.3 * (sx1 - sx0):
            continue
        if not y0 + MIDDLE[0] * h <= (sy0 + sy1) / 2 + cy0 <= y0 + MIDDLE[1] * h:
            continue
        # The detector may give only a piece of a slightly skewed rule: follow the ink along it.
        ex0, ex1 = _followed(ink, (sx0, sy0, sx1, sy1))
        if ex0 + cx0 < x0 - OVERRUN * h or ex1 + cx0 > x1 + OVERRUN * h:
            continue
        if _is_strike(ink, (sx0, sy0, sx1, sy1), (y0 - cy0, y1 - cy0), h):
            spans.append((sx0 + cx0, sx1 + cx0))
    return _merged(sorted(spans), h // 4)


def _followed(ink: np.ndarray, seg: tuple[int, int, int, int], gap: int = 3) -> tuple[int, int]:
    """How far the ink of ``seg`` runs on along its own line, either way (gaps up to ``gap`` px)."""
    sx0, sy0, sx1, sy1 = seg
    slope = (sy1 - sy0) / max(1, sx1 - sx0)
    ends = []
    for x, step in ((sx0, -1), (sx1, 1)):
        missed = 0
        while 0 <= x + step < ink.shape[1] and missed <= gap:
            x += step
            y = int(round(sy0 + slope * (x - sx0)))
            missed = 0 if ink[max(0, y - 2):y + 3, x].any() else missed + 1
        ends.append(x - step * missed)
    return ends[0], ends[1]


def _ink(region: np.ndarray, gap: int) -> np.ndarray:
    return (region < np.median(region) - gap).astype(np.uint8)


def _is_strike(ink: np.ndarray, seg: tuple[int, int, int, int], rows: tuple[int, int], h: int) -> bool:
    sx0, sy0, sx1, sy1 = seg
    xs = np.arange(sx0, sx1 + 1)
    ys = np.rint(sy0 + (sy1 - sy0) * (xs - sx0) / max(1, sx1 - sx0)).astype(int)
    on = [ink[max(0, y - 2):y + 3, x].any() for x, y in zip(xs, ys)]
    if np.mean(on) < UNBROKEN:
        return False
    band = max(4, h // 10)
    top, bottom = max(0, rows[0]), rows[1]
    crossed = []
    for x, y in zip(xs[::2], ys[::2]):
        col = ink[top:bottom, x].copy()
        col[max(0, y - band - top):max(0, y + band + 1 - top)] = 0
        crossed.append(col.any())
    return bool(np.mean(crossed) >= OVER_TEXT)


def _merged(spans: list[tuple[int, int]], gap: int) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in spans:
        if out and a <= out[-1][1] + gap:
            out[-1] = (out[-1][0], max(b, out[-1][1]))
        else:
            out.append((a, b))
    return out


def _left_over(box: Box, spans: list[tuple[int, int]], least: float) -> list[Box]:
    """The parts of ``box`` outside the struck spans at least ``least`` line heights wide."""
    x0, y0, x1, y1 = box
    h = y1 - y0
    parts, x = [], x0
    for a, b in spans:
        if a - x >= least * h:
            parts.append((x, y0, a, y1))
        x = max(x, b)
    if x1 - x >= least * h:
        parts.append((x, y0, x1, y1))
    return parts


def _corrections_above(gray: np.ndarray, line: OcrLine, lines: list[OcrLine]) -> list[OcrLine]:
    """The lines just above ``line``, over the same columns and with no printed rule between them:
    the correction squeezed in above a value crossed out. (The value of the row above in a tightly
    ruled form is as close, but a rule parts it from this cell.)"""
    x0, y0, x1, y1 = line.box
    h = y1 - y0
    return [o for o in lines if o is not line and y0 - 1.2 * h <= o.box[3] <= y0 + 0.3 * h and o.box[1] < y0
            and min(x1, o.box[2]) - max(x0, o.box[0]) > 0.3 * h
            and not _rule_between(gray, (max(x0, o.box[0]), o.box[3], min(x1, o.box[2]), y0), h)]


def _beside(gray: np.ndarray, line: OcrLine, lines: list[OcrLine]) -> list[OcrLine]:
    """The lines that go on right after ``line`` in its cell: where a correction beside it is (the
    next cell's label, past a printed rule, is not one)."""
    x0, y0, x1, y1 = line.box
    h = y1 - y0
    return [o for o in lines if o is not line and min(y1, o.box[3]) - max(y0, o.box[1]) > 0.5 * h
            and x1 - 0.2 * h <= o.box[0] <= x1 + 1.5 * h
            and not _rule_between(gray, (x1, max(y0, o.box[1]), o.box[0], min(y1, o.box[3])), h, upright=True)]


def _rule_between(gray: np.ndarray, strip: Box, h: int, upright: bool = False) -> bool:
    """Whether a level printed rule crosses ``strip`` from side to side (``upright``: a rule
    standing from its top to its bottom)."""
    x0, y0, x1, y1 = strip
    if y1 - y0 < 2 or x1 - x0 < 2:
        return False
    # The paper's level from around the strip: a narrow strip may be half rule.
    around = gray[y0:y1, max(0, x0 - h):x1 + h] if upright else gray[max(0, y0 - h):y1 + h, x0:x1]
    ink = gray[y0:y1, x0:x1] < np.median(around) - STROKE_GAP
    return bool((ink.mean(axis=0 if upright else 1) >= 0.9).any())


def _unread_above(gray: np.ndarray, line: OcrLine, lines: list[OcrLine]) -> list[Crop]:
    """Handwriting just above a struck line that the detector did not find: a correction written
    over the cell's top rule, which the detector takes for part of the rule. It is returned with
    the rules painted out, so that the recognizer reads the writing alone."""
    x0, y0, x1, y1 = line.box
    h = y1 - y0
    height, width = gray.shape[:2]
    rx0, ry0, rx1, ry1 = max(0, x0 - h // 2), max(0, int(y0 - 2 * h)), min(width, int(x1 + 1.5 * h)), y0
    for o in lines:  # stop under the line above; it was read already
        if o is not line and min(rx1, o.box[2]) > max(rx0, o.box[0]) and ry0 < o.box[3] <= ry1:
            ry0 = o.box[3]
    if ry1 - ry0 < h // 2:
        return []
    region = gray[ry0:ry1, rx0:rx1].copy()
    ink = _ink(region, WRITING_GAP)
    rules = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (2 * h, 1)))
    rules |= cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, h)))
    rules = cv2.dilate(rules, np.ones((3, 3), np.uint8))
    n, _, stats, _ = cv2.connectedComponentsWithStats(ink & (1 - rules), connectivity=8)
    # Strokes, not the specks of the paper: a speck is a dot, a stroke is a third of a line high or long.
    marks = [stats[i] for i in range(1, n)
             if max(stats[i][cv2.CC_STAT_WIDTH], stats[i][cv2.CC_STAT_HEIGHT]) >= 0.3 * h]
    if not marks:
        return []
    bx0, by0 = int(min(m[0] for m in marks)), int(min(m[1] for m in marks))
    bx1, by1 = int(max(m[0] + m[2] for m in marks)), int(max(m[1] + m[3] for m in marks))
    if by1 - by0 < 0.35 * h or bx1 - bx0 < 0.35 * h:
        return []
    region[rules > 0] = 255
    return [((rx0 + bx0, ry0 + by0, rx0 + bx1, ry0 + by1), reread.crop(region, (bx0, by0, bx1, by1)))]


def without_struck(gray: np.ndarray, lines: list[OcrLine], tidy=lambda s: s
                   ) -> tuple[list[OcrLine], list[Box]]:
    """``lines`` with crossed-out text removed, and where on the page each alteration is.

    A line struck through whole is dropped, and the rest of a partly struck line is read again on
    its own by the page pass's recognizer. Each alteration's box covers the struck line and the
    corrections beside and above it: the place archive staff are shown, since a 划改 is checked
    by a person, not trusted."""
    out, redo, altered = [], [], []
    for line in lines:
        spans = strike_spans(gray, line.box)
        if spans:
            h = line.box[3] - line.box[1]
            sure = max(b - a for a, b in spans) >= SURE_LENGTH * h
            # Beside a short stroke, only a whole character counts as the correction: the part
            # of a 女 right of its own level stroke is not one.
            parts = _left_over(line.box, spans, 0.6 if sure else 0.9)
            left = [(box, reread.crop(gray, box)) for box in parts]
            above = [] if left else _unread_above(gray, line, lines)
            over = _corrections_above(gray, line, lines)
            if sure or left or above or over:
                redo += left + above
                found = [box for box, _ in left + above] + [o.box for o in over + _beside(gray, line, lines)]
                altered.append(enclosing([line.box, *found]))
                continue
        out.append(line)
    if not redo:
        return out, altered
    crops = [crop for _, crop in redo]
    for (box, _), (text, conf) in zip(redo, reread.read_crops(models.rapidocr_rec(), crops, [None] * len(crops))):
        text = tidy(text)
        if text:
            out.append(OcrLine(text, box, conf))
    return out, altered
