"""Scoring material boundaries against ground truth (pure).

A material's first image that starts a 卷内目录 row is a hit; one that does not is a miss (the
material was merged into the one before it); a row that starts on an image inside a material but
not at its first image is a false start (a material cut in two). Rows starting on an image that
belongs to no material of the truth (an illegible sheet slipped in) count neither way.

``score_boundaries(truth, ocr, contents)`` takes the generator's ``<id>.json`` as read from disk,
and the volume's ``ocr.json`` and ``contents.json`` as ``handover.volume_folder`` reads them.
``resplit(ocr)`` runs today's boundary rule again on stored OCR output, without OCR.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from handover import volume_folder

from . import materials
from .records import OcrLine

UNREADABLE_CHARS = 5  # as ocr.pipeline: fewer characters on a non-blank page is unreadable
UNREADABLE_CONFIDENCE = 0.6


@dataclass(frozen=True)
class BoundaryScore(Mapping):
    """Counts (a mapping of hit / miss / false, so a ``Counter`` can sum them) and the images."""

    hit: int
    miss: int
    false: int
    misses: tuple[int, ...] = ()  # first images of materials that start no row
    false_starts: tuple[int, ...] = ()  # images that start a row inside a material

    @property
    def recall(self) -> float:
        return self.hit / (self.hit + self.miss) if self.hit + self.miss else 1.0

    @property
    def precision(self) -> float:
        return self.hit / (self.hit + self.false) if self.hit + self.false else 1.0

    def __getitem__(self, key: str) -> int:
        if key not in ("hit", "miss", "false"):
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self) -> Iterator[str]:
        return iter(("hit", "miss", "false"))

    def __len__(self) -> int:
        return 3


def score(truth_materials: Iterable[dict], starts: Iterable[int]) -> BoundaryScore:
    """Truth materials (``first_index``, ``last_index``) against the images that start a row."""
    mats = list(truth_materials)
    firsts = {m["first_index"] for m in mats}
    inside = {i for m in mats for i in range(m["first_index"], m["last_index"] + 1)}
    found = set(starts)
    misses = tuple(sorted(firsts - found))
    false = tuple(sorted(i for i in found - firsts if i in inside))
    return BoundaryScore(len(firsts) - len(misses), len(misses), len(false), misses, false)


def row_starts(ocr_pages: Iterable[volume_folder.Page], rows: Iterable[volume_folder.ContentsRow]) -> list[int]:
    """The image each 卷内目录 row starts on: rows take the counted pages in order, ``pages`` each.

    Works for numbering per volume and per material alike (rows follow the page order).
    """
    counted = [p.index for p in sorted(ocr_pages, key=lambda p: p.index) if p.page_no is not None]
    out, pos = [], 0
    for r in rows:
        n = r.pages
        if n > 0 and pos < len(counted):
            out.append(counted[pos])
        pos += max(0, n)
    return out


def score_boundaries(truth: dict, ocr: volume_folder.OcrFile, contents: volume_folder.ContentsFile) -> BoundaryScore:
    return score(truth["materials"], row_starts(ocr.pages, contents.rows))


def page_infos(ocr: volume_folder.OcrFile) -> list[materials.PageInfo]:
    """``PageInfo`` of every page of a stored ``ocr.json``, as ``ocr.pipeline.assemble`` builds them."""
    out = []
    for p in sorted(ocr.pages, key=lambda p: p.index):
        lines = () if p.blank else tuple(OcrLine(l.text, l.box, l.confidence) for l in p.lines)
        readable = p.blank or (len(p.text.replace("\n", "")) >= UNREADABLE_CHARS
                               and p.confidence >= UNREADABLE_CONFIDENCE)
        heading = materials.heading(list(lines), p.height, p.width) if lines else ""
        out.append(materials.PageInfo(p.index, heading, p.text, p.page_no is not None, p.page_no,
                                      lines, p.width, p.height, readable))
    return out


def resplit(ocr: volume_folder.OcrFile) -> list[int]:
    """Images that open a material under the current rule, from stored OCR output."""
    infos = page_infos(ocr)
    return [infos[i].index for i in materials.material_starts(infos)]
