"""Security pieces: the session secret, CSRF tokens, the sign-in rate limit, the upload-size guard,
and the access-log filter that keeps personal data out of the server logs."""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import os
import re
import secrets
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
    """HANDOVER_SECRET_KEY, else a random key kept (mode 600) in the data folder."""
    if cfg.secret_key:
        return cfg.secret_key
    path = Path(cfg.data_dir) / "web-secret.key"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
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


class SignInLimiter:
    """At most ``limit`` failed sign-ins per user name in ``window`` s, and ``ip_factor`` times as
    many per client address (an office behind one NAT address shares that allowance). Failures
    are rows in the database, so every server process (``uvicorn --workers N``, several machines)
    counts the same attempts."""

    def __init__(self, engine: Engine, limit: int = 5, window: float = 300.0, ip_factor: int = 4) -> None:
        self.engine = engine
        self.limit, self.window, self.ip_factor = limit, window, ip_factor

    def _since(self) -> dt.datetime:
        return utcnow() - dt.timedelta(seconds=self.window)

    def blocked(self, *keys: str) -> bool:
        with Session(self.engine) as s:
            for k in keys:
                count = s.scalar(select(func.count()).select_from(SignInFailureRow)
                                 .where(SignInFailureRow.key == k[:200], SignInFailureRow.at > self._since()))
                if count >= self.limit * (self.ip_factor if k.startswith("ip:") else 1):
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
    """Refuse request bodies above ``max_bytes`` (413) — by Content-Length up front, and by counting
    the bytes actually received when the length is not declared."""

    def __init__(self, app, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            return await _too_large(send, self.max_bytes)
        received = 0
        started = False

        async def counting_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge
            return message

        async def tracking_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await _too_large(send, self.max_bytes)


async def _too_large(send, max_bytes: int) -> None:
    body = (f'{{"detail":"上传文件过大：不能超过{max_bytes // (1024 * 1024) or 1} MB"}}').encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


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
