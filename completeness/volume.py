"""The records of one digitized volume as the checks see them, and reading them from disk.

The volume directory is written by ``ocr.pipeline.digitize`` (ocr.json, contents.json, volume.json,
pages/NNNN.jpg). The dataclasses below are the checks' input; the checks never touch files.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path

from handover.errors import InputRefused


class VolumeError(InputRefused):
    """The directory is not a readable volume; ``str(err)`` is a Chinese message."""


@dataclass(frozen=True)
class Line:
    text: str
    box: tuple[int, int, int, int]
    confidence: float = 1.0


@dataclass(frozen=True)
class Page:
    index: int  # 1-based image position in the volume
    page_no: int | None  # assigned page number (None: blank side or rescan, not counted)
    text: str = ""
    blank: bool = False
    duplicate_of: int | None = None
    confidence: float = 1.0
    dpi: int = 300
    width: int = 2480
    height: int = 3508
    rotation: int = 0
    skew_degrees: float = 0.0
    source: str = ""
    lines: tuple[Line, ...] = ()
    mode: str | None = None  # colour mode of the page image (RGB, L, 1), when probed
    residual_skew: float | None = None  # skew measured on the published page, when probed

    @property
    def counted(self) -> bool:
        return self.page_no is not None


@dataclass(frozen=True)
class Row:
    """One 卷内目录 row (contents.json)."""

    seq: str
    class_code: str
    title: str
    formed_on: str | None = None
    pages: int = 0
    start_page: int | None = None
    end_page: int | None = None
    remarks: str = ""


@dataclass(frozen=True)
class Volume:
    pages: tuple[Page, ...]
    rows: tuple[Row, ...]
    id_number: str = ""
    name: str | None = None
    ref_no: str | None = None
    engine: str = ""
    warnings: tuple[dict, ...] = field(default=())

    @property
    def content_pages(self) -> int:
        return sum(1 for p in self.pages if p.counted)

    @property
    def blank_pages(self) -> int:
        return sum(1 for p in self.pages if p.blank)

    @property
    def duplicate_pages(self) -> int:
        return sum(1 for p in self.pages if p.duplicate_of is not None)


def page_from_json(d: dict) -> Page:
    lines = tuple(Line(str(l.get("text", "")), tuple(int(v) for v in l.get("box", (0, 0, 0, 0))),
                       float(l.get("confidence", 1.0))) for l in d.get("lines", []))
    return Page(index=int(d["index"]), page_no=d.get("page_no"), text=d.get("text", "") or "",
                blank=bool(d.get("blank", False)), duplicate_of=d.get("duplicate_of"),
                confidence=float(d.get("confidence", 1.0)), dpi=int(d.get("dpi") or 0),
                width=int(d.get("width") or 0), height=int(d.get("height") or 0),
                rotation=int(d.get("rotation") or 0), skew_degrees=float(d.get("skew_degrees") or 0.0),
                source=str(d.get("source", "")), lines=lines)


def row_from_json(d: dict) -> Row:
    return Row(seq=str(d.get("seq", "")), class_code=str(d.get("class_code", "")), title=str(d.get("title", "")),
               formed_on=d.get("formed_on"), pages=int(d.get("pages") or 0), start_page=d.get("start_page"),
               end_page=d.get("end_page"), remarks=str(d.get("remarks", "") or ""))


def volume_from_json(ocr: dict, contents: dict, info: dict | None = None) -> Volume:
    info = info or {}
    return Volume(pages=tuple(sorted((page_from_json(p) for p in ocr.get("pages", [])), key=lambda p: p.index)),
                  rows=tuple(row_from_json(r) for r in contents.get("rows", [])),
                  id_number=str(info.get("id_number") or ""), name=info.get("name"), ref_no=info.get("ref_no"),
                  engine=str(info.get("engine") or ocr.get("engine") or ""),
                  warnings=tuple(info.get("warnings") or ()))


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise VolumeError(f"案卷目录中缺少 {path.name}，请先完成数字化（OCR）") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise VolumeError(f"{path.name} 无法读取（{type(err).__name__}）") from None


def read_volume(volume_dir: Path, probe: bool = True) -> Volume:
    """Read ocr.json, contents.json and volume.json; with ``probe``, look at the page images too."""
    volume_dir = Path(volume_dir)
    if not volume_dir.is_dir():
        raise VolumeError(f"案卷目录不存在：{volume_dir}")
    vol = volume_from_json(_read_json(volume_dir / "ocr.json"), _read_json(volume_dir / "contents.json"),
                           _read_json(volume_dir / "volume.json"))
    if probe:
        vol = replace(vol, pages=tuple(probe_page(volume_dir / "pages", p) for p in vol.pages))
    return vol


def probe_page(pages_dir: Path, page: Page) -> Page:
    """Colour mode and residual skew of the published page image (a missing image stays unknown)."""
    path = pages_dir / f"{page.index:04d}.jpg"
    if not path.is_file():
        candidates = sorted(pages_dir.glob(f"{page.index:04d}.*"))
        if not candidates:
            return page
        path = candidates[0]
    from .imaging import colour_mode, residual_skew

    mode = colour_mode(path)
    skew = None if page.blank else residual_skew(path)
    return replace(page, mode=mode, residual_skew=skew)
