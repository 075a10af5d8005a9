"""Stage 6a: the searchable volume PDF, written with pikepdf.

Each page is its JPEG embedded as is (DCTDecode, no re-encoding) with an invisible text layer
(render mode 3) placed at the OCR boxes. The text font is glyphless and maps character codes
1:1 to Unicode, and each line is drawn as one run horizontally scaled to its box, so extractors
see contiguous glyphs and put no spaces between CJK characters (DOMAIN.md §7.3).
With ``pdfa`` the file is also PDF/A-2b (see ``pdfa``).
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pikepdf
from PIL import Image

from . import pdfa as pdfa_parts
from .numbering import page_label_ranges
from .records import OcrLine

GLYPHLESS_TTF = Path("/usr/share/tesseract-ocr/5/tessdata/pdf.ttf")  # ships with tesseract-ocr


@dataclass
class PdfPage:
    jpeg: bytes
    dpi: int
    width: int
    height: int
    lines: list[OcrLine]
    label_no: int | None
    label_prefix: str = ""
    stamp: str | None = None  # visible page number
    stamp_corner: str = "bottom_right"


def _to_unicode_cmap() -> bytes:
    head = (b"/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
            b"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
            b"/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
            b"1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n")
    body = b""
    for start in range(0, 256, 100):
        block = range(start, min(start + 100, 256))
        body += f"{len(block)} beginbfrange\n".encode()
        body += b"".join(f"<{hi:02X}00> <{hi:02X}FF> <{hi:02X}00>\n".encode() for hi in block)
        body += b"endbfrange\n"
    tail = b"endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n"
    return head + body + tail


def _text_font(pdf: pikepdf.Pdf) -> pikepdf.Object:
    cid_to_gid = pdf.make_stream(zlib.compress(b"\x00\x01" * 65536), Filter=pikepdf.Name.FlateDecode)
    descriptor = pikepdf.Dictionary(Type=pikepdf.Name.FontDescriptor, FontName=pikepdf.Name.GlyphLessFont,
                                    Flags=5, FontBBox=[0, 0, 1000, 1000], ItalicAngle=0, Ascent=1000,
                                    Descent=0, CapHeight=1000, StemV=80)
    if GLYPHLESS_TTF.exists():
        descriptor.FontFile2 = pdf.make_stream(GLYPHLESS_TTF.read_bytes())
    cid_font = pikepdf.Dictionary(
        Type=pikepdf.Name.Font, Subtype=pikepdf.Name.CIDFontType2, BaseFont=pikepdf.Name.GlyphLessFont,
        CIDSystemInfo=pikepdf.Dictionary(Registry="Adobe", Ordering="Identity", Supplement=0),
        FontDescriptor=pdf.make_indirect(descriptor), DW=1000, CIDToGIDMap=cid_to_gid)
    return pdf.make_indirect(pikepdf.Dictionary(
        Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type0, BaseFont=pikepdf.Name.GlyphLessFont,
        Encoding=pikepdf.Name("/Identity-H"), DescendantFonts=[pdf.make_indirect(cid_font)],
        ToUnicode=pdf.make_stream(_to_unicode_cmap())))


def _hex(text: str) -> str:
    # Characters outside the Basic Multilingual Plane have no 2-byte code in this font.
    return "".join(f"{ord(c):04X}" if ord(c) <= 0xFFFF else "FFFD" for c in text)


def _text_ops(lines: Sequence[OcrLine], scale: float, page_h: float) -> str:
    ops = ["BT", "3 Tr"]
    for line in lines:
        text = "".join(c for c in line.text if c.isprintable())
        if not text:
            continue
        x0, y0, x1, y1 = line.box
        size = max(1.0, (y1 - y0) * scale * 0.85)
        width = max(1.0, (x1 - x0) * scale)
        tz = 100.0 * width / (size * len(text))
        base = page_h - y1 * scale + (y1 - y0) * scale * 0.15
        ops.append(f"/Ft {size:.2f} Tf {tz:.2f} Tz 1 0 0 1 {x0 * scale:.2f} {base:.2f} Tm <{_hex(text)}> Tj")
    ops.append("ET")
    return "\n".join(ops)


def _stamp_ops(page: PdfPage, w: float, h: float) -> str:
    if not page.stamp:
        return ""
    size = 12
    x = w - 48 if page.stamp_corner.endswith("right") else 36
    y = h - 36 if page.stamp_corner.startswith("top") else 24
    return f"q BT 0 0 0 rg /Fs {size} Tf 1 0 0 1 {x:.1f} {y:.1f} Tm ({page.stamp}) Tj ET Q"


def _image(pdf: pikepdf.Pdf, jpeg: bytes) -> tuple[pikepdf.Object, int, int]:
    with Image.open(io.BytesIO(jpeg)) as im:
        mode, (w, h) = im.mode, im.size
    if mode not in ("L", "RGB"):  # e.g. CMYK: convert rather than embed inverted colours
        buf = io.BytesIO()
        Image.open(io.BytesIO(jpeg)).convert("RGB").save(buf, "JPEG", quality=92)
        jpeg, mode = buf.getvalue(), "RGB"
    stream = pdf.make_stream(jpeg, Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Image, Width=w, Height=h,
                             ColorSpace=pikepdf.Name.DeviceGray if mode == "L" else pikepdf.Name.DeviceRGB,
                             BitsPerComponent=8, Filter=pikepdf.Name.DCTDecode)
    return stream, w, h


def write_pdf(path: Path, pages: Sequence[PdfPage], title: str, subject: str, keywords: str = "",
              pdfa: bool = False) -> None:
    pdf = pikepdf.new()
    font = _text_font(pdf)
    stamp_font = pdfa_parts.stamp_font(pdf) if any(p.stamp for p in pages) else None
    for p in pages:
        img, w_px, h_px = _image(pdf, p.jpeg)
        scale = 72.0 / p.dpi
        w, h = w_px * scale, h_px * scale
        content = f"q {w:.3f} 0 0 {h:.3f} 0 0 cm /Im0 Do Q\n" + _text_ops(p.lines, scale, h) + "\n" + _stamp_ops(p, w, h)
        fonts = pikepdf.Dictionary(Ft=font, Fs=stamp_font) if p.stamp else pikepdf.Dictionary(Ft=font)
        page = pikepdf.Page(pikepdf.Dictionary(
            Type=pikepdf.Name.Page, MediaBox=[0, 0, round(w, 3), round(h, 3)],
            Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=img), Font=fonts),
            Contents=pdf.make_stream(content.encode("ascii"))))
        pdf.pages.append(page)
    nums: list = []
    for first, prefix, start in page_label_ranges([p.label_no for p in pages], [p.label_prefix for p in pages]):
        label = pikepdf.Dictionary()
        if start is not None:
            label.S = pikepdf.Name.D
            label.St = start
        if prefix:
            label.P = pikepdf.String(prefix)
        nums += [first, label]
    pdf.Root.PageLabels = pikepdf.Dictionary(Nums=nums)
    pdf.Root.Lang = pikepdf.String("zh-CN")
    if pdfa:
        pdfa_parts.add_output_intent(pdf)
    pdfa_parts.write_metadata(pdf, title, subject, keywords, pdfa)
    pdf.save(path, compress_streams=True, object_stream_mode=pikepdf.ObjectStreamMode.generate,
             min_version="1.7" if pdfa else "")
