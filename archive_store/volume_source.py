"""Reading and checking a volume folder written by the ocr package (before anything is stored).

    VOL/ volume.pdf, pages/0001.jpg…, originals/…, ocr.json, contents.json, volume.json,
         check.json (optional)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from handover import idnumber
from handover.errors import InputRefused

from .numbering import page_image_name
from .storage.base import sha256_file

REQUIRED = ("volume.pdf", "ocr.json", "contents.json", "volume.json")
OPTIONAL = ("check.json",)


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
class OcrPage:
    index: int
    page_no: int | None
    blank: bool
    duplicate_of: int | None
    confidence: float
    text: str


@dataclass(frozen=True)
class ContentsRow:
    seq: str
    class_code: str
    title: str
    formed_on: dt.date | None
    pages: int
    start_page: int | None
    end_page: int | None
    remarks: str


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
    pages: tuple[OcrPage, ...]
    contents: tuple[ContentsRow, ...]
    check_outcome: str
    meta: dict
    warnings: tuple[str, ...] = field(default=())


def _load_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise VolumeSourceError(f"{path.name} 无法读取或格式错误：{type(err).__name__}") from None
    if not isinstance(data, dict):
        raise VolumeSourceError(f"{path.name} 格式错误：应为 JSON 对象")
    return data


def _date(value) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


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

    meta = _load_json(root / "volume.json")
    try:
        id_number = idnumber.parse(str(meta.get("id_number") or "")).number
    except idnumber.IdNumberError as err:
        raise VolumeSourceError(f"volume.json 中的身份证号码无效：{err}") from None

    ocr = _load_json(root / "ocr.json")
    pages: list[OcrPage] = []
    try:
        for p in ocr.get("pages", []):
            pages.append(OcrPage(int(p["index"]), None if p.get("page_no") is None else int(p["page_no"]),
                                 bool(p.get("blank", False)),
                                 None if p.get("duplicate_of") is None else int(p["duplicate_of"]),
                                 float(p.get("confidence") or 0.0), str(p.get("text") or "")))
    except (KeyError, TypeError, ValueError) as err:
        raise VolumeSourceError(f"ocr.json 页面数据格式错误：{type(err).__name__} {err}") from None
    if len({p.index for p in pages}) != len(pages):
        raise VolumeSourceError("ocr.json 中页面序号重复")

    contents: list[ContentsRow] = []
    try:
        for r in _load_json(root / "contents.json").get("rows", []):
            contents.append(ContentsRow(str(r.get("seq") or ""), str(r["class_code"]), str(r["title"]),
                                        _date(r.get("formed_on")), int(r.get("pages") or 0),
                                        None if r.get("start_page") is None else int(r["start_page"]),
                                        None if r.get("end_page") is None else int(r["end_page"]),
                                        str(r.get("remarks") or "")))
    except (KeyError, TypeError, ValueError) as err:
        raise VolumeSourceError(f"contents.json 目录数据格式错误：{type(err).__name__} {err}") from None

    outcome = ""
    if (root / "check.json").is_file():
        outcome = str(_load_json(root / "check.json").get("outcome") or "")
        if outcome == "rejected":
            raise VolumeSourceError("完整性检查结论为“退回”（rejected），不能入库")
    return VolumeSource(
        root=root, files=tuple(files), originals_sha256=originals_digest(files),
        id_number=id_number, name=str(meta.get("name") or ""), engine=str(meta.get("engine") or ocr.get("engine") or ""),
        content_pages=int(meta.get("content_pages") or sum(1 for p in pages if p.page_no is not None)),
        blank_pages=int(meta.get("blank_pages") or sum(1 for p in pages if p.blank)),
        pages=tuple(sorted(pages, key=lambda p: p.index)), contents=tuple(contents),
        check_outcome=outcome, meta=meta, warnings=tuple(warnings))


def assign_materials(pages: tuple[OcrPage, ...] | list[OcrPage],
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
