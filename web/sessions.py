"""Server-side sessions: a random token in the signed cookie names a row of web_sessions, so that
sign-out, a password change or reset, disabling a user, an admin's "sign out everywhere", the
idle timeout and the absolute timeout end a session at once, whatever copy of the cookie exists."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from archive_store.transactions import write_transaction
from handover.clock import utcnow
from handover.config import Settings

from .tables import SessionRow

# last_seen_at is written at most this often, so a page full of images is not a write per image.
TOUCH_EVERY = dt.timedelta(seconds=60)
# Ended sessions are kept this long (who was signed in from where, beside the audit log's
# sign-in rows), then pruned by the web server's hourly sweep or `handover user prune-sessions`.
KEEP_ENDED_DAYS = 90


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(session: Session, user_id: int, client: str, *, must_change_password: bool = False) -> str:
    """A new session of ``user_id``; returns the token for the cookie."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(SessionRow(token_hash=_hash(token), user_id=user_id, client=client[:64], created_at=now,
                           last_seen_at=now, must_change_password=must_change_password))
    session.flush()
    return token


def find(session: Session, token: str | None) -> SessionRow | None:
    if not token or not isinstance(token, str):
        return None
    return session.scalar(select(SessionRow).where(SessionRow.token_hash == _hash(token)))


def live(engine: Engine, token: str | None, cfg: Settings) -> SessionRow | None:
    """The session of ``token`` if it is still open (a detached row). One that has just timed out
    is ended here, and last_seen_at is moved on, each in its own short write transaction: the
    request's own transaction stays a reader (SQLite cannot turn a reader into a writer once
    another process has written) and holds no write lock while it builds a long download."""
    with Session(engine, expire_on_commit=False) as session:
        row = find(session, token)
    if row is None or row.ended_at is not None:
        return None
    now = utcnow()
    if now - row.created_at > dt.timedelta(hours=cfg.session_hours):
        _write(engine, row.id, ended_at=now, end_reason="expired")
        return None
    if now - row.last_seen_at > dt.timedelta(minutes=cfg.session_idle_minutes):
        _write(engine, row.id, ended_at=now, end_reason="idle")
        return None
    if now - row.last_seen_at > TOUCH_EVERY:
        _write(engine, row.id, last_seen_at=now)
    return row


def _write(engine: Engine, row_id: int, **values) -> None:
    with write_transaction(engine) as session:
        session.execute(update(SessionRow).where(SessionRow.id == row_id, SessionRow.ended_at.is_(None))
                        .values(**values))


def end(session: Session, token: str | None, reason: str = "logout") -> None:
    row = find(session, token)
    if row is not None and row.ended_at is None:
        row.ended_at, row.end_reason = utcnow(), reason


def end_all(session: Session, user_id: int, reason: str, *, keep: str | None = None) -> int:
    """End every open session of the user (but ``keep``, the token of the session asking);
    returns how many were ended."""
    query = update(SessionRow).where(SessionRow.user_id == user_id, SessionRow.ended_at.is_(None))
    if keep:
        query = query.where(SessionRow.token_hash != _hash(keep))
    result = session.execute(query.values(ended_at=utcnow(), end_reason=reason))
    return result.rowcount or 0



def end_everyone(session: Session, reason: str) -> int:
    """End every open session of every user; returns how many were ended."""
    result = session.execute(update(SessionRow).where(SessionRow.ended_at.is_(None))
                             .values(ended_at=utcnow(), end_reason=reason))
    return result.rowcount or 0


def prune(session: Session, cfg: Settings, keep_days: float = KEEP_ENDED_DAYS) -> int:
    """Delete the sessions that ended more than ``keep_days`` ago, counting as ended the ones a
    timeout closed without a request to notice it (idle past the limit, or signed in longer than
    ``session_hours``). Returns how many rows were deleted."""
    cutoff = utcnow() - dt.timedelta(days=keep_days)
    idle = dt.timedelta(minutes=cfg.session_idle_minutes)
    longest = dt.timedelta(hours=cfg.session_hours)
    result = session.execute(delete(SessionRow).where(or_(
        SessionRow.ended_at < cutoff,
        SessionRow.ended_at.is_(None) & ((SessionRow.last_seen_at < cutoff - idle)
                                         | (SessionRow.created_at < cutoff - longest)))))
    return result.rowcount or 0


def open_counts(session: Session, cfg: Settings) -> dict[int, int]:
    """User id → sessions still open (not ended, not past the idle or absolute timeout)."""
    now = utcnow()
    rows = session.execute(select(SessionRow.user_id, func.count()).where(
        SessionRow.ended_at.is_(None),
        SessionRow.last_seen_at > now - dt.timedelta(minutes=cfg.session_idle_minutes),
        SessionRow.created_at > now - dt.timedelta(hours=cfg.session_hours)).group_by(SessionRow.user_id))
    return dict(rows.all())
