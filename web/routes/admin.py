"""User management and the audit log, each route to the administrator duty it belongs to
(三员分立, web.admin_duties): accounts to the 系统管理员, roles and scopes to the 安全保密管理员,
the audit log to the 安全审计员."""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from archive_store import audit
from archive_store.access import KINDS
from archive_store.tables import AuditRow, CommunityRow
from handover import clock
from handover.db import EnterpriseRow
from handover.errors import InputRefused
from handover.registry import list_enterprises

from .. import passwords, sessions
from ..admin_duties import ADMIN_ROLES, AUDIT, SECURITY, SYSTEM
from ..deps import CurrentUser, DB, duty
from ..exports import Column, streamed_scalars, write_sheet, xlsx_download
from ..paging import DEFAULT_LIMIT, MAX_LIMIT, Paging, Sorts
from ..render import flash, page
from ..security import verify_csrf
from ..tables import UserRow
from ..users import ADMIN, ROLES, UserError, create_user, find_user, set_active, set_password, set_role

router = APIRouter()
accounts = duty(SYSTEM)  # add, disable, passwords, sessions
grants = duty(SECURITY)  # roles and scopes
user_list = duty(SYSTEM, SECURITY)  # both work from the list of users
auditor = duty(AUDIT)

AUDIT_LABELS = {
    "deliver": "生成移交包", "receive_check": "移交包接收检测",
    "receive_start": "移交包导入开始", "receive": "移交包导入", "receive_refused": "移交包拒收",
    "acceptance_list": "查看待验收移交包", "acceptance_start": "开始验收移交包", "acceptance_checks": "验收四性检测",
    "acceptance_view": "查看验收", "acceptance_image": "查看抽检案卷图像", "acceptance_mark": "登记抽检结果",
    "acceptance_conclude": "作出验收结论", "acceptance_opinion": "下载验收意见", "acceptance_recheck": "重新进行验收四性检测",
    "login": "登录", "logout": "退出", "login_failed": "登录失败", "login_blocked": "登录被限制",
    "denied": "拒绝访问", "search": "检索", "read": "查看案卷", "view_dossier": "查看案卷",
    "view_page": "查看页面", "download": "下载", "download_pdf": "下载PDF", "export_catalog": "导出目录",
    "read_catalog": "查看目录", "upload_roster": "上传名册", "import_roster": "导入名册",
    "view_roster_report": "查看校验报告", "view_summary": "查看汇总", "user_add": "新增用户",
    "user_disable": "停用用户", "user_enable": "启用用户", "request_view": "申请查阅",
    "request_loan": "申请外借", "request_approved": "批准申请", "request_rejected": "驳回申请",
    "request_closed": "办结申请", "request_cancelled": "撤销申请", "publish": "档案入库",
    "reserve_ref_no": "预留档号", "view_audit": "查看审计日志", "generate_bundle": "生成移交文书",
    "upload_scans": "上传扫描件", "accept_incomplete": "凭书面说明接收", "withdraw": "退回案卷",
    "reuse_ref_no": "退回后重新入库（沿用档号）", "requeue": "重新排队", "publish_noop": "重复入库（未改动）", "publish_refused": "拒绝入库（同一人已有案卷）",
    "void_ref_no": "作废预留档号", "verify": "存储校验", "upload_batch": "上传批次压缩包", "export_audit": "导出审计日志", "edit_contents": "更正卷内目录", "ingest_folder": "扫描室文件夹入库",
    "view_review": "查看校对清单", "review_answer": "校对（确认或更正识别值）", "review_waive": "校对（确认现状）",
    "split_contents": "拆分卷内目录（另起一份材料）", "merge_contents": "合并卷内目录（并入上一份材料）",
    "password_change": "修改密码", "password_change_failed": "修改密码失败", "password_reset": "重置用户密码",
    "sessions_ended": "强制退出用户的全部登录", "not_found": "访问不存在的对象", "verify_audit": "校验审计日志",
    "reconcile": "档案接收核对", "list_overdue": "列出逾期未还的外借", "read_use_register": "查看档案利用登记簿",
    "export_use_register": "导出档案利用登记簿", "upload_receipt": "存档签字盖章的档案移交名册表", "download_receipt": "下载签字名册表扫描件",
    "view_communities": "查看待确认社区", "community_confirm": "确认社区", "community_reject": "驳回社区",
    "community_contact": "登记社区联系方式", "community_contacts_import": "导入社区联系方式表",
    "user_role": "修改用户角色或所属范围", "sessions_pruned": "清理已结束的会话记录",
    "trace_mark": "按水印编号追查调阅", "export_summary": "导出移交去向汇总（人员明细）",
    "export_catalog_list": "导出已入库案卷列表",
}


