"""Tables of the web front end (declared on handover.db.Base; the package's __init__ imports this module)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column

import archive_store.tables  # noqa: F401 - the communities table our users point at
from handover.db import Base


class UserRow(Base):
    __tablename__ = "web_users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"), nullable=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # No longer read (sessions are rows of web_sessions); kept because databases made before
    # hold this NOT NULL column.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class RosterUploadRow(Base):
    """A roster file uploaded through the browser, kept between the check and the import."""

    __tablename__ = "web_roster_uploads"
    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(32), unique=True)  # random hex, names the folder
    user_id: Mapped[int] = mapped_column(ForeignKey("web_users.id"))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    file_name: Mapped[str] = mapped_column(String(200))  # sanitised original name
    size: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="checked")  # checked | imported
    report: Mapped[dict] = mapped_column(JSON, default=dict)
    rows_imported: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())


class BundleRow(Base):
    """A generation of the enterprise's transfer documents (docgen bundle), run by the workers
    (``task_id``) or, without a broker, by a thread of a web process (``heartbeat_at``)."""

    __tablename__ = "web_bundles"
    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(32), unique=True)  # random hex, names the folder
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("web_users.id"))
    status: Mapped[str] = mapped_column(String(16), default="running")  # running | done | failed | interrupted
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    label: Mapped[str] = mapped_column(String(200), default="")
    error: Mapped[str] = mapped_column(String(400), default="")
    persons: Mapped[int] = mapped_column(Integer, default=0)
    manifest: Mapped[dict] = mapped_column(JSON, default=dict)  # documents, warnings, zip name
    # Set by the web process (utcnow, microseconds): compared with enterprises.roster_changed_at.
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    task_id: Mapped[str] = mapped_column(String(64), default="", server_default="")  # the Celery task's, when queued
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)  # in-process run alive


class IntakeRow(Base):
    """A scanned dossier uploaded by archive staff, handed to the workers as a one-entry batch."""

    __tablename__ = "web_intakes"
    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(32), unique=True)  # random hex, names the batch folder
    user_id: Mapped[int] = mapped_column(ForeignKey("web_users.id"))
    id_number: Mapped[str] = mapped_column(String(18))
    name: Mapped[str] = mapped_column(String(64), default="")
    files: Mapped[int] = mapped_column(Integer, default=0)
    batch_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # workers' batch
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued | running | done | failed
    error: Mapped[str] = mapped_column(String(400), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())


class SignInFailureRow(Base):
    """One failed sign-in per key ("pair:<address>|<name>", "user:<name>", "ip:<address>"): the
    rate limit, shared by every server process using this database."""

    __tablename__ = "web_signin_failures"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)


class SessionRow(Base):
    """A signed-in session. The cookie carries a random token; this row holds its SHA-256, so a
    copy of the database does not let anyone sign in. Ended rows stay for the record."""

    __tablename__ = "web_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("web_users.id"), index=True)
    client: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime)
    # Set at sign-in when the password was reset by an admin or has expired: until it is
    # changed, the session may do nothing else.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True, index=True)
    # logout | password_changed | password_reset | disabled | ended_by_admin | idle | expired
    end_reason: Mapped[str] = mapped_column(String(32), default="")


class PasswordStateRow(Base):
    """When a user's password was last set and whether they must change it at the next sign-in
    (after an admin's reset). No row: set when the user was created, no change required."""

    __tablename__ = "web_password_state"
    user_id: Mapped[int] = mapped_column(ForeignKey("web_users.id"), primary_key=True)
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime)
    must_change: Mapped[bool] = mapped_column(Boolean, default=False)
