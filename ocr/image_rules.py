"""The image rules of DA/T 31-2017 that intake can check by itself, beyond resolution (``loading``):
colour, and one storage format per batch. Reported, never refused: each finding names the file and
the page, in the dossier's warnings (the intake report) or, across a batch, the ingest report.

What can be checked, and what cannot:

- "Pages with seals, red heads or photographs in colour": a page scanned in grey or bilevel has
  lost its red, so which grey page carried a seal cannot be told from the image. What can be told:
  a page stored as colour whose three channels are the same everywhere was scanned in grey and
  converted (a real colour scan always has some colour noise) — its colour mode declared by the
  file is not its actual one; and a dossier without a single page in actual colour, although
  personnel files carry seals and red heads, was scanned without colour — to be checked against
  the originals.
- "One storage format per batch": the format of each delivered file, read from its first bytes
  (not its name); the files in another format than most of the dossier's pages, or of the batch's
  files, are named with their pages.

Pure except ``file_format``, which reads the first bytes of a file.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

BILEVEL, GREY, COLOUR = "黑白", "灰度", "彩色"
# A pixel counts as coloured above this spread between its channels (0–255): JPEG rounding of a
# grey image stored as colour stays within ±2, a scanner's colour noise on paper does not.
CHROMA = 6
COLOURED_SHARE = 0.001  # below this share of coloured pixels the page holds no colour
THUMB = 512  # the longer side measured: colour is a property of areas, not of single pixels

_MAGIC = ((b"\xff\xd8\xff", "JPEG"), (b"\x89PNG\r\n\x1a\n", "PNG"), (b"II*\x00", "TIFF"), (b"MM\x00*", "TIFF"),
          (b"%PDF", "PDF"), (b"BM", "BMP"))


def format_of(head: bytes, name: str = "") -> str:
    """The storage format of a file from its first bytes; unknown ones by their suffix."""
    for magic, fmt in _MAGIC:
        if head.startswith(magic):
            return fmt
    return Path(name).suffix.lstrip(".").upper() or "未知"


def file_format(path: Path) -> str:
    with open(path, "rb") as fh:
        return format_of(fh.read(8), path.name)


def colour_modes(img: Image.Image) -> tuple[str, str]:
    """(declared, actual) colour mode of a decoded page: declared by how the file stores it, actual
    by what its pixels hold — a colour image whose channels agree everywhere is grey."""
    if img.mode == "1":
        return BILEVEL, BILEVEL
    if img.mode in ("L", "LA", "I", "I;16", "F"):
        return GREY, GREY
    thumb = img
    scale = max(img.size) / THUMB
    if scale > 1:  # before converting: a 35-MP page is not copied whole
        thumb = img.resize((max(1, round(img.width / scale)), max(1, round(img.height / scale))),
                           Image.Resampling.NEAREST)  # no averaging: it would make colour noise vanish
    px = np.asarray(thumb.convert("RGB"), dtype=np.int16)
    spread = px.max(axis=2) - px.min(axis=2)
    coloured = float(np.count_nonzero(spread > CHROMA)) / max(spread.size, 1)
    return COLOUR, COLOUR if coloured >= COLOURED_SHARE else GREY


@dataclass(frozen=True)
class PageFacts:
    index: int  # 1-based position in the dossier
    file: str
    page: int  # 1-based page inside the file
    delivered: str  # storage format of the file
    declared: str  # colour mode as stored
    actual: str  # colour mode of the pixels


@dataclass(frozen=True)
class Finding:
    code: str
    index: int  # the dossier page it is reported at
    message: str


def _where(file: str, pages: list[int]) -> str:
    if len(pages) == 1:
        return f"文件“{file}”第{pages[0]}页"
    return f"文件“{file}”第{pages[0]}–{pages[-1]}页（{len(pages)}页）"


def _majority(counts: Counter) -> str:
    return max(counts, key=lambda k: counts[k])  # Counter keeps first-seen order: ties go to the first


def dossier_findings(pages: list[PageFacts]) -> list[Finding]:
    """The dossier's pages against the colour and format rules (see the module docstring)."""
    out: list[Finding] = []
    formats = Counter(p.delivered for p in pages)
    if len(formats) > 1:
        major = _majority(formats)
        by_file: dict[str, list[PageFacts]] = {}
        for p in pages:
            if p.delivered != major:
                by_file.setdefault(p.file, []).append(p)
        for file, ps in by_file.items():
            out.append(Finding("mixed_format", ps[0].index,
                               f"{_where(file, [p.page for p in ps])}为{ps[0].delivered}格式，本卷其余"
                               f"{formats[major]}页为{major}格式：同一批次应采用同一种存储格式（DA/T 31）"))
    for p in pages:
        if p.declared == COLOUR and p.actual != COLOUR:
            out.append(Finding("grey_as_colour", p.index,
                               f"{_where(p.file, [p.page])}以彩色存储，但各颜色通道几乎相同，疑为灰度扫描后转成彩色："
                               "原件上如有红头、印章、照片，已失去颜色，这类页面须彩色扫描"))
    if pages and not any(p.actual == COLOUR for p in pages):
        modes = "、".join(sorted({p.actual for p in pages}))
        out.append(Finding("no_colour", pages[0].index,
                           f"本卷全部{len(pages)}页均为{modes}图像，没有彩色页：含印章、红头、照片的页面须彩色扫描"
                           "（DA/T 31）；灰度、黑白图像中已看不出红色，无法判断哪些页原有印章，请对照原件核查"))
    return out


def batch_findings(files: Iterable[tuple[str, str, str]]) -> list[str]:
    """``files``: (entry, file name, format) of every file of a batch. The files in another format
    than most of the batch's, named with their entry."""
    files = list(files)
    formats = Counter(fmt for _, _, fmt in files)
    if len(formats) < 2:
        return []
    major = _majority(formats)
    return [f"“{entry}/{name}”为{fmt}格式，本批次其余{formats[major]}个文件为{major}格式："
            "同一批次应采用同一种存储格式（DA/T 31）" for entry, name, fmt in files if fmt != major]
