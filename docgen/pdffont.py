"""The CJK font embedded (subset) in the PDFs reportlab draws.

reportlab embeds TrueType (glyf) outlines only; the Noto CJK collections on Debian are CFF
("postscript outlines are not supported"). Order of preference:

1. ``HANDOVER_PDF_FONT`` (a .ttf/.ttc path, optional ``#index``) — e.g. a bureau's licensed 仿宋;
2. a TrueType conversion of Noto Serif CJK SC (宋体 look), if it has been built once with
   ``python -m docgen.pdffont`` (~1–4 minutes, 31 MB, cached under
   ``~/.cache/handover/``; the SC face of the .ttc is picked by name — index 0 is JP). It is never
   built implicitly, so a document run never stalls on it;
3. AR PL KaitiM GB (Debian ``fonts-arphic-gkai00mp``, installed by ``make install``): GB 2312
   coverage, the 仿宋 stand-in of DOMAIN.md §7.2.

Characters the chosen face lacks are drawn with the next available face (``font_for``). Rare
name characters outside GB 2312 (堃, 喆, 玥, 䶮, 𬌗 …) are covered by ``cover(text)``: the few
glyphs a document run needs are taken from Noto Serif CJK SC and converted on the spot (a
fraction of a second, cached by character set), or, for characters of the CJK extensions Noto lacks
(𬱖 …), from 花園明朝 (``fonts-hanazono``), so no retiree's name is left blank in a PDF.
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass, replace
from functools import lru_cache, partial
from pathlib import Path
from typing import Callable

from reportlab.pdfbase import pdfmetrics, ttfonts
from reportlab.pdfbase.ttfonts import TTFont

from handover.config import settings
from handover.errors import Unavailable

NOTO_SERIF = Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc")
KAI = Path("/usr/share/fonts/truetype/arphic-gkai00mp/gkai00mp.ttf")
HANAZONO = tuple(Path(f"/usr/share/fonts/truetype/hanazono/HanaMin{x}.ttf") for x in "AB")
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "handover"


class FontError(Unavailable):
    pass


def _to_unicode_cmap(fontname: str, subset: list[int]) -> str:
    """reportlab's ToUnicode CMap with each destination in UTF-16BE, as the PDF reference requires.

    reportlab writes ``<%04X>`` of the code point, so a character beyond the BMP (𬱖 U+2C456, the
    rare name characters the fallback face draws) becomes five hex digits and copies out as another
    character; a surrogate pair (``<D871DC56>``) copies out as itself."""
    return "\n".join([
        "/CIDInit /ProcSet findresource begin", "12 dict begin", "begincmap", "/CIDSystemInfo",
        f"<< /Registry ({fontname})", f"/Ordering ({fontname})", "/Supplement 0", ">> def",
        f"/CMapName /{fontname} def", "/CMapType 2 def",
        "1 begincodespacerange", f"<00> <{len(subset) - 1:02X}>", "endcodespacerange",
        f"{len(subset)} beginbfchar",
        *(f"<{i:02X}> <{chr(v).encode('utf-16-be').hex().upper()}>" for i, v in enumerate(subset)),
        "endbfchar", "endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"])


# reportlab looks the function up by its module name when it writes a font subset.
ttfonts.makeToUnicodeCMap = _to_unicode_cmap


@dataclass(frozen=True)
class PdfFonts:
    main: str  # registered reportlab font name
    fallbacks: tuple[str, ...]
    label: str  # human-readable family name

    def covers(self, name: str, ch: str) -> bool:
        return ord(ch) in pdfmetrics.getFont(name).face.charToGlyph

    def missing(self, text: str) -> set[str]:
        """Characters of ``text`` no embedded face can draw (rare name characters in a GB 2312 face)."""
        return {ch for ch in set(text) if not ch.isspace() and ch not in "☐☑"
                and not any(self.covers(f, ch) for f in (self.main, *self.fallbacks))}

    def font_for(self, ch: str) -> str:
        if self.covers(self.main, ch):
            return self.main
        for fb in self.fallbacks:
            if self.covers(fb, ch):
                return fb
        return self.main


def _register(name: str, path: Path, index: int = 0) -> str:
    if name not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(name, str(path), subfontIndex=index))
    return name


def noto_cache() -> Path:
    return CACHE / "NotoSerifCJKsc-Regular-glyf.ttf"


def _noto_sc_face():
    """The Simplified Chinese face of the Noto Serif CJK collection (index 0 is Japanese)."""
    from fontTools.ttLib import TTCollection

    if not NOTO_SERIF.is_file():
        return None
    return next((f for f in TTCollection(str(NOTO_SERIF), lazy=True).fonts if "SC" in f["name"].getDebugName(1)),
                None)


def _to_truetype(face) -> None:
    """Replace the face's CFF outlines by quadratic glyf outlines, which reportlab can embed."""
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import newTable

    glyph_order = face.getGlyphOrder()
    glyph_set = face.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = glyph_order
    glyf.glyphs = {}
    for gname in glyph_order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[gname].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
        glyf.glyphs[gname] = pen.glyph()
    face["glyf"] = glyf
    face["loca"] = newTable("loca")
    maxp = face["maxp"]
    maxp.tableVersion = 0x00010000
    for attr in ("maxZones", "maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs",
                 "maxStackElements", "maxSizeOfInstructions", "maxComponentElements"):
        setattr(maxp, attr, 0 if attr != "maxZones" else 1)
    maxp.maxComponentDepth = 0
    for attr in ("maxPoints", "maxContours", "maxCompositePoints", "maxCompositeContours"):
        setattr(maxp, attr, 0)
    face["head"].glyphDataFormat = 0
    del face["CFF "]
    if "VORG" in face:
        del face["VORG"]
    face.sfntVersion = "\x00\x01\x00\x00"


