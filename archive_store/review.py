"""The 校对 (proofreading) queue of published volumes: archive staff's answers, waivers, the re-check.

The completeness check (``completeness.check.run_checks``) lists every value it is unsure of as a
``ReviewItem`` in the check.json stored with the volume. Archive staff confirm or correct each one
(key "<field>:<image index>"), or settle the rest as they stand (全部放弃/确认现状, with a reason).
Every answer or waiver

1. is stored (``ReviewAnswerRow`` / ``ReviewWaiverRow``, tied to the version of the volume: its
   originals' digest) and audited with the old and new values (ID numbers masked);
2. flows into the catalog: 材料形成时间 and 材料名称 through ``contents.correct_material`` (序号,
   起止日期 and its own audit follow), and every corrected value into the page's indexed text
   (searching the corrected name finds the page);
3. re-runs ``run_checks`` over the volume's stored ocr.json / contents.json / volume.json with all
   its corrections — the 卷内目录 as it stands now, the roster record, the profile the first check
   used, the page images measured once per version — stores the new check.json (stored-object
   hashes and manifest.json rewritten, so ``handover verify`` stays clean) and sets
   ``VolumeRow.check_outcome``.

The outcome stays provisional (待校对) while items are open and not waived.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import tempfile
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterator

from sqlalchemy import func, or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from completeness.review import FIELDS, ReviewItem
from handover import clock, idnumber
from handover.db import managed

from . import audit
from .contents import ContentsError, Correction, correct_material
from .index import index_pages, unindex_pages
from .storage import ObjectNotFound, Storage, StorageError
from .tables import (PUBLISHED, CommunityRow, MaterialRow, PageRow, PageTextRow, ReviewAnswerRow,
                     ReviewStateRow, ReviewWaiverRow, StoredObjectRow, VolumeRow)
from .tokens import normalize
from .transactions import write_transaction

CHECK = "check.json"
MANIFEST = "manifest.json"
# Values written on the page: a correction puts them into the page's indexed text. Boundaries,
# page numbers and whose material it is are decisions about the page, not words on it.
INDEXED_FIELDS = frozenset({"name", "id_number", "birth", "sex", "formed_on", "title"})
# What to type, shown beside each input.
HINTS = {
    "name": "如：张建国", "id_number": "18位，末位可为X", "birth": "如：1952-03 或 1952年3月",
    "sex": "男 或 女", "formed_on": "如：1985-10-01", "title": "材料名称，如：退休审批表",
    "boundary": "起始（新材料首页）或 接续（属上一份材料）", "page_no": "原件页号，如：12",
    "identity": "本人 或 他人",
}


class ReviewError(ValueError):
    """Refused; ``str(err)`` is the Chinese reason, ``status`` the HTTP status it maps to."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


# ---------------------------------------------------------------- values

_NAME = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\U00020000-\U0003134f·]{2,20}")
_YM = re.compile(r"(\d{4})\s*(?:年|[-./])\s*(\d{1,2})\s*(?:月)?(?:\s*[-./]?\s*(\d{1,2})\s*日?)?")
_DATE = re.compile(r"(\d{4})\s*(?:年|[-./])\s*(\d{1,2})\s*(?:月|[-./])\s*(\d{1,2})\s*日?")


def _date_parts(text: str, pattern: re.Pattern) -> tuple[int, int, int | None] | None:
    compact = text.replace(" ", "")
    if re.fullmatch(r"\d{8}", compact):
        return int(compact[:4]), int(compact[4:6]), int(compact[6:])
    if pattern is _YM and re.fullmatch(r"\d{6}", compact):
        return int(compact[:4]), int(compact[4:]), None
    m = pattern.fullmatch(text)
    if not m:
        return None
    return int(m[1]), int(m[2]), int(m[3]) if m[3] else None


