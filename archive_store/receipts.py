"""The signed receipt on record: the scanned, signed and sealed 档案移交名册表 of one street.

Once the archive department has checked the roster against the volumes (archive_store.reconcile)
and signed it, the scan is the proof that 接收手续已办结 for the enterprise's persons of that street.
It is stored like a volume's files — beside them, under the street's folder, its SHA-256 re-read
from the storage before the row is written — and every upload is in the audit log.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from handover import clock
from handover.db import EnterpriseRow, RetireeRow
from handover.errors import Conflict, InputRefused

from . import audit
from .storage import Storage, sha256_file
from .tables import ReceiptRow, VolumeRow

FOLDER = "接收手续"  # under <county>/<street>/, beside the communities' volume folders
# (suffix, content type, how the content starts): scans come as PDF or as images.
KINDS = ((".pdf", "application/pdf", (b"%PDF-",)),
         (".jpg", "image/jpeg", (b"\xff\xd8\xff",)),
         (".jpeg", "image/jpeg", (b"\xff\xd8\xff",)),
         (".png", "image/png", (b"\x89PNG\r\n\x1a\n",)),
         (".tif", "image/tiff", (b"II*\x00", b"MM\x00*")),
         (".tiff", "image/tiff", (b"II*\x00", b"MM\x00*")))


class ReceiptError(InputRefused):
    """The upload cannot be a receipt; ``str(err)`` is the Chinese message."""


class ReceiptStorageError(Conflict):
    """The stored bytes are not the uploaded ones (or no longer are)."""


def kind_of(file_name: str, head: bytes) -> tuple[str, str]:
    """(suffix, content type) of a receipt scan, by its name and its first bytes (pure)."""
    suffix = Path((file_name or "").replace("\\", "/")).suffix.lower()
    for ext, content_type, magics in KINDS:
        if ext == suffix:
            if not head.startswith(magics):
                raise ReceiptError("文件内容与扩展名不符（可能是改了扩展名的其他文件）")
            return ext, content_type
    raise ReceiptError("只能上传 PDF 或 JPG、PNG、TIFF 图像格式的扫描件")


def streets_of(session: Session, enterprise_id: int) -> set[tuple[str, str]]:
    """The (county, street) pairs the enterprise's roster sends persons to."""
    rows = session.execute(select(RetireeRow.dest_county, RetireeRow.dest_street).distinct()
                           .where(RetireeRow.enterprise_id == enterprise_id, RetireeRow.dest_county.is_not(None)))
    return {(c, s or "") for c, s in rows}


def _segment(value: str) -> str:
    value = value.strip()
    if not value or "/" in value or "\\" in value or value in (".", ".."):
        raise ReceiptError(f"名称“{value}”不能用作存储路径")
    return value


def receipt_key(county: str, street: str, enterprise_id: int, at: dt.datetime, sha256: str, suffix: str) -> str:
    return "/".join([_segment(county), _segment(street), FOLDER,
                     f"企业{enterprise_id}-{at:%Y%m%dT%H%M%S}-{sha256[:12]}{suffix}"])


def store_receipt(session: Session, storage: Storage, enterprise: EnterpriseRow, county: str, street: str,
                  path: Path, file_name: str, actor: str, now: dt.datetime | None = None) -> ReceiptRow:
    """Store the scan at ``path``, verify it by re-reading, record the row and the audit entry."""
    if (county, street) not in streets_of(session, enterprise.id):
        raise ReceiptError(f"企业“{enterprise.name}”的名册中没有移交到{county}{street}的人员")
    with path.open("rb") as fh:
        suffix, content_type = kind_of(file_name, fh.read(16))
    sha, size = sha256_file(path)
    if size == 0:
        raise ReceiptError("上传的文件是空的")
    at = now or clock.utcnow()
    key = receipt_key(county, street, enterprise.id, at, sha, suffix)
    storage.put(key, path, sha256=sha, content_type=content_type)
    if storage.sha256(key) != (sha, size):
        storage.delete(key)
        raise ReceiptStorageError("存储校验失败：存入的扫描件与上传的文件不一致，请重新上传")
    row = ReceiptRow(enterprise_id=enterprise.id, county=county, street=street, key=key, sha256=sha, size=size,
                     file_name=Path(file_name.replace("\\", "/")).name[:200] or f"档案移交名册表{suffix}",
                     content_type=content_type, uploaded_by=actor, uploaded_at=at)
    session.add(row)
    session.flush()
    audit.record(session, actor, "upload_receipt", f"{enterprise.name} {county}{street}",
                 "接收手续已办结：签字盖章的档案移交名册表", receipt=row.id, key=key, sha256=sha, size=size)
    return row


def read_receipt(storage: Storage, row: ReceiptRow) -> bytes:
    """The stored scan, refused if its bytes no longer have the recorded SHA-256."""
    data = storage.get(row.key)
    if len(data) != row.size or hashlib.sha256(data).hexdigest() != row.sha256:
        raise ReceiptStorageError("存储校验失败：该扫描件已被修改或损坏，请联系系统管理员")
    return data


def latest_receipts(session: Session, enterprise_id: int) -> dict[tuple[str, str], ReceiptRow]:
    """(county, street) → the latest receipt of the enterprise for that street."""
    out: dict[tuple[str, str], ReceiptRow] = {}
    for row in session.scalars(select(ReceiptRow).where(ReceiptRow.enterprise_id == enterprise_id)
                               .order_by(ReceiptRow.uploaded_at, ReceiptRow.id)):
        out[(row.county, row.street)] = row
    return out


def receipt_of_volume(session: Session, vol: VolumeRow) -> ReceiptRow | None:
    """The latest receipt of the street the volume's person is on the roster for, if any."""
    retiree = session.get(RetireeRow, vol.retiree_id) if vol.retiree_id else \
        session.scalar(select(RetireeRow).where(RetireeRow.id_number == vol.id_number).order_by(RetireeRow.id.desc()))
    if retiree is None or retiree.dest_county is None:
        return None
    return session.scalar(select(ReceiptRow).where(
        ReceiptRow.enterprise_id == retiree.enterprise_id, ReceiptRow.county == retiree.dest_county,
        ReceiptRow.street == (retiree.dest_street or "")).order_by(ReceiptRow.uploaded_at.desc(), ReceiptRow.id.desc()))


__all__ = ["FOLDER", "ReceiptError", "ReceiptStorageError", "kind_of", "latest_receipts", "read_receipt",
           "receipt_key", "receipt_of_volume", "store_receipt", "streets_of"]
