"""Direct PDF of the per-retiree forms (one page per person) from the same ``FormSpec`` grid the
DOCX template is built from, so both show the same rows, labels and checkboxes."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from .forms import BOX, CHECKED, FormSpec
from .pdf_tables import LEADING, PAD, Measure, _Drawer
from .pdf_streams import binary_streams
from .pdffont import PdfFonts, pdf_fonts

MARGINS = {"landscape": dict(top=15, bottom=12, left=15, right=15),
           "portrait": dict(top=25, bottom=20, left=22, right=22)}
SIZE = 10.0


def _draw_checks(d: _Drawer, x: float, y: float, text: str, size: float) -> None:
    """Options with drawn boxes (☐ / ☑ are not in every CJK face)."""
    c = d.c
    ops = []
    for part in _split_boxes(text):
        if part in (BOX, CHECKED):
            s = size * 0.8
            bx, by = x + 1, y - 1
            ops.append(f"0.6 w {bx:.2f} {by:.2f} {s:.2f} {s:.2f} re S")
            if part == CHECKED:
                ops.append(f"1 w {bx + s * 0.18:.2f} {by + s * 0.5:.2f} m {bx + s * 0.42:.2f} {by + s * 0.18:.2f} l "
                           f"{bx + s * 0.85:.2f} {by + s * 0.88:.2f} l S")
            x += size * 1.1
        else:
            d.text(x, y, part, size)
            x += d.m.width(part, size)
    c._code.append(" ".join(ops))


def _split_boxes(text: str) -> list[str]:
    out, cur = [], ""
    for ch in text:
        if ch in (BOX, CHECKED):
            if cur:
                out.append(cur)
            out.append(ch)
            cur = ""
        else:
            cur += ch
    if cur:
        out.append(cur)
    return out


def render_forms_pdf(spec: FormSpec, people: Iterable[dict[str, str]], out: Path,
                     fonts: PdfFonts | None = None, title: str | None = None) -> int:
    fonts = fonts or pdf_fonts()
    m = Measure(fonts)
    page = landscape(A4) if spec.orientation == "landscape" else A4
    mg = MARGINS[spec.orientation]
    left, right = mg["left"] * mm, page[0] - mg["right"] * mm
    xs = [left]
    for w in spec.widths:
        xs.append(xs[-1] + (right - left) * w / sum(spec.widths))
    pages = 0
    with binary_streams():
        c = Canvas(str(out), pagesize=page, pageCompression=1, initialFontName=fonts.main,
                   initialFontSize=SIZE)
        c.setTitle(title or spec.title)
        c.setAuthor("handover")
        d = _Drawer(c, m, fonts)
        for values in people:
            _draw_form(d, spec, values, page, mg, xs)
            c.showPage()
            pages += 1
        c.save()
    return pages


def _cell_lines(m: Measure, cell, values, width: float) -> list[str]:
    if cell.kind in ("label", "side"):
        text = cell.text
    elif cell.kind == "unit":
        text = values.get(cell.key) or cell.text
    else:
        text = values.get(cell.key, "")
    if cell.kind == "check":
        return [text]
    return m.wrap(text, width - 2 * PAD, SIZE)


def _draw_form(d: _Drawer, spec: FormSpec, values: dict, page, mg, xs) -> None:
    m = d.m
    left, right = xs[0], xs[-1]
    y = page[1] - mg["top"] * mm
    title = values.get("title") or spec.title
    d.text((left + right) / 2, y - 20, title, 18, "center", bold=True)
    y -= 34
    if spec.header:
        d.text(left, y, "　　　".join(f"{k}：{values.get(v, '')}" for k, v in spec.header), 11)
    if values.get("copy_label"):
        d.text(right, y, values["copy_label"], 11, "right", bold=True)
    if spec.header:
        y -= 10
    for text in spec.body:
        y -= 8
        for line in m.wrap(text.format_map(values), right - left, 14):
            d.text(left, y - 14, line, 14)
            y -= 14 * LEADING
    if spec.body:
        y -= 10
    # row heights: at least the spec's, more if a value wraps
    placed = []  # (row index, [(x0, x1, cell)])
    heights = []
    for row in spec.rows:
        col, cells, need = 0, [], spec.row_height_mm * mm
        for cell in row:
            x0, x1 = xs[col], xs[col + cell.span]
            cells.append((x0, x1, cell))
            if cell.kind != "side" and not cell.vmerge:
                lines = _cell_lines(m, cell, values, x1 - x0)
                need = max(need, len(lines) * SIZE * LEADING + 2 * PAD + 2)
            col += cell.span
        placed.append(cells)
        heights.append(need)
    # a merged label (基本情况 …) taller than its rows stretches the last of them
    for r, cells in enumerate(placed):
        for x0, x1, cell in cells:
            if cell.vmerge != "restart":
                continue
            last = r
            while last + 1 < len(placed) and any(c.vmerge == "continue" and abs(cx0 - x0) < 0.1
                                                 for cx0, _, c in placed[last + 1]):
                last += 1
            lines = cell.text.split("\n") if cell.kind == "side" else _cell_lines(m, cell, values, x1 - x0)
            need = len(lines) * SIZE * LEADING + 2 * PAD + 2
            have = sum(heights[r:last + 1])
            if have < need:
                heights[last] += need - have
    tops = [y]
    for h in heights:
        tops.append(tops[-1] - h)
    ops = ["0.8 w"]
    for r, cells in enumerate(placed):
        for x0, x1, cell in cells:
            if cell.vmerge == "continue":
                continue
            bottom_row = r
            if cell.vmerge == "restart":
                while bottom_row + 1 < len(placed) and any(
                        c.vmerge == "continue" and abs(cx0 - x0) < 0.1
                        for cx0, _, c in placed[bottom_row + 1]):
                    bottom_row += 1
            top, bottom = tops[r], tops[bottom_row + 1]
            ops.append(f"{x0:.2f} {bottom:.2f} {x1 - x0:.2f} {top - bottom:.2f} re S")
            lines = _cell_lines(m, cell, values, x1 - x0) if cell.kind != "side" else cell.text.split("\n")
            block = len(lines) * SIZE * LEADING
            ty = top - (top - bottom - block) / 2 - SIZE
            for line in lines:
                if cell.kind == "check":
                    _draw_checks(d, x0 + PAD + 2, ty, line, SIZE)
                else:
                    d.text((x0 + x1) / 2, ty, line, SIZE, "center")
                ty -= SIZE * LEADING
    d.c._code.append(" ".join(ops))
    y = tops[-1] - 16
    if spec.note:  # wrapped: a long note is never cut at the margin
        for line in m.wrap(spec.note, right - left, 10):
            d.text(left, y, line, 10)
            y -= 10 * LEADING
        y -= 8
    for i, line in enumerate(spec.footer_lines()):
        d.text(left, y - 8 - i * 24, "　　　　".join(f"{k}：{values.get(v, '') or '　' * 6}" for k, v in line), 12)
