"""The start page: what each role can do, with counts."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from archive_store import access
from archive_store.tables import PUBLISHED, AccessRequestRow, CommunityRow, VolumeRow
from handover.db import RetireeRow

from ..deps import CurrentUser, current_user, DB
from ..render import page
from ..users import ARCHIVE, ADMIN, AUDITOR, COMMUNITY, ENTERPRISE, SECADMIN, SYSADMIN

router = APIRouter()


def _volume_count(session: Session, scope: list[int] | None) -> int:
    q = select(func.count()).select_from(VolumeRow).where(VolumeRow.status == PUBLISHED)
    if scope is not None:
        q = q.where(VolumeRow.community_id.in_(scope))
    return session.scalar(q) or 0


@router.get("/", include_in_schema=False)
def home(request: Request, user: CurrentUser = Depends(current_user), session: Session = DB):
    stats: list[tuple[str, int | str]] = []
    if user.role == ENTERPRISE:
        n = session.scalar(select(func.count()).select_from(RetireeRow)
                           .where(RetireeRow.enterprise_id == user.enterprise_id)) or 0
        stats.append(("已导入退休人员", n))
    elif user.role in (SYSADMIN, SECADMIN, AUDITOR):
        pass  # 三员 administer the system; the archive's figures are not theirs
    else:
        stats.append(("可查阅案卷", _volume_count(session, user.scope)))
        communities = session.scalar(select(func.count()).select_from(CommunityRow)) if user.scope is None \
            else len(user.scope)
        stats.append(("管辖社区", communities or 0))
        pending = select(func.count()).select_from(AccessRequestRow).where(AccessRequestRow.status == "pending")
        if user.role == COMMUNITY:
            pending = pending.where(AccessRequestRow.requester == user.username)
        stats.append(("待审批的查阅/外借申请", session.scalar(pending) or 0))
        if user.role in (ADMIN, ARCHIVE):
            from .. import intake_list

            stats.append(("逾期未还的外借", len(access.overdue_loans(session))))
            stats.append(("待处理的档案", intake_list.count(session, request.app.state.cfg)))
    from .reconcile import dashboard

    return page(request, "home.html", stats=stats, lines=dashboard(session, user), ADMIN=ADMIN, ARCHIVE=ARCHIVE, COMMUNITY=COMMUNITY,
                ENTERPRISE=ENTERPRISE)
