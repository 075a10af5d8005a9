"""Catalog tables of the archive store (declared on handover.db.Base; the package's __init__ imports this module).

Visibility rule: a volume is visible (catalog, search, export) only with status "published". A
"pending" row holds the 档号 reserved for a publish in progress, so a crashed publish resumes with
the same number and numbers stay gap-free. A "withdrawn" volume (退回 by the archive after it was
published, archive_store.withdraw) keeps its 档号, row and stored files; only archive staff see it,
and the next publish of the same person in the same community reuses it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (JSON, Boolean, Date, DateTime, Float, ForeignKey, Integer, String, Text,
                        UniqueConstraint, func)
from sqlalchemy.orm import Mapped, mapped_column

from handover.db import Base

PENDING = "pending"
PUBLISHED = "published"
VOID = "void"  # a reservation given up by an operator: the number stays used (never reissued)
WITHDRAWN = "withdrawn"  # 退回 after publishing: invisible, 档号 kept for the same person


class CommunityRow(Base):
    __tablename__ = "communities"
    __table_args__ = (UniqueConstraint("county", "street", "name", name="uq_community_place"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    county: Mapped[str] = mapped_column(String(64))
    street: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(64), index=True)
    code: Mapped[str] = mapped_column(String(32), index=True)  # 统计用区划代码 or a stable fallback
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())

    @property
    def label(self) -> str:
        return f"{self.county}{self.street}{self.name}"


class CounterRow(Base):
    """Next 案卷号 per community; incremented inside the transaction that reserves it."""

    __tablename__ = "community_counters"
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), primary_key=True)
    next_volume_no: Mapped[int] = mapped_column(Integer, default=1)


class VolumeRow(Base):
    __tablename__ = "volumes"
    __table_args__ = (
        UniqueConstraint("community_id", "volume_no", name="uq_volume_community_no"),
        UniqueConstraint("ref_no", name="uq_volume_ref_no"),
        UniqueConstraint("originals_sha256", name="uq_volume_originals"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    volume_no: Mapped[int] = mapped_column(Integer)
    ref_no: Mapped[str] = mapped_column(String(80))
    fonds: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(12), default=PENDING)
    prefix: Mapped[str] = mapped_column(String(400))  # object-key prefix of the volume folder
    originals_sha256: Mapped[str] = mapped_column(String(64))  # digest over the originals/ files
    id_number: Mapped[str] = mapped_column(String(18), index=True)
    # ID-suffix search: a range that needs a bytewise order (revision 0006: "C" on PostgreSQL).
    id_reversed: Mapped[str] = mapped_column(String(18).with_variant(String(18, collation="C"), "postgresql"),
                                             index=True)
    name: Mapped[str] = mapped_column(String(64), default="", index=True)
    enterprise_name: Mapped[str] = mapped_column(String(200), default="")
    retiree_id: Mapped[int | None] = mapped_column(ForeignKey("retirees.id"), nullable=True)
    engine: Mapped[str] = mapped_column(String(32), default="")
    content_pages: Mapped[int] = mapped_column(Integer, default=0)
    blank_pages: Mapped[int] = mapped_column(Integer, default=0)
    materials: Mapped[int] = mapped_column(Integer, default=0)
    date_from: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    date_to: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    check_outcome: Mapped[str] = mapped_column(String(16), default="")
    profile_region: Mapped[str] = mapped_column(String(64), default="")
    manifest_sha256: Mapped[str] = mapped_column(String(64), default="")
    source: Mapped[dict] = mapped_column(JSON, default=dict)  # volume.json as received
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())
    created_by: Mapped[str] = mapped_column(String(64), default="")
    published_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class MaterialRow(Base):
    """One row of the 卷内目录 (contents.json)."""

    __tablename__ = "materials"
    id: Mapped[int] = mapped_column(primary_key=True)
    volume_id: Mapped[int] = mapped_column(ForeignKey("volumes.id"), index=True)
    ordinal: Mapped[int] = mapped_column(Integer)
    seq: Mapped[str] = mapped_column(String(16), default="")
    class_code: Mapped[str] = mapped_column(String(8), index=True)
    title: Mapped[str] = mapped_column(String(400))
    formed_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    start_page: Mapped[int | None] = mapped_column(Integer, nullable=True)
    end_page: Mapped[int | None] = mapped_column(Integer, nullable=True)
    remarks: Mapped[str] = mapped_column(String(400), default="")


class PageRow(Base):
    """One scanned side (narrow on purpose: search joins it for every candidate; the text is in
    PageTextRow and read only for the hits shown)."""

    __tablename__ = "pages"
    __table_args__ = (UniqueConstraint("volume_id", "seq", name="uq_page_volume_seq"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    volume_id: Mapped[int] = mapped_column(ForeignKey("volumes.id"), index=True)
    material_id: Mapped[int | None] = mapped_column(ForeignKey("materials.id"), nullable=True, index=True)
    seq: Mapped[int] = mapped_column(Integer)  # 1-based image sequence (图像流水号)
    page_no: Mapped[int | None] = mapped_column(Integer, nullable=True)  # None: blank side
    blank: Mapped[bool] = mapped_column(Boolean, default=False)
    duplicate_of: Mapped[int | None] = mapped_column(Integer, nullable=True)
    confidence: Mapped[float] = mapped_column(Float, default=0.0)
    image_key: Mapped[str] = mapped_column(String(400), default="")


class PageTextRow(Base):
    """The normalised OCR text of a page (display and snippets; the index is built from it)."""

    __tablename__ = "page_texts"
    page_id: Mapped[int] = mapped_column(ForeignKey("pages.id"), primary_key=True)
    text: Mapped[str] = mapped_column(Text, default="")


class StoredObjectRow(Base):
    """Every object of a volume with its fixity data (the manifest, kept in the catalog too)."""

    __tablename__ = "stored_objects"
    __table_args__ = (UniqueConstraint("volume_id", "key", name="uq_object_volume_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    volume_id: Mapped[int] = mapped_column(ForeignKey("volumes.id"), index=True)
    key: Mapped[str] = mapped_column(String(600))  # relative to the volume prefix
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)


class AuditRow(Base):
    """One audit row, append-only and hash-chained (archive_store.audit_chain): ``row_hash`` is the
    SHA-256 of the row's content with ``seq`` and ``prev_hash``, the previous row's ``row_hash``."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    actor: Mapped[str] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(32), index=True)
    target: Mapped[str] = mapped_column(String(400))
    reason: Mapped[str] = mapped_column(String(400), default="")
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    # Server defaults as the upgrade's ALTER TABLE gives them (archive_store.audit_chain).
    outcome: Mapped[str] = mapped_column(String(12), default="allowed", server_default="allowed",
                                         index=True)  # allowed | refused | not_found
    # The chain: the position (1, 2, … without gaps), the previous row's hash and this row's.
    seq: Mapped[int | None] = mapped_column(Integer, index=True, unique=True, nullable=True)  # a unique index: addable later
    prev_hash: Mapped[str] = mapped_column(String(64), default="", server_default="")
    row_hash: Mapped[str] = mapped_column(String(64), default="", server_default="")


