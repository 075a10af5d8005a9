"""The ruled grid of a form page: table rules found in the image, cut into cells (pure, numpy/cv2).

Personnel forms are printed tables whose values were filled in by hand. Reading each value cell on
its own — rules removed, nothing else in the crop — is what keeps a handwritten value from being
merged with its label or cut by the cell line it runs over (``ocr.cells``).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

Box = tuple[int, int, int, int]

MIN_RULE = 0.08  # a rule is at least this fraction of the page width (horizontal) or cell height
MERGE = 12  # px: rule fragments closer than this are one rule


@dataclass(frozen=True)
class Cell:
    box: Box  # x0, y0, x1, y1 inside the rules
    row: int
    col: int


@dataclass(frozen=True)
class Grid:
    cells: tuple[Cell, ...]
    rules: np.ndarray  # uint8 mask of the rules (255), same size as the page

    @property
    def top(self) -> int | None:
        return min((c.box[1] for c in self.cells), default=None)


def _binary(gray: np.ndarray) -> np.ndarray:
    # Adaptive: a pencil mark or faint ink must not raise the threshold for the whole page.
    return cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 31, 15)


def _positions(profile: np.ndarray, threshold: float) -> list[int]:
    """Centres of runs where ``profile`` exceeds ``threshold``."""
    on = profile > threshold
    out, start = [], None
    for i, v in enumerate(on):
        if v and start is None:
            start = i
        elif not v and start is not None:
            out.append((start + i - 1) // 2)
            start = None
    if start is not None:
        out.append((start + len(on) - 1) // 2)
    merged: list[int] = []
    for p in out:
        if merged and p - merged[-1] < MERGE:
            merged[-1] = (merged[-1] + p) // 2
        else:
            merged.append(p)
    return merged


def find_grid(gray: np.ndarray) -> Grid | None:
    """The table of a (deskewed) page, or None when it has no ruled table."""
    h, w = gray.shape[:2]
    bw = _binary(gray)
    horiz = cv2.morphologyEx(bw, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (int(w * MIN_RULE), 1)))
    rows = _positions(horiz.sum(axis=1) / 255, w * 0.25)
    if len(rows) < 2:
        return None
    vert = cv2.morphologyEx(bw, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, 60)))
    rules = cv2.dilate(cv2.bitwise_or(horiz, vert), np.ones((5, 5), np.uint8))
    cells: list[Cell] = []
    for r, (y0, y1) in enumerate(zip(rows, rows[1:])):
        if y1 - y0 < 40:
            continue
        band = vert[y0 + 6:y1 - 6]
        cols = _positions(band.sum(axis=0) / 255, (y1 - y0 - 12) * 0.7)
        for c, (x0, x1) in enumerate(zip(cols, cols[1:])):
            if x1 - x0 >= 40:
                cells.append(Cell((x0 + 6, y0 + 6, x1 - 6, y1 - 6), r, c))
    return Grid(tuple(cells), rules) if cells else None
