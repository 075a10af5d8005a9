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
