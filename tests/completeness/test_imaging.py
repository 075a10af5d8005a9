"""Colour mode of a stored page image (completeness.imaging)."""

from __future__ import annotations

import numpy as np
from PIL import Image

from completeness.imaging import colour_mode

PAPER = (246, 243, 234)


def _save(tmp_path, name, arr):
    path = tmp_path / name
    Image.fromarray(arr).save(path, "JPEG", quality=88)
    return path


def test_a_colour_scan_of_a_page_in_black_ink_is_still_colour(tmp_path):
    page = np.zeros((700, 500, 3), np.uint8) + np.array(PAPER, np.uint8)
    page[200:260, 100:400] = (25, 25, 25)  # black print and a black signature, no colour ink
    assert colour_mode(_save(tmp_path, "black.jpg", page)) == "RGB"


def test_a_greyscale_scan_stored_as_rgb_is_greyscale(tmp_path):
    grey = np.zeros((700, 500), np.uint8) + 240
    grey[200:260, 100:400] = 30
    rgb = np.stack([grey] * 3, axis=2)
    assert colour_mode(_save(tmp_path, "grey.jpg", rgb)) == "L"
    Image.fromarray(grey).save(tmp_path / "l.png")
    assert colour_mode(tmp_path / "l.png") == "L"
