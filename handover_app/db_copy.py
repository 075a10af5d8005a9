"""``handover db copy --to URL``: the catalog database copied into another one — in practice the
embedded SQLite archive moved into PostgreSQL — and verified.

Here, above every package, because the copy covers every package's tables and ends with the
full-text index, which archive_store owns. The target is empty (or only just created at head);
it is brought to head, then every table is copied in foreign-key order, rows in batches with their
ids, in one target transaction (a failure leaves the target as it was) from one read snapshot of
the source. PostgreSQL's sequences are set to max(id) + 1. Then each table is read back on both
sides: row counts and a SHA-256 over the rows in id order (values in a canonical text form), and
the 档号 counters per community compared. The full-text index is not copied: it is rebuilt on the
target from the copied page text (``rebuild_full_text_index``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Callable

from sqlalchemy import Connection, Engine, Integer, Table, and_, func, select, text
from sqlalchemy.exc import DBAPIError

from handover import migrations
from handover.config import Settings
from handover.db import Base, connect, schema_state, too_new, upgrade
from handover.errors import Conflict, HandoverError

BATCH = 2000

# The audit chain's head goes before the audit rows: the guards admit a row only at a position
# the head has reached.
FIRST = ("audit_chain",)


class TargetNotEmpty(Conflict):
    """The target database already holds data: a copy never merges into it."""


class CopyRefused(HandoverError):
    """The target database refused a copied row (e.g. a value longer than its column allows)."""


@dataclass(frozen=True)
class TableCheck:
    name: str
    source_rows: int
    target_rows: int
    source_sha256: str
    target_sha256: str

    @property
    def ok(self) -> bool:
        return self.source_rows == self.target_rows and self.source_sha256 == self.target_sha256


@dataclass
class CopyReport:
    tables: list[TableCheck] = field(default_factory=list)
    sequences: list[str] = field(default_factory=list)  # PostgreSQL sequences set to max(id) + 1
    counters: int = 0  # communities whose 档号 counter was compared
    counters_differ: list[int] = field(default_factory=list)  # community ids

    @property
    def rows(self) -> int:
        return sum(t.source_rows for t in self.tables)

    @property
    def ok(self) -> bool:
        return all(t.ok for t in self.tables) and not self.counters_differ


def tables() -> list[Table]:
    """Every table of the schema, parents before children, the unmanaged ones (FTS) left out."""
    ordered = [t for t in Base.metadata.sorted_tables if not migrations.unmanaged(t.name)]
    return sorted(ordered, key=lambda t: t.name not in FIRST)  # stable: keeps the foreign-key order


def copy_database(source: Engine, target: Engine, *, batch: int = BATCH,
                  progress: Callable[[str, int], None] | None = None) -> CopyReport:
    _prepare(target)
    with connect(source) as src, connect(target) as dst:
        if source.dialect.name == "sqlite":
            src.exec_driver_sql("BEGIN")  # one snapshot of every table (WAL: writers go on)
        if target.dialect.name == "sqlite":
            dst.exec_driver_sql("BEGIN IMMEDIATE")
        report = CopyReport()
        try:
            for table in tables():
                copied = _copy_table(src, dst, table, batch)
                if progress:
                    progress(table.name, copied)
            if target.dialect.name == "postgresql":
                report.sequences = _reset_sequences(dst)
            dst.commit()
        except DBAPIError as err:
            dst.rollback()
            detail = str(err.orig or err).strip().splitlines()[0]
            raise CopyRefused(f"目标数据库拒绝了复制的数据，已全部撤销：{detail}") from err
        src.rollback()
    _verify(source, target, report, batch)
    return report


def _prepare(target: Engine) -> None:
    state = schema_state(target)
    if state.ahead:
        raise too_new(state)
    if not (state.empty or state.at_head):
        raise TargetNotEmpty(f"目标数据库不是空的（结构版本：{state.shown}）：请复制到一个新建的空数据库。")
    upgrade(target)
    with connect(target) as conn:
        for table in tables():
            rows = conn.execute(select(func.count()).select_from(table)).scalar_one()
            if rows and not _only_fresh_head(conn, table, rows):
                raise TargetNotEmpty(f"目标数据库已有数据（表 {table.name} 有 {rows} 行）：请复制到一个新建的空数据库。")


def _only_fresh_head(conn: Connection, table: Table, rows: int) -> bool:
    """The audit chain's head as the baseline revision creates it, before any audit row."""
    if table.name != "audit_chain" or rows != 1:
        return False
    return conn.execute(select(table.c.last_seq)).scalar_one() == 0


def _copy_table(src: Connection, dst: Connection, table: Table, batch: int) -> int:
    pk = list(table.primary_key.columns)
    present = set(dst.execute(select(*pk)).all())  # only the fresh audit chain head: updated, not inserted
    copied = 0
    result = src.execute(select(table).order_by(*pk).execution_options(yield_per=batch))
    for part in result.partitions(batch):
        rows = [dict(r._mapping) for r in part]
        fresh = [r for r in rows if tuple(r[c.name] for c in pk) not in present]
        for row in rows:
            if tuple(row[c.name] for c in pk) in present:
                dst.execute(table.update().where(and_(*(c == row[c.name] for c in pk))).values(row))
        if fresh:
            dst.execute(table.insert(), fresh)
        copied += len(rows)
    return copied


