"""Sign-in and sign-out (pages and API), with the rate limit and audit."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session

from archive_store import audit

from ..deps import CurrentUser, audit_now, current_user, db, optional_user
from ..render import page
from ..security import csrf_token, verify_csrf
from ..users import ROLES, authenticate

router = APIRouter()


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def _sign_in(request: Request, session: Session, username: str, password: str):
    limiter = request.app.state.limiter
    client = request.client.host if request.client else "?"
    keys = (f"user:{username.strip().lower()}", f"ip:{client}")
    if limiter.blocked(*keys):
        audit_now(request, username[:64], "login_blocked", username[:64], "登录失败次数过多")
        raise HTTPException(429, "登录失败次数过多，请5分钟后再试")
    user = authenticate(session, username, password)
    if user is None:
        limiter.failed(*keys)
        audit_now(request, username[:64], "login_failed", username[:64], "用户名或密码错误")
        return None
    limiter.succeeded(keys[0])
    request.session.clear()  # a fresh session (and CSRF token) after sign-in: no fixation
    request.session.update(uid=user.id, ver=user.session_version)
    audit.record(session, user.username, "login", user.username, "")
    return user


@router.get("/login", include_in_schema=False)
def login_page(request: Request, next: str = "/", user: CurrentUser | None = Depends(optional_user)):
    if user:
        return RedirectResponse(_safe_next(next), status_code=303)
    return page(request, "login.html", next=_safe_next(next), error=None)


@router.post("/login", include_in_schema=False, dependencies=[Depends(verify_csrf)])
def login_submit(request: Request, username: str = Form(""), password: str = Form(""),
                 next: str = Form("/"), session: Session = Depends(db)):
    user = _sign_in(request, session, username, password)
    if user is None:
        return page(request, "login.html", status_code=401, next=_safe_next(next),
                    error="用户名或密码错误，或账号已停用", username=username)
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout", include_in_schema=False, dependencies=[Depends(verify_csrf)])
def logout(request: Request, user: CurrentUser = Depends(current_user), session: Session = Depends(db)):
    audit.record(session, user.username, "logout", user.username, "")
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


# ---------------------------------------------------------------- API

class Credentials(BaseModel):
    username: str
    password: str


def user_json(user) -> dict:
    return {"username": user.username, "display_name": user.display_name, "role": user.role,
            "role_label": ROLES[user.role], "community_id": user.community_id,
            "enterprise_id": user.enterprise_id}


@router.post("/api/session", tags=["登录"], summary="登录（返回 CSRF 令牌）")
def api_login(request: Request, body: Credentials, session: Session = Depends(db)):
    # A JSON body cannot be sent cross-site without CORS, which this server never allows.
    user = _sign_in(request, session, body.username, body.password)
    if user is None:
        raise HTTPException(401, "用户名或密码错误，或账号已停用")
    return {"user": user_json(user), "csrf_token": csrf_token(request)}


@router.get("/api/session", tags=["登录"], summary="当前用户")
def api_me(request: Request, user: CurrentUser = Depends(current_user)):
    return {"user": user_json(user), "csrf_token": csrf_token(request)}


@router.delete("/api/session", tags=["登录"], summary="退出", dependencies=[Depends(verify_csrf)])
def api_logout(request: Request, user: CurrentUser = Depends(current_user), session: Session = Depends(db)):
    audit.record(session, user.username, "logout", user.username, "")
    request.session.clear()
    return {"ok": True}
