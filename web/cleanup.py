"""Removing the front end's old temporary files: roster uploads, generated bundles and intake
folders under DATA_DIR/web/ whose newest file is older than ``web_temp_hours`` (at start-up, then
hourly). Never removed: a bundle still being generated, an intake still queued or running, and
an intake folder holding a dossier in quarantine (``requeue`` re-reads it after a fix). The same
hourly run prunes the sessions that ended long ago (``web.sessions.prune``)."""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from handover.config import Settings

from .tables import BundleRow, IntakeRow

log = logging.getLogger(__name__)
INTERVAL = 3600.0


def _newest(path: Path) -> float:
    newest = path.lstat().st_mtime
    if path.is_dir() and not path.is_symlink():
        for folder, _dirs, files in os.walk(path):
            for name in files:
                try:
                    newest = max(newest, os.lstat(os.path.join(folder, name)).st_mtime)
                except FileNotFoundError:
                    pass
    return newest


def _keep(make_session: sessionmaker) -> set[str]:
    """Tokens (folder names) still in use."""
    from workers.tables import QUARANTINED, DossierRow

    with make_session() as s:
        keep = set(s.scalars(select(BundleRow.token).where(BundleRow.status == "running")))
        keep |= set(s.scalars(select(IntakeRow.token).where(IntakeRow.status.in_(("queued", "running")))))
        held = select(DossierRow.batch_id).where(DossierRow.stage == QUARANTINED)
        keep |= set(s.scalars(select(IntakeRow.token).where(IntakeRow.batch_id.in_(held))))
    return keep


def sweep(web_dir: Path, make_session: sessionmaker, max_age_hours: float, now: float | None = None) -> list[Path]:
    """Remove what is old and unused under web_dir/{uploads,bundles,intake}; returns the paths removed."""
    if max_age_hours <= 0:
        return []
    cutoff = (time.time() if now is None else now) - max_age_hours * 3600
    keep = _keep(make_session)
    removed = []
    for kind in ("uploads", "bundles", "intake"):
        folder = Path(web_dir) / kind
        if not folder.is_dir():
            continue
        for path in folder.iterdir():
            token = path.name.split(".", 1)[0]  # <token>/ or an unpacking <token>.zip
            try:
                if token in keep or _newest(path) >= cutoff:
                    continue
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path)
                else:
                    path.unlink()
            except OSError as err:
                log.warning("could not remove %s/%s: %s", kind, path.name, type(err).__name__)
                continue
            removed.append(path)
    if removed:
        log.info("removed %d old temporary items under %s", len(removed), web_dir)
    return removed


def prune_sessions(make_session: sessionmaker, cfg: Settings) -> int:
    from archive_store.transactions import write_transaction

    from .sessions import prune

    with write_transaction(make_session.kw["bind"]) as session:
        pruned = prune(session, cfg)
    if pruned:
        log.info("pruned %d ended sessions", pruned)
    return pruned


class Sweeper:
    """Runs ``sweep`` now and then every ``interval`` seconds in a daemon thread, until stopped."""

    def __init__(self, web_dir: Path, make_session: sessionmaker, max_age_hours: float,
                 interval: float = INTERVAL, cfg: Settings | None = None) -> None:
        self.args = (web_dir, make_session, max_age_hours)
        self.cfg = cfg  # None: sessions are not pruned
        self.interval = interval
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name="web-temp-sweeper", daemon=True)

    def _run(self) -> None:
        while not self.stopped.is_set():
            try:
                sweep(*self.args)
            except Exception as err:  # noqa: BLE001 - a failed sweep never stops the server
                log.warning("temporary-file sweep failed: %s", type(err).__name__)
            if self.cfg is not None:
                try:
                    prune_sessions(self.args[1], self.cfg)
                except Exception as err:  # noqa: BLE001 - nor does a failed prune
                    log.warning("session prune failed: %s", type(err).__name__)
            self.stopped.wait(self.interval)

    def start(self) -> "Sweeper":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopped.set()
