"""Reading roster files: .xlsx (python-calamine) and .csv (UTF-8, UTF-8 with BOM, GB18030).

Yields ``(row_number, values)`` one row at a time. Everything that makes a file unreadable raises
``RosterFileError`` with a Chinese message; sheet-level findings (merged cells, formulas) are
reported through ``SheetNotes`` so the validator can point at the exact cells.
"""

from __future__ import annotations

import codecs
import csv
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from python_calamine import CalamineWorkbook

from ..errors import InputRefused
from .headers import column_letter

XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls / .doc
CHUNK = 1 << 20


class RosterFileError(InputRefused):
    """The file as a whole cannot be read; the message is for the user, in Chinese."""


@dataclass
class SheetNotes:
    sheet: str = ""
    encoding: str = ""
    # (first_row, first_col, last_row, last_col), 1-based rows, 0-based columns
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)
    formulas: set[tuple[int, int]] = field(default_factory=set)  # (row, col)

    def merged_rows(self, after_row: int) -> dict[int, str]:
        """Rows below the header touched by a merged range -> the range as Excel names it."""
        out: dict[int, str] = {}
        for r0, c0, r1, c1 in self.merged:
            if r1 <= after_row:
                continue
            label = f"{column_letter(c0)}{r0}:{column_letter(c1)}{r1}"
            for r in range(max(r0, after_row + 1), r1 + 1):
                out.setdefault(r, label)
        return out


@dataclass
class RosterFile:
    path: Path
    kind: str  # "xlsx" | "csv"
    notes: SheetNotes
    rows: Iterator[tuple[int, list[object]]]


def open_roster(path: Path) -> RosterFile:
    path = Path(path)
    if not path.is_file():
        raise RosterFileError(f"找不到文件：{path}")
    with path.open("rb") as fh:
        head = fh.read(8)
    if not head:
        raise RosterFileError(f"文件为空：{path.name}")
    if head.startswith(XLSX_MAGIC):
        return _open_xlsx(path)
    if head.startswith(OLE_MAGIC):
        raise RosterFileError(f"{path.name} 是旧版 Excel（.xls）或其他 Office 文件，请在 Excel/WPS 中另存为 .xlsx 后再导入")
    return _open_csv(path)


# ---------------------------------------------------------------- xlsx

_CELL_WITH_FORMULA = re.compile(rb'<c r="([A-Z]+)(\d+)"[^>]*?>\s*<f[ >/]')


def _col_index(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n - 1


def _scan_formulas(path: Path, sheet_xml: str) -> set[tuple[int, int]]:
    """Cells holding formulas, found by streaming the sheet XML in chunks (never all in memory)."""
    found: set[tuple[int, int]] = set()
    with zipfile.ZipFile(path) as zf, zf.open(sheet_xml) as fh:
        tail = b""
        while chunk := fh.read(CHUNK):
            data = tail + chunk
            for m in _CELL_WITH_FORMULA.finditer(data):
                found.add((int(m.group(2)), _col_index(m.group(1))))
            tail = data[-512:]
    return found


def _first_sheet_xml(path: Path) -> str | None:
    with zipfile.ZipFile(path) as zf:
        names = sorted(n for n in zf.namelist() if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n))
    return names[0] if names else None


def _open_xlsx(path: Path) -> RosterFile:
    try:
        if not zipfile.is_zipfile(path):
            raise zipfile.BadZipFile
        sheet_xml = _first_sheet_xml(path)
        if sheet_xml is None:
            raise RosterFileError(f"{path.name} 不是 Excel 工作簿（压缩包内没有工作表）")
        workbook = CalamineWorkbook.from_path(str(path))
        sheet = workbook.get_sheet_by_index(0)
    except RosterFileError:
        raise
    except (zipfile.BadZipFile, OSError, ValueError, Exception) as err:  # calamine raises its own types
        raise RosterFileError(f"{path.name} 无法作为 Excel 文件打开（文件损坏或不是 .xlsx）：{type(err).__name__}") from None
    notes = SheetNotes(sheet=sheet.name)
    for (r0, c0), (r1, c1) in sheet.merged_cell_ranges or []:
        notes.merged.append((r0 + 1, c0, r1 + 1, c1))
    notes.formulas = _scan_formulas(path, sheet_xml)
    start_row = sheet.start[0] + 1 if sheet.start else 1

    def rows() -> Iterator[tuple[int, list[object]]]:
        for offset, values in enumerate(sheet.iter_rows()):
            yield start_row + offset, list(values)

    return RosterFile(path, "xlsx", notes, rows())


# ---------------------------------------------------------------- csv

def detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) if the whole file decodes as UTF-8, else GB18030."""
    with path.open("rb") as fh:
        head = fh.read(4)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
            return "utf-16"
        fh.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            while chunk := fh.read(CHUNK):
                if b"\x00" in chunk:
                    raise RosterFileError(f"{path.name} 不是文本表格文件（含有二进制内容），请上传 .xlsx 或 .csv")
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
            return "utf-8"
        except UnicodeDecodeError:
            pass
        fh.seek(0)
        decoder = codecs.getincrementaldecoder("gb18030")()
        try:
            while chunk := fh.read(CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
            return "gb18030"
        except UnicodeDecodeError as err:
            raise RosterFileError(
                f"{path.name} 的文字编码无法识别（既不是 UTF-8 也不是 GB18030/GBK）：{err.reason}") from None


def _open_csv(path: Path) -> RosterFile:
    encoding = detect_encoding(path)
    with path.open("r", encoding=encoding, newline="") as fh:
        sample = fh.read(8192)
    if not sample.strip():
        raise RosterFileError(f"文件为空：{path.name}")
    delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
    notes = SheetNotes(encoding=encoding)

    def rows() -> Iterator[tuple[int, list[object]]]:
        with path.open("r", encoding=encoding, newline="") as fh:
            try:
                for number, values in enumerate(csv.reader(fh, delimiter=delimiter), 1):
                    yield number, list(values)
            except csv.Error as err:
                raise RosterFileError(f"{path.name} 第{number + 1}行不是有效的 CSV：{err}") from None

    return RosterFile(path, "csv", notes, rows())

