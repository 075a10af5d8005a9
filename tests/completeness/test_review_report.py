"""The 校对 queue as the clerk's report and the terminal show it (completeness.report)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from completeness.check import CheckReport
from completeness.findings import Outcome, finding
from completeness.report import render_html, summary_lines
from completeness.review import ReviewItem
from handover import idnumber

ID = "410102195003051234"


def _report(waived: bool = False) -> CheckReport:
    return CheckReport(outcome=Outcome.COMPLETE, findings=[], missing=[], id_number=ID, name="刘建",
                       ref_no=None, region="henan-zhengzhou", party_member=False, declared_pages=None,
                       content_pages=5, blank_pages=0, duplicate_pages=0, images=5, waived=waived,
                       review=[ReviewItem("name", 3, "刘健", "姓名识别把握不大，与花名册差一字"),
                               ReviewItem("id_number", 4, "410102195003051235", "校验码不符"),
                               ReviewItem("formed_on", 6, "一九五年三月八日", "年份缺一位，不作推测")])


def test_open_items_make_the_outcome_provisional_and_are_listed():
    r = _report()
    assert r.provisional and CheckReport.from_json(r.to_json()).provisional
    lines = summary_lines(r)
    assert lines[1].startswith("待校对3项") and "方为最终" in lines[1]
    assert any("第3幅图像 姓名：识别为“刘健”" in l for l in lines)
    html = render_html(r)
    assert "待校对3项" in html and "待校对事项" in html and "一九五年三月八日" in html


def test_an_id_number_in_the_queue_is_masked_in_reports():
    r = _report()
    text = "\n".join(summary_lines(r)) + render_html(r)
    assert "410102195003051235" not in text and "410102********1235" in text


def test_a_waived_queue_is_final():
    r = _report(waived=True)
    assert not r.provisional
    assert "已放弃校对" in summary_lines(r)[1]
    assert "校对或放弃后结论方为最终" not in render_html(r)


def test_no_statement_and_no_acceptance_while_the_queue_is_open(tmp_path):
    from completeness.acceptance import refusal
    from completeness.documents import write_documents
    from completeness.findings import finding

    open_ = _report()
    open_.outcome = Outcome.INCOMPLETE
    open_.findings = [finding("missing_material", "缺少必要材料“退休审批表”", material="退休审批表")]
    open_.missing = ["退休审批表"]
    assert "3项待校对" in refusal(open_)
    assert set(write_documents(open_, tmp_path / "open")) == {"note_sheet"}
    open_.waived = True  # staff settled the queue as it stands: the statement may now be drafted
    assert refusal(open_) is None
    assert set(write_documents(open_, tmp_path / "waived")) == {"note_sheet", "missing_statement"}


def test_the_birth_date_completing_the_masked_number_is_cut_to_the_year_in_reports():
    number = idnumber.make("410102", dt.date(1950, 3, 5), 123)
    r = replace(_report(), id_number=number,
                findings=[finding("birth_date_mismatch", "身份证号码中的出生日期为1950年03月05日，"
                                  "档案中最先记载的出生日期为1951年4月（第2幅图像）。")],
                review=[ReviewItem("birth", 2, "1950年3月", "出生年月识别可信度低，请核对")])
    text = "\n".join(summary_lines(r)) + render_html(r)
    assert "1950年**月**日" in text and "1950年03月05日" not in text and "1951年4月" in text
    assert "1950年**月" in text and "1950年3月" not in text
