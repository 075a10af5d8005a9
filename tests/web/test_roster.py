"""Enterprise roster flow through the API and pages: upload → report → import → summary, with
the enterprise scope, upload limits and path-traversal attempts."""

from __future__ import annotations

import io
import re

from openpyxl import load_workbook

from handover.idnumber import mask
from handover.roster.writer import write_csv, write_xlsx



def roster(tmp_path, batch, bad_row: int | None = None, name="名册.xlsx"):
    path = write_xlsx(tmp_path / name, batch.retirees, batch.enterprise)
    if bad_row:
        wb = load_workbook(path)
        wb.active.cell(row=bad_row, column=7).value = "410105194912310021"  # wrong check character
        wb.save(path)
    return path


def upload(api, path, name=None, ctype="application/octet-stream"):
    with open(path, "rb") as fh:
        return api.post("/api/roster/uploads", files={"file": (name or path.name, fh, ctype)})


def test_upload_shows_row_column_reason_and_imports_nothing_yet(as_user, seed, tmp_path):
    ent = as_user("ent_a")
    r = upload(ent, roster(tmp_path, seed.batch_a, bad_row=6))
    assert r.status_code == 201, r.text
    report = r.json()["report"]
    assert report["rows_total"] == 12 and report["errors"] == 1 and not report["committed"]
    problem = next(p for p in report["problems"] if p["is_error"])
    assert problem["row"] == 6 and "身份证" in problem["column"] and "校验位" in problem["message"]
    assert "410105194912310021" not in r.text  # masked for the enterprise role
    assert ent.get("/api/roster/summary").json()["total"] == 0


def test_import_all_is_refused_with_errors_and_valid_only_imports_the_rest(as_user, seed, tmp_path):
    ent = as_user("ent_a")
    token = upload(ent, roster(tmp_path, seed.batch_a, bad_row=6)).json()["token"]
    r = ent.post(f"/api/roster/uploads/{token}/import", json={"mode": "all"})
    assert r.status_code == 200 and r.json()["status"] == "checked" and not r.json()["report"]["committed"]
    assert ent.get("/api/roster/summary").json()["total"] == 0
    r = ent.post(f"/api/roster/uploads/{token}/import", json={"mode": "valid_only"})
    assert r.json()["status"] == "imported" and r.json()["report"]["rows_imported"] == 11
    summary = ent.get("/api/roster/summary").json()
    assert summary["total"] == summary["imported"] == 11 == len(summary["retirees"])
    assert sum(c["count"] for c in summary["communities"]) == summary["statuses"]["routed"]
    assert all("*" in p["id_number"] for p in summary["retirees"])
    assert ent.post(f"/api/roster/uploads/{token}/import", json={"mode": "all"}).status_code == 409
    assert ent.post(f"/api/roster/uploads/{token}/import", json={"mode": "everything"}).status_code in (400, 409)


def test_clean_csv_roster_imports_in_full(as_user, seed, tmp_path):
    ent = as_user("ent_a")
    path = write_csv(tmp_path / "名册.csv", seed.batch_a.retirees, "gb18030")
    r = upload(ent, path, ctype="text/csv")
    assert r.json()["report"]["errors"] == 0
    r = ent.post(f"/api/roster/uploads/{r.json()['token']}/import", json={"mode": "all"})
    assert r.json()["report"]["rows_imported"] == 12


def test_an_enterprise_never_sees_another_enterprises_retirees(as_user, seed, tmp_path):
    ent_a, ent_b = as_user("ent_a"), as_user("ent_b")
    summary_b = ent_b.get("/api/roster/summary").json()
    assert summary_b["total"] == 8
    summary_a = ent_a.get("/api/roster/summary").json()
    names_b = {r.name for r in seed.batch_b.retirees}
    assert summary_a["total"] == 0 and not names_b & {r["name"] for r in summary_a["retirees"]}
    token_b = upload(ent_b, roster(tmp_path, seed.batch_b)).json()["token"]
    # Another enterprise's upload answers as if it did not exist.
    assert ent_a.get(f"/api/roster/uploads/{token_b}").status_code == 404
    assert ent_a.post(f"/api/roster/uploads/{token_b}/import", json={"mode": "all"}).status_code == 404
    assert ent_a.get(f"/roster/uploads/{token_b}/report.xlsx").status_code == 404
    # Importing B's people from A's account is reported as a 重复领取 risk, not merged.
    r = upload(ent_a, roster(tmp_path, seed.batch_b, name="b-copy.xlsx"))
    codes = {p["code"] for p in r.json()["report"]["problems"]}
    assert "duplicate_other_enterprise" in codes


