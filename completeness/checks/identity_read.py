"""Reading identity fields (pure) from a form's grid of OCR lines: what a page says about whose it
is (姓名, 身份证号码, 出生年月, 性别, 政治面貌), with the 校对 queue's corrections in place of what
OCR read.

Reading a form: the value of a printed label (姓名, 身份证号码, 出生年月, 性别 …) is the text in the
cell right of the label on the same row, else in the cell directly below it; a printed label
(``text.FORM_LABELS``) is never a value, so an empty or unread cell gives no value instead of the
next label. A label and its value fused in one OCR line ("姓名：张三") are split. The first
occurrence on a page is the subject's (a spouse's 姓名 and 出生年月 come later on the 基本信息表).
Birth dates are also read from prose ("1963年5月出生于郑州"), and valid ID numbers anywhere on the
page. Values archive staff typed or confirmed in the 校对 queue replace what OCR read on that page.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from handover import idnumber
from ocr import dates
from ocr.layout import Box, centre_in

from ..review import Corrections
from ..review import key as review_key
from ..volume import Page
from .text import cjk_only, cut_at_label, is_label, label_key, leading_label, norm


NAME_LABELS = ("姓名",)
SEX_LABELS = ("性别",)
BIRTH_LABELS = ("出生年月", "出生日期", "出生时间", "出生年月日")
POLITICAL_LABELS = ("政治面貌",)
ID_LABELS = ("公民身份号码", "身份证号码", "身份证号", "身份号码", "社会保障号码", "社会保障号码（身份证号）")
_FIELD_OF = {label_key(l): f for f, ls in (("name", NAME_LABELS), ("sex", SEX_LABELS), ("birth", BIRTH_LABELS),
                                           ("political", POLITICAL_LABELS), ("id_number", ID_LABELS))
             for l in ls}
# A run of digits counts as an ID number only standing alone: OCR reads a handwritten 1 as l or |
# and X as ×, and the digits between such slips ("4l010219500910455×") are no number of their own.
_ID = re.compile(r"(?<![0-9A-Za-z|×])([0-9]{17}[0-9Xx]|[0-9]{15})(?![0-9A-Za-z|×])")
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


def name_shaped(value: str) -> bool:
    return bool(_NAME.fullmatch(value)) and len(cjk_only(value).replace("·", "")) <= 6


# What OCR makes of handwritten digits in an ID number cell (H for 4, s for 5, l for 1 …).
_ID_LOOKALIKES = str.maketrans({"H": "4", "h": "4", "s": "5", "S": "5", "l": "1", "I": "1", "i": "1", "|": "1",
                                "O": "0", "o": "0", "D": "0", "Q": "0", "B": "8", "Z": "2", "z": "2", "G": "6",
                                "b": "6", "g": "9", "q": "9", "T": "7", "x": "X", "×": "X"})


def id_digits(value: str) -> str:
    return re.sub(r"[^0-9X]", "", value.translate(_ID_LOOKALIKES))


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
    name_cells = {c for c in cells if name is not None and name.box is not None and centre_in(c.box, name.box)}
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
    names = (name.value,) if name is not None and name.trusted and name_shaped(name.value) else ()
    sexes = (sex.value[0],) if sex is not None and sex.trusted and sex.value[:1] in ("男", "女") else ()
    first_birth = first.get("birth")
    digits = id_digits(first_birth.value) if first_birth is not None and first_birth.trusted else ""
    return PageIdentity(page.index, names, sexes, tuple(births), tuple(dict.fromkeys(ids)), political,
                        name, sex, id_read, tuple(lost), others, digits)


def party_member_in_file(identities: Sequence[PageIdentity]) -> bool:
    """The file's own forms say 中共党员 (or 预备党员): used when no roster row is given."""
    return any("党员" in v for i in identities for v in i.political)
