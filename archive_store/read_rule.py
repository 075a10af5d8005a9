"""Who may see a volume's catalog record and who may read its page images and PDF — the one rule.

Archive staff and admins (the custodians) read every volume, 退回 ones included. Community staff
see the published volumes of their own community; reading the images (原件) needs an approved
查阅/外借 request of theirs for that volume (报批登记, ``archive_store.access``). Everyone else sees
nothing. ``verdict`` is the rule over plain values; ``read_verdict`` looks up the request for it.
The web pages, the JSON API and the 校对 crops all ask here.

What a reader is shown of ID numbers and birth dates (``disclosure``) is decided here too: the
custodians work with whole numbers; everyone else sees them masked, with the birth date that would
complete them cut to the year (``handover.disclosure``), on every page, answer and export.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from handover import clock
from handover.disclosure import FULL, MASKED, Disclosure

from .access import APPROVED, in_force_sql
from .tables import PUBLISHED, WITHDRAWN, AccessRequestRow, VolumeRow

# The roles of the people who sign in (labels and accounts: web.users).
ADMIN, ARCHIVE, COMMUNITY, ENTERPRISE = "admin", "archive_staff", "community_staff", "enterprise"
# 三员分立 (web.admin_duties): they administer the system and read no personnel file.
SYSADMIN, SECADMIN, AUDITOR = "sysadmin", "secadmin", "auditor"
CUSTODIANS = frozenset({ADMIN, ARCHIVE})
# Roles that work with whole ID numbers; the others see them masked (``disclosure``).
FULL_ID_ROLES = CUSTODIANS


class Verdict(enum.Enum):
    ABSENT = "absent"  # not published, or 退回 and the reader is no custodian: as if it did not exist
    OUT_OF_SCOPE = "out_of_scope"  # another community's volume
    NEEDS_REQUEST = "needs_request"  # the record and 卷内目录 are shown; the images need an approved request
    READ = "read"  # record, page images and PDF


@dataclass(frozen=True)
class Reader:
    username: str
    role: str
    community_id: int | None = None

    @property
    def custodian(self) -> bool:
        return self.role in CUSTODIANS

    @property
    def scope(self) -> list[int] | None:
        """Community ids this reader may see; None = all; [] = none."""
        if self.custodian:
            return None
        if self.role == COMMUNITY and self.community_id is not None:
            return [self.community_id]
        return []

    def sees_community(self, community_id: int) -> bool:
        return self.scope is None or community_id in self.scope

    @property
    def disclosure(self) -> Disclosure:
        return disclosure(self.role)


def disclosure(role: str) -> Disclosure:
    """What a role is shown of ID numbers and the birth dates that complete them."""
    return FULL if role in FULL_ID_ROLES else MASKED


@dataclass(frozen=True)
class Shelved:
    """What the rule needs of a volume."""

    status: str
    community_id: int


def verdict(reader: Reader, volume: Shelved, *, approved_request: bool) -> Verdict:
    """``approved_request``: the reader holds an approved (not yet closed) 查阅/外借 request for it."""
    if volume.status != PUBLISHED and not (volume.status == WITHDRAWN and reader.custodian):
        return Verdict.ABSENT
    if not reader.sees_community(volume.community_id):
        return Verdict.OUT_OF_SCOPE
    if reader.custodian or approved_request:
        return Verdict.READ
    return Verdict.NEEDS_REQUEST


def latest_approved_request(session: Session, reader: Reader, volume_id: int) -> AccessRequestRow | None:
    """The reader's latest approved request for the volume still in force: closed ones and those
    past their 归还日期 (``access.in_force``) no longer count — an overdue loan grants nothing."""
    return session.scalar(select(AccessRequestRow).where(
        AccessRequestRow.volume_id == volume_id, AccessRequestRow.requester == reader.username,
        AccessRequestRow.status == APPROVED, in_force_sql(clock.today()))
        .order_by(AccessRequestRow.id.desc()))


@dataclass(frozen=True)
class Grant:
    """The verdict, and the approved request it rests on when the reader needed one (its number
    and 事由 are written into the audit row of every page view and download it allows)."""

    verdict: Verdict
    request: AccessRequestRow | None = None


def read_grant(session: Session, reader: Reader, vol: VolumeRow) -> Grant:
    """``verdict`` for a catalog row; the request is looked up only when it can matter."""
    shelved = Shelved(vol.status, vol.community_id)
    seen = verdict(reader, shelved, approved_request=False)
    if seen is not Verdict.NEEDS_REQUEST:
        return Grant(seen)
    request = latest_approved_request(session, reader, vol.id)
    return Grant(verdict(reader, shelved, approved_request=request is not None), request)


def read_verdict(session: Session, reader: Reader, vol: VolumeRow) -> Verdict:
    return read_grant(session, reader, vol).verdict


def may_read(session: Session, reader: Reader, vol: VolumeRow) -> bool:
    return read_verdict(session, reader, vol) is Verdict.READ


__all__ = ["ADMIN", "ARCHIVE", "AUDITOR", "SECADMIN", "SYSADMIN", "COMMUNITY", "CUSTODIANS", "ENTERPRISE", "FULL_ID_ROLES", "Grant", "Reader",
           "Shelved", "Verdict", "disclosure", "latest_approved_request", "may_read", "read_grant", "read_verdict",
           "verdict"]
