"""The password rules (GB/T 22239-2019 level 3, 身份鉴别: 口令应有复杂度要求并定期更换) and the
state kept per user: when the password was set, and whether it must be changed at next sign-in."""

from __future__ import annotations

import datetime as dt
import secrets
from functools import lru_cache

from sqlalchemy.orm import Session

from handover.clock import utcnow
from handover.config import TEMPLATES_DIR, Settings

from .tables import PasswordStateRow, UserRow

MIN_LENGTH = 10
MIN_CLASSES = 3
COMMON_LIST = TEMPLATES_DIR / "security" / "common-passwords.txt"
RULES = f"密码至少{MIN_LENGTH}位，含大写字母、小写字母、数字、符号中的至少{MIN_CLASSES}类，不含用户名，且不是常见密码"


class PasswordRejected(ValueError):
    """The password breaks a rule; the message says which, in Chinese."""


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    lines = COMMON_LIST.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def _classes(password: str) -> int:
    return sum((any(c.islower() and c.isascii() for c in password),
                any(c.isupper() and c.isascii() for c in password),
                any(c.isdigit() and c.isascii() for c in password),
                any(not (c.isascii() and c.isalnum()) for c in password)))


def check(password: str, username: str) -> None:
    """Raise PasswordRejected unless ``password`` may be used by ``username``."""
    if len(password) < MIN_LENGTH:
        raise PasswordRejected(f"密码至少需要{MIN_LENGTH}个字符")
    if _classes(password) < MIN_CLASSES:
        raise PasswordRejected(f"密码须包含大写字母、小写字母、数字、符号（含汉字）中的至少{MIN_CLASSES}类")
    name = username.strip().lower()
    if len(name) >= 3 and (name in password.lower() or name[::-1] in password.lower()):
        raise PasswordRejected("密码不能包含用户名")
    if password.lower() in common_passwords():
        raise PasswordRejected("该密码过于常见，容易被猜中，请换一个")


def mark_set(session: Session, user: UserRow, *, must_change: bool) -> None:
    """Record that the password was just set (by the user: ``must_change`` False; by an admin's
    reset: True, the user chooses a new one at next sign-in)."""
    state = session.get(PasswordStateRow, user.id)
    if state is None:
        state = PasswordStateRow(user_id=user.id)
        session.add(state)
    state.changed_at, state.must_change = utcnow(), must_change


def change_required(session: Session, user: UserRow, cfg: Settings) -> str:
    """Why the user must change the password before doing anything else ("" when not)."""
    state = session.get(PasswordStateRow, user.id)
    if state is not None and state.must_change:
        return "管理员已重置您的密码，请设置新密码"
    if cfg.password_max_age_days > 0:
        changed = state.changed_at if state else user.created_at
        if changed is not None and utcnow() - changed > dt.timedelta(days=cfg.password_max_age_days):
            return f"密码已使用超过{cfg.password_max_age_days}天，请设置新密码"
    return ""


def one_time(username: str) -> str:
    """A random password that passes the rules, for an admin's reset (the user replaces it at the
    next sign-in): letters and digits that cannot be misread (no 0/O, 1/l/I), in groups easy to
    read out over the phone."""
    upper, lower, digits = "ABCDEFGHJKLMNPQRSTUVWXYZ", "abcdefghijkmnpqrstuvwxyz", "23456789"
    while True:
        candidate = "-".join("".join(secrets.choice(chars) for _ in range(4)) for chars in (upper, lower, digits))
        try:
            check(candidate, username)
        except PasswordRejected:
            continue
        return candidate
