"""Spreadsheet exports cannot be broken or weaponised by what users type: control characters
do not make an export fail, and text that looks like a formula stays text (finding 3 and 4 of
issue 19)."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select

from archive_store.tables import AuditRow, VolumeRow
from handover import clock
from handover.db import session_scope

HYPERLINK = '=HYPERLINK("http://evil.example/x","打开")'


def _cells(content: bytes) -> list:
    wb = load_workbook(io.BytesIO(content))
    return [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]


def _assert_no_formula(cells) -> None:
    formulas = [c.value for c in cells if c.data_type == "f" or (isinstance(c.value, str) and c.value[:1] in "=+-@")
                and c.value.strip("-")]
    assert not formulas, formulas


def test_audit_export_survives_control_characters_and_keeps_formulas_as_text(app, as_user, seed):
    client = TestClient(app)
    for name in ("bad\u0007user", HYPERLINK, "@SUM(1+1)"):
        assert client.post("/api/session", json={"username": name, "password": "wrong-password"}).status_code == 401
    # A refused URL with a NUL in it (a role that may not manage users).
    assert as_user("comm_a").post("/api/users/a%00b/disable").status_code == 403
    assert as_user("archivist").get("/api/search", params={"q": "+cmd|' /C calc'!A0"}).status_code == 200
    with session_scope(seed.cfg) as s:
        # Stored with the control characters written out, so every later page and export can show them.
        failed = [r.actor for r in s.scalars(select(AuditRow).where(AuditRow.action == "login_failed"))]
        assert "bad\\x07user" in failed
        denied = s.scalar(select(AuditRow).where(AuditRow.action == "denied", AuditRow.actor == "comm_a"))
        assert "\x00" not in str(denied.detail) and "\\x00" in denied.detail["path"]
        # A row written before this rule held (or by another writer) must not break the export either.
        s.add(AuditRow(at=clock.utcnow(), actor="old\x01row", action="login_failed", target="x\x1f", reason="",
                       detail={}))
    admin = as_user("admin")
    for params in ({}, {"action": "login_failed"}, {"actor": "comm_a"}):
        r = admin.get("/admin/audit.xlsx", params=params)
        assert r.status_code == 200, r.text
    cells = _cells(admin.get("/admin/audit.xlsx").content)
    values = [c.value for c in cells]
    _assert_no_formula(cells)
    assert "'" + HYPERLINK in values and "'@SUM(1+1)" in values and "bad\\x07user" in values
    assert "oldrow" in values  # what XLSX cannot hold is dropped, the rest kept
    assert any("+cmd" in str(v) for v in values)


def test_catalog_export_keeps_a_formula_like_name_as_text(as_user, seed):
    with session_scope(seed.cfg) as s:
        s.get(VolumeRow, seed.volume_a).name = HYPERLINK
        s.get(VolumeRow, seed.volume_c).name = "-2+3\u0007"
    for who in ("archivist", "comm_a"):
        r = as_user(who).get(f"/catalogs/{seed.community_a}.xlsx")
        assert r.status_code == 200, r.text
        cells = _cells(r.content)
        _assert_no_formula(cells)
        values = [c.value for c in cells]
        assert "'" + HYPERLINK in values and "'-2+3" in values
        # Numbers stay numbers (序号, 页数).
        assert any(isinstance(v, int) for v in values)


def test_list_exports_are_written_as_streams_and_keep_their_title_and_header_rows(as_user, seed):
    """A write-only sheet is written row by row, so it carries no dimension computed over all its
    cells (a workbook held in memory does): every list export is streamed. The title row stays
    merged, centred and bold above bold headers (handover.cells.start_sheet)."""
    archivist = as_user("archivist")
    exports = [(archivist, f"/catalogs/{seed.community_a}.xlsx", True), (archivist, "/catalogs.xlsx", True),
               (archivist, "/requests/register.xlsx", True), (as_user("ent_b"), "/roster/summary.xlsx", True),
               (as_user("admin"), "/admin/audit.xlsx", False)]
    for api, url, titled in exports:
        r = api.get(url)
        assert r.status_code == 200, (url, r.text)
        streamed = load_workbook(io.BytesIO(r.content), read_only=True)
        assert all(ws.max_row is None for ws in streamed.worksheets), url
        for ws in load_workbook(io.BytesIO(r.content)).worksheets:
            if titled:
                assert [str(m) for m in ws.merged_cells.ranges][0].startswith("A1:"), url
                assert ws["A1"].font.b and ws["A1"].alignment.horizontal == "center" and ws["A2"].font.b, url
                assert ws.freeze_panes == "A3", url
            else:
                assert ws["A1"].value == "时间" and ws.freeze_panes == "A2", url
