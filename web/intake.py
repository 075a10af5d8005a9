"""Archive staff intake: an uploaded scanned dossier becomes a one-entry batch folder that the
workers ingest, digitize, check and publish (embedded in a background thread, or queued to Celery
when a broker is configured). Progress comes from ``workers.status.batch_status``."""

from __future__ import annotations

import csv
import logging
import threading
from pathlib import Path

from fastapi import HTTPException, UploadFile
from sqlalchemy.orm import sessionmaker

from handover.config import Settings

from .tables import IntakeRow
from .uploads import CHUNK

log = logging.getLogger(__name__)
SCAN_TYPES = {".pdf": (b"%PDF",), ".jpg": (b"\xff\xd8",), ".jpeg": (b"\xff\xd8",), ".png": (b"\x89PNG",),
              ".tif": (b"II*\x00", b"MM\x00*"), ".tiff": (b"II*\x00", b"MM\x00*")}
MAX_FILES = 500


def scan_suffix(name: str, head: bytes) -> str:
    suffix = Path((name or "").replace("\\", "/")).suffix.lower()
    if suffix not in SCAN_TYPES:
        raise HTTPException(415, "扫描件只能是 PDF、TIFF、JPEG 或 PNG 文件")
    if not head.startswith(SCAN_TYPES[suffix]):
        raise HTTPException(415, f"文件内容与扩展名 {suffix} 不符")
    return suffix


def save_scans(files: list[UploadFile], entry_dir: Path, max_bytes: int) -> int:
    """Page files in upload order as 0001.jpg …, or a single PDF/TIFF as-is; returns the count."""
    if not files or len(files) > MAX_FILES:
        raise HTTPException(400, f"请选择1–{MAX_FILES}个扫描文件")
    entry_dir.mkdir(parents=True, exist_ok=False)
    total = 0
    for i, upload in enumerate(files, 1):
        head = upload.file.read(8192)
        if not head:
            raise HTTPException(400, "上传的文件是空的")
        suffix = scan_suffix(upload.filename or "", head)
        if suffix in (".pdf", ".tif", ".tiff") and len(files) > 1:
            raise HTTPException(400, "PDF 或多页 TIFF 请单独上传（一卷一个文件）")
        with (entry_dir / f"{i:04d}{suffix}").open("wb") as out:
            out.write(head)
            total += len(head)
            while chunk := upload.file.read(CHUNK):
                total += len(chunk)
                if total > max_bytes:
                    raise HTTPException(413, f"上传文件过大：不能超过{max(1, max_bytes // CHUNK)} MB")
                out.write(chunk)
    return len(files)


def write_manifest(batch_dir: Path, id_number: str, name: str, county: str, street: str, community: str,
                   profile: str) -> None:
    with (batch_dir / "manifest.csv").open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["公民身份号码", "姓名", "接收区县", "接收街道", "接收社区", "政策配置"])
        w.writerow([id_number, name, county, street, community, profile])


def run_intake(make_session: sessionmaker, cfg: Settings, intake_id: int, batch_dir: Path, profile: str) -> None:
    from workers.dispatch import submit
    from workers.ingest import ingest

    def update(**values) -> None:
        with make_session() as s:
            row = s.get(IntakeRow, intake_id)
            for k, v in values.items():
                setattr(row, k, v)
            s.commit()

    try:
        report = ingest(batch_dir, profile=profile, cfg=cfg)
        update(batch_id=report.batch_id, status="running")
        if report.problems and not report.to_dispatch and not report.quarantined:
            raise ValueError("；".join(report.problems)[:400])
        submit(report.to_dispatch, cfg, jobs=1)
        update(status="done")
    except Exception as err:  # noqa: BLE001 - shown to the user
        log.warning("intake %s failed: %s", intake_id, type(err).__name__)
        update(status="failed", error=(str(err) if isinstance(err, (ValueError, FileNotFoundError))
                                       else "处理扫描件时出错，请联系管理员")[:400])


def start(make_session: sessionmaker, cfg: Settings, intake_id: int, batch_dir: Path, profile: str) -> None:
    threading.Thread(target=run_intake, name=f"intake-{intake_id}", daemon=True,
                     args=(make_session, cfg, intake_id, batch_dir, profile)).start()
