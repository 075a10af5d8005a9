"""Generating an enterprise's transfer documents (``workers.jobs.generate_bundle``) as a job of the
workers, with its progress and outcome on the ``BundleRow`` so any request of any web process can
show it. Once its retirees' volumes are published, the bundle takes what the archive received
(``archive_store.bundle_inputs``): the 档案移交名册表 becomes the receipt, and the missing 必要材料 of
settled checks give its 备注 and the enterprise's 书面说明, per person and per street.

Two ways, as the other jobs (``workers.dispatch``):

- a broker set: the job is the Celery task ``handover.generate_bundle`` on queue ``handover``; its
  id is on the row before it is sent. The worker reports progress as the task's state, and the web
  copies state and outcome onto the row when a page or the API asks (``refresh``). A web restart
  changes nothing: the worker goes on, and the row is brought up to date at the next look.
- no broker (embedded): a thread of the web process runs the same job function and writes the
  row itself, with a heartbeat. A restart of that process ends the thread: a row whose heartbeat
  stopped ``LOST_AFTER`` ago is marked 已中断 (``interrupted``) and may be generated again.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
import uuid
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from handover.clock import utcnow
from handover.config import Settings
from handover.errors import HandoverError

from . import background
from .tables import BundleRow

log = logging.getLogger(__name__)

RUNNING, DONE, FAILED, INTERRUPTED = "running", "done", "failed", "interrupted"
HEARTBEAT = 10.0  # seconds between the signs of life of an in-process run
LOST_AFTER = dt.timedelta(seconds=120)  # no sign of life for this long: its process is gone
PROGRESS_INTERVAL = 0.5
INTERRUPTED_MESSAGE = "生成过程被中断（服务曾重启），请重新生成"
GENERIC_FAILURE = "生成移交文书时出错，请联系管理员"


def new_task_id(cfg: Settings) -> str:
    """The Celery task id the row carries from its creation when the workers run it, else ""."""
    return str(uuid.uuid4()) if cfg.broker else ""


def start(make_session: sessionmaker, row: BundleRow, enterprise_name: str, out_dir: Path,
          text_pdf: bool | None, cfg: Settings) -> None:
    """Hand the committed row's job to the workers, or (no broker) to a thread of this process."""
    if row.task_id:
        from workers.app import app_for

        try:
            app_for(cfg).send_task("handover.generate_bundle", args=[enterprise_name, str(out_dir)],
                                   kwargs={"text_pdf": text_pdf}, task_id=row.task_id)
        except Exception as err:  # noqa: BLE001 - broker out of reach: said on the page, not raised
            log.warning("bundle %s could not be queued: %s", row.id, type(err).__name__)
            _update(make_session, row.id, status=FAILED, finished_at=utcnow(),
                    error="无法把任务交给后台处理程序（任务队列无法连接），请稍后重试或联系管理员")
        return
    background.start(f"bundle-{row.id}", _run_here, make_session, row.id, enterprise_name, out_dir, text_pdf, cfg)


def refresh(session: Session, row: BundleRow, cfg: Settings, out_dir: Path) -> BundleRow:
    """Bring a running row up to date: the worker's progress or outcome, or 已中断 when its
    in-process run lost its process. Commits what changed."""
    if row.status != RUNNING:
        return row
    if row.task_id:
        values = _task_state(row.task_id, cfg, out_dir)
    elif (row.heartbeat_at or row.created_at) < utcnow() - LOST_AFTER:
        values = {"status": INTERRUPTED, "finished_at": utcnow(), "error": INTERRUPTED_MESSAGE}
    else:
        return row
    if values:
        for k, v in values.items():
            setattr(row, k, v)
        session.commit()
    return row


