"""Stage 6b: the volume directory, in the format of ``handover.volume_folder``.

Everything is written into a temporary directory beside OUT and renamed into place at the end,
so a reader never sees a half-written volume and a failed run leaves OUT as it was.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path

from handover import volume_folder

from .records import VolumeResult


def mask_id(id_number: str) -> str:
    """Keep the area code and the last four characters: enough to tell volumes apart."""
    return id_number[:6] + "*" * max(0, len(id_number) - 10) + id_number[-4:] if len(id_number) > 10 else "*" * len(id_number)


@contextmanager
def staging(out_dir: Path):
    """A fresh directory beside ``out_dir``; moved onto it on success, removed on failure."""
    out_dir = Path(out_dir).resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".partial", dir=out_dir.parent))
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    publish(tmp, out_dir)


def publish(tmp: Path, out_dir: Path) -> None:
    old = None
    if out_dir.exists():
        old = out_dir.with_name(f".{out_dir.name}.{uuid.uuid4().hex[:8]}.old")
        os.rename(out_dir, old)
    os.rename(tmp, out_dir)
    if old:
        shutil.rmtree(old, ignore_errors=True)


def write_records(folder: Path, result: VolumeResult) -> None:
    info = volume_folder.VolumeInfo(
        id_number=result.id_number, name=result.name, ref_no=result.ref_no, engine=result.engine,
        content_pages=result.content_pages, blank_pages=result.blank_pages, duplicate_pages=result.duplicate_pages,
        warnings=tuple(volume_folder.VolumeWarning(w.code, w.page, w.message) for w in result.warnings),
        created_at=result.created_at)
    ocr = volume_folder.OcrFile(result.engine, tuple(p.to_page() for p in result.pages))
    volume_folder.write_records(folder, info, ocr, volume_folder.ContentsFile(tuple(result.contents)))


def copy_originals(files: list[Path], folder: Path) -> None:
    dest = folder / volume_folder.ORIGINALS
    dest.mkdir()
    for f in files:
        shutil.copyfile(f, dest / f.name)  # bytes only; the master is never touched