def _save(face, target: Path) -> Path:
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    face.save(str(tmp))
    tmp.replace(target)  # atomic: concurrent runs never read half a font
    return target


def _noto_sc_truetype(build: bool = False) -> Path | None:
    """Noto Serif CJK SC converted to TrueType outlines (cached; built only when asked)."""
    target = noto_cache()
    if target.is_file():
        return target
    if not build:
        return None
    face = _noto_sc_face()
    if face is None:
        return None
    _to_truetype(face)
    return _save(face, target)


def _noto_glyphs(chars: str) -> Path | None:
    """A small TrueType font holding just ``chars`` from Noto Serif CJK SC (cached by character set)."""
    from fontTools import subset

    digest = hashlib.sha1(("v2:" + "".join(sorted(chars))).encode()).hexdigest()[:16]  # v2: own PostScript name
    target = CACHE / f"noto-sc-{digest}.ttf"
    if target.is_file():
        return target
    face = _noto_sc_face()
    if face is None or not any(ord(c) in face.getBestCmap() for c in chars):
        return None
    options = subset.Options()
    options.layout_features = []
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.desubroutinize = True
    sub = subset.Subsetter(options)
    sub.populate(text=chars)
    sub.subset(face)
    _to_truetype(face)
    # reportlab keeps one font object per PostScript name: each subset needs a name of its own.
    for record in face["name"].names:
        if record.nameID == 6:
            record.string = f"NotoSerifCJKsc-{digest}"
    return _save(face, target)


def _hanazono_glyphs(path: Path, chars: str) -> Path | None:
    """A small font holding those of ``chars`` that a 花園明朝 face (TrueType already) has."""
    from fontTools import subset
    from fontTools.ttLib import TTFont as FtFont

    digest = hashlib.sha1("".join(sorted(chars)).encode()).hexdigest()[:16]
    target = CACHE / f"{path.stem.lower()}-{digest}.ttf"
    if target.is_file():
        return target
    face = FtFont(str(path), lazy=True)
    have = [c for c in chars if ord(c) in face.getBestCmap()]
    if not have:
        return None
    options = subset.Options()
    options.layout_features = []
    options.name_IDs = ["*"]
    options.notdef_outline = True
    sub = subset.Subsetter(options)
    sub.populate(text="".join(have))
    sub.subset(face)
    for record in face["name"].names:
        if record.nameID == 6:
            record.string = f"{path.stem}-{digest}"
    return _save(face, target)


def _glyph_sources() -> list[tuple[str, Callable[[str], Path | None]]]:
    """Where cover() takes a rare character from, in order: Noto Serif CJK SC (the look of the
    documents' own face), then 花園明朝 A and B (Debian ``fonts-hanazono``: CJK extensions B–F,
    where name characters such as 𬱖 U+2C456 live that Noto lacks)."""
    sources: list[tuple[str, Callable[[str], Path | None]]] = []
    if settings().pdf_noto:
        sources.append(("NotoSC", _noto_glyphs))
    sources += [(p.stem, partial(_hanazono_glyphs, p)) for p in HANAZONO if p.is_file()]
    return sources


# The extra faces cover() made, one per source: each holds every rare character this process has
# needed from it so far, so a long-running server keeps a few small fallbacks rather than one per
# document run.
_EXTRA: dict[str, str] = {}
_COVERED: dict[str, set[str]] = {}
_LOCK = threading.Lock()


def cover(text: str) -> PdfFonts:
    """Make every character of ``text`` drawable if any installed face has it; the fonts to use."""
    if not pdf_fonts().missing(text):
        return pdf_fonts()
    with _LOCK:
        for source, make in _glyph_sources():
            lacking = pdf_fonts().missing(text)
            if not lacking:
                break
            covered = _COVERED.setdefault(source, set())
            path = make("".join(sorted(covered | lacking)))
            if path is not None:
                _EXTRA[source] = _register(f"{source}-{path.stem.rsplit('-', 1)[-1]}", path)
                covered.update(lacking)
    return pdf_fonts()


def pdf_fonts() -> PdfFonts:
    base = _base_fonts()
    return replace(base, fallbacks=base.fallbacks + tuple(_EXTRA.values())) if _EXTRA else base


@lru_cache(maxsize=1)
def _base_fonts() -> PdfFonts:
    names: list[tuple[str, str]] = []
    custom = settings().pdf_font
    if custom:
        path, _, index = custom.partition("#")
        names.append((_register("HandoverCustom", Path(path), int(index or 0)), Path(path).stem))
    noto = _noto_sc_truetype() if settings().pdf_noto else None
    if noto:
        names.append((_register("NotoSerifSC", noto), "Noto Serif CJK SC"))
    if KAI.is_file():
        names.append((_register("ARPLKaitiMGB", KAI), "AR PL KaitiM GB"))
    if not names:
        raise FontError("未找到可嵌入PDF的中文字体：请安装 fonts-arphic-gkai00mp（make install）")
    return PdfFonts(main=names[0][0], fallbacks=tuple(n for n, _ in names[1:]), label=names[0][1])


def main() -> None:
    """Build the Noto Serif CJK SC TrueType cache for the PDF renderer."""
    path = _noto_sc_truetype(build=True)
    if path is None:
        raise SystemExit("无法生成：需要 fonts-noto-cjk（make install）")
    print(path)


if __name__ == "__main__":
    main()
