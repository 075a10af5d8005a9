"""XLSX renditions of tabular documents (offices work in Excel)."""

from __future__ import annotations

import re
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from handover.cells import cell as safe_cell, row as safe_row

from .model import TableDocument, TableSection, fields_line

_THIN = Side(style="thin", color="000000")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_BAD = re.compile(r"[\[\]:*?/\\]")


def _sheet_name(name: str, used: set[str]) -> str:
    base = _BAD.sub("", name)[:28] or "表"
    out, k = base, 2
    while out in used:
        out = f"{base[:26]}{k}"
        k += 1
    used.add(out)
    return out


def write_xlsx(docs: list[TableDocument], out: Path) -> Path:
    """The same content as the DOCX and the PDF: title, header fields, column headers, rows,
    totals, note, footer and closing lines. A document made in labelled copies (一式四份) has a
    sheet per copy, named by its label, holding all its tables; any other document a sheet per
    table. Counts (``Column.numeric``) are numbers and their totals ``=SUM`` formulas; every text
    cell goes through ``handover.cells``."""
    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    for doc in docs:
        if any(doc.copies) and len(doc.copies) > 1:
            for label in doc.copies:
                _sheet(wb.create_sheet(_sheet_name(label, used)), doc, doc.sections, label)
        else:
            for section in doc.sections:
                _sheet(wb.create_sheet(_sheet_name(section.key or doc.title, used)), doc, [section], "")
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out


_TITLE, _HEAD, _BODY = Font(name="宋体", size=14, bold=True), Font(name="黑体", size=11), Font(name="仿宋", size=11)
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)


def _value(text: str, col) -> object:
    if col.numeric and text.isdigit():
        return int(text)
    return safe_cell(text)


def _sheet(ws, doc: TableDocument, sections: list[TableSection], label: str) -> None:
    n = len(doc.columns)

    def line(text: str, font=None, align=None) -> None:
        ws.append([safe_cell(text)])
        r = ws.max_row
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=n)
        if font is not None:
            ws.cell(r, 1).font = font
        if align is not None:
            ws.cell(r, 1).alignment = align

    if label:
        line(label, _HEAD, Alignment(horizontal="right"))
    line(doc.title, _TITLE, _CENTER)
    header_rows = []
    for section in sections:
        if ws.max_row > 2:
            ws.append([])
        line(fields_line(section.fields))
        ws.append(safe_row(c.header.replace("\n", "") for c in doc.columns))
        head = ws.max_row
        header_rows.append(head)
        for i in range(1, n + 1):
            cell = ws.cell(head, i)
            cell.font, cell.alignment, cell.border = _HEAD, _CENTER, _BOX
        for row in section.rows:
            ws.append([_value(v, c) for v, c in zip(row, doc.columns)])
        first, last = head + 1, ws.max_row
        if section.totals:
            ws.append([f"=SUM({get_column_letter(i)}{first}:{get_column_letter(i)}{last})"
                       if c.numeric and v and last >= first else _value(v, c)
                       for i, (v, c) in enumerate(zip(section.totals, doc.columns), 1)])
        for r in ws.iter_rows(min_row=first, max_row=ws.max_row, max_col=n):
            for cell, col in zip(r, doc.columns):
                cell.font, cell.border = _BODY, _BOX
                cell.alignment = _LEFT if col.align == "left" else _CENTER
                cell.number_format = "0" if col.numeric else "@"  # ID numbers stay text
    if doc.note:
        line(doc.note)
    if doc.footer:
        line("　　".join(f"{k}：{v}" for k, v in doc.footer))
    for text in doc.closing:
        line(text)
    for i, col in enumerate(doc.columns, 1):
        ws.column_dimensions[get_column_letter(i)].width = max(6, col.width * 2.2)
    ws.print_title_rows = f"{header_rows[0]}:{header_rows[0]}"
    ws.page_setup.orientation = doc.orientation
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.freeze_panes = f"A{header_rows[0] + 1}"
