"""The audit log: every read, download, search and change — who, when, what and why."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from handover.cells import escape_controls
from handover.idnumber import mask
from handover.clock import utcnow

from .audit_chain import NOT_FOUND_ACTIONS, REFUSED_ACTIONS
from .tables import AuditRow

# What came of the action: done or shown; refused (no right, wrong password); the object named
# does not exist (a guessed id). Stored with the row so that refusals can be listed on their own.
ALLOWED, REFUSED, NOT_FOUND = "allowed", "refused", "not_found"
OUTCOME_LABELS = {ALLOWED: "允许", REFUSED: "拒绝", NOT_FOUND: "对象不存在"}

_ID_LIKE = re.compile(r"(?<![0-9])[0-9]{15,17}[0-9Xx](?![0-9])|(?<![0-9])[0-9]{15}(?![0-9])")


def redact(text: str) -> str:
    """Mask whole ID numbers inside free text (queries, targets)."""
    return _ID_LIKE.sub(lambda m: mask(m.group(0)), text)


def _clean(text: str) -> str:
    """What the audit row keeps of a text the client sent: ID numbers masked, control characters
    written out (a bell in a user name or a NUL in a refused URL stays visible as evidence and
    can break no page or export)."""
    return escape_controls(redact(text))


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return _clean(value)
    if isinstance(value, dict):
        return {k: _redact_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_redact_value(v) for v in value]
    return value


def outcome_of(action: str) -> str:
    if action in REFUSED_ACTIONS:
        return REFUSED
    if action in NOT_FOUND_ACTIONS:
        return NOT_FOUND
    return ALLOWED


def record(session: Session, actor: str, action: str, target: str, reason: str = "", *,
           outcome: str | None = None, **detail: Any) -> AuditRow:
    """Add one audit row to the session's transaction (committed with the caller's work; chained
    into the log's hash chain when it is flushed, archive_store.audit_chain)."""
    row = AuditRow(at=utcnow(), actor=escape_controls(actor or "未知")[:64],
                   action=action, target=_clean(target)[:400], reason=escape_controls(reason or "")[:400],
                   outcome=outcome or outcome_of(action), detail=_redact_value(detail))
    session.add(row)
    return row


def entries(session: Session, *, action: str | None = None, actor: str | None = None,
            target_prefix: str | None = None, limit: int = 200) -> list[AuditRow]:
    query = select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)
    if action:
        query = query.where(AuditRow.action == action)
    if actor:
        query = query.where(AuditRow.actor == actor)
    if target_prefix:
        query = query.where(AuditRow.target.startswith(target_prefix))
    return list(session.scalars(query))
