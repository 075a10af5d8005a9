"""handover.cells: the one rule for text written to spreadsheet cells and the audit log."""

from __future__ import annotations

import csv
import datetime as dt

from openpyxl import load_workbook

from handover.cells import cell, escape_controls
from handover.report import write_problems_xlsx
from handover.roster.problems import Problem, Severity
from handover.roster.writer import write_csv
from handover.sample import make_batch


def test_formula_prefixes_get_a_text_marker_and_values_stay_typed():
    for hostile in ("=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1", "\r=1", '=HYPERLINK("http://x","打开")'):
        assert cell(hostile) == "'" + hostile
    for plain in ("张建国", "410105195101211003", "-12", "+3.5", "-", "—", "", "a=b"):
        assert cell(plain) == plain
    for typed in (-12, -3.5, 0, dt.date(1959, 2, 16), None, True):
        assert cell(typed) == typed  # numbers, dates and booleans are never turned into text


def test_characters_xlsx_cannot_hold_are_dropped():
    assert cell("bad\x07user\x00") == "baduser"
    assert cell("=\x01x") == "'=x"
    assert cell("多行\n文字\t") == "多行\n文字\t"


def test_controls_are_written_out_for_the_audit_log():
    assert escape_controls("bad\x07user") == "bad\\x07user"
    assert escape_controls("a\nb\x00") == "a\\x0ab\\x00"
    assert escape_controls("txt\u202eexe.doc") == "txt\\u202eexe.doc"
    assert escape_controls("张建国 正常") == "张建国 正常"


def test_roster_csv_and_problem_report_keep_formulas_as_text(tmp_path):
    b = make_batch("henan-zhengzhou", 3, seed=3)
    people = [b.retirees[0].model_copy(update={"name": "=1+1"})] + b.retirees[1:]
    with (write_csv(tmp_path / "名册.csv", people)).open(encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    assert "'=1+1" in rows[1] and not any(v.startswith("=") for row in rows for v in row)
    out = write_problems_xlsx(tmp_path / "报告.xlsx", [Problem(2, "=1+1", "bad_name", "=1+1\x07", Severity.ERROR)],
                              "名册.xlsx")
    cells = [c for row in load_workbook(out).active.iter_rows() for c in row if c.value is not None]
    assert all(c.data_type != "f" for c in cells)
    assert [c.value for c in cells][-5:] == [2, "'=1+1", "错误", "bad_name", "'=1+1"]  # the row number stays a number
