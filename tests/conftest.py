"""Shared fixtures: every test gets its own data directory (SQLite + object store)."""

from __future__ import annotations

import os

import pytest

from handover import config


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    path = tmp_path / "data"
    monkeypatch.setenv("HANDOVER_DATA_DIR", str(path))
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


@pytest.fixture
def pg_url(pg_cluster):
    """A fresh, empty database on the session's PostgreSQL server; dropped after the test."""
    name = f"t{os.getpid()}_{next(_pg_databases)}"
    url = pg_cluster.create_database(name)
    yield url
    pg_cluster.drop_database(name)
