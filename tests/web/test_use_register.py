"""档案利用登记簿: a month's granted 查阅/外借 with approver, dates, return and 利用效果, per community,
as a page, its paged API, an XLSX, a PDF and a DOCX to print, and from the CLI; for archive staff
and admins only; 利用效果 recorded on close."""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
from html import unescape
from pathlib import Path
from urllib.parse import quote

import pytest
from docx import Document

from alembic import command
from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy import inspect, text, update

from archive_store.cli import requests_register
from archive_store.tables import AccessRequestRow
from handover import clock, migrations
from handover import db as core_db
from handover.db import engine_for, init_db, session_scope

from .test_dossiers import audit_rows

HTML = {"accept": "text/html"}
HEADERS = ["序号", "日期", "利用人", "单位", "档号", "姓名", "利用方式", "事由", "批准人", "借出/查阅日期",
           "应还日期", "归还日期", "利用效果", "备注"]


def _file(api, volume_id: int, kind: str, reason: str, days: int | None = None, organisation: str = "") -> int:
    body = {"kind": kind, "reason": reason, "organisation": organisation}
    if days is not None:
        body["due_on"] = (clock.today() + dt.timedelta(days=days)).isoformat()
    r = api.post(f"/api/dossiers/{volume_id}/requests", json=body)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _sheet(content: bytes) -> list[list]:
    ws = load_workbook(io.BytesIO(content)).active
    return [[c if c is not None else "" for c in row] for row in ws.iter_rows(values_only=True)]


def _pdf_text(data: bytes, tmp_path: Path) -> str:
    """The PDF's text as pdftotext reads it in drawing order (a row's cells one after the other, a
    wrapped cell's lines together), blanks removed."""
    path = tmp_path / "read.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return re.sub(r"\s+", "", out)


def _joined(values) -> str:
    return re.sub(r"\s+", "", "".join(str(v) for v in values))


def _docx_rows(data: bytes) -> list[list[str]]:
    """The DOCX's register table: header then data rows (the header-fields row left out)."""
    table = Document(io.BytesIO(data)).tables[0]
    rows = [[cell.text.replace("\n", "") for cell in row.cells] for row in table.rows]
    return rows[next(i for i, row in enumerate(rows) if row[0] == "序号"):]


def _uses(seed, as_user) -> dict:
    """A month of uses: a 外借 returned with its 利用效果, a 查阅 read and finished, a 外借 of community
    B still out, one rejected and one pending (no uses), one approved last month."""
    comm_a, comm_b, archivist = as_user("comm_a"), as_user("comm_b"), as_user("archivist")
    loan = _file(comm_a, seed.volume_a, "loan", "办理养老待遇核定", days=10, organisation="金水区社保中心")
    view = _file(comm_a, seed.volume_c, "view", "核实出生日期")
    out = _file(comm_b, seed.volume_b, "loan", "落实退休政策", days=5)
    rejected = _file(comm_a, seed.volume_a, "view", "无关事由")
    pending = _file(comm_a, seed.volume_a, "view", "尚未审批")
    earlier = _file(comm_a, seed.volume_c, "view", "上月的查阅")
    for rid in (loan, view, out):
        assert archivist.post(f"/api/requests/{rid}/approve", json={"note": "同意"}).status_code == 200
    archivist.post(f"/api/requests/{rejected}/reject", json={"note": "事由不符"})
    assert comm_a.get(f"/dossiers/{seed.volume_c}/pages/1/image").status_code == 200  # the 查阅 itself
    assert archivist.post(f"/api/requests/{earlier}/approve", json={}).status_code == 200
    # The close form, with a common choice; the API, with free text.
    r = archivist.post(f"/requests/{loan}/close", data={"effect": "办理待遇"}, follow_redirects=False)
    assert r.status_code == 303
    r = comm_a.post(f"/api/requests/{view}/close", json={"effect": "核实身份：出生日期以招工表为准"})
    assert r.status_code == 200 and r.json()["use_effect"] == "核实身份：出生日期以招工表为准"
    last_month = clock.today().replace(day=1) - dt.timedelta(days=3)
    with session_scope(seed.cfg) as session:
        session.execute(update(AccessRequestRow).where(AccessRequestRow.id == earlier)
                        .values(decided_at=dt.datetime.combine(last_month, dt.time(4))))
    return dict(loan=loan, view=view, out=out, rejected=rejected, pending=pending, earlier=earlier,
                month=clock.today().strftime("%Y-%m"), last_month=last_month.strftime("%Y-%m"))


