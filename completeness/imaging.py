"""Measurements on the published page images (I/O edge of the legibility checks)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

SKEW_SIDE = 1280  # long side of the copy the skew is measured on
GREY_SPREAD = 3  # channel spread up to which an RGB image is a greyscale scan


def colour_mode(path: Path) -> str | None:
    """"RGB", "L" (greyscale) or "1" (bitonal); a greyscale image stored as RGB counts as "L"."""
    try:
        with Image.open(path) as img:
            mode = img.mode
            if mode in ("RGB", "RGBA", "CMYK", "YCbCr", "P"):
                img.draft("RGB", (img.width // 8 or 1, img.height // 8 or 1))
                small = np.asarray(img.convert("RGB").resize((256, 362)), np.int16)
                # A greyscale scan stored as RGB has R = G = B up to JPEG noise; a colour scan of a page
                # written only in black ink still carries the paper's tint (spread 6–8 on aged paper).
                spread = np.abs(small - small.mean(axis=2, keepdims=True)).max()
                return "L" if spread <= GREY_SPREAD else "RGB"
            return "1" if mode == "1" else "L"
    except OSError:
        return None


def residual_skew(path: Path) -> float | None:
    """Skew left on the page after cleaning, in degrees (None if it cannot be measured)."""
    try:
        from ocr import cleaning
    except ImportError:  # the ocr package is optional for the checker
        return None
    try:
        with Image.open(path) as img:
            img.draft("L", (img.width // 4 or 1, img.height // 4 or 1))
            gray = np.asarray(img.convert("L"))
    except OSError:
        return None
    return float(cleaning.estimate_skew(cleaning.ink_view(gray)))
