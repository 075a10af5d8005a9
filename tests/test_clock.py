"""Times are stored in UTC and shown in the office's zone (Beijing by default)."""

from __future__ import annotations

import datetime as dt

from handover import clock, config


def test_stored_utc_is_shown_in_beijing_time():
    late = dt.datetime(2026, 11, 30, 23, 30)  # as stored: naive UTC
    assert clock.shown(late) == "2026-12-01 07:30"
    assert clock.iso(late) == "2026-12-01T07:30+08:00"
    assert clock.local(late).date() == dt.date(2026, 12, 1)  # the day a Chinese office calls it
    assert clock.shown(None) == "" and clock.iso(None) is None
    now = clock.utcnow()
    assert now.tzinfo is None and abs(now - dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)) < dt.timedelta(1)


def test_the_zone_is_configurable(monkeypatch):
    monkeypatch.setenv("HANDOVER_TIMEZONE", "Asia/Urumqi")
    config.settings.cache_clear()
    try:
        assert clock.shown(dt.datetime(2026, 11, 30, 23, 30)) == "2026-12-01 05:30"
    finally:
        config.settings.cache_clear()


def test_web_pages_show_local_time():
    from web.render import cn_datetime

    assert cn_datetime(dt.datetime(2026, 6, 1, 16, 5)) == "2026-06-02 00:05"
    assert cn_datetime("2026-06-02T00:05+08:00") == "2026-06-02 00:05"  # API strings pass through
    assert cn_datetime("") == "" and cn_datetime(None) == ""


def test_today_is_the_office_day():
    assert clock.today() == clock.local(clock.utcnow()).date()
    assert abs((clock.today() - dt.datetime.now(dt.timezone.utc).date()).days) <= 1
