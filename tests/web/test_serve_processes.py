"""``handover serve --workers 2`` against PostgreSQL: two processes behave as one server. A signed-in
session, its CSRF token and its sign-out hold whichever process answers — the session secret comes
from the data folder (not made per process) and sessions live in the database.

Which process answered is read from the system, not from the server: an HTTP/1.1 connection stays
with the process that accepted it, and /proc shows which of the server's processes holds the
server end of that connection. So each step below is sent on a connection held by a chosen process.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
from click.testing import CliRunner

from handover import config
from handover.errors import EXIT_INPUT

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).with_name("handover")
PASSWORD = "Passw0rd-测试"
NEW_PASSWORD = "Neues-Passw0rt-2"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _descendants(pid: int) -> set[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, todo = set(), [pid]
    while todo:
        current = todo.pop()
        children = [p for p, parent in parents.items() if parent == current]
        found.update(children)
        todo.extend(children)
    return found


def _hex_address(port: int) -> str:
    return f"0100007F:{port:04X}"  # 127.0.0.1 as /proc/net/tcp writes it


class Server:
    def __init__(self, proc: subprocess.Popen, port: int) -> None:
        self.proc, self.port = proc, port
        self.cookie = ""

    def answered_by(self, conn: http.client.HTTPConnection) -> int | None:
        """The server process holding the server end of ``conn`` (kept alive after a request)."""
        client = conn.sock.getsockname()[1]
        inode = None
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[1] == _hex_address(self.port) and fields[2] == _hex_address(client):
                inode = fields[9]
        assert inode is not None, "the server closed the connection"
        for pid in _descendants(self.proc.pid) | {self.proc.pid}:
            try:
                fds = list(Path(f"/proc/{pid}/fd").iterdir())
            except OSError:
                continue
            for fd in fds:
                try:
                    if os.readlink(fd) == f"socket:[{inode}]":
                        return pid
                except OSError:
                    continue
        return None

    def connection(self, *, on: int | None = None, not_on: int | None = None) -> tuple[http.client.HTTPConnection, int]:
        """A fresh connection held by process ``on`` (or by any process but ``not_on``)."""
        for _ in range(300):
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            conn.request("GET", "/login")
            response = conn.getresponse()
            response.read()
            assert response.status == 200
            pid = self.answered_by(conn)
            if pid is not None and (on is None or pid == on) and pid != not_on:
                return conn, pid
            conn.close()
        pytest.fail(f"no connection reached the wanted process (on={on}, not_on={not_on})")

    def on(self, pid: int, method: str, path: str, body: dict | None = None, csrf: str = "") -> tuple[int, dict]:
        """One request on a fresh connection held by process ``pid``."""
        conn, _ = self.connection(on=pid)
        try:
            return self.call(conn, method, path, body, csrf)
        finally:
            conn.close()

    def call(self, conn, method: str, path: str, body: dict | None = None, csrf: str = "") -> tuple[int, dict]:
        headers = {"Accept": "application/json", "Content-Type": "application/json"}
        if self.cookie:
            headers["Cookie"] = self.cookie
        if csrf:
            headers["X-CSRF-Token"] = csrf
        conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        response = conn.getresponse()
        data = json.loads(response.read() or b"{}")
        for header in response.headers.get_all("set-cookie") or []:
            morsel = SimpleCookie(header).get("handover_session")
            if morsel is not None:
                self.cookie = f"handover_session={morsel.value}" if morsel.value else ""
        return response.status, data


@pytest.fixture
def two_processes(pg_url, tmp_path):
    env = dict(os.environ, HANDOVER_DATA_DIR=str(tmp_path / "data"), HANDOVER_DATABASE_URL=pg_url,
               HANDOVER_STORAGE="local", PYTHONPATH=str(REPO))
    env.pop("HANDOVER_SECRET_KEY", None)  # the key file in the data folder is what must be shared
    subprocess.run([str(BIN), "user", "add", "zhang", "--role", "admin", "--name", "张管理",
                    "--password", PASSWORD], env=env, cwd=REPO, check=True, capture_output=True)
    port = _free_port()
    log_path = tmp_path / "server.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen([str(BIN), "serve", "--workers", "2", "--port", str(port)], env=env, cwd=REPO,
                                stdout=log, stderr=subprocess.STDOUT)
    server = Server(proc, port)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"handover serve exited: {log_path.read_text()}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/login")
                if conn.getresponse().status == 200:
                    conn.close()
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"handover serve did not start: {log_path.read_text()}")
            time.sleep(0.2)
        yield server
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            for pid in _descendants(proc.pid):
                os.kill(pid, signal.SIGKILL)
            proc.kill()
            proc.wait()


def test_two_processes_serve_one_session(two_processes):
    server = two_processes
    first, a = server.connection()
    first.close()
    second, b = server.connection(not_on=a)
    second.close()
    assert server.proc.pid not in (a, b)  # two worker processes, both answering

    status, signed_in = server.on(a, "POST", "/api/session", {"username": "zhang", "password": PASSWORD})
    assert status == 200, signed_in
    csrf = signed_in["csrf_token"]

    # The cookie process A signed is read by process B, and the session it names is found there.
    status, me = server.on(b, "GET", "/api/session")
    assert status == 200 and me["user"]["username"] == "zhang" and me["csrf_token"] == csrf

    # A protected POST on B: refused without the token A handed out, done with it.
    change = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    status, _ = server.on(b, "POST", "/api/session/password", change)
    assert status == 403
    status, changed = server.on(b, "POST", "/api/session/password", change, csrf=csrf)
    assert status == 200, changed

    # The session outlives its own password change on A as well; signing out on A ends it on B.
    status, me = server.on(a, "GET", "/api/session")
    assert status == 200 and me["user"]["username"] == "zhang"
    cookie = server.cookie
    status, _ = server.on(a, "DELETE", "/api/session", csrf=csrf)
    assert status == 200
    server.cookie = cookie  # the signed-out cookie replayed: the database says the session has ended
    status, _ = server.on(b, "GET", "/api/session")
    assert status == 401

    # The new password is the one both processes know.
    server.cookie = ""
    status, _ = server.on(b, "POST", "/api/session", {"username": "zhang", "password": PASSWORD})
    assert status == 401
    status, _ = server.on(a, "POST", "/api/session", {"username": "zhang", "password": NEW_PASSWORD})
    assert status == 200


def test_several_processes_on_sqlite_are_refused(tmp_path, monkeypatch):
    from handover_app.cli import main

    monkeypatch.setenv("HANDOVER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("HANDOVER_DATABASE_URL", raising=False)
    monkeypatch.setenv("COLUMNS", "400")
    config.settings.cache_clear()
    try:
        result = CliRunner().invoke(main, ["serve", "--workers", "2", "--port", str(_free_port())])
    finally:
        config.settings.cache_clear()
    assert result.exit_code == EXIT_INPUT, result.output
    assert "需要 PostgreSQL 数据库" in result.output and "--workers" in result.output


def _read_key(data_dir: str, barrier, results) -> None:
    from handover.config import Settings
    from web.security import secret_key

    barrier.wait()
    try:
        results.put(secret_key(Settings(data_dir=data_dir, secret_key="")))
    except Exception as err:  # noqa: BLE001 - reported to the test
        results.put(repr(err))


def test_processes_starting_together_share_one_secret(tmp_path):
    """Server processes starting at once on a fresh data folder all sign with one key, kept
    private. (The race the write-then-link closes is too narrow to hit on demand; a key made per
    process, or a reader of a half-written file, fails here.)"""
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    barrier, results = ctx.Barrier(6), ctx.Queue()
    procs = [ctx.Process(target=_read_key, args=(str(tmp_path), barrier, results)) for _ in range(6)]
    for p in procs:
        p.start()
    keys = [results.get(timeout=60) for _ in procs]
    for p in procs:
        p.join()
    key_file = tmp_path / "web-secret.key"
    assert set(keys) == {key_file.read_text().strip()} and len(keys[0]) > 40
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["web-secret.key"]  # no half-written leftovers
