"""档案利用登记簿 (the reading-room register): one line per granted 查阅/外借 of a month — who used
which file, for what, approved by whom, from when to when, returned when, and the 利用效果 noted
when it was closed. Built from the requests (``archive_store.access``) and, for the date a file
was first read, the audit rows of the reads that cite the request; printable per month and per
community (web page and its JSON API, XLSX, a PDF or DOCX to print and sign,
``handover requests register``).

A request is in the register of the month (office time zone) it was approved in: approval is when
the use begins. Requests never approved (pending, rejected, cancelled before approval) are not
uses and are not listed. The register names no ID numbers, so nothing in it needs masking.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Select, inspect, select
from sqlalchemy.orm import Session

from docgen import documents
from docgen.model import TableDocument
from handover import clock
from handover.cells import cell as safe_cell, start_sheet
from handover.db import schema_step
from handover.errors import InputRefused

from . import audit
from .access import APPROVED, CLOSED, KINDS
from .tables import AccessRequestRow, AuditRow, CommunityRow, VolumeRow

# The register's columns as a reading-room register has them: (header, RegisterLine attribute);
# one list for the page, the API, the XLSX and the printed PDF/DOCX.
COLUMNS = tuple((c.header.replace("\n", ""), c.key) for c in documents.USE_REGISTER_COLUMNS)
# The reads that cite a request in their audit row (web.routes.dossier): a page image, the PDF.
_READS = ("view_page", "download")


@dataclass(frozen=True)
class RegisterLine:
    seq: int
    day: str  # the request's date (登记日期)
    requester: str
    organisation: str
    ref_no: str
    name: str
    community: str
    kind: str  # 查阅 / 外借
    reason: str  # 事由
    approver: str
    used_on: str  # 外借: the approval date; 查阅: the first read citing the request, else the approval
    due_on: str
    returned_on: str  # when it was closed (外借 returned, 查阅 finished)
    effect: str  # 利用效果
    note: str  # 备注: the approval note, reads counted, 未归还/逾期


def parse_month(month: str) -> tuple[dt.date, dt.date]:
    """"YYYY-MM" → its first day and the first day of the next month."""
    try:
        first = dt.datetime.strptime(month.strip(), "%Y-%m").date()
    except ValueError:
        raise InputRefused(f"月份“{month[:20]}”格式不对，请按 年-月 填写，如 2026-11") from None
    following = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return first, following


def _day(value: dt.datetime | None) -> str:
    return clock.local(value).date().isoformat() if value else ""


def _reads(session: Session, request: AccessRequestRow, ref_no: str) -> list[dt.datetime]:
    """When the reads citing ``request`` happened, oldest first."""
    rows = session.execute(select(AuditRow.at, AuditRow.detail)
                           .where(AuditRow.action.in_(_READS), AuditRow.target.like(f"{ref_no}/%"),
                                  AuditRow.at >= request.decided_at)
                           .order_by(AuditRow.at))
    return [at for at, detail in rows if (detail or {}).get("request_id") == request.id]


def query(month: str, community_id: int | None = None) -> Select:
    """The requests of the register of ``month`` ("YYYY-MM"), of one community or (None) of all,
    with their volume and community, unordered (``ORDER`` is the register's order)."""
    first, following = parse_month(month)
    q = (select(AccessRequestRow, VolumeRow, CommunityRow)
         .join(VolumeRow, VolumeRow.id == AccessRequestRow.volume_id)
         .join(CommunityRow, CommunityRow.id == VolumeRow.community_id)
         .where(AccessRequestRow.status.in_((APPROVED, CLOSED)),
                AccessRequestRow.decided_at >= clock.stored_start_of(first),
                AccessRequestRow.decided_at < clock.stored_start_of(following)))
    if community_id is not None:
        q = q.where(VolumeRow.community_id == community_id)
    return q


# Approval order, the request's id breaking ties: 序号 is the position in it.
ORDER = (AccessRequestRow.decided_at, AccessRequestRow.id)


def lines_of(session: Session, rows, first_seq: int = 1) -> list[RegisterLine]:
    """Register lines of ``(request, volume, community)`` rows in register order, numbered from
    ``first_seq`` (a page of the register further down the month starts further on)."""
    today = clock.today()
    lines = []
    for seq, (r, v, c) in enumerate(rows, first_seq):
        reads = _reads(session, r, v.ref_no) if r.kind == "view" else []
        notes = [r.decision_note] if r.decision_note else []
        if reads:
            notes.append(f"查看原件{len(reads)}次")
        if r.status == APPROVED and r.kind == "loan":
            notes.append("逾期未还" if r.due_on and r.due_on < today else "未归还")
        lines.append(RegisterLine(
            seq=seq, day=_day(r.requested_at), requester=r.requester, organisation=r.organisation,
            ref_no=v.ref_no, name=v.name, community=c.label, kind=KINDS[r.kind], reason=r.reason,
            approver=r.decided_by, used_on=_day(reads[0] if reads else r.decided_at),
            due_on=r.due_on.isoformat() if r.due_on else "", returned_on=_day(r.closed_at),
            effect=r.use_effect or "", note="；".join(notes)))
    return lines


def register(session: Session, month: str, community_id: int | None = None) -> list[RegisterLine]:
    """The register of ``month`` ("YYYY-MM"), of one community or (None) of all, in approval order."""
    return lines_of(session, session.execute(query(month, community_id).order_by(*ORDER)))


def title(month: str, community: CommunityRow | None) -> str:
    first, _ = parse_month(month)
    return f"{community.label if community else '全部社区'} 档案利用登记簿（{first.year}年{first.month}月）"


def export_xlsx(session: Session, month: str, community: CommunityRow | None, out: Path, *,
                actor: str) -> Path:
    """Write the register as an XLSX (one sheet, title row, headers, one row per use), audited."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.utils import get_column_letter

    lines = register(session, month, community.id if community else None)
    wb = Workbook(write_only=True)  # cells written as appended; widths and frozen rows set first
    ws = wb.create_sheet("利用登记")
    for i, (header, attr) in enumerate(COLUMNS, 1):
        width = max([len(header) * 2] + [len(str(getattr(line, attr))) * 1.6 for line in lines])
        ws.column_dimensions[get_column_letter(i)].width = min(max(width, 6), 40)
    ws.freeze_panes = "A3"
    ws.page_setup.orientation = "landscape"
    ws.print_title_rows = "1:2"
    start_sheet(ws, title(month, community), [header for header, _ in COLUMNS])
    as_text = [i for i, (_, attr) in enumerate(COLUMNS) if attr == "ref_no"]
    for line in lines:
        values = [safe_cell(getattr(line, attr)) for _, attr in COLUMNS]
        for i in as_text:
            values[i] = WriteOnlyCell(ws, values[i])
            values[i].number_format = "@"
        ws.append(values)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    audit.record(session, actor, "export_use_register", community.label if community else "全部社区",
                 "导出档案利用登记簿", month=month, lines=len(lines), file=out.name)
    return out


def document(session: Session, month: str, community: CommunityRow | None) -> TableDocument:
    """The register as a printable table (docgen): the same lines and columns as the page and the XLSX."""
    first, _ = parse_month(month)
    lines = register(session, month, community.id if community else None)
    rows = [tuple(str(getattr(line, attr)) for _, attr in COLUMNS) for line in lines]
    return documents.use_register(title(month, community), community.label if community else "全部社区",
                                  f"{first.year}年{first.month}月", rows, clock.today())


# The printable formats, by the file's suffix (the XLSX is ``export_xlsx``).
PRINTABLE = (".pdf", ".docx")


def export_document(session: Session, month: str, community: CommunityRow | None, out: Path, *,
                    actor: str) -> Path:
    """Write the register as a PDF or DOCX (by ``out``'s suffix) to print and sign, audited."""
    from docgen.docx_tables import render_table_docx
    from docgen.pdf_tables import render_table_pdf
    from docgen.pdffont import cover

    out = Path(out)
    fmt = out.suffix.lower()
    if fmt not in PRINTABLE:
        raise InputRefused("档案利用登记簿可导出为 .xlsx、.pdf 或 .docx 文件")
    doc = document(session, month, community)
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == ".docx":
        render_table_docx(doc, out)
    else:  # every character drawable, the rare ones of a name or an organisation included
        render_table_pdf(doc, out, fonts=cover(doc.title + "".join("".join(row) for row in doc.sections[0].rows)))
    audit.record(session, actor, "export_use_register", community.label if community else "全部社区",
                 "导出档案利用登记簿", month=month, lines=doc.row_count, file=out.name)
    return out


# ---------------------------------------------------------------- the 利用效果 column, for older databases

def _has_effect(conn: Connection) -> bool:
    return "use_effect" in {c["name"] for c in inspect(conn).get_columns(AccessRequestRow.__tablename__)}


def add_use_effect(conn: Connection) -> None:
    if not _has_effect(conn):
        conn.exec_driver_sql("ALTER TABLE access_requests ADD COLUMN use_effect VARCHAR(200) NOT NULL DEFAULT ''")


schema_step(add_use_effect, done=_has_effect)
