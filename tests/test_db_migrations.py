"""Schema migrations (handover.migrations) on SQLite and on a real PostgreSQL server: the revisions
build what the models declare, a database from before migrations is brought up and recorded at the
baseline, and the version is checked when a process starts (``handover.db.init_db``)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner
from sqlalchemy import inspect, select, text
from sqlalchemy.orm import sessionmaker

from handover import config, migrations
from handover import db as core_db
from handover.db import (Base, EnterpriseRow, SchemaOutdated, SchemaTooNew, engine_for, init_db,
                         run_legacy_steps, schema_state, session_scope)
from handover.migrations.__main__ import models

REPO = Path(__file__).resolve().parents[1]
HEAD = migrations.head()


@pytest.fixture
def database(request, data_dir, monkeypatch):
    """The configured database: the default SQLite in the data folder, or a fresh PostgreSQL one."""
    if request.param == "postgresql":
        monkeypatch.setenv("HANDOVER_DATABASE_URL", request.getfixturevalue("pg_url"))
    config.settings.cache_clear()
    yield config.settings()
    engine_for(config.settings().db_url).dispose()


both = pytest.mark.parametrize("database", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def on_pg(data_dir, pg_url, monkeypatch):
    monkeypatch.setenv("HANDOVER_DATABASE_URL", pg_url)
    config.settings.cache_clear()
    yield config.settings()
    engine_for(pg_url).dispose()


def _cli(*args: str):
    from handover_app.cli import main

    return CliRunner().invoke(main, list(args))


def _differences(engine) -> list:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True, "include_name": _ours})
        return compare_metadata(ctx, models())


def _ours(name, type_, _parents) -> bool:
    return not migrations.unmanaged(name) if type_ in ("table", "index") else True


def _made_by_an_earlier_version(cfg) -> None:
    """What init_db did before migrations: create_all of every registered table, then the schema
    steps; with rows in it, access_requests as it was before its 利用效果 column, retirees
    before the list indexes of revision 0002, enterprises and web_bundles before 0005's columns,
    and no table of a later revision."""
    models()
    engine = engine_for(cfg.db_url)
    Base.metadata.create_all(engine)
    with engine.begin() as conn:
        run_legacy_steps(conn)
        conn.execute(text("ALTER TABLE access_requests DROP COLUMN use_effect"))
        for index in ("ix_retirees_enterprise_place", "ix_retirees_enterprise_roster"):
            conn.execute(text(f"DROP INDEX {index}"))
        for table in LATER_TABLES:
            conn.execute(text(f"DROP TABLE {table}"))
    from archive_store import audit

    with _session(engine) as s:  # not session_scope: its init_db would upgrade the database
        s.add(EnterpriseRow(name="郑州第一机床厂", uscc="91410100MA40000001", region="henan-zhengzhou",
                            location={}))
        audit.record(s, "甲", "login", "甲", "")
    with engine.begin() as conn:  # after the rows: today's models write these columns
        _undo_0005(conn)


def _session(engine):
    return core_db.managed(sessionmaker(engine, expire_on_commit=False)())


@both
def test_the_revisions_build_what_the_models_declare(database):
    """A model changed without a revision (or a revision that builds something else) fails here."""
    engine = init_db(database)
    assert schema_state(engine).current == HEAD
    assert _differences(engine) == []


def test_a_fresh_sqlite_data_folder_is_created_at_head(data_dir):
    init_db()
    with sqlite3.connect(data_dir / "handover.sqlite3") as conn:
        names = {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [(HEAD,)]
        assert conn.execute("SELECT last_seq FROM audit_chain WHERE id = 1").fetchall() == [(0,)]
    assert {"page_fts", "audit_log_no_update", "audit_log_chained_insert", "audit_chain_forward_only"} <= names
    from archive_store import audit

    with session_scope() as s:
        audit.record(s, "甲", "login", "甲", "")
    with sqlite3.connect(data_dir / "handover.sqlite3") as conn, pytest.raises(sqlite3.DatabaseError,
                                                                              match="append-only"):
        conn.execute("UPDATE audit_log SET actor = '乙'")
    with engine_for(config.settings().db_url).connect() as conn:  # the upgrade's connection, back in the pool
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_an_earlier_sqlite_database_is_upgraded_at_start_and_keeps_its_rows(data_dir):
    cfg = config.settings()
    data_dir.mkdir(parents=True)
    _made_by_an_earlier_version(cfg)
    engine = engine_for(cfg.db_url)
    before = schema_state(engine)
    assert before.made_before and before.current is None and before.behind
    with engine.connect() as conn:
        assert not conn.execute(text("SELECT count(*) FROM sqlite_master WHERE name = 'alembic_version'")).scalar()
    core_db._created.clear()
    init_db(cfg)
    assert schema_state(engine).current == HEAD
    assert _differences(engine) == []  # the missing column added: the same schema as a fresh database
    from archive_store.audit_chain import check_chain

    with session_scope(cfg) as s:
        assert s.scalars(select(EnterpriseRow.name)).all() == ["郑州第一机床厂"]
        report = check_chain(s)
        assert report.ok and report.rows == 1


def test_an_empty_postgresql_database_is_created_at_head_at_start(on_pg):
    """make demo with HANDOVER_DATABASE_URL set: nothing to run before it."""
    result = _cli("enterprise", "list")
    assert result.exit_code == 0, result.output
    assert schema_state(engine_for(on_pg.db_url)).current == HEAD


def test_processes_starting_at_once_on_an_empty_postgresql_database_create_it_once(on_pg):
    code = "from handover.db import init_db, schema_state\nprint(schema_state(init_db()).current)"
    env = os.environ | {"PYTHONPATH": str(REPO), "HANDOVER_DATABASE_URL": on_pg.db_url}
    procs = [subprocess.Popen([sys.executable, "-c", code], cwd=REPO, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outcomes = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], [err for _, err in outcomes]
    assert [out.strip() for out, _ in outcomes] == [HEAD] * 3
    with engine_for(on_pg.db_url).connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [HEAD]


def test_an_earlier_postgresql_database_is_refused_until_db_upgrade(on_pg):
    """A server database is shared by several machines: its upgrade is a step of its own."""
    _made_by_an_earlier_version(on_pg)
    engine = engine_for(on_pg.db_url)
    with pytest.raises(SchemaOutdated, match="handover db upgrade"):
        init_db(on_pg)
    refused = _cli("enterprise", "list")
    assert refused.exit_code == 4 and isinstance(refused.exception, SystemExit)
    assert "数据库的结构版本较旧" in refused.output and "handover db upgrade" in refused.output
    status = _cli("db", "status")
    assert status.exit_code == 1 and "旧版建立" in status.output and HEAD in status.output
    assert "use_effect" not in {c["name"] for c in inspect(engine).get_columns("access_requests")}

    upgraded = _cli("db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.output
    assert f"→ {HEAD}" in upgraded.output
    assert _cli("db", "upgrade").output.startswith("数据库结构已是最新")
    assert _cli("db", "version").output.strip() == f"数据库结构版本：{HEAD}（本软件：{HEAD}）"
    assert _differences(engine) == []
    listed = _cli("enterprise", "list")
    assert listed.exit_code == 0 and "郑州第一机床厂" in listed.output


@both
def test_a_database_newer_than_the_software_is_refused(database):
    engine = init_db(database)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'f00d'"))
    core_db._created.clear()
    with pytest.raises(SchemaTooNew):
        init_db(database)
    for args in (("enterprise", "list"), ("db", "upgrade"), ("db", "status")):
        result = _cli(*args)
        assert result.exit_code == 4 and isinstance(result.exception, SystemExit), result.output
        assert "比本软件新" in result.output and "f00d" in result.output


@both
def test_a_database_at_the_baseline_gets_the_retiree_list_indexes(database):
    """Revision 0002 on a database made at 0001: automatic on SQLite, `handover db upgrade` on PostgreSQL."""
    names = {"ix_retirees_enterprise_place", "ix_retirees_enterprise_roster"}
    engine = init_db(database)
    assert names <= {i["name"] for i in inspect(engine).get_indexes("retirees")}
    with engine.begin() as conn:
        _undo_0008(conn)
        for name in names:
            conn.execute(text(f"DROP INDEX {name}"))
        for table in LATER_TABLES:  # and what the later revisions add
            conn.execute(text(f"DROP TABLE {table}"))
        _undo_0005(conn)
        conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    core_db._created.clear()
    _upgrade_at_start_or_by_command(engine, database)
    assert names <= {i["name"] for i in inspect(engine).get_indexes("retirees")}
    assert schema_state(engine).current == HEAD


# The tables of the revisions after 0002: 0003 (acceptance), 0004 (community contacts); 0005 adds columns only.
ACCEPTANCE_TABLES = ("acceptance_marks", "acceptances")
LATER_TABLES = (*ACCEPTANCE_TABLES, "community_contacts")


def _upgrade_at_start_or_by_command(engine, database) -> None:
    if engine.dialect.name == "sqlite":
        init_db(database)
    else:
        with pytest.raises(SchemaOutdated):
            init_db(database)
        assert _cli("db", "upgrade").exit_code == 0


@both
def test_a_database_at_0002_gets_the_acceptance_tables_and_the_community_contacts(database):
    """Revisions 0003 (the 验收 of received packages), 0004 (the 联系卡's 社区联系人 and 服务电话) and
    0005 (bundle jobs, roster changes) on a database made at 0002: automatic on SQLite, `handover db upgrade` on PostgreSQL; the tables
    they make are the ones the models declare."""
    engine = init_db(database)
    with engine.begin() as conn:
        _undo_0008(conn)
        for table in LATER_TABLES:
            conn.execute(text(f"DROP TABLE {table}"))
        _undo_0005(conn)
        conn.execute(text("UPDATE alembic_version SET version_num = '0002'"))
    core_db._created.clear()
    _upgrade_at_start_or_by_command(engine, database)
    assert set(LATER_TABLES) <= set(inspect(engine).get_table_names())
    assert {c["name"] for c in inspect(engine).get_unique_constraints("acceptance_marks")} == {
        "uq_acceptance_marks_item"}
    assert schema_state(engine).current == HEAD
    assert _differences(engine) == []


def _undo_0008(conn) -> None:
    """Revision 0008's own downgrade (PostgreSQL's index back to one table; nothing on SQLite)."""
    command.downgrade(migrations.config(conn), "0007")


def _undo_0007(conn) -> None:
    conn.execute(text("DROP INDEX ix_acceptances_manifest_sha256"))
    conn.execute(text("ALTER TABLE acceptances DROP COLUMN manifest_sha256"))


@both
def test_a_database_at_0006_gets_the_acceptances_manifest_hash_empty(database):
    """Revision 0007 on a database made at 0006 with an acceptance on record: the column is added
    and empty there (that acceptance lets no package be imported: it must be made again)."""
    engine = init_db(database)
    with engine.begin() as conn:
        _undo_0008(conn)
        _undo_0007(conn)
        conn.execute(text("UPDATE alembic_version SET version_num = '0006'"))
        conn.execute(text("INSERT INTO acceptances (package, vendor, status, volumes, images, error, seed, share, "
                          "population, sample, started_by, started_at, problems, conclusion) VALUES ('甲包', '', "
                          "'concluded', 1, 8, '', 's', 0.05, 1, '[]', 'x', '2026-12-01 00:00:00', '', '合格')"))
    core_db._created.clear()
    _upgrade_at_start_or_by_command(engine, database)
    assert schema_state(engine).current == HEAD
    with engine.connect() as conn:
        assert conn.execute(text("SELECT package, manifest_sha256 FROM acceptances")).one() == ("甲包", None)
    assert _differences(engine) == []


def test_a_postgresql_index_at_0007_is_partitioned_by_community_and_finds_the_same(on_pg, tmp_path):
    """Revision 0008 on a PostgreSQL database at 0007 with published pages: every indexed page
    moves into its community's partition and the searches find what they found before."""
    import datetime as dt

    from archive_store.publish import publish_volume
    from archive_store.search import search
    from handover import idnumber
    from handover.db import session_scope
    from tests.archive_store.helpers import ERQI, JINSHUI
    from tests.support.sample_volume import SamplePerson, write_sample_volume

    engine = init_db(on_pg)
    for n, community in enumerate((JINSHUI, ERQI), start=1):
        born = dt.date(1950 + n, 3, 10)
        person = SamplePerson(idnumber.make("410105", born, 2 * n + 1), f"张{'一二'[n - 1]}丰", "男", born,
                              "郑州第一纺织厂")
        vol = write_sample_volume(tmp_path / f"v{n}", person, seed=n, materials=3, extra_texts={1: "对照词"})
        publish_volume(on_pg, vol, community, "henan-zhengzhou", "入库员")

    def found() -> list[tuple]:
        with session_scope(on_pg) as s:
            return [(h.ref_no, h.page_seq) for q in ("对照词", "张", "退休审批") for h in search(s, q, None, limit=50)]

    before = found()
    with engine.begin() as conn:
        pages = conn.execute(text("SELECT count(*) FROM page_fts")).scalar()
        _undo_0008(conn)
        assert "community_id" not in {c["name"] for c in inspect(conn).get_columns("page_fts")}
        assert conn.execute(text("SELECT count(*) FROM page_fts")).scalar() == pages > 0
    core_db._created.clear()
    _upgrade_at_start_or_by_command(engine, on_pg)
    with engine.connect() as conn:
        homes = conn.execute(text("SELECT f.community_id = v.community_id, count(*) FROM page_fts f "
                                  "JOIN pages p ON p.id = f.page_id JOIN volumes v ON v.id = p.volume_id "
                                  "GROUP BY 1")).all()
        assert homes == [(True, pages)]
        assert conn.execute(text("SELECT count(*) FROM pg_partition_tree('page_fts') WHERE isleaf")).scalar() == 16
    assert found() == before and len(before) > 2


