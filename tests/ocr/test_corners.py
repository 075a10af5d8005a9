"""Page numbers pencilled in the corners of the originals, read with the real recognizer."""

from __future__ import annotations

import json
import random

import numpy as np
from PIL import Image

from ocr import corners, scan_render
from ocr.records import OcrLine
from ocr.scan_forms import H, W


def _sheet(number: int | None, seed: int = 3) -> np.ndarray:
    rng = random.Random(seed)
    img = Image.new("RGB", (W, H), scan_render.PAPER)
    if number is not None:
        img = scan_render.pencil_number(img, number, rng)
    img = scan_render.degrade(img, rng, 0.0, 0, speckle=600, blur=0.6)  # scanner dust in the corners too
    return np.asarray(img.convert("L"))


def test_a_pencilled_number_in_the_corner_is_read():
    for number in (7, 23, 108):
        found = corners.page_numbers(_sheet(number), [])
        assert [l.text for l in found] == [str(number)]
        assert json.dumps(found[0].to_json())  # plain ints: the line goes into ocr.json
        x0, y0, x1, y1 = found[0].box
        assert x0 >= W * (1 - corners.CORNER_X) and y1 <= H * corners.CORNER_Y


def test_dust_alone_is_no_number():
    assert corners.page_numbers(_sheet(None), []) == []


def test_a_number_the_page_pass_read_is_not_read_twice():
    gray = _sheet(12)
    box = corners.candidates(gray, [])[0]
    assert corners.page_numbers(gray, [OcrLine("12", box, 0.9)]) == []


def test_the_pencilled_number_is_among_the_lines_but_not_the_text():
    from ocr.engines import RapidOcrEngine

    gray = _sheet(7)
    page = RapidOcrEngine().recognize(gray)
    assert corners.number_on(page.lines, W, H) == 7  # the page check still finds it …
    assert "7" not in page.text  # … but a search for 7 does not find every seventh sheet
