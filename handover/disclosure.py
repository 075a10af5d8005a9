"""What a viewer is shown of ID numbers and birth dates — the one masking policy.

A masked ID number (410105********5004, ``idnumber.mask``) hides digits 7–14, which are exactly
the birth date; head, sequence and check character are enough to rebuild the whole number once
the birth date is known. So wherever a number is masked, the birth date that completes it is
masked too: a 出生日期 column shows the year only, and in free text (completeness findings,
search snippets, 校对 values, roster messages) an ID-like number is masked and a date that is the
birth date of a number in view — the full date, or its year and month, which leave about three
candidates — keeps its year only (1959-**-**, 1959年**月**日), as does a full date that completes a
number quoted already masked (its check character agrees). Other dates stay as they are.
Roles that work with whole numbers see everything as is. Which roles those are is the read rule's
decision (``archive_store.read_rule.disclosure``); this module is the rule over plain values.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Iterable, Sequence

from . import idnumber

# 18 characters (the last may be X) or an old 15-digit number, not inside a longer run of digits.
ID_LIKE = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])|(?<![0-9])[0-9]{15}(?![0-9])")
MASKED_ID = re.compile(r"(?<![0-9])([0-9]{6})\*{8}([0-9]{3}[0-9X])")
_Y = r"(?P<y>(?:18|19|20)[0-9]{2})"
# A date in the forms people and OCR write: 1959-02-16, 1959/2/16, 1959.02.16, 1959年2月16日,
# 19590216, and the year-month forms 1959-02, 1959.2, 1959年2月 (the day then optional).
DATE = re.compile(
    rf"(?<![0-9]){_Y}(?P<s1>\s*[-/.]\s*|\s*年\s*)(?P<m>[0-9]{{1,2}})"
    rf"(?:(?P<s2>\s*[-/.]\s*|\s*月\s*)(?P<d>[0-9]{{1,2}})(?![0-9]))?(?P<rest>\s*[月日])?(?![0-9])"
    rf"|(?<![0-9*]){_Y.replace('?P<y>', '?P<cy>')}(?P<cm>[0-9]{{2}})(?P<cd>[0-9]{{2}})(?![0-9*])")


def _birth_of(number: str) -> dt.date | None:
    try:
        return idnumber.parse(number).birth_date
    except idnumber.IdNumberError:
        return None


@dataclass(frozen=True)
class Disclosure:
    full_ids: bool  # the viewer works with whole ID numbers (and so sees birth dates as they are)

    def id_number(self, number: str) -> str:
        return number if self.full_ids else idnumber.mask(number)

    def birth_date(self, day: dt.date | None) -> str:
        """A 出生日期 cell shown beside the ID number: the year only where the number is masked."""
        if day is None:
            return ""
        return day.strftime("%Y-%m-%d") if self.full_ids else f"{day.year}-**-**"

    def birth_text(self, value: str) -> str:
        """A typed or read birth value (出生年月 in the 校对 queue): the year only where masked."""
        if self.full_ids or not value:
            return value
        year = re.search(r"(?:18|19|20)[0-9]{2}", value)
        return f"{year.group(0)}年**月" if year else "*" * len(value)

    def text(self, text: str, numbers: Iterable[str] = ()) -> str:
        """Free text shown with ``numbers`` (the volume's or person's ID in view): ID-like numbers
        masked, and the birth dates of these and of the numbers quoted in the text cut to the year."""
        return self.texts([text], numbers)[0]

    def texts(self, texts: Sequence[str], numbers: Iterable[str] = ()) -> list[str]:
        """``text`` over the texts of one page or answer: a number quoted in one text masks its
        birth date in all of them. A number quoted already masked (check.json keeps findings so)
        cuts every full date that would complete it with a valid check character."""
        if self.full_ids:
            return list(texts)
        quoted = {m.group(0) for t in texts if t for m in ID_LIKE.finditer(t)}
        births = {b for n in (*numbers, *quoted) if n and (b := _birth_of(n)) is not None}
        texts = [ID_LIKE.sub(lambda m: idnumber.mask(m.group(0)), t) if t else t for t in texts]
        ends = {(m.group(1), m.group(2)) for t in texts if t for m in MASKED_ID.finditer(t)}
        return [_cut_dates(t, births, ends) if t else t for t in texts]


def _completes(ends: set[tuple[str, str]], y: int, mo: int, d: int) -> bool:
    day = f"{y:04d}{mo:02d}{d:02d}"
    return any(idnumber.check_character(head + day + tail[:3]) == tail[3] for head, tail in ends)


def _cut_dates(text: str, births: set[dt.date], ends: set[tuple[str, str]]) -> str:
    """Dates in ``text`` that are (in year and month) one of ``births``, or that complete one of the
    masked numbers' ``ends`` (head, tail), kept to their year."""
    if not births and not ends:
        return text
    months = {(b.year, b.month) for b in births}

    def cut(m: re.Match) -> str:
        if m.group("cy"):
            y, mo, d = int(m.group("cy")), int(m.group("cm")), int(m.group("cd"))
            return f"{y}****" if (y, mo) in months or _completes(ends, y, mo, d) else m.group(0)
        y, mo = int(m.group("y")), int(m.group("m"))
        d = int(m.group("d")) if m.group("d") else None
        if (y, mo) not in months and (d is None or not _completes(ends, y, mo, d)):
            return m.group(0)
        out = f"{m.group('y')}{m.group('s1')}**"
        if m.group("d"):
            out += f"{m.group('s2')}**"
        return out + (m.group("rest") or "")

    return DATE.sub(cut, text)


FULL = Disclosure(full_ids=True)
MASKED = Disclosure(full_ids=False)
