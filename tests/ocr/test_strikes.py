"""Crossed-out values (ocr.strikes) on drawn form rows, read by the real RapidOCR engine.

The rows are drawn by the sample-scan renderer (ruled cells, printed labels, values in real
handwriting faces with the generator's jitter), so the strokes crossing a value out are the pen
lines the generator draws, and the characters beside them are real handwriting glyphs.
"""

from __future__ import annotations

import json
import random
import subprocess

import cv2
import numpy as np
import pytest
from PIL import ImageDraw

from ocr import engines, models, scan_render, strikes
from ocr.records import OcrLine
from ocr.scan_forms import Layout, Pen, Rule

TOP, ROW, LEFT, SPLIT, RIGHT = 200, 150, 150, 560, 1500  # one table: label column, value column


def _form(values: list[tuple[str, list[tuple[str, bool, float, float]]]], face: str = "ma-shan-zheng",
          seed: int = 3, row: int = ROW) -> np.ndarray:
    """Rows of (label, [(text, struck, x offset in the cell, y offset in rows)]) as the engine sees them."""
    page = Layout("", "form", pen=Pen(face=face, rng=random.Random(seed)))
    for r, (label, writing) in enumerate(values):
        y = TOP + r * row
        page.ops += [Rule(LEFT, y, RIGHT, y), Rule(LEFT, y + row, RIGHT, y + row),
                     Rule(LEFT, y, LEFT, y + row), Rule(SPLIT, y, SPLIT, y + row), Rule(RIGHT, y, RIGHT, y + row)]
        page.text(LEFT + 20, y + (row - 48) / 2 - 6, label, "serif", 48)
        for text, struck, dx, dy in writing:
            page.hand(SPLIT + 20 + dx, y + (row - 54) / 2 - 6 + dy * row, text, 54, truth=not struck, strike=struck)
    img = np.asarray(scan_render.draw(page))[: TOP + len(values) * row + 150, : RIGHT + 150]
    return engines.get("rapidocr").prepare(img)


def _read(gray: np.ndarray) -> str:
    return engines.get("rapidocr").recognize(gray).text


def test_a_value_struck_through_beside_its_correction_is_not_read():
    gray = _form([("增加额", [("36.00元", True, 0, 0), ("38.00元", False, 230, 0)]),
                  ("工种", [("统计员", False, 0, 0)])])
    page = engines.get("rapidocr").recognize(gray)
    assert "38.00元" in page.text and "36.00" not in page.text, page.text
    assert "统计员" in page.text and "工种" in page.text
    # Where the alteration is travels with the page (ocr.json), for archive staff to look at.
    (x0, y0, x1, y1), = page.struck
    assert x0 < SPLIT + 60 and x1 > SPLIT + 250 and y0 < TOP + ROW // 2 < y1 <= TOP + ROW + 10
    assert type(page).from_json(json.loads(json.dumps(page.to_json()))).struck == page.struck


def test_a_correction_written_above_the_struck_value_takes_its_place():
    gray = _form([("变动原因", [("工资改革套改", False, 0, 0)]),
                  ("变动时间", [("1996年1月", False, 10, -0.42), ("2009年1月", True, 0, 0.2)])], face="long-cang", seed=5)
    text = _read(gray)
    assert "2009" not in text, text
    assert "1996年1月" in text, text


def test_a_correction_the_detector_missed_over_the_cells_rule_is_read_with_the_rule_painted_out():
    """Squeezed in above the struck value, the correction straddles the cell's top rule, where the
    detector may take it for part of the rule. Given only the struck line, the writing above it is
    found and read with the rules painted out."""
    gray = _form([("变动原因", [("工资改革套改", False, 0, 0)]),
                  ("变动时间", [("1996年1月", False, 10, -0.42), ("2009年1月", True, 0, 0.2)])], face="long-cang", seed=5)
    lines = engines.get("rapidocr").recognize(gray).lines
    struck = OcrLine("2009年1月", (571, 418, 804, 489), 0.84)  # where the detector found the struck value
    kept = [l for l in lines if l.box[1] < TOP + ROW - 40]  # the first row only: the correction unseen
    out, altered = strikes.without_struck(gray, kept + [struck])
    assert struck not in out and all(l in out for l in kept)
    found, = [l for l in out if l not in kept]
    assert found.text.endswith("年1月") and found.box[3] <= struck.box[1], found
    json.dumps(found.to_json())  # as the volume's ocr.json stores it
    # The alteration's place, shown to archive staff, covers the struck value and its correction.
    (x0, y0, x1, y1), = altered
    assert (x0, y0) <= found.box[:2] and y1 >= struck.box[3] and x1 >= max(struck.box[2], found.box[2])


