"""A second reading of the lines the page pass was unsure of (pure but for the models).

The page pass (PP-OCRv4 detector + recognizer) reads print at under 1% CER, but on handwritten
values it misreads characters with a visibly lower confidence. Each such line is cut out again
and read by two more recognizers (PP-OCRv5 mobile and PP-OCRv6 small, both trained on more
handwriting); the most confident reading wins. A line that looks like a date is read within the
characters dates are written with, which keeps a handwritten 〇 from becoming 口, D or nothing.

Measured on the handwritten pages of four generated files, one per face (character errors
ignoring reading order, page pass → with the second reading): long-cang 3.1% → 2.4%,
zhi-mang-xing 2.7% → 1.5%, ma-shan-zheng 1.8% → 1.2%, the cursive liu-jian-mao-cao 21.9% → 17.8%.
The third reader (PP-OCRv6 small), benchmarks/bench_check.py on 54 files: all faces 4.0% → 3.05%,
the cursive one 16.4% → 11.5%, 13% more time per image than before this issue's work (measured
quietly on 9 files). A margin over the current reading before taking PP-OCRv6's lost most of the
gain. Reading each ruled cell on its own as well was tried and dropped: 0.1–0.3 points for ~0.5 s
a page.
"""

from __future__ import annotations

import math
import re

import cv2
import numpy as np

from . import models
from .records import OcrLine
from .textnorm import strip_cjk_spaces

SECOND_BELOW = 0.99  # lines the page pass read with less confidence than this are read again
PAD = 6  # px around the detector's box

DATE_CHARS = "0123456789〇零一二三四五六七八九十年月日.-"
ID_CHARS = "0123456789X"
SEX_CHARS = "男女"
# A line that is a date, written with Chinese or Arabic digits — with what a handwritten zero
# is misread as (口 D O o ○ °), so that it is read again within the date's characters.
_DATE_LINE = re.compile(r"^[〇零○OoD口°0-9一二三四五六七八九十\s.．-]{2,6}年[〇零一二三四五六七八九十0-9\s]{1,3}月"
                        r"(?:[〇零一二三四五六七八九十0-9\s]{1,3}日)?[.。]?$")


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


def _normalized(crop: np.ndarray, height: int, width: int) -> np.ndarray:
    """PP-OCR's recognizer input: the crop at ``height`` px, scaled to [-1, 1], right-padded."""
    h, w = crop.shape[:2]
    resized_w = min(width, int(math.ceil(height * w / max(1, h))))
    img = cv2.resize(cv2.cvtColor(crop, cv2.COLOR_GRAY2BGR) if crop.ndim == 2 else crop, (max(1, resized_w), height))
    img = (img.astype(np.float32).transpose(2, 0, 1) / 255 - 0.5) / 0.5
    out = np.zeros((3, height, width), np.float32)
    out[:, :, :resized_w] = img
    return out


def read_crops(rec: models.Recognizer, crops: list[np.ndarray], charsets: list[str | None],
               batch: int = 6) -> list[tuple[str, float]]:
    """``rec`` on each crop, in batches of similar widths; a crop with a charset is decoded within it."""
    ratios = [c.shape[1] / max(1, c.shape[0]) for c in crops]
    order = sorted(range(len(crops)), key=lambda i: ratios[i])
    out: list[tuple[str, float]] = [("", 0.0)] * len(crops)
    for k in range(0, len(order), batch):
        part = order[k:k + batch]
        width = int(rec.height * max([rec.min_width / rec.height] + [ratios[i] for i in part]))
        preds = rec.run(np.stack([_normalized(crops[i], rec.height, width) for i in part]))
        for i, p in zip(part, preds):
            text, conf = ctc_decode(p, rec.alphabet, charsets[i])
            out[i] = (strip_cjk_spaces(text.strip()), conf)
    return out


def charset_of_line(text: str) -> str | None:
    return DATE_CHARS if _DATE_LINE.match("".join(text.split())) else None


def crop(gray: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """A line's pixels for a recognizer: its box and ``PAD`` around it, within the page."""
    x0, y0, x1, y1 = box
    return gray[max(0, y0 - PAD):y1 + PAD, max(0, x0 - PAD):x1 + PAD]


def second_reading(gray: np.ndarray, lines: list[OcrLine], tidy=lambda s: s) -> list[OcrLine]:
    """``lines`` with each doubtful one replaced by the most confident of the other recognizers'
    readings when that is more confident. ``tidy`` is the engine's clean-up of a recognized string."""
    doubtful = [i for i, l in enumerate(lines) if l.confidence < SECOND_BELOW]
    if not doubtful:
        return lines
    crops = [crop(gray, lines[i].box) for i in doubtful]
    charsets = [charset_of_line(lines[i].text) for i in doubtful]
    out = list(lines)
    for rec in (models.ppocrv5_rec(), models.ppocrv6_rec()):
        for i, (text, conf) in zip(doubtful, read_crops(rec, crops, charsets)):
            text = tidy(text)
            if text and conf > out[i].confidence:
                out[i] = OcrLine(text, lines[i].box, conf)
    return out
