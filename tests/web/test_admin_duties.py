"""三员分立 (web.admin_duties): each administrator role refused what belongs to another, the audit
log (administrators' actions included) the 审计员's alone, the combined ``admin`` of an upgraded
installation working with a warning until the three are set up, and single-admin mode."""

from __future__ import annotations

import dataclasses
import io

import pytest
from openpyxl import load_workbook

from .conftest import PASSWORD, add_three_admins, sign_in


@pytest.fixture
def separated(seed):
    """The seed with the 系统管理员, 安全保密管理员 and 安全审计员 set up."""
    from web.app import create_app

    add_three_admins(seed.cfg)
    return create_app(seed.cfg)


def _actions(api, actor: str) -> set[str]:
    r = api.get("/api/audit", params={"actor": actor})
    assert r.status_code == 200, r.text
    return {row["action"] for row in r.json()["entries"]}


def test_sysadmin_manages_accounts_but_neither_roles_nor_audit(separated):
    sysadmin = sign_in(separated, "sysadmin")
    r = sysadmin.post("/api/users", json={"username": "new_clerk", "password": PASSWORD, "role": "archive_staff"})
    assert r.status_code == 201, r.text
    assert sysadmin.post("/api/users/new_clerk/disable").status_code == 200
    assert sysadmin.post("/api/users/comm_b/password", json={"password": "Reset-Kennwort-7"}).status_code == 200
    # Roles are grants of rights: not the 系统管理员's, neither directly nor by adding an administrator.
    assert sysadmin.put("/api/users/comm_b/role", json={"role": "archive_staff"}).status_code == 403
    r = sysadmin.post("/api/users", json={"username": "spy", "password": PASSWORD, "role": "auditor"})
    assert r.status_code == 400 and "安全保密管理员" in r.json()["detail"]
    for url in ("/api/audit", "/admin/audit", "/admin/audit.xlsx"):
        assert sysadmin.get(url).status_code == 403, url
    # Nor can he take over or silence another administrator's account (that is done on the server).
    r = sysadmin.post("/api/users/auditor/password", json={"password": "Reset-Kennwort-7"})
    assert r.status_code == 400 and "handover user" in r.json()["detail"]
    assert sysadmin.post("/api/users/auditor/disable").status_code == 400
    assert sign_in(separated, "auditor").get("/api/audit").status_code == 200
    page = sysadmin.get("/admin/users", headers={"accept": "text/html"}).text
    assert "新增用户" in page and "修改角色" not in page and "安全审计员" in page


def test_secadmin_changes_roles_but_neither_accounts_nor_audit(separated):
    secadmin = sign_in(separated, "secadmin")
    r = secadmin.put("/api/users/comm_b/role", json={"role": "archive_staff"})
    assert r.status_code == 200 and r.json()["role"] == "archive_staff"
    r = secadmin.post("/api/users", json={"username": "new_clerk", "password": PASSWORD, "role": "archive_staff"})
    assert r.status_code == 403
    assert secadmin.post("/api/users/comm_b/disable").status_code == 403
    for url in ("/api/audit", "/admin/audit", "/admin/audit.xlsx"):  # nor his own trail
        assert secadmin.get(url).status_code == 403, url
    # A combined admin is never granted while the separation is on.
    r = secadmin.put("/api/users/archivist/role", json={"role": "admin"})
    assert r.status_code == 400 and "三员分立" in r.json()["detail"]
    page = secadmin.get("/admin/users", headers={"accept": "text/html"}).text
    assert "修改角色" in page and "新增用户" not in page