def clean_value(field_name: str, raw: str) -> str:
    """The value as stored and passed to the check; ``ReviewError`` (Chinese) when it cannot be."""
    text = unicodedata.normalize("NFKC", raw or "").strip()
    label = FIELDS.get(field_name, field_name)
    if not text:
        raise ReviewError(f"请填写{label}（不能为空）。原件上确实无法辨认时，请使用“全部放弃/确认现状”并写明原因。")
    if field_name == "name":
        name = re.sub(r"\s+", "", text).replace("•", "·").replace("・", "·")
        if not _NAME.fullmatch(name):
            raise ReviewError("姓名应为2至20个汉字（少数民族姓名可含“·”），不含数字、字母或标点。")
        return name
    if field_name == "id_number":
        try:
            return idnumber.parse(text).number
        except idnumber.IdNumberError as err:
            raise ReviewError(f"身份证号码无效：{err}") from None
    if field_name == "birth":
        parts = _date_parts(text, _YM)
        ok = parts is not None and 1880 <= parts[0] and 1 <= parts[1] <= 12
        if ok and parts[2] is not None:
            try:
                ok = dt.date(*parts) <= clock.today()  # type: ignore[arg-type]
            except ValueError:
                ok = False
        elif ok:
            ok = (parts[0], parts[1]) <= (clock.today().year, clock.today().month)
        if not ok:
            raise ReviewError("出生年月应为有效的年月，如 1952-03 或 1952年3月（可带日，如 1952-03-08），且不晚于今天。")
        y, m, d = parts  # type: ignore[misc]
        return f"{y}年{m}月" + (f"{d}日" if d else "")
    if field_name == "sex":
        if text not in ("男", "女", "男性", "女性"):
            raise ReviewError("性别只能填写“男”或“女”。")
        return text[0]
    if field_name == "formed_on":
        parts = _date_parts(text, _DATE)
        try:
            day = dt.date(*parts) if parts and parts[2] is not None else None  # type: ignore[arg-type]
        except ValueError:
            day = None
        if day is None or not dt.date(1900, 1, 1) <= day <= clock.today():
            raise ReviewError("材料形成时间应为有效日期，如 1985-10-01 或 1985年10月1日（1900年以后，且不晚于今天）。")
        return day.isoformat()
    if field_name == "title":
        title = " ".join(text.split())
        if len(title) > 200:
            raise ReviewError("材料名称不超过200字。")
        return title
    if field_name == "page_no":
        if not text.isdigit() or not 1 <= int(text) <= 9999:
            raise ReviewError("原件页号应为正整数，如 12。")
        return str(int(text))
    if field_name == "boundary":
        if text not in ("起始", "接续"):
            raise ReviewError("材料起始页只能填写“起始”（这一页是一份新材料的首页）或“接续”（属上一份材料）。")
        return text
    if field_name == "identity":
        if text not in ("本人", "他人"):
            raise ReviewError("材料归属只能填写“本人”或“他人”。")
        return text
    if len(text) > 200:
        raise ReviewError(f"{label}不超过200字。")
    return text


def shown_value(field_name: str, value: str, full_ids: bool = True) -> str:
    """A value as people see it: ID numbers masked for roles (and logs) that see no full IDs."""
    if field_name == "id_number" and value and not full_ids:
        return idnumber.mask(value)
    return value


def _indexed_form(field_name: str, value: str) -> str:
    if field_name == "formed_on":
        day = dt.date.fromisoformat(value)
        return f"{day.year}年{day.month}月{day.day}日"
    return value


def indexed_text(ocr_text: str, answers: list[ReviewAnswerRow]) -> str:
    """A page's indexed text: the OCR text (normalised as published) with the corrected values in
    place of the machine's readings (or added, when the reading is not in the text)."""
    text = normalize(ocr_text)
    for a in sorted(answers, key=lambda a: a.key):
        if a.field not in INDEXED_FIELDS or a.confirmed:
            continue
        value = _indexed_form(a.field, a.value)
        machine = normalize(a.machine_value or "")
        if len(machine) >= 2 and machine in text:
            text = text.replace(machine, value)
        elif value not in text:
            text = f"{text}\n{value}" if text else value
    return text


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


def stored_check(storage: Storage, vol: VolumeRow):
    """The volume's stored completeness report (``CheckReport``), or None (none, or another format)."""
    from completeness.check import CheckReport

    try:
        return CheckReport.from_json(json.loads(storage.get(f"{vol.prefix}/{CHECK}")))
    except (StorageError, ValueError, KeyError, TypeError):
        return None


