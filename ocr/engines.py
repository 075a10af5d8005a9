"""Stage 3: OCR engines behind one small interface.

RapidOCR (PP-OCR models in ONNX, shipped inside the wheel) is the default for Chinese; Tesseract
``chi_sim+eng`` is the alternative. Both return lines with pixel boxes and a 0..1 confidence, with
the spaces engines put between CJK characters removed.
"""

from __future__ import annotations

import os
from typing import Protocol

import cv2
import numpy as np

from . import cleaning, corners, dates, models, reread, strikes
from .errors import EngineUnavailable
from .layout import in_reading_order
from .records import OcrLine, PageText
from .textnorm import tidy_line

ENGINES = ("rapidocr", "tesseract")


class Engine(Protocol):
    name: str

    def prepare(self, img: np.ndarray) -> np.ndarray:
        """The grey image this engine reads best, from the cleaned page."""

    def recognize(self, gray: np.ndarray) -> PageText: ...


def _tidy(text: str) -> str:
    return dates.mend_month(tidy_line(text))


def page_text(lines: list[OcrLine], width: int, height: int, struck: list | None = None) -> PageText:
    """The page's lines in reading order and its text. The number pencilled in a corner stays
    among the lines (the page check reads it there) but is no part of the text: it is the sheet's
    页号, not what the page says, and would be a stray "7" in every search."""
    ordered = [l for _, l in in_reading_order([(l.box, l) for l in lines])]
    conf = float(np.mean([l.confidence for l in ordered])) if ordered else 0.0
    body = [l for l in ordered if not corners.is_page_number(l, width, height)]
    return PageText(ordered, "\n".join(l.text for l in body), conf, struck or [])


class RapidOcrEngine:
    name = "rapidocr"

    def prepare(self, img: np.ndarray) -> np.ndarray:
        # PP-OCR's detector copes with specks and rules; removing them cost accuracy on 楷体 values.
        return cleaning.ink_view(img)

    def recognize(self, gray: np.ndarray) -> PageText:
        result, _ = models.rapidocr()(cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR))
        lines = []
        for box, text, score in result or []:
            text = _tidy(text)
            if not text:
                continue
            pts = np.asarray(box)
            lines.append(OcrLine(text, (int(pts[:, 0].min()), int(pts[:, 1].min()),
                                        int(pts[:, 0].max()), int(pts[:, 1].max())), float(score)))
        lines, struck = strikes.without_struck(gray, lines, _tidy)
        lines = reread.second_reading(gray, lines, _tidy)
        return page_text(lines + corners.page_numbers(gray, lines), gray.shape[1], gray.shape[0], struck)


class TesseractEngine:
    name = "tesseract"
    lang = "chi_sim+eng"

    def __init__(self) -> None:
        # One thread per page; pages run in parallel (FIELD-NOTES.md: 7.9 s → 2.6 s per page).
        os.environ["OMP_THREAD_LIMIT"] = "1"

    def prepare(self, img: np.ndarray) -> np.ndarray:
        # Specks and table rules wreck Tesseract's layout analysis: on the sample prose page CER
        # fell from 33% to 2% with specks removed, on form pages from ~60% to ~30% without rules.
        return cleaning.ocr_view(img)

    def recognize(self, gray: np.ndarray) -> PageText:
        import pytesseract

        try:
            data = pytesseract.image_to_data(gray, lang=self.lang, config="--psm 3",
                                             output_type=pytesseract.Output.DICT)
        except pytesseract.TesseractNotFoundError as err:
            raise EngineUnavailable("未安装Tesseract OCR（tesseract-ocr、tesseract-ocr-chi-sim）") from err
        groups: dict[tuple[int, int, int], list[int]] = {}
        for i, word in enumerate(data["text"]):
            if word.strip() and float(data["conf"][i]) >= 0:
                groups.setdefault((data["block_num"][i], data["par_num"][i], data["line_num"][i]), []).append(i)
        lines = []
        for idx in groups.values():
            text = _tidy(" ".join(data["text"][i] for i in idx))
            if not text:
                continue
            x0 = min(data["left"][i] for i in idx)
            y0 = min(data["top"][i] for i in idx)
            x1 = max(data["left"][i] + data["width"][i] for i in idx)
            y1 = max(data["top"][i] + data["height"][i] for i in idx)
            conf = float(np.mean([float(data["conf"][i]) for i in idx])) / 100
            lines.append(OcrLine(text, (x0, y0, x1, y1), conf))
        return page_text(lines + corners.page_numbers(gray, lines), gray.shape[1], gray.shape[0])


def get(name: str) -> Engine:
    if name == "rapidocr":
        return RapidOcrEngine()
    if name == "tesseract":
        return TesseractEngine()
    raise EngineUnavailable(f"未知的OCR引擎“{name}”，可选：{'、'.join(ENGINES)}")
