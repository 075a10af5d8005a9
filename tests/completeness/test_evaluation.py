"""Scoring against the generator's truth (used by the e2e tests and the benchmark)."""

from __future__ import annotations

from tests.support.evaluation import Expected, Score, expected_findings, expected_outcome
from completeness.findings import Outcome, finding
from handover.policy import load_profile


def _truth(materials, pages, party=False):
    return {"party_member": party, "materials": [{"title": t, "foreign": f} for t, f in materials], "pages": pages}


def _page(i, no=None, dup=None, foreign=False, unreadable=False):
    return {"index": i, "page_no": no, "duplicate_of": dup, "foreign": foreign, "unreadable": unreadable, "blank": False}


def test_expected_findings_from_truth():
    henan = load_profile("henan-zhengzhou")
    mats = [("职工登记表", False), ("招工审批表", False), ("职工转正定级审批表", False), ("职工工资变动审批表", False),
            ("基本养老金核定表", False), ("企业职工退休审批表", True)]
    pages = [_page(1, 1), _page(2, None, dup=1), _page(3, 2, unreadable=True), _page(4, 3, foreign=True)]
    exp = expected_findings(_truth(mats, pages, party=True), henan, dropped_content_pages=1)
    assert set(exp) == {Expected("missing_material", material="退休审批表"),
                        Expected("missing_material", material="入党志愿书或党员登记表"),
                        Expected("page_count_mismatch"), Expected("duplicate_page", page=2),
                        Expected("unreadable_page", page=3), Expected("foreign_form", page=4)}
    assert expected_outcome(exp) == Outcome.REJECTED
    assert expected_outcome([Expected("page_count_mismatch")]) == Outcome.INCOMPLETE
    assert expected_outcome([Expected("duplicate_page", page=2)]) == Outcome.COMPLETE


def test_score_counts_hits_false_alarms_and_misses():
    s = Score()
    s.add("x", [Expected("duplicate_page", page=2), Expected("unreadable_page", page=5)],
          [finding("duplicate_page", "m", 2), finding("unreadable_page", "m", 4), finding("formed_on_missing", "m")])
    assert (s.tp["duplicate_page"], s.fp["unreadable_page"], s.fn["unreadable_page"]) == (1, 1, 1)
    assert s.notes["formed_on_missing"] == 1 and "formed_on_missing" not in s.codes()
    assert s.precision() == 0.5 and s.recall() == 0.5 and s.recall("duplicate_page") == 1.0


def test_expected_findings_for_the_handwriting_faults():
    """An illegible first page keeps its material; a near-name form is foreign; pencil gaps are no defect."""
    henan = load_profile("henan-zhengzhou")
    mats = [("职工登记表", False), ("招工审批表", False), ("职工转正定级审批表", False), ("职工工资变动审批表", False),
            ("基本养老金核定表", False), ("企业职工退休审批表", False), ("企业职工退休审批表", True)]
    truth = _truth(mats, [_page(1, 1), _page(2, 2, unreadable=True), _page(3, 3), _page(4, 4, foreign=True),
                          _page(5, 5), _page(6, 6), _page(7, 7)])
    truth["materials"][1]["first_page_unreadable"] = True  # 招工审批表, its only page illegible
    for p in truth["pages"]:
        p["written_page_no"] = None if p["index"] in (3, 5) else p["page_no"]  # unnumbered pages
    exp = expected_findings(truth, henan)
    assert set(exp) == {Expected("unreadable_page", page=2), Expected("foreign_form", page=4)}
    assert expected_outcome(exp) == Outcome.REJECTED
    # Without the illegible page and the other person's form, nothing is wrong with the file.
    truth["pages"][1]["unreadable"] = truth["pages"][3]["foreign"] = False
    assert expected_findings(truth, henan) == []
