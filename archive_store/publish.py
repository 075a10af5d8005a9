"""Atomic, idempotent, resumable publishing of a volume folder into storage and the catalog.

1. Reserve (one short write transaction): find the volume by the digest of its originals. Already
   published → return it unchanged. Pending (an earlier run crashed) → resume with its 档号.
   Withdrawn (退回), or the same person's withdrawn volume in this community → pending again with
   that 档号, its new files in a new storage folder (archive_store.withdraw). A person who already
   has a published or pending volume is refused, unless the publish is 补充材料 (``supplement``:
   a volume of its own, 卷号 2, 3, …; archive_store.supplements). Otherwise take the community's
   next 案卷号 and insert a *pending* row (invisible).
2. Store every object under county/street/community/<档号>/, skipping objects already stored with
   the right SHA-256 (resume); manifest.json last.
3. Verify: re-read every stored object and compare SHA-256 and size with the source.
4. Commit (one write transaction): materials, pages, index and fixity rows, status "published".
   Only now does the volume appear in the catalog and in search.

Each stage is a function of its own (``reserve``, ``store``, ``verify_stored``, ``commit``);
``publish_volume`` runs them in order.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from handover.config import Settings, settings
from handover.db import EnterpriseRow, RetireeRow, init_db
from handover.errors import Conflict
from handover.idnumber import mask
from handover.models import Destination
from handover.policy import Numbering, load_profile
from handover.clock import utcnow

from . import audit, supplements
from .communities import get_or_create
from .index import index_pages
from .numbering import check_format, format_ref_no, ref_no_to_filename
from .storage import ObjectNotFound, Storage, open_storage
from .tables import (PENDING, PUBLISHED, VOID, WITHDRAWN, CommunityRow, MaterialRow, PageRow, PageTextRow,
                     StoredObjectRow, VolumeRow)
from .tokens import normalize
from .transactions import next_volume_no, take_volume_no, write_transaction
from .volume_source import VolumeSource, assign_materials, read_volume
from .withdraw import reopen, revision_prefix, withdrawn_of

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"


class PublishError(Conflict):
    """Publishing failed; ``str(err)`` is a Chinese message. A pending volume resumes on rerun."""


@dataclass(frozen=True)
class PublishedVolume:
    volume_id: int
    community_id: int
    community: str
    volume_no: int
    ref_no: str
    prefix: str
    originals_sha256: str
    created: bool  # False: these originals were already published, nothing changed
    resumed: bool  # True: completed a publish that an earlier run left pending
    objects_written: int
    warnings: tuple[str, ...] = ()
    part_no: int = 1  # 卷号 under the person: 2, 3, … for 补充材料


def _segment(value: str, what: str) -> str:
    value = value.strip()
    if not value or "/" in value or "\\" in value or value in (".", "..") or value.startswith(".tmp-"):
        raise PublishError(f"{what}名称“{value}”不能用作存储路径")
    return value


def volume_prefix(destination: Destination, ref_no: str) -> str:
    return "/".join([_segment(destination.county, "区县"), _segment(destination.street, "街道"),
                     _segment(destination.community, "社区"), ref_no_to_filename(ref_no)])


def manifest_bytes(ref_no: str, community: dict[str, str], originals_sha256: str,
                   objects: list[tuple[str, str, int]]) -> bytes:
    """Deterministic manifest: the same volume always yields the same bytes."""
    doc = {
        "ref_no": ref_no,
        "community": community,
        "originals_sha256": originals_sha256,
        "objects": [{"key": k, "sha256": h, "size": n} for k, h, n in sorted(objects)],
    }
    return (json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode("utf-8")


@dataclass(frozen=True)
class Reservation:
    """Stage 1's outcome: the pending (or resumed) volume row and where its objects go."""

    volume_id: int
    ref_no: str
    prefix: str
    community_id: int
    community_label: str
    community_doc: dict[str, str]  # county, street, name, code — for the manifest
    resumed: bool  # an earlier run left this volume pending: objects already stored are kept
    part_no: int = 1  # 卷号 under the person


@dataclass(frozen=True)
class StoredObjects:
    """Stage 2's outcome: every object of the volume as (key under the prefix, SHA-256, size),
    the manifest last, and how many were written by this run."""

    objects: tuple[tuple[str, str, int], ...]
    written: int


