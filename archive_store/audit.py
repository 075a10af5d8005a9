"""The audit log: every read, download, search and change — who, when, what and why."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from handover import clock
from handover.cells import escape_controls
from handover.idnumber import mask, normalize
from handover.clock import utcnow

from .audit_chain import NOT_FOUND_ACTIONS, REFUSED_ACTIONS
from .tables import AuditRow, VolumeRow
from .watermark import MARK_ID

# What came of the action: done or shown; refused (no right, wrong password); the object named
# does not exist (a guessed id). Stored with the row so that refusals can be listed on their own.
ALLOWED, REFUSED, NOT_FOUND = "allowed", "refused", "not_found"
OUTCOME_LABELS = {ALLOWED: "允许", REFUSED: "拒绝", NOT_FOUND: "对象不存在"}

_MASKED = re.compile(r"([0-9]{6})\*+([0-9]{3}[0-9X])")
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
                   action=action, target=_clean(target)[:400], reason=_clean(reason or "")[:400],
                   outcome=outcome or outcome_of(action), detail=_redact_value(detail))
    session.add(row)
    return row


@dataclass(frozen=True)
class AuditFilter:
    """What the audit page, its export and the API filter on; empty fields do not filter."""

    since: dt.date | None = None  # local calendar days, both ends included
    until: dt.date | None = None
    subject: str = ""  # a 档号, a person (name, ID number full or masked), or a 水印编号
    actor: str = ""
    action: str = ""
    outcome: str = ""


def _subject_condition(session: Session, subject: str):
    """Rows about a 档号 or a person: the text in the target (ID numbers are stored masked, so a
    full one is looked for masked), or the target naming one of the person's volumes (档号, or a
    page or file of it); or the page view or download whose copy carries that 水印编号."""
    text = subject.strip()
    number = normalize(text)
    people = [VolumeRow.name == text]
    if _ID_LIKE.fullmatch(number):
        people.append(VolumeRow.id_number == number)
    elif masked := _MASKED.fullmatch(number):
        people.append(VolumeRow.id_number.like(f"{masked[1]}%{masked[2]}"))
    conditions = [AuditRow.target.contains(redact(text), autoescape=True)]
    if MARK_ID.fullmatch(text.lower()):  # the 水印编号 of a leaked copy: the download that served it
        conditions.append(AuditRow.detail["mark"].as_string() == text.lower())
    for ref_no in session.scalars(select(VolumeRow.ref_no).where(or_(*people))):
        conditions += [AuditRow.target == ref_no, AuditRow.target.startswith(f"{ref_no}/", autoescape=True)]
    return or_(*conditions)


def _filtered(session: Session, query, flt: AuditFilter):
    if flt.since:
        query = query.where(AuditRow.at >= clock.stored_start_of(flt.since))
    if flt.until:
        query = query.where(AuditRow.at < clock.stored_start_of(flt.until + dt.timedelta(days=1)))
    if flt.subject.strip():
        query = query.where(_subject_condition(session, flt.subject))
    if flt.actor.strip():
        query = query.where(AuditRow.actor == flt.actor.strip())
    if flt.action:
        query = query.where(AuditRow.action == flt.action)
    if flt.outcome:
        query = query.where(AuditRow.outcome == flt.outcome)
    return query


def selection(session: Session, flt: AuditFilter | None = None):
    """The filtered rows newest first, by id (stable across pages: ids only grow), as a query a
    caller may cut or stream (the export)."""
    return _filtered(session, select(AuditRow), flt or AuditFilter()).order_by(AuditRow.id.desc())


def entries(session: Session, flt: AuditFilter | None = None, *, offset: int = 0, limit: int = 200) -> list[AuditRow]:
    return list(session.scalars(selection(session, flt).offset(offset).limit(limit)))


def count(session: Session, flt: AuditFilter | None = None) -> int:
    return session.scalar(_filtered(session, select(func.count()).select_from(AuditRow), flt or AuditFilter()))