USER_SORTS = Sorts(columns={"created": (UserRow.id,), "username": (UserRow.username,), "role": (UserRow.role,),
                            "last_login": (UserRow.last_login_at,)},
                   default="created", tiebreak=UserRow.id)


def _user_rows(request: Request, session: Session, paging: Paging) -> list[dict]:
    """One page of the users under the paging's filters (q: 用户名或姓名, role, active); sets ``paging.total``."""
    f = paging.filters
    stmt = select(UserRow)
    if f.get("q"):
        stmt = stmt.where(UserRow.username.contains(f["q"], autoescape=True)
                          | UserRow.display_name.contains(f["q"], autoescape=True))
    if f.get("role"):
        if f["role"] not in ROLES:
            raise InputRefused(f"未知的角色“{f['role'][:20]}”，可选：{'、'.join(ROLES)}")
        stmt = stmt.where(UserRow.role == f["role"])
    if f.get("active"):
        if f["active"] not in ("1", "0"):
            raise InputRefused("状态应为 1（启用）或 0（已停用）")
        stmt = stmt.where(UserRow.active.is_(f["active"] == "1"))
    paging.count(session, stmt)
    users = list(session.scalars(paging.apply(stmt)))
    signed_in = sessions.open_counts(session, request.app.state.cfg)
    communities = dict(session.execute(select(CommunityRow.id, CommunityRow.county + CommunityRow.street
                                              + CommunityRow.name).where(
        CommunityRow.id.in_({u.community_id for u in users if u.community_id}))).all())
    enterprises = dict(session.execute(select(EnterpriseRow.id, EnterpriseRow.name).where(
        EnterpriseRow.id.in_({u.enterprise_id for u in users if u.enterprise_id}))).all())
    return [{"id": u.id, "username": u.username, "display_name": u.display_name, "role": u.role,
             "role_label": ROLES[u.role], "active": u.active,
             "community_id": u.community_id, "enterprise_id": u.enterprise_id,
             "community": communities.get(u.community_id, "") if u.community_id else "",
             "enterprise": enterprises.get(u.enterprise_id, "") if u.enterprise_id else "",
             "last_login_at": clock.iso(u.last_login_at), "open_sessions": signed_in.get(u.id, 0)}
            for u in users]


def _user_paging(request: Request, q: str = "", role: str = "", active: str = "", sort: str = "",
                 limit: int = DEFAULT_LIMIT, offset: int = 0) -> Paging:
    return Paging.of(request.url.path, USER_SORTS, dict(q=q, role=role, active=active), sort, limit, offset)


def _may_grant(request: Request, actor: CurrentUser, role: str) -> None:
    """An administrator role is a grant of rights: the 安全保密管理员's (a 系统管理员 adds the
    account as staff; the role is then changed). Under 三员分立 no new combined ``admin`` is made."""
    if role == ADMIN and request.app.state.cfg.admin_separation:
        raise UserError("已启用三员分立，不能再设立“管理员（三员合一）”，请分别设立系统管理员、安全保密管理员和安全审计员")
    if role in ADMIN_ROLES and SECURITY not in actor.duties:
        raise UserError(f"“{ROLES[role]}”角色须由安全保密管理员授予：请以其他角色新增该用户，再由安全保密管理员修改角色")


def _add(request: Request, session: Session, actor: CurrentUser, username: str, password: str, role: str,
         display_name: str, community_id: int | None, enterprise_id: int | None) -> UserRow:
    _may_grant(request, actor, role)
    row = create_user(session, username, password, role, display_name=display_name,
                      community_id=community_id, enterprise_id=enterprise_id)
    audit.record(session, actor.username, "user_add", row.username, "", role=role)
    return row