def reserve(engine: Engine, src: VolumeSource, destination: Destination, profile_region: str,
            numbering: Numbering, actor: str, supplement: bool = False,
            volume_no: int | None = None) -> Reservation | PublishedVolume:
    """Stage 1, one short write transaction: the volume's row and 档号 (new, resumed, or reopened
    after 退回), or the already published volume when these originals are in the catalog.

    ``volume_no``: keep this 案卷号 instead of taking the community's next (a received package's
    档号 kept, archive_store.receive); refused if it is taken, and the counter moves past it.

    A new volume of a person who has one already is refused here (``SecondVolumeRefused``), in
    the transaction that would take the 档号: writers are serialised, so of two publishers of the
    same person the second sees the first's pending row, and a refusal takes no number."""
    with write_transaction(engine) as s:
        vol = s.scalar(select(VolumeRow).where(VolumeRow.originals_sha256 == src.originals_sha256))
        community = get_or_create(s, destination.county, destination.street, destination.community,
                                  destination.code)
        if vol is not None and vol.community_id != community.id:
            other = s.get(CommunityRow, vol.community_id)
            raise PublishError(f"这些原始文件已入库为档号 {vol.ref_no}（{other.label if other else '其他社区'}），"
                               f"不能再入库到{destination.label}")
        if vol is not None and vol.status == PUBLISHED:
            audit.record(s, actor, "publish_noop", vol.ref_no, "重复入库：原始文件未变化")
            return PublishedVolume(vol.id, community.id, community.label, vol.volume_no, vol.ref_no,
                                   vol.prefix, vol.originals_sha256, created=False, resumed=False,
                                   objects_written=0, warnings=src.warnings,
                                   part_no=supplements.part_no(s, vol.id))
        if vol is None:  # 退回 earlier: the same person keeps the 档号
            vol = withdrawn_of(s, src.id_number, community.id, supplement)
        if vol is not None and vol.status == WITHDRAWN:
            base = volume_prefix(destination, vol.ref_no)
            reopen(s, vol, src.originals_sha256, revision_prefix(base, s, vol.id), actor)
            vol.id_number, vol.id_reversed, vol.name = src.id_number, src.id_number[::-1], src.name
            vol.profile_region, vol.created_by, vol.source = profile_region, actor, src.meta
            resumed = False
        else:
            resumed = vol is not None
        if vol is None:
            placement = supplements.place_new_volume(s, src.id_number, community, supplement)
            number = next_volume_no(s, community.id) if volume_no is None else take_volume_no(s, community.id, volume_no)
            ref_no = format_ref_no(numbering.ref_no_format, numbering.fonds, community.code, number)
            vol = VolumeRow(community_id=community.id, volume_no=number, ref_no=ref_no,
                            fonds=numbering.fonds, status=PENDING,
                            prefix=volume_prefix(destination, ref_no),
                            originals_sha256=src.originals_sha256, id_number=src.id_number,
                            id_reversed=src.id_number[::-1], name=src.name,
                            profile_region=profile_region, created_by=actor, source=src.meta)
            s.add(vol)
            s.flush()
            if placement is not None:
                supplements.record(s, vol.id, placement)
                audit.record(s, actor, "reserve_ref_no", ref_no,
                             f"补充材料入库开始，预留档号（第{placement.part_no}卷，第1卷档号 {placement.first_ref_no}）",
                             community=community.label)
            else:
                audit.record(s, actor, "reserve_ref_no", ref_no, "入库开始，预留档号",
                             community=community.label)
        return Reservation(vol.id, vol.ref_no, vol.prefix, community.id, community.label,
                           {"county": community.county, "street": community.street,
                            "name": community.name, "code": community.code}, resumed,
                           supplements.part_no(s, vol.id))


