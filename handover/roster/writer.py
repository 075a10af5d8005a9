"""Writing rosters in the layout the product reads (sample data, exports)."""

from __future__ import annotations

import csv
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font

from ..cells import cell as safe_cell, row as safe_row
from ..models import Enterprise, Retiree
from .headers import COLUMNS, WRITTEN_KEYS, column_letter

TITLE = "企业退休人员移交社区管理花名册"
_HEADERS = {c.key: c.header for c in COLUMNS}


def _value(retiree: Retiree, key: str, seq: int) -> object:
    if key == "seq":
        return seq
    if "." in key:
        group, part = key.split(".")
        if group == "dest":
            return getattr(retiree.chosen_destination, part) if retiree.chosen_destination else ""
        return getattr(getattr(retiree, group), part)
    value = getattr(retiree, key)
    if key in ("birth_date", "party_joined_on"):
        return value.isoformat() if value else ""
    if key in ("retired_on", "party_dues_paid_to"):
        return f"{value:%Y-%m}" if value else ""
    if key == "special":
        return "、".join(sorted(v.value for v in value))
    if isinstance(value, bool):
        return "是" if value else ""
    return "" if value is None else str(value)


def roster_rows(retirees: list[Retiree]):
    yield [_HEADERS[k] for k in WRITTEN_KEYS]
    for i, r in enumerate(retirees, 1):
        yield safe_row(_value(r, k, i) for k in WRITTEN_KEYS)


def write_xlsx(path: Path, retirees: list[Retiree], enterprise: Enterprise | None = None) -> Path:
    """A title row and a 单位名称 row above the header, as offices lay the sheet out."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("花名册")
    width = len(WRITTEN_KEYS)
    title = WriteOnlyCell(ws, value=TITLE)
    title.font = Font(size=16, bold=True)
    title.alignment = Alignment(horizontal="center")
    ws.append([title])
    ws.append([safe_cell(f"单位名称：{enterprise.name}") if enterprise else "单位名称："])
    for row in roster_rows(retirees):
        ws.append(row)
    ws.merged_cells.add(f"A1:{column_letter(width - 1)}1")
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def write_csv(path: Path, retirees: list[Retiree], encoding: str = "utf-8-sig") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding=encoding, newline="") as fh:
        csv.writer(fh).writerows(roster_rows(retirees))
    return path
