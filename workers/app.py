"""The Celery application, configured from ``handover.config.settings()``.

``broker`` set (``redis://…``): Redis is both the broker and the result backend (chords need one).
``broker`` empty: embedded mode — the app still imports, tasks run eagerly in-process, and
``workers.embedded`` runs the pages of a dossier in a local process pool.

Reliability settings: a task is acknowledged only after it finished (``acks_late``) and put back
when its worker process dies (``task_reject_on_worker_lost``); each worker process reserves one
task at a time (prefetch 1). When a whole worker machine dies, Redis hands its unacknowledged
tasks to another worker after ``HANDOVER_VISIBILITY_TIMEOUT`` seconds (default 3600), checked
every ``HANDOVER_RESTORE_INTERVAL`` seconds (default 10). The visibility timeout must exceed the
longest task (see ``PAGE_TIME_LIMIT`` and ``FINISH_TIME_LIMIT``).
"""

from __future__ import annotations

import os
from functools import lru_cache

from celery import Celery
from celery.signals import worker_process_init

from handover.config import Settings, settings


VISIBILITY_TIMEOUT = settings().visibility_timeout
RESTORE_INTERVAL = settings().restore_interval
PAGE_TIME_LIMIT = settings().page_time_limit  # soft limit per page, seconds
FINISH_TIME_LIMIT = settings().finish_time_limit  # assemble + check + publish
QUEUE = "handover"  # steps that write the catalog database
PAGES_QUEUE = "handover.pages"  # page OCR: Redis and the object store only
# A dossier's own steps (load and validate, assemble + check + publish, hold back on failure): they
# write the catalog, and read and write only the object store besides, never a local path.
DOSSIER_TASKS = ("handover.digitize_dossier", "handover.finish_dossier", "handover.dossier_failed")


def server_database(cfg: Settings) -> bool:
    """The catalog is a database server (PostgreSQL), not an SQLite file on one machine."""
    return not cfg.db_url.startswith("sqlite")


def dossier_queue(cfg: Settings | None = None) -> str:
    """The queue of a dossier's own steps. SQLite: ``QUEUE``, taken by the one full worker on the
    machine that holds the file. A server database is reached from every machine: ``PAGES_QUEUE``,
    which every worker takes, so the machine that OCR'd the pages also assembles, checks and
    publishes, writing the catalog directly (archive_store.transactions serialises the writes).
    The other jobs (import, bundle, check, publish of a folder) name paths on the machine that
    sent them and stay on ``QUEUE``."""
    return PAGES_QUEUE if server_database(cfg or settings()) else QUEUE


def make_app(cfg: Settings | None = None) -> Celery:
    cfg = cfg or settings()
    embedded = not cfg.broker
    app = Celery("handover", broker=cfg.broker or "memory://",
                 backend=cfg.broker or "cache+memory://", include=["workers.tasks"])
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_default_queue=QUEUE,
        task_routes={"handover.ocr_page": {"queue": PAGES_QUEUE},
                     **{name: {"queue": dossier_queue(cfg)} for name in DOSSIER_TASKS}},
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        result_expires=7 * 24 * 3600,
        task_track_started=True,
        task_always_eager=embedded,
        task_eager_propagates=embedded,
        broker_connection_retry_on_startup=True,
        worker_cancel_long_running_tasks_on_connection_loss=True,
        broker_transport_options={
            "visibility_timeout": VISIBILITY_TIMEOUT,
            "unacked_restore_interval": RESTORE_INTERVAL,
            "unacked_restore_throttle": 1,
        },
        result_backend_transport_options={"visibility_timeout": VISIBILITY_TIMEOUT},
        worker_hijack_root_logger=True,
        worker_redirect_stdouts=False,
    )
    return app


app = make_app()


@lru_cache(maxsize=8)
def app_for(cfg: Settings) -> Celery:
    """An app of these settings, to send tasks and read their state from a process whose
    settings are its own (the web app's ``cfg``), not those ``app`` was made with at import."""
    return make_app(cfg)


@worker_process_init.connect
def _fresh_process(**_kwargs) -> None:
    """Each pool process: one OCR thread, its own ONNX session, its own database connections."""
    os.environ["OMP_THREAD_LIMIT"] = "1"
    from handover.db import engine_for
    from ocr import models

    models.clear()
    from . import dossier

    dossier.open_storage.cache_clear()
    engine_for(settings().db_url).dispose(close=False)  # lazily created: no database is touched
