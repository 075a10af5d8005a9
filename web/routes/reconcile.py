"""档案接收核对: the 档案移交名册表 reconciled with the published volumes (archive_store.reconcile),
and the signed receipt of each street (archive_store.receipts).

Archive staff see every enterprise and upload and download the signed rosters; an enterprise user
sees their own enterprise only. The home page shows the same figures as one line per enterprise
and per street (``dashboard``).
"""

from __future__ import annotations

import shutil
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from archive_store import audit
from archive_store.read_rule import ADMIN, ARCHIVE, ENTERPRISE
from archive_store.receipts import read_receipt, store_receipt
from archive_store.reconcile import Reconciliation
from archive_store.reconcile_source import load_reconciliation
from archive_store.storage import ObjectNotFound, open_storage
from archive_store.tables import PUBLISHED, ReceiptRow, VolumeRow
from handover import clock
from handover.db import EnterpriseRow

from ..deps import ARCHIVE_ROLES, CurrentUser, DB, hidden, missing, require
from ..render import flash, page
from ..security import verify_csrf
from ..uploads import save_scan

router = APIRouter()
readers = require(ADMIN, ARCHIVE, ENTERPRISE)
archive_only = require(*ARCHIVE_ROLES)


def enterprises_of(session: Session, user: CurrentUser) -> list[EnterpriseRow]:
    """The enterprises whose reconciliation the user may see."""
    if user.role == ENTERPRISE:
        row = session.get(EnterpriseRow, user.enterprise_id) if user.enterprise_id else None
        return [row] if row else []
    return list(session.scalars(select(EnterpriseRow).order_by(EnterpriseRow.name)))


def dashboard(session: Session, user: CurrentUser) -> list[tuple[int, Reconciliation]]:
    """(enterprise id, reconciliation) per enterprise the user may see, from the catalog alone (no
    check.json read: the counts need the outcomes only)."""
    if user.role not in (ADMIN, ARCHIVE, ENTERPRISE):
        return []
    return [(ent.id, load_reconciliation(session, None, ent)) for ent in enterprises_of(session, user)]


def _enterprise(request: Request, session: Session, user: CurrentUser, enterprise_id: int | None) -> EnterpriseRow:
    if user.role == ENTERPRISE:
        if enterprise_id is not None and enterprise_id != user.enterprise_id:
            raise hidden(request, user, f"reconcile/{enterprise_id}", "只能查看本企业的移交核对", "未找到该企业")
        enterprise_id = user.enterprise_id
    row = session.get(EnterpriseRow, enterprise_id) if enterprise_id is not None else None
    if row is None:
        raise missing(request, user, f"reconcile/{enterprise_id}", "未找到该企业")
    return row


def _reconciliation(request: Request, session: Session, user: CurrentUser, ent: EnterpriseRow,
                    street: str | None) -> dict:
    """The reconciliation as the page and the API show it: ID numbers per role, 档号 linked."""
    rec = load_reconciliation(session, open_storage(request.app.state.cfg), ent, street or None)
    audit.record(session, user.username, "reconcile", f"{ent.name} {street or ''}".strip(), "查看档案接收核对")
    refs = {p for s in rec.streets for person in s.persons for p in person.ref_nos}
    volume_ids: dict[str, int] = {}
    if refs and user.role != ENTERPRISE:  # the dossier pages are for staff
        volume_ids = {ref: vid for ref, vid in session.execute(select(VolumeRow.ref_no, VolumeRow.id).where(
            VolumeRow.ref_no.in_(refs), VolumeRow.status == PUBLISHED))}
    doc = rec.as_dict()
    doc["enterprise_id"] = ent.id
    for s, street_line in zip(doc["streets"], rec.streets):
        if street_line.receipt:
            s["receipt"]["uploaded_at"] = clock.iso(street_line.receipt.uploaded_at)
        for p in s["persons"]:
            p["id_number"] = user.id_text(p["id_number"])
            p["volumes"] = [{"ref_no": r, "volume_id": volume_ids.get(r)} for r in p["ref_nos"]]
    return doc


