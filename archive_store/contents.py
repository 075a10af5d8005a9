"""Correcting a published volume's 卷内目录 by hand: OCR names a material or takes its class or
date wrongly now and then, and the archivist who reads the page knows better. A correction
changes the catalog rows (so the 卷内目录, the class filter of search and the exports follow),
renumbers the 序号 when a class changed, and is audited with what it was before. The stored
contents.json stays as the machine wrote it: the catalog is the record of what people decided.

The material split can be wrong too: ``split_material`` opens a new row at an image inside a
row, ``merge_material`` puts a row back into the one before it (the 校对 queue's boundary
answers). A row's images are the pages linked to it (``PageRow.material_id``, set at publish
from the rows' page spans, moved here with the pages), so no image list is stored on the row.
The reshaping itself is pure (``Shape``, ``split_rows``, ``merge_rows``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from docgen.records import MaterialEntry, VolumeRecord
from handover import clock, volume_folder
from handover.errors import InputRefused
from ocr.classes import CLASSES, match_title
from ocr.materials import UNKNOWN_TITLE
from ocr.numbering import sequence_numbers

from . import audit
from .tables import CommunityRow, MaterialRow, PageRow, VolumeRow


class ContentsError(InputRefused):
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
    _span(session, vol)
    audit.record(session, actor, "edit_contents", f"{vol.ref_no}/{row.seq}", reason, before=before,
                 after=_fields(row))
    return row


def _fields(row: MaterialRow) -> dict:
    return {"title": row.title, "class_code": row.class_code,
            "formed_on": row.formed_on.isoformat() if row.formed_on else None, "remarks": row.remarks}


def _span(session: Session, vol: VolumeRow) -> None:
    """起止日期: the earliest and latest 形成时间 of the rows."""
    dates = [d for d in session.scalars(select(MaterialRow.formed_on).where(MaterialRow.volume_id == vol.id))
             if d is not None]
    vol.date_from, vol.date_to = (min(dates), max(dates)) if dates else (None, None)


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


# ---------------------------------------------------------------- splitting and merging rows

@dataclass(frozen=True)
class Shape:
    """A 卷内目录 row as splitting and merging see it: its values and the images it holds,
    (image index, archival page number) in image order."""

    title: str
    class_code: str
    formed_on: dt.date | None
    pages: int
    start_page: int | None
    end_page: int | None
    remarks: str = ""
    images: tuple[tuple[int, int | None], ...] = ()

    @property
    def first_image(self) -> int | None:
        return self.images[0][0] if self.images else None


def row_of(rows: Sequence[Shape], image: int) -> int | None:
    """Position of the row holding ``image``, None when no row does (a blank side, a duplicate)."""
    return next((k for k, r in enumerate(rows) if any(i == image for i, _ in r.images)), None)


def _numbers(images: Sequence[tuple[int, int | None]]) -> list[int]:
    return [n for _, n in images if n is not None]


def _remark(*parts: str) -> str:
    return "；".join(p for p in parts if p)[:200]


def split_rows(rows: Sequence[Shape], image: int, title: str = "") -> list[Shape]:
    """The rows with the row holding ``image`` split there: the new row, right after it, takes
    the pages from ``image`` on; it is 未识别材料 of class 十 unless ``title`` (staff's answer for
    the material opening there) names it, then the class the title maps to (十 when none)."""
    k = row_of(rows, image)
    if k is None:
        raise ContentsError(f"第{image}幅图像不属于卷内目录的任何一份材料（空白页、重复页或不存在），不能从这里拆分")
    row = rows[k]
    pos = [i for i, _ in row.images].index(image)
    if pos == 0:
        raise ContentsError(f"第{image}幅图像已是“{row.title}”的首页，不能再从这里拆分")
    kept, moved = row.images[:pos], row.images[pos:]
    title = " ".join((title or "").split())
    rule = match_title(title) if title else None
    old_numbers, new_numbers = _numbers(kept), _numbers(moved)
    old = replace(row, images=kept, pages=max(0, row.pages - len(moved)),
                  end_page=max(old_numbers) if old_numbers else row.end_page)
    new = Shape(title or UNKNOWN_TITLE, rule.class_code if rule else "十", None, len(moved),
                min(new_numbers) if new_numbers else None, max(new_numbers) if new_numbers else row.end_page,
                _remark(f"自“{row.title}”第{image}幅图像起拆出，另列一份材料",
                        "" if rule else ("未能识别材料名称，请人工核对" if not title else "类别未能自动判定，暂归第十类")),
                moved)
    return [*rows[:k], old, new, *rows[k + 1:]]


def merge_rows(rows: Sequence[Shape], image: int) -> list[Shape]:
    """The rows with the row that starts at ``image`` merged into the row before it: its pages are
    added, the end page extended, its title and date dropped (the remarks say what was merged)."""
    k = next((k for k, r in enumerate(rows) if r.first_image == image), None)
    if k is None:
        where = row_of(rows, image)
        if where is None:
            raise ContentsError(f"第{image}幅图像不属于卷内目录的任何一份材料（空白页、重复页或不存在），不能合并")
        raise ContentsError(f"第{image}幅图像不是一份材料的首页（属“{rows[where].title}”），不能合并")
    if k == 0:
        raise ContentsError(f"第{image}幅图像是卷内目录第一份材料的首页，前面没有可以并入的材料")
    prev, row = rows[k - 1], rows[k]
    when = f"，形成时间{row.formed_on.isoformat()}" if row.formed_on else ""
    merged = replace(prev, images=prev.images + row.images, pages=prev.pages + row.pages,
                     start_page=prev.start_page if prev.start_page is not None else row.start_page,
                     end_page=row.end_page if row.end_page is not None else prev.end_page,
                     remarks=_remark(prev.remarks, f"并入原“{row.title}”（第{image}幅图像起{row.pages}页{when}）"))
    return [*rows[:k - 1], merged, *rows[k + 1:]]


def _shapes(session: Session, vol: VolumeRow) -> tuple[list[MaterialRow], list[Shape]]:
    rows = list(session.scalars(select(MaterialRow).where(MaterialRow.volume_id == vol.id)
                                .order_by(MaterialRow.ordinal, MaterialRow.id)))
    images: dict[int, list[tuple[int, int | None]]] = {}
    for mid, seq, page_no in session.execute(
            select(PageRow.material_id, PageRow.seq, PageRow.page_no)
            .where(PageRow.volume_id == vol.id, PageRow.material_id.is_not(None)).order_by(PageRow.seq)):
        images.setdefault(mid, []).append((seq, page_no))
    return rows, [Shape(r.title, r.class_code, r.formed_on, r.pages, r.start_page, r.end_page, r.remarks,
                        tuple(images.get(r.id, ()))) for r in rows]


def _layout(row: MaterialRow) -> dict:
    return {"seq": row.seq, **_fields(row), "pages": row.pages, "start_page": row.start_page,
            "end_page": row.end_page}


def _apply(row: MaterialRow, shape: Shape) -> None:
    row.title, row.class_code, row.formed_on = shape.title, shape.class_code, shape.formed_on
    row.pages, row.start_page, row.end_page, row.remarks = shape.pages, shape.start_page, shape.end_page, shape.remarks


def _settle(session: Session, vol: VolumeRow, rows: list[MaterialRow]) -> None:
    """Ordinals 1…n in the new order, 序号 renumbered, 起止日期 and the row count."""
    for ordinal, row in enumerate(rows, 1):
        row.ordinal = ordinal
    session.flush()
    _renumber(session, vol.id)
    _span(session, vol)
    vol.materials = len(rows)


def _renumbered(rows: list[MaterialRow], seqs: dict[int, str]) -> list[list[str]]:
    return [[seqs[r.id], r.seq] for r in rows if r.id in seqs and seqs[r.id] != r.seq]


def split_material(session: Session, vol: VolumeRow, image: int, actor: str, reason: str = "",
                   title: str = "") -> MaterialRow:
    """Open a new 卷内目录 row at ``image`` (inside a row, not its first image), in the caller's
    transaction: the pages from ``image`` on move to it (``split_rows``); returns the new row."""
    rows, shapes = _shapes(session, vol)
    after = split_rows(shapes, image, title)
    seqs = {r.id: r.seq for r in rows}
    k = row_of(shapes, image)
    assert k is not None  # split_rows refused otherwise
    row = rows[k]
    before = _layout(row)
    _apply(row, after[k])
    new = MaterialRow(volume_id=vol.id, ordinal=0, seq="", class_code="", title="")
    _apply(new, after[k + 1])
    session.add(new)
    session.flush()
    for page in session.scalars(select(PageRow).where(PageRow.volume_id == vol.id, PageRow.material_id == row.id,
                                                      PageRow.seq >= image)):
        page.material_id = new.id
    ordered = [*rows[:k + 1], new, *rows[k + 1:]]
    _settle(session, vol, ordered)
    audit.record(session, actor, "split_contents", f"{vol.ref_no}/{before['seq']}", reason, image=image,
                 before=[before], after=[_layout(row), _layout(new)], renumbered=_renumbered(ordered, seqs))
    return new


def merge_material(session: Session, vol: VolumeRow, image: int, actor: str, reason: str = "") -> MaterialRow:
    """Put the 卷内目录 row starting at ``image`` into the row before it, in the caller's
    transaction (``merge_rows``); returns the row it went into."""
    rows, shapes = _shapes(session, vol)
    after = merge_rows(shapes, image)
    seqs = {r.id: r.seq for r in rows}
    k = next(k for k, s in enumerate(shapes) if s.first_image == image)
    prev, gone = rows[k - 1], rows[k]
    before = [_layout(prev), _layout(gone)]
    _apply(prev, after[k - 1])
    for page in session.scalars(select(PageRow).where(PageRow.volume_id == vol.id, PageRow.material_id == gone.id)):
        page.material_id = prev.id
    session.flush()
    session.delete(gone)
    ordered = [*rows[:k], *rows[k + 1:]]
    _settle(session, vol, ordered)
    audit.record(session, actor, "merge_contents", f"{vol.ref_no}/{before[1]['seq']}", reason, image=image,
                 before=before, after=[_layout(prev)], renumbered=_renumbered(ordered, seqs))
    return prev


def catalog_rows(session: Session, vol: VolumeRow) -> list[volume_folder.ContentsRow]:
    """The 卷内目录 rows as they stand now, as contents.json rows (what a re-check reads)."""
    rows = session.scalars(select(MaterialRow).where(MaterialRow.volume_id == vol.id).order_by(MaterialRow.ordinal))
    return [volume_folder.ContentsRow(seq=r.seq, class_code=r.class_code, title=r.title,
                                      formed_on=r.formed_on.isoformat() if r.formed_on else None, pages=r.pages,
                                      start_page=r.start_page, end_page=r.end_page, remarks=r.remarks) for r in rows]
