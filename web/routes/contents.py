"""Archive staff correct a published volume's 卷内目录 (archive_store.contents): an edit page per
row from the dossier page, and the same through the JSON API."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session

from archive_store import audit
from archive_store.contents import Correction, correct_material, volume_record
from archive_store.tables import MaterialRow
from ocr.classes import CLASSES

from ..deps import ARCHIVE_ROLES, STAFF, CurrentUser, DB, require
from ..downloads import built_file
from ..render import flash, page
from ..security import verify_csrf
from .dossier import visible_volume

router = APIRouter()
archive_only = require(*ARCHIVE_ROLES)
staff_only = require(*STAFF)
MEDIA = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "pdf": "application/pdf"}


class ContentsEdit(BaseModel):
    title: str
    class_code: str
    formed_on: dt.date | None = None  # 材料形成时间 YYYY-MM-DD
    remarks: str = ""
    reason: str = ""  # 更正依据，记入审计日志


def _row(session: Session, volume_id: int, material_id: int) -> MaterialRow:
    row = session.get(MaterialRow, material_id)
    if row is None or row.volume_id != volume_id:
        raise HTTPException(404, "本卷没有这一条卷内目录")
    return row


def _apply(request: Request, session: Session, user: CurrentUser, volume_id: int, material_id: int,
           body: ContentsEdit) -> dict:
    vol = visible_volume(request, session, user, volume_id)
    _row(session, volume_id, material_id)
    row = correct_material(session, vol, material_id, Correction(body.title, body.class_code, body.formed_on,
                                                                 body.remarks), user.username, body.reason)
    session.commit()
    return {"id": row.id, "seq": row.seq, "class_code": row.class_code, "title": row.title,
            "formed_on": row.formed_on.isoformat() if row.formed_on else None, "remarks": row.remarks}


@router.get("/dossiers/{volume_id}/contents.{fmt}", tags=["案卷"], summary="下载卷内目录（docx 或 pdf，供打印装订）")
def contents_document(request: Request, volume_id: int, fmt: str, user: CurrentUser = Depends(staff_only),
                      session: Session = DB):
    from docgen.documents import contents_list
    from docgen.docx_tables import render_table_docx
    from docgen.pdf_tables import render_table_pdf
    from docgen.pdffont import cover

    if fmt not in MEDIA:
        raise HTTPException(404, "卷内目录只提供 docx 和 pdf")
    vol = visible_volume(request, session, user, volume_id)
    doc = contents_list(volume_record(session, vol))

    def build(tmp: Path) -> Path:
        out = tmp / f"contents.{fmt}"
        if fmt == "docx":
            render_table_docx(doc, out)
        else:
            render_table_pdf(doc, out, fonts=cover(vol.name + "".join(r[1] for s in doc.sections for r in s.rows)))
        return out

    response = built_file(build, f"{vol.ref_no}-卷内目录.{fmt}", MEDIA[fmt])
    audit.record(session, user.username, "download", f"{vol.ref_no}/卷内目录.{fmt}", "")
    return response


@router.get("/dossiers/{volume_id}/contents/{material_id}", include_in_schema=False)
def edit_page(request: Request, volume_id: int, material_id: int, user: CurrentUser = Depends(archive_only),
              session: Session = DB):
    vol = visible_volume(request, session, user, volume_id)
    return page(request, "contents_edit.html", vol=vol, m=_row(session, volume_id, material_id), classes=CLASSES)


@router.post("/dossiers/{volume_id}/contents/{material_id}", include_in_schema=False,
             dependencies=[Depends(verify_csrf)])
def edit_form(request: Request, volume_id: int, material_id: int, title: str = Form(""), class_code: str = Form(""),
              formed_on: str = Form(""), remarks: str = Form(""), reason: str = Form(""),
              user: CurrentUser = Depends(archive_only), session: Session = DB):
    try:
        date = dt.date.fromisoformat(formed_on) if formed_on.strip() else None
    except ValueError:
        raise HTTPException(400, "形成时间格式应为 YYYY-MM-DD") from None
    done = _apply(request, session, user, volume_id, material_id,
                  ContentsEdit(title=title, class_code=class_code, formed_on=date, remarks=remarks, reason=reason))
    flash(request, f"已更正卷内目录 {done['seq']}：{done['title']}")
    return RedirectResponse(f"/dossiers/{volume_id}#contents", status_code=303)


@router.put("/api/dossiers/{volume_id}/contents/{material_id}", tags=["案卷"],
            summary="更正卷内目录的一条（材料名称、类号、形成时间、备注；档案馆）", dependencies=[Depends(verify_csrf)])
def api_edit(request: Request, volume_id: int, material_id: int, body: ContentsEdit,
             user: CurrentUser = Depends(archive_only), session: Session = DB):
    return _apply(request, session, user, volume_id, material_id, body)
