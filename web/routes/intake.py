"""Archive staff: start digitizing — one uploaded dossier, an uploaded batch ZIP, or a scanning-room
folder — then follow the batch live (stage and pages per dossier), re-queue a held-back dossier
and open the published ones."""

from __future__ import annotations

import shutil

from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import RedirectResponse
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from archive_store import audit
from archive_store.tables import PUBLISHED, VolumeRow
from handover import clock, idnumber
from handover.policy import available_profiles

from .. import intake, intake_list
from ..batch_zip import extract_batch
from ..deps import ARCHIVE_ROLES, CurrentUser, DB, missing, require
from ..paging import DEFAULT_LIMIT, MAX_LIMIT, Paging
from ..render import flash, page
from ..security import verify_csrf
from ..tables import IntakeRow
from ..uploads import check_token, new_token, safe_name, write_upload

router = APIRouter()
archive_only = require(*ARCHIVE_ROLES)
TAG = "档案入库"


class FolderChoice(BaseModel):
    folder: str  # a name from GET /api/intake/folders
    profile: str = ""
    supplement: bool = False  # 补充材料：每卷都是已入库人员的下一卷


def _status(request: Request, session: Session, row: IntakeRow) -> dict:
    out = {"token": row.token, "status": row.status, "error": row.error, "name": row.name,
           "kind": "dossier" if row.id_number else "batch",
           "id_number": idnumber.mask(row.id_number) if row.id_number else "", "files": row.files,
           "batch": None, "done": row.status == "failed"}
    if row.batch_id is not None:
        from workers.status import BatchNotFound, batch_status

        try:
            batch = batch_status(row.batch_id, request.app.state.cfg)[0]
        except BatchNotFound:
            batch = None
        if batch:
            refs = {d["ref_no"] for d in batch["dossiers"] if d["ref_no"]}
            published = dict(session.execute(select(VolumeRow.ref_no, VolumeRow.id).where(
                VolumeRow.ref_no.in_(refs), VolumeRow.status == PUBLISHED)).all()) if refs else {}
            for d in batch["dossiers"]:  # a link only while the volume is published (not 退回)
                d["volume_id"] = published.get(d["ref_no"])
            out["batch"] = batch
            # Every dossier at rest is what "done" means: it stays true even when the server was
            # restarted while a child process finished the work and no thread was left to say so.
            out["done"] = batch["done"]
    return out


def _own(request: Request, session: Session, user: CurrentUser, token: str) -> IntakeRow:
    """A batch by its token; a token that names none is audited like any guessed id."""
    try:
        row = session.scalar(select(IntakeRow).where(IntakeRow.token == check_token(token)))
    except HTTPException:  # not even a token's shape
        row = None
    if row is None:
        raise missing(request, user, f"intake/{token}", "未找到该批扫描件")
    return row


def _profile(profile: str) -> str:
    if profile and profile not in available_profiles():
        raise HTTPException(400, "未知的地区政策配置")
    return profile


def _begin(request: Request, session: Session, user: CurrentUser, batch_dir, profile: str, *, token: str,
           name: str, files: int, action: str, id_number: str = "", supplement: bool = False) -> IntakeRow:
    row = IntakeRow(token=token, user_id=user.id, id_number=id_number, name=name[:64], files=files, status="queued")
    session.add(row)
    audit.record(session, user.username, action, id_number or name, "补充材料" if supplement else "", files=files)
    session.commit()
    intake.start(intake.run_intake, request.app.state.sessionmaker, request.app.state.cfg, row.id, batch_dir,
                 profile, supplement)
    return row


def _create(request: Request, session: Session, user: CurrentUser, files: list[UploadFile], id_number: str,
            name: str, county: str, street: str, community: str, profile: str, supplement: bool = False) -> IntakeRow:
    try:
        number = idnumber.parse(id_number).number
    except idnumber.IdNumberError as err:
        raise HTTPException(400, f"公民身份号码有误：{err}") from None
    _profile(profile)
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
    return _begin(request, session, user, batch_dir, profile, token=token, name=name.strip(), files=count,
                  action="upload_scans", id_number=number, supplement=supplement)


def _create_from_zip(request: Request, session: Session, user: CurrentUser, upload: UploadFile,
                     profile: str, supplement: bool = False) -> IntakeRow:
    _profile(profile)
    if not (upload.filename or "").lower().endswith(".zip"):
        raise HTTPException(415, "批量上传只能是 .zip 压缩包")
    head = upload.file.read(8192)
    if not head.startswith(b"PK\x03\x04"):
        raise HTTPException(415, "上传的文件不是有效的 ZIP 压缩包")
    token = new_token()
    folder = request.app.state.intake_dir
    folder.mkdir(parents=True, exist_ok=True)
    archive, batch_dir = folder / f"{token}.zip", folder / token
    try:
        write_upload(upload, head, archive, request.app.state.max_upload)
        extract_batch(archive, batch_dir, request.app.state.max_unzipped)
        entries = intake.entry_count(batch_dir)
    except BaseException:
        shutil.rmtree(batch_dir, ignore_errors=True)
        raise
    finally:
        archive.unlink(missing_ok=True)
    if not entries:
        shutil.rmtree(batch_dir, ignore_errors=True)
        raise HTTPException(400, "压缩包中没有以身份证号命名的档案文件夹或 PDF / TIFF 文件")
    name = safe_name(upload.filename or "", ".zip")[:-4]
    return _begin(request, session, user, batch_dir, profile, token=token, name=name, files=entries,
                  action="upload_batch", supplement=supplement)


