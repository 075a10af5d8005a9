"""Security pieces: the session secret, CSRF tokens, the sign-in rate limit, the upload-size guard,
and the access-log filter that keeps personal data out of the server logs."""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import os
import re
import secrets
import tempfile
from pathlib import Path

from fastapi import HTTPException, Request
from sqlalchemy import delete, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from archive_store.transactions import write_transaction
from handover.clock import utcnow
from handover.config import Settings

from .tables import SignInFailureRow

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def secret_key(cfg: Settings) -> str:
    """HANDOVER_SECRET_KEY, else a random key kept (mode 600) in the data folder — one for every
    server process, so a cookie signed by one is read by all."""
    if cfg.secret_key:
        return cfg.secret_key
    path = Path(cfg.data_dir) / "web-secret.key"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        # Written whole under another name, then linked into place: a process starting at the same
        # moment either finds no file or a complete one, and the first link wins.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".web-secret-")  # mode 600
        try:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(48))
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass
        finally:
            os.unlink(tmp)
    return path.read_text().strip()


def csrf_token(request: Request) -> str:
    """The session's CSRF token (created on first use)."""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


async def verify_csrf(request: Request) -> None:
    """Refuse an unsafe request without the session's token (header or form field)."""
    if request.method in SAFE_METHODS:
        return
    expected = request.session.get("csrf") or ""
    given = request.headers.get(CSRF_HEADER, "")
    if not given:
        ctype = request.headers.get("content-type", "")
        if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            given = str((await request.form()).get(CSRF_FIELD) or "")
    if not expected or not given or not hmac.compare_digest(expected, given):
        raise HTTPException(403, "安全校验失败（CSRF令牌缺失或无效），请刷新页面后重试")


def signin_keys(client: str, username: str) -> tuple[str, str, str]:
    """The counters a failed sign-in adds to: this name from this address (the limit that does
    the work), this name from anywhere (guessing one account from many addresses), and this
    address for any name (one machine trying many names)."""
    name = username.strip().lower()
    return f"pair:{client}|{name}", f"user:{name}", f"ip:{client}"


class SignInLimiter:
    """At most ``limit`` failed sign-ins per (address, user name) in ``window`` s, ``user_factor``
    times as many per user name from all addresses, and ``address_limit`` per address for all
    names — high, because an office behind one NAT address must not be locked out by a few
    colleagues' typing. Failures are rows in the database, so every server process
    (``uvicorn --workers N``, several machines) counts the same attempts."""

    def __init__(self, engine: Engine, limit: int = 5, address_limit: int = 100, window: float = 300.0,
                 user_factor: int = 4) -> None:
        self.engine = engine
        self.limit, self.address_limit, self.window, self.user_factor = limit, address_limit, window, user_factor

    def _since(self) -> dt.datetime:
        return utcnow() - dt.timedelta(seconds=self.window)

    def _allowed(self, key: str) -> int:
        if key.startswith("ip:"):
            return self.address_limit
        if key.startswith("user:"):
            return self.limit * self.user_factor
        return self.limit

    def blocked(self, *keys: str) -> bool:
        with Session(self.engine) as s:
            for k in keys:
                count = s.scalar(select(func.count()).select_from(SignInFailureRow)
                                 .where(SignInFailureRow.key == k[:200], SignInFailureRow.at > self._since()))
                if count >= self._allowed(k):
                    return True
        return False

    def failed(self, *keys: str) -> None:
        with write_transaction(self.engine) as s:
            s.execute(delete(SignInFailureRow).where(SignInFailureRow.at <= self._since()))  # expired
            s.add_all(SignInFailureRow(key=k[:200], at=utcnow()) for k in keys)

    def succeeded(self, *keys: str) -> None:
        with write_transaction(self.engine) as s:
            s.execute(delete(SignInFailureRow).where(SignInFailureRow.key.in_([k[:200] for k in keys])))


class BodyTooLarge(Exception):
    pass