def _answers(session: Session, vol: VolumeRow) -> list[ReviewAnswerRow]:
    return list(session.scalars(select(ReviewAnswerRow).where(
        ReviewAnswerRow.volume_id == vol.id, ReviewAnswerRow.originals_sha256 == vol.originals_sha256)
        .order_by(ReviewAnswerRow.page, ReviewAnswerRow.key)))


def _waiver(session: Session, vol: VolumeRow) -> ReviewWaiverRow | None:
    return session.scalar(select(ReviewWaiverRow).where(
        ReviewWaiverRow.volume_id == vol.id, ReviewWaiverRow.originals_sha256 == vol.originals_sha256)
        .order_by(ReviewWaiverRow.id.desc()))


def queue(session: Session, storage: Storage, vol: VolumeRow) -> Queue:
    """The volume's queue as it stands: open items of the stored check, the answers, the waiver."""
    report = stored_check(storage, vol)
    answers = _answers(session, vol)
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


# ---------------------------------------------------------------- the re-check

@dataclass(frozen=True)
class _Inputs:
    ocr: dict
    contents: dict
    info: dict
    report: object  # CheckReport
    probes: dict[int, tuple[str | None, float | None]]
    fresh_probes: bool


def _load_json(storage: Storage, vol: VolumeRow, name: str) -> dict:
    try:
        data = json.loads(storage.get(f"{vol.prefix}/{name}"))
    except ObjectNotFound:
        raise ReviewError(f"存储中缺少本卷的 {name}，无法重新检查", 409) from None
    except (StorageError, ValueError) as err:
        raise ReviewError(f"本卷的 {name} 无法读取（{type(err).__name__}），无法重新检查", 409) from None
    if not isinstance(data, dict):
        raise ReviewError(f"本卷的 {name} 格式错误，无法重新检查", 409)
    return data


def _probes(session: Session, storage: Storage, vol: VolumeRow,
            ocr: dict) -> tuple[dict[int, tuple[str | None, float | None]], bool]:
    """Colour mode and residual skew of each page image, as the first check measured them
    (``completeness.volume.probe_page``): measured once per version of the volume, then cached."""
    state = session.get(ReviewStateRow, vol.id)
    cached = (state.probes or {}) if state is not None else {}
    if cached.get("originals") == vol.originals_sha256:
        return {int(k): (v[0], v[1]) for k, v in cached.get("pages", {}).items()}, False
    from completeness.volume import page_from_json, probe_page

    keys = dict(session.execute(select(PageRow.seq, PageRow.image_key).where(PageRow.volume_id == vol.id)).all())
    out: dict[int, tuple[str | None, float | None]] = {}
    with tempfile.TemporaryDirectory(prefix="handover-review-") as tmp:
        pages_dir = Path(tmp) / "pages"
        pages_dir.mkdir()
        for p in ocr.get("pages", []):
            page = page_from_json(p)
            key = keys.get(page.index)
            if key:
                try:
                    storage.get_to(f"{vol.prefix}/{key}", pages_dir / f"{page.index:04d}{Path(key).suffix.lower()}")
                except ObjectNotFound:
                    pass
            probed = probe_page(pages_dir, page)
            out[page.index] = (probed.mode, probed.residual_skew)
    return out, True


def _inputs(session: Session, storage: Storage, vol: VolumeRow, report) -> _Inputs:
    """What a re-check reads, gathered before the write lock is taken (the first time, the page
    images are measured)."""
    ocr = _load_json(storage, vol, "ocr.json")
    contents = _load_json(storage, vol, "contents.json")
    info = _load_json(storage, vol, "volume.json")
    probes, fresh = _probes(session, storage, vol, ocr)
    return _Inputs(ocr, contents, info, report, probes, fresh)


def _contents_now(session: Session, vol: VolumeRow, contents: dict) -> dict:
    """contents.json with the 卷内目录 as it stands now (hand corrections included): the catalog is
    the record of what people decided, and the check must see it."""
    rows = [dict(r) for r in contents.get("rows", [])]
    for m in session.scalars(select(MaterialRow).where(MaterialRow.volume_id == vol.id)):
        if 1 <= m.ordinal <= len(rows):
            rows[m.ordinal - 1].update(seq=m.seq, class_code=m.class_code, title=m.title, remarks=m.remarks,
                                       formed_on=m.formed_on.isoformat() if m.formed_on else None)
    return {**contents, "rows": rows}


