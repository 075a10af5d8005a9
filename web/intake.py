"""Archive staff intake: a batch folder handed to the workers, which ingest, digitize, check and
publish it (without a broker in a child process started from a background thread, or queued to
Celery when a broker is configured).
The folder is one of three: an uploaded scanned dossier made into a one-entry batch, an uploaded
ZIP of a batch unpacked (web.batch_zip), or a sub-folder of the scanning room (``intake_root``),
ingested in place — the workers only read it. Progress comes from ``workers.status.batch_status``.
"""

from __future__ import annotations

import csv
import logging
import os
import subprocess
import sys
from pathlib import Path

from fastapi import HTTPException, UploadFile
from sqlalchemy.orm import sessionmaker

from handover.config import Settings, to_env

from . import background
from .tables import IntakeRow
from .uploads import write_upload

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
        total = write_upload(upload, head, entry_dir / f"{i:04d}{suffix}", max_bytes, total)
    return len(files)


def write_manifest(batch_dir: Path, id_number: str, name: str, county: str, street: str, community: str,
                   profile: str) -> None:
    with (batch_dir / "manifest.csv").open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["公民身份号码", "姓名", "接收区县", "接收街道", "接收社区", "政策配置"])
        w.writerow([id_number, name, county, street, community, profile])


# ---------------------------------------------------------------- the scanning room

def room_folders(root: Path | None) -> list[str]:
    """The immediate sub-folders of the scanning-room root (no hidden ones, no symbolic links)."""
    if root is None or not Path(root).is_dir():
        return []
    return sorted(p.name for p in Path(root).iterdir()
                  if p.is_dir() and not p.is_symlink() and not p.name.startswith("."))


def room_folder(root: Path | None, name: str) -> Path:
    """The chosen sub-folder; only a name from the listing is accepted (never a typed path)."""
    if root is None:
        raise HTTPException(404, "未配置扫描室文件夹（HANDOVER_INTAKE_ROOT）")
    if name not in room_folders(root):
        raise HTTPException(400, "请从列表中选择扫描室的批次文件夹")
    return Path(root) / name


def entry_count(batch_dir: Path) -> int:
    from workers.ingest import list_entries

    return len(list_entries(batch_dir))


# ---------------------------------------------------------------- background work

def _updater(make_session: sessionmaker, intake_id: int):
    def update(**values) -> None:
        with make_session() as s:
            row = s.get(IntakeRow, intake_id)
            for k, v in values.items():
                setattr(row, k, v)
            s.commit()

    return update


def process(dossier_ids: list[int], cfg: Settings) -> None:
    """Queue the dossiers to the workers, or (no broker) digitize them in a child process: its
    page pool uses every core, and the OCR load stays out of the web server's process."""
    if cfg.broker:
        from workers.dispatch import submit

        submit(dossier_ids, cfg)
        return
    if not dossier_ids:
        return
    done = subprocess.run([sys.executable, "-m", "workers", "run", "--jobs", str(max(1, cfg.jobs)),
                           *map(str, dossier_ids)], env={**os.environ, **to_env(cfg)}, capture_output=True)
    if done.returncode != 0:  # its output may name people: only the code goes to the log
        raise RuntimeError(f"workers run exited with {done.returncode}")


def run_intake(make_session: sessionmaker, cfg: Settings, intake_id: int, batch_dir: Path, profile: str,
               supplement: bool = False) -> None:
    """``supplement``: every dossier of the batch is 补充材料 of a person already filed."""
    from workers.ingest import ingest

    update = _updater(make_session, intake_id)
    try:
        report = ingest(batch_dir, profile=profile, cfg=cfg, supplement=supplement)
        update(batch_id=report.batch_id, status="running")
        if report.problems and not report.to_dispatch and not report.quarantined:
            raise ValueError("；".join(report.problems)[:400])
        process(report.to_dispatch, cfg)
        update(status="done")
    except Exception as err:  # noqa: BLE001 - shown to the user
        log.warning("intake %s failed: %s", intake_id, type(err).__name__)
        update(status="failed", error=(str(err) if isinstance(err, (ValueError, FileNotFoundError))
                                       else "处理扫描件时出错，请联系管理员")[:400])


def run_requeued(make_session: sessionmaker, cfg: Settings, intake_id: int, dossier_id: int) -> None:
    """Process one dossier that ``workers.requeue.requeue`` put back in the queue."""
    update = _updater(make_session, intake_id)
    try:
        process([dossier_id], cfg)
        update(status="done")
    except Exception as err:  # noqa: BLE001 - shown to the user
        log.warning("requeue of dossier #%s failed: %s", dossier_id, type(err).__name__)
        update(status="failed", error="重新处理时出错，请联系管理员")


def start(target, *args) -> None:
    background.start(f"intake-{args[2]}", target, *args)
