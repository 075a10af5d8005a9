"""The catalog database (SQLite by default, or PostgreSQL) — engine, sessions, the core tables and
the schema version.

Every package declares its tables on the one ``Base`` below, in its own ``tables`` module, which
its ``__init__`` imports: using a package registers its tables (for the ORM and for comparing the
models with the migrations). The schema itself is made and changed by the Alembic revisions in
``handover.migrations``: ``init_db`` checks the database's revision at a process start, creates a
fresh database at head, upgrades an older SQLite database, and refuses an older server database
(``handover db upgrade``) and one newer than the software, with a Chinese message.
"""

from __future__ import annotations

import datetime as dt
import fcntl
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Iterator

from sqlalchemy import (JSON, Boolean, Date, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint,
                        create_engine, event, func, inspect, text)
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from . import migrations
from .config import Settings, settings
from .errors import Unavailable


class DatabaseUnavailable(Unavailable):
    """The configured database cannot be used: a kind this software does not support, no driver
    for it, an address SQLAlchemy does not know, or a server that does not answer or let us in."""


class SchemaOutdated(Unavailable):
    """The database's schema is older than the software's and must be upgraded first."""


class SchemaTooNew(Unavailable):
    """The database was upgraded by a newer version of the software."""


class Base(DeclarativeBase):
    pass


class EnterpriseRow(Base):
    __tablename__ = "enterprises"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    region: Mapped[str] = mapped_column(String(64))  # policy profile
    location: Mapped[dict] = mapped_column(JSON)  # Address
    insured_county: Mapped[str] = mapped_column(String(64), default="")
    legal_representative: Mapped[str] = mapped_column(String(64), default="")
    contact: Mapped[str] = mapped_column(String(64), default="")
    phone: Mapped[str] = mapped_column(String(32), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())
    # The last change of its retirees or their assignments (``registry.roster_changed``): a bundle
    # built before it is out of date.
    roster_changed_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class ImportRow(Base):
    """One accepted roster file (import batch)."""

    __tablename__ = "roster_imports"
    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    file_name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    rows_total: Mapped[int] = mapped_column(Integer)
    rows_imported: Mapped[int] = mapped_column(Integer)
    problems: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())


class RetireeRow(Base):
    __tablename__ = "retirees"
    # The 移交去向汇总 of a large enterprise reads these from the indexes alone (bench_web.py): the
    # counts per community and status, and its pages in roster order, deep ones included.
    __table_args__ = (UniqueConstraint("id_number", name="uq_retiree_id_number"),
                      Index("ix_retirees_enterprise_place", "enterprise_id", "dest_county", "dest_street",
                            "dest_community", "party_member"),
                      Index("ix_retirees_enterprise_roster", "enterprise_id", "import_id", "source_row"))
    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("roster_imports.id"))
    source_row: Mapped[int] = mapped_column(Integer)
    id_number: Mapped[str] = mapped_column(String(18))
    name: Mapped[str] = mapped_column(String(64), index=True)
    sex: Mapped[str] = mapped_column(String(2))
    birth_date: Mapped[dt.date] = mapped_column(Date)
    retired_on: Mapped[dt.date] = mapped_column(Date)
    party_member: Mapped[bool] = mapped_column(Boolean, default=False)
    data: Mapped[dict] = mapped_column(JSON)  # the full Retiree record
    dest_county: Mapped[str | None] = mapped_column(String(64), index=True)
    dest_street: Mapped[str | None] = mapped_column(String(64))
    dest_community: Mapped[str | None] = mapped_column(String(64))
    dest_code: Mapped[str | None] = mapped_column(String(12))
    route_rule: Mapped[str | None] = mapped_column(String(200))


