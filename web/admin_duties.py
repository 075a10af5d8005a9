"""三员分立 (GB/T 22239): which administrator may do what.

Three duties: ``SYSTEM`` (accounts — add, disable, passwords, sessions — and the community
registry, a setting of the system), ``SECURITY`` (roles and scopes: who may see what) and ``AUDIT``
(reads the audit log, the administrators' own actions included; changes nothing). The 系统管理员,
安全保密管理员 and 安全审计员 each hold one. None of them is a custodian: they read no personnel file.

The combined ``admin`` role holds all three while the separation is not in force: when
``admin_separation`` is off (a small office with one administrator, warned on every admin page), or
while the three roles are not yet each held by an active account (an installation upgraded from
the single ``admin`` keeps working, with the warning, until the three are set up). Once they are,
``admin`` accounts keep their archive work but lose every administrator duty — the audit log is
then the 审计员's alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive_store.read_rule import ADMIN, AUDITOR, SECADMIN, SYSADMIN
from handover.config import Settings

from .tables import UserRow

SYSTEM, SECURITY, AUDIT = "system", "security", "audit"
DUTY_OF = {SYSADMIN: SYSTEM, SECADMIN: SECURITY, AUDITOR: AUDIT}
ADMIN_ROLES = frozenset({ADMIN, *DUTY_OF})
_NAMES = {SYSADMIN: "系统管理员", SECADMIN: "安全保密管理员", AUDITOR: "安全审计员"}


@dataclass(frozen=True)
class AdminMode:
    separated: bool  # the three duties are held apart: ``admin`` holds none
    warning: str  # shown on the admin pages; empty once the separation is in force


def mode(cfg: Settings, session: Session) -> AdminMode:
    if not cfg.admin_separation:
        return AdminMode(False, "单一管理员模式：一个管理员账号同时负责用户管理、角色授权和审计，不符合等保"
                                "（GB/T 22239）三员分立的要求，仅适用于只有一名管理员的小型单位。")
    held = set(session.scalars(select(UserRow.role).where(UserRow.role.in_(DUTY_OF), UserRow.active.is_(True))))
    missing = [name for role, name in _NAMES.items() if role not in held]
    if missing:
        return AdminMode(False, "三员分立尚未完成：尚缺" + "、".join(missing) + "。在三员设立之前，“管理员（三员合一）”"
                                "账号暂时承担全部管理职责；三员设立后，该账号不再有任何管理权限（包括查看审计日志）。")
    return AdminMode(True, "")


def duties(role: str, current: AdminMode) -> frozenset[str]:
    if role == ADMIN:
        return frozenset() if current.separated else frozenset({SYSTEM, SECURITY, AUDIT})
    return frozenset({DUTY_OF[role]}) if role in DUTY_OF else frozenset()
