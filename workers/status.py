"""Progress of batches and dossiers as plain data (``handover status`` and the web UI)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from archive_store.audit import redact  # masks whole ID numbers inside free text
from handover import clock
from handover.config import Settings, settings
from handover.errors import NotFound
from handover.idnumber import mask

from .page_log import page_log
from .progress import reading
from .tables import OCR, PUBLISHED, QUARANTINED, STAGE_LABELS, TERMINAL, BatchRow, DossierRow, DossierSupplementRow

RECENT_BATCHES = 5


class BatchNotFound(NotFound):
    pass


def stalled_before(cfg: Settings) -> dt.datetime:
    """Embedded work records progress at least once per page and once per finishing step: a
    dossier silent for longer than both limits lost its process (a restart, a crash)."""
    return clock.utcnow() - dt.timedelta(seconds=cfg.page_time_limit + cfg.finish_time_limit)


def is_stalled(d: DossierRow, mode: str, cfg: Settings) -> bool:
    # Distributed page progress lives in Redis until the dossier finishes: its row may rest long.
    return mode == "embedded" and d.stage not in TERMINAL and d.updated_at is not None \
        and d.updated_at < stalled_before(cfg)


def _dossier(d: DossierRow, live: dict[int, dict] | None = None, stalled: bool = False,
             supplement: bool = False) -> dict:
    done = d.pages_done
    if live:  # page workers report through Redis until the dossier finishes
        done = max(done, sum(1 for st in live.values() if st.get("status") == "done"))
    return {
        "id": d.id, "id_number": mask(d.id_number) if d.id_number else "", "name": d.name,
        "stage": d.stage, "stage_label": STAGE_LABELS.get(d.stage, d.stage),
        "pages_done": done, "pages_total": d.pages_total,
        "failures": [{**f, "reason": redact(str(f.get("reason", "")))} for f in d.failures or []],
        "quarantine_code": d.quarantine_code, "quarantine_reason": redact(d.quarantine_reason or ""),
        "ref_no": d.ref_no, "attempts": d.attempts, "warnings": [redact(str(w)) for w in d.warnings or []],
        "updated_at": clock.iso(d.updated_at, "seconds"), "stalled": stalled,
        "supplement": supplement,  # delivered as 补充材料 of a person already filed
    }


def _batch(b: BatchRow, dossiers: list[DossierRow], cfg: Settings | None, supplements: set[int]) -> dict:
    cfg = cfg or settings()
    log = page_log(cfg) if cfg.broker else None
    rows = [_dossier(d, log.states(d.id) if log and d.stage == OCR else None, is_stalled(d, b.mode, cfg),
                     d.id in supplements) for d in dossiers]
    return {
        "id": b.id, "name": b.name, "mode": b.mode, "profile": b.profile_region, "engine": b.engine,
        "created_at": clock.iso(b.created_at, "seconds"),
        "dossiers_total": len(dossiers),
        "published": sum(1 for d in dossiers if d.stage == PUBLISHED),
        "quarantined": sum(1 for d in dossiers if d.stage == QUARANTINED),
        "in_progress": sum(1 for d in dossiers if d.stage not in TERMINAL),
        "pages_done": sum(r["pages_done"] for r in rows),
        "pages_total": sum(d.pages_total for d in dossiers),
        "done": all(d.stage in TERMINAL or r["stalled"] for d, r in zip(dossiers, rows)),
        "dossiers": rows,
    }


def _find_batch(s, batch: str | int) -> BatchRow:
    """A batch by number or folder name (the newest of that name)."""
    ref = str(batch).strip().lstrip("#")
    cond = (BatchRow.id == int(ref)) | (BatchRow.name == ref) if ref.isdigit() else BatchRow.name == ref
    found = s.scalar(select(BatchRow).where(cond).order_by(BatchRow.id.desc()).limit(1))
    if found is None:
        raise BatchNotFound(f"找不到批次“{batch}”")
    return found


def published_ref_nos(batch: str | int, cfg: Settings | None = None) -> tuple[str, list[str]]:
    """(the batch as named to people, the 档号 its dossiers were published as, in the order they
    were taken in): what ``handover deliver --batch`` delivers. Volumes withdrawn since are left out."""
    from archive_store.tables import PUBLISHED as VOLUME_PUBLISHED, VolumeRow

    with reading(cfg) as s:
        b = _find_batch(s, batch)
        refs = list(s.scalars(select(VolumeRow.ref_no).join(DossierRow, DossierRow.volume_id == VolumeRow.id)
                              .where(DossierRow.batch_id == b.id, VolumeRow.status == VOLUME_PUBLISHED)
                              .order_by(DossierRow.id)))
        if not refs:
            raise BatchNotFound(f"批次 #{b.id}（{b.name}）没有已入库的案卷")
        return f"批次 #{b.id}（{b.name}）", list(dict.fromkeys(refs))


def batch_status(batch: str | int | None = None, cfg: Settings | None = None) -> list[dict]:
    """One batch (by number or folder name) or the most recent ones, with their dossiers."""
    with reading(cfg) as s:
        query = select(BatchRow).order_by(BatchRow.id.desc())
        if batch is not None:
            batches = [_find_batch(s, batch)]
        else:
            batches = list(s.scalars(query.limit(RECENT_BATCHES)))
        out = []
        for b in reversed(batches):
            dossiers = list(s.scalars(select(DossierRow).where(DossierRow.batch_id == b.id).order_by(DossierRow.id)))
            marked = set(s.scalars(select(DossierSupplementRow.dossier_id).where(
                DossierSupplementRow.dossier_id.in_([d.id for d in dossiers]))))
            out.append(_batch(b, dossiers, cfg or settings(), marked))
        return out


def quarantined(cfg: Settings | None = None, limit: int = 200) -> list[dict]:
    """Dossiers waiting for someone: held back, or (embedded) interrupted; newest first, all batches."""
    cfg = cfg or settings()
    with reading(cfg) as s:
        stuck = (BatchRow.mode == "embedded") & DossierRow.stage.not_in(TERMINAL) & \
            (DossierRow.updated_at < stalled_before(cfg))
        rows = s.execute(select(DossierRow, BatchRow.name, BatchRow.mode)
                         .join(BatchRow, BatchRow.id == DossierRow.batch_id)
                         .where((DossierRow.stage == QUARANTINED) | stuck)
                         .order_by(DossierRow.updated_at.desc()).limit(limit))
        return [{**_dossier(d, stalled=is_stalled(d, mode, cfg)), "batch_id": d.batch_id, "batch_name": name}
                for d, name, mode in rows]


def waiting(dossier_id: int, cfg: Settings | None = None) -> bool:
    """Whether the dossier waits for a person: held back, or interrupted (embedded)."""
    cfg = cfg or settings()
    with reading(cfg) as s:
        row = s.execute(select(DossierRow, BatchRow.mode).join(BatchRow, BatchRow.id == DossierRow.batch_id)
                        .where(DossierRow.id == dossier_id)).first()
    return row is not None and (row[0].stage == QUARANTINED or is_stalled(row[0], row[1], cfg))
