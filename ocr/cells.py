"""Reading a form's cells one by one: the second pass for handwritten values.

The page pass (detector + recognizer over the whole page) reads printed text well; a handwritten
value that runs over its cell's rule, or sits close to its printed label, comes out cut, merged
or misread. Here each ruled cell that holds ink is cropped inside its rules, the rules are
whitened, and the recognizer reads the crop alone. Where the form's label says what the value
is (a date, an ID number, 男/女), the recognizer's choice is limited to the characters such a
value is written with (``charset_for``), which is how a handwritten 〇 stays a zero.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from . import models
from .grid import Cell, Grid
from .reread import DATE_CHARS, ID_CHARS, SEX_CHARS, read_crops
from .textnorm import strip_cjk_spaces

# The label words of form fields whose value is of a known kind.
_DATE_LABEL = re.compile(r"(出生|时间|日期|年月)")
_ID_LABEL = re.compile(r"(身份证|身份号码|公民身份)")
_SEX_LABEL = re.compile(r"^性别$")
INK_LEVEL = 150  # grey level under which a pixel is ink
MIN_INK = 40  # pixels: less ink than this is an empty cell (a speck, a rule remnant)


@dataclass(frozen=True)
class CellRead:
    cell: Cell
    box: tuple[int, int, int, int]  # the ink's box inside the cell, page pixels
    text: str
    confidence: float


def charset_for(label: str) -> str | None:
    """The characters the value of a field with this label is written with (None: any)."""
    label = "".join(label.split())
    if _ID_LABEL.search(label):
        return ID_CHARS
    if _SEX_LABEL.search(label):
        return SEX_CHARS
    if _DATE_LABEL.search(label):
        return DATE_CHARS
    return None


def ink_box(gray: np.ndarray, rules: np.ndarray, cell: Cell) -> tuple[np.ndarray, tuple[int, int, int, int]] | None:
    """The cell's crop with the rules whitened, trimmed to its ink (with a margin), or None if empty."""
    x0, y0, x1, y1 = cell.box
    crop = gray[y0:y1, x0:x1].copy()
    crop[rules[y0:y1, x0:x1] > 0] = 255
    ink = crop < INK_LEVEL
    if int(ink.sum()) < MIN_INK:
        return None
    ys, xs = np.nonzero(ink)
    pad = 10
    a, b = max(0, int(ys.min()) - pad), min(crop.shape[0], int(ys.max()) + pad + 1)
    c, d = max(0, int(xs.min()) - pad), min(crop.shape[1], int(xs.max()) + pad + 1)
    return crop[a:b, c:d], (x0 + c, y0 + a, x0 + d, y0 + b)


def read_cells(gray: np.ndarray, grid: Grid, labels: dict[tuple[int, int], str] | None = None) -> list[CellRead]:
    """Every ruled cell that holds ink, read on its own. ``labels`` maps (row, col) → the printed
    label of the field whose value the cell holds, which sets its charset."""
    labels = labels or {}
    found = [(cell, got) for cell in grid.cells if (got := ink_box(gray, grid.rules, cell)) is not None]
    charsets = [charset_for(labels.get((cell.row, cell.col), "")) for cell, _ in found]
    results = read_crops(models.rapidocr_rec(), [crop for _, (crop, _) in found], charsets)
    return [CellRead(cell, box, strip_cjk_spaces(text.strip()), conf)
            for (cell, (_, box)), (text, conf) in zip(found, results)]


REREAD_BELOW = 0.95  # a cell whose page-pass lines are all at least this sure is left as read


def _inside(box, cell: Cell) -> bool:
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    x0, y0, x1, y1 = cell.box
    return x0 <= cx <= x1 and y0 <= cy <= y1


def refine(gray: np.ndarray, grid: Grid, lines: list) -> list:
    """The page pass's lines with the doubtful values of ruled cells read again cell by cell.

    A cell is read again when a line in it is less sure than ``REREAD_BELOW`` or when the label
    to its left says what kind of value it holds; the cell's reading replaces the page pass's
    lines in it when it is at least as sure (a typed value: when it also fits its kind).
    """
    from .records import OcrLine

    by_cell = {c: [l for l in lines if _inside(l.box, c)] for c in grid.cells}
    text_at = {(c.row, c.col): "".join(l.text for l in ls) for c, ls in by_cell.items()}
    todo = []
    for cell, mine in by_cell.items():
        charset = charset_for(text_at.get((cell.row, cell.col - 1), ""))
        doubtful = any(l.confidence < REREAD_BELOW for l in mine)
        if not (doubtful or (charset and mine)):
            continue
        got = ink_box(gray, grid.rules, cell)
        if got is not None:
            todo.append((cell, mine, charset, got))
    if not todo:
        return lines
    reads = read_crops(models.rapidocr_rec(), [crop for *_, (crop, _) in todo], [charset for _, _, charset, _ in todo])
    out = list(lines)
    for (cell, mine, charset, (_, box)), (text, conf) in zip(todo, reads):
        text = strip_cjk_spaces(text.strip())
        if not text:
            continue
        before = min((l.confidence for l in mine), default=0.0)
        if conf >= before:
            out = [l for l in out if l not in mine] + [OcrLine(text, box, conf)]
    return out
