"""Server-side sessions: sign-out, password change, disabling, an admin's "sign out everywhere" and
the idle and absolute timeouts end a session at once, whatever copy of the cookie is kept
(finding 1 of issue 19); the cookie is Secure over https."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from archive_store.tables import AuditRow
from handover.db import session_scope
from web.tables import SessionRow, UserRow

from .conftest import PASSWORD, sign_in

NEW_PASSWORD = "Neues-Kennwort-2026"


def _copy(app, api) -> TestClient:
    """Another client holding the same cookie (what an attacker who copied it would hold)."""
    other = TestClient(app)
    other.cookies.set("handover_session", api.client.cookies.get("handover_session"))
    return other


def test_a_signed_out_cookie_no_longer_answers(app, seed):
    api = sign_in(app, "comm_a")
    stolen = _copy(app, api)
    assert stolen.get(f"/api/dossiers/{seed.volume_a}").status_code == 200
    assert api.delete("/api/session").json() == {"ok": True}
    assert stolen.get(f"/api/dossiers/{seed.volume_a}").status_code == 401
    assert stolen.get("/api/session").status_code == 401
    with session_scope(seed.cfg) as s:
        row = s.scalar(select(SessionRow))
        assert row.end_reason == "logout" and row.ended_at is not None


def test_the_page_sign_out_ends_the_session_too(app, seed):
    api = sign_in(app, "archivist")
    stolen = _copy(app, api)
    html = api.get("/", headers={"accept": "text/html"}).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    r = api.client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    assert stolen.get("/api/session").status_code == 401


def test_the_database_holds_no_usable_token(app, seed):
    api = sign_in(app, "admin")
    with session_scope(seed.cfg) as s:
        stored = s.scalar(select(SessionRow.token_hash))
    cookie = api.client.cookies.get("handover_session")
    assert len(stored) == 64 and stored not in cookie


def test_changing_the_password_ends_the_other_sessions_only(app, seed):
    here, elsewhere = sign_in(app, "comm_b"), sign_in(app, "comm_b")
    r = here.post("/api/session/password", json={"current_password": "wrong-one", "new_password": NEW_PASSWORD})
    assert r.status_code == 400 and "原密码" in r.json()["detail"]
    r = here.post("/api/session/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert r.status_code == 200, r.text
    assert here.get("/api/session").status_code == 200
    assert elsewhere.get("/api/session").status_code == 401
    sign_in(app, "comm_b", NEW_PASSWORD)


def test_guessing_the_current_password_meets_the_sign_in_limit(app):
    api = sign_in(app, "comm_b")
    wrong = {"current_password": "wrong-one", "new_password": NEW_PASSWORD}
    assert [api.post("/api/session/password", json=wrong).status_code for _ in range(6)] == [400] * 5 + [429]


def test_idle_and_absolute_timeouts_end_a_session(app, seed):
    idle, old = sign_in(app, "archivist"), sign_in(app, "comm_a")
    with session_scope(seed.cfg) as s:
        users = {u.username: u.id for u in s.scalars(select(UserRow))}
        long_ago = dt.datetime(2020, 1, 1)
        s.execute(update(SessionRow).where(SessionRow.user_id == users["archivist"]).values(last_seen_at=long_ago))
        # Busy all the time but signed in longer than session_hours.
        s.execute(update(SessionRow).where(SessionRow.user_id == users["comm_a"]).values(created_at=long_ago))
    assert idle.get("/api/session").status_code == 401
    assert old.get("/api/session").status_code == 401
    with session_scope(seed.cfg) as s:
        assert sorted(r.end_reason for r in s.scalars(select(SessionRow))) == ["expired", "idle"]


def test_timeouts_come_from_the_settings(seed):
    from web.app import create_app

    app = create_app(dataclasses.replace(seed.cfg, session_idle_minutes=1))
    api = sign_in(app, "admin")
    with session_scope(seed.cfg) as s:
        row = s.scalar(select(SessionRow))
        row.last_seen_at -= dt.timedelta(minutes=2)
    assert api.get("/api/session").status_code == 401
    assert "Max-Age=28800" in TestClient(app).post(
        "/api/session", json={"username": "admin", "password": PASSWORD}).headers["set-cookie"]


def test_an_admin_signs_a_user_out_everywhere(app, as_user, seed):
    first, second = sign_in(app, "ent_a"), sign_in(app, "ent_a")
    admin = as_user("admin")
    assert as_user("archivist").delete("/api/users/ent_a/sessions").status_code == 403
    r = admin.delete("/api/users/ent_a/sessions")
    assert r.status_code == 200 and r.json()["sessions_ended"] == 2
    assert first.get("/api/session").status_code == 401 and second.get("/api/session").status_code == 401
    assert admin.delete("/api/users/nobody/sessions").status_code == 404
    # The button on the user page does the same.
    third = sign_in(app, "ent_a")
    html = admin.get("/admin/users", headers={"accept": "text/html"}).text
    assert 'action="/admin/users/ent_a/sessions/end"' in html
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    r = admin.client.post("/admin/users/ent_a/sessions/end", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and third.get("/api/session").status_code == 401
    with session_scope(seed.cfg) as s:
        rows = list(s.scalars(select(AuditRow).where(AuditRow.action == "sessions_ended")))
    assert [(r.actor, r.target) for r in rows] == [("admin", "ent_a")] * 2


def test_the_cookie_is_secure_over_https(seed):
    from web.app import create_app

    app = create_app(seed.cfg)
    body = {"username": "admin", "password": PASSWORD}
    over_https = TestClient(app, base_url="https://testserver").post("/api/session", json=body)
    assert "secure" in over_https.headers["set-cookie"].lower()
    over_http = TestClient(app).post("/api/session", json=body)
    assert "secure" not in over_http.headers["set-cookie"].lower()
    behind_proxy = create_app(dataclasses.replace(seed.cfg, cookie_secure="always"))
    assert "secure" in TestClient(behind_proxy).post("/api/session", json=body).headers["set-cookie"].lower()
