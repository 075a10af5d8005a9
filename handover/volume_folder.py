"""The volume folder: one digitized personnel file on disk, defined once.

    VOL/ volume.json     who and what: ID number, name, 档号, engine, page counts, warnings, when,
                         and ``format_version``
         ocr.json        {"engine", "pages": [Page]}: every image in order, its page number, its text
         contents.json   {"rows": [ContentsRow]}: the 卷内目录 as the machine read it
         check.json      the completeness report (optional: written by the check)
         volume.pdf      PDF/A-2b, page images with invisible text
         pages/0001.jpg… the cleaned page images, by position in the volume
         originals/      the scans as delivered, byte for byte

ocr writes the folder, completeness checks it, archive_store publishes it; the same JSON files are
stored with the published volume, where the web pages and the 校对 re-check read them back
(``loads``). Every one of them goes through the records and functions here, so the format has one
definition and one place to change.

Versions (``format_version`` in volume.json; ``migrate`` brings any older file to the current one,
so readers only ever see the current shape):

  0  no ``format_version`` (folders written before 2026-12). The seeded sample volumes of that
     time carried a check.json of ``{"outcome", "problems": []}`` instead of a report.
  1  ``format_version`` written into volume.json.

check.json keeps its own ``format`` number because a re-check replaces that file alone in storage:
1 is the completeness report; 0 an outcome without a report (the sample volumes, old or new).

This module sits in the core and imports nothing but the standard library: every package may use
it, and it knows none of them.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

FORMAT_VERSION = 1
CHECK_FORMAT = 1  # check.json "format" of a full completeness report

VOLUME_JSON = "volume.json"
OCR_JSON = "ocr.json"
CONTENTS_JSON = "contents.json"
CHECK_JSON = "check.json"
VOLUME_PDF = "volume.pdf"
PAGES = "pages"
ORIGINALS = "originals"
RECORDS = (VOLUME_JSON, OCR_JSON, CONTENTS_JSON)  # written by the digitization, read by everyone

# What each file holds, for the messages users see when one cannot be read.
_WHAT = {VOLUME_JSON: "卷信息", OCR_JSON: "页面数据", CONTENTS_JSON: "目录数据", CHECK_JSON: "检查报告"}


class VolumeFormatError(ValueError):
    """A file of the volume folder is missing or not in the format; ``str(err)`` is Chinese.

    ``name`` is the file (``"ocr.json"``); ``missing`` tells a missing file from a broken one, so
    callers can say what to do about it.
    """

    def __init__(self, name: str, message: str, missing: bool = False):
        super().__init__(message)
        self.name = name
        self.missing = missing


def page_image(index: int, suffix: str = ".jpg") -> str:
    """File name of the page image at 1-based position ``index`` inside ``pages/``."""
    return f"{index:04d}{suffix}"


# ---------------------------------------------------------------- records


@dataclass(frozen=True)
class Line:
    """One recognized line of a page."""

    text: str
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 in pixels of the cleaned page
    confidence: float = 1.0

    def to_json(self) -> dict:
        return {"text": self.text, "box": list(self.box), "confidence": self.confidence}

    @classmethod
    def from_json(cls, d: dict) -> Line:
        return cls(str(d.get("text", "")), tuple(int(v) for v in d.get("box", (0, 0, 0, 0))),  # type: ignore[arg-type]
                   float(d.get("confidence", 1.0)))


@dataclass(frozen=True)
class Page:
    """One image of the volume (ocr.json), in the order of ``pages/``."""

    index: int  # 1-based image position in the volume
    page_no: int | None  # assigned page number (None: blank side or rescan, not counted)
    text: str = ""
    blank: bool = False
    duplicate_of: int | None = None
    confidence: float = 1.0
    dpi: int = 300
    width: int = 2480
    height: int = 3508
    rotation: int = 0  # degrees clockwise applied to make the page upright
    skew_degrees: float = 0.0
    source: str = ""  # "file#page" of the scan it came from
    lines: tuple[Line, ...] = ()
    struck: tuple[tuple[int, int, int, int], ...] = ()  # boxes of values crossed out and corrected (划改)

    @property
    def counted(self) -> bool:
        return self.page_no is not None

    def to_json(self) -> dict:
        return {"index": self.index, "source": self.source, "page_no": self.page_no, "blank": self.blank,
                "duplicate_of": self.duplicate_of, "rotation": self.rotation, "skew_degrees": self.skew_degrees,
                "dpi": self.dpi, "width": self.width, "height": self.height, "confidence": self.confidence,
                "text": self.text, "lines": [line.to_json() for line in self.lines],
                **({"struck": [list(b) for b in self.struck]} if self.struck else {})}

    @classmethod
    def from_json(cls, d: dict) -> Page:
        # Sizes and resolution absent from a file are unknown (0), not the defaults of a new page.
        return cls(index=int(d["index"]), page_no=_int_or_none(d.get("page_no")), text=str(d.get("text") or ""),
                   blank=bool(d.get("blank", False)), duplicate_of=_int_or_none(d.get("duplicate_of")),
                   confidence=float(d.get("confidence", 1.0)), dpi=int(d.get("dpi") or 0),
                   width=int(d.get("width") or 0), height=int(d.get("height") or 0),
                   rotation=int(d.get("rotation") or 0), skew_degrees=float(d.get("skew_degrees") or 0.0),
                   source=str(d.get("source", "")), lines=tuple(Line.from_json(l) for l in d.get("lines") or ()),
                   struck=tuple(tuple(int(v) for v in b) for b in d.get("struck") or ()))  # type: ignore[misc]


def page_counts(pages: Iterable) -> tuple[int, int, int]:
    """(numbered, blank, duplicate) pages: the three counts volume.json records."""
    pages = list(pages)
    return (sum(1 for p in pages if p.page_no is not None), sum(1 for p in pages if p.blank),
            sum(1 for p in pages if p.duplicate_of is not None))


class PageCounts:
    """The three counts of ``page_counts`` as properties, for any record holding ``pages``."""

    pages: Iterable

    @property
    def content_pages(self) -> int:
        return page_counts(self.pages)[0]

    @property
    def blank_pages(self) -> int:
        return page_counts(self.pages)[1]

    @property
    def duplicate_pages(self) -> int:
        return page_counts(self.pages)[2]


@dataclass(frozen=True)
class OcrFile:
    """ocr.json."""

    engine: str
    pages: tuple[Page, ...]

    def to_json(self) -> dict:
        return {"engine": self.engine, "pages": [p.to_json() for p in self.pages]}

    @classmethod
    def from_json(cls, d: dict) -> OcrFile:
        return cls(str(d.get("engine") or ""), tuple(Page.from_json(p) for p in d.get("pages") or ()))


@dataclass(frozen=True)
class ContentsRow:
    """One 卷内目录 row (contents.json)."""

    seq: str
    class_code: str  # "一".."十", "四-1".."九-4"
    title: str
    formed_on: str | None = None  # ISO date as read, or None
    pages: int = 0
    start_page: int | None = None
    end_page: int | None = None
    remarks: str = ""

    @property
    def formed_date(self) -> dt.date | None:
        """``formed_on`` as a date, None when absent or not a date."""
        if not self.formed_on:
            return None
        try:
            return dt.date.fromisoformat(str(self.formed_on)[:10])
        except ValueError:
            return None

    def to_json(self) -> dict:
        return {"seq": self.seq, "class_code": self.class_code, "title": self.title, "formed_on": self.formed_on,
                "pages": self.pages, "start_page": self.start_page, "end_page": self.end_page,
                "remarks": self.remarks}

    @classmethod
    def from_json(cls, d: dict) -> ContentsRow:
        # A row without class or title is no 卷内目录 row: KeyError, reported as a format error.
        return cls(seq=str(d.get("seq") or ""), class_code=str(d["class_code"]), title=str(d["title"]),
                   formed_on=d.get("formed_on"), pages=int(d.get("pages") or 0),
                   start_page=_int_or_none(d.get("start_page")), end_page=_int_or_none(d.get("end_page")),
                   remarks=str(d.get("remarks") or ""))


@dataclass(frozen=True)
class ContentsFile:
    """contents.json."""

    rows: tuple[ContentsRow, ...]

    def to_json(self) -> dict:
        return {"rows": [r.to_json() for r in self.rows]}

    @classmethod
    def from_json(cls, d: dict) -> ContentsFile:
        return cls(tuple(ContentsRow.from_json(r) for r in d.get("rows") or ()))


@dataclass(frozen=True)
class VolumeWarning:
    """Something the digitization noticed and went on (a page it could not read, …)."""

    code: str
    page: int | None
    message: str

    def to_json(self) -> dict:
        return {"code": self.code, "page": self.page, "message": self.message}

    @classmethod
    def from_json(cls, d: dict) -> VolumeWarning:
        return cls(str(d.get("code", "")), _int_or_none(d.get("page")), str(d.get("message", "")))


@dataclass(frozen=True)
class VolumeInfo:
    """volume.json. ``extra``: keys this version does not define, kept as they were.

    Written always with the current ``format_version``; read through ``migrate``, so a record
    read from an older folder is already in the current version.
    """

    id_number: str
    name: str | None = None
    ref_no: str | None = None
    engine: str = ""
    content_pages: int = 0
    blank_pages: int = 0
    duplicate_pages: int = 0
    warnings: tuple[VolumeWarning, ...] = ()
    created_at: str = ""
    extra: dict = field(default_factory=dict, compare=False)

    def to_json(self) -> dict:
        return {"format_version": FORMAT_VERSION, "id_number": self.id_number, "name": self.name,
                "ref_no": self.ref_no, "engine": self.engine, "content_pages": self.content_pages,
                "blank_pages": self.blank_pages, "duplicate_pages": self.duplicate_pages,
                "warnings": [w.to_json() for w in self.warnings], "created_at": self.created_at, **self.extra}

    @classmethod
    def from_json(cls, d: dict) -> VolumeInfo:
        known = {f.name for f in fields(cls)} | {"format_version"}
        return cls(id_number=str(d.get("id_number") or ""), name=d.get("name"), ref_no=d.get("ref_no"),
                   engine=str(d.get("engine") or ""), content_pages=int(d.get("content_pages") or 0),
                   blank_pages=int(d.get("blank_pages") or 0), duplicate_pages=int(d.get("duplicate_pages") or 0),
                   warnings=tuple(VolumeWarning.from_json(w) for w in d.get("warnings") or ()),
                   created_at=str(d.get("created_at") or ""),
                   extra={k: v for k, v in d.items() if k not in known})


@dataclass(frozen=True)
class CheckFinding:
    """One finding of the completeness check (check.json ``findings``)."""

    code: str
    severity: str  # "error" | "warning" | "info"
    page: int | None  # 1-based image index, None = the whole volume
    material: str | None
    message_zh: str
    label: str = ""

    def to_json(self) -> dict:
        return {"code": self.code, "severity": self.severity, "page": self.page, "material": self.material,
                "message_zh": self.message_zh, "label": self.label}

    @classmethod
    def from_json(cls, d: dict) -> CheckFinding:
        return cls(str(d["code"]), str(d["severity"]), d.get("page"), d.get("material"), str(d["message_zh"]),
                   str(d.get("label") or ""))


@dataclass(frozen=True)
class CheckReviewItem:
    """One open 校对 item (check.json ``review``)."""

    key: str
    field: str
    label: str
    page: int | None
    value: str
    reason_zh: str
    box: tuple[int, int, int, int] | None = None
    material: str | None = None

    def to_json(self) -> dict:
        return {"key": self.key, "field": self.field, "label": self.label, "page": self.page, "value": self.value,
                "reason_zh": self.reason_zh, "box": list(self.box) if self.box else None,
                "material": self.material}

    @classmethod
    def from_json(cls, d: dict) -> CheckReviewItem:
        box = d.get("box")
        page = d.get("page")
        return cls(str(d.get("key") or f"{d['field']}:{page if page is not None else 0}"), str(d["field"]),
                   str(d.get("label") or d["field"]), page, str(d.get("value", "")), str(d.get("reason_zh", "")),
                   tuple(box) if box else None, d.get("material"))  # type: ignore[arg-type]


@dataclass(frozen=True)
class CheckFile:
    """check.json: the completeness report as stored (``format`` 1), or an outcome alone (0)."""

    outcome: str  # "complete" | "incomplete" | "rejected"
    findings: tuple[CheckFinding, ...] = ()
    format: int = 0
    outcome_label: str = ""
    missing: tuple[str, ...] = ()
    missing_materials: tuple[str, ...] = ()
    needs_review: bool = False
    id_number: str = ""
    name: str = ""
    ref_no: str | None = None
    region: str = ""
    party_member: bool = False
    declared_pages: int | None = None
    content_pages: int = 0
    blank_pages: int = 0
    duplicate_pages: int = 0
    images: int = 0
    materials: tuple[ContentsRow, ...] = ()  # the 卷内目录 rows as checked
    checked_at: str = ""
    volume_dir: str = ""
    counts: dict = field(default_factory=dict, compare=False)  # findings per severity
    review: tuple[CheckReviewItem, ...] = ()
    waived: bool = False
    provisional: bool = False
    acceptance: dict | None = None  # the written statement it was accepted on (completeness.acceptance)

    @property
    def is_report(self) -> bool:
        """A report of the completeness check, not just an outcome."""
        return self.format >= CHECK_FORMAT

    def to_json(self) -> dict:
        out = {"format": self.format, "outcome": self.outcome, "outcome_label": self.outcome_label,
               "missing": list(self.missing), "missing_materials": list(self.missing_materials),
               "needs_review": self.needs_review, "id_number": self.id_number, "name": self.name,
               "ref_no": self.ref_no, "region": self.region, "party_member": self.party_member,
               "declared_pages": self.declared_pages, "content_pages": self.content_pages,
               "blank_pages": self.blank_pages, "duplicate_pages": self.duplicate_pages, "images": self.images,
               "materials": [r.to_json() for r in self.materials], "checked_at": self.checked_at,
               "volume_dir": self.volume_dir, "counts": dict(self.counts),
               "findings": [f.to_json() for f in self.findings], "review": [i.to_json() for i in self.review],
               "waived": self.waived, "provisional": self.provisional}
        if self.acceptance is not None:
            out["acceptance"] = self.acceptance
        return out

    @classmethod
    def from_json(cls, d: dict) -> CheckFile:
        return cls(outcome=str(d.get("outcome") or ""),
                   findings=tuple(CheckFinding.from_json(f) for f in d.get("findings") or ()),
                   format=int(d.get("format") or 0), outcome_label=str(d.get("outcome_label") or ""),
                   missing=tuple(str(m) for m in d.get("missing") or ()),
                   missing_materials=tuple(str(m) for m in d.get("missing_materials") or ()),
                   needs_review=bool(d.get("needs_review")), id_number=str(d.get("id_number") or ""),
                   name=str(d.get("name") or ""), ref_no=d.get("ref_no"), region=str(d.get("region") or ""),
                   party_member=bool(d.get("party_member")), declared_pages=_int_or_none(d.get("declared_pages")),
                   content_pages=int(d.get("content_pages") or 0), blank_pages=int(d.get("blank_pages") or 0),
                   duplicate_pages=int(d.get("duplicate_pages") or 0), images=int(d.get("images") or 0),
                   materials=tuple(ContentsRow.from_json(r) for r in d.get("materials") or ()),
                   checked_at=str(d.get("checked_at") or ""), volume_dir=str(d.get("volume_dir") or ""),
                   counts=dict(d.get("counts") or {}),
                   review=tuple(CheckReviewItem.from_json(i) for i in d.get("review") or ()),
                   waived=bool(d.get("waived")), provisional=bool(d.get("provisional")),
                   acceptance=d.get("acceptance"))


def _int_or_none(value) -> int | None:
    return None if value is None else int(value)


# ---------------------------------------------------------------- migration


def migrate(name: str, data: dict) -> dict:
    """``data`` of file ``name`` brought from the version it was written in to the current one."""
    data = dict(data)
    if name == VOLUME_JSON:
        version = data.get("format_version", 0)
        if not isinstance(version, int) or version < 0:
            raise VolumeFormatError(name, f"{name} 的格式版本无效：{version!r}")
        if version > FORMAT_VERSION:
            raise VolumeFormatError(name, f"{name} 由更新版本的程序写入（格式版本 {version}，本程序支持到 "
                                          f"{FORMAT_VERSION}），请升级后再读取")
        # 0 → 1: the version was not written yet; nothing else changed.
        data["format_version"] = FORMAT_VERSION
    elif name == CHECK_JSON and "findings" not in data:
        # The old sample volumes' outcome-only file named its list "problems" (always empty there);
        # the web page once read entries with "message" and bare strings as well.
        data["findings"] = [_old_problem(p) for p in data.pop("problems", None) or ()]
    return data


def _old_problem(p) -> dict:
    if not isinstance(p, dict):
        return {"code": "", "severity": "", "page": None, "material": None, "message_zh": str(p)}
    return {"code": str(p.get("code") or ""), "severity": str(p.get("severity") or ""), "page": p.get("page"),
            "material": p.get("material"), "message_zh": str(p.get("message_zh") or p.get("message") or p.get("code") or "")}


# ---------------------------------------------------------------- reading and writing

_MODELS: dict[str, Any] = {VOLUME_JSON: VolumeInfo, OCR_JSON: OcrFile, CONTENTS_JSON: ContentsFile,
                           CHECK_JSON: CheckFile}


def loads(name: str, raw: bytes | str):
    """The record of file ``name`` from its bytes (as stored), migrated to the current version."""
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise VolumeFormatError(name, f"{name} 无法读取或格式错误：{type(err).__name__}") from None
    if not isinstance(data, dict):
        raise VolumeFormatError(name, f"{name} 格式错误：应为 JSON 对象")
    try:
        return _MODELS[name].from_json(migrate(name, data))
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        if isinstance(err, VolumeFormatError):
            raise
        raise VolumeFormatError(name, f"{name} {_WHAT[name]}格式错误：{type(err).__name__} {err}") from None


def dumps(record) -> bytes:
    """The bytes of a record's file, as every writer writes them."""
    return json.dumps(record.to_json(), ensure_ascii=False, indent=1).encode("utf-8")


