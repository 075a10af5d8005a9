"""CJK fonts installed by the Makefile (fonts-noto-cjk, fonts-arphic-gkai00mp).

Noto CJK ships as collections whose face 0 is Japanese; the Simplified Chinese face is looked up
by name rather than trusted to a fixed index.
"""

from __future__ import annotations

from functools import lru_cache

from PIL import ImageFont

SERIF = "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"
SERIF_BOLD = "/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc"
SANS = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
KAI = "/usr/share/fonts/truetype/arphic-gkai00mp/gkai00mp.ttf"  # handwriting-like 楷体


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


@lru_cache(maxsize=None)
def font(kind: str, size: int) -> ImageFont.FreeTypeFont:
    path = {"serif": SERIF, "bold": SERIF_BOLD, "sans": SANS, "kai": KAI}[kind]
    index = 0 if path == KAI else _sc_index(path)
    return ImageFont.truetype(path, size, index=index)
