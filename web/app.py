"""The FastAPI application: pages (Jinja2, Chinese) and the JSON API under /api."""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import HTTPException, RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import sessionmaker
from starlette.middleware.sessions import SessionMiddleware

from handover.config import Settings, settings
from handover.db import init_db
from handover.errors import HandoverError

from . import api_docs
from .cleanup import Sweeper
from .deps import NotSignedIn, PasswordChangeRequired
from .render import make_templates, page
from .security import SecureCookieMiddleware, SignInLimiter, UploadLimitMiddleware, secret_key, wants_json

STATIC = Path(__file__).parent / "static"
SESSION_COOKIE = "handover_session"


def _wants_json(request: Request) -> bool:
    return wants_json(request.url.path, request.headers.get("accept", ""))


def serve_app() -> FastAPI:
    """The app of one of ``handover serve --workers N``'s processes, from the environment: what the
    processes share (sessions, CSRF tokens in them, sign-in failures, job progress) is in the
    database, and the session secret comes from the settings or the data folder."""
    from .security import install_log_filters

    install_log_filters()  # after uvicorn configured this process's logging
    return create_app(settings())


def create_app(cfg: Settings | None = None, *, max_upload_bytes: int | None = None,
               https_only: bool = False, signin_limit: int | None = None, bundle_text_pdf: bool | None = None,
               max_unzipped_bytes: int | None = None) -> FastAPI:
    cfg = cfg or settings()
    # The schema version is checked here, before anything is served: a database out of reach or at
    # another version stops the start with the Chinese message (handover serve: exit 4).
    engine = init_db(cfg)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        sweeper = Sweeper(Path(cfg.data_dir) / "web", app.state.sessionmaker, cfg.web_temp_hours,
                          cfg=cfg).start()
        yield
        sweeper.stop()

    # /docs is ours (web.api_docs: local files the CSP allows); ReDoc would need a CDN and inline styles.
    app = FastAPI(title="退休人员社会化管理移交平台 API", version="1.0", lifespan=lifespan,
                  docs_url=None, redoc_url=None, swagger_ui_oauth2_redirect_url=None,
                  description="企业名册校验导入、档案检索、案卷查阅与审批、用户管理。"
                              "除登录外，所有修改操作都需要请求头 X-CSRF-Token（登录后返回）。")
    app.state.cfg = cfg
    app.state.sessionmaker = sessionmaker(engine, expire_on_commit=False)
    app.state.templates = make_templates()
    app.state.limiter = SignInLimiter(engine, limit=signin_limit or cfg.signin_limit,
                                      address_limit=cfg.signin_address_limit)
    app.state.max_upload = max_upload_bytes or cfg.max_upload_mb * 1024 * 1024
    # A batch ZIP may unpack to this much (scans barely compress; more is a zip bomb).
    app.state.max_unzipped = max_unzipped_bytes or 4 * app.state.max_upload
    app.state.uploads_dir = Path(cfg.data_dir) / "web" / "uploads"
    app.state.bundles_dir = Path(cfg.data_dir) / "web" / "bundles"
    app.state.intake_dir = Path(cfg.data_dir) / "web" / "intake"
    app.state.bundle_text_pdf = bundle_text_pdf  # None: PDF of the agreement through LibreOffice when installed

    # The cookie only names a server-side session (web.sessions), which the timeouts end.
    app.add_middleware(SessionMiddleware, secret_key=secret_key(cfg), session_cookie=SESSION_COOKIE,
                       max_age=cfg.session_hours * 3600, same_site="lax")
    app.add_middleware(SecureCookieMiddleware, cookie=SESSION_COOKIE,
                       policy="always" if https_only else cfg.cookie_secure)
    app.add_middleware(UploadLimitMiddleware, max_bytes=app.state.max_upload + 64 * 1024)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Content-Security-Policy",
                                    "default-src 'self'; img-src 'self' data:; style-src 'self'; "
                                    "script-src 'self'; frame-ancestors 'none'; form-action 'self'")
        if request.url.path.startswith(("/api/", "/dossiers/", "/roster/", "/documents", "/intake",
                                         "/admin/", "/acceptance")):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.exception_handler(NotSignedIn)
    async def not_signed_in(request: Request, _exc: NotSignedIn):
        if _wants_json(request):
            return JSONResponse({"detail": "请先登录"}, status_code=401)
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)

    @app.exception_handler(PasswordChangeRequired)
    async def password_change_required(request: Request, _exc: PasswordChangeRequired):
        if _wants_json(request):
            return JSONResponse({"detail": "请先修改密码（POST /api/session/password）", "password_change_required": True},
                                status_code=403)
        return RedirectResponse(f"/account/password?next={request.url.path}", status_code=303)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        return _error(request, exc.status_code, exc.detail, getattr(exc, "headers", None))

    @app.exception_handler(HandoverError)
    async def domain_error(request: Request, exc: HandoverError):
        """Every package's refusals: the status of their category, the Chinese message as is."""
        return _error(request, exc.http_status, exc.message)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError):
        fields = "、".join(str(e["loc"][-1]) for e in exc.errors())
        message = f"请求参数有误：{fields}"
        if _wants_json(request):
            return JSONResponse({"detail": message, "errors": jsonable(exc.errors())}, status_code=422)
        return page(request, "error.html", status_code=422, title="请求有误", message=message)

    api_docs.install(app)  # before /static, whose mount would shadow /static/swagger-ui
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    from .routes import (acceptance, admin, auth, check_documents, communities, contents, documents, dossier, home,
                         intake, reconcile, requests, review, roster, search)

    for module in (auth, home, admin, communities, roster, documents, search, dossier, check_documents, contents,
                   requests, intake, review, reconcile, acceptance):
        app.include_router(module.router)
    review.install(app)
    return app


_TITLES = {403: "无权访问", 404: "未找到", 400: "请求有误", 413: "文件过大", 415: "文件类型不支持", 429: "操作过于频繁"}


def _error(request: Request, status: int, message, headers=None):
    if _wants_json(request):
        return JSONResponse({"detail": message}, status_code=status, headers=headers)
    return page(request, "error.html", status_code=status, title=_TITLES.get(status, "出错了"), message=message)


def jsonable(errors) -> list:
    return [{"loc": [str(x) for x in e.get("loc", ())], "msg": str(e.get("msg", ""))} for e in errors]
