"""A required material whose first page cannot be read: "may be on the unreadable page N", never
缺少必要材料; the 校对 item asking for its title, and staff's title satisfying the requirement."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from completeness.check import run_checks
from completeness.findings import CODES, Outcome, Severity
from completeness.volume import Line, Row
from handover.policy import load_profile

from .helpers import page, volume

NOW = dt.datetime(2026, 11, 22, 9, 30, tzinfo=dt.timezone.utc)
RETIRE_AT = 5  # image of the 企业职工退休审批表 in helpers.FORMS


@pytest.fixture(scope="module")
def henan():
    return load_profile("henan-zhengzhou")


def stained(title: str = "未识别材料", class_code: str = "十", remarks: str = "首页无法辨认，未能识别材料名称，请重新扫描后核对"):
    """helpers.volume() with the 退休审批表's only page unreadable, opening a row of its own."""
    vol = volume()
    pages = list(vol.pages)
    pages[RETIRE_AT - 1] = page(RETIRE_AT, RETIRE_AT, "", confidence=0.0)
    rows = list(vol.rows)
    rows[RETIRE_AT - 1] = Row(f"{class_code}-9", class_code, title, None, 1, RETIRE_AT, RETIRE_AT, remarks)
    return replace(vol, pages=tuple(pages), rows=tuple(rows))


def test_required_material_maybe_on_the_unreadable_page(henan):
    report = run_checks(stained(), None, henan, now=NOW)
    assert "missing_material" not in report.codes()
    maybe = [f for f in report.findings if f.code == "material_on_unreadable_page"]
    assert [(f.page, f.material, f.severity) for f in maybe] == [(RETIRE_AT, "退休审批表", Severity.WARNING)]
    assert "可能在第5幅无法辨认的图像上，请重新扫描后核对" in maybe[0].message_zh
    assert CODES["material_on_unreadable_page"].group == "materials"
    # Nothing is stated missing: not in the report's list, not in what goes to the 备考表.
    assert report.missing == [] and report.missing_materials == []
    assert report.outcome == Outcome.REJECTED  # the unreadable page itself sends the file back for a rescan
    assert "material_unidentified" not in report.codes()  # said by unreadable_page and the 校对 item
    item = next(i for i in report.review if i.key == f"title:{RETIRE_AT}")
    assert item.field == "title" and item.page == RETIRE_AT and item.value == ""
    assert "退休审批表" in item.reason_zh and "无法辨认" in item.reason_zh
    assert report.provisional


def test_staff_title_for_the_unreadable_page_satisfies_the_requirement(henan):
    corrections = {f"title:{RETIRE_AT}": "企业职工退休审批表"}
    report = run_checks(stained(), None, henan, now=NOW, corrections=corrections)
    assert not {"material_on_unreadable_page", "missing_material"} & report.codes()
    assert f"title:{RETIRE_AT}" not in {i.key for i in report.review}


def test_staff_title_naming_another_material_leaves_it_missing(henan):
    report = run_checks(stained(), None, henan, now=NOW, corrections={f"title:{RETIRE_AT}": "自传"})
    assert ("missing_material", "退休审批表") in {(f.code, f.material) for f in report.findings}
    assert "material_on_unreadable_page" not in report.codes()


def test_a_title_read_on_the_unreadable_page_places_it(henan):
    # The fragment read named the 退休审批表: the row exists but rests on an unreadable page only.
    vol = stained("退休审批表", "九-2", "首页无法辨认，材料名称据可辨认的部分推定，请重新扫描后核对")
    report = run_checks(vol, None, henan, now=NOW)
    assert [(f.code, f.page) for f in report.findings if f.code.startswith(("missing", "material_on"))] == [
        ("material_on_unreadable_page", RETIRE_AT)]
    item = next(i for i in report.review if i.key == f"title:{RETIRE_AT}")
    assert item.value == "退休审批表"
    # Another material's title read there: the page cannot be the 退休审批表.
    other = stained("自传", "二", "首页无法辨认，材料名称据可辨认的部分推定，请重新扫描后核对")
    codes = {(f.code, f.material) for f in run_checks(other, None, henan, now=NOW).findings}
    assert ("missing_material", "退休审批表") in codes


def test_unreadable_page_merged_into_the_row_before_still_may_hold_it(henan):
    # A volume split before unreadable pages had rows of their own: the page ended in the row before.
    vol = stained()
    rows = list(vol.rows)
    rows[RETIRE_AT - 2] = replace(rows[RETIRE_AT - 2], pages=2, end_page=RETIRE_AT)
    del rows[RETIRE_AT - 1]
    report = run_checks(replace(vol, rows=tuple(rows)), None, henan, now=NOW)
    assert "missing_material" not in report.codes()
    assert ("material_on_unreadable_page", RETIRE_AT) in {(f.code, f.page) for f in report.findings}
    keys = {i.key for i in report.review}
    assert {f"title:{RETIRE_AT}", f"boundary:{RETIRE_AT}"} <= keys


def test_unnamed_readable_row_is_queued_for_its_title(henan):
    vol = volume()
    rows = list(vol.rows)
    rows[1] = replace(rows[1], seq="十-1", class_code="十", title="未识别材料", remarks="未能识别材料名称，请人工核对")
    report = run_checks(replace(vol, rows=tuple(rows)), None, henan, now=NOW)
    item = next(i for i in report.review if i.key == "title:2")
    assert item.value == "" and "未能识别材料名称" in item.reason_zh
    assert ("missing_material", "招工（录用）审批表") in {(f.code, f.material) for f in report.findings}
    fixed = run_checks(replace(vol, rows=tuple(rows)), None, henan, now=NOW, corrections={"title:2": "招工审批表"})
    assert "missing_material" not in fixed.codes()


def test_title_read_inside_a_row_is_queued_as_a_boundary(henan):
    # A catalogue split by an older rule: the small-printed 退休审批表 went into the row before.
    title = Line("企业职工退休审批表", (900, 270, 1430, 310), 0.7)
    labels = tuple(Line(t, (x, 560, x + 100, 610), 0.95) for t, x in (("姓名", 230), ("性别", 900)))
    vol = volume()
    pages = list(vol.pages)
    pages[RETIRE_AT - 1] = replace(pages[RETIRE_AT - 1], lines=(title,) + labels)
    rows = list(vol.rows)
    rows[RETIRE_AT - 2] = replace(rows[RETIRE_AT - 2], pages=2, end_page=RETIRE_AT)
    del rows[RETIRE_AT - 1]
    report = run_checks(replace(vol, pages=tuple(pages), rows=tuple(rows)), None, henan, now=NOW)
    item = next(i for i in report.review if i.key == f"boundary:{RETIRE_AT}")
    assert item.value == "接续" and "企业职工退休审批表" in item.reason_zh
