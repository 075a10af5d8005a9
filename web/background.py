"""Jobs the web process runs in threads of its own: a bundle when no broker is set, an intake
batch, an acceptance's 四性检测. Started here, so that one place knows which are still running —
``wait`` lets the tests keep their database until the last of them has written its outcome."""

from __future__ import annotations

import threading
from collections.abc import Callable

_running: set[threading.Thread] = set()
_lock = threading.Lock()


def start(name: str, target: Callable, *args) -> threading.Thread:
    def run() -> None:
        try:
            target(*args)
        finally:
            with _lock:
                _running.discard(threading.current_thread())

    thread = threading.Thread(target=run, name=name, daemon=True)
    with _lock:
        _running.add(thread)
    thread.start()
    return thread


def running() -> list[threading.Thread]:
    with _lock:
        return list(_running)


def wait(timeout: float | None = None) -> None:
    """Wait for this process's background jobs to end (each for at most ``timeout`` seconds)."""
    for thread in running():
        thread.join(timeout)
