"""Identity checks (pure): the file's own forms, as ``identity_read`` reads them, against the
roster, and the birth-date rule of 劳社部发〔1999〕8号 (the birth date first recorded in the file
prevails) — flagged for a person to decide, never changed.

Deciding whose page it is: the person's ID number (or it with a digit or two misread) makes the
page theirs; otherwise name, valid ID number and birth date are compared. Two fields disagreeing
make the page another person's (他人材料), as does a name read surely that is nothing like theirs;
one weak disagreement (the name one character off, a doubtful read, an ID two digits off) asks a
person (待人工核对); an unread name is noted for a person to read (未能识别), never taken for another
person's. A doubtful name read on a page whose birth date agrees, or read the same way on a page
the ID or birth date shows to be the person's, is only unread. Values archive staff typed or
confirmed in the 校对 queue replace what OCR read on that page (a human read has no slips: a
corrected name other than the person's is another person's).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from handover import idnumber
from ocr.textnorm import edit_distance

from ..findings import Finding, finding
from ..review import ReviewItem
from ..volume import Page
from .identity_read import BirthRecord, PageIdentity, id_digits, name_shaped
from .text import cjk_only

ID_SLIP = 2  # digits: a valid ID this close to the person's is their own misread, not another's


@dataclass(frozen=True)
class Person:
    """Who the volume should belong to (the roster row, or volume.json when no roster is given)."""

    name: str
    id_number: str
    sex: str | None = None  # "男"/"女" from the roster; the ID's sex digit otherwise


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


# ---------------------------------------------------------------- whose page is it

@dataclass(frozen=True)
class Verdict:
    page: int
    kind: str  # own / foreign / other_id / doubt / unread / unknown
    reason: str = ""  # in Chinese, for the finding
    items: tuple[ReviewItem, ...] = ()


def _own_id_misread(ident: PageIdentity, person: Person) -> bool:
    """The 身份证号码 cell holds the person's number with a digit or two misread (its check digit
    fails): their own, since another person's number differs in its birth date and sequence."""
    r = ident.id_read
    if r is None or r.corrected or not r.value or not person.id_number or ident.id_numbers:
        return False
    digits = id_digits(r.value)
    return len(digits) >= 15 and edit_distance(digits, person.id_number) <= ID_SLIP


def _id_distance(a: str, b: str) -> int:
    return sum(x != y for x, y in zip(a, b)) if len(a) == len(b) else max(len(a), len(b))


def _own_births(identities: Sequence[PageIdentity], person: Person, birth: dt.date | None) -> set[tuple[int, int]]:
    """Year-months that are the person's: the ID's, and those the person's own pages record (the
    file may record another birth date than the ID: 劳社部发〔1999〕8号)."""
    out = {(birth.year, birth.month)} if birth else set()
    for i in identities:
        mine = person.id_number in i.id_numbers or (
            i.name is not None and i.name.firm and i.names and name_agreement(i.names[0], person.name) == "same")
        if mine:
            out |= {(b.year, b.month) for b in i.births if b.firm}
    return out


def assess(identities: Sequence[PageIdentity], person: Person, birth: dt.date | None) -> dict[int, Verdict]:
    """Each page's verdict; review items for what a person must read."""
    refs = _own_births(identities, person, birth)
    # How OCR misreads the person's name in this file: the reads on pages their ID number or birth
    # date shows to be theirs. The same read elsewhere is a misread of the name, not another person.
    # (A read surely made is no misread: its page is a doubt, not a reference.)
    misreads: dict[str, set[int]] = {}
    for i in identities:
        r = i.name
        if r is None or not r.value or r.corrected:
            continue
        if person.id_number in i.id_numbers or _own_id_misread(i, person) or (
                not r.firm and _birth_state(i, refs)[0] == "same"):
            misreads.setdefault(cjk_only(r.value), set()).add(i.page)
    return {i.page: _assess(i, person, refs, {m for m, pages in misreads.items() if pages - {i.page}})
            for i in identities}


def _foreign_fragment(value: str, expected: str) -> bool:
    """A name cell read as one sure character (the rest hidden by a seal or lost) that is none of
    the person's: 慧 in 王志强's file is someone else's name, 志 would be a part of his own."""
    seen = cjk_only(value)
    return len(seen) == 1 and seen not in expected


