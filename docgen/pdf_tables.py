"""Direct PDF renderer of a ``TableDocument`` (reportlab canvas; no LibreOffice).

Layout is computed first (rows wrapped to their cells, paginated so that no row is split, the
title / header fields / column headers repeated on every page), then drawn once per copy, so
"第 X 页 共 Y 页" is known on every page. Cost is linear in the rows: widths come from a
per-character cache and each page is one text object plus one batch of rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from .model import TableDocument, TableSection, fields_line
from .pdf_streams import binary_streams
from .pdffont import PdfFonts, pdf_fonts

MARGINS = {"landscape": dict(top=18, bottom=18, left=15, right=15),
           "portrait": dict(top=22, bottom=20, left=20, right=20)}
BODY, HEAD, TITLE, FIELDS, SMALL = 10.0, 10.0, 18.0, 11.0, 9.0
PAD = 2.2  # cell padding, pt
LEADING = 1.32  # line height / font size
MIN_ROW = 8 * mm  # like the DOCX template's trHeight atLeast 8 mm


class Measure:
    """Character widths (cached) and greedy wrapping by characters — CJK text breaks anywhere;
    a run of ASCII letters/digits (an ID number) is kept whole if it fits on a line."""

    def __init__(self, fonts: PdfFonts):
        self.fonts = fonts
        self._w: dict[tuple[str, float], float] = {}

    def char(self, ch: str, size: float) -> float:
        key = (ch, size)
        w = self._w.get(key)
        if w is None:
            w = pdfmetrics.stringWidth(ch, self.fonts.font_for(ch), size)
            self._w[key] = w
        return w

    def width(self, text: str, size: float) -> float:
        c = self.char
        return sum(c(ch, size) for ch in text)

    def wrap(self, text: str, width: float, size: float) -> list[str]:
        lines: list[str] = []
        for para in text.split("\n"):
            if self.width(para, size) <= width:
                lines.append(para)
                continue
            line, w = "", 0.0
            i, n = 0, len(para)
            while i < n:
                j = i + 1
                if para[i].isascii() and para[i].isalnum():  # keep an ASCII word together
                    while j < n and para[j].isascii() and para[j].isalnum():
                        j += 1
                token = para[i:j]
                tw = self.width(token, size)
                if w + tw > width and line:
                    lines.append(line)
                    line, w = "", 0.0
                if tw > width:  # a token wider than the cell: break it by characters
                    for ch in token:
                        cw = self.char(ch, size)
                        if w + cw > width and line:
                            lines.append(line)
                            line, w = "", 0.0
                        line += ch
                        w += cw
                else:
                    line += token
                    w += tw
                i = j
            lines.append(line)
        return lines


@dataclass
class Row:
    cells: list[list[str]]  # wrapped lines per cell
    height: float
    bold: bool = False


@dataclass
class Page:
    section: int
    rows: list[Row]
    last_of_section: bool


@dataclass
class Layout:
    page_size: tuple[float, float]
    margins: dict
    col_x: list[float]  # left edge of each column + right edge of the table
    header: Row
    pages: list[Page]
    table_top: float


def _row(m: Measure, values, widths, size: float, min_h: float, bold=False) -> Row:
    cells = [m.wrap(v, w - 2 * PAD, size) for v, w in zip(values, widths)]
    lines = max(len(c) for c in cells)
    return Row(cells, max(min_h, lines * size * LEADING + 2 * PAD + 1), bold)


def layout(doc: TableDocument, m: Measure) -> Layout:
    size = landscape(A4) if doc.orientation == "landscape" else A4
    mg = MARGINS[doc.orientation]
    left, right = mg["left"] * mm, size[0] - mg["right"] * mm
    total = sum(c.width for c in doc.columns)
    widths = [(right - left) * c.width / total for c in doc.columns]
    xs = [left]
    for w in widths:
        xs.append(xs[-1] + w)
    header = _row(m, [c.header for c in doc.columns], widths, HEAD, 10 * mm, bold=True)
    top = size[1] - mg["top"] * mm
    table_top = top - TITLE * 1.6 - FIELDS * 2.0  # title line, then the header-fields line
    note_h = (BODY * LEADING * 2 + 4) if doc.note else 0
    closing_h = closing_height(doc)
    bottom = mg["bottom"] * mm + 10 * mm  # room for the signature footer and page number
    avail = table_top - header.height - bottom
    pages: list[Page] = []
    for si, section in enumerate(doc.sections):
        rows = [_row(m, r, widths, BODY, MIN_ROW) for r in section.rows]
        if section.totals is not None:
            rows.append(_row(m, section.totals, widths, BODY, MIN_ROW, bold=True))
        tail = note_h + (closing_h if si == len(doc.sections) - 1 else 0)
        current: list[Row] = []
        used = 0.0
        for k, row in enumerate(rows):
            is_last = k == len(rows) - 1
            need = row.height + (tail if is_last else 0)
            if current and used + need > avail:
                # The 合计 never stands alone on a page: it takes the last data row along.
                carried = [current.pop()] if is_last and section.totals is not None and len(current) > 1 else []
                pages.append(Page(si, current, False))
                current, used = carried, sum(r.height for r in carried)
            current.append(row)
            used += row.height
        pages.append(Page(si, current, True))
    return Layout(size, mg, xs, header, pages, table_top)


CLOSING_PITCH = BODY * LEADING * 1.8  # the receiving block leaves room for signatures


def closing_height(doc: TableDocument) -> float:
    return (len(doc.closing) * CLOSING_PITCH + 6) if doc.closing else 0.0


class _Drawer:
    """Writes text and rules straight into the page's content stream (hex strings, the font's
    own subsets), caching each string's encoded operators: the rows of four copies repeat."""

    def __init__(self, canvas: Canvas, m: Measure, fonts: PdfFonts):
        self.c, self.m, self.fonts = canvas, m, fonts
        self.doc = canvas._doc
        self._frag: dict[tuple[str, float, bool], tuple[str, float]] = {}
        self._font_of: dict[str, str] = {}

    def _runs(self, s: str) -> list[tuple[str, str]]:
        runs: list[tuple[str, str]] = []
        font_of = self._font_of
        for ch in s:
            f = font_of.get(ch)
            if f is None:
                f = font_of[ch] = self.fonts.font_for(ch)
            if runs and runs[-1][0] == f:
                runs[-1] = (f, runs[-1][1] + ch)
            else:
                runs.append((f, ch))
        return runs

    def _fragment(self, s: str, size: float, bold: bool) -> tuple[str, float]:
        key = (s, size, bold)
        hit = self._frag.get(key)
        if hit is not None:
            return hit
        ops = ["2 Tr 0.25 w" if bold else "0 Tr"]
        for font_name, text in self._runs(s):
            font = pdfmetrics.getFont(font_name)
            for subset, chunk in font.splitString(text, self.doc):
                ops.append(f"{font.getSubsetInternalName(subset, self.doc)} {size:g} Tf <{chunk.hex()}> Tj")
        hit = self._frag[key] = (" ".join(ops), self.m.width(s, size))
        return hit

    def text(self, x: float, y: float, s: str, size: float, align: str = "left", bold: bool = False) -> None:
        if not s:
            return
        frag, w = self._fragment(s, size, bold)
        if align == "center":
            x -= w / 2
        elif align == "right":
            x -= w
        self.c._code.append(f"BT 1 0 0 1 {x:.2f} {y:.2f} Tm {frag} ET")

    def rules(self, segments: list[tuple[float, float, float, float]], width: float = 0.6) -> None:
        ops = [f"{width:g} w"]
        ops += [f"{x1:.2f} {y1:.2f} m {x2:.2f} {y2:.2f} l" for x1, y1, x2, y2 in segments]
        ops.append("S")
        self.c._code.append(" ".join(ops))


