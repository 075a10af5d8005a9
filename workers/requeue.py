"""Putting a held-back (or stuck) dossier back in the queue after its files were fixed."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from archive_store.storage import open_storage
from handover import idnumber
from handover.config import Settings, settings
from handover.errors import Conflict

from . import progress, staging
from .ingest import entry_id_number
from .manifest import find_manifest, read_manifest
from .page_log import page_log
from .tables import PUBLISHED, DossierRow


class RequeueError(Conflict):
    """``str(err)`` is the Chinese reason."""


def find_dossier(ref: str, cfg: Settings | None = None) -> DossierRow:
    """A dossier by its task number (``12`` or ``#12``) or by ID number (the latest one)."""
    ref = ref.strip().lstrip("#")
    with progress.reading(cfg) as s:
        if ref.isdigit() and len(ref) < 15:
            row = s.get(DossierRow, int(ref))
        else:
            try:
                number = idnumber.parse(ref).number
            except idnumber.IdNumberError:
                raise RequeueError(f"“{ref}”既不是档案任务编号，也不是有效的公民身份号码") from None
            row = s.scalar(select(DossierRow).where(DossierRow.id_number == number).order_by(DossierRow.id.desc()))
    if row is None:
        raise RequeueError(f"找不到档案任务“{ref}”")
    return row


def requeue(ref: str, cfg: Settings | None = None) -> DossierRow:
    """Reset the dossier (re-reading its files from where they were picked up, if still there)."""
    cfg = cfg or settings()
    row = find_dossier(ref, cfg)
    if row.stage == PUBLISHED:
        raise RequeueError(f"档案任务 #{row.id} 已入库（档号 {row.ref_no}），无需重新排队")
    if cfg.broker:
        page_log(cfg).forget(row.id)  # stale page states of the earlier run
    source = Path(row.source_path)
    storage = open_storage(cfg)
    if source.exists():
        number = entry_id_number(source)
        if not number:
            raise RequeueError(f"“{source.name}”仍不是以有效的公民身份号码命名，请先重新命名")
        files = staging.describe(source)
        digest = staging.dossier_digest(files)
        staging.upload_originals(storage, digest, files)
        if digest != row.source_sha256:
            staging.remove_prefix(storage, row.source_sha256)  # work objects of the refused files
        _refresh_from_manifest(row.id, source.parent, number, cfg)
        return progress.reset_for_requeue(row.id, [f.as_dict() for f in files], digest, cfg)
    missing = [f["name"] for f in row.files
               if not staging.has_object(storage, staging.original_key(row.source_sha256, f["name"]), f["size"])]
    if missing or not row.files:
        raise RequeueError(f"原始位置 {source} 已不存在，存储中也没有该档案的文件，请重新导入批次")
    return progress.reset_for_requeue(row.id, cfg=cfg)


def _refresh_from_manifest(dossier_id: int, batch_dir: Path, number: str, cfg: Settings) -> None:
    """A corrected manifest (name, receiving place, profile) counts as part of the fix."""
    path = find_manifest(batch_dir)
    info = read_manifest(path).get(number) if path else None
    with progress.writing(cfg) as s:
        row = s.get(DossierRow, dossier_id)
        row.id_number = number
        if info is not None:
            row.name = info.name or row.name
            row.destination = info.destination or row.destination
            row.profile_region = info.profile or row.profile_region


def withdraw(session, ref_no: str, actor: str, reason: str, cfg: Settings | None = None):
    """退回 the published volume ``ref_no`` (archive_store) and hold its workers' dossier for
    ``requeue``: (the withdrawal row, the dossier id or None when no ingest published it).
    Commits ``session`` first, because the dossier is marked in a write transaction of its own."""
    from archive_store.withdraw import withdraw_volume

    row = withdraw_volume(session, ref_no, actor, reason)
    session.commit()
    return row, progress.withdrawn(row.volume_id, row.reason, cfg or settings())