class UploadLimitMiddleware:
    """Refuse request bodies above ``max_bytes`` (413, in Chinese: a page for a browser form, JSON
    for the API) — by Content-Length up front, and by counting the bytes actually received when
    the length is not declared (chunked). In that case the form parser sees the refusal as a
    broken body and answers its own English 400; that answer is replaced by ours."""

    def __init__(self, app, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            return await _too_large(scope, send, self.max_bytes)
        received = 0
        over = started = False

        async def counting_receive():
            nonlocal received, over
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    over = True
                    raise BodyTooLarge
            return message

        async def tracking_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                if started:
                    return
                started = True
                if over:
                    return await _too_large(scope, send, self.max_bytes)
            elif over:
                return  # the body of the app's own answer to the broken upload
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await _too_large(scope, send, self.max_bytes)


def wants_json(path: str, accept: str) -> bool:
    """API paths and clients that do not ask for HTML get JSON; a browser gets a page."""
    return path.startswith("/api/") or "text/html" not in accept


_TOO_LARGE_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>文件过大 · 退休人员社会化管理移交平台</title>
<link rel="stylesheet" href="/static/style.css"></head>
<body><main class="content"><section class="card error-card"><h1>文件过大</h1>
<p>{message}</p><p>请压缩或分批后重新上传。</p>
<p><a class="button" href="{back}">返回上一页</a></p></section></main></body></html>"""


async def _too_large(scope, send, max_bytes: int) -> None:
    import html
    import json

    message = f"上传文件过大：不能超过{max_bytes // (1024 * 1024) or 1} MB"
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers") or []}
    if wants_json(scope.get("path", ""), headers.get("accept", "")):
        body, ctype = json.dumps({"detail": message}, ensure_ascii=False).encode(), b"application/json"
    else:
        # Back to the form that sent the file: same-site paths only, never another site.
        referer = headers.get("referer", "")
        host = headers.get("host", "")
        path = referer.split(host, 1)[1] if host and f"//{host}/" in referer else ""
        back = path if path.startswith("/") and not path.startswith("//") else "/"
        body = _TOO_LARGE_PAGE.format(message=html.escape(message), back=html.escape(back)).encode()
        ctype = b"text/html"
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", ctype + b"; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()), (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


COOKIE_SECURE = ("auto", "always", "never")


class SecureCookieMiddleware:
    """Marks the session cookie ``Secure`` — on every request (``always``: behind an https proxy
    that talks http to this server), or when the request itself came over https (``auto``)."""

    def __init__(self, app, cookie: str, policy: str) -> None:
        if policy not in COOKIE_SECURE:
            raise ValueError(f"HANDOVER_COOKIE_SECURE 只能是 {'、'.join(COOKIE_SECURE)}，不能是“{policy}”")
        self.app, self.prefix, self.policy = app, cookie.encode() + b"=", policy

    async def __call__(self, scope, receive, send):
        secure = self.policy == "always" or (self.policy == "auto" and scope.get("scheme") in ("https", "wss"))
        if scope["type"] != "http" or not secure:
            return await self.app(scope, receive, send)

        async def send_secure(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [
                    (k, v + b"; secure" if k.lower() == b"set-cookie" and v.startswith(self.prefix)
                     and b"; secure" not in v.lower() else v) for k, v in message.get("headers", [])]}
            await send(message)

        await self.app(scope, receive, send_secure)


_ID_LIKE = re.compile(r"[0-9]{6}[0-9]{8,11}[0-9Xx]?")


def _mask_ids(text: str) -> str:
    return _ID_LIKE.sub(lambda m: m.group(0)[:6] + "*" * (len(m.group(0)) - 10) + m.group(0)[-4:], text)


class NoPersonalDataFilter(logging.Filter):
    """Access-log lines without query strings (searches carry names and ID numbers), and any
    ID-number-like digit run masked in every server log line."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not isinstance(record.args, tuple):
            return True
        args = list(record.args)
        if record.name == "uvicorn.access" and len(args) == 5:  # client, method, path, version, status
            args[2] = str(args[2]).split("?", 1)[0]
        record.args = tuple(_mask_ids(a) if isinstance(a, str) else a for a in args)
        return True


def install_log_filters() -> None:
    for name in ("uvicorn.access", "uvicorn.error"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, NoPersonalDataFilter) for f in logger.filters):
            logger.addFilter(NoPersonalDataFilter())