def _not_another_admin(session: Session, actor: CurrentUser, username: str) -> None:
    """Under 三员分立 a 系统管理员 who could reset the 审计员's or the 安全保密管理员's password
    could sign in as them, and disabling the 审计员 stops the audit: the administrators' accounts
    are set on the server (``handover user reset-password|disable|enable``), each one audited."""
    if actor.duties >= {SYSTEM, SECURITY, AUDIT}:
        return  # the combined admin, while it holds every duty
    target = find_user(session, username)
    if target.role in ADMIN_ROLES:
        raise UserError(f"“{ROLES[target.role]}”账号的密码和启用状态须在服务器上用 handover user 命令处理（三员分立）")


def _toggle(session: Session, actor: CurrentUser, username: str, active: bool) -> UserRow:
    if username == actor.username and not active:
        raise UserError("不能停用自己的账号")
    _not_another_admin(session, actor, username)
    row = set_active(session, username, active)
    audit.record(session, actor.username, "user_enable" if active else "user_disable", username, "")
    return row


def _reset_password(session: Session, actor: CurrentUser, username: str, password: str) -> int:
    if username == actor.username:
        raise UserError("请在“修改密码”中修改自己的密码")
    _not_another_admin(session, actor, username)
    ended = set_password(session, find_user(session, username), password, reset_by_admin=True)
    audit.record(session, actor.username, "password_reset", username, "", sessions_ended=ended)
    return ended


def _end_sessions(session: Session, actor: CurrentUser, username: str) -> int:
    row = find_user(session, username)
    ended = sessions.end_all(session, row.id, "ended_by_admin")
    audit.record(session, actor.username, "sessions_ended", username, "", sessions_ended=ended)
    return ended


def _change_role(request: Request, session: Session, actor: CurrentUser, username: str, role: str,
                 community_id: int | None, enterprise_id: int | None) -> UserRow:
    if username == actor.username:
        raise UserError("不能修改自己的角色（以免失去管理权限），请由另一位管理员操作")
    _may_grant(request, actor, role)
    row = find_user(session, username)
    old = set_role(session, row, role, community_id=community_id, enterprise_id=enterprise_id)
    new = {"role": row.role, "community_id": row.community_id, "enterprise_id": row.enterprise_id}
    if new != old:
        audit.record(session, actor.username, "user_role", username, "", old=old, new=new)
    return row


def _users_page(request: Request, session: Session, status_code: int = 200, paging: Paging | None = None,
                **context):
    context.setdefault("form", {})
    # After a form's refusal the list is shown from its first page, unfiltered (the form posts to another path).
    paging = paging or Paging.of("/admin/users", USER_SORTS, {})
    users = _user_rows(request, session, paging)
    return page(request, "admin_users.html", status_code=status_code, users=users, paging=paging, roles=ROLES,
                editing=_editing(session, context.pop("edit", ""), context.pop("actor", None)),
                communities=list(session.scalars(select(CommunityRow).order_by(CommunityRow.id))),
                enterprises=list_enterprises(session), rules=passwords.RULES, **context)


def _editing(session: Session, username: str, actor: CurrentUser | None) -> UserRow | None:
    """The user whose role form is open (one form on the page, not one per row: the communities
    and enterprises are listed once)."""
    if not username or actor is None or SECURITY not in actor.duties or username == actor.username:
        return None
    return session.scalar(select(UserRow).where(UserRow.username == username))


@router.get("/admin/users", include_in_schema=False)
def users_page(request: Request, q: str = "", role: str = "", active: str = "", sort: str = "",
               limit: int = DEFAULT_LIMIT, offset: int = Query(0, ge=0),
               edit: str = Query("", description="the user whose role form is open"),
               user: CurrentUser = Depends(user_list), session: Session = DB):
    return _users_page(request, session, paging=_user_paging(request, q, role, active, sort, limit, offset),
                       edit=edit, actor=user)


def _opt_int(value: str) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() else None


