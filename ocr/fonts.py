"""Fonts of the sample generator: CJK faces installed by the Makefile (fonts-noto-cjk,
fonts-arphic-gkai00mp) and the handwriting faces of ``ocr.handfonts`` (kind ``"hand:<face>"``).

Noto CJK ships as collections whose face 0 is Japanese; the Simplified Chinese face is looked up
by name rather than trusted to a fixed index.

Missing glyphs are substituted per character, never refused: ``glyph_kind`` gives the kind that
draws a character — the requested face if its cmap has it, else the Kai face, else Noto Sans.
The one character no installed face has, the zero 〇 (U+3007) of dates written in Chinese, is drawn
as a ring by ``ocr.scan_render`` (``RING``, ``ring_box``); that is how it looks in a handwritten
file. (Before, the Kai files drew nothing there while their truth said 〇.)
"""

from __future__ import annotations

from functools import lru_cache

from PIL import ImageFont

SERIF = "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"
SERIF_BOLD = "/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc"
SANS = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
KAI = "/usr/share/fonts/truetype/arphic-gkai00mp/gkai00mp.ttf"  # handwriting-like 楷体
RING = "〇"  # drawn, not typeset (see the module docstring)
_PATHS = {"serif": SERIF, "bold": SERIF_BOLD, "sans": SANS, "kai": KAI}


@lru_cache(maxsize=None)
def _sc_index(path: str) -> int:
    for i in range(10):
        try:
            family, _ = ImageFont.truetype(path, 10, index=i).getname()
        except OSError:
            break
        if family.endswith("CJK SC"):
            return i
    return 0


def path_of(kind: str) -> str:
    """File of a font kind; a ``hand:<face>`` that is not installed raises ``HandFontMissing``."""
    if kind.startswith("hand:"):
        from . import handfonts

        return str(handfonts.path(kind[5:]))
    return _PATHS[kind]


@lru_cache(maxsize=None)
def font(kind: str, size: int) -> ImageFont.FreeTypeFont:
    path = path_of(kind)
    index = _sc_index(path) if path.endswith(".ttc") else 0
    return ImageFont.truetype(path, size, index=index)


@lru_cache(maxsize=None)
def charset(kind: str) -> frozenset[int]:
    """Code points the face of ``kind`` has a glyph for."""
    from fontTools.ttLib import TTFont

    path = path_of(kind)
    index = _sc_index(path) if path.endswith(".ttc") else 0
    with TTFont(path, fontNumber=index, lazy=True) as f:
        return frozenset(f.getBestCmap())


def covers(kind: str, ch: str) -> bool:
    return ch.isspace() or ord(ch) in charset(kind)


def glyph_kind(kind: str, ch: str) -> str | None:
    """The kind that draws ``ch`` for text of ``kind``; None for the drawn ring."""
    if ch == RING:
        return None
    for k in (kind, "kai", "sans"):
        if covers(k, ch):
            return k
    return "sans"


def length(kind: str, size: int, s: str) -> float:
    """Advance width of ``s`` as drawn, substitutions included."""
    if all(covers(kind, ch) for ch in s):
        return font(kind, size).getlength(s)
    return sum(font(glyph_kind(kind, ch) or kind, size).getlength(ch) if ch != RING else ring_width(size)
               for ch in s)


def ring_box(kind: str, size: int) -> tuple[float, float, float, float]:
    """Where the drawn 〇 goes, relative to the drawing origin: a round ring in the box of the
    face's 国, as wide as the characters around it."""
    k = kind if covers(kind, "国") else "kai"
    x0, y0, x1, y1 = font(k, size).getbbox("国")
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    r = min(x1 - x0, y1 - y0) * 0.43
    return (cx - r, cy - r * 0.95, cx + r, cy + r * 0.95)


def ring_width(size: int) -> float:
    return float(size)  # full width, like every CJK character (and the Kai notdef it replaces)
