"""The 校对 (proofreading) queue of published volumes: archive staff's answers, waivers, the re-check.

The completeness check (``completeness.check.run_checks``) lists every value it is unsure of as a
``ReviewItem`` in the check.json stored with the volume. Archive staff confirm or correct each one
(key "<field>:<image index>"), or settle the rest as they stand (全部放弃/确认现状, with a reason).
Every answer or waiver

1. is stored (``ReviewAnswerRow`` / ``ReviewWaiverRow``, tied to the version of the volume: its
   originals' digest) and audited with the old and new values (ID numbers masked);
2. flows into the catalog: 材料形成时间 and 材料名称 through ``contents.correct_material`` (序号,
   起止日期 and its own audit follow); a 材料起始页 answer reshapes the 卷内目录 — 起始 on an image
   inside a row splits it there (``contents.split_material``), 接续 on an image that opens a row
   merges that row into the one before (``contents.merge_material``), an answer matching the
   rows as they stand changes nothing; every corrected value goes into the page's indexed text
   (searching the corrected name finds the page);
3. re-runs ``run_checks`` over the volume's stored ocr.json / contents.json / volume.json with all
   its corrections — the 卷内目录 as it stands now, the roster record, the profile the first check
   used, the page images measured once per version — stores the new check.json (stored-object
   hashes and manifest.json rewritten, so ``handover verify`` stays clean) and sets
   ``VolumeRow.check_outcome`` (``review_check``).

The outcome stays provisional (待校对) while items are open and not waived. This module holds the
queue as it stands, ``answer`` and ``waive`` and the crop of the page image beside an item; the
values are checked and shown by ``review_values``, the counts across volumes cached by
``review_cache``.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from completeness.review import FIELDS, ReviewItem
from handover import clock, volume_folder
from ocr.classes import match_title
from ocr.materials import UNKNOWN_TITLE

from . import audit, review_check
from .contents import (ContentsError, Correction, correct_material, merge_material,
                       split_material)
from .index import index_pages, unindex_pages
from .review_values import INDEXED_FIELDS, ReviewError, clean_value, indexed_text, shown_value
from .storage import Storage
from .tables import PUBLISHED, MaterialRow, PageRow, PageTextRow, ReviewAnswerRow, ReviewWaiverRow, VolumeRow
from .transactions import write_transaction

# What to type, shown beside each input.
HINTS = {
    "name": "如：张建国", "id_number": "18位，末位可为X", "birth": "如：1952-03 或 1952年3月",
    "sex": "男 或 女", "formed_on": "如：1985-10-01", "title": "材料名称，如：退休审批表",
    "boundary": "起始（新材料首页）或 接续（属上一份材料）", "page_no": "原件页号，如：12",
    "identity": "本人 或 他人",
    "altered": "改正后的内容，如：钳工；只划去、未改写的填“无”",
}


# ---------------------------------------------------------------- reading the queue

@dataclass(frozen=True)
class Item:
    """One question of the queue: an open item of the stored check, or one already answered."""

    key: str
    field: str
    page: int | None
    value: str  # the machine's reading
    reason_zh: str
    box: tuple[int, int, int, int] | None
    material: str

    @property
    def label(self) -> str:
        return FIELDS.get(self.field, self.field)

    @property
    def hint(self) -> str:
        return HINTS.get(self.field, "")

    @classmethod
    def of(cls, item: ReviewItem) -> "Item":
        return cls(item.key, item.field, item.page, item.value, item.reason_zh,
                   tuple(item.box) if item.box else None, item.material or "")  # type: ignore[arg-type]

    @classmethod
    def of_answer(cls, row: ReviewAnswerRow) -> "Item":
        return cls(row.key, row.field, row.page, row.machine_value, row.reason_zh,
                   tuple(row.box) if row.box else None, row.material)  # type: ignore[arg-type]


@dataclass
class Queue:
    volume: VolumeRow
    report: object | None  # completeness.check.CheckReport of the stored check.json
    open: list[Item] = field(default_factory=list)
    answered: list[ReviewAnswerRow] = field(default_factory=list)
    waiver: ReviewWaiverRow | None = None
    page_nos: dict[int, int | None] = field(default_factory=dict)  # image index → archival page number

    @property
    def waived(self) -> bool:
        return self.waiver is not None or bool(getattr(self.report, "waived", False))

    @property
    def provisional(self) -> bool:
        return bool(self.open) and not self.waived

    @property
    def outcome(self) -> str:
        return str(self.report.outcome) if self.report is not None else (self.volume.check_outcome or "")

    @property
    def outcome_label(self) -> str:
        return self.report.outcome_label if self.report is not None else ""

    @property
    def checked_at(self) -> str:
        return self.report.checked_at if self.report is not None else ""


def _waiver(session: Session, vol: VolumeRow) -> ReviewWaiverRow | None:
    return session.scalar(select(ReviewWaiverRow).where(
        ReviewWaiverRow.volume_id == vol.id, ReviewWaiverRow.originals_sha256 == vol.originals_sha256)
        .order_by(ReviewWaiverRow.id.desc()))


def queue(session: Session, storage: Storage, vol: VolumeRow) -> Queue:
    """The volume's queue as it stands: open items of the stored check, the answers, the waiver."""
    report = review_check.stored_check(storage, vol)
    answers = review_check.answers(session, vol)
    done = {a.key for a in answers}
    items = [Item.of(i) for i in (report.review if report is not None else []) if i.key not in done]
    page_nos = dict(session.execute(select(PageRow.seq, PageRow.page_no).where(PageRow.volume_id == vol.id)).all())
    return Queue(vol, report, items, answers, _waiver(session, vol), page_nos)


