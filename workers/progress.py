"""Recording progress in the worker tables: stages, pages done, failures, quarantine.

Every write is one short write transaction (archive_store.transactions: ``BEGIN IMMEDIATE`` on
SQLite, an advisory lock on PostgreSQL), so many worker processes can report into one SQLite file
without "database is locked" upgrades, and into PostgreSQL from any machine.
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from archive_store.transactions import write_transaction
from handover.clock import utcnow
from handover.config import Settings, settings
from handover.db import init_db

from .tables import OCR, PUBLISHED, QUARANTINED, QUEUED, TERMINAL, DossierPageRow, DossierRow

MAX_REASON = 2000


@contextmanager
def writing(cfg: Settings | None = None) -> Iterator[Session]:
    with write_transaction(init_db(cfg or settings())) as s:
        yield s


@contextmanager
def reading(cfg: Settings | None = None) -> Iterator[Session]:
    session = Session(init_db(cfg or settings()), expire_on_commit=False)
    try:
        yield session
    finally:
        session.close()


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def get_dossier(dossier_id: int, cfg: Settings | None = None) -> DossierRow:
    with reading(cfg) as s:
        row = s.get(DossierRow, dossier_id)
        if row is None:
            raise LookupError(f"找不到档案任务 #{dossier_id}")
        return row


def set_stage(dossier_id: int, stage: str, cfg: Settings | None = None, **values) -> bool:
    """Move a dossier to ``stage`` unless it already reached a terminal stage; True if moved."""
    with writing(cfg) as s:
        result = s.execute(update(DossierRow).where(DossierRow.id == dossier_id,
                                                    DossierRow.stage.not_in(TERMINAL))
                           .values(stage=stage, updated_at=utcnow(), **values))
        return result.rowcount > 0


def start_pages(dossier_id: int, pages: list[tuple[int, str]], warnings: list[str],
                cfg: Settings | None = None) -> None:
    """Record the page list of a loaded dossier (idempotent: a rerun keeps finished pages)."""
    with writing(cfg) as s:
        have = {p.seq: p for p in s.scalars(select(DossierPageRow).where(DossierPageRow.dossier_id == dossier_id))}
        for seq, sha in pages:
            row = have.get(seq)
            if row is None:
                s.add(DossierPageRow(dossier_id=dossier_id, seq=seq, sha256=sha))
            elif row.sha256 != sha:
                row.sha256, row.status, row.error = sha, "pending", ""
        for seq, row in have.items():
            if seq > len(pages):
                s.delete(row)
        s.flush()
        done = _count_done(s, dossier_id)
        s.execute(update(DossierRow).where(DossierRow.id == dossier_id, DossierRow.stage.not_in(TERMINAL))
                  .values(stage=OCR, pages_total=len(pages), pages_done=done, warnings=warnings,
                          updated_at=utcnow()))


def _count_done(s: Session, dossier_id: int) -> int:
    return s.scalar(select(func.count()).select_from(DossierPageRow).where(
        DossierPageRow.dossier_id == dossier_id, DossierPageRow.status == "done")) or 0


def page_started(dossier_id: int, seq: int, worker: str, cfg: Settings | None = None) -> None:
    with writing(cfg) as s:
        s.execute(update(DossierPageRow).where(DossierPageRow.dossier_id == dossier_id,
                                               DossierPageRow.seq == seq, DossierPageRow.status != "done")
                  .values(status="running", worker=worker[:200], runs=DossierPageRow.runs + 1,
                          updated_at=utcnow()))


def page_finished(dossier_id: int, seq: int, error: str = "", cfg: Settings | None = None) -> None:
    """Mark a page done (or failed, with its reason) and recount the dossier's pages."""
    with writing(cfg) as s:
        s.execute(update(DossierPageRow).where(DossierPageRow.dossier_id == dossier_id,
                                               DossierPageRow.seq == seq)
                  .values(status="failed" if error else "done", error=error[:MAX_REASON], updated_at=utcnow()))
        values = {"pages_done": _count_done(s, dossier_id), "updated_at": utcnow()}
        if error:
            row = s.get(DossierRow, dossier_id)
            if row is not None:
                values["failures"] = list(row.failures or []) + [
                    {"stage": OCR, "page": seq, "reason": error[:MAX_REASON], "at": _now()}]
        s.execute(update(DossierRow).where(DossierRow.id == dossier_id).values(**values))


