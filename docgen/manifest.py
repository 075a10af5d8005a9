"""The manifest of a bundle: each document's type, community, path, SHA-256, rows and pages."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path


# The Chinese name of each document type (handover.policy.DOCUMENT_TYPES), for lists shown to users.
DOCUMENT_LABELS = {
    "framework_agreement": "移交框架协议", "transfer_agreement": "移交协议", "service_application": "社会化管理服务申请",
    "transfer_plan": "移交方案", "handover_checklist": "交接清单", "community_roster": "花名册",
    "destination_survey": "移交地调查表", "basic_info_form": "基本信息表", "info_collection_form": "信息采集表",
    "archive_transfer_roster": "档案移交名册表", "party_transfer_roster": "党员组织关系转接名册",
    "party_letter": "介绍信", "party_transfer_agreement": "党员组织关系移交协议", "contact_card": "联系卡",
    "volume_catalog": "案卷目录", "ledger": "台账", "contents_list": "卷内目录", "note_sheet": "备考表",
    "missing_statement": "档案材料缺失情况说明", "missing_statement_list": "档案材料缺失情况一览表",
    "not_transferred": "未移交人员名单",
}


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
    zip_path: str = ""  # the bundle zip's file name, beside manifest.json

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
