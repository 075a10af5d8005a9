"""The audit log is append-only and hash-chained: `handover verify --audit` finds an altered, a
deleted and a smuggled-in row; concurrent writers never fork the chain; a database from before the
chain is chained once on upgrade. On SQLite and on PostgreSQL (HANDOVER_TEST_DATABASE)."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, delete, inspect, select, text, update
from sqlalchemy.exc import DatabaseError

from archive_store import audit
from archive_store.audit_chain import check_chain, digest
from archive_store.cli import verify_command
from archive_store.tables import AuditChainRow, AuditRow
from handover import db as core_db
from handover.db import init_db, session_scope

REPO = Path(__file__).resolve().parents[2]


def _as_attacker(cfg, *statements: str) -> None:
    """Someone with the database (the SQLite file, or the owner's account of the PostgreSQL
    database) on a connection of their own: drops the guard that is in the way, then edits."""
    engine = create_engine(cfg.db_url)
    try:
        with engine.begin() as conn:
            for sql in statements:
                conn.execute(text(sql))
    finally:
        engine.dispose()


def _drop_guard(cfg, name: str) -> str:
    table = "audit_chain" if name.startswith("audit_chain") else "audit_log"
    return f"DROP TRIGGER {name}" + ("" if cfg.db_url.startswith("sqlite") else f" ON {table}")


def _write(cfg, n: int, actor: str = "档案员") -> None:
    for i in range(n):
        with session_scope(cfg) as s:
            audit.record(s, actor, "view_dossier", f"J410-TX·410105001001-{i:04d}", "", n=i)


def _verify():
    return CliRunner().invoke(verify_command, ["--audit"])


def test_an_intact_log_passes_with_a_one_line_summary(cfg):
    _write(cfg, 5)
    result = _verify()
    assert result.exit_code == 0, result.output
    assert result.output.count("\n") == 1 and "审计日志完好" in result.output and "5 条记录" in result.output
    assert CliRunner().invoke(verify_command, ["--audit", "--community", "纬五路社区"]).exit_code == 2
    # The run is itself audited, chained onto the rest.
    with session_scope(cfg) as s:
        last = s.scalar(select(AuditRow).order_by(AuditRow.seq.desc()).limit(1))
        assert (last.action, last.seq, last.detail["findings"]) == ("verify_audit", 6, 0)
        assert check_chain(s).ok


def test_rows_cannot_be_changed_or_deleted_through_the_database(cfg):
    _write(cfg, 2)
    with session_scope(cfg) as s:
        row_id = s.scalar(select(AuditRow.id).limit(1))
    for statement in (update(AuditRow).where(AuditRow.id == row_id).values(reason="改过"),
                      delete(AuditRow).where(AuditRow.id == row_id),
                      delete(AuditChainRow),
                      update(AuditChainRow).values(last_seq=0)):
        with pytest.raises(DatabaseError, match="audit"), session_scope(cfg) as s:
            s.execute(statement)
    with pytest.raises(DatabaseError, match="hash chain"):
        _as_attacker(cfg, "INSERT INTO audit_log (at, actor, action, target, reason, detail, outcome) "
                     "VALUES ('2026-01-01 00:00:00', '某人', 'read', 'x', '', '{}', 'allowed')")
    with session_scope(cfg) as s:
        assert check_chain(s).ok and check_chain(s).rows == 2


def test_an_altered_row_is_reported_with_its_id(cfg):
    _write(cfg, 4)
    with session_scope(cfg) as s:
        victim = s.scalars(select(AuditRow).order_by(AuditRow.seq)).all()[1]
    _as_attacker(cfg, _drop_guard(cfg, "audit_log_no_update"),
                 f"UPDATE audit_log SET actor = '别人' WHERE id = {victim.id}")
    result = _verify()
    assert result.exit_code == 1, result.output
    assert f"编号 {victim.id}" in result.output and "已被改动" in result.output

    # Recomputing the altered row's own hash (plain SHA-256) only moves the finding to its link.
    with session_scope(cfg) as s:
        row = s.get(AuditRow, victim.id)
        forged = digest(row)
        following = s.scalar(select(AuditRow.id).where(AuditRow.seq == row.seq + 1))
    _as_attacker(cfg, f"UPDATE audit_log SET row_hash = '{forged}' WHERE id = {victim.id}")
    with session_scope(cfg) as s:
        findings = check_chain(s).findings
    assert [(f.kind, f.row_id) for f in findings] == [("relinked", following)]


def test_deleted_rows_are_reported(cfg):
    _write(cfg, 6)
    with session_scope(cfg) as s:
        rows = s.scalars(select(AuditRow).order_by(AuditRow.seq)).all()
    _as_attacker(cfg, _drop_guard(cfg, "audit_log_no_delete"),
                 f"DELETE FROM audit_log WHERE id IN ({rows[2].id}, {rows[3].id})",
                 f"DELETE FROM audit_log WHERE id = {rows[5].id}")  # the newest one too
    result = _verify()
    assert result.exit_code == 1, result.output
    assert "第 3–4 条审计记录已被删除" in result.output and "最新的第 6 条审计记录已被删除" in result.output
    with session_scope(cfg) as s:
        report = check_chain(s)
    assert [(f.kind, f.seq_from, f.seq_to) for f in report.findings] == [("deleted", 3, 4), ("deleted", 6, 6)]


def test_a_row_inserted_around_the_chain_is_reported(cfg):
    _write(cfg, 1)
    _as_attacker(cfg, _drop_guard(cfg, "audit_log_chained_insert"),
                 "INSERT INTO audit_log (at, actor, action, target, reason, detail, outcome) "
                 "VALUES ('2026-01-01 00:00:00.000000', '某人', 'read', 'x', '', '{}', 'allowed')")
    with session_scope(cfg) as s:
        findings = check_chain(s).findings
    assert [f.kind for f in findings] == ["unchained"]


def test_concurrent_writers_never_chain_onto_the_same_row(cfg):
    """Writers in separate processes (web server, workers, CLI) append at once."""
    code = ("import sys\nfrom handover.db import session_scope\nfrom archive_store import audit\n"
            "for i in range(30):\n"
            "    with session_scope() as s:\n"
            "        audit.record(s, sys.argv[1], 'search', f'q{i}', '')\n"
            "        audit.record(s, sys.argv[1], 'read', f'r{i}', '')\n")
    init_db(cfg)
    env = os.environ | {"PYTHONPATH": str(REPO)}
    procs = [subprocess.Popen([sys.executable, "-c", code, f"writer{n}"], cwd=REPO, env=env) for n in range(3)]
    assert [p.wait(timeout=300) for p in procs] == [0, 0, 0]
    with session_scope(cfg) as s:
        report = check_chain(s)
        assert report.ok, [f.message for f in report.findings]
        assert report.rows == report.last_seq == 3 * 60
        prevs = [r.prev_hash for r in s.scalars(select(AuditRow))]
        assert len(set(prevs)) == len(prevs)  # no fork: each row follows a different one


@pytest.mark.empty_database
def test_a_database_from_before_the_chain_is_chained_once_on_upgrade(cfg):
    cfg.data_dir.mkdir(parents=True)
    key = "INTEGER PRIMARY KEY" if cfg.db_url.startswith("sqlite") else "SERIAL PRIMARY KEY"
    stamp = "DATETIME" if cfg.db_url.startswith("sqlite") else "TIMESTAMP"
    engine = create_engine(cfg.db_url)
    with engine.begin() as db:  # audit_log as earlier versions created it
        db.execute(text(f"CREATE TABLE audit_log (id {key}, at {stamp}, actor VARCHAR(64), "
                        "action VARCHAR(32), target VARCHAR(400), reason VARCHAR(400), detail JSON)"))
        db.execute(text("INSERT INTO audit_log (at, actor, action, target, reason, detail) "
                        "VALUES (:at, :actor, :action, :target, :reason, :detail)"),
                   [dict(zip(("at", "actor", "action", "target", "reason", "detail"), row)) for row in
                    [(dt.datetime(2025, 3, 1, 8, 0), "甲", "login", "甲", "", "{}"),
                     (dt.datetime(2025, 3, 1, 8, 1), "乙", "denied", "J410-1", "无权", json.dumps({"path": "/x"})),
                     (dt.datetime(2025, 3, 1, 8, 2), "丙", "not_found", "volume/99", "", "{}")]])
    engine.dispose()
    if not cfg.db_url.startswith("sqlite"):  # a server database is upgraded by `handover db upgrade`
        core_db.upgrade(core_db.database_engine(cfg))
    init_db(cfg)
    core_db._created.pop(cfg.db_url)  # as if another process started: nothing is chained twice
    init_db(cfg)
    _write(cfg, 1)
    with session_scope(cfg) as s:
        rows = s.scalars(select(AuditRow).order_by(AuditRow.id)).all()
        assert [(r.seq, r.outcome) for r in rows] == [(1, "allowed"), (2, "refused"), (3, "not_found"),
                                                      (4, "allowed")]
        report = check_chain(s)
        assert report.ok and report.legacy_rows == 3
        assert "前 3 条为启用哈希链之前的记录" in report.summary
        assert report.chained_at.date() >= dt.date(2026, 1, 1)
    # The legacy rows are guarded like the rest, and positions are unique as on a new database.
    with pytest.raises(DatabaseError, match="append-only"):
        _as_attacker(cfg, "DELETE FROM audit_log WHERE id = 1")
    engine = create_engine(cfg.db_url)
    indexes = {i["name"]: bool(i["unique"]) for i in inspect(engine).get_indexes("audit_log")}
    engine.dispose()
    assert indexes["ix_audit_log_seq"] and "ix_audit_log_outcome" in indexes


@pytest.mark.sqlite_only
def test_a_process_start_on_an_upgraded_database_writes_nothing(cfg):
    """A worker or server starting while another process holds the write lock (a publish) must not
    wait for it: once the chain is in place, init_db only reads."""
    import sqlite3

    _write(cfg, 1)
    with sqlite3.connect(cfg.data_dir / "handover.sqlite3") as busy:
        busy.execute("BEGIN IMMEDIATE")
        busy.execute("INSERT INTO audit_chain (id, last_seq, last_hash, legacy_rows) VALUES (2, 0, '', 0)")
        core_db._created.pop(cfg.db_url)
        init_db(cfg)
        busy.rollback()


def test_truncate_is_refused_on_postgresql(pg_url, monkeypatch, tmp_path):
    """TRUNCATE fires no row trigger: PostgreSQL's statement triggers refuse it on both tables
    (SQLite has no TRUNCATE; its DELETE triggers cover a DELETE without WHERE)."""
    from handover.config import Settings

    cfg = Settings(data_dir=tmp_path / "data", database_url=pg_url)
    init_db(cfg)
    with session_scope(cfg) as s:
        audit.record(s, "档案员", "view_dossier", "J410-TX·410105001001-0001", "")
    for table in ("audit_log", "audit_chain"):
        with pytest.raises(DatabaseError, match="audit"):
            _as_attacker(cfg, f"TRUNCATE {table} CASCADE")
    with session_scope(cfg) as s:
        report = check_chain(s)
        assert report.ok and report.rows == 1