def find_item(q: Queue, key: str) -> Item:
    for item in q.open:
        if item.key == key:
            return item
    for row in q.answered:
        if row.key == key:
            return Item.of_answer(row)
    raise ReviewError(f"本卷的校对清单中没有“{key}”这一项（可能已随重新检查而消失，请刷新页面）。", 404)


# ---------------------------------------------------------------- answering

def _published(session: Session, volume_id: int) -> VolumeRow:
    vol = session.get(VolumeRow, volume_id)
    if vol is None or vol.status != PUBLISHED:
        raise ReviewError("未找到该案卷（只有已入库的案卷可以校对）", 404)
    return vol


def _reshape(session: Session, vol: VolumeRow, item: Item, value: str, actor: str) -> MaterialRow | None:
    """A 材料起始页 answer: 起始 on an image inside a row splits the row there (named after the
    title staff gave for that image, if any), 接续 on an image that opens a row merges the row
    into the one before. An answer matching the rows as they stand changes nothing (None)."""
    image = item.page
    mid = None if image is None else session.scalar(
        select(PageRow.material_id).where(PageRow.volume_id == vol.id, PageRow.seq == image))
    if image is None or mid is None:
        return None  # a blank side or a duplicate belongs to no row: nothing to reshape
    first = session.scalar(select(func.min(PageRow.seq)).where(PageRow.volume_id == vol.id,
                                                               PageRow.material_id == mid))
    reason = f"校对：{item.label}（{value}）"
    try:
        if value == "起始" and first != image:
            title = next((a.value for a in review_check.answers(session, vol) if a.key == f"title:{image}"), "")
            return split_material(session, vol, image, actor, reason, title=title)
        if value == "接续" and first == image:
            return merge_material(session, vol, image, actor, reason)
    except ContentsError as err:
        raise ReviewError(str(err)) from None
    return None


