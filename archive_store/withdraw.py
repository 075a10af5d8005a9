"""退回: taking a published volume back out of circulation, and filing it again later.

``withdraw_volume`` runs in the caller's transaction: the volume's status becomes "withdrawn" —
out of search (its pages leave the full-text index), catalogs, exports and every non-archive
view — while its row, 档号 and stored files stay. When the same person is published again into
the same community (the enterprise supplied the missing materials), ``publish_volume`` calls
``reopen`` so the new version takes the same 档号 (DA/T 13: a number is never reissued to someone
else) — a withdrawn 补充材料 volume is reopened by the person's next supplement, a withdrawn first
volume by the next plain publish; the withdrawn version's files stay in their own storage folder,
recorded on the withdrawal row.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from handover.clock import utcnow
from handover.errors import InputRefused

from . import audit
from .index import unindex_pages
from .supplements import is_supplement
from .tables import (PENDING, PUBLISHED, WITHDRAWN, MaterialRow, PageRow, PageTextRow, StoredObjectRow,
                     VolumeRow, VolumeWithdrawalRow)


class WithdrawError(InputRefused):
    """Refused; ``str(err)`` is the Chinese reason."""


def withdraw_volume(session: Session, ref_no: str, actor: str, reason: str) -> VolumeWithdrawalRow:
    """Withdraw the published volume ``ref_no`` with a required reason (audited)."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise WithdrawError("退回案卷必须填写原因")
    vol = session.scalar(select(VolumeRow).where(VolumeRow.ref_no == ref_no))
    if vol is None or vol.status != PUBLISHED:
        raise WithdrawError(f"档号 {ref_no} 不是已入库的案卷，不能退回")
    pages = session.execute(select(PageRow.id, PageTextRow.text)
                            .join(PageTextRow, PageTextRow.page_id == PageRow.id)
                            .where(PageRow.volume_id == vol.id, PageRow.duplicate_of.is_(None)))
    unindex_pages(session, ((pid, text, vol.community_id) for pid, text in pages if (text or "").strip()))
    vol.status = WITHDRAWN
    row = VolumeWithdrawalRow(volume_id=vol.id, ref_no=vol.ref_no, reason=reason[:400], actor=actor, at=utcnow(),
                              originals_sha256=vol.originals_sha256, prefix=vol.prefix,
                              manifest_sha256=vol.manifest_sha256)
    session.add(row)
    audit.record(session, actor, "withdraw", vol.ref_no, reason, prefix=vol.prefix)
    return row


def latest_withdrawal(session: Session, volume_id: int) -> VolumeWithdrawalRow | None:
    return session.scalar(select(VolumeWithdrawalRow).where(VolumeWithdrawalRow.volume_id == volume_id)
                          .order_by(VolumeWithdrawalRow.id.desc()))


def withdrawn_volumes(session: Session) -> list[tuple[VolumeRow, VolumeWithdrawalRow | None]]:
    """Every volume now withdrawn, newest withdrawal first, with its latest withdrawal."""
    vols = session.scalars(select(VolumeRow).where(VolumeRow.status == WITHDRAWN))
    pairs = [(v, latest_withdrawal(session, v.id)) for v in vols]
    return sorted(pairs, key=lambda p: p[1].at if p[1] else dt.datetime.min, reverse=True)


def withdrawn_of(session: Session, id_number: str, community_id: int, supplement: bool = False) -> VolumeRow | None:
    """The withdrawn volume of this person in this community, whose 档号 a new publish reuses: a
    first volume for a plain publish, a 补充材料 volume for a supplement (so the person's other
    files never take each other's place)."""
    kind = is_supplement() if supplement else ~is_supplement()
    return session.scalar(select(VolumeRow).where(VolumeRow.id_number == id_number,
                                                  VolumeRow.community_id == community_id,
                                                  VolumeRow.status == WITHDRAWN, kind).order_by(VolumeRow.id.desc()))


def reopen(session: Session, vol: VolumeRow, originals_sha256: str, prefix: str, actor: str) -> None:
    """Make a withdrawn volume a pending publish of new files under ``prefix`` (same 档号).

    The withdrawn version's catalog rows go (its pages already left the index); its files stay
    under the old prefix, named on the withdrawal row, with their manifest.json.
    """
    if vol.status != WITHDRAWN:
        raise WithdrawError(f"档号 {vol.ref_no} 未被退回")
    last = latest_withdrawal(session, vol.id)
    if last is not None:
        last.republished_at = utcnow()
    pages = select(PageRow.id).where(PageRow.volume_id == vol.id)
    session.execute(delete(PageTextRow).where(PageTextRow.page_id.in_(pages)))
    session.execute(delete(PageRow).where(PageRow.volume_id == vol.id))
    session.execute(delete(MaterialRow).where(MaterialRow.volume_id == vol.id))
    session.execute(delete(StoredObjectRow).where(StoredObjectRow.volume_id == vol.id))
    old_prefix = vol.prefix
    vol.status, vol.originals_sha256, vol.prefix, vol.published_at = PENDING, originals_sha256, prefix, None
    audit.record(session, actor, "reuse_ref_no", vol.ref_no, "退回后重新入库，沿用原档号",
                 withdrawn_prefix=old_prefix)


def revision_prefix(base: str, session: Session, volume_id: int) -> str:
    """The storage folder of a re-published version: ``<档号>-r2``, ``-r3`` … beside the first."""
    count = session.scalar(select(func.count()).where(VolumeWithdrawalRow.volume_id == volume_id))
    return f"{base}-r{count + 1}"
