"""Reading and checking a volume folder (``handover.volume_folder``) before anything is stored.

What may be published: volume.pdf, pages/…, originals/…, ocr.json, contents.json, volume.json, and
check.json when the volume was checked; a check that rejected the volume stops it here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from handover import idnumber, volume_folder
from handover.errors import InputRefused
from handover.volume_folder import Page

from .numbering import page_image_name
from .storage.base import sha256_file

REQUIRED = (volume_folder.VOLUME_PDF, *volume_folder.RECORDS)
OPTIONAL = (volume_folder.CHECK_JSON,)


class VolumeSourceError(InputRefused):
    """The folder cannot be published; ``str(err)`` is a Chinese message."""


@dataclass(frozen=True)
class SourceFile:
    rel: str  # path inside the volume folder ("pages/0001.jpg")
    path: Path
    sha256: str
    size: int

    def stored_key(self, ref_no: str) -> str:
        """Key relative to the volume's storage folder; page images are renamed 档号-流水号."""
        if self.rel.startswith("pages/"):
            stem = Path(self.rel).stem
            if stem.isdigit():
                return "pages/" + page_image_name(ref_no, int(stem), Path(self.rel).suffix.lower())
        return self.rel


@dataclass(frozen=True)
class ContentsRow:
    """A contents.json row as the catalog stores it: the formation date as a date."""

    seq: str
    class_code: str
    title: str
    formed_on: dt.date | None
    pages: int
    start_page: int | None
    end_page: int | None
    remarks: str

    @classmethod
    def of(cls, row: volume_folder.ContentsRow) -> ContentsRow:
        return cls(row.seq, row.class_code, row.title, row.formed_date, row.pages, row.start_page, row.end_page,
                   row.remarks)


@dataclass(frozen=True)
class VolumeSource:
    root: Path
    files: tuple[SourceFile, ...]
    originals_sha256: str
    id_number: str
    name: str
    engine: str
    content_pages: int
    blank_pages: int
    pages: tuple[Page, ...]
    contents: tuple[ContentsRow, ...]
    check_outcome: str
    meta: dict  # volume.json as read (current version)
    warnings: tuple[str, ...] = field(default=())


def _load(root: Path, name: str):
    try:
        return volume_folder.read(root, name)
    except volume_folder.VolumeFormatError as err:
        raise VolumeSourceError(str(err)) from None


def originals_digest(files: list[SourceFile] | tuple[SourceFile, ...]) -> str:
    """One digest over the originals (path and SHA-256 of each): the idempotency key."""
    lines = sorted(f"{f.sha256}  {f.rel}\n" for f in files if f.rel.startswith("originals/"))
    return hashlib.sha256("".join(lines).encode("utf-8")).hexdigest()


def read_volume(root: Path) -> VolumeSource:
    root = Path(root)
    if not root.is_dir():
        raise VolumeSourceError(f"卷目录不存在：{root}")
    missing = [name for name in REQUIRED if not (root / name).is_file()]
    if missing:
        raise VolumeSourceError(f"卷目录缺少文件：{'、'.join(missing)}")
    warnings: list[str] = []
    files: list[SourceFile] = []
    for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink()):
        rel = path.relative_to(root).as_posix()
        top = rel.split("/")[0]
        if rel in REQUIRED or rel in OPTIONAL or top in ("pages", "originals"):
            digest, size = sha256_file(path)
            files.append(SourceFile(rel, path, digest, size))
        elif rel != "manifest.json":
            warnings.append(f"忽略卷目录中的未知文件：{rel}")
    if not any(f.rel.startswith("originals/") for f in files):
        raise VolumeSourceError("卷目录缺少原始文件（originals/）")

    info: volume_folder.VolumeInfo = _load(root, volume_folder.VOLUME_JSON)
    try:
        id_number = idnumber.parse(info.id_number).number
    except idnumber.IdNumberError as err:
        raise VolumeSourceError(f"volume.json 中的身份证号码无效：{err}") from None

    ocr: volume_folder.OcrFile = _load(root, volume_folder.OCR_JSON)
    pages = ocr.pages
    if len({p.index for p in pages}) != len(pages):
        raise VolumeSourceError("ocr.json 中页面序号重复")
    contents = [ContentsRow.of(r) for r in _load(root, volume_folder.CONTENTS_JSON).rows]

    outcome = ""
    if (root / volume_folder.CHECK_JSON).is_file():
        outcome = _load(root, volume_folder.CHECK_JSON).outcome
        if outcome == "rejected":
            raise VolumeSourceError("完整性检查结论为“退回”（rejected），不能入库")
    content_pages, blank_pages, _ = volume_folder.page_counts(pages)
    return VolumeSource(
        root=root, files=tuple(files), originals_sha256=originals_digest(files),
        id_number=id_number, name=info.name or "", engine=info.engine or ocr.engine,
        content_pages=info.content_pages or content_pages, blank_pages=info.blank_pages or blank_pages,
        pages=tuple(sorted(pages, key=lambda p: p.index)), contents=tuple(contents),
        check_outcome=outcome, meta=info.to_json(), warnings=tuple(warnings))


def assign_materials(pages: tuple[Page, ...] | list[Page],
                     rows: tuple[ContentsRow, ...] | list[ContentsRow]) -> dict[int, int]:
    """Page index → contents-row position, for numbered pages (pure).

    Per-volume numbering (page numbers unique): by each row's start/end page. Per-material
    numbering (numbers restart): walk the rows in order, ``pages`` numbered pages per row.
    """
    numbered = [p for p in pages if p.page_no is not None and p.duplicate_of is None]
    out: dict[int, int] = {}
    numbers = [p.page_no for p in numbered]
    if len(set(numbers)) == len(numbers):
        for page in numbered:
            for pos, row in enumerate(rows):
                if row.start_page is not None and row.end_page is not None \
                        and row.start_page <= page.page_no <= row.end_page:  # type: ignore[operator]
                    out[page.index] = pos
                    break
        return out
    pos, used = 0, 0
    for page in numbered:
        while pos < len(rows) and used >= max(rows[pos].pages, 0):
            pos, used = pos + 1, 0
        if pos >= len(rows):
            break
        out[page.index] = pos
        used += 1
    return out