def _create_from_folder(request: Request, session: Session, user: CurrentUser, folder: str,
                        profile: str, supplement: bool = False) -> IntakeRow:
    _profile(profile)
    batch_dir = intake.room_folder(request.app.state.cfg.intake_root, folder)
    entries = intake.entry_count(batch_dir)
    if not entries:
        raise HTTPException(400, f"文件夹“{folder}”中没有以身份证号命名的档案文件夹或 PDF / TIFF 文件")
    return _begin(request, session, user, batch_dir, profile, token=new_token(), name=folder, files=entries,
                  action="ingest_folder", supplement=supplement)


def _requeue(request: Request, session: Session, user: CurrentUser, row: IntakeRow, dossier_id: int,
             supplement: bool = False) -> None:
    """``supplement``: the dossier was refused as the person's second volume and goes again as
    补充材料 (its recognised pages are kept)."""
    from workers.ingest import mark_supplement
    from workers.progress import get_dossier
    from workers.requeue import requeue
    from workers.status import waiting

    cfg = request.app.state.cfg
    try:
        dossier = get_dossier(dossier_id, cfg)
    except LookupError:
        dossier = None
    if dossier is None or row.batch_id is None or dossier.batch_id != row.batch_id:
        raise missing(request, user, f"intake/{row.token}/{dossier_id}", "本批次中没有该档案任务")
    if not waiting(dossier_id, cfg):
        raise HTTPException(409, "只有已隔离或处理中断的档案可以重新排队")
    if supplement:
        mark_supplement(dossier_id, cfg)
    requeue(str(dossier_id), cfg)
    row.status, row.error = "running", ""
    audit.record(session, user.username, "requeue", dossier.id_number, "补充材料" if supplement else "",
                 dossier=dossier_id)
    session.commit()
    intake.start(intake.run_requeued, request.app.state.sessionmaker, cfg, row.id, dossier_id)


# ---------------------------------------------------------------- pages

def _held(request: Request, session: Session, user: CurrentUser, batch: str, stage: str, sort: str, limit: int,
          offset: int) -> tuple[dict, Paging]:
    cfg = request.app.state.cfg
    paging = Paging.of(request.url.path, intake_list.SORTS, dict(batch=batch, stage=stage), sort, limit, offset)
    dossiers = intake_list.dossiers(session, cfg, paging, user.disclosure)
    batches, stages = intake_list.counts(session, cfg)
    return {"batches": batches, "stages": [{"stage": k, "label": intake_list.HELD_STAGES[k], "count": n}
                                           for k, n in stages.items()],
            **paging.answer(), "dossiers": dossiers}, paging