def _birth_state(ident: PageIdentity, refs: set[tuple[int, int]]) -> tuple[str | None, bool]:
    """"same" / "other" (and whether read surely) / None: the page's birth date against the person's."""
    if not refs:
        return None, False
    if ident.births:
        if any((b.year, b.month) in refs for b in ident.births):
            return "same", True
        return "other", any(b.firm for b in ident.births)
    # The birth cell's digits spell the person's year and month although 年/月 were lost
    # ("194111日"): not a date to record, but it agrees.
    if ident.birth_digits and any(ident.birth_digits in (f"{y}{m}", f"{y}{m:02d}") for y, m in refs):
        return "same", False
    # …or they begin with a year years away from the person's ("1963日" for one born in 1950): a
    # weak disagreement, never enough alone.
    year = ident.birth_digits[:4]
    if len(year) == 4 and year[:2] in ("18", "19", "20") and all(abs(int(year) - y) >= 2 for y, _ in refs):
        return "other", False
    return None, False


def _assess(ident: PageIdentity, person: Person, refs: set[tuple[int, int]],
            misreads: frozenset[str] | set[str] = frozenset()) -> Verdict:
    page, expected = ident.page, cjk_only(person.name)
    items: list[ReviewItem] = []
    # A doubtful birth read that disagrees, or one whose year lost a character: for a person.
    for b in ident.births:
        if refs and not b.firm and (b.year, b.month) not in refs:
            items.append(ReviewItem("birth", page, b.label(), "出生年月识别可信度低，且与本人记载不符，请核对", b.box))
    for r in ident.lost_births[:1]:
        items.append(ReviewItem("birth", page, r.value, "出生年月的年份缺字，不作推断，请核对", r.box))
    if person.id_number in ident.id_numbers or _own_id_misread(ident, person):
        return Verdict(page, "own", items=tuple(items))
    others = [i for i in ident.id_numbers if i != person.id_number]
    near_id = next((i for i in others if _id_distance(i, person.id_number) <= ID_SLIP), None)
    other_id = bool(others) and near_id is None  # another person's number (two digits off or more)
    if not expected:
        return Verdict(page, "other_id") if other_id else Verdict(page, "unknown", items=tuple(items))
    r = ident.name
    name_state, name_firm = None, False
    if r is not None and (r.value or not r.corrected):
        if r.corrected:
            name_state, name_firm = ("same" if expected in cjk_only(r.value) else "other"), True
        elif r.trusted and name_shaped(r.value):
            name_state, name_firm = name_agreement(r.value, person.name), r.firm
        elif r.firm and _foreign_fragment(r.value, expected):
            name_state, name_firm = "other", True  # a surely read character the name does not have
        else:
            name_state = "unread"
        if not r.corrected and name_state != "same" and not (name_state == "other" and name_firm) \
                and expected in ident.others_text:
            name_state = "same"  # the person's name stands elsewhere on the page (a signature, a fused line)
    if name_state == "same":
        return Verdict(page, "other_id") if other_id else Verdict(page, "own", items=tuple(items))
    birth_state, birth_firm = _birth_state(ident, refs)
    shown = r.value if r is not None else ""
    if name_state in ("near", "other") and not (r is not None and r.corrected) and (
            (not name_firm and birth_state == "same") or cjk_only(shown) in misreads):
        name_state = "unread"  # a misread of the name, on a page that agrees otherwise
    disagree: list[tuple[str, bool]] = []
    if name_state in ("near", "other"):
        disagree.append(("name", name_firm))
    if birth_state == "other":
        disagree.append(("birth", birth_firm))
    if near_id is not None:
        disagree.append(("id", False))
    if other_id:
        if not disagree:
            return Verdict(page, "other_id")  # the number alone: id_number_mismatch
        disagree.append(("id", True))
    name_box = r.box if r is not None else None
    if (name_state == "other" and name_firm) or (len(disagree) >= 2 and any(f for _, f in disagree)):
        what = f"姓名为“{shown}”" if name_state in ("near", "other") else "姓名未能识别"
        extra = "，出生日期亦不符" if birth_state == "other" else ""
        if other_id or near_id is not None:
            extra += "，身份证号码亦不符"
        return Verdict(page, "foreign", f"{what}{extra}")
    if disagree and (len(disagree) >= 2 or disagree[0][0] != "birth" or name_state == "unread"):
        parts = []
        if name_state == "near":
            parts.append(f"姓名识别为“{shown}”，与本卷姓名相差一字")
        elif name_state == "other":
            parts.append(f"姓名识别为“{shown}”，与本卷姓名不符但识别可信度低")
        elif name_state == "unread":
            parts.append("姓名未能识别")
        if birth_state == "other":
            parts.append("出生年月与本人记载不符")
        if near_id is not None:
            parts.append(f"身份证号码{idnumber.mask(near_id)}与本卷相差{_id_distance(near_id, person.id_number)}位")
            items.append(ReviewItem("id_number", page, near_id, "身份证号码与本卷相近但不同，请核对",
                                    ident.id_read.box if ident.id_read else None))
        if name_state in ("near", "other", "unread"):
            items.append(ReviewItem("name", page, shown, "姓名与本卷不符或未能识别，请核对材料上书写的姓名", name_box))
        items += _unread_id(ident)
        return Verdict(page, "doubt", "，".join(parts), tuple(items))
    if name_state == "unread":
        reason = f"的姓名未能识别（识别为“{shown}”，不足以采信）" if shown else "的姓名未能识别"
        items.append(ReviewItem("name", page, shown, "姓名未能识别，请核对材料上书写的姓名", name_box))
        items += _unread_id(ident)
        return Verdict(page, "unread", reason, tuple(items))
    return Verdict(page, "own" if name_state else "unknown", items=tuple(items))


