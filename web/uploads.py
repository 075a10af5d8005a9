"""Receiving uploaded files safely: type checks by name and content, size limit, server-chosen
storage names (the client's file name never becomes a path)."""

from __future__ import annotations

import re
import secrets
import shutil
import unicodedata
from pathlib import Path

from fastapi import HTTPException, UploadFile

CHUNK = 1024 * 1024
TOKEN = re.compile(r"^[0-9a-f]{32}$")
ROSTER_TYPES = (".xlsx", ".csv")


def safe_name(name: str, suffix: str) -> str:
    """A display/storage name from the client's name: last component only, no odd characters."""
    base = unicodedata.normalize("NFKC", (name or "").replace("\\", "/").rsplit("/", 1)[-1])
    stem = base[: -len(suffix)] if base.lower().endswith(suffix) else Path(base).stem
    stem = re.sub(r"[^\w\u3400-\u9fff（）()\-]+", "_", stem).strip("._") or "名册"
    return stem[:80] + suffix


def roster_suffix(name: str) -> str:
    suffix = Path((name or "").replace("\\", "/")).suffix.lower()
    if suffix == ".xls":
        raise HTTPException(415, "不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx 后上传")
    if suffix not in ROSTER_TYPES:
        raise HTTPException(415, "只能上传 .xlsx 或 .csv 格式的名册")
    return suffix


def check_roster_content(head: bytes, suffix: str) -> None:
    if suffix == ".xlsx" and not head.startswith(b"PK\x03\x04"):
        raise HTTPException(415, "文件内容不是 .xlsx 表格（可能是改了扩展名的其他文件）")
    if suffix == ".csv" and (b"\x00" in head or head.startswith((b"PK\x03\x04", b"%PDF", b"\xd0\xcf\x11\xe0"))):
        raise HTTPException(415, "文件内容不是 CSV 文本")


def new_token() -> str:
    return secrets.token_hex(16)


def check_token(token: str) -> str:
    if not TOKEN.match(token or ""):
        raise HTTPException(404, "未找到该上传记录")
    return token


def save_roster(upload: UploadFile, folder: Path, max_bytes: int) -> tuple[str, Path, int]:
    """Store the upload under folder/<token>/<safe name>; (token, path, size)."""
    suffix = roster_suffix(upload.filename or "")
    head = upload.file.read(8192)
    if not head:
        raise HTTPException(400, "上传的文件是空的")
    check_roster_content(head, suffix)
    return _store(upload, head, folder, suffix, max_bytes)


def _store(upload: UploadFile, head: bytes, folder: Path, suffix: str, max_bytes: int) -> tuple[str, Path, int]:
    """The checked upload under folder/<new token>/<safe name>; nothing left behind on refusal."""
    token = new_token()
    target_dir = folder / token
    target_dir.mkdir(parents=True, exist_ok=False)
    path = target_dir / safe_name(upload.filename or "", suffix)
    try:
        size = write_upload(upload, head, path, max_bytes)
    except BaseException:
        shutil.rmtree(target_dir, ignore_errors=True)
        raise
    return token, path, size


def write_upload(upload: UploadFile, head: bytes, path: Path, max_bytes: int, total: int = 0) -> int:
    """Write ``head`` (already read and checked) and the rest of the upload to the new file ``path``;
    returns ``total`` plus the bytes written, refusing (413) once that exceeds ``max_bytes``."""
    with path.open("xb") as out:
        out.write(head)
        total += len(head)
        while chunk := upload.file.read(CHUNK):
            total += len(chunk)
            if total > max_bytes:
                raise HTTPException(413, f"上传文件过大：不能超过{max(1, max_bytes // CHUNK)} MB")
            out.write(chunk)
    return total


def save_scan(upload: UploadFile, folder: Path, max_bytes: int) -> tuple[str, Path, str, int]:
    """A scanned signed document (PDF or image; archive_store.receipts.kind_of) stored under
    folder/<token>/; (token, path, the client's file name, size)."""
    from archive_store.receipts import ReceiptError, kind_of

    head = upload.file.read(8192)
    if not head:
        raise HTTPException(400, "上传的文件是空的")
    try:
        suffix, _ = kind_of(upload.filename or "", head)
    except ReceiptError as err:
        raise HTTPException(415, str(err)) from None
    token, path, size = _store(upload, head, folder, suffix, max_bytes)
    return token, path, path.name, size
