"""Work objects in the shared storage, keyed by content hash.

Workers on other machines cannot read the ingesting machine's disk, so a dossier's files are
uploaded once and every task names objects, never carries bytes:

    _workers/<dossier sha256>/originals/<file>          the delivered files, byte for byte
    _workers/<dossier sha256>/pages.json                 page list after loading and validation
    _workers/<dossier sha256>/src/<seq>-<page sha256>    one page's encoded image as delivered
    _workers/<dossier sha256>/ocr/<engine>/<seq>-<page sha256>.jpg|.json   cleaned page and text

The dossier digest covers the file names and their SHA-256, so a corrected re-delivery gets new
keys and a redelivered task finds the work already done. Everything under the prefix is removed
once the volume is published (the published volume keeps its own copy of the originals).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from archive_store.storage import ObjectNotFound, Storage, sha256_file

ROOT = "_workers"
DOSSIER_SUFFIXES = {".pdf", ".tif", ".tiff"}  # single-file dossiers; folders hold images or PDFs
FILE_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".pdf", ".bmp"}


@dataclass(frozen=True)
class DeliveredFile:
    name: str
    path: Path
    sha256: str
    size: int

    def as_dict(self) -> dict:
        return {"name": self.name, "sha256": self.sha256, "size": self.size}


def entry_files(entry: Path) -> list[Path]:
    """The files of one dossier entry: the file itself, or the scan files of a sub-folder."""
    if entry.is_file():
        return [entry]
    return sorted(p for p in entry.iterdir() if p.is_file() and p.suffix.lower() in FILE_SUFFIXES
                  and not p.name.startswith("."))


def describe(entry: Path) -> list[DeliveredFile]:
    out = []
    for p in entry_files(entry):
        digest, size = sha256_file(p)
        out.append(DeliveredFile(p.name, p, digest, size))
    return out


def dossier_digest(files: list[DeliveredFile] | list[dict]) -> str:
    items = [f.as_dict() if isinstance(f, DeliveredFile) else f for f in files]
    lines = sorted(f"{f['sha256']}  {f['name']}\n" for f in items)
    return hashlib.sha256("".join(lines).encode("utf-8")).hexdigest()


def prefix(digest: str) -> str:
    return f"{ROOT}/{digest}"


def original_key(digest: str, name: str) -> str:
    return f"{prefix(digest)}/originals/{name}"


def pages_key(digest: str) -> str:
    return f"{prefix(digest)}/pages.json"


def src_key(digest: str, seq: int, page_sha: str) -> str:
    return f"{prefix(digest)}/src/{seq:04d}-{page_sha}"


def result_key(digest: str, engine: str, seq: int, page_sha: str, ext: str) -> str:
    return f"{prefix(digest)}/ocr/{engine}/{seq:04d}-{page_sha}.{ext}"


def has_object(storage: Storage, key: str, size: int | None = None) -> bool:
    try:
        info = storage.stat(key)
    except ObjectNotFound:
        return False
    return size is None or info.size == size


def upload_originals(storage: Storage, digest: str, files: list[DeliveredFile]) -> int:
    """Upload what is not there yet (same size); returns the number of objects written."""
    written = 0
    for f in files:
        key = original_key(digest, f.name)
        if has_object(storage, key, f.size):
            continue
        info = storage.put(key, f.path, sha256=f.sha256)
        if info.sha256 != f.sha256:
            raise OSError(f"文件“{f.name}”在上传过程中被修改，请待扫描完成后重试")
        written += 1
    return written


def download_originals(storage: Storage, digest: str, files: list[dict], folder: Path) -> list[Path]:
    """Fetch the delivered files into ``folder``, checking each SHA-256."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for f in files:
        path = folder / f["name"]
        info = storage.get_to(original_key(digest, f["name"]), path)
        if info.sha256 != f["sha256"]:
            raise OSError(f"存储中的原始文件“{f['name']}”校验失败（SHA-256不符）")
        out.append(path)
    return out


def put_json(storage: Storage, key: str, data) -> None:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    storage.put(key, body, content_type="application/json")


def get_json(storage: Storage, key: str):
    return json.loads(storage.get(key).decode("utf-8"))


def remove_prefix(storage: Storage, digest: str) -> int:
    n = 0
    for info in list(storage.list(prefix(digest) + "/")):
        storage.delete(info.key)
        n += 1
    return n
