"""The audit log's hash chain and its append-only guard, and the check that walks the chain.

Every audit row carries ``seq`` (its position, 1, 2, … without gaps), ``prev_hash`` (the previous
row's hash) and ``row_hash`` = SHA-256 of its canonical content together with both. A row changed
afterwards no longer matches its hash; a deleted row leaves a gap in ``seq`` and a broken link; the
newest rows deleted leave the head (``audit_chain``, one row) ahead of the table.

Concurrency. The web server, Celery workers and the CLI append to the same database. Chaining is
done in a ``before_flush`` hook, inside the transaction that inserts the rows, after the writer has
locked the head row with an UPDATE: on SQLite that UPDATE takes the database write lock (a read
alone would not, and two writers would both read the same last row and fork the chain); on
PostgreSQL it takes the head's row lock, which does what an advisory lock would — the next writer
waits at its own UPDATE until this transaction ends and then reads the new head (READ COMMITTED;
REPEATABLE READ or SERIALIZABLE would make it fail and need a retry). A transaction that rolls back
takes its head update with it, so the chain never points at a row that was not committed. The lock
is taken at the flush that inserts the rows, where the INSERT took it anyway: it is held no longer.

Append-only. Triggers refuse UPDATE and DELETE of audit rows, an INSERT that did not go through
the chain, and a head that moves backwards or disappears: on SQLite ``_SQLITE_GUARDS``, on
PostgreSQL ``_PG_TRIGGERS`` — the same rules as trigger functions that RAISE EXCEPTION, plus TRUNCATE
(which fires no row trigger) refused on both tables. They use PL/pgSQL and ``EXECUTE PROCEDURE``
(accepted from PostgreSQL 9 to 17, and by the PostgreSQL-derived domestic databases). There is no
way to delete audit rows, hence no retention path: the log is kept with the archive.

The triggers stop the application and anyone using its account by mistake, not someone who owns
the tables: the owner may drop a trigger. On PostgreSQL the tables belong to the account that
created them; a bureau that wants the guard to hold against the application's own account creates
the schema with another (owner) account and grants the application only ``SELECT, INSERT`` on
``audit_log`` and ``SELECT, UPDATE`` on ``audit_chain``. Anyone with the SQLite file, or the
PostgreSQL owner, can drop the triggers and even rewrite the chain from an altered row on (plain
SHA-256, no secret); ``handover verify --audit`` prints the newest position and hash, so a copy of
that line kept elsewhere exposes a rewrite.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, bindparam, event, inspect, or_, select, text, update
from sqlalchemy.orm import Session

from handover.clock import utcnow
from handover.db import schema_step
from handover.errors import Unavailable

from .tables import AuditChainRow, AuditRow

HEAD_ID = 1
GENESIS = ""  # the prev_hash of the first row

# The outcome of an action, for rows written before the outcome was stored (see audit.outcome_of).
REFUSED_ACTIONS = ("denied", "login_failed", "login_blocked", "password_change_failed")
NOT_FOUND_ACTIONS = ("not_found",)


class AuditChainBroken(Unavailable):
    """The chain's head is missing: no audit row can be appended (and so no audited work done)."""


