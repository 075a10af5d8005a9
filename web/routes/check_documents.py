"""The completeness paperwork of a dossier, drafted for archive staff to print: the 备考表 and,
when materials are missing, the 《档案材料缺失情况说明》 the transferring enterprise signs."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse
from sqlalchemy.orm import Session
from starlette.background import BackgroundTask

from archive_store import audit
from archive_store.storage import StorageError, open_storage
from handover import clock

from ..deps import ARCHIVE_ROLES, CurrentUser, db, require
from .dossier import visible_volume

router = APIRouter()
archive_only = require(*ARCHIVE_ROLES)
KINDS = {"statement": ("missing_statement", "档案材料缺失情况说明"), "note-sheet": ("note_sheet", "备考表")}


@router.get("/dossiers/{volume_id}/check/{kind}.docx", tags=["案卷"],
            summary="下载完整性检查文书（statement：档案材料缺失情况说明；note-sheet：备考表）")
def check_document(request: Request, volume_id: int, kind: str, user: CurrentUser = Depends(archive_only),
                   session: Session = Depends(db)):
    if kind not in KINDS:
        raise HTTPException(404, "没有这种文书")
    vol = visible_volume(request, session, user, volume_id, withdrawn=True)
    try:
        from completeness.check import CheckReport
        from completeness.documents import write_documents
    except ModuleNotFoundError:
        raise HTTPException(501, "完整性检查模块未安装") from None
    try:
        report = CheckReport.from_json(json.loads(open_storage(request.app.state.cfg).get(f"{vol.prefix}/check.json")))
    except (StorageError, ValueError, KeyError):
        raise HTTPException(404, "本卷没有完整性检查报告") from None
    report.ref_no = report.ref_no or vol.ref_no
    key, title = KINDS[kind]
    tmp = Path(tempfile.mkdtemp(prefix="handover-check-docs-"))
    try:
        written = write_documents(report, tmp, enterprise=vol.enterprise_name,
                                  received_on=clock.local(vol.published_at).date() if vol.published_at else None,
                                  compiler=user.display_name or user.username)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if key not in written:
        shutil.rmtree(tmp, ignore_errors=True)
        raise HTTPException(404, "本卷必要材料齐全，无需《档案材料缺失情况说明》")
    audit.record(session, user.username, "download", f"{vol.ref_no}/{title}.docx", "")
    return FileResponse(written[key], filename=f"{vol.ref_no}-{title}.docx",
                        background=BackgroundTask(shutil.rmtree, tmp, ignore_errors=True))
