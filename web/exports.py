"""XLSX exports of the web's lists, streamed: rows come from a SQL result read in batches and go
straight into a write-only workbook in a temporary file, which is then sent in chunks — a
10,000-row export holds neither its rows nor its cells in memory. The routes that call this are
plain ``def`` endpoints, so the building runs in the server's thread pool, never on the event loop."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from fastapi.responses import FileResponse

from handover.cells import row as safe_row, start_sheet

from .downloads import built_file

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BATCH = 500  # rows fetched from the database at a time


@dataclass(frozen=True)
class Column:
    header: str
    width: float = 12
    text: bool = False  # digits kept as text (ID numbers, 档号), never a number in scientific notation


def write_sheet(wb, name: str, title: str | None, columns: Sequence[Column], rows: Iterable[Sequence]) -> int:
    """One sheet of a write-only workbook: widths and frozen header rows first (a write-only
    sheet takes them only before its rows), the title row (``handover.cells.start_sheet``; None:
    the headers alone, as the audit export has always opened) and headers, then ``rows`` as they
    come. Returns the number of rows written."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(name)
    for i, col in enumerate(columns, 1):
        ws.column_dimensions[get_column_letter(i)].width = col.width
    heading = 1 if title is None else 2
    ws.freeze_panes = f"A{heading + 1}"
    ws.print_title_rows = f"1:{heading}"
    if title is None:
        ws.append(safe_row([c.header for c in columns]))
    else:
        start_sheet(ws, title, [c.header for c in columns])
    text_at = [i for i, c in enumerate(columns) if c.text]
    n = 0
    for values in rows:
        values = safe_row(values)
        for i in text_at:
            cell = WriteOnlyCell(ws, values[i])
            cell.number_format = "@"
            values[i] = cell
        ws.append(values)
        n += 1
    return n


def xlsx_download(filename: str, build) -> FileResponse:
    """``build(wb)`` fills a write-only workbook; it is saved into a temporary folder (gone once
    sent) and sent as ``filename``."""
    from openpyxl import Workbook

    def make(folder: Path) -> Path:
        wb = Workbook(write_only=True)
        build(wb)
        out = folder / "export.xlsx"
        wb.save(out)
        return out

    return built_file(make, filename, XLSX)


def streamed(session, stmt):
    """The rows of ``stmt`` fetched BATCH at a time (never the whole result in a list)."""
    return session.execute(stmt.execution_options(yield_per=BATCH))


def streamed_scalars(session, stmt):
    """``streamed`` for a query of ORM rows; each batch is let go once written."""
    return session.scalars(stmt.execution_options(yield_per=BATCH))
