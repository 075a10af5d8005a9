"""Helpers that write roster files for tests (real .xlsx and .csv files on disk)."""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

from openpyxl import Workbook

from handover.roster.writer import roster_rows, write_csv, write_xlsx
from handover.sample import make_batch

HEADER = ["序号", "姓名", "性别", "出生日期", "社会保障号码（身份证号）", "退休时间", "居住地详细地址", "户口所在地地址"]


def batch(n=20, region="henan-zhengzhou", seed=11):
    return make_batch(region, n, seed=seed)


def xlsx_from_rows(path: Path, rows: list[list[object]], merges: list[str] = ()) -> Path:
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    for rng in merges:
        ws.merge_cells(rng)
    wb.save(path)
    return path


def add_cached_value(path: Path, cell: str, value: str) -> None:
    """openpyxl writes formulas without a cached result; add one as Excel would have saved it."""
    tmp = path.with_suffix(".tmp.xlsx")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                text = data.decode()
                text = re.sub(rf'(<c r="{cell}"[^>]*>\s*<f>[^<]*</f>)\s*(<v>\s*</v>|<v/>)?', rf"\1<v>{value}</v>", text)
                data = text.encode()
            dst.writestr(item, data)
    shutil.move(tmp, path)


__all__ = ["HEADER", "add_cached_value", "batch", "roster_rows", "write_csv", "write_xlsx", "xlsx_from_rows"]