def test_a_months_register_lists_its_uses_with_approver_dates_return_and_effect(as_user, seed):
    uses = _uses(seed, as_user)
    archivist = as_user("archivist")
    today = clock.today().isoformat()
    r = archivist.get("/requests/register.xlsx", params={"month": uses["month"]})
    assert r.status_code == 200, r.text
    rows = _sheet(r.content)
    assert "全部社区 档案利用登记簿" in rows[0][0]
    assert rows[1] == HEADERS
    lines = {line[7]: dict(zip(HEADERS, line)) for line in rows[2:]}
    assert set(lines) == {"办理养老待遇核定", "核实出生日期", "落实退休政策"}  # not rejected, pending, last month's
    loan = lines["办理养老待遇核定"]
    assert (loan["利用人"], loan["单位"], loan["姓名"], loan["利用方式"], loan["批准人"]) == \
        ("comm_a", "金水区社保中心", "张建国", "外借", "archivist")
    assert loan["借出/查阅日期"] == today and loan["归还日期"] == today and loan["利用效果"] == "办理待遇"
    assert loan["应还日期"] == (clock.today() + dt.timedelta(days=10)).isoformat()
    view = lines["核实出生日期"]
    assert view["利用方式"] == "查阅" and view["利用效果"] == "核实身份：出生日期以招工表为准"
    assert "查看原件1次" in view["备注"] and view["借出/查阅日期"] == today
    still_out = lines["落实退休政策"]
    assert still_out["归还日期"] == "" and "未归还" in still_out["备注"] and still_out["姓名"] == "王淑芬"
    assert sorted(line["序号"] for line in lines.values()) == [1, 2, 3]
    assert audit_rows(seed, action="export_use_register", actor="archivist")

    before = archivist.get("/requests/register.xlsx", params={"month": uses["last_month"]})
    assert [line[7] for line in _sheet(before.content)[2:]] == ["上月的查阅"]

    page = unescape(archivist.get("/requests/register", params={"month": uses["month"]}, headers=HTML).text)
    assert "档案利用登记簿" in page and 'media="print"' in page
    for text_ in ("办理养老待遇核定", "核实出生日期", "落实退休政策", "办理待遇", "金水区社保中心"):
        assert text_ in page
    assert "无关事由" not in page and "上月的查阅" not in page


def test_the_register_of_one_community(as_user, seed):
    uses = _uses(seed, as_user)
    admin = as_user("admin")
    r = admin.get("/requests/register.xlsx", params={"month": uses["month"], "community": seed.community_a})
    rows = _sheet(r.content)
    assert [line[7] for line in rows[2:]] == ["办理养老待遇核定", "核实出生日期"]
    page = admin.get("/requests/register", params={"month": uses["month"], "community": seed.community_b},
                     headers=HTML).text
    assert "落实退休政策" in page and "办理养老待遇核定" not in page
    assert admin.get("/requests/register", params={"month": "2026-13"}, headers=HTML).status_code == 400
    assert admin.get("/requests/register", params={"community": "99999"}, headers=HTML).status_code == 400


def test_only_custodians_see_the_register(as_user, seed):
    _uses(seed, as_user)
    for user in ("comm_a", "comm_b", "ent_a"):
        assert as_user(user).get("/requests/register", headers=HTML).status_code == 403
        assert as_user(user).get("/requests/register.xlsx").status_code == 403


def test_the_close_form_offers_and_records_the_effect(as_user, seed):
    comm_a, archivist = as_user("comm_a"), as_user("archivist")
    rid = _file(comm_a, seed.volume_a, "loan", "办理养老待遇核定", days=3)
    assert archivist.post(f"/api/requests/{rid}/approve", json={"effect": "办理待遇"}).status_code == 400
    archivist.post(f"/api/requests/{rid}/approve", json={})
    html = archivist.get("/requests", headers=HTML).text
    assert 'name="effect" list="use-effects"' in html
    assert all(f'<option value="{e}">' in html for e in ("办理待遇", "核实身份", "落实政策", "其他"))
    archivist.post(f"/requests/{rid}/close", data={"effect": "落实政策"})
    listed = archivist.get("/api/requests").json()["requests"]
    assert [(r["status"], r["use_effect"]) for r in listed if r["id"] == rid] == [("closed", "落实政策")]
    closed = audit_rows(seed, action="request_closed")
    assert closed[-1].detail["use_effect"] == "落实政策"