def _task_state(task_id: str, cfg: Settings, out_dir: Path) -> dict:
    from celery.result import AsyncResult

    from workers.app import app_for

    try:
        result = AsyncResult(task_id, app=app_for(cfg))
        state, info = result.state, result.info
    except Exception as err:  # noqa: BLE001 - Redis out of reach: show what the row has
        log.warning("bundle task %s: state unavailable: %s", task_id, type(err).__name__)
        return {}
    if state == "PROGRESS" and isinstance(info, dict):
        return {k: info[k] for k in ("done", "total", "label") if k in info}
    if state == "STARTED":
        return {"label": "正在准备"}
    if state == "SUCCESS" and isinstance(info, dict):
        try:
            return _outcome(info, out_dir)
        except (OSError, ValueError, KeyError) as err:  # the worker wrote elsewhere: not a shared folder
            log.warning("bundle task %s: manifest unreadable: %s", task_id, type(err).__name__)
            return _failure(RuntimeError())
    if state == "FAILURE":
        return _failure(info)
    return {}  # PENDING (queued, or unknown to the backend), RETRY


def _outcome(answer: dict, out_dir: Path) -> dict:
    """The finished row: the documents as the bundle's own manifest.json lists them (the task's
    answer carries counts only, as it is logged)."""
    manifest = json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))
    return {"status": DONE, "finished_at": utcnow(), "persons": answer["persons"], "label": "完成",
            "manifest": {"documents": manifest["documents"], "warnings": manifest["warnings"],
                         "zip": manifest["zip_path"], "transferred": manifest["transferred"],
                         "excluded": manifest["excluded"], "unassigned": manifest["unassigned"]}}


def _failure(err: object) -> dict:
    """Refusals a user can act on keep their Chinese message; anything else is not shown."""
    shown = isinstance(err, (HandoverError, LookupError, ValueError))
    return {"status": FAILED, "finished_at": utcnow(), "error": (str(err) if shown else GENERIC_FAILURE)[:400]}


def _update(make_session: sessionmaker, bundle_id: int, **values) -> None:
    with make_session() as s:
        row = s.get(BundleRow, bundle_id)
        for k, v in values.items():
            setattr(row, k, v)
        s.commit()


def _run_here(make_session: sessionmaker, bundle_id: int, enterprise_name: str, out_dir: Path,
              text_pdf: bool | None, cfg: Settings) -> None:
    """The embedded run: the workers' job function in this thread; never raises."""
    from workers.jobs import generate_bundle

    stop = threading.Event()
    last = [0.0]

    def beat() -> None:
        while not stop.wait(HEARTBEAT):
            try:
                _update(make_session, bundle_id, heartbeat_at=utcnow())
            except Exception as err:  # noqa: BLE001 - the next beat may get through
                log.warning("bundle %s heartbeat: %s", bundle_id, type(err).__name__)

    def progress(done: int, total: int, label: str) -> None:
        if time.monotonic() - last[0] > PROGRESS_INTERVAL or done == total:
            last[0] = time.monotonic()
            _update(make_session, bundle_id, done=done, total=total, label=label[:200], heartbeat_at=utcnow())

    beater = threading.Thread(target=beat, name=f"bundle-{bundle_id}-heartbeat", daemon=True)
    try:
        _update(make_session, bundle_id, heartbeat_at=utcnow(), label="正在准备")
        beater.start()
        answer = generate_bundle(enterprise_name, str(out_dir), pdf=True, cfg=cfg, text_pdf=text_pdf,
                                 progress=progress)
        values = _outcome(answer, out_dir)
    except Exception as err:  # noqa: BLE001 - the failure is shown to the user
        log.warning("bundle %s failed: %s", bundle_id, type(err).__name__)
        values = _failure(err)
    finally:
        stop.set()
    try:
        if beater.is_alive():
            beater.join()
        _update(make_session, bundle_id, **values)
    except Exception as err:  # noqa: BLE001 - the row stays running; refresh marks it interrupted
        log.warning("bundle %s: outcome not stored: %s", bundle_id, type(err).__name__)
