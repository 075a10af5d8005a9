"""Page numbers pencilled in the corners of the originals (archives number every sheet by hand).

The page pass's detector misses a lone grey digit in an empty corner almost every time (2 of 96
on the handwritten corpus), and the completeness check needs those numbers to find missing sheets.
Here each corner is searched for marks the page pass did not read: strokes taller than scanner
dust, grouped into one number, cut out and read within the digits only.
"""

from __future__ import annotations

import cv2
import numpy as np

from . import models
from .records import OcrLine
from .reread import read_crops

CORNER_X = 0.25  # as completeness.checks.pages: the outer quarter of the width …
CORNER_Y = 0.12  # … and the top or bottom eighth of the height
INK = 200  # graphite is light: anything darker than this may be part of a pencilled digit
MIN_H, MAX_H = 22, 220  # px at 300 dpi: a digit's height (dust is smaller, text lines larger)
MIN_AREA = 60
MIN_CONFIDENCE = 0.6


def _overlaps(box, lines: list[OcrLine]) -> bool:
    x0, y0, x1, y1 = box
    return any(not (x1 < l.box[0] or l.box[2] < x0 or y1 < l.box[1] or l.box[3] < y0) for l in lines)


def _groups(boxes: list[tuple[int, int, int, int]]) -> list[tuple[int, int, int, int]]:
    """Marks side by side (the digits of one number) joined into one box."""
    out: list[list[int]] = []
    for b in sorted(boxes):
        if out:
            g = out[-1]
            h = max(g[3] - g[1], b[3] - b[1])
            if b[0] - g[2] < 0.8 * h and min(g[3], b[3]) - max(g[1], b[1]) > 0.3 * h:
                out[-1] = [g[0], min(g[1], b[1]), max(g[2], b[2]), max(g[3], b[3])]
                continue
        out.append(list(b))
    return [tuple(g) for g in out]


def candidates(gray: np.ndarray, lines: list[OcrLine]) -> list[tuple[int, int, int, int]]:
    """Boxes in the four corners that look like a handwritten number no line covers."""
    h, w = gray.shape[:2]
    cw, ch = int(w * CORNER_X), int(h * CORNER_Y)
    out = []
    for x0, y0 in ((0, 0), (w - cw, 0), (0, h - ch), (w - cw, h - ch)):
        region = gray[y0:y0 + ch, x0:x0 + cw]
        bw = (region < INK).astype(np.uint8)
        bw = cv2.morphologyEx(bw, cv2.MORPH_CLOSE, np.ones((9, 9), np.uint8))  # grainy graphite strokes
        n, _, stats, _ = cv2.connectedComponentsWithStats(bw, connectivity=8)
        marks = []
        for i in range(1, n):
            x, y, bw_, bh, area = stats[i]
            if MIN_H <= bh <= MAX_H and bw_ <= 2 * MAX_H and area >= MIN_AREA:
                marks.append((int(x0 + x), int(y0 + y), int(x0 + x + bw_), int(y0 + y + bh)))
        out += [g for g in _groups(marks) if g[2] - g[0] <= 4 * (g[3] - g[1]) and not _overlaps(g, lines)]
    return out


def page_numbers(gray: np.ndarray, lines: list[OcrLine]) -> list[OcrLine]:
    """Lines for the numbers pencilled in the corners that ``lines`` do not already hold."""
    boxes = candidates(gray, lines)
    if not boxes:
        return []
    h, w = gray.shape[:2]
    crops = []
    for x0, y0, x1, y1 in boxes:
        pad = 30  # measured: 12 px cut the recognizer's context, 60 px let dust in
        # A lone "1" is a thin stroke: widen its crop to a square, or the recognizer sees a rule.
        extra = max(0, (y1 - y0) - (x1 - x0)) // 2
        crops.append(gray[max(0, y0 - pad):min(h, y1 + pad), max(0, x0 - pad - extra):min(w, x1 + pad + extra)])
    reads = read_crops(models.ppocrv5_rec(), crops, ["0123456789"] * len(crops))
    return [OcrLine(text, box, conf) for box, (text, conf) in zip(boxes, reads)
            if text.isdigit() and len(text) <= 3 and (conf >= MIN_CONFIDENCE or _lone_one(text, box, conf))]


def is_page_number(line: OcrLine, width: int, height: int) -> bool:
    """A number of up to three digits alone in a corner: the sheet's pencilled page number."""
    x0, y0, x1, y1 = line.box
    return (line.text.isdigit() and len(line.text) <= 3
            and (x1 <= width * CORNER_X or x0 >= width * (1 - CORNER_X))
            and (y1 <= height * CORNER_Y or y0 >= height * (1 - CORNER_Y)))


def number_on(lines: list[OcrLine], width: int, height: int) -> int | None:
    """The page number pencilled in a corner, among a page's lines (the bottom one if two)."""
    found = [(l.box[1], int(l.text)) for l in lines if is_page_number(l, width, height)]
    return max(found)[1] if found else None


def _lone_one(text: str, box, conf: float) -> bool:
    """A single upright stroke read as 1: the recognizer is never sure of a bare 1, its shape is."""
    return text == "1" and (box[3] - box[1]) >= 3 * (box[2] - box[0]) and conf >= 0.3
