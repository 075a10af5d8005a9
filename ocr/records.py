"""Records passed between the stages; the volume files written at the end are
``handover.volume_folder``'s (``ContentsRow`` is its row, ``PageRecord.to_page`` its page)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from handover import volume_folder
from handover.volume_folder import ContentsRow

__all__ = ["CleanPage", "ContentsRow", "Material", "OcrLine", "PageRecord", "PageText", "SourcePage",
           "VolumeResult", "Warning_"]


@dataclass(frozen=True)
class SourcePage:
    """One page as delivered: where it came from, its pixels' encoded form and its resolution."""

    file: str  # file name inside the dossier
    page: int  # 1-based page inside that file
    data: bytes  # encoded image (JPEG, PNG, TIFF…) exactly as found
    fmt: str  # "JPEG", "PNG", "TIFF", …
    dpi: int
    width: int
    height: int
    delivered: str = ""  # storage format of the delivered file ("PDF" for a PDF's pages); ocr.image_rules
    colour_declared: str = ""  # colour mode as the file stores it: 黑白 / 灰度 / 彩色
    colour: str = ""  # colour mode of its pixels (a grey scan stored as colour is 灰度)

    @property
    def label(self) -> str:
        return f"{self.file}#{self.page}"


@dataclass
class Warning_:
    code: str
    page: int | None
    message: str


@dataclass
class OcrLine:
    text: str
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 in pixels of the cleaned page
    confidence: float

    def to_json(self) -> dict:
        return {"text": self.text, "box": list(self.box), "confidence": round(self.confidence, 4)}

    @classmethod
    def from_json(cls, data: dict) -> OcrLine:
        return cls(data["text"], tuple(data["box"]), data["confidence"])


@dataclass
class CleanPage:
    """A page after orientation, deskew and crop; the image lives on disk to keep workers cheap."""

    index: int  # 1-based position in the volume
    source: SourcePage
    image_path: Path  # cleaned page, JPEG
    rotation: int  # degrees clockwise applied to make the page upright
    skew_degrees: float  # skew found (and removed)
    width: int
    height: int
    blank: bool
    reused_original: bool  # the source JPEG was kept byte for byte
    fingerprint: str = ""  # duplicates.image_fingerprint of the cleaned image; "" for blank sides

    def to_json(self) -> dict:
        """Everything but the source bytes and the image path, which travel separately."""
        return {"index": self.index, "rotation": self.rotation, "skew_degrees": self.skew_degrees,
                "width": self.width, "height": self.height, "blank": self.blank,
                "reused_original": self.reused_original, "fingerprint": self.fingerprint}

    @classmethod
    def from_json(cls, data: dict, source: SourcePage, image_path: Path) -> CleanPage:
        # Page results stored before fingerprints existed have none: text comparison still works.
        return cls(data["index"], source, image_path, data["rotation"], data["skew_degrees"], data["width"],
                   data["height"], data["blank"], data["reused_original"], data.get("fingerprint", ""))


@dataclass
class PageText:
    lines: list[OcrLine]
    text: str
    confidence: float
    struck: list[tuple[int, int, int, int]] = field(default_factory=list)  # alterations (ocr.strikes)

    def to_json(self) -> dict:
        return {"text": self.text, "confidence": self.confidence, "lines": [l.to_json() for l in self.lines],
                "struck": [list(b) for b in self.struck]}

    @classmethod
    def from_json(cls, data: dict) -> PageText:
        return cls([OcrLine.from_json(l) for l in data["lines"]], data["text"], data["confidence"],
                   [tuple(b) for b in data.get("struck", ())])


@dataclass
class PageRecord:
    index: int
    source: str
    page_no: int | None
    blank: bool
    duplicate_of: int | None
    rotation: int
    skew_degrees: float
    dpi: int
    width: int
    height: int
    confidence: float
    text: str
    lines: list[OcrLine] = field(default_factory=list)
    struck: list[tuple[int, int, int, int]] = field(default_factory=list)

    def to_page(self) -> volume_folder.Page:
        """The page as ocr.json records it (skew and confidences rounded)."""
        return volume_folder.Page(
            index=self.index, page_no=self.page_no, text=self.text, blank=self.blank,
            duplicate_of=self.duplicate_of, confidence=round(self.confidence, 4), dpi=self.dpi, width=self.width,
            height=self.height, rotation=self.rotation, skew_degrees=round(self.skew_degrees, 2), source=self.source,
            lines=tuple(volume_folder.Line(l.text, tuple(l.box), round(l.confidence, 4))
                        for l in self.lines),
            struck=tuple(tuple(b) for b in self.struck))


@dataclass
class Material:
    """A run of pages forming one document (份) of the file."""

    title: str
    class_code: str  # "一".."十", "四-1".."九-4"
    first_index: int  # 1-based volume positions, inclusive
    last_index: int
    formed_on: dt.date | None
    pages: int  # counted (numbered) pages
    start_page: int | None
    end_page: int | None
    remarks: str = ""


@dataclass
class VolumeResult(volume_folder.PageCounts):
    out_dir: Path
    id_number: str
    name: str | None
    ref_no: str | None
    engine: str
    pages: list[PageRecord]
    contents: list[ContentsRow]
    warnings: list[Warning_]
    created_at: str
