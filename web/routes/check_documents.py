"""The completeness paperwork of a dossier, drafted for archive staff to print: the 备考表 and,
when materials are missing, the 《档案材料缺失情况说明》 the transferring enterprise signs."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends, HTTPException, Request
from sqlalchemy.orm import Session

from archive_store import audit
from handover import clock

from ..deps import ARCHIVE_ROLES, CurrentUser, DB, require
from ..downloads import built_file
from .dossier import stored_report, visible_volume

router = APIRouter()
archive_only = require(*ARCHIVE_ROLES)
KINDS = {"statement": ("missing_statement", "档案材料缺失情况说明"), "note-sheet": ("note_sheet", "备考表")}


@router.get("/dossiers/{volume_id}/check/{kind}.docx", tags=["案卷"],
            summary="下载完整性检查文书（statement：档案材料缺失情况说明；note-sheet：备考表）")
def check_document(request: Request, volume_id: int, kind: str, user: CurrentUser = Depends(archive_only),
                   session: Session = DB):
    if kind not in KINDS:
        raise HTTPException(404, "没有这种文书")
    vol = visible_volume(request, session, user, volume_id, withdrawn=True)
    try:
        from completeness.documents import write_documents
    except ModuleNotFoundError:
        raise HTTPException(501, "完整性检查模块未安装") from None
    report = stored_report(request, vol)
    if report is None:
        raise HTTPException(404, "本卷没有完整性检查报告")
    key, title = KINDS[kind]
    if key == "missing_statement" and report.provisional:
        from completeness.acceptance import provisional_refusal

        raise HTTPException(409, provisional_refusal(report))

    def build(tmp: Path) -> Path:
        written = write_documents(report, tmp, enterprise=vol.enterprise_name,
                                  received_on=clock.local(vol.published_at).date() if vol.published_at else None,
                                  compiler=user.display_name or user.username)
        if key not in written:
            raise HTTPException(404, "本卷必要材料齐全，无需《档案材料缺失情况说明》")
        return written[key]

    response = built_file(build, f"{vol.ref_no}-{title}.docx")
    audit.record(session, user.username, "download", f"{vol.ref_no}/{title}.docx", "")
    return response
