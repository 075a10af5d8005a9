"""材料形成时间: the dates written on a material (pure functions).

Forms carry several dates (birth, joining work, each approval); the material's date is the signing
date, i.e. the last one (组通字〔2012〕28号: "以最后一个为准"). Only complete year-month-day dates
count: 出生年月 and 参加工作时间 are written as year and month and must not win.
"""

from __future__ import annotations

import datetime as dt
import re

from .textnorm import normalize

_CN_DIGITS = {"〇": 0, "零": 0, "○": 0, "Ｏ": 0, "O": 0, "o": 0, "一": 1, "二": 2, "三": 3, "四": 4,
              "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_DIGIT_CLASS = "〇零○ＯOo一二三四五六七八九"
_CN_SMALL = "〇零一二三四五六七八九十廿"

_ARABIC = re.compile(r"(?<!\d)(1[89]\d{2}|20\d{2})\s*(?:年|[.\-/．])\s*(\d{1,2})\s*(?:月|[.\-/．])\s*(\d{1,2})\s*日?(?!\d)")
_CHINESE = re.compile(rf"([{_CN_DIGIT_CLASS}]{{4}})\s*年\s*([{_CN_SMALL}]{{1,3}})\s*月\s*([{_CN_SMALL}]{{1,4}})\s*日")


def _cn_small(s: str) -> int | None:
    """一..三十一 (also 廿, 二十一, 十二)."""
    s = s.replace("廿", "二十")
    if "十" in s:
        tens, _, ones = s.partition("十")
        t = _CN_DIGITS.get(tens, None) if tens else 1
        o = _CN_DIGITS.get(ones, None) if ones else 0
        return None if t is None or o is None else t * 10 + o
    if len(s) == 1:
        return _CN_DIGITS.get(s)
    if all(c in _CN_DIGITS for c in s):  # 〇七 style
        return int("".join(str(_CN_DIGITS[c]) for c in s))
    return None


def _valid(y: int, m: int, d: int, latest: dt.date) -> dt.date | None:
    try:
        day = dt.date(y, m, d)
    except ValueError:
        return None
    return day if dt.date(1900, 1, 1) <= day <= latest else None


def find_dates(text: str, latest: dt.date | None = None) -> list[tuple[int, dt.date]]:
    """Full dates found in ``text`` as (position, date), in reading order."""
    latest = latest or dt.date.today() + dt.timedelta(days=366)
    text = normalize(text)
    found: list[tuple[int, dt.date]] = []
    for m in _ARABIC.finditer(text):
        day = _valid(int(m[1]), int(m[2]), int(m[3]), latest)
        if day:
            found.append((m.start(), day))
    for m in _CHINESE.finditer(text):
        year = int("".join(str(_CN_DIGITS[c]) for c in m[1]))
        month, dd = _cn_small(m[2]), _cn_small(m[3])
        if month and dd:
            day = _valid(year, month, dd, latest)
            if day:
                found.append((m.start(), day))
    return sorted(found, key=lambda x: x[0])


def formed_on(text: str, latest: dt.date | None = None) -> dt.date | None:
    """The material's date: the latest complete date written on it."""
    dates = [d for _, d in find_dates(text, latest)]
    # Latest rather than last-in-reading-order: signature blocks sit side by side, and OCR reading
    # order across columns is not reliable, while approvals never precede the application.
    return max(dates) if dates else None