def _to_catalog(session: Session, vol: VolumeRow, item: Item, value: str, actor: str) -> MaterialRow | None:
    """材料形成时间 and 材料名称 go into the 卷内目录 row the item's page opens; 材料起始页 reshapes the rows."""
    if item.field == "boundary":
        return _reshape(session, vol, item, value, actor)
    if item.field not in ("formed_on", "title") or item.page is None:
        return None
    mid = session.scalar(select(PageRow.material_id).where(PageRow.volume_id == vol.id, PageRow.seq == item.page))
    if mid is not None:
        first = session.scalar(select(func.min(PageRow.seq)).where(PageRow.volume_id == vol.id,
                                                                   PageRow.material_id == mid))
        if first != item.page:
            return None  # a page inside a row: the 卷内目录 row itself is not this material's
    elif item.field == "formed_on" and item.material:
        rows = list(session.scalars(select(MaterialRow.id).where(MaterialRow.volume_id == vol.id,
                                                                 MaterialRow.title == item.material)))
        mid = rows[0] if len(rows) == 1 else None
    if mid is None:
        return None
    row = session.get(MaterialRow, mid)
    title = value if item.field == "title" else row.title
    formed = dt.date.fromisoformat(value) if item.field == "formed_on" else row.formed_on
    code = row.class_code
    if item.field == "title" and (row.title, code) == (UNKNOWN_TITLE, "十") and (rule := match_title(title)):
        code = rule.class_code  # a material the machine could not name (split off by hand, say) gets its class
    if (title, formed, code) == (row.title, row.formed_on, row.class_code):
        return row
    try:
        return correct_material(session, vol, mid, Correction(title, code, formed, row.remarks), actor,
                                f"校对：{item.label}")
    except ContentsError as err:
        raise ReviewError(str(err)) from None


def _reindex(session: Session, vol: VolumeRow, page: int | None, ocr: volume_folder.OcrFile) -> None:
    if page is None:
        return
    row = session.scalar(select(PageRow).where(PageRow.volume_id == vol.id, PageRow.seq == page))
    if row is None or row.duplicate_of is not None:
        return
    source = next((p for p in ocr.pages if p.index == page), None)
    answers = [a for a in review_check.answers(session, vol) if a.page == page]
    new = indexed_text(source.text if source is not None else "", answers)
    text_row = session.get(PageTextRow, row.id)
    old = text_row.text if text_row is not None else ""
    if new == old:
        return
    if old.strip():
        unindex_pages(session, [(row.id, old, vol.community_id)])
    if text_row is None:
        text_row = PageTextRow(page_id=row.id, text=new)
        session.add(text_row)
    text_row.text = new
    if new.strip():
        index_pages(session, [(row.id, new, vol.community_id)])


@dataclass(frozen=True)
class Outcome:
    """What an answer or a waiver did."""

    key: str | None
    changed: bool  # False: the same answer again, nothing done
    outcome_before: str
    outcome_after: str
    contents_row: int | None = None  # the 卷内目录 row corrected (MaterialRow id)


def answer(engine: Engine, storage: Storage, volume_id: int, key: str, raw: str, actor: str) -> Outcome:
    """Confirm (the machine's value) or correct one item, then re-check the volume. All or nothing:
    a refused value (``ReviewError``) changes nothing."""
    with Session(engine) as s:
        vol = _published(s, volume_id)
        q = queue(s, storage, vol)
        if q.report is None:
            raise ReviewError("本卷没有完整性检查报告，没有校对清单", 409)
        item = find_item(q, key)
        value = clean_value(item.field, raw)
        previous = next((a for a in q.answered if a.key == key), None)
        if previous is not None and previous.value == value:
            return Outcome(key, False, q.outcome, q.outcome)
        inputs = review_check.inputs(s, storage, vol, q.report)
    confirmed = value == _comparable(item.field, item.value)
    saved: dict = {}
    try:
        with write_transaction(engine) as s:
            vol = _published(s, volume_id)
            row = s.scalar(select(ReviewAnswerRow).where(
                ReviewAnswerRow.volume_id == vol.id, ReviewAnswerRow.originals_sha256 == vol.originals_sha256,
                ReviewAnswerRow.key == key))
            before = row.value if row is not None else item.value
            if row is None:
                row = ReviewAnswerRow(volume_id=vol.id, originals_sha256=vol.originals_sha256, key=key,
                                      field=item.field, page=item.page, machine_value=item.value,
                                      reason_zh=item.reason_zh[:400], box=list(item.box) if item.box else None,
                                      material=(item.material or "")[:400])
                s.add(row)
            row.value, row.confirmed, row.actor, row.at = value, confirmed, actor, clock.utcnow()
            s.flush()
            material = _to_catalog(s, vol, item, value, actor)
            if item.field in INDEXED_FIELDS:
                _reindex(s, vol, item.page, inputs.ocr)
            s.flush()
            review_check.save_probes(s, vol, inputs)
            report = review_check.recheck(s, vol, inputs, waived=_waiver(s, vol) is not None)
            outcome_before = vol.check_outcome or str(inputs.report.outcome)  # type: ignore[attr-defined]
            review_check.store_report(s, storage, vol, report, saved)
            audit.record(s, actor, "review_answer", f"{vol.ref_no}/{key}", "确认识别值" if confirmed else "更正识别值",
                         field=item.field, label=item.label, page=item.page,
                         machine=shown_value(item.field, item.value, False),
                         before=shown_value(item.field, before, False), after=shown_value(item.field, value, False),
                         confirmed=confirmed, outcome_before=outcome_before, outcome_after=str(report.outcome),
                         open_items=len(report.review), contents_row=material.seq if material is not None else None)
            return Outcome(key, True, outcome_before, str(report.outcome), material.id if material is not None else None)
    except BaseException:
        review_check.restore(storage, vol.prefix, saved)
        raise