def store(storage: Storage, src: VolumeSource, reservation: Reservation) -> StoredObjects:
    """Stage 2: every file under the volume's prefix (on resume, those already stored intact are
    skipped and those the folder no longer has are deleted), then manifest.json."""
    prefix, ref_no = reservation.prefix, reservation.ref_no
    written = 0
    objects: list[tuple[str, str, int]] = []
    for f in src.files:
        key = f"{prefix}/{f.stored_key(ref_no)}"
        objects.append((f.stored_key(ref_no), f.sha256, f.size))
        if reservation.resumed and _stored_ok(storage, key, f.sha256, f.size):
            continue
        info = storage.put(key, f.path, sha256=f.sha256)
        if info.sha256 != f.sha256 or info.size != f.size:
            raise PublishError(f"文件 {f.rel} 在入库过程中被修改，请重新入库")
        written += 1
    if reservation.resumed:  # the folder may have changed since the crashed run
        wanted = {f"{prefix}/{key}" for key, _, _ in objects} | {f"{prefix}/{MANIFEST}"}
        for info in list(storage.list(prefix + "/")):
            if info.key not in wanted:
                storage.delete(info.key)
    manifest = manifest_bytes(ref_no, reservation.community_doc, src.originals_sha256, objects)
    manifest_sha = hashlib.sha256(manifest).hexdigest()
    storage.put(f"{prefix}/{MANIFEST}", manifest, sha256=manifest_sha, content_type="application/json")
    return StoredObjects((*objects, (MANIFEST, manifest_sha, len(manifest))), written + 1)


def verify_stored(storage: Storage, prefix: str, stored: StoredObjects) -> None:
    """Stage 3: re-read every stored object; its SHA-256 and size must be the source's."""
    for key, sha, size in stored.objects:
        if not _stored_ok(storage, f"{prefix}/{key}", sha, size):
            raise PublishError(f"存储校验失败：{key} 的SHA-256与源文件不一致，请重新入库")


def commit(engine: Engine, src: VolumeSource, reservation: Reservation, stored: StoredObjects,
           actor: str) -> PublishedVolume:
    """Stage 4, one write transaction: materials, pages, index and fixity rows, status published."""
    r = reservation
    with write_transaction(engine) as s:
        vol = s.get(VolumeRow, r.volume_id)
        if vol is None:
            raise PublishError(f"档号 {r.ref_no} 的预留记录已不存在")
        if vol.status == PUBLISHED:  # another worker finished the same volume first
            return PublishedVolume(vol.id, r.community_id, r.community_label, vol.volume_no, r.ref_no,
                                   r.prefix, vol.originals_sha256, created=False, resumed=r.resumed,
                                   objects_written=stored.written, warnings=src.warnings, part_no=r.part_no)
        _fill_catalog(s, vol, src, list(stored.objects))
        vol.status = PUBLISHED
        vol.published_at = utcnow()
        audit.record(s, actor, "publish", r.ref_no, "档案入库", community=r.community_label,
                     objects=len(stored.objects), resumed=r.resumed)
        return PublishedVolume(vol.id, r.community_id, r.community_label, vol.volume_no, r.ref_no,
                               r.prefix, vol.originals_sha256, created=True, resumed=r.resumed,
                               objects_written=stored.written, warnings=src.warnings, part_no=r.part_no)


def publish_volume(cfg: Settings | None, volume_dir: Path, destination: Destination, profile_region: str,
                   actor: str, *, storage: Storage | None = None, supplement: bool = False) -> PublishedVolume:
    """Store a volume folder and make it visible in the catalog and search, all or nothing.

    ``cfg``: the database and storage settings (None: the process settings); ``storage``
    defaults to the configured backend; ``supplement``: 补充材料 of a person already filed (a
    volume of its own under that person). Reserve → store → verify → commit.
    """
    cfg = cfg or settings()
    return publish_source(init_db(cfg), storage or open_storage(cfg), read_volume(Path(volume_dir)), destination,
                          profile_region, actor, supplement=supplement)


def publish_source(engine: Engine, storage: Storage, src: VolumeSource, destination: Destination,
                   profile_region: str, actor: str, *, supplement: bool = False,
                   volume_no: int | None = None) -> PublishedVolume:
    """``publish_volume`` of a volume already read: a folder (``read_volume``) or a received
    package's volume (archive_store.receive, ``volume_no`` when its 档号 is kept)."""
    numbering = load_profile(profile_region).numbering
    check_format(numbering.ref_no_format)
    try:
        reservation = reserve(engine, src, destination, profile_region, numbering, actor, supplement, volume_no)
    except supplements.SecondVolumeRefused as err:
        with write_transaction(engine) as s:  # the reserve transaction rolled back: audit apart
            audit.record(s, actor, "publish_refused", mask(src.id_number), str(err), supplement=supplement)
        raise
    if isinstance(reservation, PublishedVolume):
        return reservation
    log.info("publishing %s as %s%s", mask(src.id_number), reservation.ref_no,
             " (resuming)" if reservation.resumed else "")
    stored = store(storage, src, reservation)
    verify_stored(storage, reservation.prefix, stored)
    return commit(engine, src, reservation, stored, actor)