def _retiree(session: Session, vol: VolumeRow):
    from handover.db import RetireeRow
    from handover.models import Retiree

    row = session.get(RetireeRow, vol.retiree_id) if vol.retiree_id else None
    row = row or session.scalar(select(RetireeRow).where(RetireeRow.id_number == vol.id_number))
    return Retiree.model_validate(row.data) if row is not None else None


def recheck(session: Session, vol: VolumeRow, inputs: _Inputs, waived: bool):
    """``run_checks`` over the stored volume with all its answers (in the caller's transaction)."""
    from completeness.check import run_checks
    from completeness.volume import volume_from_json
    from handover.policy import load_profile

    old = inputs.report
    volume = volume_from_json(inputs.ocr, _contents_now(session, vol, inputs.contents), inputs.info)
    volume = replace(volume, pages=tuple(
        replace(p, mode=inputs.probes[p.index][0], residual_skew=inputs.probes[p.index][1])
        if p.index in inputs.probes else p for p in volume.pages))
    corrections = {a.key: a.value for a in _answers(session, vol)}
    profile = load_profile(old.region or vol.profile_region)  # type: ignore[attr-defined]
    report = run_checks(volume, _retiree(session, vol), profile, old.declared_pages,  # type: ignore[attr-defined]
                        corrections=corrections, waived=waived)
    report.volume_dir = old.volume_dir  # type: ignore[attr-defined]
    return report


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _store_report(session: Session, storage: Storage, vol: VolumeRow, report, saved: dict) -> None:
    """Write check.json and the manifest describing it; ``saved`` gets the bytes they replace."""
    from .publish import manifest_bytes

    data = json.dumps(report.to_json(), ensure_ascii=False, indent=1).encode("utf-8")
    for name in (CHECK, MANIFEST):
        try:
            saved[name] = storage.get(f"{vol.prefix}/{name}")
        except ObjectNotFound:
            saved[name] = None
    objects = {o.key: o for o in session.scalars(select(StoredObjectRow).where(StoredObjectRow.volume_id == vol.id))}
    storage.put(f"{vol.prefix}/{CHECK}", data, sha256=_sha(data), content_type="application/json")
    row = objects.get(CHECK) or StoredObjectRow(volume_id=vol.id, key=CHECK, sha256="", size=0)
    row.sha256, row.size = _sha(data), len(data)
    session.add(row)
    objects[CHECK] = row
    community = session.get(CommunityRow, vol.community_id)
    doc = {"county": community.county, "street": community.street, "name": community.name, "code": community.code}
    manifest = manifest_bytes(vol.ref_no, doc, vol.originals_sha256,
                              [(k, o.sha256, o.size) for k, o in objects.items() if k != MANIFEST])
    storage.put(f"{vol.prefix}/{MANIFEST}", manifest, sha256=_sha(manifest), content_type="application/json")
    mrow = objects.get(MANIFEST) or StoredObjectRow(volume_id=vol.id, key=MANIFEST, sha256="", size=0)
    mrow.sha256, mrow.size = _sha(manifest), len(manifest)
    session.add(mrow)
    vol.manifest_sha256 = mrow.sha256
    vol.check_outcome = str(report.outcome)
    state = session.get(ReviewStateRow, vol.id) or ReviewStateRow(volume_id=vol.id, probes={})
    state.check_sha256, state.open_items, state.waived = row.sha256, len(report.review), bool(report.waived)
    session.add(state)


def _restore(storage: Storage, vol_prefix: str, saved: dict) -> None:
    """Put back what ``_store_report`` replaced when the database transaction did not commit."""
    for name, data in saved.items():
        try:
            if data is None:
                storage.delete(f"{vol_prefix}/{name}")
            else:
                storage.put(f"{vol_prefix}/{name}", data, sha256=_sha(data), content_type="application/json")
        except StorageError:
            pass  # ``handover verify`` reports what could not be put back


def _save_probes(session: Session, vol: VolumeRow, inputs: _Inputs) -> None:
    if not inputs.fresh_probes:
        return
    state = session.get(ReviewStateRow, vol.id) or ReviewStateRow(volume_id=vol.id, check_sha256="")
    state.probes = {"originals": vol.originals_sha256,
                    "pages": {str(k): [m, s] for k, (m, s) in inputs.probes.items()}}
    session.add(state)


