"""Watch-folder mode: queue each new dossier once the scanner has finished writing it."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from handover.config import Settings, settings

from .dispatch import submit
from .embedded import Report
from .ingest import IngestReport, Watcher, ingest, known_entries


def watch(batch_dir: Path, *, profile: str = "", engine: str = "", manifest_path: Path | None = None,
          interval: float = 5.0, settle: float = 10.0, jobs: int | None = None, cfg: Settings | None = None,
          stop: Callable[[], bool] = lambda: False, on_ingest: Callable[[IngestReport], None] | None = None,
          report: Report | None = None, sleep: Callable[[float], None] = time.sleep, supplement: bool = False) -> int:
    """Poll ``batch_dir`` every ``interval`` seconds until ``stop()``; returns dossiers queued."""
    cfg = cfg or settings()
    mode = "distributed" if cfg.broker else "embedded"
    watcher = Watcher(batch_dir, settle, known_entries(batch_dir, cfg))
    queued = 0
    while not stop():
        entries = watcher.ready()
        if entries:
            result = ingest(batch_dir, profile=profile, engine=engine, manifest_path=manifest_path, mode=mode,
                            entries=entries, cfg=cfg, supplement=supplement)
            if on_ingest:
                on_ingest(result)
            submit(result.to_dispatch, cfg, jobs, report)
            queued += len(result.to_dispatch)
            continue  # look again at once: more may have settled meanwhile
        sleep(interval)
    return queued
