"""查阅/外借 requests: filed by staff for a dossier in their scope, approved by archive staff; and the
档案利用登记簿 of a month (archive staff and admins: it is the custodians' record of every use, so
community staff, who see only their own requests, do not see it)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel
from sqlalchemy import case, select
from sqlalchemy.orm import Session

from archive_store import access, audit, use_register
from archive_store.tables import PUBLISHED, AccessRequestRow, CommunityRow, VolumeRow
from handover import clock
from handover.errors import InputRefused

from ..deps import ARCHIVE_ROLES, STAFF, CurrentUser, DB, deny, hidden, missing, require
from ..downloads import built_file
from ..paging import DEFAULT_LIMIT, MAX_LIMIT, Paging, Sorts
from ..render import flash, page
from ..security import verify_csrf
from ..users import ARCHIVE, ADMIN
from .dossier import visible_volume

router = APIRouter()
staff_only = require(*STAFF)
archive_only = require(*ARCHIVE_ROLES)


def _file(request: Request, session: Session, user: CurrentUser, volume_id: int, kind: str, reason: str,
          organisation: str, due_on: str) -> AccessRequestRow:
    vol = visible_volume(request, session, user, volume_id)
    due = None
    if due_on:
        try:
            due = dt.date.fromisoformat(due_on)
        except ValueError:
            raise HTTPException(400, "归还日期格式应为 YYYY-MM-DD") from None
    return access.request_access(session, vol.ref_no, kind, user.username, reason.strip(),
                                 organisation=organisation.strip(), due_on=due)


# The approvers' to-do first (pending before the rest), newest first within each.
SORTS = Sorts(columns={"todo": (case((AccessRequestRow.status == "pending", 0), else_=1), -AccessRequestRow.id),
                       "requested": (AccessRequestRow.requested_at,), "due": (AccessRequestRow.due_on,),
                       "status": (AccessRequestRow.status,)},
              default="todo", tiebreak=AccessRequestRow.id)


def _day(value: str, label: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        raise InputRefused(f"{label}“{value[:20]}”不是日期，请按 年-月-日 填写，如 2026-01-31") from None


def _listing(request: Request, session: Session, user: CurrentUser, filters: dict, sort: str = "",
             limit: int = DEFAULT_LIMIT, offset: int = 0) -> tuple[list[dict], Paging]:
    paging = Paging.of(request.url.path, SORTS, filters, sort, limit, offset)
    status = paging.filters.get("status", "")
    if status and status != "overdue" and status not in access.STATUS_LABELS:
        raise InputRefused(f"未知的状态“{status[:20]}”")
    due_from = _day(paging.filters.get("due_from", ""), "归还日期起")
    due_to = _day(paging.filters.get("due_to", ""), "归还日期止")
    # The columns the list shows, not three whole rows per line: the volume's row is wide and
    # building ORM objects was a third of the list's time (benchmarks/bench_web.py).
    r, v, c = AccessRequestRow, VolumeRow, CommunityRow
    q = (select(r.id, r.kind, r.status, r.requester, r.organisation, r.reason, r.requested_at, r.due_on,
                r.decided_by, r.decision_note, r.use_effect, v.id.label("volume_id"), v.ref_no, v.name,
                c.county, c.street, c.name.label("community_name"))
         .join(VolumeRow, VolumeRow.id == AccessRequestRow.volume_id)
         .join(CommunityRow, CommunityRow.id == VolumeRow.community_id))
    if user.role not in (ADMIN, ARCHIVE):  # a withdrawn (退回) volume is no longer theirs to see
        q = q.where(AccessRequestRow.requester == user.username, VolumeRow.status == PUBLISHED)
    if status == "overdue":  # the reminder list: approved 外借 past their 归还日期
        q = q.where(access.overdue_sql(clock.today()))
    elif status:
        q = q.where(AccessRequestRow.status == status)
    if due_from:
        q = q.where(AccessRequestRow.due_on >= due_from)
    if due_to:
        q = q.where(AccessRequestRow.due_on <= due_to)
    paging.count(session, q)
    today = clock.today()
    rows = [{"id": x.id, "kind": x.kind, "kind_label": access.KINDS[x.kind], "status": x.status,
             "status_label": access.STATUS_LABELS[x.status], "requester": x.requester,
             "organisation": x.organisation, "reason": x.reason, "volume_id": x.volume_id, "ref_no": x.ref_no,
             "name": x.name, "community": f"{x.county}{x.street}{x.community_name}",
             "requested_at": clock.iso(x.requested_at),
             "due_on": x.due_on.isoformat() if x.due_on else None,
             "overdue": x.status == access.APPROVED and not access.in_force(x.due_on, today),
             "decided_by": x.decided_by,
             "decision_note": x.decision_note, "use_effect": x.use_effect} for x in session.execute(paging.apply(q))]
    return rows, paging


def _decide(request: Request, session: Session, user: CurrentUser, request_id: int, action: str,
            note: str, effect: str = "") -> AccessRequestRow:
    decide = {"approve": access.approve, "reject": access.reject, "close": access.close,
              "cancel": access.cancel}.get(action)
    if decide is None:
        raise HTTPException(400, "未知的操作")
    custodian = user.role in (ADMIN, ARCHIVE)
    # The role is checked before the id, so that the answer says nothing about which ids exist.
    if action in ("approve", "reject") and not custodian:
        raise deny(request, user, f"access_request/{request_id}", "只有档案馆工作人员可以审批查阅/外借申请")
    row = session.get(AccessRequestRow, request_id)
    if row is None:
        raise missing(request, user, f"access_request/{request_id}", "未找到该申请")
    if action in ("close", "cancel") and not custodian and row.requester != user.username:
        raise hidden(request, user, f"access_request/{request_id}", "只能办理自己的申请", "未找到该申请")
    if action == "reject" and not note.strip():
        raise HTTPException(400, "驳回申请必须填写理由")
    if action == "close":
        return access.close(session, request_id, user.username, note.strip(), effect)
    if effect.strip():
        raise HTTPException(400, "利用效果在办结（归还）时填写")
    return decide(session, request_id, user.username, note.strip())


@router.get("/requests", include_in_schema=False)
def requests_page(request: Request, status: str = "", due_from: str = "", due_to: str = "", sort: str = "",
                  limit: int = DEFAULT_LIMIT, offset: int = Query(0, ge=0), user: CurrentUser = Depends(staff_only),
                  session: Session = DB):
    rows, paging = _listing(request, session, user, dict(status=status, due_from=due_from, due_to=due_to), sort,
                            limit, offset)
    return page(request, "requests.html", rows=rows, paging=paging, status=status,
                status_labels=access.STATUS_LABELS, use_effects=access.USE_EFFECTS)


def _register_scope(session: Session, month: str, community: str) -> tuple[str, CommunityRow | None]:
    """The month asked for (this month by default) and the community (None: all)."""
    month = month.strip() or clock.today().strftime("%Y-%m")
    use_register.parse_month(month)
    if not community.strip():
        return month, None
    try:
        row = session.get(CommunityRow, int(community))
    except ValueError:
        row = None
    if row is None:
        raise InputRefused(f"未找到社区“{community[:20]}”")
    return month, row


@router.get("/requests/register", include_in_schema=False)
def register_page(request: Request, month: str = "", community: str = "", user: CurrentUser = Depends(archive_only),
                  session: Session = DB):
    month, chosen = _register_scope(session, month, community)
    lines = use_register.register(session, month, chosen.id if chosen else None)
    audit.record(session, user.username, "read_use_register", chosen.label if chosen else "全部社区",
                 "查看档案利用登记簿", month=month, lines=len(lines))
    communities = list(session.scalars(select(CommunityRow).order_by(CommunityRow.county, CommunityRow.street,
                                                                     CommunityRow.name)))
    return page(request, "use_register.html", lines=lines, month=month, chosen=chosen, communities=communities,
                columns=use_register.COLUMNS, heading=use_register.title(month, chosen))


@router.get("/requests/register.xlsx", tags=["查阅外借"],
            summary="下载档案利用登记簿（XLSX，档案馆）：某月批准的查阅/外借，可按社区")
def register_xlsx(request: Request, month: str = Query("", description="月份 YYYY-MM，默认本月"),
                  community: str = Query("", description="社区编号，空为全部社区"),
                  user: CurrentUser = Depends(archive_only), session: Session = DB):
    month, chosen = _register_scope(session, month, community)
    name = f"{chosen.label if chosen else '全部社区'}-档案利用登记簿-{month}.xlsx"
    return built_file(lambda tmp: use_register.export_xlsx(session, month, chosen, tmp / "register.xlsx",
                                                           actor=user.username), name)


def _register_document(session: Session, user: CurrentUser, month: str, community: str, fmt: str):
    from .contents import MEDIA

    month, chosen = _register_scope(session, month, community)
    name = f"{chosen.label if chosen else '全部社区'}-档案利用登记簿-{month}.{fmt}"
    return built_file(lambda tmp: use_register.export_document(session, month, chosen, tmp / f"register.{fmt}",
                                                               actor=user.username), name, MEDIA[fmt])


@router.get("/requests/register.pdf", tags=["查阅外借"],
            summary="打印档案利用登记簿（PDF，档案馆）：某月批准的查阅/外借，可按社区，栏目同 XLSX")
def register_pdf(month: str = Query("", description="月份 YYYY-MM，默认本月"),
                 community: str = Query("", description="社区编号，空为全部社区"),
                 user: CurrentUser = Depends(archive_only), session: Session = DB):
    return _register_document(session, user, month, community, "pdf")


@router.get("/requests/register.docx", tags=["查阅外借"],
            summary="档案利用登记簿（DOCX，档案馆，可编辑后打印）：某月批准的查阅/外借，可按社区，栏目同 XLSX")
def register_docx(month: str = Query("", description="月份 YYYY-MM，默认本月"),
                  community: str = Query("", description="社区编号，空为全部社区"),
                  user: CurrentUser = Depends(archive_only), session: Session = DB):
    return _register_document(session, user, month, community, "docx")


@router.post("/dossiers/{volume_id}/requests", include_in_schema=False, dependencies=[Depends(verify_csrf)])
def request_form(request: Request, volume_id: int, kind: str = Form("view"), reason: str = Form(""),
                 organisation: str = Form(""), due_on: str = Form(""), user: CurrentUser = Depends(staff_only),
                 session: Session = DB):
    row = _file(request, session, user, volume_id, kind, reason, organisation, due_on)
    flash(request, f"已提交{access.KINDS[row.kind]}申请（编号 {row.id}），等待档案馆审批。")
    return RedirectResponse(f"/dossiers/{volume_id}", status_code=303)


@router.post("/requests/{request_id}/{action}", include_in_schema=False, dependencies=[Depends(verify_csrf)])
def decide_form(request: Request, request_id: int, action: str, note: str = Form(""), effect: str = Form(""),
                user: CurrentUser = Depends(staff_only), session: Session = DB):
    row = _decide(request, session, user, request_id, action, note, effect)
    flash(request, f"申请 {row.id} 已{access.STATUS_LABELS[row.status]}")
    return RedirectResponse("/requests", status_code=303)


# ---------------------------------------------------------------- API

class NewRequest(BaseModel):
    kind: str = "view"  # "view" 查阅 | "loan" 外借
    reason: str
    organisation: str = ""
    due_on: str = ""


class Decision(BaseModel):
    note: str = ""
    effect: str = ""  # 利用效果, on close only: 办理待遇 | 核实身份 | 落实政策 | 其他, or free text


@router.get("/api/requests", tags=["查阅外借"],
            summary="查阅/外借申请（档案馆：全部；其他：本人的），按状态、归还日期筛选、排序、分页")
def api_requests(request: Request,
                 status: str = Query("", description="pending | approved | rejected | cancelled | closed | overdue"),
                 due_from: str = Query("", description="归还日期起（年-月-日）"),
                 due_to: str = Query("", description="归还日期止（年-月-日）"),
                 sort: str = Query("", description="todo（待审批在前，新的在前；默认）| requested | due | status；"
                                                   "前加 - 为倒序"),
                 limit: int = Query(DEFAULT_LIMIT, description=f"每页条数，最多 {MAX_LIMIT}"),
                 offset: int = Query(0, ge=0), user: CurrentUser = Depends(staff_only),
                 session: Session = DB):
    rows, paging = _listing(request, session, user, dict(status=status, due_from=due_from, due_to=due_to), sort,
                            limit, offset)
    return {**paging.answer(), "requests": rows}


# The register has one order, its 序号's: approval time, then the request's id.
REGISTER_SORTS = Sorts(columns={"approved": use_register.ORDER[:1]}, default="approved",
                       tiebreak=use_register.ORDER[1])


@router.get("/api/requests/register", tags=["查阅外借"],
            summary="档案利用登记簿（档案馆）：某月批准的查阅/外借，可按社区，分页；栏目同页面和 XLSX")
def api_register(request: Request, month: str = Query("", description="月份 YYYY-MM，默认本月"),
                 community: str = Query("", description="社区编号，空为全部社区"),
                 sort: str = Query("", description="approved（按批准时间，即序号；默认），前加 - 为倒序"),
                 limit: int = Query(DEFAULT_LIMIT, description=f"每页条数，最多 {MAX_LIMIT}"),
                 offset: int = Query(0, ge=0), user: CurrentUser = Depends(archive_only),
                 session: Session = DB):
    month, chosen = _register_scope(session, month, community)
    # the month resolved, so that ``next`` stays on it when the calendar turns between pages
    paging = Paging.of(request.url.path, REGISTER_SORTS, dict(month=month, community=community), sort, limit, offset)
    q = use_register.query(month, chosen.id if chosen else None)
    paging.count(session, q)
    lines = use_register.lines_of(session, session.execute(paging.apply(q)), paging.offset + 1)
    if paging.descending:  # 序号 counts in approval order whichever way the list is read
        lines = [dataclasses.replace(line, seq=paging.total - paging.offset - i) for i, line in enumerate(lines)]
    audit.record(session, user.username, "read_use_register", chosen.label if chosen else "全部社区",
                 "查看档案利用登记簿", month=month, lines=len(lines), offset=paging.offset)
    return {**paging.answer(), "title": use_register.title(month, chosen), "month": month,
            "community": {"id": chosen.id, "label": chosen.label} if chosen else None,
            "columns": [{"key": attr, "header": header} for header, attr in use_register.COLUMNS],
            "lines": [dataclasses.asdict(line) for line in lines]}


@router.post("/api/dossiers/{volume_id}/requests", tags=["查阅外借"], summary="提交查阅/外借申请",
             status_code=201, dependencies=[Depends(verify_csrf)])
def api_file(request: Request, volume_id: int, body: NewRequest, user: CurrentUser = Depends(staff_only),
             session: Session = DB):
    row = _file(request, session, user, volume_id, body.kind, body.reason, body.organisation, body.due_on)
    return {"id": row.id, "status": row.status, "kind": row.kind}


@router.post("/api/requests/{request_id}/{action}", tags=["查阅外借"],
             summary="审批或办结申请：approve | reject | close | cancel", dependencies=[Depends(verify_csrf)])
def api_decide(request: Request, request_id: int, action: str, body: Decision,
               user: CurrentUser = Depends(staff_only), session: Session = DB):
    row = _decide(request, session, user, request_id, action, body.note, body.effect)
    return {"id": row.id, "status": row.status, "use_effect": row.use_effect}
