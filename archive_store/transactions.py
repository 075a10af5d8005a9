"""Short write transactions that serialise writers (SQLite: BEGIN IMMEDIATE; others: row locks)."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from handover.db import managed

from .tables import CounterRow, VolumeRow


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Session]:
    """A session whose transaction holds the database write lock from its first statement.

    SQLite's default deferred transactions take the write lock at the first write and fail with
    "database is locked" when a read came first and another process wrote meanwhile; BEGIN
    IMMEDIATE takes it up front (waiting up to busy_timeout), so read-then-write is safe.
    """
    with managed(Session(engine, expire_on_commit=False, autoflush=True)) as session:
        if engine.dialect.name == "sqlite":
            session.connection().exec_driver_sql("BEGIN IMMEDIATE")
        yield session


def next_volume_no(session: Session, community_id: int) -> int:
    """Reserve the next 案卷号 of a community (call inside ``write_transaction``).

    The counter row is incremented in the same transaction as the volume row that uses the
    number, so a rolled-back publish gives its number back: numbers are unique and gap-free.
    """
    counter = session.execute(
        select(CounterRow).where(CounterRow.community_id == community_id).with_for_update()
    ).scalar_one_or_none()
    if counter is None:
        highest = session.scalar(select(func.max(VolumeRow.volume_no))
                                 .where(VolumeRow.community_id == community_id)) or 0
        counter = CounterRow(community_id=community_id, next_volume_no=highest + 1)
        session.add(counter)
    number = counter.next_volume_no
    counter.next_volume_no = number + 1
    session.flush()
    return number
