"""End to end: generated scans → OCR pipeline → check_volume, against the generator's truth."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from completeness.check import check_volume
from completeness.cli import check_command
from tests.support.evaluation import NOT_SCORED, expected_findings
from completeness.findings import Outcome, Severity
from handover.policy import load_profile

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def henan():
    return load_profile("henan-zhengzhou")


def _check(d, profile):
    return check_volume(d.volume, None, profile, d.declared_pages)


def at(report, code):
    return [(f.page, f.material) for f in report.findings if f.code == code]


def test_complete_dossier_passes_clean(digitized, henan):
    d = digitized[0]
    report = _check(d, henan)
    assert report.outcome == Outcome.COMPLETE, [f.message_zh for f in report.findings]
    # No false alarms: nothing to fix, nothing to review; the rescan is only noted.
    assert [f for f in report.findings if f.severity != Severity.INFO] == []
    assert {f.code for f in report.findings} <= {"duplicate_page"} | NOT_SCORED
    rescans = [p["index"] for p in d.truth["pages"] if p["duplicate_of"]]
    assert [p for p, _ in at(report, "duplicate_page")] == rescans
    assert json.loads((d.volume / "check.json").read_text("utf-8"))["outcome"] == "complete"


def test_missing_material_and_missing_page(digitized, henan):
    d = digitized[1]
    assert not any(m["title"] == "自传" for m in d.truth["materials"])  # position 2 was the 自传
    report = _check(d, henan)
    assert report.outcome == Outcome.INCOMPLETE
    assert at(report, "missing_material") == [(None, "基本养老金核定表")]
    assert at(report, "page_count_mismatch") == [(None, None)]
    assert report.missing == ["基本养老金核定表", f"缺1页（申报{d.declared_pages}页，实有{d.declared_pages - 1}页）"]
    assert {f.code for f in report.findings if f.severity != Severity.INFO} == {"missing_material",
                                                                                "page_count_mismatch"}


def test_repeated_page_foreign_form_and_unreadable_page(digitized, henan):
    d = digitized[2]
    report = _check(d, henan)
    repeated = [p["index"] for p in d.truth["pages"] if p["duplicate_of"]]
    foreign = [p["index"] for p in d.truth["pages"] if p["foreign"]]
    assert len(repeated) == 1 and len(foreign) == 1
    assert [p for p, _ in at(report, "duplicate_page")] == repeated
    assert at(report, "foreign_form") == [(foreign[0], "企业职工退休审批表")]
    assert report.outcome == Outcome.REJECTED
    # The person's own 退休审批表 is there: the foreign one does not make anything missing.
    assert at(report, "missing_material") == []
    unreadable = [p["index"] for p in d.truth["pages"] if p["unreadable"]]
    assert unreadable == [2]
    assert [p for p, _ in at(report, "unreadable_page")] == unreadable
    assert {f.code for f in report.findings if f.severity != Severity.INFO} == {"foreign_form", "unreadable_page"}


def test_findings_match_ground_truth_exactly(digitized, henan):
    """Every expected finding found, and no error or warning the truth does not explain."""
    for d in digitized:
        report = _check(d, henan)
        dropped = d.declared_pages - sum(1 for p in d.truth["pages"] if p["page_no"])
        expected = expected_findings(d.truth, henan, dropped)
        left = [f for f in report.findings if f.code not in NOT_SCORED]
        for e in expected:
            hit = next((f for f in left if e.matches(f)), None)
            assert hit is not None, (d.truth["faults"], e)
            left.remove(hit)
        assert left == [], (d.truth["faults"], [(f.code, f.page, f.message_zh) for f in left])


def test_check_command_on_a_digitized_volume(digitized, tmp_path):
    d = digitized[1]
    res = CliRunner().invoke(check_command, [str(d.volume), "--profile", "henan-zhengzhou", "--declared-pages",
                                             str(d.declared_pages), "--docs", str(tmp_path), "--enterprise", "某某厂"])
    assert res.exit_code == 1, res.output  # incomplete: a finding
    assert "基本养老金核定表" in res.output and d.truth["id_number"] not in res.output
    assert (tmp_path / "档案材料缺失情况说明.docx").exists() and (tmp_path / "备考表.docx").exists()
