"""The clerk's paper: the 档案材料缺失情况说明 (书面说明) for the enterprise to sign and seal, and
the filled 备考表 — built as docgen records (pure) and rendered with docgen's DOCX templates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path

from docgen.records import MissingItem, MissingStatement, NoteSheet
from handover import clock

from .check import CheckReport
from .findings import Severity

DEFAULT_REASON = ""  # the 原因 column is the enterprise's to fill in; left blank unless given


def missing_statement(reports: list[CheckReport], enterprise: str, reasons: Mapping[str, str] | None = None,
                      receiver: str = "", dated: dt.date | None = None) -> MissingStatement | None:
    """One 书面说明 covering the missing materials of ``reports`` (None when nothing is missing).

    ``reasons`` maps a material name (or "身份证号:材料名") to its 原因.
    """
    reasons = reasons or {}
    items = []
    for r in reports:
        for item in r.missing:
            reason = reasons.get(f"{r.id_number}:{item}", reasons.get(item, DEFAULT_REASON))
            items.append(MissingItem(name=r.name, id_number=r.id_number, material=item, reason=reason))
    if not items:
        return None
    return MissingStatement(enterprise=enterprise, items=items, receiver=receiver, dated=dated)


def explanation(report: CheckReport) -> list[str]:
    """情况说明 lines of the 备考表 (缺损、重复、空白页、需复核事项)."""
    out = []
    if report.blank_pages:
        out.append(f"空白页{report.blank_pages}面已扫描存档，未计页数。")
    if report.duplicate_pages:
        out.append(f"重复扫描{report.duplicate_pages}幅，保留图像，未编页号。")
    unreadable = [f.page for f in report.findings if f.code == "unreadable_page" and f.page]
    if unreadable:
        out.append(f"第{'、'.join(map(str, unreadable))}幅图像字迹无法辨认。")
    review = [f for f in report.findings if f.severity == Severity.WARNING]
    if review:
        out.append(f"另有{len(review)}项需人工复核（见检查报告）。")
    return out


def note_sheet(report: CheckReport, transferor: str = "", received_on: dt.date | None = None,
               compiler: str = "", checker: str = "", compiled_on: dt.date | None = None) -> NoteSheet:
    materials = [m for m in report.materials if m.get("pages", 0) > 0]
    # Missing 必要材料 go to their own line (docgen refers to the 书面说明); missing pages are explained.
    pages_missing = [m for m in report.missing if m not in report.missing_materials]
    lines = [f"页数不符：{m}。" for m in pages_missing] + explanation(report)
    return NoteSheet(ref_no=report.ref_no or "", name=report.name, total_pages=report.content_pages,
                     material_count=len(materials), explanation=lines,
                     missing=report.missing_materials, transferor=transferor, received_on=received_on,
                     compiler=compiler, checker=checker, compiled_on=compiled_on)


def write_documents(report: CheckReport, out_dir: Path, enterprise: str = "", reasons: Mapping[str, str] | None = None,
                    compiler: str = "", checker: str = "", received_on: dt.date | None = None,
                    today: dt.date | None = None) -> dict[str, Path]:
    """Render the 备考表 and, when something is missing, the 书面说明 into ``out_dir`` (DOCX).

    No 书面说明 is drafted while the 校对 queue is open: what is missing is not settled yet."""
    from docgen.text_docs import missing_statement_context, note_sheet_context, render

    today = today or clock.today()
    out_dir = Path(out_dir)
    written = {}
    sheet = note_sheet(report, transferor=enterprise, received_on=received_on, compiler=compiler, checker=checker,
                       compiled_on=today)
    written["note_sheet"] = render("note_sheet", note_sheet_context(sheet), out_dir / "备考表.docx")
    statement = None if report.provisional else missing_statement([report], enterprise, reasons, dated=today)
    if statement is not None:
        written["missing_statement"] = render("missing_statement", missing_statement_context(statement),
                                              out_dir / "档案材料缺失情况说明.docx")
    return written
