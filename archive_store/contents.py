"""Correcting a published volume's 卷内目录 by hand: OCR names a material or takes its class or
date wrongly now and then, and the archivist who reads the page knows better. A correction
changes the catalog rows (so the 卷内目录, the class filter of search and the exports follow),
renumbers the 序号 when a class changed, and is audited with what it was before. The stored
contents.json stays as the machine wrote it: the catalog is the record of what people decided.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from docgen.records import MaterialEntry, VolumeRecord
from handover import clock
from ocr.classes import CLASSES
from ocr.numbering import sequence_numbers

from . import audit
from .tables import CommunityRow, MaterialRow, VolumeRow


class ContentsError(ValueError):
    """Refused; ``str(err)`` is the Chinese reason."""


@dataclass(frozen=True)
class Correction:
    title: str
    class_code: str
    formed_on: dt.date | None
    remarks: str = ""


def correct_material(session: Session, vol: VolumeRow, material_id: int, change: Correction, actor: str,
                     reason: str = "") -> MaterialRow:
    """Apply ``change`` to one row of ``vol``'s 卷内目录 in the caller's transaction."""
    row = session.get(MaterialRow, material_id)
    if row is None or row.volume_id != vol.id:
        raise ContentsError("本卷没有这一条卷内目录")
    title = " ".join(change.title.split())
    if not title or len(title) > 200:
        raise ContentsError("材料名称不能为空，且不超过200字")
    if change.class_code not in CLASSES:
        raise ContentsError(f"类号“{change.class_code}”不是十大类（含四-1…四-4、九-1…九-4）之一")
    if change.formed_on and not dt.date(1900, 1, 1) <= change.formed_on <= clock.today():
        raise ContentsError("形成时间应在1900年以后且不晚于今天")
    before = _fields(row)
    row.title, row.class_code, row.formed_on = title, change.class_code, change.formed_on
    row.remarks = " ".join(change.remarks.split())[:200]
    if before["class_code"] != row.class_code:
        _renumber(session, vol.id)
    dates = [d for d in session.scalars(select(MaterialRow.formed_on).where(MaterialRow.volume_id == vol.id))
             if d is not None]
    vol.date_from, vol.date_to = (min(dates), max(dates)) if dates else (None, None)  # 起止日期
    audit.record(session, actor, "edit_contents", f"{vol.ref_no}/{row.seq}", reason, before=before,
                 after=_fields(row))
    return row


def _fields(row: MaterialRow) -> dict:
    return {"title": row.title, "class_code": row.class_code,
            "formed_on": row.formed_on.isoformat() if row.formed_on else None, "remarks": row.remarks}


def _renumber(session: Session, volume_id: int) -> None:
    rows = list(session.scalars(select(MaterialRow).where(MaterialRow.volume_id == volume_id)
                                .order_by(MaterialRow.ordinal)))
    for row, seq in zip(rows, sequence_numbers([r.class_code for r in rows])):
        row.seq = seq


def volume_record(session: Session, vol: VolumeRow) -> VolumeRecord:
    """The volume with its 卷内目录 rows as they stand now (corrections included), for printing."""
    community = session.get(CommunityRow, vol.community_id)
    rows = session.scalars(select(MaterialRow).where(MaterialRow.volume_id == vol.id).order_by(MaterialRow.ordinal))
    return VolumeRecord(
        ref_no=vol.ref_no, volume_no=vol.volume_no, name=vol.name, sex="", birth_date=None, id_number=vol.id_number,
        former_employer=vol.enterprise_name, community=community.label if community else "",
        pages=vol.content_pages, received_on=clock.local(vol.published_at).date() if vol.published_at else None,
        start=vol.date_from, end=vol.date_to,
        materials=[MaterialEntry(r.class_code, r.title, r.formed_on, 1, r.pages, r.remarks) for r in rows])
