"""Short write transactions that serialise writers, and the gap-free per-community counters.

SQLite: ``BEGIN IMMEDIATE`` takes the database write lock up front. PostgreSQL: the same contract —
one ``write_transaction`` at a time, on every machine — through a transaction-level advisory lock
(``pg_advisory_xact_lock``), released by COMMIT or ROLLBACK, or when a dead worker's connection
closes.

Why an advisory lock and not only row locks. The 档号 counter is a row, and ``next_volume_no``
locks it (SELECT … FOR UPDATE): two publishers of one community queue on that row, the second
reads the number the first committed, and a rolled-back publish gives its number back — gap-free
with row locks alone, and publishers of different communities would not wait for each other. But
the reserve transaction decides more than the number, about rows that do not exist yet: whether
this person already has a volume (in any community), the community's first publish (its row and
counter are created then), a withdrawn volume's reuse. A row lock cannot guard a row that is
missing; READ COMMITTED lets two transactions both see it missing and both insert (a second
volume of one person, a duplicate-key failure on a new community). SERIALIZABLE would catch that,
but fails one of them for a retry loop every caller would need. The other callers
(workers.progress, web.security's sign-in limit, web.sessions, the 校对 answers) were written for
SQLite's one-writer rule as well. So the write transactions keep that rule: they are short (the
long work — OCR, storing and verifying objects — runs outside them), and their throughput, not
the page OCR's, would have to become the limit before finer locks (per community and per person)
pay off. The counter's row lock stays, so a caller outside ``write_transaction`` cannot take a
number twice either. Audit rows written by any session lock the chain head
(archive_store.audit_chain) after this lock, never before: no lock cycle.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from handover.db import managed

from .tables import CounterRow, VolumeRow

# The advisory lock key of write_transaction ("handover" in ASCII): one lock per database.
WRITE_LOCK_KEY = 0x68616E646F766572


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Session]:
    """A session whose transaction holds the database write lock from its first statement.

    SQLite's default deferred transactions take the write lock at the first write and fail with
    "database is locked" when a read came first and another process wrote meanwhile; BEGIN
    IMMEDIATE takes it up front (waiting up to busy_timeout), so read-then-write is safe. On
    PostgreSQL the advisory lock plays that part (module docstring).
    """
    with managed(Session(engine, expire_on_commit=False, autoflush=True)) as session:
        if engine.dialect.name == "sqlite":
            session.connection().exec_driver_sql("BEGIN IMMEDIATE")
        elif engine.dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITE_LOCK_KEY})
        yield session


def try_write_transaction(session: Session) -> bool:
    """Take the write lock in ``session``'s new transaction if it is free now; False if another
    transaction holds it (SQLite: BEGIN IMMEDIATE with no busy wait)."""
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        return bool(conn.execute(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": WRITE_LOCK_KEY}).scalar())
    if conn.dialect.name != "sqlite":
        return True
    from sqlalchemy.exc import OperationalError

    timeout = conn.exec_driver_sql("PRAGMA busy_timeout").scalar()
    conn.exec_driver_sql("PRAGMA busy_timeout=0")
    try:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
        return True
    except OperationalError:
        return False
    finally:
        conn.exec_driver_sql(f"PRAGMA busy_timeout={int(timeout or 0)}")


def _counter(session: Session, community_id: int) -> CounterRow:
    """The community's 档号 counter under a row lock, made on first use past its highest volume."""
    counter = session.execute(
        select(CounterRow).where(CounterRow.community_id == community_id).with_for_update()
    ).scalar_one_or_none()
    if counter is None:
        highest = session.scalar(select(func.max(VolumeRow.volume_no))
                                 .where(VolumeRow.community_id == community_id)) or 0
        counter = CounterRow(community_id=community_id, next_volume_no=highest + 1)
        session.add(counter)
    return counter


def next_volume_no(session: Session, community_id: int) -> int:
    """Reserve the next 案卷号 of a community (call inside ``write_transaction``).

    The counter row is incremented in the same transaction as the volume row that uses the
    number, so a rolled-back publish gives its number back: numbers are unique and gap-free.
    """
    counter = _counter(session, community_id)
    number = counter.next_volume_no
    counter.next_volume_no = number + 1
    session.flush()
    return number


def take_volume_no(session: Session, community_id: int, number: int) -> int:
    """Reserve the given 案卷号 of a community (a received volume keeping its 档号; call inside
    ``write_transaction``): refused if a volume holds it, and the counter moves past it so the
    community's next number follows the highest."""
    from handover.errors import Conflict

    if number < 1:
        raise Conflict("案卷号从1开始")
    if session.scalar(select(VolumeRow.id).where(VolumeRow.community_id == community_id,
                                                 VolumeRow.volume_no == number)) is not None:
        raise Conflict(f"案卷号 {number} 已被使用")
    counter = _counter(session, community_id)
    counter.next_volume_no = max(counter.next_volume_no, number + 1)
    session.flush()
    return number
