"""Search, dossiers, page images, PDF, catalogs, 查阅/外借 requests and the audit log — per role,
with the denials: another community's dossier answers 404 like a missing one and never appears in search."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import select

from archive_store.tables import AuditRow
from handover.db import session_scope
from handover.idnumber import mask


HTML = {"accept": "text/html"}


def audit_rows(seed, action=None, actor=None):
    with session_scope(seed.cfg) as s:
        q = select(AuditRow).order_by(AuditRow.id)
        if action:
            q = q.where(AuditRow.action == action)
        if actor:
            q = q.where(AuditRow.actor == actor)
        return list(s.scalars(q))


def volumes(hits):
    return {h["volume_id"] for h in hits["hits"]}


def test_search_is_scoped_by_role(as_user, seed):
    query = {"q": "档案移交核验"}
    assert volumes(as_user("archivist").get("/api/search", params=query).json()) == {seed.volume_a, seed.volume_b}
    assert volumes(as_user("admin").get("/api/search", params=query).json()) == {seed.volume_a, seed.volume_b}
    assert volumes(as_user("comm_a").get("/api/search", params=query).json()) == {seed.volume_a}
    assert volumes(as_user("comm_b").get("/api/search", params=query).json()) == {seed.volume_b}
    # Names and ID numbers of the other community: nothing, not even a count.
    comm_a = as_user("comm_a")
    assert comm_a.get("/api/search", params={"q": seed.person_b.name}).json()["count"] == 0
    assert comm_a.get("/api/search", params={"q": seed.person_b.id_number}).json()["count"] == 0
    assert comm_a.get("/api/search", params={"q": seed.person_a.id_number}).json()["count"] >= 1


def test_a_community_user_cannot_widen_the_scope_with_a_filter(as_user, seed):
    comm_a = as_user("comm_a")
    r = comm_a.get("/api/search", params={"q": "退休", "community": str(seed.community_b)})
    assert r.status_code == 403
    page = comm_a.get("/search", params={"q": "退休", "community": str(seed.community_b)}, headers=HTML)
    assert page.status_code == 403 and seed.person_b.name not in page.text
    assert comm_a.get("/api/communities").json()[0]["id"] == seed.community_a
    assert len(comm_a.get("/api/communities").json()) == 1


def test_search_page_shows_highlighted_snippets_with_page_numbers(as_user, seed):
    html = as_user("archivist").get("/search", params={"q": "档案移交核验"}, headers=HTML).text
    assert "<mark>" in html and f"/dossiers/{seed.volume_a}?seq=1" in html
    assert "检索结果" in html and seed.person_a.name in html
    assert seed.person_a.id_number not in html  # search results show masked numbers only


def test_search_filters(as_user, seed):
    api = as_user("archivist")
    r = api.get("/api/search", params={"q": "档案移交核验", "community": str(seed.community_b)}).json()
    assert volumes(r) == {seed.volume_b}
    assert api.get("/api/search", params={"q": "退休", "date_from": "2024-13-01"}).status_code == 400
    assert api.get("/api/search", params={"q": "退休", "class_code": "x' OR 1=1"}).status_code == 400
    r = api.get("/api/search", params={"q": "档案移交核验", "enterprise": "不存在的企业"}).json()
    assert r["count"] == 0


def test_enterprise_users_cannot_search_or_open_dossiers(as_user, seed):
    ent = as_user("ent_a")
    assert ent.get("/api/search", params={"q": "退休"}).status_code == 403
    assert ent.get(f"/api/dossiers/{seed.volume_a}").status_code == 403
    assert ent.get(f"/dossiers/{seed.volume_a}/pages/1/image").status_code == 403
    assert ent.get(f"/catalogs/{seed.community_a}.xlsx").status_code == 403
    assert ent.get("/api/requests").status_code == 403


def test_other_communitys_dossier_answers_like_a_missing_one_and_is_audited(as_user, seed):
    """Issue 19, finding 10: an existing id out of scope answered 403 and others 404, which told
    a prober which ids exist. Both answer the same 404 now; both leave an audit row."""
    comm_a = as_user("comm_a")
    for url in (f"/api/dossiers/{seed.volume_b}", f"/dossiers/{seed.volume_b}/pages/1/image",
                f"/dossiers/{seed.volume_b}/volume.pdf", f"/catalogs/{seed.community_b}.xlsx"):
        r = comm_a.get(url)
        ghost = comm_a.get(url.replace(str(seed.volume_b), "999999").replace(str(seed.community_b), "999999"))
        assert r.status_code == ghost.status_code == 404, url
        assert r.json() == ghost.json() and seed.person_b.name not in r.text
    page = comm_a.get(f"/dossiers/{seed.volume_b}", headers=HTML)
    ghost = comm_a.get("/dossiers/999999", headers=HTML)
    assert page.status_code == ghost.status_code == 404 and page.text == ghost.text
    assert seed.person_b.name not in page.text
    r = comm_a.post(f"/api/dossiers/{seed.volume_b}/requests", json={"kind": "view", "reason": "核实"})
    assert r.status_code == 404
    denied = audit_rows(seed, "denied", "comm_a")
    assert len(denied) >= 5
    guessed = audit_rows(seed, "not_found", "comm_a")
    assert len(guessed) >= 5 and {r.target for r in guessed} >= {"volume/999999", "catalog/999999"}


def test_dossier_shows_contents_completeness_and_masks_ids_by_role(as_user, seed):
    full = as_user("archivist").get(f"/api/dossiers/{seed.volume_a}").json()
    assert full["id_number"] == seed.person_a.id_number
    assert full["contents"] and all(m["title"] for m in full["contents"])
    assert full["completeness"]["label"] == "完整" and full["may_read"] and full["has_pdf"]
    scoped = as_user("comm_a").get(f"/api/dossiers/{seed.volume_a}").json()
    assert scoped["id_number"] == mask(seed.person_a.id_number) == seed.person_a.id_number[:6] + "********" + \
        seed.person_a.id_number[-4:]
    assert scoped["may_read"] is False
    html = as_user("comm_a").get(f"/dossiers/{seed.volume_a}", headers=HTML).text
    assert "卷内目录" in html and seed.person_a.id_number not in html and "需经档案馆批准" in html
    assert len(audit_rows(seed, "view_dossier")) == 3


def test_archive_staff_view_pages_and_pdf_and_every_read_is_audited(as_user, seed):
    api = as_user("archivist")
    html = api.get(f"/dossiers/{seed.volume_a}?seq=2", headers=HTML).text
    assert f"/dossiers/{seed.volume_a}/pages/2/image" in html and "放大" in html and "下一页" in html
    img = api.get(f"/dossiers/{seed.volume_a}/pages/2/image")
    assert img.status_code == 200 and img.headers["content-type"] == "image/jpeg" and img.content[:2] == b"\xff\xd8"
    pdf = api.get(f"/dossiers/{seed.volume_a}/volume.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert "attachment" in pdf.headers["content-disposition"]
    assert api.get(f"/dossiers/{seed.volume_a}/pages/999/image").status_code == 404
    assert api.get(f"/dossiers/{seed.volume_a}/pages/..%2F..%2Fmanifest.json/image").status_code in (404, 422)
    targets = [r.target for r in audit_rows(seed, actor="archivist")]
    assert any(t.endswith("/2") for t in targets) and any(t.endswith("/volume.pdf") for t in targets)


def test_request_approve_then_read_then_close(as_user, seed):
    comm_a, archivist = as_user("comm_a"), as_user("archivist")
    assert comm_a.get(f"/dossiers/{seed.volume_a}/pages/1/image").status_code == 403
    assert comm_a.post(f"/api/dossiers/{seed.volume_a}/requests", json={"kind": "view", "reason": ""}).status_code == 400
    assert comm_a.post(f"/api/dossiers/{seed.volume_a}/requests",
                       json={"kind": "loan", "reason": "借阅"}).status_code == 400  # 外借 needs a due date
    r = comm_a.post(f"/api/dossiers/{seed.volume_a}/requests", json={"kind": "view", "reason": "核实出生日期",
                                                                      "organisation": "纬五路社区"})
    assert r.status_code == 201
    rid = r.json()["id"]
    assert comm_a.post(f"/api/requests/{rid}/approve", json={}).status_code == 403  # not their own approval
    assert comm_a.post("/api/requests/999999/approve", json={}).status_code == 403  # the role, whatever the id
    # Another community's clerk cannot tell this request from one that does not exist.
    mine, ghost = (as_user("comm_b").post(f"/api/requests/{i}/cancel", json={}) for i in (rid, 999999))
    assert mine.status_code == ghost.status_code == 404 and mine.json() == ghost.json()
    assert as_user("comm_b").get("/api/requests").json()["requests"] == []
    pending = archivist.get("/api/requests", params={"status": "pending"}).json()["requests"]
    assert [p["id"] for p in pending] == [rid]
    assert archivist.post(f"/api/requests/{rid}/approve", json={"note": "同意"}).json()["status"] == "approved"
    img = comm_a.get(f"/dossiers/{seed.volume_a}/pages/1/image")
    assert img.status_code == 200
    assert comm_a.get(f"/api/dossiers/{seed.volume_a}").json()["may_read"] is True
    assert comm_a.post(f"/api/requests/{rid}/close", json={}).json()["status"] == "closed"
    assert comm_a.get(f"/dossiers/{seed.volume_a}/pages/1/image").status_code == 403
    actions = [r.action for r in audit_rows(seed)]
    assert {"request_view", "request_approved", "request_closed", "view_page"} <= set(actions)


def test_an_overdue_loan_no_longer_opens_the_file(as_user, seed):
    import datetime as dt

    from archive_store.tables import AccessRequestRow
    from handover import clock

    comm_a, archivist = as_user("comm_a"), as_user("archivist")
    past = comm_a.post(f"/api/dossiers/{seed.volume_a}/requests",
                       json={"kind": "loan", "reason": "复印", "due_on": "2001-01-01"})
    assert past.status_code == 400 and "早于今天" in past.json()["detail"]
    rid = comm_a.post(f"/api/dossiers/{seed.volume_a}/requests",
                      json={"kind": "loan", "reason": "复印", "due_on": clock.today().isoformat()}).json()["id"]
    archivist.post(f"/api/requests/{rid}/approve", json={"note": "同意"})
    assert comm_a.get(f"/dossiers/{seed.volume_a}/pages/1/image").status_code == 200
    assert archivist.get("/api/requests", params={"status": "overdue"}).json()["requests"] == []
    with session_scope(seed.cfg) as s:  # the days pass: the loan is now two days past its 归还日期
        s.get(AccessRequestRow, rid).due_on = clock.today() - dt.timedelta(days=2)
    assert comm_a.get(f"/dossiers/{seed.volume_a}/pages/1/image").status_code == 403
    assert comm_a.get(f"/dossiers/{seed.volume_a}/volume.pdf").status_code == 403
    assert comm_a.get(f"/api/dossiers/{seed.volume_a}").json()["may_read"] is False
    overdue = archivist.get("/api/requests", params={"status": "overdue"}).json()["requests"]
    assert [r["id"] for r in overdue] == [rid] and overdue[0]["overdue"] is True
    assert "逾期未还" in archivist.get("/requests", headers=HTML).text
    home = archivist.get("/", headers=HTML).text
    assert "逾期未还的外借" in home


def test_reject_needs_a_reason_and_the_page_form_works(as_user, seed):
    import re

    comm_a, archivist = as_user("comm_a"), as_user("archivist")
    html = comm_a.get(f"/dossiers/{seed.volume_a}", headers=HTML).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    r = comm_a.client.post(f"/dossiers/{seed.volume_a}/requests", data={"kind": "loan", "reason": "外借复核",
                                                                        "due_on": "2030-01-31", "csrf_token": token},
                           follow_redirects=False)
    assert r.status_code == 303
    rid = archivist.get("/api/requests").json()["requests"][0]["id"]
    assert archivist.post(f"/api/requests/{rid}/reject", json={"note": ""}).status_code == 400
    page = archivist.get("/requests", headers=HTML).text
    assert "批准" in page and "驳回" in page and "外借复核" in page
    assert archivist.post(f"/api/requests/{rid}/reject", json={"note": "理由不充分"}).json()["status"] == "rejected"
    assert comm_a.get(f"/dossiers/{seed.volume_a}/pages/1/image").status_code == 403


def test_catalogs_download_in_scope(as_user, seed):
    comm_a = as_user("comm_a")
    assert [c["id"] for c in comm_a.get("/api/catalogs").json()["communities"]] == [seed.community_a]
    r = comm_a.get(f"/catalogs/{seed.community_a}.xlsx")
    assert r.status_code == 200
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == ["案卷目录", "台账"]
    ledger = wb["台账"]
    assert ledger.cell(3, [c.value for c in ledger[2]].index("姓名") + 1).value == seed.person_a.name
    assert len(as_user("archivist").get("/api/catalogs").json()["communities"]) == 2
    assert [r.action for r in audit_rows(seed, actor="comm_a")].count("export_catalog") == 1


def test_catalog_id_numbers_are_masked_for_community_staff(as_user, seed):
    def cells(username: str) -> str:
        r = as_user(username).get(f"/catalogs/{seed.community_a}.xlsx")
        assert r.status_code == 200
        wb = load_workbook(io.BytesIO(r.content))
        return " ".join(str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value)

    full, masked = seed.person_a.id_number, mask(seed.person_a.id_number)
    community, archive = cells("comm_a"), cells("archivist")
    assert masked in community and full not in community
    assert full in archive
    assert [r.detail.get("masked") for r in audit_rows(seed, actor="comm_a") if r.action == "export_catalog"] == [True]


def test_admin_reads_the_audit_log(as_user, seed):
    as_user("comm_a").get("/api/search", params={"q": seed.person_a.id_number})
    rows = as_user("admin").get("/api/audit", params={"actor": "comm_a"}).json()["entries"]
    search = next(r for r in rows if r["action"] == "search")
    assert seed.person_a.id_number not in search["target"] and "*" in search["target"]
    html = as_user("admin").get("/admin/audit", headers=HTML).text
    assert "审计日志" in html and "检索" in html and "登录" in html and "/admin/audit.xlsx" in html
    # The export follows the filters, in Chinese, and is itself audited; nobody else may export.
    r = as_user("admin").get("/admin/audit.xlsx", params={"actor": "comm_a"})
    assert r.status_code == 200
    sheet = load_workbook(io.BytesIO(r.content)).active
    lines = list(sheet.iter_rows(values_only=True))
    assert lines[0] == ("时间", "用户", "操作", "结果", "对象", "事由", "依据", "详情")
    assert len(lines) > 1 and {line[1] for line in lines[1:]} == {"comm_a"} and "检索" in {line[2] for line in lines[1:]}
    assert all(seed.person_a.id_number not in str(line) for line in lines)
    assert "export_audit" in [a.action for a in audit_rows(seed, actor="admin")]
    assert as_user("archivist").get("/admin/audit.xlsx").status_code == 403


def test_incomplete_volume_is_accepted_on_a_written_statement(as_user, seed):
    archivist = as_user("archivist")
    d = archivist.get(f"/api/dossiers/{seed.volume_c}").json()
    assert d["completeness"]["outcome"] == "incomplete" and d["completeness"]["acceptable"]
    assert d["completeness"]["missing"] and any(f["error"] for f in d["completeness"]["findings"])
    html = archivist.get(f"/dossiers/{seed.volume_c}", headers=HTML).text
    assert "登记书面说明并接收" in html and "不完整" in html
    assert as_user("comm_a").post(f"/api/dossiers/{seed.volume_c}/accept",
                                  json={"statement_ref": "x"}).status_code == 403
    assert archivist.post(f"/api/dossiers/{seed.volume_c}/accept", json={"statement_ref": " "}).status_code == 400
    r = archivist.post(f"/api/dossiers/{seed.volume_c}/accept", json={"statement_ref": "郑纺〔2026〕12号"})
    assert r.status_code == 200 and r.json()["statement_ref"] == "郑纺〔2026〕12号"
    assert archivist.post(f"/api/dossiers/{seed.volume_c}/accept",
                          json={"statement_ref": "again"}).status_code == 409
    d = archivist.get(f"/api/dossiers/{seed.volume_c}").json()
    assert d["completeness"]["accepted"]["statement_ref"] == "郑纺〔2026〕12号" and not d["completeness"]["acceptable"]
    # A complete volume needs no statement.
    assert archivist.post(f"/api/dossiers/{seed.volume_a}/accept", json={"statement_ref": "x"}).status_code in (400, 409)
    assert "accept_incomplete" in [r.action for r in audit_rows(seed, actor="archivist")]


def test_completeness_paperwork_is_drafted_for_archive_staff(as_user, seed):
    from urllib.parse import unquote

    from docx import Document

    archivist = as_user("archivist")
    d = archivist.get(f"/api/dossiers/{seed.volume_c}").json()
    html = archivist.get(f"/dossiers/{seed.volume_c}", headers=HTML).text
    assert f"/dossiers/{seed.volume_c}/check/statement.docx" in html
    r = archivist.get(f"/dossiers/{seed.volume_c}/check/statement.docx")
    assert r.status_code == 200 and r.content[:2] == b"PK"
    assert f"{d['ref_no']}-档案材料缺失情况说明.docx" in unquote(r.headers["content-disposition"])
    text = "\n".join(p.text for p in Document(io.BytesIO(r.content)).paragraphs)
    text += "\n".join(c.text for t in Document(io.BytesIO(r.content)).tables for row in t.rows for c in row.cells)
    assert "孙立平" in text and all(m in text for m in d["completeness"]["missing"])
    sheet = archivist.get(f"/dossiers/{seed.volume_c}/check/note-sheet.docx")
    assert sheet.status_code == 200 and sheet.content[:2] == b"PK"
    assert f"{d['ref_no']}/档案材料缺失情况说明.docx" in [a.target for a in audit_rows(seed, "download", "archivist")]
    # Only custodians draft them; nothing to draft where nothing is missing or nothing was checked.
    assert as_user("comm_a").get(f"/dossiers/{seed.volume_c}/check/statement.docx").status_code == 403
    assert as_user("ent_a").get(f"/dossiers/{seed.volume_c}/check/statement.docx").status_code == 403
    assert archivist.get(f"/dossiers/{seed.volume_c}/check/other.docx").status_code == 404
    assert archivist.get(f"/dossiers/{seed.volume_a}/check/statement.docx").status_code == 404


def test_an_outcome_only_check_json_of_the_old_form_shows_its_outcome_and_problems(as_user, seed):
    """Volumes published before the volume folder had a version kept an outcome-only check.json
    listing "problems": the page shows them, and offers no acceptance (there is no report)."""
    import json

    from archive_store.storage import open_storage
    from archive_store.tables import VolumeRow

    with session_scope(seed.cfg) as s:
        prefix = s.get(VolumeRow, seed.volume_a).prefix
    old = {"outcome": "incomplete", "problems": [
        {"code": "missing_material", "severity": "error", "message": "缺少退休审批表", "page": None}, "页码不连续"]}
    open_storage(seed.cfg).put(f"{prefix}/check.json", json.dumps(old, ensure_ascii=False).encode("utf-8"))
    c = as_user("archivist").get(f"/api/dossiers/{seed.volume_a}").json()["completeness"]
    assert (c["outcome"], c["label"], c["acceptable"]) == ("incomplete", "不完整", False)
    assert c["findings"] == [
        {"severity": "问题", "error": True, "message": "缺少退休审批表", "page": None, "material": ""},
        {"severity": "", "error": False, "message": "页码不连续", "page": None, "material": ""}]
    assert as_user("archivist").post(f"/api/dossiers/{seed.volume_a}/accept",
                                     json={"statement_ref": "x"}).status_code == 409