def page_states(dossier_id: int, cfg: Settings | None = None) -> dict[int, DossierPageRow]:
    with reading(cfg) as s:
        return {p.seq: p for p in s.scalars(select(DossierPageRow).where(DossierPageRow.dossier_id == dossier_id))}


def quarantine(dossier_id: int, stage: str, reason: str, code: str = "rejected", page: int | None = None,
               cfg: Settings | None = None) -> bool:
    """Hold a dossier back with its reason; never after it was published. True if quarantined."""
    with writing(cfg) as s:
        row = s.get(DossierRow, dossier_id)
        if row is None or row.stage == PUBLISHED:
            return False
        row.failures = list(row.failures or []) + [
            {"stage": stage, "page": page, "reason": reason[:MAX_REASON], "at": _now()}]
        row.stage = QUARANTINED
        row.quarantine_code = code[:32]
        row.quarantine_reason = reason[:MAX_REASON]
        return True


def published(dossier_id: int, ref_no: str, volume_id: int, created: bool, warnings: list[str],
              cfg: Settings | None = None) -> None:
    with writing(cfg) as s:
        row = s.get(DossierRow, dossier_id)
        if row is None:
            return
        row.stage = PUBLISHED
        row.ref_no = ref_no
        row.volume_id = volume_id
        row.publish_created = (row.publish_created or 0) + (1 if created else 0)
        row.warnings = list(dict.fromkeys(list(row.warnings or []) + list(warnings)))
        row.quarantine_code = ""
        row.quarantine_reason = ""


def reset_for_requeue(dossier_id: int, files: list[dict] | None = None, digest: str | None = None,
                      cfg: Settings | None = None) -> DossierRow:
    """Back to the queue after a fix; failures are kept as history, pages restart if files changed."""
    with writing(cfg) as s:
        row = s.get(DossierRow, dossier_id)
        if row is None:
            raise LookupError(f"找不到档案任务 #{dossier_id}")
        if digest and digest != row.source_sha256:
            row.source_sha256 = digest
            row.files = files or []
            for page in s.scalars(select(DossierPageRow).where(DossierPageRow.dossier_id == dossier_id)):
                s.delete(page)
        else:
            s.execute(update(DossierPageRow).where(DossierPageRow.dossier_id == dossier_id,
                                                   DossierPageRow.status != "done")
                      .values(status="pending", error=""))
        row.stage = QUEUED
        row.quarantine_code = ""
        row.quarantine_reason = ""
        row.attempts = (row.attempts or 0) + 1
        s.flush()
        row.pages_done = _count_done(s, dossier_id)
        return row


def absorb_pages(dossier_id: int, states: dict[int, dict], cfg: Settings | None = None) -> None:
    """Copy page states reported through Redis (workers.page_log) into the page rows."""
    with writing(cfg) as s:
        rows = {p.seq: p for p in s.scalars(select(DossierPageRow).where(DossierPageRow.dossier_id == dossier_id))}
        dossier = s.get(DossierRow, dossier_id)
        failures = list(dossier.failures or []) if dossier else []
        for seq, st in states.items():
            row = rows.get(seq)
            if row is None:
                continue
            status = st.get("status") or row.status
            error = st.get("error") or ""
            if status == "failed" and not (row.status == "failed" and row.error == error):
                failures.append({"stage": OCR, "page": seq, "reason": error[:MAX_REASON], "at": _now()})
            row.status, row.error = status, error[:MAX_REASON]
            row.worker = st.get("worker") or row.worker
            row.runs = max(row.runs or 0, int(st.get("runs") or 0))
        s.flush()
        if dossier is not None:
            dossier.failures = failures
            dossier.pages_done = _count_done(s, dossier_id)


def withdrawn(volume_id: int, reason: str, cfg: Settings | None = None) -> int | None:
    """The archive withdrew (退回) the volume this dossier published: quarantine it with the reason,
    so ``handover requeue`` can run it again once the missing materials are added. Returns the
    dossier id, or None when no worker dossier published that volume (e.g. ``handover publish``)."""
    with writing(cfg) as s:
        row = s.scalar(select(DossierRow).where(DossierRow.volume_id == volume_id, DossierRow.stage == PUBLISHED)
                       .order_by(DossierRow.id.desc()))
        if row is None:
            return None
        reason = f"档案馆退回：{reason}"[:MAX_REASON]
        row.failures = list(row.failures or []) + [{"stage": PUBLISHED, "page": None, "reason": reason, "at": _now()}]
        row.stage, row.quarantine_code, row.quarantine_reason = QUARANTINED, "withdrawn", reason
        return row.id
