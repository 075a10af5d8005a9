"""The community registry (the 系统管理员's: names of places are a setting of the system, not a
grant of rights — web.admin_duties): communities named in rosters but not in the gazetteer,
with the rosters and rows that name them; confirm (with an optional 区划代码) or reject; and the
社区联系人 and 服务电话 each community's 联系卡 prints."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session

from archive_store import audit
from archive_store.communities import confirm, reject, set_contact
from handover import clock
from handover.communities import CONFIRMED, REJECTED, Decision, Pending, contacts, decisions, pending
from handover.errors import Conflict, InputRefused

from ..admin_duties import SYSTEM
from ..deps import CurrentUser, DB, duty
from ..render import flash, page
from ..security import verify_csrf

router = APIRouter()
admin_only = duty(SYSTEM)


def _pending_json(p: Pending) -> dict:
    return {"county": p.county, "street": p.street, "name": p.name, "finding": p.finding,
            "rows": [{"enterprise": r.enterprise, "file_name": r.file_name, "import_id": r.import_id,
                      "row": r.row, "column": r.column, "name": r.name, "rule": r.rule} for r in p.rows]}


def _decided_json(session: Session) -> list[dict]:
    return [{"county": d.county, "street": d.street, "name": d.name, "status": d.status, "code": d.code,
             "reason": d.reason, "decided_by": d.decided_by, "decided_at": clock.iso(d.decided_at, "seconds")}
            for d in decisions(session)]


def _decide(session: Session, user: CurrentUser, action: str, county: str, street: str, name: str,
            code: str, reason: str) -> Decision:
    if action == CONFIRMED:
        return confirm(session, county, street, name, user.username, code=code, reason=reason)
    return reject(session, county, street, name, user.username, reason=reason)


@router.get("/admin/communities", include_in_schema=False)
def communities_page(request: Request, user: CurrentUser = Depends(admin_only), session: Session = DB):
    waiting = pending(session)
    audit.record(session, user.username, "view_communities", "community_registry", "", pending=len(waiting))
    return page(request, "admin_communities.html", pending=waiting, decided=decisions(session),
                contacts=sorted(contacts(session).items()))


@router.post("/admin/communities", include_in_schema=False, dependencies=[Depends(verify_csrf)])
def communities_decide(request: Request, action: str = Form(""), county: str = Form(""), street: str = Form(""),
                       name: str = Form(""), code: str = Form(""), reason: str = Form(""),
                       liaison: str = Form(""), phone: str = Form(""),
                       user: CurrentUser = Depends(admin_only), session: Session = DB):
    if action not in ("confirm", "reject", "contact"):
        flash(request, "操作只能是“确认”“驳回”或“登记联系方式”", "error")
        return RedirectResponse("/admin/communities", status_code=303)
    try:
        if action == "contact":
            label = set_contact(session, county, street, name, user.username, liaison=liaison, phone=phone)
            flash(request, f"已登记 {label} 的社区联系人和服务电话，重新生成移交文书后印在联系卡上")
            return RedirectResponse("/admin/communities", status_code=303)
        d = _decide(session, user, CONFIRMED if action == "confirm" else REJECTED, county, street, name, code,
                    reason)
    except (InputRefused, Conflict) as err:  # shown on the page the admin came from
        session.rollback()
        flash(request, str(err), "error")
        return RedirectResponse("/admin/communities", status_code=303)
    if action == "confirm":
        flash(request, f"已确认社区 {d.label}，{d.released} 人已重新分配移交地")
    else:
        flash(request, f"已驳回社区 {d.label}，{d.released} 人需人工指定移交地")
    return RedirectResponse("/admin/communities", status_code=303)


# ---------------------------------------------------------------- API

class CommunityDecisionIn(BaseModel):
    county: str
    street: str
    name: str
    code: str = ""
    reason: str = ""


@router.get("/api/communities/pending", tags=["社区名录"], summary="待确认的社区及提到它们的名册行（系统管理员）")
def api_pending(user: CurrentUser = Depends(admin_only), session: Session = DB):
    waiting = pending(session)
    audit.record(session, user.username, "view_communities", "community_registry", "", pending=len(waiting))
    return {"pending": [_pending_json(p) for p in waiting], "decided": _decided_json(session)}


@router.post("/api/communities/confirm", tags=["社区名录"], summary="确认社区（区划代码可选）",
             dependencies=[Depends(verify_csrf)])
def api_confirm(body: CommunityDecisionIn, user: CurrentUser = Depends(admin_only), session: Session = DB):
    d = _decide(session, user, CONFIRMED, body.county, body.street, body.name, body.code, body.reason)
    return {"community": d.label, "status": d.status, "code": d.code, "released": d.released}


@router.post("/api/communities/reject", tags=["社区名录"], summary="驳回社区",
             dependencies=[Depends(verify_csrf)])
def api_reject(body: CommunityDecisionIn, user: CurrentUser = Depends(admin_only), session: Session = DB):
    d = _decide(session, user, REJECTED, body.county, body.street, body.name, "", body.reason)
    return {"community": d.label, "status": d.status, "released": d.released}
