"""Identity (pure): the file's own forms against the roster, and the birth-date rule of
劳社部发〔1999〕8号 (the birth date first recorded in the file prevails) — flagged for a person to
decide, never changed."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from handover import idnumber

from ocr.textnorm import edit_distance

from ..findings import Finding, finding
from ..volume import Page
from .text import cjk_only, norm

NAME_LABELS = ("姓名",)
SEX_LABELS = ("性别",)
BIRTH_LABELS = ("出生年月", "出生日期", "出生时间", "出生年月日")
POLITICAL_LABELS = ("政治面貌",)
ID_LABELS = ("公民身份号码", "身份证号码", "身份证号", "社会保障号码")
_ID = re.compile(r"(?<![0-9])([0-9]{17}[0-9Xx]|[0-9]{15})(?![0-9Xx])")
_BIRTH_VALUE = re.compile(r"(1[89]\d{2}|20\d{2})\s*(?:年|[.\-/．])\s*(\d{1,2})(?:\s*(?:月|[.\-/．])\s*(\d{1,2})\s*日?)?")
_BIRTH_PROSE = re.compile(r"(1[89]\d{2}|20\d{2})年(\d{1,2})月(?:(\d{1,2})日)?(?:出生|生于)")
_PUNCT = "：:，,。.·;；()（）"


@dataclass(frozen=True)
class Person:
    """Who the volume should belong to (the roster row, or volume.json when no roster is given)."""

    name: str
    id_number: str
    sex: str | None = None  # "男"/"女" from the roster; the ID's sex digit otherwise


@dataclass(frozen=True)
class BirthRecord:
    page: int
    year: int
    month: int
    day: int | None

    def label(self) -> str:
        return f"{self.year}年{self.month}月" + (f"{self.day}日" if self.day else "")

    def agrees(self, day: dt.date) -> bool:
        return (self.year, self.month) == (day.year, day.month) and (self.day is None or self.day == day.day)


@dataclass(frozen=True)
class PageIdentity:
    page: int
    names: tuple[str, ...] = ()
    sexes: tuple[str, ...] = ()
    births: tuple[BirthRecord, ...] = ()
    id_numbers: tuple[str, ...] = ()
    political: tuple[str, ...] = ()  # 政治面貌 as written


def _lines(page: Page) -> list[str]:
    return [norm(l) for l in page.text.splitlines() if norm(l)]


def field_values(lines: list[str], labels: Sequence[str]) -> list[str]:
    """Values written after a label: on the same line ("姓名：张三") or on the next one."""
    out = []
    for i, line in enumerate(lines):
        for label in labels:
            if not line.startswith(label):
                continue
            rest = line[len(label):].strip(_PUNCT)
            if rest:
                out.append(rest)
            elif i + 1 < len(lines):
                out.append(lines[i + 1].strip(_PUNCT))
            break
    return out


def _birth(page: int, text: str, prose: bool = False) -> BirthRecord | None:
    m = (_BIRTH_PROSE if prose else _BIRTH_VALUE).search(text)
    if not m:
        return None
    year, month = int(m[1]), int(m[2])
    day = int(m[3]) if m[3] else None
    if not 1 <= month <= 12 or (day is not None and not 1 <= day <= 31):
        return None
    return BirthRecord(page, year, month, day)


def page_identity(page: Page) -> PageIdentity:
    lines = _lines(page)
    names = tuple(n for n in (cjk_only(v) for v in field_values(lines, NAME_LABELS)) if 2 <= len(n) <= 6)
    sexes = tuple(v[0] for v in field_values(lines, SEX_LABELS) if v[:1] in ("男", "女"))
    births = [b for v in field_values(lines, BIRTH_LABELS) if (b := _birth(page.index, v))]
    births += [b for line in lines if (b := _birth(page.index, line, prose=True))]
    ids = []
    for line in lines:
        for m in _ID.finditer(line):
            try:
                ids.append(idnumber.parse(m[1]).number)
            except idnumber.IdNumberError:
                continue  # a long figure that is not an ID number (amounts, file numbers)
    political = tuple(v for v in field_values(lines, POLITICAL_LABELS) if v)
    return PageIdentity(page.index, names, sexes, tuple(births), tuple(dict.fromkeys(ids)), political)


def party_member_in_file(identities: Sequence[PageIdentity]) -> bool:
    """The file's own forms say 中共党员 (or 预备党员): used when no roster row is given."""
    return any("党员" in v for i in identities for v in i.political)


def name_agreement(found: str, expected: str) -> str:
    """"same", "near" (one character off: an OCR slip) or "other"."""
    f, e = cjk_only(found), cjk_only(expected)
    if not f or not e:
        return "other"
    if f == e or e in f:
        return "same"
    if len(e) >= 2 and edit_distance(f, e) <= 1:
        return "near"
    return "other"


