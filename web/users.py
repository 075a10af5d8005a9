"""Users and roles: creation, sign-in checks, disabling, passwords (argon2 hashes; the rules in
``web.passwords``). Disabling a user or setting their password ends their sessions."""

from __future__ import annotations

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.orm import Session

from archive_store.read_rule import ADMIN, ARCHIVE, AUDITOR, COMMUNITY, ENTERPRISE, SECADMIN, SYSADMIN
from archive_store.tables import CommunityRow
from handover.db import EnterpriseRow
from handover.clock import utcnow
from handover.errors import InputRefused

from . import passwords, sessions
from .tables import UserRow

ROLES = {ADMIN: "管理员（三员合一）", SYSADMIN: "系统管理员", SECADMIN: "安全保密管理员", AUDITOR: "安全审计员",
         ARCHIVE: "档案馆工作人员", COMMUNITY: "社区工作人员", ENTERPRISE: "企业经办人"}
_USERNAME = re.compile(r"^[A-Za-z0-9_.\-]{3,32}$")

_hasher = PasswordHasher()
# Verified against when the user does not exist, so both paths take the same time.
_DUMMY_HASH = _hasher.hash("handover-dummy-password")


class UserError(InputRefused):
    """A user request that cannot be met; the message is Chinese, for the user."""


def hash_password(password: str, username: str) -> str:
    try:
        passwords.check(password, username)
    except passwords.PasswordRejected as err:
        raise UserError(str(err)) from None
    return _hasher.hash(password)


def create_user(session: Session, username: str, password: str, role: str, *, display_name: str = "",
                community_id: int | None = None, enterprise_id: int | None = None) -> UserRow:
    username = username.strip()
    if not _USERNAME.match(username):
        raise UserError("用户名须为3–32位字母、数字或 _ . -")
    _check_scope(session, role, community_id, enterprise_id)
    if session.scalar(select(UserRow).where(UserRow.username == username)):
        raise UserError(f"用户名“{username}”已被使用")
    row = UserRow(username=username, display_name=display_name.strip() or username,
                  password_hash=hash_password(password, username), role=role,
                  community_id=community_id if role == COMMUNITY else None,
                  enterprise_id=enterprise_id if role == ENTERPRISE else None, active=True)
    session.add(row)
    session.flush()
    passwords.mark_set(session, row, must_change=False)
    return row


def _check_scope(session: Session, role: str, community_id: int | None, enterprise_id: int | None) -> None:
    if role not in ROLES:
        raise UserError(f"未知的角色“{role}”，可选：" + "、".join(f"{k}（{v}）" for k, v in ROLES.items()))
    if role == COMMUNITY and community_id is None:
        raise UserError("社区工作人员必须指定所属社区")
    if role == COMMUNITY and session.get(CommunityRow, community_id) is None:
        raise UserError("所选社区不存在")
    if role == ENTERPRISE and enterprise_id is None:
        raise UserError("企业经办人必须指定所属企业")
    if role == ENTERPRISE and session.get(EnterpriseRow, enterprise_id) is None:
        raise UserError("所选企业不存在")


def set_role(session: Session, row: UserRow, role: str, *, community_id: int | None = None,
             enterprise_id: int | None = None) -> dict:
    """Give ``row`` another role or scope (a community for community staff, an enterprise for an
    enterprise's clerk; none for the others). Every request reads the user's row, so the change
    holds from the user's next request on. Returns the old values, for the audit log."""
    _check_scope(session, role, community_id, enterprise_id)
    old = {"role": row.role, "community_id": row.community_id, "enterprise_id": row.enterprise_id}
    row.role = role
    row.community_id = community_id if role == COMMUNITY else None
    row.enterprise_id = enterprise_id if role == ENTERPRISE else None
    return old


def authenticate(session: Session, username: str, password: str) -> UserRow | None:
    """The active user with this password, or None (same work either way)."""
    row = session.scalar(select(UserRow).where(UserRow.username == username.strip()))
    try:
        _hasher.verify(row.password_hash if row else _DUMMY_HASH, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if row is None or not row.active:
        return None
    if _hasher.check_needs_rehash(row.password_hash):
        row.password_hash = _hasher.hash(password)
    row.last_login_at = utcnow()
    return row


def set_active(session: Session, username: str, active: bool) -> UserRow:
    row = find_user(session, username)
    if row.active != active:
        row.active = active
        if not active:
            sessions.end_all(session, row.id, "disabled")
    return row


def check_password(row: UserRow, password: str) -> bool:
    try:
        return _hasher.verify(row.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def set_password(session: Session, row: UserRow, password: str, *, reset_by_admin: bool = False,
                 keep_session: str | None = None) -> int:
    """A new password for ``row``. Set by the user: every other session ends (``keep_session``,
    the token of the one asking, stays). Reset by an admin: every session ends and the user must
    choose a new password at next sign-in. Returns how many sessions were ended."""
    if check_password(row, password):
        raise UserError("新密码不能与原密码相同")
    row.password_hash = hash_password(password, row.username)
    passwords.mark_set(session, row, must_change=reset_by_admin)
    return sessions.end_all(session, row.id, "password_reset" if reset_by_admin else "password_changed",
                            keep=None if reset_by_admin else keep_session)


def find_user(session: Session, username: str) -> UserRow:
    row = session.scalar(select(UserRow).where(UserRow.username == username))
    if row is None:
        raise UserError(f"没有用户“{username}”")
    return row


def list_users(session: Session) -> list[UserRow]:
    return list(session.scalars(select(UserRow).order_by(UserRow.id)))
