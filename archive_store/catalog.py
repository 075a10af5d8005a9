"""案卷目录 and 台账 per community: plain records (docgen renders DOCX from them) and XLSX export.

A person's 补充材料 volumes (archive_store.supplements) are volumes of their own with their own
档号: the 案卷目录 lists them in 案卷号 order, titled and remarked as the person's n-th 卷 with the
first volume's 档号; the 台账, a register of people, lists each person's volumes together (under
the first, in 卷号 order).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from handover import clock, idnumber
from handover.cells import cell as safe_cell, start_sheet
from handover.disclosure import FULL, Disclosure

from . import audit
from .tables import PUBLISHED, CommunityRow, SupplementRow, VolumeRow

DEFAULT_RETENTION = "永久"


@dataclass(frozen=True)
class CatalogRecord:
    """One volume of a community, with every column of the 案卷目录 and of the 台账."""

    ref_no: str  # 档号
    volume_no: int  # 案卷号
    title: str  # 案卷题名
    name: str  # 姓名
    sex: str  # 性别
    birth_date: dt.date | None  # 出生日期
    id_number: str  # 公民身份号码
    former_employer: str  # 原工作单位
    community: str  # 社区
    materials: int  # 材料份数
    pages: int  # 页数
    date_from: dt.date | None  # 起止日期
    date_to: dt.date | None
    retention: str  # 保管期限
    received_on: dt.date | None  # 接收日期
    location: str  # 存放位置 (storage folder)
    remarks: str  # 备注
    part_no: int = 1  # 卷号 under the person (2, 3, … for 补充材料)
    first_ref_no: str = ""  # 档号 of the person's first volume (itself for 卷号 1)

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def date_range(self) -> str:
        if not self.date_from:
            return ""
        return f"{self.date_from:%Y.%m.%d}—{self.date_to:%Y.%m.%d}" if self.date_to else f"{self.date_from:%Y.%m.%d}"


# (header, attribute or callable) — DOMAIN.md §5.5
CATALOG_COLUMNS = (("案卷号", "volume_no"), ("档号", "ref_no"), ("案卷题名", "title"),
                   ("起止日期", "date_range"), ("页数", "pages"), ("保管期限", "retention"),
                   ("备注", "remarks"))
LEDGER_COLUMNS = (("档号", "ref_no"), ("案卷号", "volume_no"), ("卷号", "part_no"), ("姓名", "name"), ("性别", "sex"),
                  ("出生日期", "birth_date"), ("公民身份号码", "id_number"),
                  ("原工作单位", "former_employer"), ("社区", "community"), ("材料份数", "materials"),
                  ("页数", "pages"), ("接收日期", "received_on"), ("存放位置", "location"),
                  ("备注", "remarks"))


def _remarks(vol: VolumeRow, part_no: int, first_ref_no: str, later: list[str]) -> str:
    notes = []
    if part_no > 1:
        notes.append(f"补充材料，第{part_no}卷，第1卷档号{first_ref_no}")
    elif later:
        notes.append(f"共{len(later) + 1}卷，补充材料档号{'、'.join(later)}")
    if vol.check_outcome == "incomplete":
        notes.append("材料不齐全，见书面说明")
    if vol.blank_pages:
        notes.append(f"空白页{vol.blank_pages}页未编页号")
    return "；".join(notes)


def volume_catalog(session: Session, community_id: int, *,
                   retention: str = DEFAULT_RETENTION) -> list[CatalogRecord]:
    """The published volumes of one community in 案卷号 order, as plain records."""
    community = session.get(CommunityRow, community_id)
    if community is None:
        return []
    volumes = list(session.scalars(select(VolumeRow).where(VolumeRow.community_id == community_id,
                                                           VolumeRow.status == PUBLISHED)
                                   .order_by(VolumeRow.volume_no)))
    parts = {row.volume_id: row for row in session.scalars(
        select(SupplementRow).where(SupplementRow.volume_id.in_([v.id for v in volumes])))}
    firsts = dict(session.execute(select(VolumeRow.id, VolumeRow.ref_no).where(
        VolumeRow.id.in_({p.first_volume_id for p in parts.values()}))).all())
    later: dict[int, list[str]] = {}  # first volume id → its published supplements' 档号, 卷号 order
    for vol in sorted((v for v in volumes if v.id in parts), key=lambda v: parts[v.id].part_no):
        later.setdefault(parts[vol.id].first_volume_id, []).append(vol.ref_no)
    out = []
    for vol in volumes:
        part = parts.get(vol.id)
        part_no, first_ref_no = (part.part_no, firsts.get(part.first_volume_id, "")) if part else (1, vol.ref_no)
        title = f"{vol.name or '（姓名不详）'}人事档案" + (f"（补充材料 第{part_no}卷）" if part else "")
        try:
            parsed = idnumber.parse(vol.id_number)
            sex, birth = parsed.sex, parsed.birth_date
        except idnumber.IdNumberError:
            sex, birth = "", None
        out.append(CatalogRecord(
            ref_no=vol.ref_no, volume_no=vol.volume_no, title=title,
            name=vol.name, sex=sex, birth_date=birth, id_number=vol.id_number,
            former_employer=vol.enterprise_name, community=community.label, materials=vol.materials,
            pages=vol.content_pages, date_from=vol.date_from, date_to=vol.date_to,
            retention=retention, received_on=clock.local(vol.published_at).date() if vol.published_at else None,
            location=vol.prefix, remarks=_remarks(vol, part_no, first_ref_no, later.get(vol.id, [])),
            part_no=part_no, first_ref_no=first_ref_no))
    return out


def ledger_order(records: list[CatalogRecord]) -> list[CatalogRecord]:
    """The 台账's order: people in the order of their first volume's 案卷号, each person's volumes
    together in 卷号 order (a supplement whose first volume is not listed keeps its own place)."""
    first_no = {r.ref_no: r.volume_no for r in records if r.part_no == 1}
    return sorted(records, key=lambda r: (first_no.get(r.first_ref_no, r.volume_no), r.part_no, r.volume_no))


def _value(record: CatalogRecord, attr: str, shown: Disclosure = FULL):
    value = getattr(record, attr)
    if attr == "id_number":
        return shown.id_number(value)
    if attr == "birth_date":
        return shown.birth_date(value)
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%d")
    return value


def export_xlsx(session: Session, community_id: int, out: Path, *, actor: str = "system",
                reason: str = "导出案卷目录与台账", shown: Disclosure = FULL) -> Path:
    """Write an XLSX with two sheets, 案卷目录 and 台账, for one community, the ID numbers and birth
    dates as ``shown`` allows the reader (masked: 410105********1234 beside 1959-**-**)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.utils import get_column_letter

    community = session.get(CommunityRow, community_id)
    if community is None:
        raise LookupError(f"未找到社区（编号{community_id}）")
    records = volume_catalog(session, community_id)
    # Write-only: cells go to the file as they are appended (a large community's sheets are not
    # kept as cell objects); widths and frozen rows are set before the first row.
    wb = Workbook(write_only=True)
    for title, columns in (("案卷目录", CATALOG_COLUMNS), ("台账", LEDGER_COLUMNS)):
        ws = wb.create_sheet(title)
        rows = records if title == "案卷目录" else ledger_order(records)
        for i, (header, attr) in enumerate(columns, 1):
            width = max([len(str(header)) * 2] + [len(str(_value(r, attr, shown) or "")) * 1.6 for r in records])
            ws.column_dimensions[get_column_letter(i)].width = min(max(width, 8), 60)
        ws.freeze_panes = "A3"
        start_sheet(ws, f"{community.label}  {title}", [header for header, _ in columns])
        as_text = [i for i, (_, attr) in enumerate(columns) if attr in ("id_number", "ref_no")]
        for record in rows:
            values = [safe_cell(_value(record, attr, shown)) for _, attr in columns]
            for i in as_text:  # text, never a number in scientific notation
                values[i] = WriteOnlyCell(ws, values[i])
                values[i].number_format = "@"
            ws.append(values)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    audit.record(session, actor, "export_catalog", community.label, reason, volumes=len(records),
                 file=out.name, masked=not shown.full_ids)
    return out


def record_fields() -> list[str]:
    return [f.name for f in fields(CatalogRecord)]
