"""Jinja2 templates and the small helpers they use."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from fastapi import Request
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape

from handover import clock

from .security import csrf_token

TEMPLATES = Path(__file__).parent / "templates"


def highlight(snippet: str) -> Markup:
    """Search snippets mark matches with 【】; escape everything, then mark."""
    text = str(escape(snippet or ""))
    return Markup(text.replace("【", "<mark>").replace("】", "</mark>"))


def cn_datetime(value: dt.datetime | str | None) -> str:
    """A stored time (naive UTC) or an API time string (ISO 8601), in the office's time zone."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value) if value else None
    return clock.shown(value)


def cn_date(value: dt.date | None) -> str:
    return value.strftime("%Y-%m-%d") if value else ""


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATES))
    templates.env.filters["highlight"] = highlight
    templates.env.filters["dt"] = cn_datetime
    templates.env.filters["d"] = cn_date
    return templates


def page(request: Request, name: str, status_code: int = 200, **context):
    """Render a page with the user, the CSRF token and the flash message in its context."""
    templates = request.app.state.templates
    flash = request.session.pop("flash", None)
    context.setdefault("user", getattr(request.state, "user", None))
    return templates.TemplateResponse(request, name, {"csrf": csrf_token(request), "flash": flash, **context},
                                      status_code=status_code)


def flash(request: Request, message: str, kind: str = "ok") -> None:
    request.session["flash"] = {"kind": kind, "text": message}
