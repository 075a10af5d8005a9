"""查阅/外借登记 (viewing and borrowing requests) with an approval state, and audited reads.

States: pending → approved | rejected | cancelled; approved → closed (查阅 done / 外借 returned).
Whether a request lets its requester read a volume's images is decided by ``read_rule``.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from handover import clock
from handover.clock import utcnow
from handover.errors import InputRefused
from . import audit
from .tables import PUBLISHED, AccessRequestRow, VolumeRow

KINDS = {"view": "查阅", "loan": "外借"}
PENDING, APPROVED, REJECTED, CANCELLED, CLOSED = "pending", "approved", "rejected", "cancelled", "closed"
STATUS_LABELS = {PENDING: "待审批", APPROVED: "已批准", REJECTED: "已驳回", CANCELLED: "已撤销",
                 CLOSED: "已办结"}
# The 利用效果 most uses end in, offered on the close form beside free text.
USE_EFFECTS = ("办理待遇", "核实身份", "落实政策", "其他")
_TRANSITIONS = {PENDING: {APPROVED, REJECTED, CANCELLED}, APPROVED: {CLOSED}}


class AccessError(InputRefused):
    """Refused; ``str(err)`` is a Chinese message."""


def get_volume(session: Session, ref_no: str, actor: str, reason: str = "") -> VolumeRow:
    """A published volume's catalog record by 档号 (audited as a read)."""
    vol = session.scalar(select(VolumeRow).where(VolumeRow.ref_no == ref_no,
                                                 VolumeRow.status == PUBLISHED))
    if vol is None:
        raise LookupError(f"未找到档号为 {ref_no} 的已入库案卷")
    audit.record(session, actor, "read", ref_no, reason)
    return vol


def request_access(session: Session, ref_no: str, kind: str, requester: str, reason: str, *,
                   organisation: str = "", due_on: dt.date | None = None) -> AccessRequestRow:
    if kind not in KINDS:
        raise AccessError(f"未知的申请类型“{kind}”（查阅 view / 外借 loan）")
    if not reason.strip():
        raise AccessError(f"{KINDS[kind]}申请必须填写事由")
    if kind == "loan" and due_on is None:
        raise AccessError("外借申请必须填写归还日期")
    if due_on is not None and due_on < clock.today():
        raise AccessError(f"归还日期{due_on.isoformat()}早于今天，请填写今天或以后的日期")
    vol = get_volume(session, ref_no, requester, reason)
    row = AccessRequestRow(volume_id=vol.id, kind=kind, requester=requester, organisation=organisation,
                           reason=reason, status=PENDING, requested_at=utcnow(), due_on=due_on)
    session.add(row)
    session.flush()
    audit.record(session, requester, f"request_{kind}", ref_no, reason, request_id=row.id)
    return row


def _transition(session: Session, request_id: int, new: str, actor: str, note: str,
                effect: str = "") -> AccessRequestRow:
    row = session.get(AccessRequestRow, request_id)
    if row is None:
        raise AccessError(f"未找到编号为 {request_id} 的申请")
    if new not in _TRANSITIONS.get(row.status, set()):
        raise AccessError(f"申请当前状态为“{STATUS_LABELS[row.status]}”，不能改为“{STATUS_LABELS[new]}”")
    if new in (APPROVED, REJECTED) and actor == row.requester:
        raise AccessError("申请人不能审批自己的申请")
    if new == APPROVED and not in_force(row.due_on, clock.today()):
        raise AccessError(f"该申请的归还日期{row.due_on.isoformat()}已过，不能批准；请申请人重新申请")
    row.status = new
    if new in (APPROVED, REJECTED):
        row.decided_by, row.decided_at, row.decision_note = actor, utcnow(), note
    if new in (CLOSED, CANCELLED):
        row.closed_at = utcnow()
    if new == CLOSED:
        row.use_effect = effect.strip()[:200]
    vol = session.get(VolumeRow, row.volume_id)
    extra = {"use_effect": row.use_effect} if new == CLOSED and row.use_effect else {}
    audit.record(session, actor, f"request_{new}", vol.ref_no if vol else str(row.volume_id), note,
                 request_id=row.id, kind=row.kind, **extra)
    return row


def approve(session: Session, request_id: int, approver: str, note: str = "") -> AccessRequestRow:
    return _transition(session, request_id, APPROVED, approver, note)


def reject(session: Session, request_id: int, approver: str, note: str) -> AccessRequestRow:
    return _transition(session, request_id, REJECTED, approver, note)


def cancel(session: Session, request_id: int, actor: str, note: str = "") -> AccessRequestRow:
    return _transition(session, request_id, CANCELLED, actor, note)


def close(session: Session, request_id: int, actor: str, note: str = "", effect: str = "") -> AccessRequestRow:
    """查阅 finished, or 外借 returned; ``effect`` is the 利用效果 for the register (USE_EFFECTS or
    free text)."""
    return _transition(session, request_id, CLOSED, actor, note, effect)


def citation(row: AccessRequestRow | None) -> dict:
    """What the audit row of a read allowed by ``row`` says of it: the request's 事由 as the reason,
    its number and kind in the detail (keyword arguments of the audit record); nothing without one."""
    if row is None:
        return {}
    return {"reason": row.reason, "request_id": row.id, "request_kind": row.kind}


def in_force(due_on: dt.date | None, today: dt.date) -> bool:
    """An approval grants access up to and including its 归还日期 (a 查阅 without one: until closed)."""
    return due_on is None or due_on >= today


def in_force_sql(today: dt.date):
    """``in_force`` as a condition on ``AccessRequestRow``."""
    return or_(AccessRequestRow.due_on.is_(None), AccessRequestRow.due_on >= today)


def overdue_sql(today: dt.date):
    """Approved 外借 past their 归还日期 and not returned (closed), as a condition."""
    return and_(AccessRequestRow.status == APPROVED, AccessRequestRow.kind == "loan",
                AccessRequestRow.due_on < today)


def overdue_loans(session: Session, today: dt.date | None = None) -> list[AccessRequestRow]:
    """The reminder list (``overdue_sql``), oldest first."""
    return list(session.scalars(select(AccessRequestRow).where(overdue_sql(today or clock.today()))
                                .order_by(AccessRequestRow.due_on, AccessRequestRow.id)))


def requests_for(session: Session, *, status: str | None = None) -> list[AccessRequestRow]:
    query = select(AccessRequestRow).order_by(AccessRequestRow.id)
    if status:
        query = query.where(AccessRequestRow.status == status)
    return list(session.scalars(query))


__all__ = ["AccessError", "KINDS", "STATUS_LABELS", "USE_EFFECTS", "approve", "cancel", "citation", "close", "get_volume", "in_force",
           "in_force_sql", "overdue_loans", "overdue_sql", "reject",
           "request_access", "requests_for"]