# ---------------------------------------------------------------- answering

def _published(session: Session, volume_id: int) -> VolumeRow:
    vol = session.get(VolumeRow, volume_id)
    if vol is None or vol.status != PUBLISHED:
        raise ReviewError("未找到该案卷（只有已入库的案卷可以校对）", 404)
    return vol


def _to_catalog(session: Session, vol: VolumeRow, item: Item, value: str, actor: str) -> MaterialRow | None:
    """材料形成时间 and 材料名称 go into the 卷内目录 row the item's page opens."""
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
    if (title, formed) == (row.title, row.formed_on):
        return row
    try:
        return correct_material(session, vol, mid, Correction(title, row.class_code, formed, row.remarks), actor,
                                f"校对：{item.label}")
    except ContentsError as err:
        raise ReviewError(str(err)) from None


def _reindex(session: Session, vol: VolumeRow, page: int | None, ocr: dict) -> None:
    if page is None:
        return
    row = session.scalar(select(PageRow).where(PageRow.volume_id == vol.id, PageRow.seq == page))
    if row is None or row.duplicate_of is not None:
        return
    source = next((p for p in ocr.get("pages", []) if int(p.get("index", -1)) == page), None)
    answers = [a for a in _answers(session, vol) if a.page == page]
    new = indexed_text(str((source or {}).get("text") or ""), answers)
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
        inputs = _inputs(s, storage, vol, q.report)
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
            _save_probes(s, vol, inputs)
            report = recheck(s, vol, inputs, waived=_waiver(s, vol) is not None)
            outcome_before = vol.check_outcome or str(inputs.report.outcome)  # type: ignore[attr-defined]
            _store_report(s, storage, vol, report, saved)
            audit.record(s, actor, "review_answer", f"{vol.ref_no}/{key}", "确认识别值" if confirmed else "更正识别值",
                         field=item.field, label=item.label, page=item.page,
                         machine=shown_value(item.field, item.value, False),
                         before=shown_value(item.field, before, False), after=shown_value(item.field, value, False),
                         confirmed=confirmed, outcome_before=outcome_before, outcome_after=str(report.outcome),
                         open_items=len(report.review), contents_row=material.seq if material is not None else None)
            return Outcome(key, True, outcome_before, str(report.outcome), material.id if material is not None else None)
    except BaseException:
        _restore(storage, vol.prefix, saved)
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
        inputs = _inputs(s, storage, vol, q.report)
    saved: dict = {}
    try:
        with write_transaction(engine) as s:
            vol = _published(s, volume_id)
            s.add(ReviewWaiverRow(volume_id=vol.id, originals_sha256=vol.originals_sha256, reason=reason[:400],
                                  open_items=len(keys), actor=actor, at=clock.utcnow()))
            _save_probes(s, vol, inputs)
            report = recheck(s, vol, inputs, waived=True)
            outcome_before = vol.check_outcome or str(inputs.report.outcome)  # type: ignore[attr-defined]
            _store_report(s, storage, vol, report, saved)
            audit.record(s, actor, "review_waive", vol.ref_no, reason, open_items=len(keys), keys=keys,
                         outcome_before=outcome_before, outcome_after=str(report.outcome))
            return Outcome(None, True, outcome_before, str(report.outcome))
    except BaseException:
        _restore(storage, vol.prefix, saved)
        raise


# ---------------------------------------------------------------- counts across volumes

def _summary(data: bytes) -> tuple[int, bool]:
    try:
        doc = json.loads(data)
        return len(doc.get("review") or []), bool(doc.get("waived"))
    except (ValueError, AttributeError):
        return 0, False


@contextmanager
def _write_lock(engine: Engine, wait: bool) -> Iterator[Session | None]:
    """A write transaction, or None when ``wait`` is false and another connection holds the lock
    (a page being rendered may hold it itself: its audit row is not committed yet)."""
    if wait or engine.dialect.name != "sqlite":
        with write_transaction(engine) as s:
            yield s
        return
    with managed(Session(engine, expire_on_commit=False)) as s:
        conn = s.connection()
        timeout = conn.exec_driver_sql("PRAGMA busy_timeout").scalar()
        conn.exec_driver_sql("PRAGMA busy_timeout=0")
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            locked = True
        except OperationalError:
            locked = False
        conn.exec_driver_sql(f"PRAGMA busy_timeout={int(timeout or 0)}")
        yield s if locked else None