def test_auditor_reads_the_admins_trail_and_changes_nothing(separated):
    sysadmin, secadmin = sign_in(separated, "sysadmin"), sign_in(separated, "secadmin")
    sysadmin.post("/api/users/ent_b/disable")
    secadmin.put("/api/users/comm_b/role", json={"role": "archive_staff"})
    for admin in (sysadmin, secadmin):  # an attempt at the trail is on it, for the 审计员
        assert admin.get("/admin/audit.xlsx").status_code == 403
    auditor = sign_in(separated, "auditor")
    assert {"user_disable", "denied"} <= _actions(auditor, "sysadmin")
    assert {"user_role", "denied"} <= _actions(auditor, "secadmin")
    r = auditor.get("/admin/audit.xlsx", params={"actor": "secadmin"})
    assert r.status_code == 200
    rows = list(load_workbook(io.BytesIO(r.content)).active.iter_rows(min_row=2, values_only=True))
    assert {row[1] for row in rows} == {"secadmin"} and {"修改用户角色或所属范围", "拒绝访问"} <= {row[2] for row in rows}
    page = auditor.get("/admin/audit", headers={"accept": "text/html"})
    assert page.status_code == 200 and "admin-warning" not in page.text
    writes = [("post", "/api/users", {"json": {"username": "x_user", "password": PASSWORD, "role": "archive_staff"}}),
              ("post", "/api/users/ent_a/disable", {}), ("post", "/api/users/ent_b/enable", {}),
              ("put", "/api/users/ent_a/role", {"json": {"role": "archive_staff"}}),
              ("post", "/api/users/ent_a/password", {"json": {"password": "Reset-Kennwort-7"}}),
              ("delete", "/api/users/ent_a/sessions", {}),
              ("post", "/api/communities/reject", {"json": {"county": "金水区", "street": "经八路街道", "name": "某社区"}})]
    for method, url, kw in writes:
        assert getattr(auditor, method)(url, **kw).status_code == 403, url
    for url in ("/api/users", "/admin/users", "/admin/communities", "/api/communities/pending"):
        assert auditor.get(url).status_code == 403, url
    assert auditor.get("/api/search", params={"q": "退休"}).status_code == 403  # no personnel files either
    # The auditor's own reading is on the trail too, for the next one.
    assert "view_audit" in _actions(auditor, "auditor")


def test_upgraded_admin_works_with_a_warning_until_the_three_are_set_up(app, seed):
    """The common seed is an installation run by one ``admin``: it keeps every duty, warned; the
    moment the three are set up it has none (the audit log is the 审计员's alone)."""
    admin = sign_in(app, "admin")
    page = admin.get("/admin/users", headers={"accept": "text/html"}).text
    assert "三员分立尚未完成" in page and "安全审计员" in page
    assert admin.get("/api/audit").status_code == 200
    for username, role in (("sysadmin", "sysadmin"), ("secadmin", "secadmin"), ("auditor", "auditor")):
        r = admin.post("/api/users", json={"username": username, "password": PASSWORD, "role": role})
        assert r.status_code == 201, r.text
    assert admin.get("/api/audit").status_code == 403
    assert admin.get("/admin/users").status_code == 403
    assert admin.get("/api/search", params={"q": "退休"}).status_code == 200  # archive work stays
    assert "user_add" in _actions(sign_in(app, "auditor"), "admin")


def test_single_admin_mode_keeps_one_admin_doing_all_with_the_warning(seed):
    from web.app import create_app

    add_three_admins(seed.cfg)
    app = create_app(dataclasses.replace(seed.cfg, admin_separation=False))
    admin = sign_in(app, "admin")
    page = admin.get("/admin/users", headers={"accept": "text/html"}).text
    assert "单一管理员模式" in page and "修改角色" in page and "新增用户" in page
    assert "单一管理员模式" in admin.get("/admin/audit", headers={"accept": "text/html"}).text
    assert admin.get("/api/audit").status_code == 200
    assert admin.put("/api/users/comm_b/role", json={"role": "archive_staff"}).status_code == 200
    r = admin.post("/api/users", json={"username": "admin2", "password": PASSWORD, "role": "admin"})
    assert r.status_code == 201, r.text
    assert admin.post("/api/users/auditor/disable").status_code == 200


def test_cli_sets_up_the_three(seed):
    """On the server, ``handover user add`` makes the administrator roles (the way to start one)."""
    from click.testing import CliRunner

    from web.cli import user_group

    runner = CliRunner()
    r = runner.invoke(user_group, ["add", "audit1", "--role", "auditor"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert r.exit_code == 0, r.output
    assert "安全审计员" in runner.invoke(user_group, ["list"]).output.split("audit1", 1)[1].splitlines()[0]
