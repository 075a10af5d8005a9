"""The schema is composed from above: the core creates what the packages in use registered, and the
entry points that compose every package (the CLI, the web app) create every table on a fresh database.

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


def test_the_core_creates_its_own_tables_and_imports_nothing_above_it(tmp_path, core_tables):
    code = ("import sys\nfrom handover.db import init_db\ninit_db()\n"
            f"print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in {ABOVE_CORE!r})))")
    assert _run([sys.executable, "-c", code], tmp_path / "data").split() == []
    assert _created(tmp_path / "data") == core_tables


def test_a_package_used_after_the_first_init_db_gets_its_tables_on_the_next(tmp_path, core_tables):
    code = ("from handover.db import init_db\ninit_db()\nimport archive_store.audit\ninit_db()\n"
            "from handover.db import session_scope\nfrom archive_store import audit\n"
            "with session_scope() as s: audit.record(s, '甲', 'read', 'J410-1', '')\n")
    _run([sys.executable, "-c", code], tmp_path / "data")
    assert core_tables | _tables_of("archive_store.tables") <= _created(tmp_path / "data")


def test_the_cli_creates_every_table_on_a_fresh_database(tmp_path, every_table):
    _run([str(BIN), "enterprise", "list"], tmp_path / "data")  # a core command: the CLI composes all
    assert every_table <= _created(tmp_path / "data")


def test_the_web_app_creates_every_table_on_a_fresh_database(tmp_path, every_table):
    _run([sys.executable, "-c", "from web.app import create_app\ncreate_app()"], tmp_path / "data")
    assert every_table <= _created(tmp_path / "data")


def test_a_worker_process_creates_the_tables_of_the_packages_it_runs(tmp_path, core_tables):
    _run([sys.executable, "-m", "workers", "status", "--json"], tmp_path / "data")
    wanted = core_tables | _tables_of("archive_store.tables", "workers.tables")
    assert wanted <= _created(tmp_path / "data")


def test_a_database_from_before_the_retiree_list_indexes_gets_them(tmp_path):
    data = tmp_path / "data"
    _run([sys.executable, "-c", "from handover.db import init_db\ninit_db()"], data)
    indexes = ("ix_retirees_enterprise_place", "ix_retirees_enterprise_roster")

    def present() -> set[str]:
        with sqlite3.connect(data / "handover.sqlite3") as db:
            return {n for (n,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")} & set(indexes)

    assert present() == set(indexes)  # a fresh database has them from create_all
    with sqlite3.connect(data / "handover.sqlite3") as db:  # as the earlier version made it
        for name in indexes:
            db.execute(f"DROP INDEX {name}")
    assert present() == set()
    _run([sys.executable, "-c", "from handover.db import init_db\ninit_db()"], data)
    assert present() == set(indexes)
