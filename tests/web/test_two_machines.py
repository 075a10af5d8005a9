"""Two web servers on two machines against one PostgreSQL: each has a data folder of its own, so
the session secret must come from the settings (HANDOVER_SECRET_KEY), the same on both. Then a
session signed in on one is signed in on the other, its CSRF token holds there, and a sign-out on
one ends it on both (sessions are rows in the database)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from handover.config import Settings
from handover.db import engine_for, session_scope
from web.app import create_app
from web.users import create_user

PASSWORD = "Passw0rd-测试"


def _machines(tmp_path, pg_url: str, secret_key: str) -> tuple[TestClient, TestClient]:
    apps = [create_app(Settings(data_dir=tmp_path / machine / "data", database_url=pg_url, storage="local",
                                secret_key=secret_key)) for machine in ("a", "b")]
    with session_scope(apps[0].state.cfg) as s:
        create_user(s, "zhang", PASSWORD, "archive_staff", display_name="张档案")
    return TestClient(apps[0]), TestClient(apps[1])


def test_the_same_secret_key_makes_a_session_good_on_both_machines(tmp_path, pg_url):
    a, b = _machines(tmp_path, pg_url, "the-bureau-s-shared-session-secret-0123456789")
    signed = a.post("/api/session", json={"username": "zhang", "password": PASSWORD})
    assert signed.status_code == 200
    csrf = signed.json()["csrf_token"]
    b.cookies = a.cookies
    me = b.get("/api/session")
    assert me.status_code == 200 and me.json()["user"]["username"] == "zhang"
    assert b.request("DELETE", "/api/session", headers={"X-CSRF-Token": csrf}).status_code == 200
    assert a.get("/api/session").status_code == 401
    engine_for(pg_url).dispose()


def test_without_it_each_machine_makes_its_own_key_and_refuses_the_other_s_cookie(tmp_path, pg_url):
    a, b = _machines(tmp_path, pg_url, "")
    assert a.post("/api/session", json={"username": "zhang", "password": PASSWORD}).status_code == 200
    assert a.get("/api/session").status_code == 200
    b.cookies = a.cookies
    assert b.get("/api/session").status_code == 401
    assert (tmp_path / "a/data/web-secret.key").read_text() != (tmp_path / "b/data/web-secret.key").read_text()
    engine_for(pg_url).dispose()
