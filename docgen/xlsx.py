"""XLSX renditions of tabular documents (offices work in Excel): one sheet per table."""

from __future__ import annotations

import re
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from handover.cells import cell as safe_cell, row as safe_row

from .model import TableDocument, fields_line

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
    """Each section of each document on its own sheet: title, header fields, column headers,
    rows, totals, note and footer — the same content as the DOCX and the PDF."""
    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    title_font, head_font = Font(name="宋体", size=14, bold=True), Font(name="黑体", size=11)
    body_font = Font(name="仿宋", size=11)
    center = Alignment(horizontal="center", vertical="center", wrap_text=True)
    left = Alignment(horizontal="left", vertical="center", wrap_text=True)
    for doc in docs:
        n = len(doc.columns)
        for section in doc.sections:
            ws = wb.create_sheet(_sheet_name(section.key or doc.title, used))
            ws.append([safe_cell(doc.title)])
            ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=n)
            ws.cell(1, 1).font, ws.cell(1, 1).alignment = title_font, center
            ws.append([safe_cell(fields_line(section.fields))])
            ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=n)
            ws.append(safe_row(c.header.replace("\n", "") for c in doc.columns))
            for i in range(1, n + 1):
                cell = ws.cell(3, i)
                cell.font, cell.alignment, cell.border = head_font, center, _BOX
            for row in section.rows:
                ws.append(safe_row(row))
            if section.totals:
                ws.append(safe_row(section.totals))
            last = ws.max_row
            for r in ws.iter_rows(min_row=4, max_row=last, max_col=n):
                for cell, col in zip(r, doc.columns):
                    cell.font, cell.border = body_font, _BOX
                    cell.alignment = left if col.align == "left" else center
                    cell.number_format = "@"  # ID numbers stay text
            if doc.note:
                ws.append([safe_cell(doc.note)])
            if doc.footer:
                ws.append([safe_cell("　　".join(f"{k}：{v}" for k, v in doc.footer))])
            for i, col in enumerate(doc.columns, 1):
                ws.column_dimensions[get_column_letter(i)].width = max(6, col.width * 2.2)
            ws.print_title_rows = "3:3"
            ws.page_setup.orientation = doc.orientation
            ws.page_setup.paperSize = ws.PAPERSIZE_A4
            ws.page_setup.fitToWidth = 1
            ws.page_setup.fitToHeight = 0
            ws.sheet_properties.pageSetUpPr.fitToPage = True
            ws.freeze_panes = "A4"
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out
