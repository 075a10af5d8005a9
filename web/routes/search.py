"""Search: one box for full text, name or ID number, with filters; only the caller's scope."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, HTTPException, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from archive_store.search import CLASS_NUMERALS, search
from archive_store.tables import CommunityRow

from ..deps import STAFF, CurrentUser, DB, deny, require
from ..render import page

router = APIRouter()
staff_only = require(*STAFF)
CLASSES = [(n, f"{n}类") for n in CLASS_NUMERALS]


def _date(value: str, what: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise HTTPException(400, f"{what}格式应为 YYYY-MM-DD") from None


def communities_in_scope(session: Session, user: CurrentUser) -> list[CommunityRow]:
    q = select(CommunityRow).order_by(CommunityRow.county, CommunityRow.street, CommunityRow.name)
    if user.scope is not None:
        q = q.where(CommunityRow.id.in_(user.scope))
    return list(session.scalars(q))


def _run(request: Request, session: Session, user: CurrentUser, q: str, community: str, enterprise: str,
         class_code: str, date_from: str, date_to: str, limit: int = 50):
    scope = user.scope
    if community:
        if not community.isdigit():
            raise HTTPException(400, "社区参数无效")
        cid = int(community)
        if not user.sees_community(cid):
            raise deny(request, user, f"community/{cid}", "无权检索该社区的档案")
        scope = [cid]
    if class_code and class_code.split("-")[0] not in CLASS_NUMERALS and not class_code.split("-")[0].isdigit():
        raise HTTPException(400, "材料类号无效")
    return search(session, q, scope, class_code=class_code or None, enterprise=enterprise or None,
                  date_from=_date(date_from, "起始日期"), date_to=_date(date_to, "截止日期"),
                  limit=max(1, min(limit, 200)), actor=user.username)


def _hit_json(hit, user: CurrentUser) -> dict:
    d = hit.as_dict()
    d["url"] = f"/dossiers/{hit.volume_id}" + (f"?seq={hit.page_seq}" if hit.page_seq else "")
    return d


@router.get("/search", include_in_schema=False)
def search_page(request: Request, q: str = "", community: str = "", enterprise: str = "", class_code: str = "",
                date_from: str = "", date_to: str = "", user: CurrentUser = Depends(staff_only),
                session: Session = DB):
    hits = None
    if q.strip():
        hits = _run(request, session, user, q.strip(), community, enterprise, class_code, date_from, date_to)
    return page(request, "search.html", q=q, hits=hits, communities=communities_in_scope(session, user),
                classes=CLASSES, f={"community": community, "enterprise": enterprise, "class_code": class_code,
                                    "date_from": date_from, "date_to": date_to})


@router.get("/api/search", tags=["检索"], summary="检索已入库档案（仅限本人权限范围）")
def api_search(request: Request, q: str, community: str = "", enterprise: str = "", class_code: str = "",
               date_from: str = "", date_to: str = "", limit: int = 50, user: CurrentUser = Depends(staff_only),
               session: Session = DB):
    hits = _run(request, session, user, q, community, enterprise, class_code, date_from, date_to, limit)
    return {"query": q, "count": len(hits), "hits": [_hit_json(h, user) for h in hits]}


@router.get("/api/communities", tags=["检索"], summary="本人权限范围内的社区")
def api_communities(user: CurrentUser = Depends(staff_only), session: Session = DB):
    return [{"id": c.id, "label": c.label, "code": c.code} for c in communities_in_scope(session, user)]
