"""Celery tasks: thin wrappers over ``workers.dossier`` and ``workers.jobs``.

Payloads are ids, object keys and short strings — never page images. Every task may run twice
(acks_late redelivers the task of a dead worker): each is idempotent, keyed by content hashes.

    digitize_dossier(dossier_id)  load + validate, then a chord:
        group(ocr_page(dossier_id, digest, seq, page_sha, engine) for each page)   queue handover.pages
        | finish_dossier(dossier_id, engine)                                        queue handover (SQLite)

Queue ``handover`` holds the steps that write the catalog database (run where the database is);
queue ``handover.pages`` holds page OCR, which needs only Redis and the object store, so page
workers can run on any machine (``handover worker --pages-only``). With a server database
(PostgreSQL) every machine reaches the catalog: a dossier's own steps go to ``handover.pages``
too (``workers.app.dossier_queue``), and whichever worker takes them writes the catalog.
"""

from __future__ import annotations

import logging
import time

from celery import chord
from sqlalchemy.exc import OperationalError

from archive_store.storage import StorageUnavailable

from . import dossier, jobs, progress
from .app import FINISH_TIME_LIMIT, PAGE_TIME_LIMIT, app
from .tables import OCR, STAGE_LABELS, BatchRow

log = logging.getLogger(__name__)

TRANSIENT = (StorageUnavailable, OperationalError)  # storage down, database busy
RETRY = {"autoretry_for": TRANSIENT, "retry_backoff": 2, "retry_backoff_max": 300, "retry_jitter": True,
         "max_retries": 8}
PROGRESS_INTERVAL = 0.5  # seconds between a bundle's progress reports
PENDING_RETRIES = 90  # finish waits up to ~15 min for pages still running elsewhere


def _engine_and_digest(dossier_id: int) -> tuple[str, str]:
    row = progress.get_dossier(dossier_id)
    with progress.reading() as s:
        batch = s.get(BatchRow, row.batch_id)
        return (batch.engine if batch and batch.engine else "rapidocr"), row.source_sha256


@app.task(bind=True, name="handover.digitize_dossier", **RETRY)
def digitize_dossier(self, dossier_id: int) -> dict:
    refs = dossier.prepare(dossier_id)
    if not refs:
        return {"dossier": dossier_id, "pages": 0}
    engine, digest = _engine_and_digest(dossier_id)
    callback = finish_dossier.si(dossier_id, engine).on_error(dossier_failed.s(dossier_id))
    chord([ocr_page.si(dossier_id, digest, r["seq"], r["sha"], engine) for r in refs])(callback)
    return {"dossier": dossier_id, "pages": len(refs)}


@app.task(bind=True, name="handover.ocr_page", soft_time_limit=PAGE_TIME_LIMIT, time_limit=PAGE_TIME_LIMIT + 60,
          **RETRY)
def ocr_page(self, dossier_id: int, digest: str, seq: int, sha: str, engine: str) -> dict:
    return dossier.ocr_page(dossier_id, digest, seq, sha, engine, worker=self.request.hostname or "",
                            time_limit=PAGE_TIME_LIMIT)


@app.task(bind=True, name="handover.finish_dossier", soft_time_limit=FINISH_TIME_LIMIT,
          time_limit=FINISH_TIME_LIMIT + 120, max_retries=None)
def finish_dossier(self, dossier_id: int, engine: str) -> dict:
    try:
        return dossier.finish(dossier_id, engine)
    except dossier.PagesPending as err:
        if self.request.retries >= PENDING_RETRIES:
            progress.quarantine(dossier_id, OCR, f"有{len(err.missing)}页长时间未完成识别，请重新排队", "pages_lost")
            return {"dossier": dossier_id, "stage": "quarantined"}
        raise self.retry(countdown=10, exc=err)
    except TRANSIENT as err:
        if self.request.retries >= RETRY["max_retries"]:
            raise
        raise self.retry(countdown=min(300, 2 ** (self.request.retries + 1)), exc=err)


@app.task(name="handover.dossier_failed")
def dossier_failed(request, exc, traceback, dossier_id: int) -> None:
    """Errback of the chord: a page failed hard (time limit, retries exhausted) or finishing
    raised. The dossier is held back with the reason; ``handover requeue`` retries it."""
    log.warning("dossier #%s failed: %s", dossier_id, type(exc).__name__)
    stage = progress.get_dossier(dossier_id).stage
    label = STAGE_LABELS.get(stage, stage)
    progress.quarantine(dossier_id, stage, f"{label}阶段处理失败（{type(exc).__name__}），"
                        "请检查扫描件后重新排队", "task_failed")


# ---------------------------------------------------------------- other long jobs

@app.task(bind=True, name="handover.import_roster", **RETRY)
def import_roster(self, roster_key: str, enterprise: str, valid_only: bool = False) -> dict:
    return jobs.import_roster(roster_key, enterprise, valid_only)


@app.task(bind=True, name="handover.generate_bundle", **RETRY)
def generate_bundle(self, enterprise: str, out_dir: str, region: str | None = None, pdf: bool = True,
                    per_person: bool | None = None, text_pdf: bool | None = None) -> dict:
    """Progress as the task's state ``PROGRESS`` with ``{done, total, label}`` in the result
    backend, where the web's documents page reads it (``web.bundles``)."""
    last = [0.0]

    def progress(done: int, total: int, label: str) -> None:
        if time.monotonic() - last[0] > PROGRESS_INTERVAL or done == total:
            last[0] = time.monotonic()
            self.update_state(state="PROGRESS", meta={"done": done, "total": total, "label": label[:200]})

    return jobs.generate_bundle(enterprise, out_dir, region, pdf, per_person, text_pdf=text_pdf,
                                progress=None if self.request.is_eager else progress)


@app.task(bind=True, name="handover.check_volume", **RETRY)
def check_volume(self, volume_dir: str, region: str) -> dict:
    return jobs.check_volume(volume_dir, region)


@app.task(bind=True, name="handover.publish_volume", **RETRY)
def publish_volume(self, volume_dir: str, destination: dict, region: str, actor: str = "worker",
                   supplement: bool = False) -> dict:
    return jobs.publish_volume(volume_dir, destination, region, actor, supplement=supplement)


@app.task(bind=True, name="handover.reindex", **RETRY)
def reindex(self, ref_no: str | None = None) -> dict:
    return jobs.reindex(ref_no)


@app.task(bind=True, name="handover.verify", **RETRY)
def verify(self, community: str | None = None) -> dict:
    return jobs.verify(community)
