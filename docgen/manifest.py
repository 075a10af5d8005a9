"""The manifest of a bundle: each document's type, community, path, SHA-256, rows and pages."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass
class ManifestEntry:
    type: str  # DOMAIN.md §1.2 identifier
    title: str
    path: str  # relative to the bundle folder
    format: str  # docx / pdf / xlsx
    community: str = ""
    rows: int = 0  # data rows (one copy) or persons
    copies: int = 1
    pages: int | None = None  # known for the PDFs
    sha256: str = ""


@dataclass
class Manifest:
    enterprise: str
    uscc: str
    region: str
    generated_at: str
    retirees: int
    transferred: int
    excluded: int
    unassigned: int
    documents: list[ManifestEntry] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    zip_path: str = ""

    def by_type(self, doc_type: str, fmt: str | None = None) -> list[ManifestEntry]:
        return [d for d in self.documents if d.type == doc_type and (fmt is None or d.format == fmt)]

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2)


_UNSAFE = re.compile(r'[\\/:*?"<>|\s]+')


def safe_name(text: str) -> str:
    return _UNSAFE.sub("_", text).strip("_") or "未命名"


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def pdf_pages(path: Path) -> int | None:
    try:
        import pikepdf
    except ImportError:  # pragma: no cover - pikepdf is a project dependency
        return None
    with pikepdf.open(path) as pdf:
        return len(pdf.pages)
