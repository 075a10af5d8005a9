"""The intake page's to-do list in SQL: the dossiers waiting for someone (held back by the workers,
or interrupted in embedded mode), one line each — name, ID as the viewer may see it, batch, the
stage it stopped at and its reason — paged and filtered by batch and stage, with the counts per
batch and per stage computed by GROUP BY."""

from __future__ import annotations

from sqlalchemy import case, func, literal, select
from sqlalchemy.orm import Session

from handover.config import Settings
from handover.db import RetireeRow
from handover.disclosure import Disclosure
from handover.errors import InputRefused
from workers.status import stalled_before
from workers.tables import PUBLISHED, QUARANTINED, STAGE_LABELS, TERMINAL, BatchRow, DossierRow

from .paging import Paging, Sorts
from .tables import IntakeRow

# The stage a dossier stopped at; a published volume the archive withdrew (退回) comes back
# from the stage after publishing.
HELD_STAGES = {k: v for k, v in STAGE_LABELS.items() if k != QUARANTINED} | {PUBLISHED: "入库后被退回"}
SHORT_REASON = 40

# The name the manifest gave, else the roster's (a dossier named only by its folder has neither).
_roster_name = (select(RetireeRow.name).where(RetireeRow.id_number == DossierRow.id_number)
                .correlate(DossierRow).limit(1).scalar_subquery())
NAME = func.coalesce(func.nullif(DossierRow.name, ""), _roster_name, "")

SORTS = Sorts(columns={"updated": (DossierRow.updated_at,), "name": (NAME,), "batch": (DossierRow.batch_id,)},
              default="-updated", tiebreak=DossierRow.id)


def _last_failure_stage(dialect: str):
    """The stage of a dossier's last failure: the quarantine appends one with the stage it
    stopped at (the JSON column read in SQL, so the filter and the counts stay in the database)."""
    if dialect == "postgresql":
        return DossierRow.failures.op("->")(literal(-1)).op("->>")(literal("stage"))
    return func.json_extract(DossierRow.failures, "$[#-1].stage")  # SQLite: '#-1' is the last element


def _held(session: Session, cfg: Settings):
    """The waiting dossiers' query (joined with their batch), the stage each stopped at (an
    interrupted one: where it stands), and whether it was interrupted."""
    stuck = (BatchRow.mode == "embedded") & DossierRow.stage.not_in(TERMINAL) & \
        (DossierRow.updated_at < stalled_before(cfg))
    last = func.coalesce(_last_failure_stage(session.get_bind().dialect.name), DossierRow.stage)
    stage = case((DossierRow.stage == QUARANTINED, last), else_=DossierRow.stage)
    base = (select(DossierRow.id).join(BatchRow, BatchRow.id == DossierRow.batch_id)
            .where((DossierRow.stage == QUARANTINED) | stuck))
    return base, stage, stuck


def count(session: Session, cfg: Settings) -> int:
    base, _, _ = _held(session, cfg)
    return session.scalar(select(func.count()).select_from(base.subquery())) or 0


def counts(session: Session, cfg: Settings) -> tuple[list[dict], dict[str, int]]:
    """The waiting dossiers per batch (newest batch first) and per stage, for the filters."""
    base, stage, _ = _held(session, cfg)
    batches = [{"id": i, "name": n, "count": c} for i, n, c in session.execute(
        base.with_only_columns(BatchRow.id, BatchRow.name, func.count())
        .group_by(BatchRow.id, BatchRow.name).order_by(BatchRow.id.desc()))]
    per_stage = dict(session.execute(base.with_only_columns(stage, func.count()).group_by(stage)).all())
    return batches, {k: per_stage[k] for k in HELD_STAGES if per_stage.get(k)}


def _short(reason: str) -> str:
    """The reason's first sentence, cut to a line."""
    first = reason.split("。")[0].split("；")[0].strip()
    return first if len(first) <= SHORT_REASON else first[:SHORT_REASON - 1] + "…"


def dossiers(session: Session, cfg: Settings, paging: Paging, shown: Disclosure) -> list[dict]:
    """One page of the waiting dossiers under the paging's filters (``batch``: a batch number,
    ``stage``: a key of HELD_STAGES); sets ``paging.total``."""
    f = paging.filters
    base, stage, stuck = _held(session, cfg)
    stmt = base.add_columns(DossierRow.id_number, DossierRow.entry, NAME.label("shown_name"), DossierRow.batch_id,
                            BatchRow.name.label("batch_name"), stage.label("held_stage"),
                            DossierRow.quarantine_reason, DossierRow.updated_at, stuck.label("stalled"))
    if f.get("batch"):
        if not f["batch"].lstrip("#").isdigit():
            raise InputRefused("批次应为批次编号")
        stmt = stmt.where(DossierRow.batch_id == int(f["batch"].lstrip("#")))
    if f.get("stage"):
        if f["stage"] not in HELD_STAGES:
            raise InputRefused(f"未知的阶段“{f['stage'][:20]}”，可选：{'、'.join(HELD_STAGES)}")
        stmt = stmt.where(stage == f["stage"])
    paging.count(session, stmt)
    rows = list(session.execute(paging.apply(stmt)))
    # A batch started in the browser has its page (the latest upload of that batch) and its user-given name.
    uploads = {r.batch_id: r for r in session.scalars(
        select(IntakeRow).where(IntakeRow.batch_id.in_({r.batch_id for r in rows})).order_by(IntakeRow.id))}
    out = []
    for r in rows:
        stage_label = HELD_STAGES.get(r.held_stage) or STAGE_LABELS.get(r.held_stage, r.held_stage)
        if r.stalled:
            reason = f"处理中断：停在“{stage_label}”阶段已久，可重新排队"
        else:
            reason = shown.text(r.quarantine_reason or "", [r.id_number] if r.id_number else [])
        up = uploads.get(r.batch_id)
        out.append({
            "id": r.id, "name": r.shown_name or "姓名未登记",
            "id_number": shown.id_number(r.id_number) if r.id_number else "",
            # a folder not named by an ID number: its name, numbers in it shown as the viewer may
            "entry": "" if r.id_number else shown.text(r.entry),
            "batch_id": r.batch_id, "batch_name": ("单卷上传" if up.id_number else up.name) if up else r.batch_name,
            "token": up.token if up else None, "stage": r.held_stage, "stage_label": stage_label,
            "stalled": bool(r.stalled), "reason_short": _short(reason), "reason": reason,
            "updated_at": r.updated_at})
    return out