@router.get("/reconcile", include_in_schema=False)
def reconcile_page(request: Request, enterprise: int | None = None, street: str | None = None,
                   user: CurrentUser = Depends(readers), session: Session = DB):
    if user.role != ENTERPRISE and enterprise is None:
        return page(request, "reconcile.html", rec=None, lines=dashboard(session, user))
    ent = _enterprise(request, session, user, enterprise)
    return page(request, "reconcile.html", rec=_reconciliation(request, session, user, ent, street), street=street,
                max_mb=max(1, request.app.state.max_upload // (1024 * 1024)))


@router.get("/api/reconcile", tags=["接收核对"], summary="档案移交名册表与已入库案卷的核对（档案馆；企业仅本企业）")
def api_reconcile(request: Request, enterprise_id: int | None = None, street: str | None = None,
                  user: CurrentUser = Depends(readers), session: Session = DB):
    ent = _enterprise(request, session, user, enterprise_id)
    return _reconciliation(request, session, user, ent, street)


def _receive(request: Request, session: Session, user: CurrentUser, enterprise_id: int, county: str, street: str,
             file: UploadFile) -> ReceiptRow:
    ent = _enterprise(request, session, user, enterprise_id)
    folder = request.app.state.uploads_dir / "receipts"
    folder.mkdir(parents=True, exist_ok=True)
    _, path, name, _ = save_scan(file, folder, request.app.state.max_upload)
    try:
        return store_receipt(session, open_storage(request.app.state.cfg), ent, county.strip(), street.strip(), path,
                             file.filename or name, user.display_name or user.username)
    finally:
        shutil.rmtree(path.parent, ignore_errors=True)


@router.post("/reconcile/receipts", include_in_schema=False, dependencies=[Depends(verify_csrf)])
def receipt_form(request: Request, enterprise_id: int = Form(...), county: str = Form(...), street: str = Form(...),
                 file: UploadFile = File(...), user: CurrentUser = Depends(archive_only),
                 session: Session = DB):
    row = _receive(request, session, user, enterprise_id, county, street, file)
    flash(request, f"已存档{county}{street}签字盖章的档案移交名册表（SHA-256 {row.sha256[:12]}…已核验），接收手续已办结。")
    return RedirectResponse(f"/reconcile?enterprise={enterprise_id}", status_code=303)


@router.post("/api/reconcile/receipts", tags=["接收核对"], dependencies=[Depends(verify_csrf)],
             summary="上传某街道签字盖章的档案移交名册表扫描件（档案馆；PDF 或图像）")
def api_receipt(request: Request, enterprise_id: int = Form(...), county: str = Form(...), street: str = Form(...),
                file: UploadFile = File(...), user: CurrentUser = Depends(archive_only),
                session: Session = DB):
    row = _receive(request, session, user, enterprise_id, county, street, file)
    return {"id": row.id, "county": row.county, "street": row.street, "sha256": row.sha256, "size": row.size,
            "key": row.key, "uploaded_by": row.uploaded_by, "uploaded_at": clock.iso(row.uploaded_at)}


@router.get("/reconcile/receipts/{receipt_id}", tags=["接收核对"], summary="下载存档的签字名册表扫描件（档案馆）")
def receipt_download(request: Request, receipt_id: int, user: CurrentUser = Depends(archive_only),
                     session: Session = DB):
    row = session.get(ReceiptRow, receipt_id)
    if row is None:
        raise missing(request, user, f"receipt/{receipt_id}", "未找到该扫描件")
    try:
        data = read_receipt(open_storage(request.app.state.cfg), row)
    except ObjectNotFound:
        raise missing(request, user, f"receipt/{receipt_id}", "存储中没有该扫描件") from None
    audit.record(session, user.username, "download_receipt", f"{row.county}{row.street}", "", receipt=row.id,
                 sha256=row.sha256)
    return Response(data, media_type=row.content_type, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(row.file_name)}"})
