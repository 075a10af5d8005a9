"""Identity (pure): the file's own forms against the roster, and the birth-date rule of
劳社部发〔1999〕8号 (the birth date first recorded in the file prevails) — flagged for a person to
decide, never changed.

Reading a form: the value of a printed label (姓名, 身份证号码, 出生年月, 性别 …) is the text in the
cell right of the label on the same row, else in the cell directly below it; a printed label
(``text.FORM_LABELS``) is never a value, so an empty or unread cell gives no value instead of the
next label. A label and its value fused in one OCR line ("姓名：张三") are split. The first
occurrence on a page is the subject's (a spouse's 姓名 and 出生年月 come later on the 基本信息表).

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
from ocr import dates
from ocr.textnorm import edit_distance

from ..findings import Finding, finding
from ..review import Corrections, ReviewItem
from ..review import key as review_key
from ..volume import Page
from .text import cjk_only, cut_at_label, is_label, label_key, leading_label, norm

Box = tuple[int, int, int, int]

NAME_LABELS = ("姓名",)
SEX_LABELS = ("性别",)
BIRTH_LABELS = ("出生年月", "出生日期", "出生时间", "出生年月日")
POLITICAL_LABELS = ("政治面貌",)
ID_LABELS = ("公民身份号码", "身份证号码", "身份证号", "身份号码", "社会保障号码", "社会保障号码（身份证号）")
_FIELD_OF = {label_key(l): f for f, ls in (("name", NAME_LABELS), ("sex", SEX_LABELS), ("birth", BIRTH_LABELS),
                                           ("political", POLITICAL_LABELS), ("id_number", ID_LABELS))
             for l in ls}
_ID = re.compile(r"(?<![0-9])([0-9]{17}[0-9Xx]|[0-9]{15})(?![0-9Xx])")
_BIRTH_PROSE = re.compile(r"([0-9一二三四五六七八九〇零○Oo]{4}年[0-9一二三四五六七八九十〇零]{1,3}月"
                          r"(?:[0-9一二三四五六七八九十〇零廿]{1,4}日)?)(?:出生|生于)")
_LOST_PROSE = re.compile(r"([0-9一二三四五六七八九〇零○Oo\s]{2,5}年[0-9一二三四五六七八九十〇零]{1,3}月"
                         r"(?:[0-9一二三四五六七八九十〇零廿]{1,4}日)?)(?:出生|生于)")
_NAME = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff·]{2,8}")
# Words beside a 姓名 label that make it a relative's (配偶情况, 家庭成员 tables), not the subject's.
_FAMILY = re.compile(r"配偶|家庭|联系人|成员|称谓|关系|证明人|介绍人")
_VALUE_PUNCT = "：:，,。.·;；()（）、 "

# How sure a read must be (the engine's line confidence, 0–1). At SURE or above it is taken as
# written; between TRUST and SURE it is a doubtful read that can raise a doubt but never decide
# alone; below TRUST it counts as not read. RapidOCR gives printed text and clean handwriting
# ≥ 0.95; a handwritten value it misread typically comes out between 0.6 and 0.9.
SURE = 0.90
TRUST = 0.60
GAP_TO_VALUE = 6.0  # label heights: the farthest a value's first line may start right of its label
GAP_IN_VALUE = 2.0  # label heights: the widest gap between two pieces of one value
GAP_BELOW = 1.5  # label heights: the farthest a value may start below its label
ID_SLIP = 2  # digits: a valid ID this close to the person's is their own misread, not another's


@dataclass(frozen=True)
class Person:
    """Who the volume should belong to (the roster row, or volume.json when no roster is given)."""

    name: str
    id_number: str
    sex: str | None = None  # "男"/"女" from the roster; the ID's sex digit otherwise


@dataclass(frozen=True)
class Read:
    """One field's value as read from a page (or as archive staff corrected it)."""

    field: str  # name / sex / birth / id_number / political
    value: str  # "" when the cell was empty or not read
    confidence: float
    box: Box | None = None  # the value's box; the empty cell's area when nothing was read
    corrected: bool = False

    @property
    def firm(self) -> bool:
        return self.corrected or (bool(self.value) and self.confidence >= SURE)

    @property
    def trusted(self) -> bool:
        return self.corrected or (bool(self.value) and self.confidence >= TRUST)


