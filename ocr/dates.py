"""材料形成时间: the dates written on a material (pure functions).

Forms carry several dates (birth, joining work, each approval); the material's date is the signing
date, i.e. the last one (组通字〔2012〕28号: "以最后一个为准"). Only complete year-month-day dates
count: 出生年月 and 参加工作时间 are written as year and month and must not win.

Handwritten years in Chinese digits lose or garble their zero: OCR reads the circle of 〇 as
○ 零 0 O o, as 口 D Q °, or drops it (一九五〇年 → 一九五年, 二〇一六年 → "二 六年"). A garbled
circle is read as a zero, but only inside a year of Chinese digits (一九.. / 二〇..), never in other
text. A year that lost a character is never guessed: ``find_dates`` skips it, ``uncertain_dates``
reports it for a person to read, and ``formed_on`` gives no date when the lost year could be the
latest one.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import unicodedata
from typing import NamedTuple

from .textnorm import normalize

_CN_DIGITS = {"〇": 0, "零": 0, "○": 0, "O": 0, "o": 0, "0": 0, "一": 1, "二": 2, "三": 3, "四": 4,
              "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_NONZERO = "一二三四五六七八九"
_ZEROS = "〇零○0Oo"  # as written or read (after NFKC: Ｏ → O, ０ → 0, º → o)
# What OCR makes of a handwritten circle: accepted as a zero only inside a Chinese-digit year.
_CIRCLE_MISREADS = "口DQ°◯⚪θΘОо"
_Z = re.escape(_ZEROS + _CIRCLE_MISREADS)
_YEAR_CHAR = f"[{_NONZERO}{_Z}]"
_CN_SMALL = "〇零一二三四五六七八九十廿"
_BEFORE_YEAR = rf"(?<![{_NONZERO}{re.escape(_ZEROS)}0-9])"

# Stray marks OCR puts beside 年 and 月 ("1971年-5月26日", "1970年5.月") are passed over.
_ARABIC = re.compile(r"(?<!\d)(1[89]\d{2}|20\d{2})\s*(?:年\s*[-.·,]?|[.\-/．])\s*(\d{1,2})\s*(?:[.·,]?\s*月\s*[-.·,]?|[.\-/．])"
                     r"\s*(\d{1,2})\s*[.·,]?\s*日?(?!\d)")
# A handwritten 月 read as 日: "2000年7日26日" (both 日 there, so it cannot be anything else).
_ARABIC_MONTH_AS_DAY = re.compile(r"(?<!\d)(1[89]\d{2}|20\d{2})\s*年\s*(\d{1,2})\s*日\s*(\d{1,2})\s*[.·,]?\s*日")
# 19xx: 一九 + two digits; 20xx: 二 + a zero + two digits. Spaces between the characters allowed.
_CN_YEAR = rf"一\s*九\s*{_YEAR_CHAR}\s*{_YEAR_CHAR}|二\s*[{_Z}]\s*{_YEAR_CHAR}\s*{_YEAR_CHAR}"
_CHINESE = re.compile(rf"{_BEFORE_YEAR}({_CN_YEAR})\s*年\s*([{_CN_SMALL}]{{1,3}})\s*月\s*([{_CN_SMALL}]{{1,4}})\s*日")
_CHINESE_YM = re.compile(rf"{_BEFORE_YEAR}({_CN_YEAR})\s*年\s*([{_CN_SMALL}]{{1,3}})\s*月(?:\s*([{_CN_SMALL}]{{1,4}})\s*日)?")
_ARABIC_YM = re.compile(r"(?<!\d)(1[89]\d{2}|20\d{2})\s*(?:年|[.\-/．])\s*(\d{1,2})(?:\s*(?:月|[.\-/．])\s*(\d{1,2})\s*日?)?(?!\d)")
# A year that lost a character: 2–3 Chinese digits (or a gap) starting 一九 / 二, or 3 Arabic digits
# starting 18/19/20, followed by a month. Two-digit years (六五年, 65年) are abbreviations, not losses.
_LOST_CN = re.compile(rf"{_BEFORE_YEAR}((?:一\s*九|二)(?:\s*{_YEAR_CHAR}){{0,2}})(\s*)年\s*([{_CN_SMALL}]{{1,3}})\s*月"
                      rf"(?:\s*([{_CN_SMALL}]{{1,4}})\s*日)?")
_LOST_AR = re.compile(r"(?<![\d.])((?:1\s*[89]|2\s*0)(?:\s*\d)?)\s*年\s*(\d{1,2})\s*月(?:\s*(\d{1,2})\s*日)?")
# A year and month whose 月 was read as 日, where no day can follow: "1958年4日", "2000年7日26日".
_MONTH_READ_AS_DAY = re.compile(r"(?<!\d)((?:1[89]|20)\d{2}\s*年\s*(?:1[0-2]|0?[1-9]))\s*日(?=\s*(?:\d{1,2}\s*日|\D|$))")

# The characters a handwritten Chinese year loses: the circle of 〇 and the single stroke of 一.
_LOST_CN_CANDIDATES = (0, 1)


class UncertainDate(NamedTuple):
    position: int  # in the NFKC text
    raw: str  # the date as read
    reason: str  # why it cannot be read as a date, in Chinese (shown to archive staff)
    latest_reading: dt.date | None = None  # the latest date it could be (full dates only)


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


def _cn_year(s: str) -> int:
    """The value of a matched Chinese-digit year (a garbled circle counts as zero)."""
    return int("".join(str(_CN_DIGITS.get(c, 0)) for c in s if not c.isspace()))


def _valid(y: int, m: int, d: int, latest: dt.date) -> dt.date | None:
    try:
        day = dt.date(y, m, d)
    except ValueError:
        return None
    return day if dt.date(1900, 1, 1) <= day <= latest else None


def _latest(latest: dt.date | None) -> dt.date:
    return latest or dt.date.today() + dt.timedelta(days=366)


def mend_month(text: str) -> str:
    """A line's 月 restored where a handwritten 月 was read as 日 and the date's form allows
    nothing else (a year is followed by a month; a day never follows a year directly)."""
    return _MONTH_READ_AS_DAY.sub(r"\1月", text)


def find_dates(text: str, latest: dt.date | None = None) -> list[tuple[int, dt.date]]:
    """Full dates found in ``text`` as (position, date), in reading order."""
    latest = _latest(latest)
    text = normalize(text)
    found: list[tuple[int, dt.date]] = []
    for pattern in (_ARABIC, _ARABIC_MONTH_AS_DAY):
        for m in pattern.finditer(text):
            day = _valid(int(m[1]), int(m[2]), int(m[3]), latest)
            if day:
                found.append((m.start(), day))
    for m in _CHINESE.finditer(text):
        month, dd = _cn_small(m[2]), _cn_small(m[3])
        if month and dd:
            day = _valid(_cn_year(m[1]), month, dd, latest)
            if day:
                found.append((m.start(), day))
    return sorted(found, key=lambda x: x[0])


def year_months(text: str) -> list[tuple[int, int, int | None]]:
    """Every year-month(-day) in ``text`` (出生年月 "1963年5月", "1963.5", "一九六三年五月"), as
    (year, month, day or None) in reading order; a year that lost a character gives none."""
    text = normalize(text)
    hits = []
    for m in _ARABIC_YM.finditer(text):
        hits.append((m.start(), int(m[1]), int(m[2]), int(m[3]) if m[3] else None))
    for m in _CHINESE_YM.finditer(text):
        month = _cn_small(m[2])
        if month:
            hits.append((m.start(), _cn_year(m[1]), month, _cn_small(m[3]) if m[3] else None))
    return [(y, mo, d) for _, y, mo, d in sorted(hits) if 1 <= mo <= 12 and (d is None or 1 <= d <= 31)]


def parse_year_month(text: str) -> tuple[int, int, int | None] | None:
    """The first year-month(-day) in ``text``; None when there is none (see ``year_months``)."""
    found = year_months(text)
    return found[0] if found else None


def _completions(known: list[int], gaps: list[int], alphabet: tuple[int, ...]) -> set[int]:
    """Four-digit years made by inserting characters of ``alphabet`` into ``known`` (in order);
    ``gaps``: positions where the reading showed a gap (a lost character sits there when given)."""
    out = set()
    missing = 4 - len(known)
    if missing <= 0:
        return out
    for slots in itertools.combinations(range(4), missing):
        if gaps and not any(s in gaps for s in slots):
            continue
        for fill in itertools.product(alphabet, repeat=missing):
            digits, it_known, it_fill = [], iter(known), iter(fill)
            for i in range(4):
                digits.append(next(it_fill) if i in slots else next(it_known))
            out.add(int("".join(map(str, digits))))
    return out


def _readings(years: set[int], month: int | None, day: int | None, latest: dt.date) -> dt.date | None:
    if not month or not day:
        return None
    days = [d for y in years if (d := _valid(y, month, day, latest))]
    return max(days) if days else None


def uncertain_dates(text: str, latest: dt.date | None = None) -> list[UncertainDate]:
    """Dates whose year lost a character (一九五年三月, "二 六年", 196年): never guessed, for a person
    to read. Only years of 19xx/20xx shape followed by a month are considered."""
    latest = _latest(latest)
    text = unicodedata.normalize("NFKC", text or "")
    out: list[UncertainDate] = []
    for m in _LOST_CN.finditer(text):
        run = m[1]
        chars = [c for c in run if not c.isspace()]
        if len(chars) >= 4 or len(chars) < 2:
            continue
        known = [_CN_DIGITS.get(c, 0) for c in chars]
        gaps = _gap_positions(run)
        years = _completions(known, gaps, _LOST_CN_CANDIDATES)
        month = _cn_small(m[3])
        day = _cn_small(m[4]) if m[4] else None
        shown = "".join(chars)
        out.append(UncertainDate(m.start(), m[0].strip(),
                                 f"年份“{shown}”只识别出{len(chars)}位，可能漏识了“〇”等字，不作推断，请人工核对",
                                 _readings(years, month, day, latest)))
    for m in _LOST_AR.finditer(text):
        digits = [int(c) for c in m[1] if c.isdigit()]
        if len(digits) != 3 and not (len(digits) == 2 and any(c.isspace() for c in m[1])):
            continue
        years = _completions(digits, _gap_positions(m[1]), tuple(range(10)))
        month = int(m[2])
        day = int(m[3]) if m[3] else None
        shown = "".join(map(str, digits))
        out.append(UncertainDate(m.start(), m[0].strip(),
                                 f"年份“{shown}”只识别出{len(digits)}位数字，可能漏识一位，不作推断，请人工核对",
                                 _readings(years, month if 1 <= month <= 12 else None, day, latest)))
    return sorted(out, key=lambda u: u.position)


def _gap_positions(run: str) -> list[int]:
    """Positions (0..3 in the four-digit year) where the reading shows a gap between characters."""
    out, i = [], 0
    for k, c in enumerate(run):
        if c.isspace():
            if k and not run[k - 1].isspace():
                out.append(i)
        else:
            i += 1
    return out


def formed_on(text: str, latest: dt.date | None = None) -> dt.date | None:
    """The material's date: the latest complete date written on it.

    None when a date whose year lost a character could be later than every date read in full:
    the material's date is then for a person to read (``uncertain_dates``), not a guess.
    """
    dates = [d for _, d in find_dates(text, latest)]
    # Latest rather than last-in-reading-order: signature blocks sit side by side, and OCR reading
    # order across columns is not reliable, while approvals never precede the application.
    best = max(dates) if dates else None
    if best is None:
        return None
    for u in uncertain_dates(text, latest):
        if u.latest_reading is not None and u.latest_reading > best:
            return None
    return best