def foreign_pages(identities: Sequence[PageIdentity], person: Person, birth: dt.date | None) -> dict[int, str]:
    """Pages that belong to someone else → the reason, in Chinese (nothing without a name to compare)."""
    out: dict[int, str] = {}
    if not cjk_only(person.name):
        return out
    for ident in identities:
        ids = [i for i in ident.id_numbers if i != person.id_number]
        if ident.id_numbers and ids and person.id_number not in ident.id_numbers:
            continue  # reported by check_id_numbers
        for name in ident.names:
            verdict = name_agreement(name, person.name)
            births_differ = birth is not None and any(not b.agrees(birth) for b in ident.births)
            if verdict == "other" or (verdict == "near" and births_differ):
                extra = "，出生日期亦不符" if births_differ else ""
                out[ident.page] = f"姓名为“{name}”{extra}"
                break
    return out


def check_foreign(identities: Sequence[PageIdentity], person: Person, birth: dt.date | None,
                  material_of: dict[int, str] | None = None) -> list[Finding]:
    material_of = material_of or {}
    return [finding("foreign_form",
                    f"第{page}幅图像{reason}，与本卷（{person.name}）不符，疑为他人材料混入。请核实后移出并退回移交单位。",
                    page=page, material=material_of.get(page))
            for page, reason in sorted(foreign_pages(identities, person, birth).items())]


def check_id_numbers(identities: Sequence[PageIdentity], person: Person) -> list[Finding]:
    out = []
    for ident in identities:
        other = [i for i in ident.id_numbers if i != person.id_number]
        if other and person.id_number not in ident.id_numbers:
            out.append(finding("id_number_mismatch",
                               f"第{ident.page}幅图像上的身份证号码{idnumber.mask(other[0])}与本卷"
                               f"（{idnumber.mask(person.id_number)}）不符，疑为他人材料。", page=ident.page))
    return out


def check_name_present(identities: Sequence[PageIdentity], pages: Sequence[Page], person: Person) -> list[Finding]:
    if not cjk_only(person.name):
        return [finding("name_not_found", "花名册与案卷均未登记姓名，无法核对材料是否属于本人，请人工核对。")]
    if any(name_agreement(n, person.name) != "other" for i in identities for n in i.names):
        return []
    name = cjk_only(person.name)
    if name and any(name in cjk_only(p.text) for p in pages):
        return []
    return [finding("name_not_found", f"档案材料中未找到本人姓名“{person.name}”，无法确认材料属于本人，请人工核对。")]


def earliest_birth(identities: Sequence[PageIdentity], formed_on_of: dict[int, dt.date | None]) -> BirthRecord | None:
    """The birth date recorded first: on the material formed earliest (page order breaks ties)."""
    records = [b for i in identities for b in i.births]
    if not records:
        return None
    far = dt.date.max
    return min(records, key=lambda b: (formed_on_of.get(b.page) or far, b.page))


def check_birth_dates(identities: Sequence[PageIdentity], person: Person,
                      formed_on_of: dict[int, dt.date | None]) -> list[Finding]:
    try:
        idn = idnumber.parse(person.id_number)
    except idnumber.IdNumberError:
        return []
    out = []
    first = earliest_birth(identities, formed_on_of)
    if first and not first.agrees(idn.birth_date):
        out.append(finding("birth_date_mismatch",
                           f"身份证号码中的出生日期为{idn.birth_date:%Y年%m月%d日}，档案中最先记载的出生日期为"
                           f"{first.label()}（第{first.page}幅图像）。按劳社部发〔1999〕8号，以档案最先记载为准，"
                           "请经办人核定，系统不作更改。", page=first.page))
    values = {(b.year, b.month) for i in identities for b in i.births}
    if len(values) > 1:
        pages = sorted({b.page for i in identities for b in i.births
                        if first is None or (b.year, b.month) != (first.year, first.month)})
        shown = "、".join(f"{y}年{m}月" for y, m in sorted(values))
        out.append(finding("birth_date_inconsistent",
                           f"档案各材料记载的出生年月不一致（{shown}），请人工核对。",
                           page=pages[0] if len(pages) == 1 else None))
    return out


def check_sex(identities: Sequence[PageIdentity], person: Person) -> list[Finding]:
    expected = person.sex
    if expected is None:
        try:
            expected = idnumber.parse(person.id_number).sex
        except idnumber.IdNumberError:
            return []
    return [finding("sex_mismatch", f"第{i.page}幅图像记载性别为“{s}”，与本人（{expected}）不符，请人工核对。", page=i.page)
            for i in identities for s in i.sexes[:1] if s != expected]


def check_roster_id(person: Person, volume_id: str) -> list[Finding]:
    out = []
    try:
        idnumber.parse(person.id_number)
    except idnumber.IdNumberError as err:
        out.append(finding("id_number_invalid", f"身份证号码无效：{err}"))
    if volume_id and person.id_number and idnumber.normalize(volume_id) != idnumber.normalize(person.id_number):
        out.append(finding("volume_id_mismatch",
                           f"案卷登记的身份证号码{idnumber.mask(volume_id)}与花名册（{idnumber.mask(person.id_number)}）不符，"
                           "疑为他人档案。"))
    return out