@dataclass(frozen=True)
class BirthRecord:
    page: int
    year: int
    month: int
    day: int | None
    firm: bool = True  # read surely (or corrected): a doubtful read that disagrees is not used
    box: Box | None = None

    def label(self) -> str:
        return f"{self.year}年{self.month}月" + (f"{self.day}日" if self.day else "")

    def agrees(self, day: dt.date) -> bool:
        return (self.year, self.month) == (day.year, day.month) and (self.day is None or self.day == day.day)


@dataclass(frozen=True)
class PageIdentity:
    page: int
    names: tuple[str, ...] = ()  # the subject's name as read (trusted reads of a name's shape)
    sexes: tuple[str, ...] = ()
    births: tuple[BirthRecord, ...] = ()
    id_numbers: tuple[str, ...] = ()  # valid ID numbers anywhere on the page
    political: tuple[str, ...] = ()  # 政治面貌 as written
    name: Read | None = None  # the 姓名 cell (None: the page has no 姓名 label)
    sex: Read | None = None
    id_read: Read | None = None  # the 身份证号码 cell
    lost_births: tuple[Read, ...] = ()  # birth dates whose year lost a character (not guessed)
    others_text: str = ""  # the page's CJK text outside the 姓名 cell
    birth_digits: str = ""  # the digits of the 出生年月 cell ("194111" of "194111日"), for agreement only


# ---------------------------------------------------------------- reading the form's grid

@dataclass(frozen=True)
class _Cell:
    text: str  # normalized (NFKC, no whitespace)
    box: Box
    confidence: float
    label: str | None  # the printed label the text starts with (label_key form)

    @property
    def pure_label(self) -> bool:
        return self.label is not None and is_label(self.text)

    @property
    def height(self) -> int:
        return max(1, self.box[3] - self.box[1])


def _cells_of(page: Page) -> list[_Cell]:
    if page.lines:
        src = [(l.text, l.box, l.confidence) for l in page.lines]
    else:  # text only (no boxes): one line under the other, each its own row
        src = [(t, (0, 100 * i, 1000, 100 * i + 80), 1.0) for i, t in enumerate(page.text.splitlines())]
    cells = [_Cell(norm(t), tuple(b), c, leading_label(t)) for t, b, c in src if norm(t)]
    return sorted(cells, key=lambda c: (c.box[1], c.box[0]))


def _cells_of_lines(lines: Sequence[str]) -> list[_Cell]:
    return [_Cell(norm(t), (0, 100 * i, 1000, 100 * i + 80), 1.0, leading_label(t))
            for i, t in enumerate(lines) if norm(t)]


def _same_row(a: _Cell, b: _Cell) -> bool:
    overlap = min(a.box[3], b.box[3]) - max(a.box[1], b.box[1])
    return overlap >= 0.5 * min(a.height, b.height)


def _after_label(text: str, label: str) -> str:
    """What follows ``label`` (label_key form) at the start of ``text``, noise between skipped."""
    i = 0
    for ch in label:
        while i < len(text) and text[i] != ch and not label_key(text[i]):
            i += 1
        if i >= len(text) or text[i] != ch:
            return ""
        i += 1
    return text[i:].strip(_VALUE_PUNCT)


def _clean_value(text: str) -> str:
    return cut_at_label(text.strip(_VALUE_PUNCT)).strip(_VALUE_PUNCT)


