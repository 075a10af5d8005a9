"""Time: stored as naive UTC everywhere (SQLite's CURRENT_TIMESTAMP is UTC too); shown to people
in the office's time zone (``HANDOVER_TIMEZONE``, Beijing time by default)."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

from .config import settings


def utcnow() -> dt.datetime:
    """Now, as stored: naive UTC."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local(value: dt.datetime) -> dt.datetime:
    """A stored (naive UTC) or aware time in the office's zone."""
    aware = value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    return aware.astimezone(_zone(settings().timezone))


def stored_start_of(day: dt.date) -> dt.datetime:
    """The first moment of a local calendar day, as stored (naive UTC): bounds of a date filter."""
    start = dt.datetime.combine(day, dt.time(), tzinfo=_zone(settings().timezone))
    return start.astimezone(dt.timezone.utc).replace(tzinfo=None)


def today() -> dt.date:
    """Today in the office's zone: the date documents are dated and volumes received."""
    return local(utcnow()).date()


def shown(value: dt.datetime | None) -> str:
    """For pages: 2026-11-30 22:58 in local time; empty for no time."""
    return local(value).strftime("%Y-%m-%d %H:%M") if value else ""


def iso(value: dt.datetime | None, timespec: str = "minutes") -> str | None:
    """For the JSON API: local ISO 8601 with its offset, e.g. 2026-11-30T22:58+08:00."""
    return local(value).isoformat(timespec=timespec) if value else None