def _at(value: dt.datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value.isoformat(timespec="microseconds")


def normal_detail(detail: Any) -> dict:
    """The detail as the JSON column gives it back (keys as text, tuples as lists), so that the hash
    taken before the insert is the hash of what is read later."""
    return json.loads(json.dumps(detail or {}, ensure_ascii=False, default=str))


def digest(row: AuditRow) -> str:
    content = {"seq": row.seq, "prev": row.prev_hash or GENESIS, "at": _at(row.at), "actor": row.actor,
               "action": row.action, "target": row.target, "reason": row.reason or "",
               "outcome": row.outcome, "detail": row.detail or {}}
    canonical = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


_head = AuditChainRow.__table__


@event.listens_for(Session, "before_flush")
def _chain_new_rows(session: Session, _context, _instances) -> None:
    new = [o for o in session.new if isinstance(o, AuditRow)]
    if not new:
        return
    for row in new:
        row.at = row.at or utcnow()
    new.sort(key=lambda r: r.at)  # stable: rows of one moment keep the order they were added in
    conn = session.connection()
    # Lock first, then read (module docstring): the UPDATE is what makes the read current.
    locked = conn.execute(update(_head).where(_head.c.id == HEAD_ID).values(last_seq=_head.c.last_seq))
    if locked.rowcount != 1:
        raise AuditChainBroken("审计日志的链头记录缺失，无法追加审计记录；请运行 handover verify --audit 检查")
    last_seq, last_hash = conn.execute(select(_head.c.last_seq, _head.c.last_hash)
                                       .where(_head.c.id == HEAD_ID)).one()
    for row in new:
        row.detail = normal_detail(row.detail)
        row.reason = row.reason or ""
        row.outcome = row.outcome or "allowed"
        row.seq, row.prev_hash = last_seq + 1, last_hash
        row.row_hash = digest(row)
        last_seq, last_hash = row.seq, row.row_hash
    conn.execute(update(_head).where(_head.c.id == HEAD_ID).values(last_seq=last_seq, last_hash=last_hash))


# ---------------------------------------------------------------- the schema step

_COLUMNS = {  # added to an audit_log made before the chain
    "outcome": "VARCHAR(12) NOT NULL DEFAULT 'allowed'",
    "seq": "INTEGER",
    "prev_hash": "VARCHAR(64) NOT NULL DEFAULT ''",
    "row_hash": "VARCHAR(64) NOT NULL DEFAULT ''",
}

_SQLITE_GUARDS = (
    "CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: rows cannot be changed'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: rows cannot be deleted'); END",
    # Rows reach the table through the chain only: a position reserved on the head, and a hash.
    "CREATE TRIGGER IF NOT EXISTS audit_log_chained_insert BEFORE INSERT ON audit_log "
    "WHEN NEW.seq IS NULL OR NEW.row_hash IS NULL OR NEW.row_hash = '' "
    "OR NEW.seq > (SELECT last_seq FROM audit_chain WHERE id = 1) "
    "BEGIN SELECT RAISE(ABORT, 'audit rows are written through archive_store.audit (hash chain)'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_chain_no_delete BEFORE DELETE ON audit_chain "
    "BEGIN SELECT RAISE(ABORT, 'the audit chain head cannot be deleted'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_chain_forward_only BEFORE UPDATE ON audit_chain "
    "WHEN NEW.last_seq < OLD.last_seq OR NEW.id <> OLD.id "
    "BEGIN SELECT RAISE(ABORT, 'the audit chain head only moves forward'); END",
)


_REFUSAL = {  # PostgreSQL: one function per rule, named like the SQLite trigger it mirrors
    "audit_log_no_update": "audit_log is append-only: rows cannot be changed",
    "audit_log_no_delete": "audit_log is append-only: rows cannot be deleted",
    "audit_log_no_truncate": "audit_log is append-only: rows cannot be deleted",
    "audit_chain_no_delete": "the audit chain head cannot be deleted",
    "audit_chain_no_truncate": "the audit chain head cannot be deleted",
    "audit_chain_forward_only": "the audit chain head only moves forward",
}

_PG_FUNCTIONS = (
    "CREATE OR REPLACE FUNCTION handover_audit_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN RAISE EXCEPTION USING MESSAGE = TG_ARGV[0], ERRCODE = 'insufficient_privilege'; END $$",
    "CREATE OR REPLACE FUNCTION handover_audit_chained() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN "
    "IF NEW.seq IS NULL OR NEW.row_hash IS NULL OR NEW.row_hash = '' "
    "OR NEW.seq > (SELECT last_seq FROM audit_chain WHERE id = 1) THEN "
    "RAISE EXCEPTION 'audit rows are written through archive_store.audit (hash chain)' "
    "USING ERRCODE = 'insufficient_privilege'; "
    "END IF; RETURN NEW; END $$",
)

# (trigger, table, timing and event, level, WHEN condition, function and its argument)
_PG_TRIGGERS = (
    ("audit_log_no_update", "audit_log", "BEFORE UPDATE", "ROW", "", "handover_audit_refuse"),
    ("audit_log_no_delete", "audit_log", "BEFORE DELETE", "ROW", "", "handover_audit_refuse"),
    ("audit_log_no_truncate", "audit_log", "BEFORE TRUNCATE", "STATEMENT", "", "handover_audit_refuse"),
    ("audit_log_chained_insert", "audit_log", "BEFORE INSERT", "ROW", "", "handover_audit_chained"),
    ("audit_chain_no_delete", "audit_chain", "BEFORE DELETE", "ROW", "", "handover_audit_refuse"),
    ("audit_chain_no_truncate", "audit_chain", "BEFORE TRUNCATE", "STATEMENT", "", "handover_audit_refuse"),
    ("audit_chain_forward_only", "audit_chain", "BEFORE UPDATE", "ROW",
     "NEW.last_seq < OLD.last_seq OR NEW.id <> OLD.id", "handover_audit_refuse"),
)


def _pg_guards() -> list[str]:
    out = list(_PG_FUNCTIONS)
    for name, table, event_, level, when, function in _PG_TRIGGERS:
        argument = f"'{_REFUSAL[name]}'" if name in _REFUSAL else ""
        out.append(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        out.append(f"CREATE TRIGGER {name} {event_} ON {table} FOR EACH {level} "
                   + (f"WHEN ({when}) " if when else "") + f"EXECUTE PROCEDURE {function}({argument})")
    return out


def _guard_names(conn: Connection) -> set[str]:
    """The names of the triggers the database has on audit_log and audit_chain."""
    if conn.dialect.name == "sqlite":
        return set(conn.execute(select(text("name")).select_from(text("sqlite_master"))
                                .where(text("type = 'trigger'"))).scalars())
    if conn.dialect.name == "postgresql":
        return set(conn.execute(text(
            "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal "
            "AND tgrelid IN (to_regclass('audit_log'), to_regclass('audit_chain'))")).scalars())
    return set()


def _wanted_guards(dialect: str) -> set[str]:
    if dialect == "sqlite":
        return {_trigger_name(ddl) for ddl in _SQLITE_GUARDS}
    if dialect == "postgresql":
        return {name for name, *_ in _PG_TRIGGERS}
    return set()


def _add_columns(conn: Connection) -> bool:
    """The chain's columns on an audit_log from before it; True when they were missing."""
    have = {c["name"] for c in inspect(conn).get_columns(AuditRow.__tablename__)}
    missing = [name for name in _COLUMNS if name not in have]
    for name in missing:
        conn.exec_driver_sql(f"ALTER TABLE audit_log ADD COLUMN {name} {_COLUMNS[name]}")
    if "outcome" in missing:
        table = AuditRow.__table__
        conn.execute(update(table).where(table.c.action.in_(REFUSED_ACTIONS)).values(outcome="refused"))
        conn.execute(update(table).where(table.c.action.in_(NOT_FOUND_ACTIONS)).values(outcome="not_found"))
    for index in AuditRow.__table__.indexes:
        index.create(conn, checkfirst=True)
    return bool(missing)


def _chain_existing(conn: Connection) -> int:
    """Chain the rows written before the chain existed, once, in id order; their number."""
    table = AuditRow.__table__
    prev, seq, batch = GENESIS, 0, []
    rows = conn.execute(select(table).order_by(table.c.id)).mappings().all()
    for r in rows:
        seq += 1
        row = AuditRow(at=r["at"], actor=r["actor"], action=r["action"], target=r["target"],
                       reason=r["reason"] or "", outcome=r["outcome"], detail=r["detail"] or {},
                       seq=seq, prev_hash=prev)
        prev = digest(row)
        batch.append({"b_id": r["id"], "b_seq": seq, "b_prev": row.prev_hash, "b_hash": prev})
    if batch:
        conn.execute(update(table).where(table.c.id == bindparam("b_id"))
                     .values(seq=bindparam("b_seq"), prev_hash=bindparam("b_prev"), row_hash=bindparam("b_hash")),
                     batch)
    conn.execute(_head.insert().values(id=HEAD_ID, last_seq=seq, last_hash=prev, legacy_rows=seq,
                                       chained_at=utcnow() if seq else None))
    return seq


def _chained(conn: Connection) -> bool:
    """The database already has the chain: its columns, its head and its guards."""
    if "row_hash" not in {c["name"] for c in inspect(conn).get_columns(AuditRow.__tablename__)}:
        return False
    if conn.execute(select(_head.c.id).where(_head.c.id == HEAD_ID)).first() is None:
        return False
    return _wanted_guards(conn.dialect.name) <= _guard_names(conn)


def _trigger_name(ddl: str) -> str:
    return ddl.split("IF NOT EXISTS ", 1)[1].split(" ", 1)[0]


def chain_audit_log(conn: Connection) -> None:
    """Bring audit_log to the chain: columns, the head (legacy rows chained once), the guards."""
    _add_columns(conn)
    head = conn.execute(select(_head.c.id).where(_head.c.id == HEAD_ID)).first()
    if head is None:
        chained = conn.execute(select(AuditRow.__table__.c.id).where(AuditRow.__table__.c.row_hash != "")
                               .limit(1)).first()
        # A head gone while chained rows remain is tampering for verify --audit to report, not
        # something to paper over with a fresh chain.
        if chained is None:
            _chain_existing(conn)
    guards = {"sqlite": _SQLITE_GUARDS, "postgresql": _pg_guards()}.get(conn.dialect.name, ())
    for ddl in guards:
        conn.exec_driver_sql(ddl)


schema_step(chain_audit_log, done=_chained)


# ---------------------------------------------------------------- verify --audit

@dataclass(frozen=True)
class ChainFinding:
    kind: str  # altered | relinked | deleted | unchained | head
    message: str  # Chinese, names the row (编号 = id, 第 N 条 = position in the chain)
    row_id: int | None = None
    seq_from: int | None = None
    seq_to: int | None = None


@dataclass
class ChainReport:
    rows: int = 0
    last_seq: int = 0
    last_hash: str = ""
    legacy_rows: int = 0
    chained_at: dt.datetime | None = None
    findings: list[ChainFinding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def summary(self) -> str:
        if not self.ok:
            return f"审计日志发现 {len(self.findings)} 处问题（共检查 {self.rows} 条记录）"
        line = (f"审计日志完好：{self.rows} 条记录的哈希链连续，"
                f"最新为第 {self.last_seq} 条（哈希 {self.last_hash[:16] or '—'}）")
        if self.legacy_rows:
            day = self.chained_at.date().isoformat() if self.chained_at else "升级时"
            line += (f"；前 {self.legacy_rows} 条为启用哈希链之前的记录，于 {day} 补入链中，"
                     "补链之前对它们的改动无法发现")
        return line


def _span(a: int, b: int) -> str:
    return f"第 {a} 条" if a == b else f"第 {a}–{b} 条"


def check_chain(session: Session) -> ChainReport:
    """Walk the chain in order and report altered, deleted and unchained rows."""
    report = ChainReport()
    head = session.get(AuditChainRow, HEAD_ID)
    table = AuditRow.__table__
    if head is None:
        report.findings.append(ChainFinding("head", "审计日志的链头记录缺失（被删除），无法判断最新的记录是否被删除"))
        limit = session.scalar(select(table.c.seq).order_by(table.c.seq.desc()).limit(1)) or 0
    else:
        # Read before the rows: rows appended after this read (seq beyond it) are left for next time.
        limit = head.last_seq
        report.legacy_rows, report.chained_at = head.legacy_rows, head.chained_at
    for (row_id,) in session.execute(select(table.c.id).where(or_(table.c.seq.is_(None), table.c.row_hash == ""))
                                     .order_by(table.c.id)):
        report.findings.append(ChainFinding("unchained", f"编号 {row_id} 的审计记录不在哈希链中：未经审计模块写入",
                                            row_id=row_id))
    expected, prev = 1, GENESIS
    rows = session.scalars(select(AuditRow).where(table.c.seq <= limit, table.c.row_hash != "")
                           .order_by(table.c.seq).execution_options(yield_per=2000))
    for row in rows:
        if row.seq > expected:
            report.findings.append(ChainFinding(
                "deleted", f"{_span(expected, row.seq - 1)}审计记录已被删除（在编号 {row.id} 的记录之前）",
                seq_from=expected, seq_to=row.seq - 1))
        elif row.prev_hash != prev:
            report.findings.append(ChainFinding(
                "relinked", f"第 {row.seq} 条审计记录（编号 {row.id}）的前一条已被改动或替换：链接的哈希不符",
                row_id=row.id, seq_from=row.seq, seq_to=row.seq))
        if digest(row) != row.row_hash:
            report.findings.append(ChainFinding(
                "altered", f"第 {row.seq} 条审计记录（编号 {row.id}）已被改动：内容与其哈希不符",
                row_id=row.id, seq_from=row.seq, seq_to=row.seq))
        report.rows += 1
        expected, prev = row.seq + 1, row.row_hash
        session.expunge(row)
    report.last_seq, report.last_hash = expected - 1, prev
    if head is not None:
        if expected <= head.last_seq:
            report.findings.append(ChainFinding(
                "deleted", f"最新的{_span(expected, head.last_seq)}审计记录已被删除",
                seq_from=expected, seq_to=head.last_seq))
            report.last_seq, report.last_hash = head.last_seq, head.last_hash
        elif prev != head.last_hash:
            report.findings.append(ChainFinding(
                "head", f"最新的第 {expected - 1} 条审计记录与链头登记的哈希不符：已被改动或替换",
                seq_from=expected - 1, seq_to=expected - 1))
    return report


__all__ = ["AuditChainBroken", "ChainFinding", "ChainReport", "check_chain", "digest", "normal_detail"]
