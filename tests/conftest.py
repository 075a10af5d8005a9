"""Shared fixtures: every test gets its own data directory (SQLite + object store).

``HANDOVER_TEST_DATABASE=postgresql`` runs the database-touching suites against a throw-away
PostgreSQL server instead of SQLite: the fixtures that set up a test's settings (``data_dir``
here, ``cfg`` in tests/archive_store, the web seed, the worker clusters) then point
``HANDOVER_DATABASE_URL`` at a fresh database of their own (``database_url``). `make test` runs
the whole suite on SQLite and the database-touching files a second time on PostgreSQL.
"""

from __future__ import annotations

import os

import pytest

from handover import config

TEST_DATABASE = os.environ.get("HANDOVER_TEST_DATABASE", "sqlite").strip().lower() or "sqlite"
ON_POSTGRES = TEST_DATABASE == "postgresql"


def pytest_configure(config):
    if TEST_DATABASE not in ("sqlite", "postgresql"):
        raise pytest.UsageError(f"HANDOVER_TEST_DATABASE={TEST_DATABASE!r}: use sqlite or postgresql")
    config.addinivalue_line("markers", "sqlite_only: the test is about SQLite itself (its file, its pragmas)")
    config.addinivalue_line("markers", "empty_database: the test makes the schema itself (an older version's)")


def pytest_collection_modifyitems(config, items):
    if ON_POSTGRES:
        for item in items:
            if item.get_closest_marker("sqlite_only"):
                item.add_marker(pytest.mark.skip(reason="about SQLite itself; the SQLite run covers it"))


@pytest.fixture
def database_url(request) -> str:
    """The catalog database of one test: "" (SQLite inside its data folder), or under
    HANDOVER_TEST_DATABASE=postgresql a database of its own on the session's server: a copy of
    one with the whole schema (a copy takes a tenth of the time of creating it), or empty for a
    test marked ``empty_database``."""
    if not ON_POSTGRES:
        yield ""
        return
    if request.node.get_closest_marker("empty_database"):
        yield request.getfixturevalue("pg_url")
        return
    cluster, template = request.getfixturevalue("pg_cluster"), request.getfixturevalue("pg_schema")
    name, url = new_pg_database(cluster, template=template)
    yield url
    _forget_engine(url)
    cluster.drop_database(name)


@pytest.fixture(scope="session")
def pg_schema(pg_cluster) -> str:
    """The name of a database holding the whole current schema, to be copied."""
    import archive_store  # noqa: F401 - every package registers its tables and schema steps
    import handover_app.cli  # noqa: F401
    import web.tables  # noqa: F401
    import workers.tables  # noqa: F401
    from handover.config import Settings
    from handover.db import init_db

    name, url = new_pg_database(pg_cluster)
    init_db(Settings(database_url=url))
    _forget_engine(url)
    return name


def use_database(monkeypatch, url: str) -> None:
    """Point the process settings (and the CLI and child processes) at ``url`` ("" = SQLite)."""
    if url:
        monkeypatch.setenv("HANDOVER_DATABASE_URL", url)
    else:
        monkeypatch.delenv("HANDOVER_DATABASE_URL", raising=False)


@pytest.fixture
def data_dir(tmp_path, monkeypatch, database_url):
    path = tmp_path / "data"
    monkeypatch.setenv("HANDOVER_DATA_DIR", str(path))
    use_database(monkeypatch, database_url)
    config.settings.cache_clear()
    yield path
    config.settings.cache_clear()


@pytest.fixture(scope="session")
def pg_cluster():
    """One throw-away PostgreSQL server for the whole run (Debian's postgresql package)."""
    from tests.support.pg_cluster import PostgresCluster, server_bindir

    if server_bindir() is None:
        pytest.fail("PostgreSQL server binaries not found: `make install` installs Debian's postgresql")
    cluster = PostgresCluster()
    try:
        cluster.start()
    except Exception as err:  # initdb/pg_ctl output says why
        log = cluster.log_path.read_text(errors="replace")[-2000:] if cluster.log_path.exists() else ""
        cluster.stop()
        pytest.fail(f"could not start PostgreSQL: {err} {getattr(err, 'stderr', '')}\n{log}")
    yield cluster
    cluster.stop()


_pg_databases = iter(range(1, 1_000_000))


def new_pg_database(cluster, template: str | None = None) -> tuple[str, str]:
    """(name, url) of a new database on ``cluster``, empty or a copy of ``template``."""
    name = f"t{os.getpid()}_{next(_pg_databases)}"
    return name, cluster.create_database(name, template=template)


@pytest.fixture
def pg_url(pg_cluster):
    """A fresh, empty database on the session's PostgreSQL server; dropped after the test."""
    name, url = new_pg_database(pg_cluster)
    yield url
    _forget_engine(url)
    pg_cluster.drop_database(name)


def _forget_engine(url: str) -> None:
    """Close this process's pooled connections to a database about to be dropped."""
    from handover import db

    db.engine_for(url).dispose()
    db._created.pop(url, None)
