"""User management and the audit log (admin only)."""

from __future__ import annotations

import io
import json
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from archive_store import audit
from archive_store.tables import AuditRow, CommunityRow
from handover import clock
from handover.cells import row as safe_row
from handover.db import EnterpriseRow
from handover.registry import list_enterprises

from .. import passwords, sessions
from ..deps import CurrentUser, db, require
from ..render import flash, page
from ..security import verify_csrf
from ..tables import UserRow
from ..users import ADMIN, ROLES, UserError, create_user, find_user, list_users, set_active, set_password

router = APIRouter()
admin_only = require(ADMIN)

AUDIT_LABELS = {
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
    "sessions_ended": "强制退出用户的全部登录", "not_found": "访问不存在的对象",
}


def _user_rows(session: Session) -> list[dict]:
    communities = {c.id: c.label for c in session.scalars(select(CommunityRow))}
    enterprises = {e.id: e.name for e in session.scalars(select(EnterpriseRow))}
    return [{"id": u.id, "username": u.username, "display_name": u.display_name, "role": u.role,
             "role_label": ROLES[u.role], "active": u.active,
             "community": communities.get(u.community_id, "") if u.community_id else "",
             "enterprise": enterprises.get(u.enterprise_id, "") if u.enterprise_id else "",
             "last_login_at": clock.iso(u.last_login_at)}
            for u in list_users(session)]


def _add(session: Session, actor: CurrentUser, username: str, password: str, role: str, display_name: str,
         community_id: int | None, enterprise_id: int | None) -> UserRow:
    if community_id is not None and session.get(CommunityRow, community_id) is None:
        raise UserError("所选社区不存在")
    row = create_user(session, username, password, role, display_name=display_name,
                      community_id=community_id, enterprise_id=enterprise_id)
    audit.record(session, actor.username, "user_add", row.username, "", role=role)
    return row


def _toggle(session: Session, actor: CurrentUser, username: str, active: bool) -> UserRow:
    if username == actor.username and not active:
        raise UserError("不能停用自己的账号")
    row = set_active(session, username, active)
    audit.record(session, actor.username, "user_enable" if active else "user_disable", username, "")
    session.commit()  # a disabled user's sessions end before the answer says so
    return row


def _reset_password(session: Session, actor: CurrentUser, username: str, password: str) -> int:
    if username == actor.username:
        raise UserError("请在“修改密码”中修改自己的密码")
    ended = set_password(session, find_user(session, username), password, reset_by_admin=True)
    audit.record(session, actor.username, "password_reset", username, "", sessions_ended=ended)
    session.commit()  # the user's sessions are ended before the answer says so
    return ended


def _end_sessions(session: Session, actor: CurrentUser, username: str) -> int:
    row = find_user(session, username)
    ended = sessions.end_all(session, row.id, "ended_by_admin")
    audit.record(session, actor.username, "sessions_ended", username, "", sessions_ended=ended)
    session.commit()  # ended before the answer says so
    return ended


def _users_page(request: Request, session: Session, status_code: int = 200, **context):
    context.setdefault("form", {})
    return page(request, "admin_users.html", status_code=status_code, users=_user_rows(session), roles=ROLES,
                communities=list(session.scalars(select(CommunityRow).order_by(CommunityRow.id))),
                enterprises=list_enterprises(session), rules=passwords.RULES, **context)


@router.get("/admin/users", include_in_schema=False)
def users_page(request: Request, user: CurrentUser = Depends(admin_only), session: Session = Depends(db)):
    return _users_page(request, session)


def _opt_int(value: str) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() else None


@router.post("/admin/users", include_in_schema=False, dependencies=[Depends(verify_csrf)])
def users_add(request: Request, username: str = Form(""), password: str = Form(""), role: str = Form(""),
              display_name: str = Form(""), community_id: str = Form(""), enterprise_id: str = Form(""),
              user: CurrentUser = Depends(admin_only), session: Session = Depends(db)):
    try:
        _add(session, user, username, password, role, display_name, _opt_int(community_id),
             _opt_int(enterprise_id))
    except UserError as err:
        session.rollback()
        return _users_page(request, session, 400, error=str(err),
                           form={"username": username, "display_name": display_name, "role": role})
    flash(request, f"已新增用户 {username}")
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/users/{username}/active", include_in_schema=False, dependencies=[Depends(verify_csrf)])
def users_toggle(request: Request, username: str, active: str = Form("0"),
                 user: CurrentUser = Depends(admin_only), session: Session = Depends(db)):
    _toggle(session, user, username, active == "1")
    flash(request, f"已{'启用' if active == '1' else '停用'}用户 {username}")
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/users/{username}/password", include_in_schema=False, dependencies=[Depends(verify_csrf)])
def users_reset_password(request: Request, username: str, password: str = Form(""),
                         user: CurrentUser = Depends(admin_only), session: Session = Depends(db)):
    try:
        _reset_password(session, user, username, password)
    except UserError as err:
        session.rollback()
        return _users_page(request, session, 400, error=f"重置 {username} 的密码失败：{err}")
    flash(request, f"已重置 {username} 的密码，其登录已全部退出；该用户下次登录时须设置新密码")
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/users/{username}/sessions/end", include_in_schema=False, dependencies=[Depends(verify_csrf)])
def users_end_sessions(request: Request, username: str, user: CurrentUser = Depends(admin_only),
                       session: Session = Depends(db)):
    try:
        ended = _end_sessions(session, user, username)
    except UserError as err:
        raise HTTPException(404, str(err)) from None
    flash(request, f"已退出 {username} 的全部登录（{ended} 个）")
    return RedirectResponse("/admin/users", status_code=303)


