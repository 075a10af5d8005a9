"""The text layer of a volume PDF read back, page by page, as lines with boxes in image pixels.

A received package's pages come with their text in the PDF (``pdf_volume`` writes it invisible
over each image; a vendor's searchable PDF does the same): reading it back saves the OCR. Strings
are decoded through each font's ToUnicode map (``bfchar``/``bfrange``; two-byte codes for Type0
fonts, one byte otherwise, Latin-1 for a simple font without a map); text shown by a font that
cannot be decoded counts as absent, so the page is OCR'd instead. Runs on one baseline join into
one line (``pdf_volume`` writes one run per line). Positions follow the text matrix only (Tm, Td,
TD, T*), not the graphics matrix: boxes serve to tell a corner page number from the body, for
which that is enough for text layers drawn in page space, as OCR tools draw them.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from pathlib import Path

import pikepdf

from .records import OcrLine

_HEX = re.compile(rb"<([0-9A-Fa-f]+)>")


@dataclass
class _Run:
    text: str
    x: float
    y: float
    size: float
    width: float  # PDF points


class _CMap:
    """A ToUnicode CMap: ``bfchar`` codes in a dict, ``bfrange`` sections as ranges looked up by
    bisection (a font mapping all 65,536 two-byte codes in 256 ranges stays 256 entries)."""

    def __init__(self, data: bytes) -> None:
        self.chars: dict[int, str] = {}
        ranges: list[tuple[int, int, bytes]] = []
        for block in re.findall(rb"beginbfchar(.*?)endbfchar", data, re.S):
            codes = _HEX.findall(block)
            for src, dst in zip(codes[0::2], codes[1::2]):
                self.chars[int(src, 16)] = _utf16(dst)
        for block in re.findall(rb"beginbfrange(.*?)endbfrange", data, re.S):
            for line in block.splitlines():
                parts = _HEX.findall(line)
                if len(parts) < 3:
                    continue
                lo, hi = int(parts[0], 16), int(parts[1], 16)
                if b"[" in line:  # an array of destinations, one per code
                    for k, d in enumerate(parts[2:]):
                        self.chars[lo + k] = _utf16(d)
                elif hi >= lo:
                    ranges.append((lo, hi, parts[2]))
        ranges.sort()
        self.starts = [lo for lo, _, _ in ranges]
        self.ranges = ranges

    def get(self, code: int) -> str:
        if code in self.chars:
            return self.chars[code]
        i = bisect.bisect_right(self.starts, code) - 1
        if i < 0:
            return ""
        lo, hi, dst = self.ranges[i]
        if code > hi:
            return ""
        # the last byte of the destination counts up through the range (PDF 32000-1, 9.10.3)
        value = int(dst, 16) + code - lo
        return _utf16(f"{value:0{len(dst)}X}".encode())


def _utf16(hex_digits: bytes) -> str:
    return bytes.fromhex(hex_digits.decode()).decode("utf-16-be", errors="replace")


class _Font:
    def __init__(self, font) -> None:
        self.two_bytes = font.get("/Subtype") == "/Type0"
        self.map: _CMap | None = None
        if "/ToUnicode" in font:
            try:
                self.map = _CMap(font.ToUnicode.read_bytes())
            except (pikepdf.PdfError, ValueError):
                self.map = None

    @property
    def readable(self) -> bool:
        return self.map is not None or not self.two_bytes

    def decode(self, raw: bytes) -> str:
        if self.two_bytes:
            codes = [int.from_bytes(raw[i:i + 2], "big") for i in range(0, len(raw) - 1, 2)]
        else:
            codes = list(raw)
        if self.map is None:
            return "".join(chr(c) for c in codes)
        return "".join(self.map.get(c) for c in codes)


def _runs(page: pikepdf.Page, known: dict[tuple[int, int], _Font]) -> list[_Run] | None:
    """The text runs of a page; None when it shows text no map decodes. ``known``: the fonts read
    so far, by object (pages share theirs)."""
    fonts = {}
    resources = page.obj.get("/Resources") or {}
    for name, font in (resources.get("/Font") or {}).items():
        key = font.objgen
        if key == (0, 0):  # a direct object: nothing to share
            fonts[name] = _Font(font)
            continue
        if key not in known:
            known[key] = _Font(font)
        fonts[name] = known[key]
    runs: list[_Run] = []
    font: _Font | None = None
    size = tz = 1.0
    leading = 0.0
    x = y = line_x = line_y = 0.0
    unreadable = False
    for operands, op in pikepdf.parse_content_stream(page):
        name = str(op)
        if name == "BT":
            x = y = line_x = line_y = 0.0
        elif name == "Tf":
            font = fonts.get(str(operands[0]))
            size = float(operands[1])
        elif name == "Tz":
            tz = float(operands[0]) / 100
        elif name == "TL":
            leading = float(operands[0])
        elif name == "Tm":
            line_x = x = float(operands[4])
            line_y = y = float(operands[5])
        elif name in ("Td", "TD"):
            if name == "TD":
                leading = -float(operands[1])
            line_x += float(operands[0])
            line_y += float(operands[1])
            x, y = line_x, line_y
        elif name in ("T*", "'", '"'):
            line_y -= leading
            x, y = line_x, line_y
        if name in ("Tj", "'", '"', "TJ"):
            if font is None:
                continue
            if not font.readable:
                unreadable = True
                continue
            items = operands[-1] if name == "TJ" else [operands[-1]]
            text = "".join(font.decode(bytes(s)) for s in items if isinstance(s, pikepdf.String))
            if not text:
                continue
            width = tz * size * len(text) * (1.0 if font.two_bytes else 0.5)
            runs.append(_Run(text, x, y, size, width))
            x += width
    if unreadable and not runs:
        return None
    return runs


def _lines(runs: list[_Run], page_w: float, page_h: float, px_w: int, px_h: int) -> list[OcrLine]:
    kx, ky = px_w / page_w if page_w else 1.0, px_h / page_h if page_h else 1.0
    lines: list[OcrLine] = []
    current: list[_Run] = []

    def close() -> None:
        if not current:
            return
        text = "".join(r.text for r in current)
        if text.strip():
            x0 = min(r.x for r in current)
            x1 = max(r.x + r.width for r in current)
            top = max(r.y + r.size for r in current)
            bottom = min(r.y - 0.2 * r.size for r in current)
            lines.append(OcrLine(text, (round(x0 * kx), round((page_h - top) * ky), round(x1 * kx),
                                        round((page_h - bottom) * ky)), 1.0))
        current.clear()

    for run in runs:
        if current and abs(run.y - current[-1].y) > 0.3 * max(run.size, current[-1].size):
            close()
        current.append(run)
    close()
    return lines


def text_layer(path: Path, sizes: list[tuple[int, int]]) -> list[list[OcrLine] | None]:
    """Per page of the PDF at ``path``: its text lines (boxes in pixels of the page image, whose
    size ``sizes`` gives per page), or None where the page has no readable text layer."""
    out: list[list[OcrLine] | None] = []
    known: dict[tuple[int, int], _Font] = {}
    with pikepdf.open(path) as pdf:
        for i, page in enumerate(pdf.pages):
            runs = _runs(page, known)
            if not runs:
                out.append(None)
                continue
            box = [float(v) for v in page.mediabox]
            w, h = box[2] - box[0], box[3] - box[1]
            px = sizes[i] if i < len(sizes) else (round(w), round(h))
            lines = _lines(runs, w, h, px[0], px[1])
            out.append(lines or None)
    return out
