"""A throw-away Redis and worker processes on 127.0.0.1, for the tests and the benchmark (test support).

Every process runs in its own process group, so stopping (or SIGKILLing) a worker takes its pool
children with it. Nothing here is used by a production install.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop_group(proc: subprocess.Popen, grace: float) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(10)


class RedisServer:
    """``redis-server`` on a free port with its own folder, no persistence."""

    def __init__(self, folder: Path | None = None):
        self.port = free_port()
        self._own = folder is None
        self.folder = Path(folder or tempfile.mkdtemp(prefix="handover-redis-"))
        self.proc: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self, timeout: float = 20.0) -> "RedisServer":
        self.folder.mkdir(parents=True, exist_ok=True)
        log = (self.folder / "redis.log").open("wb")
        self.proc = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder),
             "--save", "", "--appendonly", "no", "--protected-mode", "yes", "--daemonize", "no"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        import redis

        client = redis.Redis(host="127.0.0.1", port=self.port)
        deadline = time.monotonic() + timeout
        while True:
            try:
                if client.ping():
                    break
            except redis.ConnectionError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"redis-server did not start: {(self.folder / 'redis.log').read_text()[-2000:]}")
            time.sleep(0.1)
        client.close()
        return self

    def stop(self) -> None:
        if self.proc is not None:
            _stop_group(self.proc, 10)
            self.proc = None
        if self._own:
            shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> "RedisServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class WorkerProcess:
    """``python -m celery -A workers.app worker`` with one pool process (or ``concurrency``)."""

    def __init__(self, name: str, env: dict[str, str], log_path: Path, concurrency: int = 1,
                 cwd: Path | None = None, queues: str = "handover,handover.pages"):
        self.name = name
        self.hostname = f"{name}@handover-test"
        self.env = env
        self.log_path = Path(log_path)
        self.concurrency = concurrency
        self.cwd = cwd
        self.queues = queues
        self.proc: subprocess.Popen | None = None

    def start(self) -> "WorkerProcess":
        env = {**os.environ, **self.env, "OMP_THREAD_LIMIT": "1", "PYTHONUNBUFFERED": "1"}
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "workers.app", "worker", f"--concurrency={self.concurrency}",
             f"--hostname={self.hostname}", f"--queues={self.queues}", "--without-gossip", "--without-mingle",
             "--pool=prefork", "--loglevel=INFO"],
            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=self.cwd)
        log.close()
        return self

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def wait_ready(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while f"{self.hostname} ready." not in self.log():
            if self.proc is None or self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"worker {self.name} did not start:\n{self.log()[-3000:]}")
            time.sleep(0.2)

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal the whole process group (the main process and its pool children)."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
            self.proc.wait(30)

    def stop(self, grace: float = 20.0) -> None:
        if self.proc is not None:
            _stop_group(self.proc, grace)
            try:  # pool children of a SIGKILLed main process may linger in the group
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
