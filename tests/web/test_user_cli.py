"""``handover user reset-password``, ``sign-out`` and ``prune-sessions``, and the hourly prune of
the web server (issue 19): run through Click's CliRunner against the seeded data folder."""

from __future__ import annotations

import datetime as dt
import re
import time

from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import sessionmaker

from archive_store.tables import AuditRow
from handover.db import init_db, session_scope
from web.cleanup import prune_sessions
from web.cli import user_group
from web.tables import SessionRow

from .conftest import PASSWORD, sign_in


def _run(*args, input=None):
    return CliRunner().invoke(user_group, list(args), input=input)


def test_reset_password_prints_a_one_time_password_that_must_be_changed(app, seed):
    signed_in = sign_in(app, "comm_a")
    r = _run("reset-password", "comm_a")
    assert r.exit_code == 0, r.output
    assert "已全部退出（1 个）" in r.output and "下次登录时须设置新密码" in r.output
    password = re.search(r"一次性密码：(\S+)", r.output).group(1)
    assert signed_in.get("/api/session").status_code == 401
    assert TestClient(app).post("/api/session", json={"username": "comm_a", "password": PASSWORD}).status_code == 401
    api = sign_in(app, "comm_a", password)
    assert api.get("/api/session").json()["password_change_required"] is True
    assert api.get(f"/api/dossiers/{seed.volume_a}").status_code == 403
    # Each reset draws a new password.
    assert re.search(r"一次性密码：(\S+)", _run("reset-password", "comm_a").output).group(1) != password
    with session_scope(seed.cfg) as s:
        rows = list(s.scalars(select(AuditRow).where(AuditRow.action == "password_reset")))
    assert [(r.target, r.reason) for r in rows] == [("comm_a", "命令行")] * 2
    assert all(password not in str(r.detail) for r in rows)


def test_reset_password_with_a_typed_password_and_refusals(app):
    r = _run("reset-password", "ent_b", "--prompt", input="Temp-Kennwort-9\nTemp-Kennwort-9\n")
    assert r.exit_code == 0, r.output
    assert "一次性密码" not in r.output
    assert sign_in(app, "ent_b", "Temp-Kennwort-9").get("/api/session").json()["password_change_required"] is True
    r = _run("reset-password", "ent_b", "--prompt", input="short\nshort\n")
    assert r.exit_code != 0 and "密码至少需要10个字符" in r.output
    r = _run("reset-password", "nobody")
    assert r.exit_code != 0 and "没有用户" in r.output


def test_sign_out_one_user_or_everyone(app, seed):
    a1, a2, b = sign_in(app, "archivist"), sign_in(app, "archivist"), sign_in(app, "comm_b")
    r = _run("sign-out", "archivist")
    assert r.exit_code == 0 and "（2 个）" in r.output, r.output
    assert a1.get("/api/session").status_code == 401 and a2.get("/api/session").status_code == 401
    assert b.get("/api/session").status_code == 200
    admin = sign_in(app, "admin")
    r = _run("sign-out", "--all")
    assert r.exit_code == 0 and "所有用户" in r.output and "（2 个）" in r.output, r.output
    assert b.get("/api/session").status_code == 401 and admin.get("/api/session").status_code == 401
    assert _run("sign-out").exit_code == 2 and _run("sign-out", "admin", "--all").exit_code == 2
    assert _run("sign-out", "nobody").exit_code != 0
    with session_scope(seed.cfg) as s:
        rows = [(r.action, r.target, r.detail["sessions_ended"]) for r in
                s.scalars(select(AuditRow).where(AuditRow.action == "sessions_ended").order_by(AuditRow.id))]
    assert rows == [("sessions_ended", "archivist", 2), ("sessions_ended", "*", 2)]


def _age(seed):
    """Of the first four sessions: the 1st open, the 2nd ended long ago, the 3rd ended yesterday,
    the 4th never ended but idle since long ago."""
    with session_scope(seed.cfg) as s:
        ids = [r.id for r in s.scalars(select(SessionRow).order_by(SessionRow.id))]
        long_ago = dt.datetime(2020, 1, 1)
        s.execute(update(SessionRow).where(SessionRow.id == ids[1]).values(ended_at=long_ago, end_reason="logout"))
        s.execute(update(SessionRow).where(SessionRow.id == ids[2])
                  .values(ended_at=dt.datetime.utcnow() - dt.timedelta(days=1), end_reason="logout"))
        s.execute(update(SessionRow).where(SessionRow.id == ids[3]).values(created_at=long_ago, last_seen_at=long_ago))
        return ids


def _left(seed) -> list[int]:
    with session_scope(seed.cfg) as s:
        return list(s.scalars(select(SessionRow.id).order_by(SessionRow.id)))


def test_prune_sessions_removes_only_long_ended_ones(app, seed):
    live = sign_in(app, "admin")
    for name in ("comm_a", "comm_b", "ent_a"):
        sign_in(app, name)
    ids = _age(seed)
    r = _run("prune-sessions")
    assert r.exit_code == 0 and "已清理 2 条" in r.output, r.output
    assert _left(seed) == [ids[0], ids[2]]
    assert live.get("/api/session").status_code == 200
    r = _run("prune-sessions", "--days", "0")
    assert r.exit_code == 0 and "已清理 1 条" in r.output, r.output
    assert _left(seed) == [ids[0]]
    with session_scope(seed.cfg) as s:
        assert s.scalar(select(func.count()).select_from(AuditRow).where(AuditRow.action == "sessions_pruned")) == 2


def test_the_server_prunes_ended_sessions_on_its_hourly_sweep(app, seed):
    from web.app import create_app

    for name in ("admin", "comm_a", "comm_b", "ent_a"):
        sign_in(app, name)
    ids = _age(seed)
    with TestClient(create_app(seed.cfg)):  # the lifespan starts the sweeper, which runs at once
        deadline = time.monotonic() + 10
        while len(_left(seed)) > 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    assert _left(seed) == [ids[0], ids[2]]
    assert prune_sessions(sessionmaker(init_db(seed.cfg)), seed.cfg) == 0