def _comparable(field_name: str, machine: str) -> str:
    """The machine's value in the stored form of the field ("" when it does not pass as one)."""
    try:
        return clean_value(field_name, machine)
    except ReviewError:
        return machine


def waive(engine: Engine, storage: Storage, volume_id: int, reason: str, actor: str) -> Outcome:
    """全部放弃/确认现状: the open items stay as the machine read them and the outcome is final."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise ReviewError("确认现状（放弃其余校对项）必须填写原因。")
    with Session(engine) as s:
        vol = _published(s, volume_id)
        q = queue(s, storage, vol)
        if q.report is None:
            raise ReviewError("本卷没有完整性检查报告，没有校对清单", 409)
        if q.waiver is not None:
            raise ReviewError(f"本卷已于 {clock.shown(q.waiver.at)} 由 {q.waiver.actor} 确认现状。", 409)
        if not q.open:
            raise ReviewError("本卷没有待校对的项目，无需确认现状。", 409)
        keys = [i.key for i in q.open]
        inputs = review_check.inputs(s, storage, vol, q.report)
    saved: dict = {}
    try:
        with write_transaction(engine) as s:
            vol = _published(s, volume_id)
            s.add(ReviewWaiverRow(volume_id=vol.id, originals_sha256=vol.originals_sha256, reason=reason[:400],
                                  open_items=len(keys), actor=actor, at=clock.utcnow()))
            review_check.save_probes(s, vol, inputs)
            report = review_check.recheck(s, vol, inputs, waived=True)
            outcome_before = vol.check_outcome or str(inputs.report.outcome)  # type: ignore[attr-defined]
            review_check.store_report(s, storage, vol, report, saved)
            audit.record(s, actor, "review_waive", vol.ref_no, reason, open_items=len(keys), keys=keys,
                         outcome_before=outcome_before, outcome_after=str(report.outcome))
            return Outcome(None, True, outcome_before, str(report.outcome))
    except BaseException:
        review_check.restore(storage, vol.prefix, saved)
        raise


# ---------------------------------------------------------------- the crop beside an item

def crop(storage: Storage, vol: VolumeRow, image_key: str, box: tuple[int, int, int, int] | None,
         max_width: int = 900) -> bytes:
    """The part of the page image around ``box`` (pixels of the cleaned page image), with some
    of the form around it for context, as JPEG; the whole page when there is no usable box."""
    from PIL import Image

    with Image.open(io.BytesIO(storage.get(f"{vol.prefix}/{image_key}"))) as img:
        img = img.convert("RGB")
        w, h = img.size
        area = (0, 0, w, h)
        if box is not None:
            x0, y0, x1, y1 = (int(v) for v in box)
            bh = max(1, y1 - y0)  # a line's height: show the line above and below, and the label before it
            pad_y, pad_x = max(24, min(bh, 80)), max(24, min(3 * bh, 240))
            cand = (max(0, x0 - pad_x), max(0, y0 - pad_y), min(w, x1 + pad_x), min(h, y1 + pad_y))
            if cand[2] - cand[0] >= 8 and cand[3] - cand[1] >= 8:
                area = cand
        out = img.crop(area)
        if out.width > max_width:
            out = out.resize((max_width, max(1, round(out.height * max_width / out.width))), Image.LANCZOS)
        buf = io.BytesIO()
        out.save(buf, "JPEG", quality=85)
        return buf.getvalue()