def _value(label: _Cell, cells: Sequence[_Cell], field: str) -> Read:
    """The value of the field whose printed label is ``label``."""
    h = label.height
    rest = _after_label(label.text, label.label or "")
    if rest:  # "姓名：张三" in one line
        share = 1 - len(rest) / max(1, len(label.text))
        x0 = int(label.box[0] + (label.box[2] - label.box[0]) * share)
        return Read(field, _clean_value(rest), label.confidence, (x0, label.box[1], label.box[2], label.box[3]))
    row = [c for c in cells if c is not label and _same_row(c, label)]
    right = sorted((c for c in row if c.box[0] >= label.box[2] - 0.3 * h), key=lambda c: c.box[0])
    parts: list[_Cell] = []
    for c in right:
        if c.label is not None:
            break  # the next printed label: this cell ended
        gap = c.box[0] - (parts[-1].box[2] if parts else label.box[2])
        if gap > (GAP_IN_VALUE if parts else GAP_TO_VALUE) * h:
            break
        parts.append(c)
    if parts:
        box = (parts[0].box[0], min(p.box[1] for p in parts), parts[-1].box[2], max(p.box[3] for p in parts))
        return Read(field, _clean_value("".join(p.text for p in parts)), min(p.confidence for p in parts), box)
    header = bool(row) and all(c.pure_label for c in row)
    if not right or header:
        below = [c for c in cells if c.box[1] >= label.box[3] - 0.3 * h and c.box[1] - label.box[3] <= GAP_BELOW * h
                 and min(c.box[2], label.box[2]) > max(c.box[0], label.box[0])]
        if below:
            first = min(below, key=lambda c: c.box[1])
            if first.label is None:
                return Read(field, _clean_value(first.text), first.confidence, first.box)
    end = right[0].box[0] if right else label.box[2] + int(GAP_TO_VALUE * h)
    return Read(field, "", 0.0, (label.box[2], label.box[1], max(label.box[2] + 1, end), label.box[3]))


def _family(label: _Cell, cells: Sequence[_Cell]) -> bool:
    row = [c for c in cells if c is not label and _same_row(c, label)]
    if any(c.box[2] <= label.box[0] and _FAMILY.search(c.text) for c in row):
        return True
    return bool(row) and all(c.pure_label for c in row) and any(_FAMILY.search(c.text) for c in row)


def _reads(cells: Sequence[_Cell]) -> dict[str, list[Read]]:
    """Every labelled field's value on the page, in reading order."""
    out: dict[str, list[Read]] = {}
    for c in cells:
        field = _FIELD_OF.get(c.label or "")
        if field is None or (field in ("name", "birth") and _family(c, cells)):
            continue
        out.setdefault(field, []).append(_value(c, cells, field))
    return out


def field_values(lines: list[str], labels: Sequence[str]) -> list[str]:
    """Values written after a label: on the same line ("姓名：张三") or on the next one (never a
    label: "姓名" followed by "性别" has no value)."""
    keys = {label_key(l) for l in labels}
    cells = _cells_of_lines(lines)
    return [v.value for c in cells if c.label in keys if (v := _value(c, cells, "")).value]


def _name_shaped(value: str) -> bool:
    return bool(_NAME.fullmatch(value)) and len(cjk_only(value).replace("·", "")) <= 6


def _birth(page: int, read: Read) -> BirthRecord | None:
    """The birth date in a 出生年月 cell; doubtful when the cell holds two (one struck through)."""
    found = dates.year_months(read.value)
    if not found:
        return None
    year, month, day = found[0]
    single = len({(y, m) for y, m, _ in found}) == 1
    return BirthRecord(page, year, month, day, read.firm and single, read.box)