def test_cli_exports_a_months_register(as_user, seed, tmp_path):
    uses = _uses(seed, as_user)
    out = tmp_path / "登记簿.xlsx"
    result = CliRunner().invoke(requests_register, ["--month", uses["month"], "--community", str(seed.community_b),
                                                    "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = _sheet(out.read_bytes())
    assert [line[7] for line in rows[2:]] == ["落实退休政策"]
    bad = CliRunner().invoke(requests_register, ["--month", "11/2026", "--out", str(out)])
    assert bad.exit_code != 0 and "年-月" in bad.output


def test_an_older_database_gets_the_effect_column(seed):
    engine = engine_for(seed.cfg.db_url)
    with engine.begin() as conn:
        command.downgrade(migrations.config(conn), "0007")  # revision 0008's (PostgreSQL's index)
        conn.execute(text("ALTER TABLE access_requests DROP COLUMN use_effect"))
        conn.execute(text("DROP TABLE alembic_version"))  # made before migrations: the legacy path
        for index in ("ix_retirees_enterprise_place", "ix_retirees_enterprise_roster"):  # revision 0002's
            conn.execute(text(f"DROP INDEX {index}"))
        for table in ("acceptance_marks", "acceptances", "community_contacts"):  # revisions 0003 and 0004
            conn.execute(text(f"DROP TABLE {table}"))
        conn.execute(text("ALTER TABLE enterprises DROP COLUMN roster_changed_at"))  # revision 0005's
        conn.execute(text("ALTER TABLE web_bundles DROP COLUMN task_id"))
        conn.execute(text("ALTER TABLE web_bundles DROP COLUMN heartbeat_at"))
    core_db._created.pop(seed.cfg.db_url, None)
    if engine.dialect.name != "sqlite":  # a server database is upgraded by `handover db upgrade`
        core_db.upgrade(engine)
    init_db(seed.cfg)
    with engine.connect() as conn:
        assert "use_effect" in {c["name"] for c in inspect(conn).get_columns("access_requests")}


def test_the_register_printed_as_pdf_and_docx_has_the_pages_lines(as_user, seed, tmp_path):
    """The same lines and columns as the page and the XLSX, on paper: PDF read back with pdftotext,
    DOCX with its table, both filtered by month and community; linked from the page."""
    uses = _uses(seed, as_user)
    archivist = as_user("archivist")
    scope = {"month": uses["month"], "community": seed.community_a}
    r = archivist.get("/requests/register.pdf", params=scope)
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf", r.text
    assert quote(f"-档案利用登记簿-{uses['month']}.pdf") in r.headers["content-disposition"]
    text_ = _pdf_text(r.content, tmp_path)
    assert "档案利用登记簿" in text_ and "登记人" in text_ and "审核人" in text_
    assert _joined(HEADERS) in text_
    sheet = _sheet(archivist.get("/requests/register.xlsx", params=scope).content)[2:]
    assert [line[7] for line in sheet] == ["办理养老待遇核定", "核实出生日期"]
    for line in sheet:  # every cell of the XLSX's row, in the same order, on the printed row
        assert _joined(line) in text_, line
    assert "落实退休政策" not in text_ and "无关事由" not in text_ and "上月的查阅" not in text_

    xlsx = [dict(zip(HEADERS, line)) for line in sheet]
    r = archivist.get("/requests/register.docx", params=scope)
    assert r.status_code == 200 and r.headers["content-type"].endswith("wordprocessingml.document")
    rows = _docx_rows(r.content)
    assert rows[0] == HEADERS
    assert [dict(zip(HEADERS, row)) for row in rows[1:]] == [{k: str(v) for k, v in line.items()} for line in xlsx]
    assert len(audit_rows(seed, action="export_use_register", actor="archivist")) == 3

    page = unescape(archivist.get("/requests/register", params=scope, headers=HTML).text)
    for fmt in ("xlsx", "pdf", "docx"):
        assert f'href="/requests/register.{fmt}?month={uses["month"]}&community={seed.community_a}"' in page

    empty = archivist.get("/requests/register.pdf", params={"month": "2020-01"})
    assert empty.status_code == 200 and "档案利用登记簿" in _pdf_text(empty.content, tmp_path)
    assert archivist.get("/requests/register.docx", params={"month": "2026-13"}).status_code == 400


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")
def test_the_register_docx_opens_in_libreoffice(as_user, seed, tmp_path):
    from docgen.convert import convert_to_pdf

    uses = _uses(seed, as_user)
    docx = tmp_path / "登记簿.docx"
    docx.write_bytes(as_user("admin").get("/requests/register.docx", params={"month": uses["month"]}).content)
    (pdf,) = convert_to_pdf([docx])
    text_ = _pdf_text(pdf.read_bytes(), tmp_path)
    for value in ("全部社区档案利用登记簿", "事由", "批准人", "利用效果", "办理养老待遇核定", "核实出生日期", "落实退休政策"):
        assert value in text_, value


def test_the_register_api_is_paged_like_the_other_lists(as_user, seed):
    uses = _uses(seed, as_user)
    archivist = as_user("archivist")
    r = archivist.get("/api/requests/register", params={"month": uses["month"], "limit": 2})
    assert r.status_code == 200, r.text
    first = r.json()
    assert first["total"] == 3 and first["limit"] == 2 and first["community"] is None
    assert [c["header"] for c in first["columns"]] == HEADERS
    assert [line["seq"] for line in first["lines"]] == [1, 2]
    assert [line["reason"] for line in first["lines"]] == ["办理养老待遇核定", "核实出生日期"]
    loan = first["lines"][0]
    assert (loan["approver"], loan["effect"], loan["kind"], loan["organisation"]) == \
        ("archivist", "办理待遇", "外借", "金水区社保中心")
    assert f"month={uses['month']}" in first["next"] and "offset=2" in first["next"]
    second = archivist.get(first["next"]).json()
    assert [(line["seq"], line["reason"]) for line in second["lines"]] == [(3, "落实退休政策")]
    assert second["next"] is None
    newest = archivist.get("/api/requests/register", params={"month": uses["month"], "sort": "-approved"}).json()
    assert [line["seq"] for line in newest["lines"]] == [3, 2, 1]
    one = archivist.get("/api/requests/register",
                        params={"month": uses["month"], "community": seed.community_b}).json()
    assert one["total"] == 1 and one["community"]["id"] == seed.community_b
    kept = archivist.get("/api/requests/register",
                         params={"month": uses["month"], "community": seed.community_a, "limit": 1}).json()
    assert f"community={seed.community_a}" in kept["next"] and kept["total"] == 2
    assert archivist.get("/api/requests/register", params={"sort": "reason"}).status_code == 400
    assert audit_rows(seed, action="read_use_register", actor="archivist")
    for user in ("comm_a", "ent_a"):
        assert as_user(user).get("/api/requests/register").status_code == 403
        assert as_user(user).get("/requests/register.pdf").status_code == 403
        assert as_user(user).get("/requests/register.docx").status_code == 403


def test_cli_prints_a_months_register_as_pdf_and_docx(as_user, seed, tmp_path):
    uses = _uses(seed, as_user)
    for name in ("登记簿.pdf", "登记簿.docx"):
        out = tmp_path / name
        result = CliRunner().invoke(requests_register, ["--month", uses["month"], "--community",
                                                        str(seed.community_b), "--out", str(out)])
        assert result.exit_code == 0, result.output
    assert "落实退休政策" in _pdf_text((tmp_path / "登记簿.pdf").read_bytes(), tmp_path)
    rows = _docx_rows((tmp_path / "登记簿.docx").read_bytes())
    assert [row[7] for row in rows[1:]] == ["落实退休政策"]
    bad = CliRunner().invoke(requests_register, ["--month", uses["month"], "--out", str(tmp_path / "x.csv")])
    assert bad.exit_code != 0 and ".pdf" in bad.output
