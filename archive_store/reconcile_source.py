"""Loading what ``archive_store.reconcile`` compares: the imported roster (handover.registry), the
published volumes with their stored check.json, the written statements on record
(completeness.acceptance) and the signed receipts (archive_store.receipts)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from completeness.tables import AcceptanceRow
from handover import volume_folder
from handover.db import EnterpriseRow, RetireeRow
from handover.errors import NotFound
from handover.registry import enterprise_row

from .reconcile import Declared, Receipt, Received, Reconciliation, Statement, reconcile
from .receipts import latest_receipts
from .storage import Storage, StorageError
from .tables import PUBLISHED, StoredObjectRow, VolumeRow


def declared_of(session: Session, enterprise_id: int, street: str | None = None) -> list[Declared]:
    """The roster's persons with a destination (those the 档案移交名册表 lists), in roster order."""
    q = (select(RetireeRow).where(RetireeRow.enterprise_id == enterprise_id, RetireeRow.dest_county.is_not(None))
         .order_by(RetireeRow.import_id, RetireeRow.source_row))
    out = []
    for r in session.scalars(q):
        if street and street not in ((r.dest_street or ""), f"{r.dest_county}{r.dest_street or ''}"):
            continue
        data = r.data or {}
        volumes, pages = data.get("archive_volumes"), data.get("archive_pages")
        # An empty 卷数 is printed as 1 on the 档案移交名册表 (docgen.figures.archive_counts).
        out.append(Declared(r.id_number, r.name, r.dest_county or "", r.dest_street or "", r.dest_community or "",
                            int(volumes) if volumes is not None else 1, int(pages) if pages is not None else None))
    return out


def _stored_check(storage: Storage, vol: VolumeRow) -> volume_folder.CheckFile | None:
    try:
        return volume_folder.loads(volume_folder.CHECK_JSON, storage.get(f"{vol.prefix}/{volume_folder.CHECK_JSON}"))
    except (StorageError, volume_folder.VolumeFormatError):
        return None


def received_of(session: Session, storage: Storage | None, id_numbers: set[str]) -> list[Received]:
    """The published volumes of these persons. The stored check.json is read only for volumes the
    catalog does not record as complete (for the missing materials and whether 校对 is open), and
    not at all without ``storage`` (counts only: the outcomes are in the catalog)."""
    if not id_numbers:
        return []
    with_check = set() if storage is None else set(session.scalars(select(StoredObjectRow.volume_id).where(
        StoredObjectRow.key == volume_folder.CHECK_JSON)))
    out = []
    ids = sorted(id_numbers)
    for i in range(0, len(ids), 500):  # SQLite's limit on bound parameters
        for vol in session.scalars(select(VolumeRow).where(VolumeRow.status == PUBLISHED,
                                                           VolumeRow.id_number.in_(ids[i:i + 500]))):
            wanted = storage is not None and vol.id in with_check and vol.check_outcome != "complete"
            check = _stored_check(storage, vol) if wanted else None
            outcome = (check.outcome if check else "") or vol.check_outcome or ""
            out.append(Received(vol.id_number, vol.ref_no, vol.content_pages, outcome,
                                tuple(check.missing) if check else (), bool(check and check.provisional)))
    return out


def statements_of(session: Session, id_numbers: set[str]) -> dict[str, Statement]:
    """The latest written statement each person's incomplete volume was accepted on."""
    out: dict[str, Statement] = {}
    ids = sorted(id_numbers)
    rows = [row for i in range(0, len(ids), 500) for row in session.scalars(
        select(AcceptanceRow).where(AcceptanceRow.id_number.in_(ids[i:i + 500])))]
    for row in sorted(rows, key=lambda r: (r.accepted_at, r.id)):
        out[row.id_number] = Statement(row.id_number, row.statement_ref, row.accepted_by, row.accepted_at)
    return out


def load_reconciliation(session: Session, storage: Storage | None, enterprise: str | EnterpriseRow,
                        street: str | None = None) -> Reconciliation:
    """The reconciliation of an enterprise (by name or row), or of one of its streets (街道 name,
    or county and street together, e.g. 二七区建中街). Without ``storage`` the missing materials
    are not read (``received_of``)."""
    ent = enterprise if isinstance(enterprise, EnterpriseRow) else enterprise_row(session, enterprise)
    declared = declared_of(session, ent.id, street)
    if street and not declared:
        raise NotFound(f"企业“{ent.name}”的名册中没有移交到“{street}”的人员")
    ids = {d.id_number for d in declared}
    receipts = {k: Receipt(r.id, r.county, r.street, r.uploaded_by, r.uploaded_at, r.sha256, r.file_name)
                for k, r in latest_receipts(session, ent.id).items()}
    return reconcile(ent.name, declared, received_of(session, storage, ids), statements_of(session, ids), receipts)


__all__ = ["declared_of", "load_reconciliation", "received_of", "statements_of"]
