"""The schema is made by the migrations (handover.migrations), whichever packages a process imports:
every entry point — the core alone, the CLI, the web app, a worker — creates every table on a fresh
database, and every table a package declares is in the migrations (tests/test_db_migrations.py
compares the columns).

Each case runs in a fresh interpreter: which tables are registered is a property of the process.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).with_name("handover")
ABOVE_CORE = ("docgen", "ocr", "completeness", "archive_store", "workers", "web")


def _tables_of(*modules: str) -> set[str]:
    """The tables the given ``tables`` modules declare (read in a fresh interpreter)."""
    code = ("import importlib, sys\nfrom handover.db import Base\nbefore = set(Base.metadata.tables)\n"
            "for m in sys.argv[1:]: importlib.import_module(m)\n"
            "print(' '.join(sorted(set(Base.metadata.tables) - before)))")
    out = subprocess.run([sys.executable, "-c", code, *modules], cwd=REPO, capture_output=True, text=True,
                         check=True).stdout
    return set(out.split())


def _run(args: list[str], data: Path) -> str:
    env = {k: v for k, v in os.environ.items() if k != "HANDOVER_DB_URL"} | {"HANDOVER_DATA_DIR": str(data)}
    proc = subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def _created(data: Path) -> set[str]:
    with sqlite3.connect(data / "handover.sqlite3") as db:
        return {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


@pytest.fixture(scope="module")
def core_tables() -> set[str]:
    return {"enterprises", "roster_imports", "retirees", "community_decisions", "community_holds"}


@pytest.fixture(scope="module")
def every_table(core_tables) -> set[str]:
    return core_tables | _tables_of("archive_store.tables", "completeness.tables", "workers.tables",
                                    "web.tables")


def test_the_core_creates_every_table_and_imports_nothing_above_it(tmp_path, every_table):
    code = ("import sys\nfrom handover.db import init_db\ninit_db()\n"
            f"print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in {ABOVE_CORE!r})))")
    assert _run([sys.executable, "-c", code], tmp_path / "data").split() == []
    assert every_table <= _created(tmp_path / "data")


def test_the_cli_creates_every_table_on_a_fresh_database(tmp_path, every_table):
    _run([str(BIN), "enterprise", "list"], tmp_path / "data")  # a core command: the CLI composes all
    assert every_table <= _created(tmp_path / "data")


def test_the_web_app_creates_every_table_on_a_fresh_database(tmp_path, every_table):
    _run([sys.executable, "-c", "from web.app import create_app\ncreate_app()"], tmp_path / "data")
    assert every_table <= _created(tmp_path / "data")


def test_a_worker_process_creates_every_table_on_a_fresh_database(tmp_path, every_table):
    _run([sys.executable, "-m", "workers", "status", "--json"], tmp_path / "data")
    assert every_table <= _created(tmp_path / "data")