def read(folder: Path, name: str):
    """The record of file ``name`` of the volume folder (``VolumeFormatError`` when missing or broken)."""
    try:
        raw = (Path(folder) / name).read_bytes()
    except FileNotFoundError:
        raise VolumeFormatError(name, f"卷目录缺少文件：{name}", missing=True) from None
    except OSError as err:
        raise VolumeFormatError(name, f"{name} 无法读取或格式错误：{type(err).__name__}") from None
    return loads(name, raw)


def read_info(folder: Path) -> VolumeInfo:
    return read(folder, VOLUME_JSON)


def read_ocr(folder: Path) -> OcrFile:
    return read(folder, OCR_JSON)


def read_contents(folder: Path) -> ContentsFile:
    return read(folder, CONTENTS_JSON)


def read_check(folder: Path) -> CheckFile:
    return read(folder, CHECK_JSON)


def write(folder: Path, record) -> Path:
    """Write ``record`` into its file of ``folder``, replacing it whole (a reader never sees half)."""
    name = next(n for n, model in _MODELS.items() if isinstance(record, model))
    path = Path(folder) / name
    tmp = path.with_name(f".{name}.tmp")
    tmp.write_bytes(dumps(record))
    os.replace(tmp, path)
    return path


def write_records(folder: Path, info: VolumeInfo, ocr: OcrFile, contents: ContentsFile) -> None:
    """The three files the digitization writes, the version included."""
    write(folder, ocr)
    write(folder, contents)
    write(folder, info)
