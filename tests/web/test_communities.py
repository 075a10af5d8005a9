"""The community registry page (admin only): a roster naming an unregistered community is held;
the admin sees the rosters and rows, confirms (the people are routed) or rejects."""

from __future__ import annotations

import re

from openpyxl import load_workbook

from handover.roster.writer import write_xlsx


def roster_naming(tmp_path, batch, community: str, row: int = 6):
    path = write_xlsx(tmp_path / "名册.xlsx", batch.retirees, batch.enterprise)
    wb = load_workbook(path)
    ws = wb.active
    header = {c.value: c.column for c in ws[3]}
    for key, value in (("确认移交县(市、区)", "二七区"), ("确认移交街道(乡镇)", "建中街街道"), ("确认移交社区", community)):
        ws.cell(row=row, column=header[key]).value = value
    wb.save(path)
    return path


def import_roster(ent, path) -> dict:
    with open(path, "rb") as fh:
        uploaded = ent.post("/api/roster/uploads", files={"file": (path.name, fh, "application/octet-stream")})
    token = uploaded.json()["token"]
    return ent.post(f"/api/roster/uploads/{token}/import", json={"mode": "all"}).json()


def test_a_held_row_waits_for_the_admin_and_goes_through_after_confirmation(as_user, seed, tmp_path):
    ent, admin = as_user("ent_a"), as_user("admin")
    result = import_roster(ent, roster_naming(tmp_path, seed.batch_a, "建中社区"))
    assert result["status"] == "imported"
    [finding] = [p for p in result["report"]["problems"] if p["code"] == "community_unregistered"]
    assert finding["row"] == 6 and finding["column"].startswith("确认移交社区") and not finding["is_error"]
    assert "需管理员确认后方可移交" in finding["message"] and "是否为“建中街社区”" in finding["message"]
    summary = ent.get("/api/roster/summary?status=held").json()
    [waiting] = [p for p in summary["retirees"] if "社区待确认" in p["rule"]]

    listed = admin.get("/api/communities/pending").json()["pending"]
    assert [(p["name"], [(r["row"], r["name"]) for r in p["rows"]]) for p in listed] == \
        [("建中社区", [(6, waiting["name"])])]
    page = admin.get("/admin/communities").text
    assert "二七区建中街街道建中社区" in page and "第6行" in page and "是否为“建中街社区”" in page

    r = admin.client.post("/admin/communities", data={"csrf_token": admin.csrf, "action": "confirm",
                                                       "county": "二七区", "street": "建中街街道",
                                                       "name": "建中社区", "code": ""}, follow_redirects=False)
    assert r.status_code == 303
    assert admin.get("/api/communities/pending").json()["pending"] == []
    assert ent.get("/api/roster/summary?status=held").json()["retirees"] == []
    summary = ent.get("/api/roster/summary").json()
    assert any(c["community"] == "建中社区" and c["count"] == 1 for c in summary["communities"])
    audit = admin.get("/api/audit?action=community_confirm").json()["entries"]
    assert [(a["actor"], a["target"]) for a in audit] == [("admin", "二七区建中街街道建中社区")]


def test_only_an_admin_decides(as_user, seed):
    for name in ("archivist", "comm_a", "ent_a"):
        api = as_user(name)
        assert api.get("/api/communities/pending").status_code == 403
        assert api.post("/api/communities/confirm", json={"county": "二七区", "street": "建中街街道",
                                                          "name": "建中社区"}).status_code == 403


def test_a_refused_decision_is_shown_in_chinese(as_user, seed):
    admin = as_user("admin")
    r = admin.post("/api/communities/confirm", json={"county": "二七区", "street": "建中街街道", "name": "建中街社区"})
    assert r.status_code == 400 and "已在社区名录中" in r.json()["detail"]
    r = admin.post("/api/communities/confirm", json={"county": "二七区", "street": "建中街街道", "name": "新社区",
                                                     "code": "12345"})
    assert r.status_code == 400 and "12位数字" in r.json()["detail"]
    r = admin.client.post("/admin/communities", data={"csrf_token": admin.csrf, "action": "reject",
                                                       "county": "二七区", "street": "建中街街道",
                                                       "name": "建中街社区", "reason": "x"})
    assert r.status_code == 200 and re.search("已在社区名录中", r.text)


def test_the_admin_registers_a_communitys_contact_for_its_cards(as_user, seed):
    """社区名录's 社区联系方式: the admin records a community's 社区联系人 and 服务电话 (audited); a
    bundle generated afterwards names on the documents page only the communities still lacking them."""
    from sqlalchemy import select

    from handover.db import EnterpriseRow, RetireeRow, session_scope

    from .test_documents import wait_done

    admin, ent = as_user("admin"), as_user("ent_b")
    with session_scope() as s:
        places = sorted(set(s.execute(
            select(RetireeRow.dest_county, RetireeRow.dest_street, RetireeRow.dest_community)
            .join(EnterpriseRow, EnterpriseRow.id == RetireeRow.enterprise_id)
            .where(EnterpriseRow.name == seed.batch_b.enterprise.name, RetireeRow.dest_community.is_not(None)))))
    assert places
    county, street, name = places[0]
    form = {"csrf_token": admin.csrf, "action": "contact", "county": county, "street": street, "name": name,
            "liaison": "王红", "phone": "找王主任"}
    r = admin.client.post("/admin/communities", data=form)
    assert r.status_code == 200 and "服务电话“找王主任”无法识别" in r.text
    r = admin.client.post("/admin/communities", data=form | {"phone": "0371-65951234"}, follow_redirects=False)
    assert r.status_code == 303
    page = admin.get("/admin/communities").text
    assert f"{county}{street}{name}" in page and "0371-65951234" in page
    [entry] = admin.get("/api/audit?action=community_contact").json()["entries"]
    assert entry["target"] == f"{county}{street}{name}"

    state = wait_done(ent, ent.post("/api/documents").json()["token"])
    assert state["status"] == "done", state
    cards = {d["community"] for d in state["documents"] if d["type"] == "contact_card"}
    assert f"{county}{street}{name}" in cards
    html = ent.get("/documents", headers={"accept": "text/html"}).text
    lacking = sorted(cards - {f"{county}{street}{name}"})
    assert lacking and all(f"{label}缺社区联系人、服务电话" in html for label in lacking)
    assert f"{county}{street}{name}缺" not in html
