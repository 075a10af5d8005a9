"""The orchestrator, the reports, the documents, the acceptance record and the commands,
on hand-built volume directories."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, replace

import docx
import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from completeness import acceptance, documents
from completeness.check import check_volume, read_report, run_checks
from completeness.cli import accept_command, check_command
from completeness.findings import Outcome, Severity
from completeness.report import render_html
from completeness.tables import AcceptanceRow
from handover.db import Base
from handover.models import Sex
from handover.policy import load_profile

from .helpers import FORMS, ID, NAME, RETIRE, page, volume

NOW = dt.datetime(2026, 11, 22, 9, 30, tzinfo=dt.timezone.utc)


@pytest.fixture(scope="module")
def henan():
    return load_profile("henan-zhengzhou")


def write_volume(folder, vol):
    folder.mkdir(parents=True, exist_ok=True)
    pages = []
    for p in vol.pages:
        d = asdict(p)
        d["lines"] = [{"text": l.text, "box": list(l.box), "confidence": l.confidence} for l in p.lines]
        d.pop("mode"), d.pop("residual_skew")
        pages.append(d)
    (folder / "ocr.json").write_text(json.dumps({"engine": "test", "pages": pages}, ensure_ascii=False), "utf-8")
    (folder / "contents.json").write_text(json.dumps({"rows": [asdict(r) for r in vol.rows]}, ensure_ascii=False), "utf-8")
    (folder / "volume.json").write_text(json.dumps({
        "id_number": vol.id_number, "name": vol.name, "ref_no": "J001-TX·410105001001-0007", "engine": "test",
        "content_pages": vol.content_pages, "blank_pages": vol.blank_pages, "duplicate_pages": vol.duplicate_pages,
        "warnings": [], "created_at": "2026-11-22T00:00:00+00:00"}, ensure_ascii=False), "utf-8")
    return folder


def incomplete_volume():
    return volume(forms=[f for f in FORMS if f[1] != "基本养老金核定表"])


def test_complete_volume_is_clean(henan):
    report = run_checks(volume(), None, henan, declared_pages=6, now=NOW)
    assert report.outcome == Outcome.COMPLETE
    assert report.findings == [] and report.missing == [] and not report.needs_review
    assert report.checked_at == "2026-11-22T09:30:00+00:00"


def test_incomplete_volume_lists_what_is_missing(henan):
    report = run_checks(incomplete_volume(), None, henan, declared_pages=7, now=NOW)
    assert report.outcome == Outcome.INCOMPLETE
    assert report.missing == ["基本养老金核定表", "缺2页（申报7页，实有5页）"]
    assert {f.code for f in report.findings} == {"missing_material", "page_count_mismatch"}


def test_numbered_rescan_is_not_counted_as_a_page_found(henan):
    vol = volume()
    rescan = page(7, 7, vol.pages[-1].text.replace("2023年6月17日", "2023年6月11日"))
    vol = replace(vol, pages=vol.pages + (rescan,), rows=vol.rows[:-1] + (replace(vol.rows[-1], pages=2, end_page=7),))
    report = run_checks(vol, None, henan, declared_pages=8, now=NOW)
    assert {(f.code, f.page) for f in report.findings} == {("duplicate_page_counted", 7), ("page_count_mismatch", None)}
    assert report.missing == ["缺2页（申报8页，实有6页）"] and report.outcome == Outcome.INCOMPLETE


def test_foreign_form_rejects_and_satisfies_nothing(henan):
    forms = [f for f in FORMS if f[1] != "企业职工退休审批表"]
    other = RETIRE.replace(NAME, "张秀兰").replace("1963年5月", "1958年2月")
    forms.append(("九-2", "企业职工退休审批表", "2018-01-20", other))
    report = run_checks(volume(forms=forms), None, henan, now=NOW)
    assert report.outcome == Outcome.REJECTED
    found = {(f.code, f.page, f.material) for f in report.findings}
    assert ("foreign_form", 6, "企业职工退休审批表") in found
    assert ("missing_material", None, "退休审批表") in found
    # The foreign form's birth date and sex are not held against the person.
    assert not {"birth_date_mismatch", "birth_date_inconsistent", "sex_mismatch"} & report.codes()


def test_unreadable_page_rejects(henan):
    vol = volume()
    vol = replace(vol, pages=vol.pages[:1] + (page(2, 2, "", confidence=0.0),) +
                  tuple(replace(p, index=p.index + 1, page_no=p.page_no + 1) for p in vol.pages[1:]),
                  rows=(replace(vol.rows[0], pages=2, end_page=2),) +
                  tuple(replace(r, start_page=r.start_page + 1, end_page=r.end_page + 1) for r in vol.rows[1:]))
    report = run_checks(vol, None, henan, now=NOW)
    assert report.outcome == Outcome.REJECTED
    assert [(f.code, f.page, f.material) for f in report.findings if f.severity == Severity.ERROR] == [
        ("unreadable_page", 2, "职工登记表")]


def test_party_membership_from_the_file_when_no_roster(henan):
    forms = [(c, t, d, x.replace("群众", "中共党员")) for c, t, d, x in FORMS]
    report = run_checks(volume(forms=forms), None, henan, now=NOW)
    assert report.party_member and report.missing == ["入党志愿书或党员登记表"]


def test_roster_row_is_the_reference(henan):
    from handover.sample import make_batch

    r = make_batch("henan-zhengzhou", 2, seed=3).retirees[0]
    report = run_checks(volume(), r, henan, now=NOW)
    assert "volume_id_mismatch" in report.codes() and report.outcome == Outcome.REJECTED
    same = r.model_copy(update={"id_number": ID, "name": NAME, "sex": Sex.MALE, "political_status": "群众",
                                 "archive_pages": 9})
    report = run_checks(volume(), same, henan, now=NOW)
    assert report.declared_pages == 9 and report.codes() == {"page_count_mismatch"}


def test_check_volume_writes_check_json(tmp_path, henan):
    folder = write_volume(tmp_path / "vol", incomplete_volume())
    report = check_volume(folder, None, henan, declared_pages=None)
    data = json.loads((folder / "check.json").read_text("utf-8"))
    assert data["outcome"] == "incomplete" and data["missing_materials"] == ["基本养老金核定表"]
    assert data["findings"][0]["code"] == "missing_material" and data["findings"][0]["label"] == "缺少必要材料"
    again = read_report(folder)
    assert again.outcome == report.outcome and again.findings == report.findings


def test_html_report_for_the_clerk(henan):
    report = run_checks(incomplete_volume(), None, henan, now=NOW)
    html = render_html(report)
    assert "不完整" in html and "缺少必要材料" in html and "基本养老金核定表" in html
    assert ID not in html and "410105********6213" in html
    evil = replace(report, name="<script>x</script>")
    assert "<script>x" not in render_html(evil)


def test_statement_and_note_sheet_records(henan):
    report = run_checks(incomplete_volume(), None, henan, declared_pages=6, now=NOW)
    st = documents.missing_statement([report], "郑州第四水泥厂", {"基本养老金核定表": "原件遗失"})
    assert [(i.name, i.material, i.reason) for i in st.items] == [
        (NAME, "基本养老金核定表", "原件遗失"), (NAME, "缺1页（申报6页，实有5页）", "")]
    complete = run_checks(volume(), None, henan, now=NOW)
    assert documents.missing_statement([complete], "郑州第四水泥厂") is None
    sheet = documents.note_sheet(report, compiler="李立", checker="赵检")
    assert sheet.total_pages == 5 and sheet.material_count == 5 and sheet.missing == ["基本养老金核定表"]
    assert sheet.explanation[0] == "页数不符：缺1页（申报6页，实有5页）。"


def test_docx_documents_rendered_with_docgen(tmp_path, henan):
    report = run_checks(incomplete_volume(), None, henan, now=NOW)
    written = documents.write_documents(report, tmp_path, enterprise="郑州第四水泥厂", compiler="李立",
                                        today=dt.date(2026, 11, 22))
    assert set(written) == {"note_sheet", "missing_statement"}
    def text(path):
        d = docx.Document(str(path))
        cells = [c.text for t in d.tables for row in t.rows for c in row.cells]
        return "\n".join([p.text for p in d.paragraphs] + cells)
    assert "基本养老金核定表" in text(written["missing_statement"])
    assert "基本养老金核定表" in text(written["note_sheet"]) and "李立" in text(written["note_sheet"])


def test_acceptance_of_incomplete_volume_recorded(henan):
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine, tables=[AcceptanceRow.__table__])
    incomplete = run_checks(incomplete_volume(), None, henan, now=NOW)
    with Session(engine) as s:
        row = acceptance.accept_incomplete(s, incomplete, "李立", "郑四水〔2026〕12号", "郑州第四水泥厂",
                                           dt.date(2026, 11, 20), now=NOW)
        s.commit()
        got = acceptance.acceptance_of(s, ID)
        assert got.id == row.id and got.accepted_by == "李立" and got.missing == ["基本养老金核定表"]
        assert got.accepted_at == dt.datetime(2026, 11, 22, 9, 30)
        for bad in (run_checks(volume(), None, henan, now=NOW),):
            with pytest.raises(acceptance.AcceptanceError, match="完整"):
                acceptance.accept_incomplete(s, bad, "李立", "x")
        with pytest.raises(acceptance.AcceptanceError, match="缺失情况说明"):
            acceptance.accept_incomplete(s, incomplete, "李立", " ")
    rejected = replace(incomplete, outcome=Outcome.REJECTED)
    assert "退回" in acceptance.refusal(rejected)


def test_check_command(tmp_path):
    folder = write_volume(tmp_path / "vol", incomplete_volume())
    runner = CliRunner()
    res = runner.invoke(check_command, [str(folder), "--profile", "henan-zhengzhou", "--json", "--declared-pages", "5"])
    assert res.exit_code == 1, res.output  # a finding: the volume is incomplete
    data = json.loads(res.output)
    assert data["outcome"] == "incomplete" and data["missing"] == ["基本养老金核定表"]
    assert (folder / "check.html").exists()
    res = runner.invoke(check_command, [str(folder), "--profile", "henan-zhengzhou", "--docs", str(tmp_path / "docs"),
                                        "--checker", "赵检", "--received-on", "2026-11-20"])
    assert res.exit_code == 1, res.output
    assert "不完整" in res.output and ID not in res.output
    assert (tmp_path / "docs" / "档案材料缺失情况说明.docx").exists()
    sheet = docx.Document(str(tmp_path / "docs" / "备考表.docx"))
    assert any("赵检" in p.text for p in sheet.paragraphs) or any(
        "赵检" in c.text for t in sheet.tables for r in t.rows for c in r.cells)


def test_check_command_errors(tmp_path, data_dir):
    runner = CliRunner()
    res = runner.invoke(check_command, [str(tmp_path / "nope"), "--profile", "henan-zhengzhou"])
    assert res.exit_code == 3 and "案卷目录不存在" in res.output
    folder = write_volume(tmp_path / "vol", volume())
    res = runner.invoke(check_command, [str(folder)])
    assert res.exit_code == 3 and "--profile" in res.output
    res = runner.invoke(check_command, [str(folder), "--profile", "nowhere"])
    assert res.exit_code == 3 and "nowhere" in res.output


def test_accept_command(tmp_path, data_dir):
    folder = write_volume(tmp_path / "vol", incomplete_volume())
    runner = CliRunner()
    assert runner.invoke(check_command, [str(folder), "--profile", "henan-zhengzhou"]).exit_code == 1  # incomplete
    res = runner.invoke(accept_command, [str(folder), "--by", "李立", "--statement", "郑四水〔2026〕12号",
                                         "--signed-on", "2026-11-20"])
    assert res.exit_code == 0, res.output
    assert "李立" in res.output
    data = json.loads((folder / "check.json").read_text("utf-8"))
    assert data["acceptance"]["accepted_by"] == "李立" and data["acceptance"]["statement_signed_on"] == "2026-11-20"
    clean = write_volume(tmp_path / "clean", volume())
    assert runner.invoke(check_command, [str(clean), "--profile", "henan-zhengzhou"]).exit_code == 0
    res = runner.invoke(accept_command, [str(clean), "--by", "李立", "--statement", "x"])
    assert res.exit_code == 3 and "无需书面说明" in res.output