def _stored_ok(storage: Storage, key: str, sha256: str, size: int) -> bool:
    try:
        if storage.stat(key).size != size:
            return False
        return storage.sha256(key) == (sha256, size)
    except ObjectNotFound:
        return False


def _fill_catalog(s: Session, vol: VolumeRow, src: VolumeSource,
                  objects: list[tuple[str, str, int]]) -> None:
    retiree = s.scalar(select(RetireeRow).where(RetireeRow.id_number == src.id_number))
    vol.enterprise_name = normalize(str(src.meta.get("enterprise") or ""))
    if retiree is not None:  # the roster links the volume to its person and enterprise
        vol.retiree_id = retiree.id
        vol.name = vol.name or retiree.name
        enterprise = s.get(EnterpriseRow, retiree.enterprise_id)
        vol.enterprise_name = enterprise.name if enterprise else vol.enterprise_name
    vol.engine = src.engine
    vol.content_pages = src.content_pages
    vol.blank_pages = src.blank_pages
    vol.materials = len(src.contents)
    vol.check_outcome = src.check_outcome
    vol.manifest_sha256 = next(h for k, h, _ in objects if k == MANIFEST)
    dates = [r.formed_on for r in src.contents if r.formed_on]
    vol.date_from, vol.date_to = (min(dates), max(dates)) if dates else (None, None)

    material_rows = [MaterialRow(volume_id=vol.id, ordinal=i, seq=r.seq, class_code=r.class_code,
                                 title=r.title, formed_on=r.formed_on, pages=r.pages,
                                 start_page=r.start_page, end_page=r.end_page, remarks=r.remarks)
                     for i, r in enumerate(src.contents, 1)]
    s.add_all(material_rows)
    s.flush()
    owner = assign_materials(src.pages, src.contents)
    images = {Path(k).stem.rsplit("-", 1)[-1]: k for k, _, _ in objects if k.startswith("pages/")}
    page_rows, texts = [], []
    for p in src.pages:
        pos = owner.get(p.index)
        page_rows.append(PageRow(volume_id=vol.id, seq=p.index, page_no=p.page_no, blank=p.blank,
                                 duplicate_of=p.duplicate_of, confidence=p.confidence,
                                 material_id=material_rows[pos].id if pos is not None else None,
                                 image_key=images.get(f"{p.index:04d}", "")))
        texts.append(normalize(p.text))
    s.add_all(page_rows)
    s.add_all(StoredObjectRow(volume_id=vol.id, key=k, sha256=h, size=n) for k, h, n in objects)
    s.flush()
    s.add_all(PageTextRow(page_id=row.id, text=t) for row, t in zip(page_rows, texts))
    index_pages(s, ((row.id, t, vol.community_id) for row, t in zip(page_rows, texts)
                    if row.duplicate_of is None and t.strip()))


def void_pending(cfg: Settings | None, ref_no: str, actor: str, reason: str, *,
                 storage: Storage | None = None) -> None:
    """Give up an unfinished publish: its objects are removed and its 档号 is marked void (作废).

    The number is not reissued (DA/T 13: never renumber); the void row explains the gap.
    """
    if not reason.strip():
        raise PublishError("作废预留档号必须填写原因")
    cfg = cfg or settings()
    engine = init_db(cfg)
    storage = storage or open_storage(cfg)
    with write_transaction(engine) as s:
        vol = s.scalar(select(VolumeRow).where(VolumeRow.ref_no == ref_no))
        if vol is None or vol.status != PENDING:
            raise PublishError(f"档号 {ref_no} 不是未完成的入库，不能作废")
        for info in list(storage.list(vol.prefix + "/")):
            storage.delete(info.key)
        vol.status = VOID
        vol.originals_sha256 = f"void:{vol.id}"  # the same originals may be published again
        supplements.forget(s, vol.id)
        audit.record(s, actor, "void_ref_no", ref_no, reason)