class AuditChainRow(Base):
    """The head of the audit chain, one row (id 1): the last position and hash. Writers lock this
    row to append, so two of them never chain onto the same row; a deleted newest row shows as a
    head ahead of the table. ``legacy_rows``: rows written before the chain, chained once when the
    database was upgraded (``chained_at``)."""

    __tablename__ = "audit_chain"
    id: Mapped[int] = mapped_column(primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    last_hash: Mapped[str] = mapped_column(String(64), default="")
    legacy_rows: Mapped[int] = mapped_column(Integer, default=0)
    chained_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class VolumeWithdrawalRow(Base):
    """A 退回 of a published volume: why, by whom, and where that version's files stay."""

    __tablename__ = "volume_withdrawals"
    id: Mapped[int] = mapped_column(primary_key=True)
    volume_id: Mapped[int] = mapped_column(ForeignKey("volumes.id"), index=True)
    ref_no: Mapped[str] = mapped_column(String(80))
    reason: Mapped[str] = mapped_column(String(400))
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    # The withdrawn version: its originals' digest and storage folder (described by its manifest.json).
    originals_sha256: Mapped[str] = mapped_column(String(64))
    prefix: Mapped[str] = mapped_column(String(400))
    manifest_sha256: Mapped[str] = mapped_column(String(64), default="")
    republished_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class SupplementRow(Base):
    """A 补充材料 volume: the person's ``part_no``-th 卷 (卷号 2, 3, …) after their first volume.

    The first volume has no row here (卷号 1). A table of its own, not a column of ``volumes``, so
    that databases made before keep working (``init_db`` creates new tables, never new columns).
    """

    __tablename__ = "volume_supplements"
    __table_args__ = (UniqueConstraint("first_volume_id", "part_no", name="uq_supplement_part"),)
    volume_id: Mapped[int] = mapped_column(ForeignKey("volumes.id"), primary_key=True)
    first_volume_id: Mapped[int] = mapped_column(ForeignKey("volumes.id"), index=True)
    part_no: Mapped[int] = mapped_column(Integer)  # 卷号


class AccessRequestRow(Base):
    """查阅/外借登记 with an approval state."""

    __tablename__ = "access_requests"
    id: Mapped[int] = mapped_column(primary_key=True)
    volume_id: Mapped[int] = mapped_column(ForeignKey("volumes.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # "view" 查阅 / "loan" 外借
    requester: Mapped[str] = mapped_column(String(64))
    organisation: Mapped[str] = mapped_column(String(200), default="")
    reason: Mapped[str] = mapped_column(String(400))
    status: Mapped[str] = mapped_column(String(12), default="pending", index=True)
    requested_at: Mapped[dt.datetime] = mapped_column(DateTime)
    due_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    decided_by: Mapped[str] = mapped_column(String(64), default="")
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    decision_note: Mapped[str] = mapped_column(String(400), default="")
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    # 利用效果, noted when the request is closed (archive_store.use_register adds the column to
    # databases from before it).
    use_effect: Mapped[str] = mapped_column(String(200), default="", server_default="")



class ReviewAnswerRow(Base):
    """An answer to one item of a volume's 校对 queue (archive_store.review): the value archive
    staff confirmed or typed for ``key`` ("<field>:<image index>"), and the machine's reading it
    replaced. Answers belong to one version of the volume (its originals' digest): a volume
    re-published after 退回 starts with an empty queue."""

    __tablename__ = "review_answers"
    __table_args__ = (UniqueConstraint("volume_id", "originals_sha256", "key", name="uq_review_answer"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    volume_id: Mapped[int] = mapped_column(ForeignKey("volumes.id"), index=True)
    originals_sha256: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(40))
    field: Mapped[str] = mapped_column(String(16))
    page: Mapped[int | None] = mapped_column(Integer, nullable=True)  # image index (None: the volume)
    value: Mapped[str] = mapped_column(String(400))  # as confirmed or typed (normalised per field)
    machine_value: Mapped[str] = mapped_column(String(400), default="")  # what the check read
    confirmed: Mapped[bool] = mapped_column(Boolean, default=False)  # value == machine value
    reason_zh: Mapped[str] = mapped_column(String(400), default="")  # why the check asked
    box: Mapped[list | None] = mapped_column(JSON, nullable=True)  # the crop shown
    material: Mapped[str] = mapped_column(String(400), default="")
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(DateTime)


class ReviewWaiverRow(Base):
    """Archive staff settled a volume's open 校对 items as they stand (全部放弃/确认现状)."""

    __tablename__ = "review_waivers"
    id: Mapped[int] = mapped_column(primary_key=True)
    volume_id: Mapped[int] = mapped_column(ForeignKey("volumes.id"), index=True)
    originals_sha256: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(400))
    open_items: Mapped[int] = mapped_column(Integer, default=0)  # how many were open when waived
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(DateTime)


class ReviewStateRow(Base):
    """How many 校对 items a published volume's stored check.json leaves open: a cache of that
    file keyed by its SHA-256 (the home page counts without reading every check.json), and the
    page-image measurements a re-check needs, taken once per version of the volume."""

    __tablename__ = "review_states"
    volume_id: Mapped[int] = mapped_column(ForeignKey("volumes.id"), primary_key=True)
    check_sha256: Mapped[str] = mapped_column(String(64), default="")
    open_items: Mapped[int] = mapped_column(Integer, default=0, index=True)
    waived: Mapped[bool] = mapped_column(Boolean, default=False)
    probes: Mapped[dict] = mapped_column(JSON, default=dict)  # {"originals": sha, "pages": {index: [mode, skew]}}


class ReceiptRow(Base):
    """The scanned, signed and sealed 档案移交名册表 of one street: the receipt (接收手续已办结) of
    the enterprise's volumes for that street (archive_store.receipts). A later upload for the same
    street supersedes the earlier one; both stay on record."""

    __tablename__ = "handover_receipts"
    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    county: Mapped[str] = mapped_column(String(64))
    street: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(600))  # object key in the storage
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    file_name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[dt.datetime] = mapped_column(DateTime)



class AcceptanceRow(Base):
    """The acceptance (验收, DA/T 31-2017 §12.3) of one delivery package found in the incoming
    folder: its 四性检测 (every automatic check, on all of it), the drawn sample of volumes with
    its seed, and once concluded the 合格/不合格 (archive_store.acceptance)."""

    __tablename__ = "acceptances"
    id: Mapped[int] = mapped_column(primary_key=True)
    package: Mapped[str] = mapped_column(String(255), index=True)  # the folder's name in the incoming folder
    # SHA-256 of the package's manifest file when the acceptance started: the package's identity
    # (the manifest holds every file's SHA-256, and the 四性检测 checks the files against it), by
    # which ``handover receive`` finds the acceptance of exactly what it is given. None: no manifest.
    manifest_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    vendor: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(16))  # checking | inspecting | concluded | error
    volumes: Mapped[int] = mapped_column(Integer, default=0)
    images: Mapped[int] = mapped_column(Integer, default=0)
    checks_passed: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    checks: Mapped[dict | None] = mapped_column(JSON, nullable=True)  # FourChecksReport.as_dict()
    error: Mapped[str] = mapped_column(Text, default="")
    seed: Mapped[str] = mapped_column(String(64))
    share: Mapped[float] = mapped_column(Float)
    population: Mapped[int] = mapped_column(Integer)
    sample: Mapped[list] = mapped_column(JSON)  # the sampled 档号, in catalogue order
    started_by: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime)
    conclusion: Mapped[str | None] = mapped_column(String(8), nullable=True)  # 合格 | 不合格
    problems: Mapped[str] = mapped_column(Text, default="")  # the inspector's 需整改问题 beyond the failures
    concluded_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    concluded_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class AcceptanceMarkRow(Base):
    """One manual inspection item of one sampled volume: passed or failed, with the remark."""

    __tablename__ = "acceptance_marks"
    __table_args__ = (UniqueConstraint("acceptance_id", "ref_no", "item", name="uq_acceptance_marks_item"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    acceptance_id: Mapped[int] = mapped_column(ForeignKey("acceptances.id"), index=True)
    ref_no: Mapped[str] = mapped_column(String(80))
    item: Mapped[str] = mapped_column(String(32))
    passed: Mapped[bool] = mapped_column(Boolean)
    remark: Mapped[str] = mapped_column(Text, default="")
    marked_by: Mapped[str] = mapped_column(String(64))
    marked_at: Mapped[dt.datetime] = mapped_column(DateTime)

# The full-text index, one row per page (archive_store.index chooses the backend by dialect).
# SQLite (archive_store.fts_sqlite): contentless FTS5 (the text lives in page_texts), rowid =
# pages.id. Tokens come from archive_store.tokens; unicode61 only splits them on spaces. The
# "scope" column holds one token per page, "c<community id>", so that the caller's community
# scope is part of the full-text query itself (the joined volumes.community_id check stays as well).
# PostgreSQL (archive_store.fts_postgres): page_id = pages.id, doc = the page's tokens and its
# scope lexeme as a tsvector, in a GIN index (fastupdate on, the default: inserts go to a pending
# list merged in bulk, 4-8x faster indexing than fastupdate off; searches scan that list, at most
# gin_pending_list_limit = 4 MB). The DDL of both is the migrations' (SQLITE_FTS, POSTGRESQL_FTS in
# handover/migrations/versions/0001_baseline.py); a change to it is a new revision.
FTS_TABLE = "page_fts"