@router.post("/admin/users", include_in_schema=False, dependencies=[Depends(verify_csrf)])
def users_add(request: Request, username: str = Form(""), password: str = Form(""), role: str = Form(""),
              display_name: str = Form(""), community_id: str = Form(""), enterprise_id: str = Form(""),
              user: CurrentUser = Depends(accounts), session: Session = DB):
    try:
        _add(request, session, user, username, password, role, display_name, _opt_int(community_id),
             _opt_int(enterprise_id))
    except UserError as err:
        session.rollback()
        return _users_page(request, session, 400, error=str(err),
                           form={"username": username, "display_name": display_name, "role": role})
    flash(request, f"已新增用户 {username}")
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/users/{username}/active", include_in_schema=False, dependencies=[Depends(verify_csrf)])
def users_toggle(request: Request, username: str, active: str = Form("0"),
                 user: CurrentUser = Depends(accounts), session: Session = DB):
    _toggle(session, user, username, active == "1")
    flash(request, f"已{'启用' if active == '1' else '停用'}用户 {username}")
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/users/{username}/password", include_in_schema=False, dependencies=[Depends(verify_csrf)])
def users_reset_password(request: Request, username: str, password: str = Form(""),
                         user: CurrentUser = Depends(accounts), session: Session = DB):
    new_password = password or passwords.one_time(username)  # left blank: a one-time password
    try:
        _reset_password(session, user, username, new_password)
    except UserError as err:
        session.rollback()
        return _users_page(request, session, 400, error=f"重置 {username} 的密码失败：{err}")
    if not password:
        # Shown in this answer only: a flash message would carry it in the (signed, readable) cookie.
        return _users_page(request, session, one_time={"username": username, "password": new_password})
    flash(request, f"已重置 {username} 的密码，其登录已全部退出；该用户下次登录时须设置新密码")
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/users/{username}/sessions/end", include_in_schema=False, dependencies=[Depends(verify_csrf)])
def users_end_sessions(request: Request, username: str, user: CurrentUser = Depends(accounts),
                       session: Session = DB):
    try:
        ended = _end_sessions(session, user, username)
    except UserError as err:
        raise HTTPException(404, str(err)) from None
    flash(request, f"已退出 {username} 的全部登录（{ended} 个）")
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/users/{username}/role", include_in_schema=False, dependencies=[Depends(verify_csrf)])
def users_change_role(request: Request, username: str, role: str = Form(""), community_id: str = Form(""),
                      enterprise_id: str = Form(""), user: CurrentUser = Depends(grants),
                      session: Session = DB):
    try:
        row = _change_role(request, session, user, username, role, _opt_int(community_id), _opt_int(enterprise_id))
    except UserError as err:
        session.rollback()
        return _users_page(request, session, 400, error=f"修改 {username} 的角色失败：{err}", edit=username,
                           actor=user)
    flash(request, f"已将 {username} 设为{ROLES[row.role]}，下一次操作起生效")
    return RedirectResponse("/admin/users", status_code=303)


AUDIT_PAGE_SIZE = 100


def _day(value: str, label: str) -> dt.date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InputRefused(f"{label}“{value[:20]}”不是日期，请按 年-月-日 填写，如 2026-01-31") from None


def _audit_filter(since: str, until: str, subject: str, actor: str, action: str, outcome: str) -> audit.AuditFilter:
    flt = audit.AuditFilter(since=_day(since, "起始日期"), until=_day(until, "截止日期"), subject=subject.strip(),
                            actor=actor.strip(), action=action.strip(), outcome=outcome.strip())
    if flt.outcome and flt.outcome not in audit.OUTCOME_LABELS:
        raise InputRefused(f"未知的结果“{flt.outcome[:20]}”")
    if flt.since and flt.until and flt.since > flt.until:
        raise InputRefused("起始日期晚于截止日期")
    return flt


def _audit_query(flt: audit.AuditFilter) -> dict[str, str]:
    """The filter as URL parameters (empty ones left out), for links that keep it."""
    values = {"since": flt.since.isoformat() if flt.since else "", "until": flt.until.isoformat() if flt.until else "",
              "subject": flt.subject, "actor": flt.actor, "action": flt.action, "outcome": flt.outcome}
    return {k: v for k, v in values.items() if v}


