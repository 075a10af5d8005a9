"""A throw-away PostgreSQL cluster for the tests and benchmarks (test support, not shipped).

Debian's ``postgresql`` package provides the server binaries; ``initdb`` + ``pg_ctl`` make a
cluster in a temporary folder, listening on 127.0.0.1 at a free port (its socket in its own
folder), with durability switched off because the data is thrown away. PostgreSQL refuses to run
as root: under root the cluster runs as the ``postgres`` system user the package creates.

    with PostgresCluster() as pg:
        url = pg.create_database("t1")   # postgresql+psycopg://…/t1
"""

from __future__ import annotations

import atexit
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

SUPERUSER = "handover"


def server_bindir() -> Path | None:
    """The newest installed server's bin folder (pg_ctl, initdb), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    pg_ctl = shutil.which("pg_ctl")
    return Path(pg_ctl).resolve().parent if pg_ctl else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresCluster:
    def __init__(self, root: Path | None = None, *, keep: bool = False) -> None:
        """``keep``: the cluster in ``root`` outlives this object — an existing one is started
        again (no initdb), and stopping checkpoints it and leaves the folder (benchmarks' --keep)."""
        self.keep = keep
        self.bindir = server_bindir()
        if self.bindir is None:
            raise RuntimeError("PostgreSQL server binaries not found (apt-get install postgresql)")
        # Not under pytest's tmp_path: that is private to root, and the server may run as postgres.
        self.root = Path(root) if root else Path(tempfile.mkdtemp(prefix="handover-pg-"))
        self.port = 0
        self._as: list[str] = []
        self._started = False

    @property
    def log_path(self) -> Path:
        return self.root / "server.log"

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*self._as, *args], check=True, capture_output=True, text=True)

    def start(self) -> "PostgresCluster":
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.root, user.pw_uid, user.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]
        data, sock = self.root / "data", self.root / "sock"
        self._run("mkdir", "-p", str(sock))
        if not (self.keep and (data / "PG_VERSION").exists()):
            self._run(str(self.bindir / "initdb"), "-D", str(data), "-U", SUPERUSER, "--auth=trust",
                      "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
        self.port = _free_port()
        options = (f"-p {self.port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        self._run(str(self.bindir / "pg_ctl"), "-D", str(data), "-l", str(self.log_path),
                  "-o", options, "-w", "-t", "60", "start")
        self._started = True
        atexit.register(self.stop)
        return self

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        return self._run(str(self.bindir / "psql"), "-h", "127.0.0.1", "-p", str(self.port),
                         "-U", SUPERUSER, "-d", database, "-v", "ON_ERROR_STOP=1", "-Atc", sql).stdout

    def create_database(self, name: str, template: str | None = None) -> str:
        """A new database, empty or a copy of ``template`` (which must have no open connections)."""
        if template:  # a pooled connection a test left open would make the copy fail
            self.psql(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                      f"WHERE datname = '{template}' AND pid <> pg_backend_pid()")
        self.psql(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        return self.url(name)

    def drop_database(self, name: str) -> None:
        self.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        if self._started:
            self._started = False
            # fsync is off: only a clean shutdown leaves a kept cluster readable
            subprocess.run([*self._as, str(self.bindir / "pg_ctl"), "-D", str(self.root / "data"),
                            "-m", "fast" if self.keep else "immediate", "-w", "stop"], capture_output=True)
        if not self.keep:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> "PostgresCluster":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
