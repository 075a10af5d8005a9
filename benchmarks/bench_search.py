"""Search benchmark: index N pages (default 100,000) of generated Chinese OCR-like text, then
measure query latency (p50/p95) for 1-, 2- and 4-character queries, names and ID suffixes, over
all communities and within one — on SQLite (FTS5) and on PostgreSQL (tsvector + GIN, a throw-away
cluster started here with tests.support.pg_cluster), the same pages, in the same run.

    .venv/bin/python benchmarks/bench_search.py [--pages 100000] [--communities 20]
        [--databases sqlite,postgresql] [--trgm] [--keep DIR | --reuse DIR]

Pages are written through the same tables and indexer as publish_volume (no object storage).
--trgm also times pg_trgm (a GIN trigram index on page_texts.text, LIKE '%q%'), the alternative
the PostgreSQL design was measured against. --keep DIR builds into DIR and keeps the builds (the
SQLite data folder is DIR, the PostgreSQL cluster DIR/postgresql, stopped cleanly at the end);
--reuse DIR only measures them again — a 1.2-million-page build takes about half an hour each.
Target: p95 < 100 ms at 1,200,000 pages (< 50 ms at 100,000).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, select, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from archive_store.index import index_pages  # noqa: E402
from tests.support.sample_volume import MATERIALS, SamplePerson, page_text  # noqa: E402
from archive_store.search import search  # noqa: E402
from archive_store.tables import (PUBLISHED, CommunityRow, MaterialRow, PageRow,  # noqa: E402
                                  PageTextRow, VolumeRow)
from archive_store.tokens import normalize  # noqa: E402
from handover import gazetteer, sample  # noqa: E402
from handover.config import Settings  # noqa: E402
from handover.db import init_db  # noqa: E402
from tests.support.pg_cluster import PostgresCluster  # noqa: E402

PAGES_PER_VOLUME = 50
LINES = 24  # sentences lines per page: ~500 characters, a dense form or prose page
ONE = list("张王李刘陈杨黄赵")
TWO = ["工资", "退休", "审批", "考核", "招工", "鉴定", "党组", "养老"]
FOUR = ["退休审批", "工资调整", "养老保险", "招工条件", "转正定级", "劳动纪律", "中国共产", "评审委员"]


def build(cfg: Settings, pages: int, communities: int, seed: int = 7) -> tuple[list, list[int], list[int]]:
    """Pages are generated, inserted and indexed one volume at a time (committed every 200), so
    memory stays flat at any size; a progress line goes out every 1,000 volumes."""
    engine = init_db(cfg)
    rng = random.Random(seed)
    volumes = max(1, pages // PAGES_PER_VOLUME)
    retirees = sample.make_retirees("henan-zhengzhou", volumes, communities=None, seed=seed)
    places = list(gazetteer.places("henan-zhengzhou"))
    while len(places) < communities:
        places += places
    t0 = time.perf_counter()
    with Session(engine) as s:
        comm_ids = []
        for i, place in enumerate(places[:communities]):
            row = CommunityRow(county=place.county, street=place.street,
                               name=f"{place.community}{i // len(set(places)) or ''}",
                               code=f"{place.code[:9]}{i:03d}")
            s.add(row)
            s.flush()
            comm_ids.append(row.id)
        written = chars = 0
        gen_s = fts_s = 0.0
        people, homes = [], []  # homes[k]: the community of people[k]
        for v, r in enumerate(retirees):
            person = SamplePerson(r.id_number, r.name, r.sex.value, r.birth_date, r.former_employer)
            people.append(person)
            community = comm_ids[v % len(comm_ids)]
            homes.append(community)
            vol_no = v // len(comm_ids) + 1
            vol = VolumeRow(community_id=community, volume_no=vol_no, ref_no=f"J410-TX·{community:012d}-{vol_no:04d}",
                            fonds="J410", status=PUBLISHED, prefix=f"bench/{v}", originals_sha256=f"{v:064x}",
                            id_number=r.id_number, id_reversed=r.id_number[::-1], name=r.name,
                            enterprise_name=r.former_employer, content_pages=PAGES_PER_VOLUME,
                            published_at=dt.datetime(2026, 11, 1))
            s.add(vol)
            s.flush()
            n = min(PAGES_PER_VOLUME, pages - written)
            mats = []
            for m in range(max(1, n // 4)):
                code, title, _ = MATERIALS[rng.randrange(len(MATERIALS))]
                mats.append({"volume_id": vol.id, "ordinal": m + 1, "seq": str(m + 1), "class_code": code,
                             "title": title, "pages": 4, "formed_on": dt.date(1970 + m, 1, 1)})
            mat_ids = [s.execute(insert(MaterialRow).values(**m).returning(MaterialRow.id)).scalar_one()
                       for m in mats]
            rows = []
            g = time.perf_counter()
            for k in range(n):
                code, title, sentences = MATERIALS[rng.randrange(len(MATERIALS))]
                body = page_text(person, title, sentences, rng, with_fields=(k % 4 == 0), lines=LINES)
                rows.append({"volume_id": vol.id, "material_id": mat_ids[min(k // 4, len(mat_ids) - 1)],
                             "seq": k + 1, "page_no": k + 1, "text": body})
                chars += len(body)
            gen_s += time.perf_counter() - g
            texts = [normalize(row.pop("text")) for row in rows]
            ids = s.execute(insert(PageRow).returning(PageRow.id, sort_by_parameter_order=True), rows).scalars().all()
            s.execute(insert(PageTextRow), [{"page_id": i, "text": t} for i, t in zip(ids, texts)])
            f = time.perf_counter()
            index_pages(s, [(i, t, community) for i, t in zip(ids, texts)])
            fts_s += time.perf_counter() - f
            written += n
            if v % 200 == 199:
                s.commit()
            if v % 1000 == 999:
                spent = time.perf_counter() - t0
                print(f"  {written:,} pages, {spent:,.0f} s, {written / spent:,.0f} pages/s", flush=True)
            if written >= pages:
                break
        s.commit()
    build_s = time.perf_counter() - t0
    dialect = engine.dialect.name
    with engine.connect() as c:
        if dialect == "sqlite":
            c.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            fts_bytes = c.exec_driver_sql(
                "SELECT SUM(pgsize) FROM dbstat WHERE name LIKE 'page_fts%'").scalar() if _has_dbstat(c) else None
            db_bytes = Path(str(cfg.db_url).removeprefix("sqlite:///")).stat().st_size
        else:
            # What autovacuum does after a bulk load: planner statistics, visibility map.
            c.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
            fts_bytes = c.exec_driver_sql(  # its partitions' tables and indexes
                "SELECT SUM(pg_total_relation_size(relid))::bigint FROM pg_partition_tree('page_fts')").scalar()
            db_bytes = c.exec_driver_sql("SELECT pg_database_size(current_database())").scalar()
    print(f"[{dialect}] indexed {written:,} pages in {len(people):,} volumes over {communities} communities")
    print(f"generated {chars / written:,.0f} characters per page on average ({gen_s:.1f} s)")
    print(f"build: {build_s - gen_s:.1f} s ({written / (build_s - gen_s):,.0f} pages/s: normalise, "
          f"tokenise, insert pages + index, commit every 200 volumes); of which index_pages "
          f"{fts_s:.1f} s ({written / fts_s:,.0f} pages/s)")
    print(f"database size: {db_bytes / 1e6:.1f} MB"
          + (f" (full-text index {fts_bytes / 1e6:.1f} MB)" if fts_bytes else ""))
    return people, homes, comm_ids


def built(cfg: Settings) -> tuple[list, list[int], list[int]]:
    """What ``build`` returned, read back from a kept build."""
    with Session(init_db(cfg)) as s:
        rows = s.execute(select(VolumeRow.id_number, VolumeRow.name, VolumeRow.community_id)
                         .order_by(VolumeRow.id)).all()
        comm_ids = list(s.scalars(select(CommunityRow.id).order_by(CommunityRow.id)))
    return [SamplePerson(i, n) for i, n, _ in rows], [c for _, _, c in rows], comm_ids


def _has_dbstat(conn) -> bool:
    try:
        conn.exec_driver_sql("SELECT 1 FROM dbstat LIMIT 1")
        return True
    except Exception:  # noqa: BLE001 - SQLITE_ENABLE_DBSTAT_VTAB not compiled in
        return False


def measure(cfg: Settings, people: list[SamplePerson], homes: list[int], comm_ids: list[int],
            rounds: int) -> float:
    """Words are searched in all communities and in a rotating one; names and ID suffixes in all
    and in the picked person's own community (another one's would find nothing, trivially)."""
    engine = init_db(cfg)
    rng = random.Random(1)
    picked = rng.sample(range(len(people)), min(rounds, len(people)))
    picks = [people[k] for k in picked]
    own = [homes[k] for k in picked]
    rotating = [comm_ids[i % len(comm_ids)] for i in range(rounds)]
    cases = {  # label: (queries, the community of each query's "one" scope)
        "1 字 (张)": (ONE, rotating),
        "2 字 (工资)": (TWO, rotating),
        "4 字 (退休审批)": (FOUR, rotating),
        "姓名": ([p.name for p in picks], own),
        "身份证尾号6位": ([p.id_number[-6:] for p in picks], own),
        "身份证尾号4位": ([p.id_number[-4:] for p in picks], own),
    }
    print(f"\n{'query':<16}{'scope':<10}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'hits':>7}")
    worst = 0.0
    with Session(engine) as s:
        for label, (queries, scopes) in cases.items():
            for scope_label in ("all", "one"):
                times, hits = [], 0
                for i in range(rounds):
                    q = queries[i % len(queries)]
                    scope = None if scope_label == "all" else [scopes[i % len(scopes)]]
                    t = time.perf_counter()
                    found = search(s, q, scope, limit=20, actor="bench")
                    times.append((time.perf_counter() - t) * 1000)
                    hits += len(found)
                s.rollback()  # drop the audit rows of the benchmark
                times.sort()
                p95 = times[int(0.95 * (len(times) - 1))]
                worst = max(worst, p95)
                print(f"{label:<16}{scope_label:<10}{statistics.median(times):9.1f}{p95:9.1f}"
                      f"{times[-1]:9.1f}{hits / rounds:7.1f}")
    print(f"\n[{engine.dialect.name}] worst p95: {worst:.1f} ms — target < 100 ms: "
          f"{'met' if worst < 100 else 'NOT met'}")
    return worst


def measure_trgm(cfg: Settings, people: list[SamplePerson], comm_ids: list[int], rounds: int) -> None:
    """pg_trgm on the stored page text: LIKE '%q%' through a GIN trigram index."""
    engine = init_db(cfg)
    with engine.connect() as c:
        c = c.execution_options(isolation_level="AUTOCOMMIT")
        c.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        t = time.perf_counter()
        c.exec_driver_sql("CREATE INDEX IF NOT EXISTS page_texts_trgm ON page_texts USING gin (text gin_trgm_ops)")
        built = time.perf_counter() - t
        size = c.exec_driver_sql("SELECT pg_relation_size('page_texts_trgm')").scalar()
        c.exec_driver_sql("ANALYZE page_texts")
        print(f"\n[pg_trgm] index built in {built:.1f} s, {size / 1e6:.1f} MB")
        print(f"{'query':<16}{'scope':<10}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}")
        sql = {None: text("SELECT t.page_id FROM page_texts t WHERE t.text LIKE :q LIMIT 20"),
               "one": text("SELECT t.page_id FROM page_texts t JOIN pages p ON p.id = t.page_id "
                           "JOIN volumes v ON v.id = p.volume_id WHERE t.text LIKE :q "
                           "AND v.community_id = :c LIMIT 20")}
        names = [p.name for p in random.Random(1).sample(people, min(rounds, len(people)))]
        for label, queries in (("1 字 (张)", ONE), ("2 字 (工资)", TWO), ("4 字 (退休审批)", FOUR), ("姓名", names)):
            for scope_label, stmt in sql.items():
                times = []
                for i in range(max(5, rounds // 10)):  # slow by design: fewer rounds
                    t = time.perf_counter()
                    c.execute(stmt, {"q": f"%{queries[i % len(queries)]}%", "c": comm_ids[i % len(comm_ids)]}).all()
                    times.append((time.perf_counter() - t) * 1000)
                times.sort()
                print(f"{label:<16}{scope_label or 'all':<10}{statistics.median(times):9.1f}"
                      f"{times[int(0.95 * (len(times) - 1))]:9.1f}{times[-1]:9.1f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=100_000)
    ap.add_argument("--communities", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=100, help="queries per case")
    ap.add_argument("--databases", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    ap.add_argument("--trgm", action="store_true", help="also time pg_trgm LIKE queries (PostgreSQL)")
    ap.add_argument("--keep", type=Path, default=None, help="build into this folder and keep the builds")
    ap.add_argument("--reuse", type=Path, default=None, help="only measure, on the builds of a --keep folder")
    args = ap.parse_args()
    worst = {}
    for database in args.databases.split(","):
        with contextlib.ExitStack() as stack:
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-search-")))
            kept = args.reuse or args.keep
            if database == "sqlite":
                cfg = Settings(data_dir=kept or tmp)
            elif database == "postgresql":
                if kept:
                    (kept / "postgresql").mkdir(parents=True, exist_ok=True)
                cluster = stack.enter_context(PostgresCluster(kept / "postgresql", keep=True) if kept
                                              else PostgresCluster())
                url = cluster.url("bench") if args.reuse else cluster.create_database("bench")
                cfg = Settings(data_dir=tmp, database_url=url)
            else:
                ap.error(f"unknown database {database}")
            print(f"\n=== {database} ===")
            if args.reuse:
                people, homes, comm_ids = built(cfg)
                print(f"reusing {args.reuse}: {len(people):,} volumes")
            else:
                people, homes, comm_ids = build(cfg, args.pages, args.communities)  # same seed: the same pages
            worst[database] = measure(cfg, people, homes, comm_ids, args.rounds)
            if args.trgm and database == "postgresql":
                measure_trgm(cfg, people, comm_ids, args.rounds)
            init_db(cfg).dispose()
    where = f"on the builds in {args.reuse}" if args.reuse else f"at {args.pages:,} pages"
    print("\n" + ", ".join(f"{db}: worst p95 {ms:.1f} ms" for db, ms in worst.items()) + f" {where}")


if __name__ == "__main__":
    main()