def test_staff_roles_cannot_use_the_roster_pages(as_user, seed, tmp_path):
    path = roster(tmp_path, seed.batch_a)
    for name in ("admin", "archivist", "comm_a"):
        api = as_user(name)
        assert upload(api, path).status_code == 403
        assert api.get("/api/roster/summary").status_code == 403


def test_upload_type_and_size_limits(as_user, tmp_path):
    ent = as_user("ent_a")
    fake = tmp_path / "fake.xlsx"
    fake.write_bytes(b"%PDF-1.4 not a spreadsheet" * 10)
    r = upload(ent, fake)
    assert r.status_code == 415 and "xlsx" in r.json()["detail"]
    pdf = tmp_path / "roster.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    assert upload(ent, pdf).status_code == 415
    old = tmp_path / "roster.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0" + b"0" * 100)
    r = upload(ent, old)
    assert r.status_code == 415 and ".xls" in r.json()["detail"]
    binary_csv = tmp_path / "r.csv"
    binary_csv.write_bytes(b"\x00\x01\x02" * 100)
    assert upload(ent, binary_csv).status_code == 415
    big = tmp_path / "big.csv"
    big.write_bytes(b"a,b\n" * (700 * 1024))  # 2.8 MB > 2 MB limit of the test app
    r = upload(ent, big)
    assert r.status_code == 413 and "过大" in r.json()["detail"]
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert upload(ent, empty).status_code == 400


def test_file_names_and_tokens_cannot_traverse_paths(as_user, seed, tmp_path):
    ent = as_user("ent_a")
    r = upload(ent, roster(tmp_path, seed.batch_a), name="../../../../tmp/evil.xlsx")
    assert r.status_code == 201
    token = r.json()["token"]
    assert r.json()["file_name"] == "evil.xlsx"
    stored = list((seed.root / "web" / "uploads" / token).iterdir())
    assert [p.name for p in stored] == ["evil.xlsx"]
    r = upload(ent, roster(tmp_path, seed.batch_a), name="..\\..\\windows\\名册.xlsx")
    assert r.json()["file_name"] == "名册.xlsx"
    for bad in ("..%2F..%2Fweb-secret.key", "../../web-secret.key", "0" * 31 + "g", token + "/../x"):
        r = ent.get(f"/api/roster/uploads/{bad}")
        assert r.status_code == 404, bad
    for bad in ("/static/../app.py", "/static/%2e%2e/app.py", "/static/..%2Fapp.py"):
        r = ent.get(bad)
        assert r.status_code == 404 and "create_app" not in r.text


def test_pages_walk_through_upload_report_import_summary(as_user, seed, tmp_path):
    ent = as_user("ent_a")
    html = ent.get("/roster", headers={"accept": "text/html"}).text
    token_field = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    with open(roster(tmp_path, seed.batch_a, bad_row=6), "rb") as fh:
        r = ent.client.post("/roster/upload", files={"file": ("名册.xlsx", fh)}, data={"csrf_token": token_field},
                            follow_redirects=False)
    assert r.status_code == 303
    report = ent.get(r.headers["location"], headers={"accept": "text/html"}).text
    assert "问题清单" in report
    assert "校验位" in report and "仅导入无误的 11 行" in report
    token = r.headers["location"].rsplit("/", 1)[1]
    xlsx = ent.get(f"/roster/uploads/{token}/report.xlsx")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert [c.value for c in sheet[2]] == ["行", "列", "类别", "代码", "说明"] and sheet.cell(3, 1).value == 6
    r = ent.client.post(f"/roster/uploads/{token}/import", data={"mode": "valid_only", "csrf_token": token_field},
                        follow_redirects=False)
    assert r.headers["location"] == "/roster/summary"
    summary = ent.get("/roster/summary", headers={"accept": "text/html"}).text
    assert "已导入 11 人" in summary and "按社区汇总" in summary
    first = seed.batch_a.retirees[0]
    assert mask(first.id_number) in summary and first.id_number not in summary


def test_form_post_without_csrf_is_refused(as_user, seed, tmp_path):
    ent = as_user("ent_a")
    with open(roster(tmp_path, seed.batch_a), "rb") as fh:
        r = ent.client.post("/roster/upload", files={"file": ("名册.xlsx", fh)}, follow_redirects=False)
    assert r.status_code == 403
    uploads = seed.root / "web" / "uploads"
    assert not uploads.exists() or not any(uploads.iterdir())