class CommunityDecisionRow(Base):
    """An admin's decision on a community that is not in the gazetteer (handover.communities)."""

    __tablename__ = "community_decisions"
    __table_args__ = (UniqueConstraint("county", "street", "name", name="uq_community_decision_place"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    county: Mapped[str] = mapped_column(String(64))
    street: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(12))  # confirmed | rejected
    code: Mapped[str] = mapped_column(String(12), default="")  # 统计用区划代码, when the admin gave one
    reason: Mapped[str] = mapped_column(String(200), default="")
    decided_by: Mapped[str] = mapped_column(String(64))
    decided_at: Mapped[dt.datetime] = mapped_column(DateTime)


class CommunityContactRow(Base):
    """The 社区联系人 and 服务电话 of a registered community, printed on its 联系卡 (handover.communities)."""

    __tablename__ = "community_contacts"
    __table_args__ = (UniqueConstraint("county", "street", "name", name="uq_community_contact_place"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    county: Mapped[str] = mapped_column(String(64))
    street: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(64))
    liaison: Mapped[str] = mapped_column(String(64), default="")
    phone: Mapped[str] = mapped_column(String(64), default="")
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)


class CommunityHoldRow(Base):
    """An imported retiree routed to a community not (yet) in the registry: not routed until an
    admin confirms it (released and re-routed) or rejects it."""

    __tablename__ = "community_holds"
    id: Mapped[int] = mapped_column(primary_key=True)
    retiree_id: Mapped[int] = mapped_column(ForeignKey("retirees.id", ondelete="CASCADE"), unique=True)
    county: Mapped[str] = mapped_column(String(64))
    street: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(64), index=True)
    column: Mapped[str] = mapped_column(String(100), default="")  # the roster column that named it
    rule: Mapped[str] = mapped_column(String(200), default="")  # the routing rule that chose it


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA cache_size=-65536")  # 64 MB instead of SQLite's 2 MB default
    cur.close()


def _utc_session(dbapi_conn, _record) -> None:
    """Times are stored as naive UTC (handover.clock); a server in the office's zone would make
    ``now()`` (the created_at defaults) local time: the session speaks UTC whatever the server's."""
    cur = dbapi_conn.cursor()
    cur.execute("SET TIME ZONE 'UTC'")
    cur.close()
    dbapi_conn.commit()