def _unread_id(ident: PageIdentity) -> list[ReviewItem]:
    """The 身份证号码 cell when it could settle the page but its number failed the check digit."""
    r = ident.id_read
    if r is None or not r.value or ident.id_numbers or not re.search(r"\d{6}", r.value):
        return []
    return [ReviewItem("id_number", ident.page, r.value, "身份证号码未能准确识别（校验位不符），请核对", r.box)]


def foreign_pages(identities: Sequence[PageIdentity], person: Person, birth: dt.date | None) -> dict[int, str]:
    """Pages that belong to someone else → the reason, in Chinese (nothing without a name to compare)."""
    if not cjk_only(person.name):
        return {}
    return {p: v.reason for p, v in assess(identities, person, birth).items() if v.kind == "foreign"}


def check_foreign(identities: Sequence[PageIdentity], person: Person, birth: dt.date | None,
                  material_of: dict[int, str] | None = None) -> list[Finding]:
    material_of = material_of or {}
    return [finding("foreign_form",
                    f"第{page}幅图像{reason}，与本卷（{person.name}）不符，疑为他人材料混入。请核实后移出并退回移交单位。",
                    page=page, material=material_of.get(page))
            for page, reason in sorted(foreign_pages(identities, person, birth).items())]


def check_identity_review(identities: Sequence[PageIdentity], person: Person, birth: dt.date | None,
                          material_of: Mapping[int, str] | None = None,
                          review: list[ReviewItem] | None = None) -> list[Finding]:
    """Pages whose owner a person must confirm (待人工核对) and names not read (未能识别); their
    values go to the 校对 queue (``review``)."""
    material_of = material_of or {}
    out: list[Finding] = []
    seen = {i.key for i in review} if review is not None else set()
    for page, v in sorted(assess(identities, person, birth).items()):
        material = material_of.get(page)
        if v.kind == "doubt":
            out.append(finding("identity_unconfirmed",
                               f"第{page}幅图像{v.reason}，无法确定是否为本人（{person.name}）的材料，"
                               "已列入校对清单，请人工核对。", page=page, material=material))
        elif v.kind == "unread":
            out.append(finding("name_unread", f"第{page}幅图像{v.reason}，已列入校对清单，请人工核对姓名。",
                               page=page, material=material))
        if review is not None and v.kind not in ("foreign", "other_id"):
            for item in v.items:
                if item.key not in seen:
                    seen.add(item.key)
                    review.append(ReviewItem(item.field, item.page, item.value, item.reason_zh, item.box, material))
    return out


def check_id_numbers(identities: Sequence[PageIdentity], person: Person) -> list[Finding]:
    """Pages whose only disagreement is another person's ID number (with the name disagreeing too
    they are another person's material: ``check_foreign``)."""
    try:
        birth = idnumber.parse(person.id_number).birth_date
    except idnumber.IdNumberError:
        birth = None
    verdicts = assess(identities, person, birth)
    out = []
    for ident in identities:
        other = [i for i in ident.id_numbers if i != person.id_number]
        if verdicts[ident.page].kind == "other_id":
            out.append(finding("id_number_mismatch",
                               f"第{ident.page}幅图像上的身份证号码{idnumber.mask(other[0])}与本卷"
                               f"（{idnumber.mask(person.id_number)}）不符，疑为他人材料。", page=ident.page))
    return out