def _audit_rows(session: Session, action: str | None, actor: str | None, limit: int) -> list[AuditRow]:
    return audit.entries(session, action=action or None, actor=actor or None, limit=limit)


@router.get("/admin/audit.xlsx", tags=["审计"], summary="导出审计日志（XLSX，管理员，最多10万条）")
def audit_xlsx(action: str = "", actor: str = "", user: CurrentUser = Depends(admin_only),
               session: Session = Depends(db)):
    from openpyxl import Workbook

    rows = _audit_rows(session, action, actor, 100_000)
    audit.record(session, user.username, "export_audit", "audit_log", "", filter_action=action, filter_actor=actor,
                 rows=len(rows))
    session.commit()
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("审计日志")
    ws.append(["时间", "用户", "操作", "对象", "事由", "详情"])
    for r in rows:
        ws.append(safe_row([clock.shown(r.at), r.actor, AUDIT_LABELS.get(r.action, r.action), r.target, r.reason,
                         json.dumps(r.detail, ensure_ascii=False) if r.detail else ""]))
    buf = io.BytesIO()
    wb.save(buf)
    stamp = clock.local(clock.utcnow()).strftime("%Y%m%d-%H%M")
    return Response(buf.getvalue(), media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(f'审计日志-{stamp}.xlsx')}"})


@router.get("/admin/audit", include_in_schema=False)
def audit_page(request: Request, action: str = "", actor: str = "", user: CurrentUser = Depends(admin_only),
               session: Session = Depends(db)):
    rows = _audit_rows(session, action, actor, 300)
    audit.record(session, user.username, "view_audit", "audit_log", "")
    return page(request, "admin_audit.html", rows=rows, labels=AUDIT_LABELS, action=action, actor=actor)


# ---------------------------------------------------------------- API

class NewUser(BaseModel):
    username: str
    password: str
    role: str
    display_name: str = ""
    community_id: int | None = None
    enterprise_id: int | None = None


@router.get("/api/users", tags=["用户管理"], summary="用户列表")
def api_users(user: CurrentUser = Depends(admin_only), session: Session = Depends(db)):
    return _user_rows(session)


@router.post("/api/users", tags=["用户管理"], summary="新增用户", status_code=201,
             dependencies=[Depends(verify_csrf)])
def api_add_user(body: NewUser, user: CurrentUser = Depends(admin_only), session: Session = Depends(db)):
    row = _add(session, user, body.username, body.password, body.role, body.display_name,
               body.community_id, body.enterprise_id)
    return {"id": row.id, "username": row.username, "role": row.role}


@router.post("/api/users/{username}/disable", tags=["用户管理"], summary="停用用户",
             dependencies=[Depends(verify_csrf)])
def api_disable(username: str, user: CurrentUser = Depends(admin_only), session: Session = Depends(db)):
    row = _toggle(session, user, username, False)
    return {"username": row.username, "active": row.active}


@router.post("/api/users/{username}/enable", tags=["用户管理"], summary="启用用户",
             dependencies=[Depends(verify_csrf)])
def api_enable(username: str, user: CurrentUser = Depends(admin_only), session: Session = Depends(db)):
    row = _toggle(session, user, username, True)
    return {"username": row.username, "active": row.active}


class PasswordReset(BaseModel):
    password: str


@router.post("/api/users/{username}/password", tags=["用户管理"], summary="重置密码（用户须在下次登录时修改）",
             dependencies=[Depends(verify_csrf)])
def api_reset_password(username: str, body: PasswordReset, user: CurrentUser = Depends(admin_only),
                       session: Session = Depends(db)):
    ended = _reset_password(session, user, username, body.password)
    return {"username": username, "sessions_ended": ended, "must_change_password": True}


@router.delete("/api/users/{username}/sessions", tags=["用户管理"], summary="退出该用户的全部登录",
               dependencies=[Depends(verify_csrf)])
def api_end_sessions(username: str, user: CurrentUser = Depends(admin_only), session: Session = Depends(db)):
    try:
        ended = _end_sessions(session, user, username)
    except UserError as err:
        raise HTTPException(404, str(err)) from None
    return {"username": username, "sessions_ended": ended}


@router.get("/api/audit", tags=["审计"], summary="审计日志（管理员）")
def api_audit(action: str = "", actor: str = "", limit: int = 200, user: CurrentUser = Depends(admin_only),
              session: Session = Depends(db)):
    rows = _audit_rows(session, action, actor, max(1, min(limit, 1000)))
    audit.record(session, user.username, "view_audit", "audit_log", "")
    return [{"id": r.id, "at": clock.iso(r.at, "seconds"), "actor": r.actor, "action": r.action,
             "target": r.target, "reason": r.reason, "detail": r.detail} for r in rows]
