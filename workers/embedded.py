"""Embedded mode: no broker, the same step functions run in this process, pages in a local pool.

One pool serves the whole run (forked workers, each loading the OCR model once); dossiers are
taken one after the other and the pages of each run in parallel. A dossier that fails is
quarantined by the steps themselves; nothing here stops the rest of the batch.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool

from handover.config import Settings, settings

from . import dossier, progress
from .tables import QUARANTINED, STAGE_LABELS, BatchRow

log = logging.getLogger(__name__)

Report = Callable[[int, str, int, int], None]  # (dossier id, stage, pages done, pages total)


def _child_init(db_url: str) -> None:
    os.environ["OMP_THREAD_LIMIT"] = "1"
    from handover.db import engine_for
    from ocr import models

    models.clear()
    dossier.open_storage.cache_clear()  # no HTTP connection pool shared across the fork
    engine_for(db_url).dispose(close=False)  # connections inherited from the parent stay untouched


def _page(dossier_id: int, digest: str, seq: int, sha: str, engine: str, cfg: Settings) -> dict:
    return dossier.ocr_page(dossier_id, digest, seq, sha, engine, f"embedded@{os.getpid()}", cfg)


def _engine_of(dossier_id: int, cfg: Settings) -> str:
    row = progress.get_dossier(dossier_id, cfg)
    with progress.reading(cfg) as s:
        batch = s.get(BatchRow, row.batch_id)
        return batch.engine if batch and batch.engine else cfg.ocr_engine


class _LazyPool:
    """The page pool, started at the first dossier with more than one page."""

    def __init__(self, jobs: int, db_url: str):
        self.jobs, self.db_url = jobs, db_url
        self.pool: ProcessPoolExecutor | None = None

    def get(self) -> ProcessPoolExecutor:
        if self.pool is None:
            self.pool = ProcessPoolExecutor(max_workers=self.jobs, mp_context=mp.get_context("fork"),
                                            initializer=_child_init, initargs=(self.db_url,))
        return self.pool

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
        self.pool = None


def run_dossiers(dossier_ids: list[int], jobs: int | None = None, cfg: Settings | None = None,
                 report: Report | None = None) -> dict[int, dict]:
    """Digitize, check and publish each dossier; returns dossier id → outcome."""
    cfg = cfg or settings()
    pool = _LazyPool(max(1, jobs or cfg.jobs or 1), cfg.db_url)
    outcomes: dict[int, dict] = {}
    try:
        for dossier_id in dossier_ids:
            try:
                outcomes[dossier_id] = _one(dossier_id, pool, cfg, report)
            except Exception as err:  # noqa: BLE001 - one bad dossier never stops the batch
                log.exception("dossier #%s failed", dossier_id)
                if isinstance(err, BrokenProcessPool):  # a page killed its process: start afresh
                    pool.close()
                stage = progress.get_dossier(dossier_id, cfg).stage
                reason = f"{STAGE_LABELS.get(stage, stage)}阶段处理失败（{type(err).__name__}），请检查后重新排队"
                progress.quarantine(dossier_id, stage, reason, "task_failed", cfg=cfg)
                outcomes[dossier_id] = {"dossier": dossier_id, "stage": QUARANTINED, "reason": reason}
                if report:
                    report(dossier_id, QUARANTINED, 0, 0)
    finally:
        pool.close()
    return outcomes


def _one(dossier_id: int, pool: _LazyPool, cfg: Settings, report: Report | None) -> dict:
    def tell(stage: str, done: int, total: int) -> None:
        if report:
            report(dossier_id, stage, done, total)

    tell("loading", 0, 0)
    refs = dossier.prepare(dossier_id, cfg)
    if not refs:
        row = progress.get_dossier(dossier_id, cfg)
        tell(row.stage, 0, 0)
        return {"dossier": dossier_id, "stage": row.stage, "reason": row.quarantine_reason}
    engine = _engine_of(dossier_id, cfg)
    digest = progress.get_dossier(dossier_id, cfg).source_sha256
    total = len(refs)
    tell("ocr", 0, total)
    if pool.jobs <= 1 or total <= 1:
        os.environ["OMP_THREAD_LIMIT"] = "1"
        for n, r in enumerate(refs, 1):
            _page(dossier_id, digest, r["seq"], r["sha"], engine, cfg)
            tell("ocr", n, total)
    else:
        futures = [pool.get().submit(_page, dossier_id, digest, r["seq"], r["sha"], engine, cfg) for r in refs]
        for n, fut in enumerate(as_completed(futures), 1):
            fut.result()
            tell("ocr", n, total)
    tell("publishing", total, total)
    outcome = dossier.finish(dossier_id, engine, cfg, actor="embedded")
    row = progress.get_dossier(dossier_id, cfg)
    tell(row.stage, row.pages_done, row.pages_total)
    if row.stage == QUARANTINED:
        outcome["reason"] = row.quarantine_reason
    return outcome
