"""A database that cannot be used stops the CLI, the web server's start and a worker's start with a
Chinese message and exit code 4 (handover.errors.EXIT_UNAVAILABLE), no traceback: a kind this
software does not support, no driver, a server that does not answer or refuses us, a schema older
than the software. The server cases run against the throw-away PostgreSQL."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from handover import config
from handover.db import engine_for
from handover.errors import EXIT_UNAVAILABLE

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).with_name("handover")

# A command of each kind of start: a CLI command, the web server, a catalog worker.
STARTS = {
    "cli": (["enterprise", "list"], {}),
    "web": (["serve", "--port", "8765"], {}),  # never listens: refused at create_app
    "worker": (["worker"], {"HANDOVER_BROKER": "redis://127.0.0.1:1/0"}),  # refused before Celery
}


def _refused(url: str, start: str, monkeypatch) -> str:
    from handover_app.cli import main

    args, env = STARTS[start]
    monkeypatch.setenv("HANDOVER_DATABASE_URL", url)
    monkeypatch.setenv("COLUMNS", "400")  # Rich wraps the message at the terminal's width
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    config.settings.cache_clear()
    result = CliRunner().invoke(main, args)
    config.settings.cache_clear()
    assert isinstance(result.exception, SystemExit), result.exception  # not an uncaught error
    assert result.exit_code == EXIT_UNAVAILABLE, result.output
    assert "Traceback" not in result.output
    return result.output


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("start", STARTS)
def test_an_unsupported_kind_of_database(start, data_dir, monkeypatch):
    said = _refused("mysql+pymysql://archive:secret@127.0.0.1/handover", start, monkeypatch)
    assert "不支持的数据库类型 mysql" in said and "PostgreSQL" in said
    assert "secret" not in said


def test_a_driver_that_is_not_installed(data_dir, monkeypatch):
    said = _refused("postgresql+psycopg2://archive@127.0.0.1/handover", "cli", monkeypatch)
    assert "未安装其驱动程序 psycopg2" in said and "postgresql+psycopg://" in said


def test_a_plain_postgresql_url_uses_the_installed_driver(data_dir, pg_url, monkeypatch):
    """postgresql:// names psycopg2 in SQLAlchemy; the software ships psycopg 3 and uses it."""
    plain = pg_url.replace("postgresql+psycopg://", "postgresql://")
    monkeypatch.setenv("HANDOVER_DATABASE_URL", plain)
    config.settings.cache_clear()
    from handover_app.cli import main

    result = CliRunner().invoke(main, ["enterprise", "list"])
    assert result.exit_code == 0, result.output
    assert engine_for(plain).dialect.driver == "psycopg"
    engine_for(plain).dispose()


@pytest.mark.parametrize("start", STARTS)
def test_a_server_that_is_not_listening(start, data_dir, pg_cluster, monkeypatch):
    url = f"postgresql+psycopg://handover@127.0.0.1:{_closed_port()}/handover"
    said = _refused(url, start, monkeypatch)
    assert "无法连接数据库" in said and "服务器拒绝连接" in said


@pytest.fixture(scope="module")
def password_role(pg_cluster):
    """A role that must give its password (the cluster trusts everyone else on 127.0.0.1)."""
    hba = pg_cluster.root / "data" / "pg_hba.conf"
    kept = hba.read_text()
    hba.write_text("host all pwcheck 127.0.0.1/32 scram-sha-256\n" + kept)
    pg_cluster.psql("CREATE ROLE pwcheck LOGIN PASSWORD 'right-one'")
    pg_cluster.psql("SELECT pg_reload_conf()")
    yield "pwcheck"
    hba.write_text(kept)
    pg_cluster.psql("SELECT pg_reload_conf()")
    pg_cluster.psql("DROP ROLE pwcheck")


def test_a_wrong_password(data_dir, pg_cluster, password_role, monkeypatch):
    url = f"postgresql+psycopg://{password_role}:wrong-one@127.0.0.1:{pg_cluster.port}/postgres"
    said = _refused(url, "cli", monkeypatch)
    assert "用户名或密码错误" in said and "wrong-one" not in said
    right = url.replace("wrong-one", "right-one")
    with engine_for(right).connect() as conn:  # the role itself works: it was the password
        assert conn.execute(text("SELECT current_user")).scalar() == password_role
    engine_for(right).dispose()


def test_a_database_that_does_not_exist(data_dir, pg_cluster, monkeypatch):
    said = _refused(pg_cluster.url("no_such_archive"), "cli", monkeypatch)
    assert "服务器上没有这个数据库或用户" in said


@pytest.fixture
def earlier_pg(data_dir, pg_url, monkeypatch):
    """A PostgreSQL database made by the version before migrations (create_all + schema steps)."""
    from tests.test_db_migrations import _made_by_an_earlier_version

    monkeypatch.setenv("HANDOVER_DATABASE_URL", pg_url)
    config.settings.cache_clear()
    _made_by_an_earlier_version(config.settings())
    yield pg_url
    engine_for(pg_url).dispose()


@pytest.mark.parametrize("start", STARTS)
def test_a_schema_older_than_the_software(start, earlier_pg, monkeypatch):
    said = _refused(earlier_pg, start, monkeypatch)
    assert "数据库的结构版本较旧" in said and "handover db upgrade" in said


def test_the_installed_command_prints_no_traceback(tmp_path):
    """The console script itself, not only Click's runner: message on stderr, exit code 4."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HANDOVER_")}
    env |= {"HANDOVER_DATA_DIR": str(tmp_path / "data"), "PYTHONPATH": str(REPO),
            "HANDOVER_DATABASE_URL": f"postgresql://archive:secret@127.0.0.1:{_closed_port()}/handover",
            "COLUMNS": "400"}
    proc = subprocess.run([str(BIN), "enterprise", "list"], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == EXIT_UNAVAILABLE
    assert "Traceback" not in proc.stderr and "无法连接数据库" in proc.stderr
    assert "secret" not in proc.stderr