def _undo_0005(conn) -> None:
    conn.execute(text("ALTER TABLE enterprises DROP COLUMN roster_changed_at"))
    conn.execute(text("ALTER TABLE web_bundles DROP COLUMN task_id"))
    conn.execute(text("ALTER TABLE web_bundles DROP COLUMN heartbeat_at"))


@both
def test_a_database_at_0004_gets_the_bundle_job_columns(database):
    """Revision 0005 on a database made at 0004, with a bundle and an enterprise in it: the new
    columns are added, the bundle row kept with an empty task id."""
    engine = init_db(database)
    with engine.begin() as conn:
        _undo_0008(conn)
        _undo_0007(conn)
        _undo_0005(conn)
        conn.execute(text("UPDATE alembic_version SET version_num = '0004'"))
        conn.execute(text("INSERT INTO enterprises (name, uscc, region, location, insured_county, "
                          "legal_representative, contact, phone) "
                          "VALUES ('甲厂', '91410100MA00000001', 'henan-zhengzhou', '{}', '', '', '', '')"))
        conn.execute(text("INSERT INTO web_users (username, display_name, password_hash, role, active, "
                          "session_version) VALUES ('ent', '', 'x', 'enterprise', true, 1)"))
        conn.execute(text("INSERT INTO web_bundles (token, enterprise_id, user_id, status, done, total, label, "
                          "error, persons, manifest) SELECT 'abc', e.id, u.id, 'done', 1, 1, '', '', 1, '{}' "
                          "FROM enterprises e, web_users u"))
    core_db._created.clear()
    _upgrade_at_start_or_by_command(engine, database)
    assert schema_state(engine).current == HEAD
    with engine.connect() as conn:
        assert conn.execute(text("SELECT task_id, heartbeat_at FROM web_bundles")).one() == ("", None)
        assert conn.execute(text("SELECT roster_changed_at FROM enterprises")).scalar() is None