@router.get("/intake", include_in_schema=False)
def intake_page(request: Request, batch: str = "", stage: str = "", sort: str = "", limit: int = DEFAULT_LIMIT,
                offset: int = Query(0, ge=0), user: CurrentUser = Depends(archive_only),
                session: Session = DB):
    rows = list(session.scalars(select(IntakeRow).order_by(IntakeRow.id.desc()).limit(20)))
    cfg = request.app.state.cfg
    held, paging = _held(request, session, user, batch, stage, sort, limit, offset)
    return page(request, "intake.html", rows=rows, held=held, paging=paging, profiles=available_profiles(),
                room=cfg.intake_root is not None, folders=intake.room_folders(cfg.intake_root),
                max_mb=max(1, request.app.state.max_upload // (1024 * 1024)))


@router.post("/intake", include_in_schema=False, dependencies=[Depends(verify_csrf)])
def intake_upload(request: Request, files: list[UploadFile] = File(...), id_number: str = Form(""),
                  name: str = Form(""), county: str = Form(""), street: str = Form(""), community: str = Form(""),
                  profile: str = Form(""), supplement: bool = Form(False), user: CurrentUser = Depends(archive_only),
                  session: Session = DB):
    row = _create(request, session, user, files, id_number, name, county, street, community, profile, supplement)
    return RedirectResponse(f"/intake/{row.token}", status_code=303)


@router.post("/intake/batch", include_in_schema=False, dependencies=[Depends(verify_csrf)])
def intake_batch(request: Request, archive: UploadFile = File(...), profile: str = Form(""),
                 supplement: bool = Form(False), user: CurrentUser = Depends(archive_only),
                 session: Session = DB):
    row = _create_from_zip(request, session, user, archive, profile, supplement)
    return RedirectResponse(f"/intake/{row.token}", status_code=303)


@router.post("/intake/folder", include_in_schema=False, dependencies=[Depends(verify_csrf)])
def intake_folder(request: Request, folder: str = Form(""), profile: str = Form(""),
                  supplement: bool = Form(False), user: CurrentUser = Depends(archive_only),
                  session: Session = DB):
    row = _create_from_folder(request, session, user, folder, profile, supplement)
    return RedirectResponse(f"/intake/{row.token}", status_code=303)


@router.get("/intake/{token}", include_in_schema=False)
def intake_status_page(request: Request, token: str, user: CurrentUser = Depends(archive_only),
                       session: Session = DB):
    from workers.tables import STAGE_LABELS, STAGES

    steps = [(k, STAGE_LABELS[k]) for k in STAGES if k != "quarantined"]
    batch = _own(request, session, user, token)
    return page(request, "intake_status.html", s=_status(request, session, batch), steps=steps)


@router.post("/intake/{token}/requeue", include_in_schema=False, dependencies=[Depends(verify_csrf)])
def intake_requeue(request: Request, token: str, dossier_id: int = Form(...), supplement: bool = Form(False),
                   user: CurrentUser = Depends(archive_only), session: Session = DB):
    _requeue(request, session, user, _own(request, session, user, token), dossier_id, supplement)
    flash(request, f"档案任务 #{dossier_id} 已{'作为补充材料' if supplement else ''}重新排队。")
    return RedirectResponse(f"/intake/{token}", status_code=303)


# ---------------------------------------------------------------- JSON API

@router.post("/api/intake", tags=[TAG], summary="上传一卷扫描件并开始数字化", status_code=202,
             dependencies=[Depends(verify_csrf)])
def api_intake(request: Request, files: list[UploadFile] = File(...), id_number: str = Form(...),
               name: str = Form(""), county: str = Form(""), street: str = Form(""), community: str = Form(""),
               profile: str = Form(""), supplement: bool = Form(False), user: CurrentUser = Depends(archive_only),
               session: Session = DB):
    row = _create(request, session, user, files, id_number, name, county, street, community, profile, supplement)
    return _status(request, session, row)


@router.post("/api/intake/batch", tags=[TAG], summary="上传一批扫描件（ZIP 压缩包）并开始数字化", status_code=202,
             dependencies=[Depends(verify_csrf)])
def api_intake_batch(request: Request, archive: UploadFile = File(...), profile: str = Form(""),
                     supplement: bool = Form(False), user: CurrentUser = Depends(archive_only),
                     session: Session = DB):
    row = _create_from_zip(request, session, user, archive, profile, supplement)
    return _status(request, session, row)


@router.get("/api/intake/folders", tags=[TAG], summary="扫描室中可入库的批次文件夹")
def api_intake_folders(request: Request, user: CurrentUser = Depends(archive_only)):
    root = request.app.state.cfg.intake_root
    if root is None:
        raise HTTPException(404, "未配置扫描室文件夹（HANDOVER_INTAKE_ROOT）")
    return [{"folder": name, "entries": intake.entry_count(root / name)} for name in intake.room_folders(root)]


@router.get("/api/intake/held", tags=[TAG],
            summary="待处理的档案（已隔离或处理中断）：按批次、阶段筛选，分页；每卷姓名、身份证号、批次、阶段、原因")
def api_intake_held(request: Request, batch: str = Query("", description="批次编号"),
                    stage: str = Query("", description="停在的阶段：" + " | ".join(intake_list.HELD_STAGES)),
                    sort: str = Query("", description="-updated（最近的在前，默认）| updated | name | batch；前加 - 为倒序"),
                    limit: int = Query(DEFAULT_LIMIT, description=f"每页条数，最多 {MAX_LIMIT}"),
                    offset: int = Query(0, ge=0), user: CurrentUser = Depends(archive_only),
                    session: Session = DB):
    answer = _held(request, session, user, batch, stage, sort, limit, offset)[0]
    for d in answer["dossiers"]:
        d["updated_at"] = clock.iso(d["updated_at"], "seconds")
    return answer


@router.post("/api/intake/folder", tags=[TAG], summary="从扫描室文件夹开始数字化（原文件不被修改）", status_code=202,
             dependencies=[Depends(verify_csrf)])
def api_intake_folder(request: Request, body: FolderChoice, user: CurrentUser = Depends(archive_only),
                      session: Session = DB):
    row = _create_from_folder(request, session, user, body.folder, body.profile, body.supplement)
    return _status(request, session, row)


@router.get("/api/intake/{token}", tags=[TAG], summary="数字化进度（每卷的阶段、页数、隔离原因）")
def api_intake_status(request: Request, token: str, user: CurrentUser = Depends(archive_only),
                      session: Session = DB):
    return _status(request, session, _own(request, session, user, token))


@router.post("/api/intake/{token}/requeue/{dossier_id}", tags=[TAG], summary="已隔离的档案修正后重新排队",
             status_code=202, dependencies=[Depends(verify_csrf)])
def api_intake_requeue(request: Request, token: str, dossier_id: int, supplement: bool = False,
                       user: CurrentUser = Depends(archive_only), session: Session = DB):
    """``?supplement=true``: a dossier refused as the person's second volume goes again as 补充材料."""
    row = _own(request, session, user, token)
    _requeue(request, session, user, row, dossier_id, supplement)
    return _status(request, session, row)