def _checked(volume_ids: list[int] | None):
    """Published volumes with a stored check.json, beside their cached counts (outer join)."""
    q = (select(VolumeRow.id, VolumeRow.prefix, StoredObjectRow.sha256, ReviewStateRow.check_sha256,
                ReviewStateRow.open_items, ReviewStateRow.waived)
         .join(StoredObjectRow, (StoredObjectRow.volume_id == VolumeRow.id) & (StoredObjectRow.key == CHECK))
         .outerjoin(ReviewStateRow, ReviewStateRow.volume_id == VolumeRow.id)
         .where(VolumeRow.status == PUBLISHED))
    return q.where(VolumeRow.id.in_(volume_ids)) if volume_ids is not None else q


def refresh(engine: Engine, storage: Storage, volume_ids: list[int] | None = None,
            wait: bool = True) -> dict[int, tuple[int, bool]]:
    """Read again the check.json of the volumes whose cached counts are stale (new volumes,
    re-published ones: the file's recorded SHA-256 changed) and cache (open items, waived) — without
    waiting for the write lock when ``wait`` is false (then only the returned counts are fresh)."""
    stale_only = or_(ReviewStateRow.check_sha256.is_(None), ReviewStateRow.check_sha256 != StoredObjectRow.sha256)
    with Session(engine) as s:
        stale = [(vid, prefix, sha) for vid, prefix, sha, *_ in s.execute(_checked(volume_ids).where(stale_only))]
    found: dict[int, tuple[str, tuple[int, bool]]] = {}
    for vid, prefix, sha in stale:
        try:
            found[vid] = (sha, _summary(storage.get(f"{prefix}/{CHECK}")))
        except StorageError:
            continue  # ``handover verify`` reports the missing object
    if found:
        with _write_lock(engine, wait) as s:
            for vid, (sha, (open_items, waived)) in found.items() if s is not None else ():
                state = s.get(ReviewStateRow, vid) or ReviewStateRow(volume_id=vid, probes={})
                state.check_sha256, state.open_items, state.waived = sha, open_items, waived
                s.add(state)
    return {vid: counts for vid, (_, counts) in found.items()}


@dataclass(frozen=True)
class Pending:
    volume_id: int
    ref_no: str
    name: str
    community: str
    open_items: int
    outcome: str


def pending(engine: Engine, storage: Storage, scope: list[int] | None = None, wait: bool = True) -> list[Pending]:
    """Published volumes whose 校对 queue has open items and was not waived (provisional outcome)."""
    fresh = refresh(engine, storage, wait=wait)
    cached = (ReviewStateRow.check_sha256 == StoredObjectRow.sha256) & (ReviewStateRow.open_items > 0) \
        & ReviewStateRow.waived.is_(False)
    with Session(engine) as s:
        counts = {vid: n for vid, *_, n, _w in s.execute(_checked(None).where(cached))}
    counts.update({vid: n for vid, (n, waived) in fresh.items() if n and not waived})  # if not cached
    if not counts:
        return []
    q = (select(VolumeRow, CommunityRow).join(CommunityRow, CommunityRow.id == VolumeRow.community_id)
         .where(VolumeRow.id.in_(list(counts))).order_by(VolumeRow.community_id, VolumeRow.volume_no))
    if scope is not None:
        q = q.where(VolumeRow.community_id.in_(scope))
    with Session(engine) as s:
        return [Pending(v.id, v.ref_no, v.name, c.label, counts[v.id], v.check_outcome) for v, c in s.execute(q)]


def open_count(engine: Engine, storage: Storage, volume_id: int, wait: bool = True) -> tuple[int, bool]:
    """(open items, waived) of one published volume's stored check ((0, False) without one)."""
    fresh = refresh(engine, storage, [volume_id], wait=wait)
    if volume_id in fresh:
        return fresh[volume_id]
    with Session(engine) as s:
        row = s.execute(_checked([volume_id])).first()
    return (row.open_items or 0, bool(row.waived)) if row is not None else (0, False)


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