def _grounds(row: AuditRow) -> str:
    """The 查阅/外借 request that allowed a read, as the page and the export name it."""
    request_id = (row.detail or {}).get("request_id")
    if request_id is None or row.action not in ("view_page", "download"):
        return ""
    return f"{KINDS.get(row.detail.get('request_kind'), '')}申请第 {request_id} 号"


AUDIT_EXPORT_MAX = 100_000
AUDIT_COLUMNS = (Column("时间", 20), Column("用户", 14), Column("操作", 18), Column("结果", 8), Column("对象", 36),
                 Column("事由", 24), Column("依据", 18), Column("详情", 60))


@router.get("/admin/audit.xlsx", tags=["审计"], summary="导出审计日志（XLSX，安全审计员，按筛选条件，最多10万条）")
def audit_xlsx(since: str = "", until: str = "", subject: str = "", actor: str = "", action: str = "",
               outcome: str = "", user: CurrentUser = Depends(auditor), session: Session = DB):
    flt = _audit_filter(since, until, subject, actor, action, outcome)
    total = min(audit.count(session, flt), AUDIT_EXPORT_MAX)
    audit.record(session, user.username, "export_audit", "audit_log", "", filter=_audit_query(flt), rows=total)
    session.commit()
    stamp = clock.local(clock.utcnow())
    rows = streamed_scalars(session, audit.selection(session, flt).limit(AUDIT_EXPORT_MAX))

    def build(wb) -> None:
        write_sheet(wb, "审计日志", None, AUDIT_COLUMNS, (
            [clock.shown(r.at), r.actor, AUDIT_LABELS.get(r.action, r.action),
             audit.OUTCOME_LABELS.get(r.outcome, r.outcome), r.target, r.reason, _grounds(r),
             json.dumps(r.detail, ensure_ascii=False) if r.detail else ""] for r in rows))

    return xlsx_download(f"审计日志-{stamp:%Y%m%d-%H%M}.xlsx", build)