def _shown(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url.split("://", 1)[0]


_DEFAULT = "不设置 HANDOVER_DATABASE_URL 即使用默认的 SQLite 数据库"
_KINDS = "本软件支持 SQLite（默认）和 PostgreSQL（postgresql+psycopg://用户:密码@主机:端口/数据库名）"
CONNECT_TIMEOUT = 10  # seconds; libpq would otherwise wait for the operating system's TCP timeout


def _resolved(url: str):
    """The URL to connect with: only SQLite and PostgreSQL, and PostgreSQL through psycopg 3 (the
    driver installed with the software) unless another driver is named."""
    try:
        parsed = make_url(url)
    except ArgumentError as err:
        raise DatabaseUnavailable(f"无法识别的数据库地址 {_shown(url)}（HANDOVER_DATABASE_URL）。{_DEFAULT}") from err
    backend = parsed.get_backend_name()
    if backend == "postgres":  # the spelling of Heroku and libpq's own URIs
        parsed, backend = parsed.set(drivername="postgresql"), "postgresql"
    if backend not in ("sqlite", "postgresql"):
        raise DatabaseUnavailable(f"不支持的数据库类型 {backend}（{_shown(url)}）：{_KINDS}。{_DEFAULT}")
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    parsed = _resolved(url)
    connect_args = {}
    if parsed.get_backend_name() == "postgresql" and "connect_timeout" not in parsed.query:
        connect_args["connect_timeout"] = CONNECT_TIMEOUT
    try:
        engine = create_engine(parsed, connect_args=connect_args)
    except ImportError as err:  # the dialect's driver (psycopg2, …) is not installed
        raise DatabaseUnavailable(f"无法使用数据库 {_shown(url)}：未安装其驱动程序 {err.name}。"
                                  f"{_KINDS}。{_DEFAULT}") from err
    except ArgumentError as err:  # a driver SQLAlchemy does not have
        raise DatabaseUnavailable(f"无法识别的数据库地址 {_shown(url)}（HANDOVER_DATABASE_URL）。{_DEFAULT}") from err
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    elif engine.dialect.name == "postgresql":
        event.listen(engine, "connect", _utc_session)
    return engine


# What the server or the driver said, in the user's terms (psycopg passes libpq's English text on).
_REASONS = (
    ("password authentication failed", "用户名或密码错误"),
    ("no password supplied", "需要密码（请在地址中写上密码）"),
    ("does not exist", "服务器上没有这个数据库或用户"),
    ("connection refused", "服务器拒绝连接：地址或端口不对，或数据库服务未启动"),
    ("could not translate host name", "找不到这个主机名"),
    ("name or service not known", "找不到这个主机名"),
    ("failed to resolve host", "找不到这个主机名"),
    ("timeout expired", f"连接超时（{CONNECT_TIMEOUT} 秒）：主机不可达或被防火墙拦截"),
    ("no route to host", "主机不可达"),
    ("unable to open database file", "无法打开数据库文件：请检查数据目录（HANDOVER_DATA_DIR）是否存在且可写"),
)


def _unreachable(url: str, err: OperationalError) -> DatabaseUnavailable:
    said = str(err.orig or err).lower()
    reason = next((zh for key, zh in _REASONS if key in said), "")
    if not reason:
        first = str(err.orig or err).strip().splitlines()[0] if str(err.orig or err).strip() else ""
        reason = f"数据库报告：{first}" if first else "原因不明"
    return DatabaseUnavailable(f"无法连接数据库 {_shown(url)}：{reason}。请检查 HANDOVER_DATABASE_URL 与数据库服务。")


@contextmanager
def connect(engine: Engine) -> Iterator[Connection]:
    """A connection, or the Chinese reason why there is none (``DatabaseUnavailable``)."""
    try:
        conn = engine.connect()
    except OperationalError as err:
        raise _unreachable(engine.url.render_as_string(hide_password=True), err) from err
    with conn:
        yield conn


# ---------------------------------------------------------------- schema version

@dataclass(frozen=True)
class SchemaState:
    dialect: str
    current: str | None  # the revision recorded in the database
    head: str  # the newest revision this software has
    made_before: bool  # tables from before migrations, no revision recorded
    known: bool  # the software has the recorded revision (False: upgraded by a newer version)

    @property
    def empty(self) -> bool:
        return self.current is None and not self.made_before

    @property
    def at_head(self) -> bool:
        return self.current == self.head

    @property
    def ahead(self) -> bool:
        return self.current is not None and not self.known

    @property
    def behind(self) -> bool:
        return not self.at_head and not self.ahead and not self.empty

    @property
    def shown(self) -> str:
        return self.current or ("旧版建立（无版本记录）" if self.made_before else "空数据库")

    @property
    def pending(self) -> list[str]:
        return [] if self.ahead else migrations.pending(self.current)


def schema_state(engine: Engine) -> SchemaState:
    """Where the database stands against this software's revisions (reads only)."""
    with connect(engine) as conn:
        # Tables first, then the revision: a process upgrading an empty database meanwhile commits
        # both at once, so its tables seen here mean its revision is seen too (not "made before").
        tables = set(inspect(conn).get_table_names())
        current = migrations.current(conn)
        made_before = current is None and bool(set(migrations.baseline_tables()) & tables)
        return SchemaState(engine.dialect.name, current, migrations.head(), made_before,
                           current is None or migrations.known(current))


def too_new(state: SchemaState) -> SchemaTooNew:
    return SchemaTooNew(f"数据库的结构版本（{state.current}）比本软件新（本软件最高支持 {state.head}）："
                        "它已被更新版本的软件升级过，请把本软件升级到相同版本后再使用。")


def outdated(state: SchemaState) -> SchemaOutdated:
    return SchemaOutdated(f"数据库的结构版本较旧（数据库：{state.shown}；本软件：{state.head}）："
                          "请先备份数据库，停止其他机器上的网页服务和工作进程，再运行 handover db upgrade 升级。")


_PG_UPGRADE_LOCK = 0x68616E64  # pg_advisory_xact_lock key: one upgrader at a time on a server


def upgrade(engine: Engine) -> tuple[SchemaState, SchemaState]:
    """Bring the database to head in one transaction, under a lock that serialises processes
    starting at once; the states before and after."""
    before = schema_state(engine)
    if before.ahead:
        raise too_new(before)
    if not before.at_head:
        with connect(engine) as conn:
            if engine.dialect.name == "sqlite":
                _upgrade_sqlite(conn)
            else:
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_UPGRADE_LOCK})
                migrations.upgrade(conn)  # reads the revision again under the lock
                conn.commit()
    return before, schema_state(engine)