def _reset_sequences(dst: Connection) -> list[str]:
    """Each serial id's sequence set so that the next id is max(id) + 1 (1 on an empty table)."""
    done = []
    for table in tables():
        pk = list(table.primary_key.columns)
        if len(pk) != 1 or not isinstance(pk[0].type, Integer):
            continue
        sequence = dst.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                               {"t": table.name, "c": pk[0].name}).scalar()
        if sequence is None:  # a key taken from another table (volume_supplements.volume_id)
            continue
        highest = dst.execute(select(func.max(pk[0]))).scalar() or 0
        dst.execute(text("SELECT setval(:s, :v, false)"), {"s": sequence, "v": highest + 1})
        done.append(sequence)
    return done


def _canonical(value):
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, bytes):
        return value.hex()
    return value  # str, int, bool, None, and JSON values (dicts keyed in sorted order below)


def table_digest(conn: Connection, table: Table, batch: int = BATCH) -> tuple[int, str]:
    """Rows and the SHA-256 of their canonical text in primary-key order: equal on two databases
    of different kinds exactly when they hold the same values."""
    digest, rows = hashlib.sha256(), 0
    result = conn.execute(select(table).order_by(*table.primary_key.columns).execution_options(yield_per=batch))
    for row in result:
        line = json.dumps([_canonical(v) for v in row], ensure_ascii=False, sort_keys=True,
                          separators=(",", ":"), default=str)
        digest.update(line.encode() + b"\n")
        rows += 1
    return rows, digest.hexdigest()


def _verify(source: Engine, target: Engine, report: CopyReport, batch: int) -> None:
    from archive_store.tables import CounterRow

    with connect(source) as src, connect(target) as dst:
        for table in tables():
            (n_src, h_src), (n_dst, h_dst) = table_digest(src, table, batch), table_digest(dst, table, batch)
            report.tables.append(TableCheck(table.name, n_src, n_dst, h_src, h_dst))
        counters = select(CounterRow.community_id, CounterRow.next_volume_no)
        before, after = dict(src.execute(counters).all()), dict(dst.execute(counters).all())
        report.counters = len(before)
        report.counters_differ = sorted(c for c in before.keys() | after.keys() if before.get(c) != after.get(c))


def rebuild_full_text_index(target_cfg: Settings) -> dict:
    """The target's full-text index, rebuilt from the copied page text (the index is not copied:
    its form differs between SQLite and PostgreSQL). Left to archive_store's reindex, which knows
    the index of each kind."""
    from sqlalchemy.orm import Session

    from archive_store.index import require_fts
    from handover.db import init_db
    from workers.jobs import reindex

    with Session(init_db(target_cfg)) as session:
        require_fts(session)  # the plain refusal where the index's kind does not exist (yet)
    return reindex(cfg=target_cfg)


def target_settings(cfg: Settings, url: str) -> Settings:
    return dataclasses.replace(cfg, database_url=url)


SAMPLE_VOLUMES = 5
SEARCH_LIMIT = 200


def sample_queries(source: Engine, volumes: int = SAMPLE_VOLUMES) -> list[str]:
    """Queries a clerk would type, drawn from the archive itself: names, the last 4 digits of an ID
    number, and a 1-, 2- and 4-character piece of a page's text, for a few published volumes."""
    from archive_store.tables import PUBLISHED, PageRow, PageTextRow, VolumeRow

    queries: list[str] = []
    with source.connect() as conn:
        rows = conn.execute(select(VolumeRow.id, VolumeRow.name, VolumeRow.id_number)
                            .where(VolumeRow.status == PUBLISHED).order_by(VolumeRow.id)
                            .limit(volumes)).all()
        for volume_id, name, id_number in rows:
            queries += [q for q in (name, id_number[-4:]) if q]
            page_text = conn.execute(select(PageTextRow.text).join(PageRow, PageRow.id == PageTextRow.page_id)
                                     .where(PageRow.volume_id == volume_id, PageTextRow.text != "")
                                     .order_by(PageRow.seq).limit(1)).scalar() or ""
            han = "".join(ch for ch in page_text if "\u4e00" <= ch <= "\u9fff")
            queries += [han[i:i + n] for i, n in ((0, 1), (2, 2), (5, 4)) if len(han) >= i + n]
    return list(dict.fromkeys(queries))


def _hits(engine: Engine, query: str) -> set[tuple[int, int | None]]:
    """The hits of ``query`` over every community. Read only: the search's own audit row is
    rolled back with the session, so neither archive gains rows by being compared."""
    from sqlalchemy.orm import Session

    from archive_store.search import search

    with Session(engine) as session:
        try:
            return {(h.volume_id, h.page_seq)
                    for h in search(session, query, None, limit=SEARCH_LIMIT, actor="handover db copy")}
        finally:
            session.rollback()


def compare_searches(source: Engine, target: Engine, queries: list[str]) -> list[str]:
    """The queries whose hits differ between the two databases. Ranking may order hits differently
    (bm25 on SQLite, ts_rank on PostgreSQL), so the sets are compared; a query that fills the limit
    on both sides is compared by count, its cut-off being the ranking's choice."""
    differ = []
    for query in queries:
        a, b = _hits(source, query), _hits(target, query)
        full = len(a) == len(b) == SEARCH_LIMIT
        if (len(a) != len(b)) if full else (a != b):
            differ.append(query)
    return differ