@router.get("/admin/audit", include_in_schema=False)
def audit_page(request: Request, since: str = "", until: str = "", subject: str = "", actor: str = "",
               action: str = "", outcome: str = "", page_no: int = Query(1, alias="page", ge=1),
               user: CurrentUser = Depends(auditor), session: Session = DB):
    flt = _audit_filter(since, until, subject, actor, action, outcome)
    total = audit.count(session, flt)
    pages = max(1, -(-total // AUDIT_PAGE_SIZE))
    page_no = min(page_no, pages)
    rows = audit.entries(session, flt, offset=(page_no - 1) * AUDIT_PAGE_SIZE, limit=AUDIT_PAGE_SIZE)
    audit.record(session, user.username, "view_audit", "audit_log", "", filter=_audit_query(flt), page=page_no)
    query = _audit_query(flt)
    return page(request, "admin_audit.html", rows=rows, grounds={r.id: _grounds(r) for r in rows},
                labels=AUDIT_LABELS, outcomes=audit.OUTCOME_LABELS, f=flt, query=urlencode(query),
                total=total, page_no=page_no, pages=pages)


# ---------------------------------------------------------------- API

class NewUser(BaseModel):
    username: str
    password: str
    role: str
    display_name: str = ""
    community_id: int | None = None
    enterprise_id: int | None = None


@router.get("/api/users", tags=["用户管理"],
            summary="用户列表：按用户名或姓名、角色、状态筛选，排序、分页；每人的最近登录和在线登录数")
def api_users(request: Request, q: str = Query("", description="用户名或姓名（包含）"),
              role: str = Query("", description=" | ".join(ROLES)),
              active: str = Query("", description="1 启用 | 0 已停用"),
              sort: str = Query("", description="created（默认）| username | role | last_login；前加 - 为倒序"),
              limit: int = Query(DEFAULT_LIMIT, description=f"每页条数，最多 {MAX_LIMIT}"),
              offset: int = Query(0, ge=0), user: CurrentUser = Depends(user_list), session: Session = DB):
    paging = _user_paging(request, q, role, active, sort, limit, offset)
    users = _user_rows(request, session, paging)
    return {**paging.answer(), "users": users}


@router.post("/api/users", tags=["用户管理"], summary="新增用户", status_code=201,
             dependencies=[Depends(verify_csrf)])
def api_add_user(request: Request, body: NewUser, user: CurrentUser = Depends(accounts), session: Session = DB):
    row = _add(request, session, user, body.username, body.password, body.role, body.display_name,
               body.community_id, body.enterprise_id)
    return {"id": row.id, "username": row.username, "role": row.role}


@router.post("/api/users/{username}/disable", tags=["用户管理"], summary="停用用户",
             dependencies=[Depends(verify_csrf)])
def api_disable(username: str, user: CurrentUser = Depends(accounts), session: Session = DB):
    row = _toggle(session, user, username, False)
    return {"username": row.username, "active": row.active}


@router.post("/api/users/{username}/enable", tags=["用户管理"], summary="启用用户",
             dependencies=[Depends(verify_csrf)])
def api_enable(username: str, user: CurrentUser = Depends(accounts), session: Session = DB):
    row = _toggle(session, user, username, True)
    return {"username": row.username, "active": row.active}


class PasswordReset(BaseModel):
    password: str


@router.post("/api/users/{username}/password", tags=["用户管理"], summary="重置密码（用户须在下次登录时修改）",
             dependencies=[Depends(verify_csrf)])
def api_reset_password(username: str, body: PasswordReset, user: CurrentUser = Depends(accounts),
                       session: Session = DB):
    ended = _reset_password(session, user, username, body.password)
    return {"username": username, "sessions_ended": ended, "must_change_password": True}


class RoleChange(BaseModel):
    role: str
    community_id: int | None = None
    enterprise_id: int | None = None


@router.put("/api/users/{username}/role", tags=["用户管理"], summary="修改角色与所属社区/企业（下一次请求起生效）",
            dependencies=[Depends(verify_csrf)])
def api_change_role(request: Request, username: str, body: RoleChange, user: CurrentUser = Depends(grants),
                    session: Session = DB):
    row = _change_role(request, session, user, username, body.role, body.community_id, body.enterprise_id)
    return {"username": row.username, "role": row.role, "community_id": row.community_id,
            "enterprise_id": row.enterprise_id}


@router.delete("/api/users/{username}/sessions", tags=["用户管理"], summary="退出该用户的全部登录",
               dependencies=[Depends(verify_csrf)])
def api_end_sessions(username: str, user: CurrentUser = Depends(accounts), session: Session = DB):
    try:
        ended = _end_sessions(session, user, username)
    except UserError as err:
        raise HTTPException(404, str(err)) from None
    return {"username": username, "sessions_ended": ended}


_AUDIT_ORDER = Sorts({"id": [AuditRow.id]}, default="-id", tiebreak=AuditRow.id)  # newest first, only


@router.get("/api/audit", tags=["审计"], summary="审计日志（安全审计员；按日期、档号或人员、用户、操作、结果筛选，新的在前；"
            "返回 total 与下一页地址 next）")
def api_audit(since: str = "", until: str = "", subject: str = "", actor: str = "", action: str = "",
              outcome: str = "", offset: int = Query(0, ge=0),
              limit: int = Query(DEFAULT_LIMIT, description=f"每页条数，最多 {MAX_LIMIT}"),
              user: CurrentUser = Depends(auditor), session: Session = DB):
    flt = _audit_filter(since, until, subject, actor, action, outcome)
    paging = Paging.of("/api/audit", _AUDIT_ORDER, _audit_query(flt), "", limit, offset)
    paging.total = audit.count(session, flt)
    rows = audit.entries(session, flt, offset=paging.offset, limit=paging.limit)
    audit.record(session, user.username, "view_audit", "audit_log", "", filter=_audit_query(flt), offset=offset)
    return {**paging.answer(), "entries": [
        {"id": r.id, "seq": r.seq, "at": clock.iso(r.at, "seconds"), "actor": r.actor, "action": r.action,
         "outcome": r.outcome, "target": r.target, "reason": r.reason, "grounds": _grounds(r),
         "detail": r.detail} for r in rows]}
