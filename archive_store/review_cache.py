"""The 校对 counts across published volumes: (open items, waived) of each stored check.json,
cached in ``ReviewStateRow`` and read again only for the volumes whose check.json changed (its
recorded SHA-256); the volumes whose queue is still open (``pending``) and one volume's count
(``open_count``).
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

from sqlalchemy import or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from handover import volume_folder
from handover.db import managed

from .review_check import CHECK
from .storage import Storage, StorageError
from .tables import PUBLISHED, CommunityRow, ReviewStateRow, StoredObjectRow, VolumeRow
from .transactions import try_write_transaction, write_transaction

def _summary(data: bytes) -> tuple[int, bool]:
    try:
        check = volume_folder.loads(volume_folder.CHECK_JSON, data)
    except volume_folder.VolumeFormatError:
        return 0, False
    return len(check.review), check.waived


@contextmanager
def _write_lock(engine: Engine, wait: bool) -> Iterator[Session | None]:
    """A write transaction, or None when ``wait`` is false and another connection holds the lock
    (a page being rendered may hold it itself, or wait behind its holder: its audit row is not
    committed yet)."""
    if wait:
        with write_transaction(engine) as s:
            yield s
        return
    with managed(Session(engine, expire_on_commit=False)) as s:
        yield s if try_write_transaction(s) else None


def _checked(volume_ids: list[int] | None):
    """Published volumes with a stored check.json, beside their cached counts (outer join)."""
    q = (select(VolumeRow.id, VolumeRow.prefix, StoredObjectRow.sha256, ReviewStateRow.check_sha256,
                ReviewStateRow.open_items, ReviewStateRow.waived)
         .join(StoredObjectRow, (StoredObjectRow.volume_id == VolumeRow.id) & (StoredObjectRow.key == CHECK))
         .outerjoin(ReviewStateRow, ReviewStateRow.volume_id == VolumeRow.id)
         .where(VolumeRow.status == PUBLISHED))
    return q.where(VolumeRow.id.in_(volume_ids)) if volume_ids is not None else q


def refresh(engine: Engine, storage: Storage, volume_ids: list[int] | None = None,
            wait: bool = True) -> dict[int, tuple[int, bool]]:
    """Read again the check.json of the volumes whose cached counts are stale (new volumes,
    re-published ones: the file's recorded SHA-256 changed) and cache (open items, waived) — without
    waiting for the write lock when ``wait`` is false (then only the returned counts are fresh)."""
    stale_only = or_(ReviewStateRow.check_sha256.is_(None), ReviewStateRow.check_sha256 != StoredObjectRow.sha256)
    with Session(engine) as s:
        stale = [(vid, prefix, sha) for vid, prefix, sha, *_ in s.execute(_checked(volume_ids).where(stale_only))]
    found: dict[int, tuple[str, tuple[int, bool]]] = {}
    for vid, prefix, sha in stale:
        try:
            found[vid] = (sha, _summary(storage.get(f"{prefix}/{CHECK}")))
        except StorageError:
            continue  # ``handover verify`` reports the missing object
    if found:
        with _write_lock(engine, wait) as s:
            for vid, (sha, (open_items, waived)) in found.items() if s is not None else ():
                state = s.get(ReviewStateRow, vid) or ReviewStateRow(volume_id=vid, probes={})
                state.check_sha256, state.open_items, state.waived = sha, open_items, waived
                s.add(state)
    return {vid: counts for vid, (_, counts) in found.items()}


@dataclass(frozen=True)
class Pending:
    volume_id: int
    ref_no: str
    name: str
    community: str
    open_items: int
    outcome: str


def pending(engine: Engine, storage: Storage, scope: list[int] | None = None, wait: bool = True) -> list[Pending]:
    """Published volumes whose 校对 queue has open items and was not waived (provisional outcome)."""
    fresh = refresh(engine, storage, wait=wait)
    cached = (ReviewStateRow.check_sha256 == StoredObjectRow.sha256) & (ReviewStateRow.open_items > 0) \
        & ReviewStateRow.waived.is_(False)
    with Session(engine) as s:
        counts = {vid: n for vid, *_, n, _w in s.execute(_checked(None).where(cached))}
    counts.update({vid: n for vid, (n, waived) in fresh.items() if n and not waived})  # if not cached
    if not counts:
        return []
    q = (select(VolumeRow, CommunityRow).join(CommunityRow, CommunityRow.id == VolumeRow.community_id)
         .where(VolumeRow.id.in_(list(counts))).order_by(VolumeRow.community_id, VolumeRow.volume_no))
    if scope is not None:
        q = q.where(VolumeRow.community_id.in_(scope))
    with Session(engine) as s:
        return [Pending(v.id, v.ref_no, v.name, c.label, counts[v.id], v.check_outcome) for v, c in s.execute(q)]


def open_count(engine: Engine, storage: Storage, volume_id: int, wait: bool = True) -> tuple[int, bool]:
    """(open items, waived) of one published volume's stored check ((0, False) without one)."""
    fresh = refresh(engine, storage, [volume_id], wait=wait)
    if volume_id in fresh:
        return fresh[volume_id]
    with Session(engine) as s:
        row = s.execute(_checked([volume_id])).first()
    return (row.open_items or 0, bool(row.waived)) if row is not None else (0, False)
