"""Taking in a batch folder: one sub-folder or PDF per retiree, named by ID number.

    BATCH/410102195406183757/0001.jpg …     a folder of page images (or PDFs)
    BATCH/410104194501024832.pdf            a scanned PDF (or multi-page TIFF)
    BATCH/manifest.csv                      optional: name, receiving place, profile, 补充材料 per ID

Each entry's files are hashed and uploaded to the work area of the storage, then a dossier row is
queued. Ingesting the same folder again adds only new entries and re-queues quarantined ones whose
files changed. ``Watcher`` picks up entries once their files stop changing. ``supplement`` marks
every new entry as 补充材料 of a person already filed (the manifest can mark single entries).
The report names the files whose storage format is not the batch's (``ocr.image_rules``: DA/T 31,
one format per batch; among the entries of this run — the page-level rules are the loading's).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from archive_store.storage import Storage, open_storage
from handover import idnumber
from handover.config import Settings, settings
from ocr import image_rules

from . import progress, staging
from .manifest import MANIFEST_NAMES, Manifest, find_manifest, read_manifest
from .tables import LOADING, QUARANTINED, BatchRow, DossierRow, DossierSupplementRow

log = logging.getLogger(__name__)


@dataclass
class IngestReport:
    batch_id: int
    batch_name: str
    queued: list[int] = field(default_factory=list)  # dossier ids to dispatch
    requeued: list[int] = field(default_factory=list)  # quarantined ones whose files changed
    quarantined: list[int] = field(default_factory=list)  # refused at intake (bad name …)
    unchanged: int = 0
    problems: list[str] = field(default_factory=list)
    formats: list[tuple[str, str, str]] = field(default_factory=list)  # (entry, file, storage format)
    format_notes: list[str] = field(default_factory=list)  # files not in the batch's format (DA/T 31)

    @property
    def to_dispatch(self) -> list[int]:
        return self.queued + self.requeued


def list_entries(batch_dir: Path) -> list[Path]:
    out = []
    for p in sorted(Path(batch_dir).iterdir()):
        if p.name.startswith(".") or p.name in MANIFEST_NAMES:
            continue
        if p.is_dir() or p.suffix.lower() in staging.DOSSIER_SUFFIXES:
            out.append(p)
    return out


def entry_id_number(entry: Path) -> str | None:
    stem = entry.name if entry.is_dir() else entry.stem
    try:
        return idnumber.parse(stem).number
    except idnumber.IdNumberError:
        return None


def open_batch(batch_dir: Path, profile: str = "", engine: str = "", mode: str = "embedded",
               cfg: Settings | None = None) -> BatchRow:
    """The batch of this folder (one per absolute path; ingesting again continues it)."""
    cfg = cfg or settings()
    source = str(Path(batch_dir).resolve())
    with progress.writing(cfg) as s:
        row = s.scalar(select(BatchRow).where(BatchRow.source_dir == source).order_by(BatchRow.id.desc()))
        if row is None:
            row = BatchRow(name=Path(source).name, source_dir=source, profile_region=profile or "",
                           engine=engine or cfg.ocr_engine, mode=mode)
            s.add(row)
            s.flush()
        else:
            if profile:
                row.profile_region = profile
            row.mode = mode
        return row


def add_entry(batch: BatchRow, entry: Path, manifest: Manifest | None, storage: Storage,
              report: IngestReport, cfg: Settings, supplement: bool = False) -> None:
    number = entry_id_number(entry)
    files = staging.describe(entry) if number else []
    report.formats += [(entry.name, f.name, image_rules.file_format(f.path)) for f in files]
    digest = staging.dossier_digest(files)
    info = manifest.get(number) if manifest and number else None
    with progress.reading(cfg) as s:
        existing = s.scalar(select(DossierRow).where(DossierRow.batch_id == batch.id, DossierRow.entry == entry.name))
    marked = supplement or (info is not None and info.supplement)
    if existing is not None:
        if existing.stage == QUARANTINED and number and existing.source_sha256 != digest:
            staging.upload_originals(storage, digest, files)
            progress.reset_for_requeue(existing.id, [f.as_dict() for f in files], digest, cfg)
            report.requeued.append(existing.id)
        elif existing.stage == QUARANTINED and number and marked and mark_supplement(existing.id, cfg):
            # refused as the person's second volume, now delivered again as 补充材料
            progress.reset_for_requeue(existing.id, cfg=cfg)
            report.requeued.append(existing.id)
        else:
            report.unchanged += 1
        return
    if number:
        staging.upload_originals(storage, digest, files)
    with progress.writing(cfg) as s:
        row = DossierRow(batch_id=batch.id, entry=entry.name, id_number=number or "",
                         name=info.name if info else "", source_path=str(entry.resolve()),
                         source_sha256=digest, files=[f.as_dict() for f in files],
                         destination=info.destination if info else None,
                         profile_region=info.profile if info else "", attempts=1)
        s.add(row)
        s.flush()
        dossier_id = row.id
        if marked:
            s.add(DossierSupplementRow(dossier_id=dossier_id))
    if number is None:
        progress.quarantine(dossier_id, LOADING, f"“{entry.name}”不是以有效的公民身份号码命名，"
                            "请按身份证号码重新命名后重新排队", "bad_name", cfg=cfg)
        report.quarantined.append(dossier_id)
    else:
        report.queued.append(dossier_id)


def mark_supplement(dossier_id: int, cfg: Settings | None = None) -> bool:
    """Mark a dossier as 补充材料; False if it was marked already."""
    with progress.writing(cfg) as s:
        if s.get(DossierSupplementRow, dossier_id) is not None:
            return False
        s.add(DossierSupplementRow(dossier_id=dossier_id))
        return True


def ingest(batch_dir: Path, *, profile: str = "", engine: str = "", manifest_path: Path | None = None,
           mode: str = "embedded", entries: list[Path] | None = None, cfg: Settings | None = None,
           supplement: bool = False) -> IngestReport:
    """Register and upload the batch's entries (all, or ``entries``); dispatching is the caller's."""
    cfg = cfg or settings()
    batch_dir = Path(batch_dir)
    if not batch_dir.is_dir():
        raise FileNotFoundError(f"找不到批次文件夹：{batch_dir}")
    manifest = None
    path = manifest_path or find_manifest(batch_dir)
    batch = open_batch(batch_dir, profile, engine, mode, cfg)
    report = IngestReport(batch.id, batch.name)
    if path:
        manifest = read_manifest(path)
        report.problems += manifest.problems
    storage = open_storage(cfg)
    for entry in entries if entries is not None else list_entries(batch_dir):
        add_entry(batch, entry, manifest, storage, report, cfg, supplement)
    report.format_notes = image_rules.batch_findings(report.formats)
    log.info("batch #%s: %d queued, %d requeued, %d refused, %d unchanged", batch.id, len(report.queued),
             len(report.requeued), len(report.quarantined), report.unchanged)
    return report


class Watcher:
    """Yields entries of a folder once their files have stayed the same for ``settle`` seconds.

    The signature of an entry is (number of files, total size, newest mtime); a scanner still
    writing changes it, so a half-written dossier is never picked up.
    """

    def __init__(self, batch_dir: Path, settle: float = 10.0, known: set[str] | None = None):
        self.batch_dir = Path(batch_dir)
        self.settle = settle
        self.known = set(known or ())
        self._seen: dict[str, tuple[tuple, float]] = {}

    @staticmethod
    def signature(entry: Path) -> tuple:
        files = staging.entry_files(entry) if entry.exists() else []
        stats = [f.stat() for f in files if f.exists()]
        return (len(stats), sum(s.st_size for s in stats), max((s.st_mtime_ns for s in stats), default=0))

    def ready(self, now: float | None = None) -> list[Path]:
        now = time.monotonic() if now is None else now
        out = []
        for entry in list_entries(self.batch_dir):
            if entry.name in self.known:
                continue
            sig = self.signature(entry)
            if sig[0] == 0 or sig[1] == 0:
                continue  # nothing written yet
            last = self._seen.get(entry.name)
            if last is None or last[0] != sig:
                self._seen[entry.name] = (sig, now)
                continue
            if now - last[1] >= self.settle:
                out.append(entry)
                self.known.add(entry.name)
                self._seen.pop(entry.name, None)
        return out


def known_entries(batch_dir: Path, cfg: Settings | None = None) -> set[str]:
    source = str(Path(batch_dir).resolve())
    with progress.reading(cfg) as s:
        batch = s.scalar(select(BatchRow).where(BatchRow.source_dir == source).order_by(BatchRow.id.desc()))
        if batch is None:
            return set()
        return set(s.scalars(select(DossierRow.entry).where(DossierRow.batch_id == batch.id)))
