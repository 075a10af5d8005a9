"""Write transactions serialise writers on PostgreSQL as BEGIN IMMEDIATE does on SQLite
(archive_store.transactions): the second waits for the first to end, on any connection."""

from __future__ import annotations

import threading

from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from archive_store.tables import CommunityRow, CounterRow
from archive_store.transactions import next_volume_no, try_write_transaction, write_transaction
from handover.config import Settings
from handover.db import init_db

from tests.workers.conftest import wait_for


def _waiting_for_the_write_lock(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                                     "AND NOT granted")).scalar_one()
    finally:
        engine.dispose()


def test_a_second_writer_waits_until_the_first_commits_and_then_reads_its_rows(pg_url, tmp_path):
    """The reserve transaction reads, then writes rows that may not exist yet (a community's
    first counter, a person's first volume): row locks could not make the second writer wait."""
    engine = init_db(Settings(data_dir=tmp_path, database_url=pg_url))
    seen: list[int] = []
    with write_transaction(engine) as first:
        community = CommunityRow(county="金水区", street="经八路街道", name="经七路社区", code="410105001001")
        first.add(community)
        first.flush()
        assert next_volume_no(first, community.id) == 1  # the counter row is created here

        def second() -> None:
            with write_transaction(engine) as s:
                seen.append(next_volume_no(s, s.scalar(select(CommunityRow.id))))

        other = threading.Thread(target=second)
        other.start()
        wait_for(lambda: _waiting_for_the_write_lock(pg_url) == 1, 60, "the second writer to wait")
        assert seen == []
        with Session(engine) as probe:  # not a writer: a plain read does not wait
            assert probe.scalar(select(CounterRow)) is None
            assert not try_write_transaction(probe)
    other.join(60)
    assert seen == [2]
