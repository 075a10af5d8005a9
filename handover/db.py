"""The catalog database (SQLite by default) — engine, sessions and the core tables.

Every package declares its tables on the one ``Base`` below, in its own ``tables`` module, which
its ``__init__`` imports: using a package registers its tables. This module imports no package
above the core; the layers above compose the schema by importing their packages before
``init_db`` (the CLI through its commands, the web app explicitly), and ``init_db`` creates
whatever is registered — also tables registered after an earlier call — and runs the registered
schema steps (``schema_step``), which bring a database made by an earlier version up to date.
"""

from __future__ import annotations

import datetime as dt
import fcntl
from contextlib import contextmanager
from functools import lru_cache
from typing import Callable, Iterator

from sqlalchemy import (JSON, Boolean, Date, DateTime, ForeignKey, Integer, String, UniqueConstraint,
                        create_engine, event, func)
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from .config import Settings, settings
from .errors import Unavailable


class DatabaseUnavailable(Unavailable):
    """The configured database cannot be used (no driver for it, or an address SQLAlchemy does not know)."""


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
    __table_args__ = (UniqueConstraint("id_number", name="uq_retiree_id_number"),)
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


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    default = "不设置 HANDOVER_DATABASE_URL 即使用默认的 SQLite 数据库"
    try:
        engine = create_engine(url)
    except ImportError as err:  # the dialect's driver (psycopg, pymysql, …) is not installed
        raise DatabaseUnavailable(f"无法使用数据库 {_shown(url)}：未安装其驱动程序 {err.name}。{default}") from err
    except ArgumentError as err:  # not a database address, or a dialect SQLAlchemy does not have
        raise DatabaseUnavailable(f"无法识别的数据库地址 {_shown(url)}（HANDOVER_DATABASE_URL）。{default}") from err
    if url.startswith("sqlite"):
        event.listen(engine, "connect", _sqlite_pragmas)
    elif engine.dialect.name == "postgresql":
        event.listen(engine, "connect", _utc_session)
    return engine


_created: dict[str, frozenset[str]] = {}  # per database: the tables (and steps) this process has made sure of

# What create_all cannot do to a database made by an earlier version — a column added to an existing
# table, triggers, rows to bring to a new rule — is a schema step, registered by the package that
# owns the table, beside it (``schema_step``), with a read-only test of whether the database already
# has it. init_db runs the steps after create_all: when every test passes it writes nothing (a
# process start must not wait for the write lock), otherwise it runs them all in one write
# transaction; each step does only what is missing.
_steps: list[tuple[Callable[[Connection], None], Callable[[Connection], bool]]] = []


def schema_step(step: Callable[[Connection], None], *, done: Callable[[Connection], bool]) -> None:
    """Register ``step(connection)``, run by ``init_db`` unless ``done(connection)``."""
    if all(step is not registered for registered, _ in _steps):
        _steps.append((step, done))


def _run_steps(engine: Engine) -> None:
    with engine.connect() as conn:
        if all(done(conn) for _, done in _steps):
            return
        conn.rollback()
        if engine.dialect.name == "sqlite":
            # The steps read, then write: hold the write lock from the start (see
            # archive_store.transactions), so no other process writes in between.
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        for step, _ in list(_steps):
            step(conn)
        conn.commit()


def init_db(cfg: Settings | None = None) -> Engine:
    """The engine, with every table registered on ``Base`` created (once per process, database
    and set of registered tables)."""
    cfg = cfg or settings()
    engine = engine_for(cfg.db_url)
    registered = frozenset(Base.metadata.tables) | {f"step:{s.__module__}.{s.__qualname__}" for s, _ in _steps}
    if registered <= _created.get(cfg.db_url, frozenset()):
        return engine
    if cfg.db_url.startswith("sqlite:///"):
        cfg.data_dir.mkdir(parents=True, exist_ok=True)
        # Several processes (workers, publishers) may start on a fresh database at once;
        # create_all checks then creates, so serialise it.
        with (cfg.data_dir / ".schema.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            Base.metadata.create_all(engine)
            _run_steps(engine)
    else:
        Base.metadata.create_all(engine)
        _run_steps(engine)
    _created[cfg.db_url] = registered
    return engine


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
