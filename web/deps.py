"""Request dependencies: the database session, the signed-in user, role checks and scopes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from fastapi import Depends, HTTPException, Request
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from archive_store import audit
from archive_store.read_rule import Reader
from handover.disclosure import Disclosure
from archive_store.tables import CommunityRow
from handover.db import EnterpriseRow, managed

from . import admin_duties, sessions
from .tables import UserRow
from .users import ARCHIVE, ADMIN, COMMUNITY, ENTERPRISE, ROLES


class NotSignedIn(Exception):
    """Raised for pages (redirect to the sign-in page) and the API (401)."""


class PasswordChangeRequired(Exception):
    """The session may do nothing but change the password (after an admin's reset, or when the
    password is older than ``password_max_age_days``): pages redirect to the form, the API
    answers 403."""


@dataclass(frozen=True)
class CurrentUser:
    id: int
    username: str
    display_name: str
    role: str
    community_id: int | None
    community_label: str
    enterprise_id: int | None
    enterprise_name: str
    duties: frozenset[str] = frozenset()  # administrator duties (web.admin_duties)
    admin_warning: str = ""  # why the 三员分立 is not in force, for the admin pages

    @property
    def role_label(self) -> str:
        return ROLES[self.role]

    @property
    def reader(self) -> Reader:
        """This user as the read rule (archive_store.read_rule) sees them."""
        return Reader(self.username, self.role, self.community_id)

    @property
    def scope(self) -> list[int] | None:
        """Community ids this user may see; None = all; [] = none."""
        return self.reader.scope

    def sees_community(self, community_id: int) -> bool:
        return self.reader.sees_community(community_id)

    @property
    def disclosure(self) -> Disclosure:
        """What this user is shown of ID numbers and birth dates (the read rule decides)."""
        return self.reader.disclosure

    def id_text(self, number: str) -> str:
        return self.disclosure.id_number(number)


def db(request: Request) -> Iterator[Session]:
    with managed(request.app.state.sessionmaker()) as session:
        yield session


# The request's session, committed when the route returns and before the answer is sent: a
# request-scoped yield dependency (FastAPI's default) would commit only after sending, so the page
# a POST redirects to could be read before the POST's changes are in. Downloads are built inside
# their route (web.downloads), so nothing reads the session after the route returns.
DB = Depends(db, scope="function")


async def posted_form(request: Request) -> FormData:
    """The posted form, for a plain ``def`` route whose field names are data (it cannot await the
    form itself, and an ``async def`` route would run its database work on the event loop)."""
    return await request.form()


def optional_user(request: Request, session: Session = DB) -> CurrentUser | None:
    """The user of the request's session, if that session is still open (see web.sessions)."""
    token = request.session.get("sid")
    if token is None:
        if request.session.get("uid") is not None:
            request.session.clear()  # a cookie from before server-side sessions: sign in again
        return None
    live = sessions.live(session.get_bind(), token, request.app.state.cfg)
    row = session.get(UserRow, live.user_id) if live else None
    if row is None or not row.active:
        request.session.clear()
        return None
    request.state.must_change_password = live.must_change_password
    community = session.get(CommunityRow, row.community_id) if row.community_id else None
    enterprise = session.get(EnterpriseRow, row.enterprise_id) if row.enterprise_id else None
    duties, warning = frozenset(), ""
    if row.role in admin_duties.ADMIN_ROLES:
        mode = admin_duties.mode(request.app.state.cfg, session)
        duties, warning = admin_duties.duties(row.role, mode), mode.warning
    user = CurrentUser(row.id, row.username, row.display_name, row.role, row.community_id,
                       community.label if community else "", row.enterprise_id,
                       enterprise.name if enterprise else "", duties, warning)
    request.state.user = user
    return user


def signed_in(user: CurrentUser | None = Depends(optional_user)) -> CurrentUser:
    """The signed-in user, even one who must change the password first (for the routes that
    change it, sign out, or say who is signed in)."""
    if user is None:
        raise NotSignedIn
    return user


def current_user(request: Request, user: CurrentUser = Depends(signed_in)) -> CurrentUser:
    if getattr(request.state, "must_change_password", False):
        raise PasswordChangeRequired
    return user


def audit_now(request: Request, actor: str, action: str, target: str, reason: str = "", **detail) -> None:
    """An audit row in its own transaction: kept even when the request fails and rolls back."""
    session: Session = request.app.state.sessionmaker()
    try:
        audit.record(session, actor, action, target, reason, **detail)
        session.commit()
    finally:
        session.close()


def record_denial(request: Request, user: CurrentUser, target: str, why: str) -> None:
    audit_now(request, user.username, "denied", target, why, method=request.method, path=request.url.path)


def deny(request: Request, user: CurrentUser, target: str, message: str = "无权访问该内容") -> HTTPException:
    record_denial(request, user, target, message)
    return HTTPException(403, message)


def hidden(request: Request, user: CurrentUser, target: str, why: str, message: str) -> HTTPException:
    """Something that exists but is out of the user's scope: recorded as a refusal, and answered
    exactly like an id that does not exist (404, same message), so ids cannot be probed."""
    record_denial(request, user, target, why)
    return HTTPException(404, message)


def missing(request: Request, user: CurrentUser, target: str, message: str) -> HTTPException:
    """An id that does not exist: 404, and a row in the audit log (guessing ids leaves a trace)."""
    audit_now(request, user.username, "not_found", target, message, method=request.method, path=request.url.path)
    return HTTPException(404, message)


def require(*roles: str):
    """A dependency: the signed-in user, who must have one of ``roles`` (403 otherwise)."""

    def check(request: Request, user: CurrentUser = Depends(current_user)) -> CurrentUser:
        if user.role not in roles:
            raise deny(request, user, request.url.path, "您的角色无权使用此功能")
        return user

    return check


def duty(*names: str):
    """A dependency: the signed-in user, who must hold one of these administrator duties
    (web.admin_duties; 403 otherwise)."""

    def check(request: Request, user: CurrentUser = Depends(current_user)) -> CurrentUser:
        if not user.duties & set(names):
            raise deny(request, user, request.url.path, "您的管理员角色无权使用此功能（三员分立）")
        return user

    return check


STAFF = (ADMIN, ARCHIVE, COMMUNITY)
ARCHIVE_ROLES = (ADMIN, ARCHIVE)
ENTERPRISE_ROLES = (ENTERPRISE,)