def page_identity(page: Page, corrections: Corrections | None = None) -> PageIdentity:
    """What the page says about whose it is; ``corrections`` (校对 answers) replace what OCR read."""
    cells = _cells_of(page)
    reads = _reads(cells)
    first = {f: rs[0] for f, rs in reads.items()}
    name = first.get("name")
    sex = first.get("sex")
    id_read = first.get("id_number")
    births, lost = [], []
    if (b := first.get("birth")) is not None and b.trusted:
        if (rec := _birth(page.index, b)) is not None:
            births.append(rec)
        elif dates.uncertain_dates(b.value):
            lost.append(b)
    for c in cells:  # prose: "……1963年5月出生于郑州"
        if (m := _BIRTH_PROSE.search(c.text)) and (got := dates.parse_year_month(m[1])):
            births.append(BirthRecord(page.index, *got, c.confidence >= SURE, c.box))
        elif (m := _LOST_PROSE.search(c.text)) and dates.uncertain_dates(m[1]):
            lost.append(Read("birth", m[1], c.confidence, c.box))
    ids = []
    for c in cells:
        for m in _ID.finditer(c.text):
            try:
                ids.append(idnumber.parse(m[1]).number)
            except idnumber.IdNumberError:
                continue  # a long figure that is not an ID number (amounts, file numbers)
    name_cells = {c for c in cells if name is not None and name.box is not None and _within(c.box, name.box)}
    others = cjk_only("".join(c.text for c in cells if c not in name_cells))
    political = tuple(r.value for r in reads.get("political", [])[:1] if r.value)
    corrections = corrections or {}
    def key(field: str) -> str:
        return review_key(field, page.index)

    if (v := corrections.get(key("name"))) is not None:
        name = Read("name", v.strip(), 1.0, name.box if name else None, corrected=True)
    if (v := corrections.get(key("sex"))) is not None:
        sex = Read("sex", v.strip(), 1.0, sex.box if sex else None, corrected=True)
    if (v := corrections.get(key("birth"))) is not None:
        got = dates.parse_year_month(v)
        births = [BirthRecord(page.index, *got)] if got else []
        lost = []
    if (v := corrections.get(key("id_number"))) is not None:
        id_read = Read("id_number", idnumber.normalize(v), 1.0, id_read.box if id_read else None, corrected=True)
        try:
            ids = [idnumber.parse(id_read.value).number]
        except idnumber.IdNumberError:
            ids = []
    names = (name.value,) if name is not None and name.trusted and _name_shaped(name.value) else ()
    sexes = (sex.value[0],) if sex is not None and sex.trusted and sex.value[:1] in ("男", "女") else ()
    first_birth = first.get("birth")
    digits = _id_digits(first_birth.value) if first_birth is not None and first_birth.trusted else ""
    return PageIdentity(page.index, names, sexes, tuple(births), tuple(dict.fromkeys(ids)), political,
                        name, sex, id_read, tuple(lost), others, digits)


def _within(inner: Box, outer: Box) -> bool:
    cx, cy = (inner[0] + inner[2]) / 2, (inner[1] + inner[3]) / 2
    return outer[0] <= cx <= outer[2] and outer[1] <= cy <= outer[3]


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


# ---------------------------------------------------------------- whose page is it

@dataclass(frozen=True)
class Verdict:
    page: int
    kind: str  # own / foreign / other_id / doubt / unread / unknown
    reason: str = ""  # in Chinese, for the finding
    items: tuple[ReviewItem, ...] = ()


# What OCR makes of handwritten digits in an ID number cell (H for 4, s for 5, l for 1 …).
_ID_LOOKALIKES = str.maketrans({"H": "4", "h": "4", "s": "5", "S": "5", "l": "1", "I": "1", "i": "1", "|": "1",
                                "O": "0", "o": "0", "D": "0", "Q": "0", "B": "8", "Z": "2", "z": "2", "G": "6",
                                "b": "6", "g": "9", "q": "9", "T": "7", "x": "X"})


def _id_digits(value: str) -> str:
    return re.sub(r"[^0-9X]", "", value.translate(_ID_LOOKALIKES))


def _own_id_misread(ident: PageIdentity, person: Person) -> bool:
    """The 身份证号码 cell holds the person's number with a digit or two misread (its check digit
    fails): their own, since another person's number differs in its birth date and sequence."""
    r = ident.id_read
    if r is None or r.corrected or not r.value or not person.id_number or ident.id_numbers:
        return False
    digits = _id_digits(r.value)
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
        elif r.trusted and _name_shaped(r.value):
            name_state, name_firm = name_agreement(r.value, person.name), r.firm
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
