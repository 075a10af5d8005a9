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

import cv2
import numpy as np

from . import models
from .grid import Cell, Grid
from .textnorm import strip_cjk_spaces

DATE_CHARS = "0123456789〇零一二三四五六七八九十年月日.-"
ID_CHARS = "0123456789X"
SEX_CHARS = "男女"
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


def _recognize(crops: list[np.ndarray], charsets: list[str | None], batch: int = 6) -> list[tuple[str, float]]:
    """The recognizer on each crop, in batches of similar widths (as RapidOCR batches its lines); a
    crop with a charset is decoded within it."""
    rec = models.rapidocr().text_rec
    alphabet = rec.postprocess_op.character
    _, height, width = rec.rec_image_shape
    order = sorted(range(len(crops)), key=lambda i: crops[i].shape[1] / max(1, crops[i].shape[0]))
    out: list[tuple[str, float]] = [("", 0.0)] * len(crops)
    for k in range(0, len(order), batch):
        part = order[k:k + batch]
        ratio = max([width / height] + [crops[i].shape[1] / max(1, crops[i].shape[0]) for i in part])
        norm = np.stack([rec.resize_norm_img(cv2.cvtColor(crops[i], cv2.COLOR_GRAY2BGR), ratio) for i in part])
        preds = rec.session(norm.astype(np.float32))[0]
        for i, p in zip(part, preds):
            out[i] = ctc_decode(p, alphabet, charsets[i])
    return out


def ctc_decode(preds: np.ndarray, alphabet: list[str], charset: str | None = None) -> tuple[str, float]:
    """Greedy CTC decoding (class 0 is the blank), optionally limited to ``charset``."""
    if charset is not None:
        allowed = np.zeros(preds.shape[1], bool)
        allowed[0] = True
        index = {ch: i for i, ch in enumerate(alphabet)}
        for ch in charset:
            if ch in index:
                allowed[index[ch]] = True
        preds = np.where(allowed[None, :], preds, 0.0)
    best = preds.argmax(axis=1)
    probs = preds.max(axis=1)
    text, scores, prev = [], [], 0
    for k, p in zip(best, probs):
        if k != 0 and k != prev:
            text.append(alphabet[k])
            scores.append(float(p))
        prev = k
    return "".join(text), float(np.mean(scores)) if scores else 0.0


def read_cells(gray: np.ndarray, grid: Grid, labels: dict[tuple[int, int], str] | None = None) -> list[CellRead]:
    """Every ruled cell that holds ink, read on its own. ``labels`` maps (row, col) → the printed
    label of the field whose value the cell holds, which sets its charset."""
    labels = labels or {}
    found = [(cell, got) for cell in grid.cells if (got := ink_box(gray, grid.rules, cell)) is not None]
    charsets = [charset_for(labels.get((cell.row, cell.col), "")) for cell, _ in found]
    results = _recognize([crop for _, (crop, _) in found], charsets)
    return [CellRead(cell, box, strip_cjk_spaces(text.strip()), conf)
            for (cell, (_, box)), (text, conf) in zip(found, results)]
