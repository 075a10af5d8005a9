"""What makes the volume PDF a PDF/A-2b file (ISO 19005-2, level B), and the font of its stamp.

PDF/A-2b asks for: every rendered font embedded (the invisible OCR layer, text render mode 3,
is not rendered), an OutputIntent with an ICC profile for the device colour spaces the page
images use, XMP metadata that names the part and conformance and agrees with the document
information dictionary, a file identifier, and no encryption. The page images are embedded
as they are (JPEG, DeviceGray or DeviceRGB), so an sRGB output intent covers them.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from functools import lru_cache
from pathlib import Path

import pikepdf
from pikepdf.models.metadata import encode_pdf_date

from handover.errors import Unavailable

# fonts-dejavu-core (Makefile). Only the characters of page-number stamps are embedded.
STAMP_TTF = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
STAMP_CHARS = "0123456789-"
FIRST_CHAR = 32


class PdfaError(Unavailable):
    pass


@lru_cache(maxsize=1)
def srgb_profile() -> bytes:
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def add_output_intent(pdf: pikepdf.Pdf) -> None:
    icc = pdf.make_stream(srgb_profile(), N=3)
    pdf.Root.OutputIntents = [pdf.make_indirect(pikepdf.Dictionary(
        Type=pikepdf.Name.OutputIntent, S=pikepdf.Name.GTS_PDFA1,
        OutputConditionIdentifier=pikepdf.String("sRGB IEC61966-2.1"),
        Info=pikepdf.String("sRGB IEC61966-2.1"), DestOutputProfile=icc))]


@lru_cache(maxsize=1)
def _stamp_subset() -> tuple[bytes, list[int], dict]:
    """The subset font program, widths for FIRST_CHAR…'9' in 1/1000 em, and descriptor metrics."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    logging.getLogger("fontTools.subset").setLevel(logging.ERROR)  # "FFTM NOT subset" is noise
    if not STAMP_TTF.exists():
        raise PdfaError(f"缺少页码字体 {STAMP_TTF}（请安装 fonts-dejavu-core）")
    options = subset.Options()
    options.notdef_outline = True
    options.name_IDs = ["*"]
    options.layout_features = []
    font = TTFont(STAMP_TTF)
    sub = subset.Subsetter(options)
    sub.populate(text=STAMP_CHARS + " ")
    sub.subset(font)
    buf = io.BytesIO()
    font.save(buf)
    scale = 1000 / font["head"].unitsPerEm
    cmap = font.getBestCmap()
    hmtx = font["hmtx"]
    widths = [round(hmtx[cmap[c]][0] * scale) if c in cmap else 0 for c in range(FIRST_CHAR, ord("9") + 1)]
    head, os2 = font["head"], font["OS/2"]
    metrics = {"FontBBox": [round(v * scale) for v in (head.xMin, head.yMin, head.xMax, head.yMax)],
               "Ascent": round(font["hhea"].ascent * scale), "Descent": round(font["hhea"].descent * scale),
               "CapHeight": round(getattr(os2, "sCapHeight", 0) * scale) or 729}
    return buf.getvalue(), widths, metrics


def stamp_font(pdf: pikepdf.Pdf) -> pikepdf.Object:
    """A simple TrueType font (WinAnsi, non-symbolic) embedded as a subset: digits and '-'."""
    program, widths, m = _stamp_subset()
    descriptor = pikepdf.Dictionary(
        Type=pikepdf.Name.FontDescriptor, FontName=pikepdf.Name("/HOSTMP+DejaVuSans"), Flags=32,
        FontBBox=m["FontBBox"], ItalicAngle=0, Ascent=m["Ascent"], Descent=m["Descent"],
        CapHeight=m["CapHeight"], StemV=80, FontFile2=pdf.make_stream(program))
    return pdf.make_indirect(pikepdf.Dictionary(
        Type=pikepdf.Name.Font, Subtype=pikepdf.Name.TrueType, BaseFont=pikepdf.Name("/HOSTMP+DejaVuSans"),
        FirstChar=FIRST_CHAR, LastChar=FIRST_CHAR + len(widths) - 1, Widths=widths,
        Encoding=pikepdf.Name.WinAnsiEncoding, FontDescriptor=pdf.make_indirect(descriptor)))


def write_metadata(pdf: pikepdf.Pdf, title: str, subject: str, keywords: str, pdfa: bool,
                   now: dt.datetime | None = None) -> None:
    """Document information and XMP, kept in agreement (PDF/A requires it; readers show either)."""
    stamp = encode_pdf_date(now or dt.datetime.now(dt.timezone.utc))
    info = pdf.docinfo
    info[pikepdf.Name.Title] = pikepdf.String(title)
    info[pikepdf.Name.Subject] = pikepdf.String(subject)
    if keywords:
        info[pikepdf.Name.Keywords] = pikepdf.String(keywords)
    info[pikepdf.Name.Creator] = pikepdf.String("handover ocr")
    info[pikepdf.Name.CreationDate] = pikepdf.String(stamp)
    info[pikepdf.Name.ModDate] = pikepdf.String(stamp)
    with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
        meta.load_from_docinfo(info)
        if pdfa:
            meta["pdfaid:part"] = "2"
            meta["pdfaid:conformance"] = "B"
