"""ID-suffix search on a PostgreSQL database whose default collation is not C.

The suffix is a range over ``volumes.id_reversed`` (``>= lo AND < lo || chr(127)``), which holds
only under a bytewise order. A bureau's server may well be created with a Chinese collation; the
test cluster has no zh_CN glibc locale (``locale -a``: C, C.utf8, POSIX), so the database takes
ICU's ``zh-CN`` — which, like glibc's zh_CN.UTF-8, ignores control characters such as chr(127)
and orders by more than bytes.
"""

from __future__ import annotations

import datetime as dt
import os

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from archive_store.search import search
from archive_store.tables import PUBLISHED, CommunityRow, VolumeRow
from handover import idnumber
from handover.config import Settings
from handover.db import init_db

# IDs sharing suffixes of 4 and 6 digits, ending in X and in digits, so a wrong range would lose
# or add some. Reversed they start with the check character.
BIRTHS = [dt.date(1950, 1, 1) + dt.timedelta(days=37 * k) for k in range(40)]
IDS = [idnumber.make("410105", birth, seq) for birth in BIRTHS for seq in (1, 11, 101, 2)]
QUERIES = sorted({i[-n:] for i in IDS[::7] for n in (4, 6)} | {i for i in IDS[::31]}
                 | {i[-4:] for i in IDS if i.endswith("X")} | {i[-5:] for i in IDS if i.endswith("X")})


@pytest.fixture(scope="module", params=["C", "zh-CN"])
def collated(request, pg_cluster):
    """Settings of a database at head, created with the C or ICU zh-CN collation, holding IDS."""
    name = f"collate{os.getpid()}_{request.param.replace('-', '_')}"
    if request.param == "C":
        pg_cluster.psql(f'CREATE DATABASE "{name}" TEMPLATE template0 LOCALE "C.UTF-8"')
    else:
        pg_cluster.psql(f'CREATE DATABASE "{name}" TEMPLATE template0 LOCALE "C.UTF-8" '
                        f"LOCALE_PROVIDER icu ICU_LOCALE '{request.param}'")
    cfg = Settings(database_url=pg_cluster.url(name))
    engine = init_db(cfg)
    with Session(engine) as s:
        community = CommunityRow(county="金水区", street="经八路街道", name="纬五路社区", code="410105001")
        s.add(community)
        s.flush()
        s.add_all(VolumeRow(community_id=community.id, volume_no=n + 1, ref_no=f"J410-{n}", fonds="J410",
                            status=PUBLISHED, prefix=f"v/{n}", originals_sha256=f"{n:064x}", id_number=i,
                            id_reversed=i[::-1], name="张建国") for n, i in enumerate(IDS))
        s.commit()
    yield cfg, request.param
    engine.dispose()
    pg_cluster.drop_database(name)


def test_the_database_default_order_is_not_bytewise(collated):
    cfg, collation = collated
    with init_db(cfg).connect() as c:  # the suffix range's upper bound, under the database's default
        bytewise = c.execute(text("SELECT '1205' < '12' || chr(127)")).scalar()
    assert bytewise == (collation == "C")


def test_id_suffixes_find_exactly_the_ids_ending_so(collated):
    cfg, _ = collated
    assert any(q.endswith("X") for q in QUERIES) and any(len(q) == 18 for q in QUERIES)
    with Session(init_db(cfg)) as s:
        for query in QUERIES:
            found = {h.volume_id for h in search(s, query, None, limit=1000, actor="检索员")}
            want = set(s.scalars(text("SELECT id FROM volumes WHERE id_number LIKE :q"), {"q": f"%{query}"}))
            assert found == want and want, query


def test_the_suffix_range_uses_the_index(collated):
    cfg, _ = collated
    with init_db(cfg).connect() as c:
        c.exec_driver_sql("SET enable_seqscan = off")  # a handful of rows: make the index the only cheap way
        plan = "\n".join(c.execute(text(
            "EXPLAIN SELECT id FROM volumes v WHERE v.id_reversed >= :lo AND v.id_reversed < :hi"),
            {"lo": "X123", "hi": "X123\x7f"}).scalars())
    assert "ix_volumes_id_reversed" in plan, plan