def test_strike_spans_give_the_struck_part_of_a_line():
    page = Layout("", "form", pen=Pen(face="ma-shan-zheng", rng=random.Random(3)))
    struck = page.hand(SPLIT + 20, 245, "全民固定工", 54, truth=False, strike=True)
    right = page.hand(SPLIT + 340, 245, "科员", 54)
    gray = engines.get("rapidocr").prepare(np.asarray(scan_render.draw(page))[:500, :RIGHT])
    box = (struck.box[0], min(struck.box[1], right.box[1]), right.box[2], max(struck.box[3], right.box[3]))
    (a, b), = strikes.strike_spans(gray, box)
    assert abs(a - struck.box[0]) <= 12 and abs(b - struck.box[2]) <= 12, (a, b, struck.box)


@pytest.mark.parametrize(("label", "value", "face"), [
    ("性别", "女", "ma-shan-zheng"), ("性别", "女", "long-cang"), ("性别", "女", "zhi-mang-xing"),
    ("文化程度", "一", "ma-shan-zheng"), ("起止年月", "1964.12—", "long-cang"),
    ("工资等级", "二级工", "zhi-mang-xing"), ("家庭住址", "建设路三号", "liu-jian-mao-cao")])
def test_characters_with_long_level_strokes_are_not_strikes(label, value, face):
    """女's level stroke is as long as the character is wide; 一 and a dash have nothing above or
    below them; none of them is a crossed-out value."""
    gray = _form([(label, [(value, False, 0, 0)])], face=face)
    lines = engines.get("rapidocr").recognize(gray).lines
    assert strikes.without_struck(gray, lines) == (lines, [])
    assert all(strikes.strike_spans(gray, l.box) == [] or l.text not in value for l in lines)


def _short_strike(rule_y: int) -> tuple[np.ndarray, OcrLine, OcrLine]:
    """A mark crossed by a stroke 1.7 line heights long, a written line just above it, and a
    printed rule across the cells at ``rule_y``."""
    gray = np.full((400, 500), 245, np.uint8)
    gray[295:300, 90:190] = 30
    for x in range(100, 180, 10):
        gray[270:330, x:x + 6] = 30
    gray[200:240, 105:175:7] = 30  # the writing above
    gray[rule_y:rule_y + 4, 20:480] = 40
    return gray, OcrLine("十", (100, 270, 180, 330), 0.99), OcrLine("二", (100, 200, 180, 240), 0.99)


def test_a_short_strike_with_a_correction_above_it_in_its_own_cell_is_a_strike():
    gray, struck, above = _short_strike(rule_y=220)  # the correction straddles the cell's top rule
    kept, (altered,) = strikes.without_struck(gray, [above, struck])
    assert kept == [above]
    assert altered == (100, 200, 180, 330)  # the struck value and the correction above it


def test_an_alterations_place_stops_at_the_cells_rule():
    """The detector read the struck value and the correction beside it as one line; the next
    cell's label, just past the printed rule, is no part of the alteration shown to staff."""
    gray = np.full((300, 1100), 245, np.uint8)
    for x in range(100, 250, 12):  # the struck value: strokes with ink above and below the strike
        gray[120:180, x:x + 6] = 30
    gray[148:153, 92:258] = 30  # the strike, longer than two line heights
    gray[120:180, 300:420:9] = 30  # the correction beside it, in the same cell
    gray[40:260, 440:444] = 40  # the cell's printed rule
    gray[125:175, 470:580:11] = 30  # the next cell's printed label
    line = OcrLine("36.00元钳工", (100, 120, 420, 180), 0.9)
    label = OcrLine("工种", (466, 120, 584, 180), 0.99)
    kept, altered = strikes.without_struck(gray, [line, label])
    assert line not in kept and label in kept
    assert altered == [(100, 120, 420, 180)]


def test_a_value_of_the_row_above_parted_by_a_rule_is_not_a_correction():
    """In a tightly ruled form the value of the row above sits as close over a 女 as a correction
    would; a printed rule runs between them, so it is no correction, and the 女 stays."""
    gray, struck, above = _short_strike(rule_y=252)
    assert strikes.without_struck(gray, [above, struck]) == ([above, struck], [])


