"""Rescanned pages with almost no text (a photograph sheet) are found by their picture."""

from __future__ import annotations

import random

import numpy as np
from PIL import Image, ImageDraw

from ocr import cleaning
from ocr.duplicates import MIN_CORRELATION, find_duplicates, image_fingerprint, picture_similarity
from ocr.records import SourcePage
from ocr.scan_render import degrade, jpeg

A4 = (2480, 3508)  # 300 dpi


def photo_sheet(seed: int) -> Image.Image:
    """A sheet with a pasted photograph: shaded shapes, no printed text."""
    rng = random.Random(seed)
    img = Image.new("RGB", A4, (246, 244, 238))
    d = ImageDraw.Draw(img)
    x0, y0 = rng.randint(300, 900), rng.randint(400, 1200)
    w, h = rng.randint(700, 1100), rng.randint(900, 1400)
    for k in range(40):  # a vertical tone gradient inside the photo
        shade = 60 + k * 4 + rng.randint(-10, 10)
        d.rectangle((x0, y0 + k * h // 40, x0 + w, y0 + (k + 1) * h // 40), fill=(shade, shade - 10, shade - 20))
    for _ in range(6):
        cx, cy, r = x0 + rng.randint(100, w - 100), y0 + rng.randint(100, h - 100), rng.randint(60, 260)
        tone = rng.randint(20, 230)
        d.ellipse((cx - r, cy - int(r * 1.3), cx + r, cy + int(r * 1.3)), fill=(tone, tone, tone))
    return img


def scanned(img: Image.Image, seed: int) -> np.ndarray:
    rng = random.Random(seed)
    page = degrade(img, rng, skew=rng.uniform(-1.5, 1.5), rotation=0)
    data = jpeg(page)
    return cleaning.clean(SourcePage("p.jpg", 1, data, "JPEG", 300, *page.size)).image


def test_rescans_of_one_photograph_match_and_different_ones_do_not():
    a1, a2 = image_fingerprint(scanned(photo_sheet(1), 10)), image_fingerprint(scanned(photo_sheet(1), 11))
    b = image_fingerprint(scanned(photo_sheet(2), 12))
    assert picture_similarity(a1, a2) >= MIN_CORRELATION > picture_similarity(a1, b)
    assert find_duplicates(["", "照片", ""], [False, False, False], [a1, b, a2]) == [None, None, 1]


def test_text_pages_are_judged_by_their_text_not_their_picture():
    # Two different forms share a layout and so a picture; their words and figures differ.
    form = image_fingerprint(scanned(photo_sheet(3), 20))
    texts = ["工资变动审批表 姓名 张三 原工资 45.50元 调整后工资 52.00元 批准日期 1985年10月",
             "工资变动审批表 姓名 张三 原工资 52.00元 调整后工资 61.00元 批准日期 1989年10月"]
    assert find_duplicates(texts, [False, False], [form, form]) == [None, None]
    # Pages stored before fingerprints existed compare by text only.
    assert find_duplicates(["", ""], [False, False], ["", ""]) == [None, None]


def test_a_handwritten_sheet_scanned_twice_is_known_by_its_pencilled_number():
    first = "职工转正定级审批表姓名赵玉兰性别女出生年月1966年9月参加工作时间1984年3月学徒期满考核合格"
    again = "职工转正定级审批表姓名赵玉三性别女出生年月1966年4月参加工作时间1981年8月学徒期满者核合格"  # read anew
    other = "职工工资变动审批表姓名赵玉兰性别女工种纺织工变动原因调整工资变动时间1990年5月原工资73.00元"
    texts, skip = [first, again, other], [False] * 3
    assert find_duplicates(texts, skip) == [None, None, None]  # the two readings differ too much alone
    assert find_duplicates(texts, skip, numbers=[3, 3, 4]) == [None, 1, None]
    assert find_duplicates(texts, skip, numbers=[3, 4, 5]) == [None, None, None]  # two sheets, two numbers
    assert find_duplicates([first, other], [False] * 2, numbers=[3, 3]) == [None, None]  # misnumbered sheets
    # The same text twice: a rescan, unless the archive numbered the two sheets apart (a copy kept
    # beside its original); a number not read decides nothing.
    assert find_duplicates([first, first], [False] * 2) == [None, 1]
    assert find_duplicates([first, first], [False] * 2, numbers=[3, 4]) == [None, None]
    assert find_duplicates([first, other, first], [False] * 3, numbers=[3, 4, None]) == [None, None, 1]


def test_the_pencilled_number_is_the_digits_in_a_corner():
    from ocr.corners import number_on
    from ocr.records import OcrLine

    lines = [OcrLine("职工登记表", (900, 280, 1500, 380), 0.99), OcrLine("12", (2200, 100, 2260, 160), 0.8),
             OcrLine("1958", (600, 1500, 760, 1560), 0.9)]
    assert number_on(lines, 2480, 3508) == 12
    assert number_on(lines[:1] + lines[2:], 2480, 3508) is None
