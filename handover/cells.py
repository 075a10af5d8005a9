"""Text that is safe to put in a spreadsheet cell (XLSX or CSV) and in the audit log.

Every writer of user-controlled text into XLSX/CSV passes each value through :func:`cell`:

- A string that a spreadsheet would read as a formula (it starts with ``= + - @``, a tab or a
  carriage return) gets a leading apostrophe, as OWASP's CSV-injection advice says. The
  apostrophe is chosen over a leading space because it is the spreadsheet's own "this is text"
  marker: Excel and WPS hide it when a CSV is opened, and it survives what clerks do with an
  export — save an XLSX as CSV, copy cells into another workbook, retype the cell — whereas a
  space is trimmed by many readers and the formula comes back. The hostile value stays readable
  for the auditor, one visible character longer in an XLSX.
- Plain numbers written as text ("-12", "+3.5") and lone dashes are left alone: a spreadsheet
  reads them as a number or text, never as a formula.
- Characters an XLSX file cannot hold (C0 controls other than tab, line feed and carriage return)
  are removed; openpyxl refuses them and the whole export fails otherwise.
- Only ``str`` values change: numbers, dates and booleans stay what they are, so a negative
  amount is still a number.
"""

from __future__ import annotations

import re
from typing import Any

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?|-+")
# What openpyxl (and the XLSX format) cannot store.
_NOT_IN_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# Controls and invisible direction overrides: in an audit row they would hide or reorder what
# an auditor reads (a bell in a user name, a newline forging a second line, a right-to-left
# override turning "txt.exe" around).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def cell(value: Any) -> Any:
    """``value`` as it may be written to a spreadsheet cell (see the module docstring)."""
    if not isinstance(value, str):
        return value
    value = _NOT_IN_XLSX.sub("", value)
    if value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def row(values) -> list:
    """:func:`cell` over one row."""
    return [cell(v) for v in values]


def escape_controls(text: str) -> str:
    """``text`` with control and direction-override characters written out as ``\\xNN`` /
    ``\\uNNNN``: kept as evidence of what was sent, harmless to every page and export."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group(0)):02x}" if ord(m.group(0)) < 0x100
                        else f"\\u{ord(m.group(0)):04x}", text)


def start_sheet(ws, title: str, headers) -> None:
    """The two rows every exported list sheet opens with: its title, merged over the columns and
    centred, and the bold column headers. Works on a write-only sheet too (styled cells appended,
    the merge recorded for when the sheet is written), where the columns' widths must be set first."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    headers = list(headers)
    head = WriteOnlyCell(ws, cell(title))
    head.font, head.alignment = Font(bold=True, size=14), Alignment(horizontal="center")
    ws.append([head])
    span = f"A1:{get_column_letter(len(headers))}1"
    if hasattr(ws, "merge_cells"):
        ws.merge_cells(span)
    else:  # write-only
        ws.merged_cells.add(span)
    bold = Font(bold=True)
    names = []
    for value in row(headers):
        c = WriteOnlyCell(ws, value)
        c.font = bold
        names.append(c)
    ws.append(names)