def render_table_pdf(doc: TableDocument, out: Path, fonts: PdfFonts | None = None,
                     lay: Layout | None = None) -> int:
    """Write the PDF; returns the number of pages (all copies)."""
    doc.validate()
    fonts = fonts or pdf_fonts()
    m = Measure(fonts)
    lay = lay or layout(doc, m)
    out.parent.mkdir(parents=True, exist_ok=True)
    with binary_streams():
        c = Canvas(str(out), pagesize=lay.page_size, pageCompression=1, initialFontName=fonts.main,
                   initialFontSize=BODY)
        c.setTitle(doc.title)
        c.setAuthor("handover")
        c.setSubject(doc.doc_type)
        c.setCreator("handover docgen")
        d = _Drawer(c, m, fonts)
        pages_per_copy = len(lay.pages)
        for label in doc.copies:
            for number, page in enumerate(lay.pages, 1):
                _draw_page(d, doc, lay, page, number, pages_per_copy, label)
                c.showPage()
        c.save()
    return pages_per_copy * len(doc.copies)


def _draw_page(d: _Drawer, doc: TableDocument, lay: Layout, page: Page, number: int, total: int,
               label: str) -> None:
    w, h = lay.page_size
    mg = lay.margins
    left, right = lay.col_x[0], lay.col_x[-1]
    top = h - mg["top"] * mm
    section: TableSection = doc.sections[page.section]
    if label:
        d.text(right, h - (mg["top"] - 8) * mm, label, 12, "right", bold=True)
    d.text((left + right) / 2, top - TITLE, doc.title, TITLE, "center", bold=True)
    d.text(left, lay.table_top + FIELDS * 0.6, fields_line(section.fields), FIELDS)
    y = lay.table_top
    ys = [y]
    for row in [lay.header, *page.rows]:
        _draw_row(d, doc, lay.col_x, y, row, HEAD if row is lay.header else BODY)
        y -= row.height
        ys.append(y)
    # rules: one batch per page
    segs = [(left, yy, right, yy) for yy in ys]
    segs += [(x, ys[0], x, ys[-1]) for x in lay.col_x]
    d.rules(segs)
    if page.last_of_section and doc.note:
        y -= BODY * LEADING + 2
        d.text(left, y, doc.note, SMALL)
    if page.last_of_section and page.section == len(doc.sections) - 1:
        y -= 6
        for line in doc.closing:
            y -= CLOSING_PITCH
            d.text(left, y, line, BODY)
    foot_y = mg["bottom"] * mm
    if doc.footer:
        d.text(left, foot_y + 5 * mm, "　　　　".join(f"{k}：{v or '　' * 6}" for k, v in doc.footer), SMALL)
    d.text((left + right) / 2, foot_y - 2 * mm, f"第 {number} 页　共 {total} 页", SMALL, "center")


def _draw_row(d: _Drawer, doc: TableDocument, xs: list[float], top: float, row: Row, size: float) -> None:
    lead = size * LEADING
    for i, lines in enumerate(row.cells):
        if not lines or lines == [""]:
            continue
        col = doc.columns[i]
        align = "center" if (row.bold or size == HEAD and row.bold) else col.align
        block = len(lines) * lead
        y = top - (row.height - block) / 2 - size * 1.0  # vertically centred, first baseline
        for line in lines:
            if align == "center":
                x = (xs[i] + xs[i + 1]) / 2
            elif align == "right":
                x = xs[i + 1] - PAD
            else:
                x = xs[i] + PAD
            d.text(x, y, line, size, align, bold=row.bold)
            y -= lead
