"""The audit log: every read, download, search and change — who, when, what and why."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from handover.cells import escape_controls
from handover.idnumber import mask
from handover.clock import utcnow

from .tables import AuditRow

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


def record(session: Session, actor: str, action: str, target: str, reason: str = "",
           **detail: Any) -> AuditRow:
    """Add one audit row to the session's transaction (committed with the caller's work)."""
    row = AuditRow(at=utcnow(), actor=escape_controls(actor or "未知")[:64],
                   action=action, target=_clean(target)[:400], reason=escape_controls(reason or "")[:400],
                   detail=_redact_value(detail))
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