def test_a_rule_through_a_value_written_low_and_a_printed_title_are_not_strikes():
    page = Layout("", "form", pen=Pen(face="long-cang", rng=random.Random(2)))
    page.centred(40, "企业职工退休审批表")
    page.ops += [Rule(LEFT, 300, RIGHT, 300), Rule(LEFT, 450, RIGHT, 450)]
    page.text(LEFT + 20, 340, "姓名", "serif", 48)
    page.hand(SPLIT + 20, 410, "郑州煤炭集团有限公司", 54)  # over the row's bottom rule
    img = np.asarray(scan_render.draw(page))[:600]
    gray = engines.get("rapidocr").prepare(img)
    lines = engines.get("rapidocr").recognize(gray).lines
    assert any("退休审批表" in l.text for l in lines)
    assert strikes.without_struck(gray, lines) == (lines, [])


def test_a_slightly_skewed_rule_through_the_middle_of_a_value_is_not_a_strike():
    """Skewed and bent a little, a rule breaks into pieces for the line finder, one of which can
    lie within the value; the ink is followed along it, and it runs on across the cells."""
    page = Layout("", "form", pen=Pen(face="long-cang", rng=random.Random(6)))
    page.hand(580, 300, "1996年1月", 40)
    img = scan_render.draw(page)
    # Off level by 1.3°, with a slight bend where the paper was folded.
    ImageDraw.Draw(img).line([(150, 318), (700, 330), (1500, 348)], fill=(40, 40, 40), width=4)
    gray = engines.get("rapidocr").prepare(np.asarray(img)[:500, :RIGHT + 150])
    lines = engines.get("rapidocr").recognize(gray).lines
    value = next(l for l in lines if "年1月" in l.text)
    assert strikes.strike_spans(gray, value.box) == [], value


def test_an_underlined_signature_is_not_a_strike():
    page = Layout("", "form", pen=Pen(face="zhi-mang-xing", rng=random.Random(4)))
    page.text(200, 300, "本人签名：", "serif", 48)
    page.hand(470, 290, "刘建华", 54)
    img = scan_render.draw(page)
    ImageDraw.Draw(img).line([(460, 362), (900, 362)], fill=(40, 40, 40), width=3)
    gray = engines.get("rapidocr").prepare(np.asarray(img)[:500, :1200])
    lines = engines.get("rapidocr").recognize(gray).lines
    assert any("刘建华" in l.text for l in lines)
    assert strikes.without_struck(gray, lines) == (lines, [])


def test_a_lone_short_strike_without_a_correction_keeps_the_value():
    """A stroke no longer than a character or two is a strike only with a correction beside or
    above it; alone it may be a character's own stroke, and a value is not dropped on a guess."""
    gray = np.full((200, 400), 245, np.uint8)
    gray[95:100, 90:190] = 30  # one level stroke, 1.7 line heights long…
    for x in range(100, 180, 10):  # …through a character-like mark
        gray[70:130, x:x + 6] = 30
    line = OcrLine("十", (100, 70, 180, 130), 0.99)
    assert strikes.strike_spans(gray, line.box) == [(90, 189)]
    assert strikes.without_struck(gray, [line]) == ([line], [])


@pytest.mark.parametrize(("name", "page"), [("cardinal", 1), ("c02-22", 1)])
def test_real_printed_scans_have_no_strikes(inputs, tmp_path, name, page):
    """Scans made by others (OCRmyPDF's test files): bold serif titles whose serifs join along the
    baseline (32 Track MIDI Sequence Recorder), tables and rules. Nothing on them is crossed out."""
    subprocess.run(["pdftoppm", "-r", "300", "-gray", "-f", str(page), "-l", str(page), "-singlefile",
                    str(inputs / f"{name}.pdf"), str(tmp_path / "p")], check=True)
    gray = cv2.imread(str(tmp_path / "p.pgm"), cv2.IMREAD_GRAYSCALE)
    result, _ = models.rapidocr()(cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR))
    lines = [OcrLine(t, tuple(int(v) for v in (*np.asarray(b).min(0), *np.asarray(b).max(0))), float(c))
             for b, t, c in result]
    assert len(lines) > 20
    assert strikes.without_struck(gray, lines) == (lines, [])
