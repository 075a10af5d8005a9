"""卷内目录 against the page images (pure): every row has its pages, every page belongs to a row,
the counts agree (DA/T 31-2017 §12.3: catalogue ↔ image correspondence must pass 100 %)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence

from ..findings import Finding, finding
from ..volume import Page, Row

UNKNOWN_TITLES = ("未识别材料",)


def page_rows(pages: Sequence[Page], rows: Sequence[Row], per_material: bool = False) -> dict[int, Row]:
    """Image index → the row it belongs to; uncounted sides go with the page before them."""
    counted = [p for p in pages if p.counted]
    owner: dict[int, Row] = {}
    if per_material:
        it = iter(counted)
        for row in rows:
            for _ in range(max(0, row.pages)):
                p = next(it, None)
                if p is None:
                    break
                owner[p.index] = row
    else:
        spans = [(r, r.start_page, r.end_page) for r in rows if r.start_page is not None and r.end_page is not None]
        for p in counted:
            row = next((r for r, a, b in spans if a <= p.page_no <= b), None)
            if row is not None:
                owner[p.index] = row
    last: Row | None = None
    for p in pages:
        if p.index in owner:
            last = owner[p.index]
        elif last is not None:
            owner[p.index] = last
    return owner


def formed_on_by_page(owner: dict[int, Row]) -> dict[int, dt.date | None]:
    out: dict[int, dt.date | None] = {}
    for index, row in owner.items():
        try:
            out[index] = dt.date.fromisoformat(row.formed_on) if row.formed_on else None
        except ValueError:
            out[index] = None
    return out


def check_catalog(pages: Sequence[Page], rows: Sequence[Row], per_material: bool = False) -> list[Finding]:
    counted = [p for p in pages if p.counted]
    out: list[Finding] = []
    if not rows and counted:
        return [finding("catalog_row_without_pages", "本卷没有卷内目录，无法核对目录与图像。")]
    for row in rows:
        if row.pages <= 0 or row.start_page is None or row.end_page is None:
            out.append(finding("catalog_row_without_pages",
                               f"卷内目录第{row.seq}条“{row.title}”没有对应的页面。", material=row.title))
        elif row.end_page - row.start_page + 1 != row.pages:
            out.append(finding("catalog_count_mismatch",
                               f"卷内目录第{row.seq}条“{row.title}”登记{row.pages}页，页码却为{row.start_page}—{row.end_page}。",
                               material=row.title))
    if per_material:
        out += _per_material(counted, rows)
    else:
        out += _per_volume(counted, rows)
    listed = sum(max(0, r.pages) for r in rows)
    if listed != len(counted):
        out.append(finding("catalog_count_mismatch",
                           f"卷内目录合计{listed}页，扫描图像中的内容页为{len(counted)}页，两者不符。"))
    return out


def _per_volume(counted: Sequence[Page], rows: Sequence[Row]) -> list[Finding]:
    out = []
    numbers = {p.page_no for p in counted}
    spans = [(r, r.start_page, r.end_page) for r in rows if r.start_page is not None and r.end_page is not None]
    for row, a, b in spans:
        missing = [n for n in range(a, b + 1) if n not in numbers]
        if missing and row.pages > 0:
            out.append(finding("catalog_row_without_pages",
                               f"卷内目录第{row.seq}条“{row.title}”的第{_nums(missing)}页没有对应的图像。",
                               material=row.title))
    for p in counted:
        owners = [r for r, a, b in spans if a <= p.page_no <= b]
        if not owners:
            out.append(finding("page_outside_catalog",
                               f"第{p.index}幅图像（第{p.page_no}页）不属于卷内目录的任何条目。", page=p.index))
        elif len(owners) > 1:
            out.append(finding("catalog_overlap",
                               f"第{p.page_no}页同时属于卷内目录第{'、'.join(r.seq for r in owners)}条。",
                               page=p.index, material=owners[0].title))
    return out


def _per_material(counted: Sequence[Page], rows: Sequence[Row]) -> list[Finding]:
    out = []
    pos = 0
    for row in rows:
        run = counted[pos:pos + max(0, row.pages)]
        pos += len(run)
        if row.pages > 0 and len(run) < row.pages:
            out.append(finding("catalog_row_without_pages",
                               f"卷内目录第{row.seq}条“{row.title}”登记{row.pages}页，只找到{len(run)}页图像。",
                               material=row.title))
        elif run and [p.page_no for p in run] != list(range(1, len(run) + 1)):
            out.append(finding("catalog_count_mismatch",
                               f"卷内目录第{row.seq}条“{row.title}”的页号应从1连续编至{row.pages}。",
                               page=run[0].index, material=row.title))
    for p in counted[pos:]:
        out.append(finding("page_outside_catalog",
                           f"第{p.index}幅图像（第{p.page_no}页）不属于卷内目录的任何条目。", page=p.index))
    return out


def check_rows_identified(rows: Sequence[Row], excluded_seqs: Collection[str] = ()) -> list[Finding]:
    """Rows the split could not name or class, and rows without a 材料形成时间.

    Rows in ``excluded_seqs`` (made only of unreadable pages, or of another person's) are not
    called unidentified: their own findings (页面无法辨认, 夹有他人材料) say why, and the 校对
    queue asks for their title.
    """
    out = []
    for row in rows:
        if (row.title in UNKNOWN_TITLES or row.remarks) and row.seq not in excluded_seqs:
            out.append(finding("material_unidentified",
                               f"卷内目录第{row.seq}条“{row.title}”：{row.remarks or '未能识别材料名称'}，请人工核对。",
                               material=row.title))
        if not row.formed_on and row.pages > 0:
            out.append(finding("formed_on_missing",
                               f"卷内目录第{row.seq}条“{row.title}”未能确定材料形成时间，请人工核对并补注。",
                               material=row.title))
    return out


def _nums(ns: list[int]) -> str:
    return "、".join(str(n) for n in ns[:10]) + ("等" if len(ns) > 10 else "")
