"""Sign-in, sessions, CSRF, rate limit, users and roles (API, pages and the CLI)."""

from __future__ import annotations

import re

from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import select

from archive_store.tables import AuditRow
from handover.db import session_scope
from web.tables import UserRow

from .conftest import PASSWORD, sign_in


def _csrf_from(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_sign_in_sets_a_signed_httponly_samesite_cookie(app):
    client = TestClient(app)
    r = client.post("/api/session", json={"username": "archivist", "password": PASSWORD})
    assert r.status_code == 200
    assert r.json()["user"]["role"] == "archive_staff"
    cookie = r.headers["set-cookie"]
    assert "handover_session=" in cookie and "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    assert "archivist" not in cookie  # signed payload, not a plain user name
    assert client.get("/api/session").json()["user"]["username"] == "archivist"


def test_a_tampered_cookie_is_not_a_session(app):
    client = TestClient(app)
    client.post("/api/session", json={"username": "admin", "password": PASSWORD})
    value = client.cookies.get("handover_session")
    client.cookies.set("handover_session", value[:-3] + ("AAA" if not value.endswith("AAA") else "BBB"))
    assert client.get("/api/session").status_code == 401


def test_wrong_password_and_unknown_user_are_refused_and_audited(app, seed):
    client = TestClient(app)
    assert client.post("/api/session", json={"username": "admin", "password": "wrong-password"}).status_code == 401
    assert client.post("/api/session", json={"username": "nobody", "password": PASSWORD}).status_code == 401
    with session_scope(seed.cfg) as s:
        actions = [r.action for r in s.scalars(select(AuditRow).where(AuditRow.action == "login_failed"))]
    assert len(actions) == 2


def test_passwords_are_stored_as_argon2_hashes(seed):
    with session_scope(seed.cfg) as s:
        row = s.scalar(select(UserRow).where(UserRow.username == "admin"))
    assert row.password_hash.startswith("$argon2id$") and PASSWORD not in row.password_hash


def test_sign_in_is_rate_limited(seed):
    from web.app import create_app

    app = create_app(seed.cfg, signin_limit=3)
    client = TestClient(app)
    for _ in range(3):
        assert client.post("/api/session", json={"username": "comm_a", "password": "bad-password"}).status_code == 401
    # Even the right password is refused while the limit holds.
    r = client.post("/api/session", json={"username": "comm_a", "password": PASSWORD})
    assert r.status_code == 429 and "次数过多" in r.json()["detail"]


def test_the_sign_in_limit_is_shared_by_server_processes(seed):
    from web.app import create_app

    # Two applications on one database stand for two server processes.
    first, second = (TestClient(create_app(seed.cfg, signin_limit=3)) for _ in range(2))
    bad = {"username": "comm_b", "password": "bad-password"}
    assert first.post("/api/session", json=bad).status_code == 401
    assert second.post("/api/session", json=bad).status_code == 401
    assert first.post("/api/session", json=bad).status_code == 401
    for client in (first, second):
        r = client.post("/api/session", json={"username": "comm_b", "password": PASSWORD})
        assert r.status_code == 429
    assert second.post("/api/session", json={"username": "comm_a", "password": PASSWORD}).status_code == 200


def test_page_sign_in_needs_the_csrf_token(app):
    client = TestClient(app)
    page = client.get("/login", headers={"accept": "text/html"})
    token = _csrf_from(page.text)
    r = client.post("/login", data={"username": "admin", "password": PASSWORD, "next": "/"}, follow_redirects=False)
    assert r.status_code == 403
    r = client.post("/login", data={"username": "admin", "password": PASSWORD, "next": "/", "csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"
    home = client.get("/", headers={"accept": "text/html"})
    assert "三员合一" in home.text and "用户管理" in home.text


def test_next_cannot_redirect_off_site(app):
    client = TestClient(app)
    token = _csrf_from(client.get("/login").text)
    r = client.post("/login", data={"username": "admin", "password": PASSWORD, "next": "//evil.example/x",
                                    "csrf_token": token}, follow_redirects=False)
    assert r.headers["location"] == "/"


def test_unsafe_requests_without_csrf_are_refused(app):
    api = sign_in(app, "admin")
    r = api.client.post("/api/users", json={"username": "x_user", "password": PASSWORD, "role": "archive_staff"})
    assert r.status_code == 403 and "CSRF" in r.json()["detail"]
    r = api.client.post("/api/users", json={"username": "x_user", "password": PASSWORD, "role": "archive_staff"},
                        headers={"X-CSRF-Token": "forged"})
    assert r.status_code == 403
    r = api.client.request("DELETE", "/api/session")
    assert r.status_code == 403
    assert api.get("/api/session").status_code == 200  # still signed in


def test_pages_redirect_to_sign_in_and_api_answers_401(app):
    client = TestClient(app)
    r = client.get("/search", headers={"accept": "text/html"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=/search")
    assert client.get("/api/search", params={"q": "退休"}).status_code == 401


def test_admin_manages_users_and_a_disabled_user_is_signed_out(app, as_user):
    admin = as_user("admin")
    r = admin.post("/api/users", json={"username": "new_archivist", "password": PASSWORD, "role": "archive_staff",
                                       "display_name": "新同事"})
    assert r.status_code == 201
    newcomer = sign_in(app, "new_archivist")
    assert newcomer.get("/api/session").status_code == 200
    assert admin.post("/api/users/new_archivist/disable").json()["active"] is False
    assert newcomer.get("/api/session").status_code == 401  # existing session ends at once
    assert TestClient(app).post("/api/session", json={"username": "new_archivist",
                                                      "password": PASSWORD}).status_code == 401
    users = {u["username"]: u for u in admin.get("/api/users").json()["users"]}
    assert users["new_archivist"]["active"] is False and users["comm_a"]["community"] == "金水区经八路街道纬五路社区"


def test_user_rules(app, as_user, seed):
    admin = as_user("admin")
    bad = [{"username": "short", "password": "1234", "role": "admin"},
           {"username": "c_user", "password": PASSWORD, "role": "community_staff"},
           {"username": "e_user", "password": PASSWORD, "role": "enterprise"},
           {"username": "r_user", "password": PASSWORD, "role": "superuser"},
           {"username": "admin", "password": PASSWORD, "role": "admin"},
           {"username": "../etc", "password": PASSWORD, "role": "admin"}]
    for body in bad:
        r = admin.post("/api/users", json=body)
        assert r.status_code == 400, body
    assert admin.post("/api/users/admin/disable").status_code == 400  # not yourself


def test_only_admins_manage_users_or_read_the_audit_log(as_user):
    for name in ("archivist", "comm_a", "ent_a"):
        api = as_user(name)
        assert api.get("/api/users").status_code == 403
        assert api.post("/api/users", json={"username": "sneaky", "password": PASSWORD,
                                            "role": "admin"}).status_code == 403
        assert api.get("/api/audit").status_code == 403
        assert api.get("/admin/users", headers={"accept": "text/html"}).status_code == 403


def test_admin_user_page_form_adds_a_user(app, as_user, seed):
    admin = as_user("admin")
    html = admin.get("/admin/users", headers={"accept": "text/html"}).text
    assert "新增用户" in html and "comm_a" in html
    r = admin.client.post("/admin/users", data={"username": "form_user", "password": PASSWORD, "role": "community_staff",
                                                "community_id": str(seed.community_b), "csrf_token": _csrf_from(html)},
                          follow_redirects=False)
    assert r.status_code == 303
    assert sign_in(app, "form_user").get("/api/communities").json() == [
        {"id": seed.community_b, "label": "二七区五里堡街道五里堡社区", "code": seed_code(seed, seed.community_b)}]


def seed_code(seed, community_id):
    from archive_store.tables import CommunityRow

    with session_scope(seed.cfg) as s:
        return s.get(CommunityRow, community_id).code


def test_cli_user_add_list_disable(seed):
    from web.cli import user_group

    runner = CliRunner()
    r = runner.invoke(user_group, ["add", "cli_user", "--role", "community_staff", "--name", "命令行用户",
                                   "--community", "纬五路社区"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert r.exit_code == 0, r.output
    assert "已新增用户" in r.output
    r = runner.invoke(user_group, ["add", "cli_ent", "--role", "enterprise", "--enterprise", "不存在的企业"],
                      input=f"{PASSWORD}\n{PASSWORD}\n")
    assert r.exit_code != 0 and "未登记的企业" in r.output
    r = runner.invoke(user_group, ["list"])
    assert "cli_user" in r.output and "社区工作人员" in r.output and "纬五路社区" in r.output
    assert runner.invoke(user_group, ["disable", "cli_user"]).exit_code == 0
    assert "停用" in runner.invoke(user_group, ["list"]).output.split("cli_user", 1)[1].splitlines()[0]
    assert runner.invoke(user_group, ["disable", "nobody"]).exit_code != 0


def test_openapi_schema_lists_the_api(app):
    schema = TestClient(app).get("/openapi.json").json()
    paths = schema["paths"]
    for path in ("/api/session", "/api/users", "/api/roster/uploads", "/api/search", "/api/dossiers/{volume_id}",
                 "/api/requests", "/api/audit", "/catalogs/{community_id}.xlsx"):
        assert path in paths, path


def test_many_users_failing_from_one_address_meet_a_higher_ceiling(seed):
    import dataclasses

    from web.app import create_app

    client = TestClient(create_app(dataclasses.replace(seed.cfg, signin_limit=2, signin_address_limit=6)))
    codes = [client.post("/api/session", json={"username": f"user{i}", "password": "bad-password"}).status_code
             for i in range(8)]
    assert codes == [401] * 6 + [429] * 2
    r = client.post("/api/session", json={"username": "admin", "password": PASSWORD})
    assert r.status_code == 429


def test_colleagues_behind_one_office_address_are_not_locked_out_together(app):
    """Finding 10 of issue 19: 20 failures from one address used to lock every user behind it."""
    client = TestClient(app)
    for i in range(20):
        assert client.post("/api/session", json={"username": f"user{i}", "password": "bad-password"}).status_code == 401
    for _ in range(5):
        assert client.post("/api/session", json={"username": "comm_a", "password": "bad-password"}).status_code == 401
    # comm_a is refused from this address now; a colleague at the next desk is not.
    assert client.post("/api/session", json={"username": "comm_a", "password": PASSWORD}).status_code == 429
    assert TestClient(app).post("/api/session", json={"username": "admin", "password": PASSWORD}).status_code == 200


def test_server_logs_carry_no_search_terms_or_id_numbers():
    import logging

    from web.security import NoPersonalDataFilter

    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5000", "GET", "/api/search?q=张建国&x=410105195101211003", "1.1", 200),
                               None)
    NoPersonalDataFilter().filter(record)
    line = record.getMessage()
    assert "张建国" not in line and "410105195101211003" not in line and "/api/search" in line
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5000", "GET", "/x/410105195101211003/y", "1.1", 200), None)
    NoPersonalDataFilter().filter(record)
    assert "410105195101211003" not in record.getMessage() and "410105********1003" in record.getMessage()
    # Other server messages keep their argument types (a %d stays a number).
    record = logging.LogRecord("uvicorn.error", logging.INFO, __file__, 1, "Uvicorn running on %s://%s:%d",
                               ("http", "127.0.0.1", 8000), None)
    NoPersonalDataFilter().filter(record)
    assert record.getMessage() == "Uvicorn running on http://127.0.0.1:8000"


def test_serve_command_listens_on_localhost_by_default(seed, monkeypatch):
    import uvicorn

    from web.cli import serve_command

    seen = {}
    monkeypatch.setattr(uvicorn.Server, "run", lambda self: seen.update(host=self.config.host,
                                                                         port=self.config.port))
    r = CliRunner().invoke(serve_command, ["--port", "8765"])
    assert r.exit_code == 0, r.output
    assert seen == {"host": "127.0.0.1", "port": 8765} and "网页服务已启动" in r.output


def test_api_sign_in_takes_only_json(app):
    # A cross-site form can send text/plain or urlencoded bodies without CORS; neither signs in.
    client = TestClient(app)
    body = '{"username": "admin", "password": "%s"}' % PASSWORD
    r = client.post("/api/session", content=body.encode(), headers={"content-type": "text/plain"})
    assert r.status_code == 422 and "set-cookie" not in r.headers
    r = client.post("/api/session", data={"username": "admin", "password": PASSWORD})
    assert r.status_code == 422


def test_every_audited_action_has_a_chinese_label():
    """The audit page names actions in Chinese: every action the code records must have a label."""
    import re
    from pathlib import Path

    from web.routes.admin import AUDIT_LABELS

    root = Path(__file__).resolve().parents[2]
    recorded: set[str] = set()
    for py in [*root.glob("*/*.py"), *root.glob("*/*/*.py")]:
        if py.parts[len(root.parts)] in ("tests", "benchmarks", ".venv"):
            continue
        text = py.read_text(encoding="utf-8")
        recorded |= set(re.findall(r'audit\.record\(\s*[^,()]+,\s*[^,]+?,\s*"([a-z_]+)"', text))
        recorded |= set(re.findall(r'action="([a-z_]+)"', text))
        recorded |= {f"request_{k}" for k in ("view", "loan", "approved", "rejected", "closed", "cancelled")} \
            if "request_{" in text else set()
    assert recorded and {"withdraw", "search", "download"} <= recorded
    assert sorted(recorded - set(AUDIT_LABELS)) == []


def test_a_refusal_is_a_chinese_page_or_json_by_route(as_user):
    """One handler answers every package's refusals: an error page for the browser, JSON for /api."""
    admin = as_user("admin")
    page = admin.post("/admin/users/admin/active", data={"active": "0"}, headers={"accept": "text/html"})
    assert page.status_code == 400 and "不能停用自己的账号" in page.text and "请求有误" in page.text
    api = admin.post("/api/users/admin/disable")
    assert api.status_code == 400 and api.json() == {"detail": "不能停用自己的账号"}
