"""Progress tables of the workers (declared on handover.db.Base; the package's __init__ imports this module).

A *batch* is one ingested folder; a *dossier* is one retiree's scanned file inside it. Page rows
make progress counting idempotent: a page redelivered after a worker died is counted once.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from handover.db import Base
from handover.clock import utcnow

# Dossier stages, in order; the last two are terminal.
QUEUED = "queued"
LOADING = "loading"
OCR = "ocr"
ASSEMBLING = "assembling"
CHECKING = "checking"
PUBLISHING = "publishing"
PUBLISHED = "published"
QUARANTINED = "quarantined"
STAGES = (QUEUED, LOADING, OCR, ASSEMBLING, CHECKING, PUBLISHING, PUBLISHED, QUARANTINED)
STAGE_LABELS = {QUEUED: "排队中", LOADING: "读取校验", OCR: "识别中", ASSEMBLING: "组卷",
                CHECKING: "完整性检查", PUBLISHING: "入库中", PUBLISHED: "已入库", QUARANTINED: "已隔离"}
TERMINAL = (PUBLISHED, QUARANTINED)


class BatchRow(Base):
    __tablename__ = "worker_batches"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)  # folder name
    source_dir: Mapped[str] = mapped_column(String(1000))  # absolute path on the ingesting machine
    profile_region: Mapped[str] = mapped_column(String(64), default="")
    engine: Mapped[str] = mapped_column(String(32), default="rapidocr")
    mode: Mapped[str] = mapped_column(String(16), default="embedded")  # embedded | distributed
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())


class DossierRow(Base):
    __tablename__ = "worker_dossiers"
    __table_args__ = (UniqueConstraint("batch_id", "entry", name="uq_worker_dossier_entry"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("worker_batches.id"), index=True)
    entry: Mapped[str] = mapped_column(String(255))  # sub-folder or PDF name inside the batch folder
    id_number: Mapped[str] = mapped_column(String(18), index=True)
    name: Mapped[str] = mapped_column(String(64), default="")
    source_path: Mapped[str] = mapped_column(String(1000))  # where it was picked up (for requeue)
    # SHA-256 over the names and digests of the delivered files: the key of all work objects.
    source_sha256: Mapped[str] = mapped_column(String(64), index=True)
    files: Mapped[list] = mapped_column(JSON, default=list)  # [{"name", "sha256", "size"}]
    destination: Mapped[dict | None] = mapped_column(JSON, nullable=True)  # from the manifest
    profile_region: Mapped[str] = mapped_column(String(64), default="")
    stage: Mapped[str] = mapped_column(String(16), default=QUEUED, index=True)
    pages_total: Mapped[int] = mapped_column(Integer, default=0)
    pages_done: Mapped[int] = mapped_column(Integer, default=0)
    failures: Mapped[list] = mapped_column(JSON, default=list)  # [{"stage", "page", "reason", "at"}]
    quarantine_code: Mapped[str] = mapped_column(String(32), default="")
    quarantine_reason: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # times queued (1 + requeues)
    ref_no: Mapped[str] = mapped_column(String(80), default="")
    volume_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    publish_created: Mapped[int] = mapped_column(Integer, default=0)  # publishes that created the volume
    warnings: Mapped[list] = mapped_column(JSON, default=list)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class DossierSupplementRow(Base):
    """A dossier delivered as 补充材料 of a person already filed: published as that person's next
    volume (archive_store.supplements). A table of its own so that databases made before keep
    working; read at publish time, so a requeued dossier is still a supplement."""

    __tablename__ = "worker_supplements"
    dossier_id: Mapped[int] = mapped_column(ForeignKey("worker_dossiers.id"), primary_key=True)


class DossierPageRow(Base):
    """One page of a dossier: who is working on it and whether its OCR result is stored."""

    __tablename__ = "worker_pages"
    __table_args__ = (UniqueConstraint("dossier_id", "seq", name="uq_worker_page"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("worker_dossiers.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)  # 1-based position in the dossier
    sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending|running|done|failed
    worker: Mapped[str] = mapped_column(String(200), default="")  # last worker that took it
    runs: Mapped[int] = mapped_column(Integer, default=0)  # times started (>1: redelivered)
    error: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