def _upgrade_sqlite(conn: Connection) -> None:
    # SQLite's own procedure for ALTER beyond ADD COLUMN (Alembic's batch mode copies the table,
    # drops the old one and renames the copy): foreign keys off for the transaction — a DROP of a
    # referenced table would otherwise delete or refuse — and checked before the commit.
    conn.exec_driver_sql("PRAGMA foreign_keys=OFF")  # outside a transaction, or SQLite ignores it
    try:
        # Hold the write lock from the start (see archive_store.transactions): the revisions
        # read, then write, and another process must not write in between.
        conn.exec_driver_sql("BEGIN IMMEDIATE")
        migrations.upgrade(conn)  # reads the revision again under the lock
        broken = conn.exec_driver_sql("PRAGMA foreign_key_check").first()
        if broken is not None:
            raise RuntimeError(f"the upgrade would break a foreign key of table {broken[0]}: not committed")
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    finally:
        conn.exec_driver_sql("PRAGMA foreign_keys=ON")
        conn.commit()


# What create_all could not do to a database made before migrations — a column added to an
# existing table, triggers, rows brought to a new rule — was a schema step registered by the package
# that owns the table, beside it, with a read-only test of whether the database already has it.
# They are the legacy upgrade path now: the baseline revision runs them on such a database before
# Alembic records it at baseline. A new schema change is a revision in handover/migrations/versions,
# never a new step.
_steps: list[tuple[Callable[[Connection], None], Callable[[Connection], bool]]] = []


def schema_step(step: Callable[[Connection], None], *, done: Callable[[Connection], bool]) -> None:
    """Register ``step(connection)``, run by the baseline revision unless ``done(connection)``."""
    if all(step is not registered for registered, _ in _steps):
        _steps.append((step, done))


def run_legacy_steps(conn: Connection) -> None:
    """The registered steps not yet done, on ``conn`` in the caller's transaction."""
    for step, done in list(_steps):
        if not done(conn):
            step(conn)


def database_engine(cfg: Settings | None = None) -> Engine:
    """The engine of the configured database, unchecked (``handover db``); the data folder made
    for the default SQLite file."""
    cfg = cfg or settings()
    engine = engine_for(cfg.db_url)
    if engine.dialect.name == "sqlite" and not cfg.database_url:
        cfg.data_dir.mkdir(parents=True, exist_ok=True)
    return engine


_created: dict[str, str] = {}  # per database URL: the revision this process found it at


def init_db(cfg: Settings | None = None) -> Engine:
    """The engine of a database at this software's schema, checked once per process and database.

    An empty database is created at head, on any kind. An older SQLite database is upgraded in
    place: the embedded database serves one machine, whose software and data are upgraded
    together. An older server database is refused (``SchemaOutdated``): several machines share it,
    and its upgrade is a step of its own (backup, other processes stopped, ``handover db upgrade``).
    A database newer than the software is refused on any kind (``SchemaTooNew``).
    """
    cfg = cfg or settings()
    engine = engine_for(cfg.db_url)
    if cfg.db_url in _created:
        return engine
    if engine.dialect.name == "sqlite":
        cfg.data_dir.mkdir(parents=True, exist_ok=True)  # the default file and the lock live there
        # Several processes (workers, publishers) may start on a fresh database at once; the
        # version check and the upgrade must not interleave across them.
        with (cfg.data_dir / ".schema.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            state = _checked(engine, upgrade_older=True)
    else:
        state = _checked(engine, upgrade_older=False)
    _created[cfg.db_url] = state.current or ""
    return engine


def _checked(engine: Engine, *, upgrade_older: bool) -> SchemaState:
    state = schema_state(engine)  # reads only: a start at head waits for no write lock
    if state.at_head:
        return state
    if state.ahead:
        raise too_new(state)
    if state.behind and not upgrade_older:
        raise outdated(state)
    return upgrade(engine)[1]


@contextmanager
def managed(session: Session) -> Iterator[Session]:
    """Commit when the block ends normally, roll back on any error, always close."""
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@contextmanager
def session_scope(cfg: Settings | None = None) -> Iterator[Session]:
    with managed(sessionmaker(init_db(cfg), expire_on_commit=False)()) as session:
        yield session
