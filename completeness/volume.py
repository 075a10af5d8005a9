"""The records of one digitized volume as the checks see them, and reading them from disk.

The volume directory (``handover.volume_folder``) is written by ``ocr.pipeline.digitize``. The
records below are the checks' input — the folder's own, a page adding what probing its image
found —; the checks never touch files.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from handover import volume_folder
from handover.errors import InputRefused
from handover.volume_folder import ContentsRow as Row
from handover.volume_folder import Line, VolumeWarning

__all__ = ["Line", "Page", "Row", "Volume", "VolumeError", "probe_page", "read_volume", "volume_of"]


class VolumeError(InputRefused):
    """The directory is not a readable volume; ``str(err)`` is a Chinese message."""


@dataclass(frozen=True)
class Page(volume_folder.Page):
    mode: str | None = None  # colour mode of the page image (RGB, L, 1), when probed
    residual_skew: float | None = None  # skew measured on the published page, when probed

    @classmethod
    def of(cls, page: volume_folder.Page) -> Page:
        return cls(**{f.name: getattr(page, f.name) for f in fields(volume_folder.Page)})


@dataclass(frozen=True)
class Volume(volume_folder.PageCounts):
    pages: tuple[Page, ...]
    rows: tuple[Row, ...]
    id_number: str = ""
    name: str | None = None
    ref_no: str | None = None
    engine: str = ""
    warnings: tuple[VolumeWarning, ...] = field(default=())


def volume_of(ocr: volume_folder.OcrFile, contents: volume_folder.ContentsFile,
              info: volume_folder.VolumeInfo) -> Volume:
    return Volume(pages=tuple(sorted((Page.of(p) for p in ocr.pages), key=lambda p: p.index)),
                  rows=contents.rows, id_number=info.id_number, name=info.name, ref_no=info.ref_no,
                  engine=info.engine or ocr.engine, warnings=info.warnings)


def _read(volume_dir: Path, name: str):
    try:
        return volume_folder.read(volume_dir, name)
    except volume_folder.VolumeFormatError as err:
        if err.missing:
            raise VolumeError(f"案卷目录中缺少 {name}，请先完成数字化（OCR）") from None
        raise VolumeError(str(err)) from None


def read_volume(volume_dir: Path, probe: bool = True) -> Volume:
    """Read ocr.json, contents.json and volume.json; with ``probe``, look at the page images too."""
    volume_dir = Path(volume_dir)
    if not volume_dir.is_dir():
        raise VolumeError(f"案卷目录不存在：{volume_dir}")
    vol = volume_of(_read(volume_dir, volume_folder.OCR_JSON), _read(volume_dir, volume_folder.CONTENTS_JSON),
                    _read(volume_dir, volume_folder.VOLUME_JSON))
    if probe:
        vol = replace(vol, pages=tuple(probe_page(volume_dir / volume_folder.PAGES, p) for p in vol.pages))
    return vol


def probe_page(pages_dir: Path, page: Page) -> Page:
    """Colour mode and residual skew of the published page image (a missing image stays unknown)."""
    path = pages_dir / volume_folder.page_image(page.index)
    if not path.is_file():
        candidates = sorted(pages_dir.glob(volume_folder.page_image(page.index, ".*")))
        if not candidates:
            return page
        path = candidates[0]
    from .imaging import colour_mode, residual_skew

    mode = colour_mode(path)
    skew = None if page.blank else residual_skew(path)
    return replace(page, mode=mode, residual_skew=skew)