def check_name_present(identities: Sequence[PageIdentity], pages: Sequence[Page], person: Person) -> list[Finding]:
    if not cjk_only(person.name):
        if person.name.strip():  # never silently: a name the forms cannot be compared with is said so
            return [finding("name_not_found", f"本卷登记的姓名“{person.name.strip()[:30]}”不含汉字，无法与材料上的姓名"
                                              "核对是否属于本人，请人工核对。")]
        return [finding("name_not_found", "花名册与案卷均未登记姓名，无法核对材料是否属于本人，请人工核对。")]
    if any(name_agreement(n, person.name) != "other" for i in identities for n in i.names):
        return []
    name = cjk_only(person.name)
    if name and any(name in cjk_only(p.text) for p in pages):
        return []
    return [finding("name_not_found", f"档案材料中未找到本人姓名“{person.name}”，无法确认材料属于本人，请人工核对。")]


def _usable_births(identities: Sequence[PageIdentity], person: Person) -> list[BirthRecord]:
    """Birth records the 1999 rule may rest on: sure reads, and doubtful ones that agree with the ID
    (a doubtful one that disagrees is in the 校对 queue instead)."""
    try:
        day = idnumber.parse(person.id_number).birth_date
    except idnumber.IdNumberError:
        day = None
    return [b for i in identities for b in i.births if b.firm or (day is not None and b.agrees(day))]


def earliest_birth(identities: Sequence[PageIdentity], formed_on_of: dict[int, dt.date | None]) -> BirthRecord | None:
    """The birth date recorded first: on the material formed earliest (page order breaks ties)."""
    return _earliest([b for i in identities for b in i.births], formed_on_of)


def _earliest(records: list[BirthRecord], formed_on_of: dict[int, dt.date | None]) -> BirthRecord | None:
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
    records = _usable_births(identities, person)
    first = _earliest(records, formed_on_of)
    if first and not first.agrees(idn.birth_date):
        out.append(finding("birth_date_mismatch",
                           f"身份证号码中的出生日期为{idn.birth_date:%Y年%m月%d日}，档案中最先记载的出生日期为"
                           f"{first.label()}（第{first.page}幅图像）。按劳社部发〔1999〕8号，以档案最先记载为准，"
                           "请经办人核定，系统不作更改。", page=first.page))
    values = {(b.year, b.month) for b in records}
    if len(values) > 1:
        pages = sorted({b.page for b in records if first is None or (b.year, b.month) != (first.year, first.month)})
        shown = "、".join(f"{y}年{m}月" for y, m in sorted(values))
        out.append(finding("birth_date_inconsistent",
                           f"档案各材料记载的出生年月不一致（{shown}），请人工核对。",
                           page=pages[0] if len(pages) == 1 else None))
    return out


def check_sex(identities: Sequence[PageIdentity], person: Person,
              review: list[ReviewItem] | None = None) -> list[Finding]:
    """A sex written on a form that is not the person's: a warning when read surely, a 校对 item
    when the read is doubtful."""
    expected = person.sex
    if expected is None:
        try:
            expected = idnumber.parse(person.id_number).sex
        except idnumber.IdNumberError:
            return []
    # One page against all the others that agree with the person: a misread (or a value struck
    # through and corrected above it) for a person to read, not a warning.
    agreeing = sum(1 for i in identities for s in i.sexes[:1] if s == expected and (i.sex is None or i.sex.firm))
    out = []
    for i in identities:
        for s in i.sexes[:1]:
            if s == expected:
                continue
            if (i.sex is None or i.sex.firm) and (agreeing < 2 or i.sex is not None and i.sex.corrected):
                out.append(finding("sex_mismatch", f"第{i.page}幅图像记载性别为“{s}”，与本人（{expected}）不符，请人工核对。",
                                   page=i.page))
            elif review is not None:
                why = "识别可信度低" if not i.sex.firm else "与本卷其他材料不符，可能识别有误"
                review.append(ReviewItem("sex", i.page, s, f"性别{why}，且与本人（{expected}）不符，请核对", i.sex.box))
    return out


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
