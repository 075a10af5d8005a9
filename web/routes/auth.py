"""Sign-in, sign-out and changing one's own password (pages and API), with the rate limit and audit."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session

from archive_store import audit

from .. import passwords, sessions
from ..deps import CurrentUser, audit_now, DB, optional_user, signed_in
from ..render import flash, page
from ..security import csrf_token, signin_keys, verify_csrf
from ..tables import UserRow
from ..users import ROLES, UserError, authenticate, check_password, set_password

router = APIRouter()


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def _client(request: Request) -> str:
    return request.client.host if request.client else "?"


def _sign_in(request: Request, session: Session, username: str, password: str) -> tuple[UserRow | None, str]:
    """(the user, why the password must be changed first or ""); (None, "") when refused."""
    limiter = request.app.state.limiter
    keys = signin_keys(_client(request), username)
    if limiter.blocked(*keys):
        audit_now(request, username[:64], "login_blocked", username[:64], "登录失败次数过多")
        raise HTTPException(429, "登录失败次数过多，请5分钟后再试")
    user = authenticate(session, username, password)
    if user is None:
        limiter.failed(*keys)
        audit_now(request, username[:64], "login_failed", username[:64], "用户名或密码错误")
        return None, ""
    limiter.succeeded(*keys[:2])
    must_change = passwords.change_required(session, user, request.app.state.cfg)
    token = sessions.start(session, user.id, _client(request), must_change_password=bool(must_change))
    request.session.clear()  # a fresh session (and CSRF token) after sign-in: no fixation
    request.session["sid"] = token
    audit.record(session, user.username, "login", user.username, must_change)
    return user, must_change


def _sign_out(request: Request, session: Session, user: CurrentUser) -> None:
    sessions.end(session, request.session.get("sid"), "logout")
    audit.record(session, user.username, "logout", user.username, "")
    request.session.clear()


@router.get("/login", include_in_schema=False)
def login_page(request: Request, next: str = "/", user: CurrentUser | None = Depends(optional_user)):
    if user:
        return RedirectResponse(_safe_next(next), status_code=303)
    return page(request, "login.html", next=_safe_next(next), error=None)


@router.post("/login", include_in_schema=False, dependencies=[Depends(verify_csrf)])
def login_submit(request: Request, username: str = Form(""), password: str = Form(""),
                 next: str = Form("/"), session: Session = DB):
    user, must_change = _sign_in(request, session, username, password)
    if user is None:
        return page(request, "login.html", status_code=401, next=_safe_next(next),
                    error="用户名或密码错误，或账号已停用", username=username)
    if must_change:
        flash(request, must_change, "error")
        return RedirectResponse(f"/account/password?next={_safe_next(next)}", status_code=303)
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout", include_in_schema=False, dependencies=[Depends(verify_csrf)])
def logout(request: Request, user: CurrentUser = Depends(signed_in), session: Session = DB):
    _sign_out(request, session, user)
    return RedirectResponse("/login", status_code=303)


def _change_password(request: Request, session: Session, user: CurrentUser, current: str, new: str) -> None:
    row = session.get(UserRow, user.id)
    # Guessing the current password through this form meets the sign-in limit too.
    limiter, keys = request.app.state.limiter, signin_keys(_client(request), user.username)
    if limiter.blocked(*keys):
        raise HTTPException(429, "密码输错次数过多，请5分钟后再试")
    if not check_password(row, current):
        limiter.failed(*keys)
        audit_now(request, user.username, "password_change_failed", user.username, "原密码错误")
        raise UserError("原密码不正确")
    token = request.session.get("sid")
    ended = set_password(session, row, new, keep_session=token)
    live = sessions.find(session, token)
    if live is not None:
        live.must_change_password = False
    audit.record(session, user.username, "password_change", user.username, "", other_sessions_ended=ended)


@router.get("/account/password", include_in_schema=False)
def password_page(request: Request, next: str = "/", user: CurrentUser = Depends(signed_in)):
    return page(request, "account_password.html", next=_safe_next(next), rules=passwords.RULES, error=None,
                forced=getattr(request.state, "must_change_password", False))


@router.post("/account/password", include_in_schema=False, dependencies=[Depends(verify_csrf)])
def password_submit(request: Request, current_password: str = Form(""), new_password: str = Form(""),
                    confirm_password: str = Form(""), next: str = Form("/"), user: CurrentUser = Depends(signed_in),
                    session: Session = DB):
    try:
        if new_password != confirm_password:
            raise UserError("两次输入的新密码不一致")
        _change_password(request, session, user, current_password, new_password)
    except UserError as err:
        session.rollback()
        return page(request, "account_password.html", status_code=400, next=_safe_next(next), rules=passwords.RULES,
                    error=str(err), forced=getattr(request.state, "must_change_password", False))
    flash(request, "密码已修改；您在其他地方的登录已全部退出。")
    return RedirectResponse(_safe_next(next), status_code=303)


# ---------------------------------------------------------------- API

class Credentials(BaseModel):
    username: str
    password: str


def user_json(user) -> dict:
    return {"username": user.username, "display_name": user.display_name, "role": user.role,
            "role_label": ROLES[user.role], "community_id": user.community_id,
            "enterprise_id": user.enterprise_id}


@router.post("/api/session", tags=["登录"], summary="登录（返回 CSRF 令牌）")
def api_login(request: Request, body: Credentials, session: Session = DB):
    # A JSON body cannot be sent cross-site without CORS, which this server never allows.
    user, must_change = _sign_in(request, session, body.username, body.password)
    if user is None:
        raise HTTPException(401, "用户名或密码错误，或账号已停用")
    return {"user": user_json(user), "csrf_token": csrf_token(request), "password_change_required": bool(must_change)}


@router.get("/api/session", tags=["登录"], summary="当前用户")
def api_me(request: Request, user: CurrentUser = Depends(signed_in)):
    return {"user": user_json(user), "csrf_token": csrf_token(request),
            "password_change_required": getattr(request.state, "must_change_password", False)}


@router.delete("/api/session", tags=["登录"], summary="退出（会话立即失效）", dependencies=[Depends(verify_csrf)])
def api_logout(request: Request, user: CurrentUser = Depends(signed_in), session: Session = DB):
    _sign_out(request, session, user)
    return {"ok": True}


class PasswordChange(BaseModel):
    current_password: str
    new_password: str


@router.post("/api/session/password", tags=["登录"], summary="修改本人密码（其他会话随即失效）",
             dependencies=[Depends(verify_csrf)])
def api_change_password(request: Request, body: PasswordChange, user: CurrentUser = Depends(signed_in),
                        session: Session = DB):
    _change_password(request, session, user, body.current_password, body.new_password)
    return {"ok": True}
