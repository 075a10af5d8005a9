"""The password policy (GB/T 22239 level 3: length, character classes, not the user name, not a
common password; expiry), the admin's reset and the change it forces (finding 9 of issue 19)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from archive_store.tables import AuditRow
from handover.db import session_scope
from web.passwords import PasswordRejected, check
from web.tables import PasswordStateRow, UserRow

from .conftest import PASSWORD, sign_in

NEW_PASSWORD = "Zhongyuan-档案-2026"


@pytest.mark.parametrize("password, why", [
    ("12345678", "10"), ("aaaaaaaa", "10"), ("password", "10"), ("1234567890", "3类"),
    ("aaaaaaaaaaaa", "3类"), ("abcdefgh12", "3类"), ("Wang_li_2026", "用户名"), ("Password123!", "常见"),
    ("1qaz@WSX3edc", "常见"), ("P@ssw0rd123", "常见"),
])
def test_weak_passwords_are_refused_with_the_reason(password, why):
    with pytest.raises(PasswordRejected, match=why):
        check(password, "wang_li")


def test_strong_passwords_pass():
    for password in (PASSWORD, NEW_PASSWORD, "correct Horse 9", "档案移交工作Safe7"):
        check(password, "wang_li")


def test_the_api_and_the_user_page_refuse_weak_passwords(as_user):
    admin = as_user("admin")
    for weak in ("12345678", "aaaaaaaa", "password", "new_clerk2026"):
        r = admin.post("/api/users", json={"username": "new_clerk", "password": weak, "role": "archive_staff"})
        assert r.status_code == 400 and "密码" in r.json()["detail"], weak
    html = admin.get("/admin/users", headers={"accept": "text/html"}).text
    assert "至少10位" in html
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    r = admin.client.post("/admin/users", data={"username": "form_user", "password": "12345678", "role": "archive_staff",
                                                "csrf_token": token})
    assert r.status_code == 400 and "密码至少需要10个字符" in r.text


def test_an_admin_reset_forces_a_new_password_at_next_sign_in(app, as_user, seed):
    victim = sign_in(app, "comm_a")
    admin = as_user("admin")
    assert admin.post("/api/users/comm_a/password", json={"password": "short"}).status_code == 400
    assert as_user("archivist").post("/api/users/comm_a/password", json={"password": NEW_PASSWORD}).status_code == 403
    r = admin.post("/api/users/comm_a/password", json={"password": "Temp-Kennwort-1"})
    assert r.status_code == 200 and r.json()["sessions_ended"] == 1
    assert victim.get("/api/session").status_code == 401  # signed out at once
    assert TestClient(app).post("/api/session", json={"username": "comm_a", "password": PASSWORD}).status_code == 401
    api = sign_in(app, "comm_a", "Temp-Kennwort-1")
    assert api.get("/api/session").json()["password_change_required"] is True
    r = api.get(f"/api/dossiers/{seed.volume_a}")
    assert r.status_code == 403 and r.json()["password_change_required"] is True
    r = api.get("/search", headers={"accept": "text/html"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/account/password")
    # The same password again is no change.
    r = api.post("/api/session/password", json={"current_password": "Temp-Kennwort-1", "new_password": "Temp-Kennwort-1"})
    assert r.status_code == 400
    r = api.post("/api/session/password", json={"current_password": "Temp-Kennwort-1", "new_password": NEW_PASSWORD})
    assert r.status_code == 200
    assert api.get(f"/api/dossiers/{seed.volume_a}").status_code == 200
    with session_scope(seed.cfg) as s:
        actions = [(r.actor, r.action, r.target) for r in s.scalars(select(AuditRow).where(
            AuditRow.action.in_(["password_reset", "password_change"])).order_by(AuditRow.id))]
    assert actions == [("admin", "password_reset", "comm_a"), ("comm_a", "password_change", "comm_a")]


def test_the_reset_and_change_forms_in_the_browser(app, as_user, seed):
    admin = as_user("admin")
    html = admin.get("/admin/users", headers={"accept": "text/html"}).text
    assert 'action="/admin/users/ent_b/password"' in html
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    r = admin.client.post("/admin/users/ent_b/password", data={"password": "Temp-Kennwort-2", "csrf_token": token},
                          follow_redirects=False)
    assert r.status_code == 303
    client = TestClient(app)
    login = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', login).group(1)
    r = client.post("/login", data={"username": "ent_b", "password": "Temp-Kennwort-2", "next": "/documents",
                                    "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/account/password?next=/documents"
    form = client.get(r.headers["location"], headers={"accept": "text/html"}).text
    assert "请先设置新密码" in form and "至少10位" in form
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    fields = {"current_password": "Temp-Kennwort-2", "new_password": NEW_PASSWORD, "next": "/documents",
              "csrf_token": token}
    r = client.post("/account/password", data={**fields, "confirm_password": "different-9X"})
    assert r.status_code == 400 and "不一致" in r.text
    r = client.post("/account/password", data={**fields, "confirm_password": NEW_PASSWORD}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/documents"
    assert client.get("/documents", headers={"accept": "text/html"}).status_code == 200


def test_passwords_expire_after_the_configured_days(seed):
    from web.app import create_app

    with session_scope(seed.cfg) as s:
        uid = s.scalar(select(UserRow.id).where(UserRow.username == "archivist"))
        s.get(PasswordStateRow, uid).changed_at -= dt.timedelta(days=91)
    body = {"username": "archivist", "password": PASSWORD}
    r = TestClient(create_app(seed.cfg)).post("/api/session", json=body)
    assert r.json()["password_change_required"] is True  # 90 days by default
    r = TestClient(create_app(dataclasses.replace(seed.cfg, password_max_age_days=0))).post("/api/session", json=body)
    assert r.json()["password_change_required"] is False
