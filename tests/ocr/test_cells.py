"""The form's grid and the cell-by-cell reading of handwritten values (ocr.grid, ocr.cells)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from ocr import cells, grid, reread


def _form(rows: int = 3, widths=(300, 400, 300, 500), top: int = 400, row_h: int = 150) -> np.ndarray:
    img = np.full((1800, 1800), 240, np.uint8)
    xs = [150]
    for w in widths:
        xs.append(xs[-1] + w)
    for r in range(rows + 1):
        cv2.line(img, (xs[0], top + r * row_h), (xs[-1], top + r * row_h), 30, 4)
    for x in xs:
        cv2.line(img, (x, top), (x, top + rows * row_h), 30, 4)
    return img


def test_grid_cells_follow_the_rules():
    g = grid.find_grid(_form())
    assert g is not None and g.top is not None and abs(g.top - 400) < 15
    assert len(g.cells) == 12
    assert {(c.row, c.col) for c in g.cells} == {(r, c) for r in range(3) for c in range(4)}
    first = next(c for c in g.cells if (c.row, c.col) == (0, 1))
    assert 450 <= first.box[0] <= 470 and 840 <= first.box[2] <= 860  # inside the rules at 450 and 850


def test_prose_page_has_no_grid():
    img = np.full((1800, 1800), 240, np.uint8)
    for y in range(300, 1500, 90):  # lines of "text": short dark dashes, no long rules
        for x in range(150, 1600, 70):
            cv2.rectangle(img, (x, y), (x + 50, y + 50), 40, 3)
    assert grid.find_grid(img) is None


def test_ink_box_whitens_the_rules_and_skips_empty_cells():
    img = _form()
    g = grid.find_grid(img)
    cell = next(c for c in g.cells if (c.row, c.col) == (1, 1))
    assert cells.ink_box(img, g.rules, cell) is None  # nothing written in it
    x0, y0, x1, y1 = cell.box
    cv2.putText(img, "1950", (x0 + 30, y1 - 40), cv2.FONT_HERSHEY_SIMPLEX, 2.0, 20, 5)
    crop, box = cells.ink_box(img, g.rules, cell)
    assert box[0] >= x0 and box[2] <= x1 and crop.min() < 100
    assert (crop < cells.INK_LEVEL).sum() >= cells.MIN_INK


@pytest.mark.parametrize(("label", "charset"), [
    ("出生年月", reread.DATE_CHARS), ("参加工作时间", reread.DATE_CHARS), ("身份证号码", reread.ID_CHARS),
    ("公民身份号码", reread.ID_CHARS), ("性别", reread.SEX_CHARS), ("姓名", None), ("工种", None)])
def test_charset_follows_the_label(label, charset):
    assert cells.charset_for(label) == charset


def test_constrained_decoding_keeps_the_handwritten_zero():
    alphabet = ["blank", "一", "九", "五", "〇", "口", "年", " "]
    seq = ["一", "九", "五", "口", "年"]  # the recognizer's best guess reads the circle as 口
    preds = np.full((len(seq) * 2, len(alphabet)), 0.01, np.float32)
    for t, ch in enumerate(seq):
        preds[2 * t, alphabet.index(ch)] = 0.6
        preds[2 * t + 1, 0] = 0.9
    preds[6, alphabet.index("〇")] = 0.35  # …with the zero as its second choice
    assert reread.ctc_decode(preds, alphabet)[0] == "一九五口年"
    text, conf = reread.ctc_decode(preds, alphabet, reread.DATE_CHARS)
    assert text == "一九五〇年" and 0 < conf < 0.6
