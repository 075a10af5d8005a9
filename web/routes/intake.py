"""Archive staff: upload a scanned dossier → live progress → completeness report (dossier page)."""

from __future__ import annotations

import shutil

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from archive_store import audit
from archive_store.tables import PUBLISHED, VolumeRow
from handover import idnumber
from handover.policy import available_profiles

from .. import intake
from ..deps import ARCHIVE_ROLES, CurrentUser, db, require
from ..render import page
from ..security import verify_csrf
from ..tables import IntakeRow
from ..uploads import check_token, new_token

router = APIRouter()
archive_only = require(*ARCHIVE_ROLES)


def _status(request: Request, session: Session, row: IntakeRow) -> dict:
    out = {"token": row.token, "status": row.status, "error": row.error, "name": row.name,
           "id_number": idnumber.mask(row.id_number), "files": row.files, "batch": None, "done": row.status == "failed"}
    if row.batch_id is not None:
        from workers.status import BatchNotFound, batch_status

        try:
            batch = batch_status(row.batch_id, request.app.state.cfg)[0]
        except BatchNotFound:
            batch = None
        if batch:
            for d in batch["dossiers"]:
                vol = session.scalar(select(VolumeRow.id).where(VolumeRow.ref_no == d["ref_no"],
                                                                VolumeRow.status == PUBLISHED)) if d["ref_no"] else None
                d["volume_id"] = vol
            out["batch"] = batch
            out["done"] = batch["done"] and row.status in ("done", "failed")
    return out


def _own(session: Session, token: str) -> IntakeRow:
    row = session.scalar(select(IntakeRow).where(IntakeRow.token == check_token(token)))
    if row is None:
        raise HTTPException(404, "未找到该批扫描件")
    return row


def _create(request: Request, session: Session, user: CurrentUser, files: list[UploadFile], id_number: str,
            name: str, county: str, street: str, community: str, profile: str) -> IntakeRow:
    try:
        number = idnumber.parse(id_number).number
    except idnumber.IdNumberError as err:
        raise HTTPException(400, f"公民身份号码有误：{err}") from None
    if profile and profile not in available_profiles():
        raise HTTPException(400, "未知的地区政策配置")
    place = [county.strip(), street.strip(), community.strip()]
    if any(place) and not all(place):
        raise HTTPException(400, "接收地须同时填写区县、街道和社区，或都不填（按名册中的移交地）")
    if any("/" in p or "\\" in p or p in (".", "..") for p in place):
        raise HTTPException(400, "接收地名称含有不允许的字符")
    token = new_token()
    batch_dir = request.app.state.intake_dir / token
    try:
        count = intake.save_scans(files, batch_dir / number, request.app.state.max_upload)
        if all(place) or name.strip():
            intake.write_manifest(batch_dir, number, name.strip(), *place, profile)
    except BaseException:
        shutil.rmtree(batch_dir, ignore_errors=True)
        raise
    row = IntakeRow(token=token, user_id=user.id, id_number=number, name=name.strip()[:64], files=count,
                    status="queued")
    session.add(row)
    audit.record(session, user.username, "upload_scans", number, "", files=count)
    session.commit()
    intake.start(request.app.state.sessionmaker, request.app.state.cfg, row.id, batch_dir, profile)
    return row


@router.get("/intake", include_in_schema=False)
def intake_page(request: Request, user: CurrentUser = Depends(archive_only), session: Session = Depends(db)):
    rows = list(session.scalars(select(IntakeRow).order_by(IntakeRow.id.desc()).limit(20)))
    return page(request, "intake.html", rows=rows, profiles=available_profiles(),
                max_mb=max(1, request.app.state.max_upload // (1024 * 1024)))


@router.post("/intake", include_in_schema=False, dependencies=[Depends(verify_csrf)])
def intake_upload(request: Request, files: list[UploadFile] = File(...), id_number: str = Form(""),
                  name: str = Form(""), county: str = Form(""), street: str = Form(""), community: str = Form(""),
                  profile: str = Form(""), user: CurrentUser = Depends(archive_only), session: Session = Depends(db)):
    row = _create(request, session, user, files, id_number, name, county, street, community, profile)
    return RedirectResponse(f"/intake/{row.token}", status_code=303)


@router.get("/intake/{token}", include_in_schema=False)
def intake_status_page(request: Request, token: str, user: CurrentUser = Depends(archive_only),
                       session: Session = Depends(db)):
    from workers.tables import STAGE_LABELS, STAGES

    steps = [(k, STAGE_LABELS[k]) for k in STAGES if k != "quarantined"]
    return page(request, "intake_status.html", s=_status(request, session, _own(session, token)), steps=steps)


@router.post("/api/intake", tags=["档案入库"], summary="上传一卷扫描件并开始数字化", status_code=202,
             dependencies=[Depends(verify_csrf)])
def api_intake(request: Request, files: list[UploadFile] = File(...), id_number: str = Form(...),
               name: str = Form(""), county: str = Form(""), street: str = Form(""), community: str = Form(""),
               profile: str = Form(""), user: CurrentUser = Depends(archive_only), session: Session = Depends(db)):
    row = _create(request, session, user, files, id_number, name, county, street, community, profile)
    return _status(request, session, row)


@router.get("/api/intake/{token}", tags=["档案入库"], summary="数字化进度")
def api_intake_status(request: Request, token: str, user: CurrentUser = Depends(archive_only),
                      session: Session = Depends(db)):
    return _status(request, session, _own(session, token))
