"""The second reading of doubtful handwritten lines (ocr.reread) with the real recognizers."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from ocr import handfonts, models, reread
from ocr.records import OcrLine


def _written(text: str, face: str = "zhi-mang-xing", size: int = 64) -> np.ndarray:
    """``text`` in a handwriting face; 〇, which the faces lack, drawn as the ring a pen makes."""
    font = ImageFont.truetype(str(handfonts.path(face)), size)
    img = Image.new("L", (int(size * 1.1 * len(text)) + 80, size + 80), 245)
    d = ImageDraw.Draw(img)
    x = 40
    for ch in text:
        if ch == "〇":
            d.ellipse((x + 8, 44, x + size - 8, 40 + size - 4), outline=30, width=5)
            x += size
        else:
            d.text((x, 30), ch, font=font, fill=30)
            x += int(font.getlength(ch))
    return np.asarray(img)


@pytest.mark.parametrize(("text", "charset"), [
    ("一九五〇年三月八日", reread.DATE_CHARS), ("一九五口年三月", reread.DATE_CHARS), ("1950年3月", reread.DATE_CHARS),
    ("二 六年五月", reread.DATE_CHARS), ("本人申请：已到退休年龄", None), ("填表日期1959年5月17日", None)])
def test_only_date_lines_are_read_within_date_characters(text, charset):
    assert reread.charset_of_line(text) == charset


def test_a_doubtful_line_is_read_again_and_the_surer_reading_wins():
    gray = _written("申请办理退休手续")
    h, w = gray.shape
    box = (30, 20, w - 30, h - 20)
    wrong = OcrLine("申诱办理退体手续", box, 0.40)  # what a weak first reading gives
    sure = OcrLine("申诱办理退体手续", box, 0.999)  # a sure reading is left alone
    again = reread.second_reading(gray, [wrong, sure])
    assert again[1] is sure
    assert again[0].confidence > 0.40 and again[0].box == box
    assert again[0].text == "申请办理退休手续"


def test_the_third_reader_wins_where_it_is_surest_on_a_cursive_hand():
    """In the cursive face the page pass reads 建设路街道 as 街道 and PP-OCRv5 writes it in
    traditional characters (建設路街道, 0.72); PP-OCRv6 small reads it as written, surer (0.88)."""
    gray = _written("建设路街道", face="liu-jian-mao-cao")
    h, w = gray.shape
    first = OcrLine("街道", (reread.PAD, reread.PAD, w - reread.PAD, h - reread.PAD), 0.42)  # the whole image
    (v5, c5), = reread.read_crops(models.ppocrv5_rec(), [gray], [None])
    again, = reread.second_reading(gray, [first])
    assert again.text == "建设路街道" and again.confidence > c5 and v5 != again.text


def test_read_crops_decodes_a_date_within_its_characters():
    crop = _written("一九五〇年")
    free, = reread.read_crops(models.ppocrv5_rec(), [crop], [None])
    dated, = reread.read_crops(models.ppocrv5_rec(), [crop], [reread.DATE_CHARS])
    assert set(dated[0]) <= set(reread.DATE_CHARS)
    assert dated[0] == "一九五〇年", (free, dated)


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
