"""Page layouts of the personnel-file forms the sample generator renders.

Each template lays out one material of a retiree's file (职工登记表, 招工审批表 …) as drawing
operations on an A4 page at 300 dpi; the text operations are also the ground truth. Dates are made
consistent with the person's birth, work start and retirement so the 材料形成时间 is known.

Printed parts (titles, labels, rules) are typeset; what a clerk or the retiree filled in goes
through the material's ``Pen``. The Kai pen (``Pen()``) writes every value as one print-like Kai
string, as the generator always did. A handwriting pen (``Pen(face="long-cang", ...)``) places each
character on its own — baseline, size and slant jittered — in its ink colour, and adds the
accidents of real files when ``effects`` is on: values running over the cell lines, a value
struck through and corrected beside or above it (the truth holds the correction only), a red seal
stamped over a value, a faint or small printed title.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from handover.models import Retiree

from .fonts import font, glyph_kind, length, ring_box

W, H = 2480, 3508  # A4 at 300 dpi
LEFT, RIGHT, TOP = 210, 2270, 260
INK = (25, 25, 25)
BLUE = (20, 38, 110)  # ballpoint ink of the filled-in values
# Inks of handwritten values: blue-black fountain-pen ink, black, blue ballpoint, faded.
INKS = {"blue-black": (28, 36, 70), "black": (22, 22, 26), "ballpoint": (24, 52, 150), "faded": (92, 100, 128)}
FIELD_LABELS = ("姓名", "性别", "出生年月", "身份证号码")  # grid values reported in the truth's ``fields``


@dataclass(frozen=True)
class Glyph:
    """One handwritten character: top-left origin (as ``ImageDraw.text``), size, slant in degrees."""

    ch: str
    x: int
    y: int
    size: int
    angle: float
    pressure: float = 1.0  # ink density, 0..1


@dataclass
class Text:
    x: int
    y: int
    text: str
    kind: str  # font kind: serif, bold, sans, kai, hand:<face>
    size: int
    color: tuple[int, int, int] = INK
    glyphs: tuple[Glyph, ...] = ()  # handwriting: each character placed on its own
    truth: bool = True  # False: not in the truth text (a struck-through value)
    strike: bool = False  # crossed out with pen strokes

    @property
    def box(self) -> tuple[int, int, int, int]:
        if not self.glyphs:
            x0, y0, x1, y1 = font(self.kind, self.size).getbbox(self.text)
            return (self.x + x0, self.y + y0, self.x + x1, self.y + y1)
        boxes = []
        for g in self.glyphs:
            if g.ch.isspace():
                continue
            k = glyph_kind(self.kind, g.ch)
            if k is None:  # the drawn ring
                x0, y0, x1, y1 = ring_box(self.kind, g.size)
                boxes.append((g.x + x0, g.y + y0, g.x + x1, g.y + y1))
                continue
            x0, y0, x1, y1 = font(k, g.size).getbbox(g.ch)
            boxes.append((g.x + x0, g.y + y0, g.x + x1, g.y + y1))
        if not boxes:
            return (self.x, self.y, self.x + 1, self.y + 1)
        return (int(min(b[0] for b in boxes)), int(min(b[1] for b in boxes)),
                int(max(b[2] for b in boxes)) + 1, int(max(b[3] for b in boxes)) + 1)


@dataclass
class Rule:
    x0: int
    y0: int
    x1: int
    y1: int
    width: int = 4


@dataclass
class Seal:
    cx: int
    cy: int
    text: str
    r: int = 190


@dataclass
class Pen:
    """Who filled the form in, and with what: face, ink and (for handwriting) a source of jitter."""

    face: str = "kai"  # "kai" or a face of ocr.handfonts
    ink: tuple[int, int, int] = BLUE
    rng: random.Random | None = None
    effects: bool = False  # overruns, corrections, seals over values, faint titles
    overrun: float = 0.12  # share of values written too big or too low for their cell
    correction: float = 0.3  # share of forms with one value struck through and corrected
    seal_over_value: float = 0.3  # share of forms with a seal stamped over a value
    faint_title: float = 0.2  # share of forms whose printed title is faint or small

    @property
    def hand(self) -> bool:
        return self.face != "kai"

    @property
    def kind(self) -> str:
        return f"hand:{self.face}" if self.hand else "kai"

    def size(self, size: float) -> int:
        if not self.hand:
            return int(size)
        from .handfonts import FACES

        return int(round(size * FACES[self.face].scale))

    def length(self, s: str, size: float) -> float:
        return length(self.kind, self.size(size), s)

    def chance(self, p: float) -> bool:
        return bool(self.effects and self.rng is not None and self.rng.random() < p)

    def write(self, x: float, y: float, s: str, size: float, truth: bool = True, strike: bool = False) -> Text:
        """The handwritten ``s`` with its top-left at (x, y); ``size`` in Kai-equivalent pixels."""
        if not self.hand or self.rng is None:
            return Text(int(x), int(y), s, "kai", int(size), self.ink, truth=truth, strike=strike)
        rng, kind, base = self.rng, self.kind, self.size(size)
        y += _centre("kai", int(size)) - _centre(kind, base)  # same visual line as the Kai value
        drift = rng.uniform(-0.03, 0.03)  # the line climbs or sinks a little
        glyphs, cx = [], float(x)
        for ch in s:
            gs = max(14, int(round(base * rng.uniform(0.9, 1.08))))
            dy = rng.gauss(0, base * 0.035) + drift * (cx - x) + (base - gs) * 0.75
            angle = max(-6.0, min(6.0, rng.gauss(0, 2.4)))
            glyphs.append(Glyph(ch, int(round(cx)), int(round(y + dy)), gs, round(angle, 1),
                                round(rng.uniform(0.82, 1.0), 2)))
            cx += length(kind, gs, ch) * rng.uniform(0.93, 1.07)
        return Text(int(x), int(y), s, kind, base, self.ink, tuple(glyphs), truth, strike)


def _centre(kind: str, size: int) -> float:
    """Vertical centre of a full-height character below the drawing origin."""
    _, y0, _, y1 = font(kind, size).getbbox("国")
    return (y0 + y1) / 2


@dataclass
class Layout:
    heading: str
    quality: str  # "office" (printed prose), "form" (table with handwriting), "handwriting"
    ops: list = field(default_factory=list)
    pen: Pen = field(default_factory=Pen)
    fields: list = field(default_factory=list)  # (label, Text) of the FIELD_LABELS values
    corrected: bool = False  # a value on this page has been struck through and corrected

    def text(self, x, y, s, kind="serif", size=50, color=INK):
        self.ops.append(Text(int(x), int(y), s, kind, size, color))

    def hand(self, x, y, s, size=56, truth=True, strike=False) -> Text:
        """A filled-in value, written with the layout's pen."""
        op = self.pen.write(x, y, s, size, truth, strike)
        self.ops.append(op)
        return op

    def centred(self, y, s, kind="bold", size=92):
        w = font(kind, size).getlength(s)
        self.text((W - w) / 2, y, s, kind, size)

    def title(self, y, s, size=92):
        """The printed title of a form; a handwriting pen's files sometimes have it faint or small."""
        color = INK
        if self.pen.chance(self.pen.faint_title):
            if self.pen.rng.random() < 0.5:
                color = (self.pen.rng.randint(150, 175),) * 3  # worn-out or pale print
            else:
                size = int(size * self.pen.rng.uniform(0.55, 0.7))  # a small title over the form
        w = font("bold", size).getlength(s)
        self.text((W - w) / 2, y, s, "bold", size)
        self.ops[-1].color = color


@dataclass
class MaterialDraft:
    title: str
    class_code: str
    formed_on: dt.date
    pages: list[Layout]


def cn_date(d: dt.date) -> str:
    digits = "〇一二三四五六七八九"
    year = "".join(digits[int(c)] for c in str(d.year))

    def small(n: int) -> str:
        if n < 10:
            return digits[n]
        return ("" if n < 20 else digits[n // 10]) + "十" + (digits[n % 10] if n % 10 else "")
    return f"{year}年{small(d.month)}月{small(d.day)}日"


def ar_date(d: dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def ym(d: dt.date) -> str:
    return f"{d.year}年{d.month}月"


def grid(page: Layout, y: int, widths: list[int], rows: list[list[str]], row_h: int = 150) -> int:
    """Draw a ruled table; ``rows`` hold label/value strings, values marked with a leading "~".

    An empty string merges the cell into the one on its left. Returns the y below the table.
    Values are written with the page's pen; the values of ``FIELD_LABELS`` are recorded in
    ``page.fields``.
    """
    pen = page.pen
    xs = [LEFT]
    for w in widths:
        xs.append(xs[-1] + w)
    values = [c[1:] for row in rows for c in row if c.startswith("~") and len(c) > 1]
    fix = None  # (row, col) of the value struck through and corrected, at most one per page
    if pen.hand and not page.corrected and pen.chance(pen.correction):
        cand = [(r, i) for r, row in enumerate(rows) for i, c in enumerate(row)
                if c.startswith("~") and len(c) > 1 and _label_of(row, i) not in ("姓名", "身份证号码")]
        if cand:
            fix = pen.rng.choice(cand)
            page.corrected = True
    page.ops.append(Rule(LEFT, y, xs[-1], y))
    for r, row in enumerate(rows):
        page.ops.append(Rule(LEFT, y + row_h, xs[-1], y + row_h))
        page.ops.append(Rule(LEFT, y, LEFT, y + row_h))
        i = 0
        while i < len(row):
            j = i + 1
            while j < len(row) and row[j] == "":
                j += 1
            page.ops.append(Rule(xs[j], y, xs[j], y + row_h))
            cell = row[i]
            if cell:
                value = cell.startswith("~")
                s = cell[1:] if value else cell
                width = xs[j] - xs[i] - 40
                if value and pen.hand:
                    op = _hand_value(page, xs[i] + 20, y, width, row_h, s, values, (r, i) == fix)
                else:
                    kind, size, color = ("kai", 54, pen.ink) if value else ("serif", 48, INK)
                    f = font(kind, size)
                    while f.getlength(s) > width and size > 30:
                        size -= 2
                        f = font(kind, size)
                    page.text(xs[i] + 20, y + (row_h - size) / 2 - size * 0.12, s, kind, size, color)
                    op = page.ops[-1]
                label = _label_of(row, i)
                if value and label in FIELD_LABELS:
                    page.fields.append((label, op))
            i = j
        y += row_h
    return y


def _label_of(row: list[str], i: int) -> str:
    """The printed label a value cell belongs to: the nearest label cell to its left."""
    for k in range(i - 1, -1, -1):
        if row[k] and not row[k].startswith("~"):
            return row[k]
    return ""


def _hand_value(page: Layout, x: int, y: int, width: int, row_h: int, s: str, others: list[str],
                corrected: bool) -> Text:
    """One handwritten grid value; returns the op that holds its true text."""
    pen, rng = page.pen, page.pen.rng
    size = 54
    while pen.length(s, size) > width and size > 30:
        size -= 2
    ty = y + (row_h - size) / 2 - size * 0.12
    if corrected:
        wrong = _wrong_value(s, others, rng)
        beside = size
        while pen.length(wrong + s, beside) + 24 > width * 1.1 and beside > 34:
            beside -= 2
        if pen.length(wrong + s, beside) + 24 <= width * 1.1 and rng.random() < 0.5:
            ty = y + (row_h - beside) / 2 - beside * 0.12
            page.hand(x, ty, wrong, beside, truth=False, strike=True)
            return page.hand(x + pen.length(wrong, beside) + 24, ty, s, beside)
        # The correction squeezed in above the struck-through value, over the cell's top rule.
        small = max(30, int(size * 0.74))
        while pen.length(s, small) > width * 1.1 and small > 26:
            small -= 2
        page.hand(x, y + row_h * 0.42, wrong, small, truth=False, strike=True)
        return page.hand(x + rng.randint(0, 30), y - small * 0.28, s, small)
    if pen.chance(pen.overrun):  # written too big, or low, so the strokes cross the ruling
        size = int(size * rng.uniform(1.08, 1.25))
        ty += row_h * rng.uniform(0.12, 0.26)
    return page.hand(x, ty, s, size)


def _wrong_value(s: str, others: list[str], rng: random.Random) -> str:
    """A plausible slip of the pen: another value of the same form, or one digit changed."""
    pool = [o for o in others if o != s and abs(len(o) - len(s)) <= 4]
    digits = [k for k, ch in enumerate(s) if ch.isdigit()]
    if digits and (not pool or rng.random() < 0.6):
        k = rng.choice(digits)
        return s[:k] + rng.choice([d for d in "0123456789" if d != s[k]]) + s[k + 1:]
    if s in ("男", "女"):
        return "女" if s == "男" else "男"
    if pool:
        return rng.choice(pool)
    return s + s[-1]


def stamp_value(page: Layout, text: str) -> None:
    """A red seal stamped over a filled-in value (the name or birth date), as clerks did."""
    pen = page.pen
    if not pen.hand or not pen.chance(pen.seal_over_value):
        return
    targets = [op for label, op in page.fields if label in ("姓名", "出生年月")]
    if not targets:
        return
    x0, y0, x1, y1 = pen.rng.choice(targets).box
    page.ops.append(Seal(int((x0 + x1) / 2 + pen.rng.randint(-60, 60)), int((y0 + y1) / 2 + pen.rng.randint(-30, 30)),
                         text, r=pen.rng.randint(140, 170)))


def sign_block(page: Layout, y: int, who: str, day: dt.date, seal: str | None, x: int = 1350,
               chinese: bool = False) -> int:
    page.text(x, y, who, "serif", 50)
    page.hand(x + 60, y + 100, cn_date(day) if chinese else ar_date(day), 54)
    if seal:
        page.ops.append(Seal(x + 330, y + 90, seal))
    return y + 220


def wrap(s: str, kind: str, size: int, width: int) -> list[str]:
    f = font(kind, size)
    lines, cur = [], ""
    for ch in s:
        if f.getlength(cur + ch) > width:
            lines.append(cur)
            cur = ch
        else:
            cur += ch
    if cur:
        lines.append(cur)
    return lines


def hand_prose(page: Layout, y: int, paragraphs: list[str], size=56, leading=1.75) -> int:
    """Paragraphs written by hand with the page's pen (the Kai pen typesets them as before)."""
    pen = page.pen
    if not pen.hand:
        return prose(page, y, paragraphs, "kai", size, leading, color=pen.ink)
    width = RIGHT - LEFT
    for para in paragraphs:
        line, first = "", True
        lines = []
        for ch in para:
            indent = pen.length("\u3000\u3000", size) if first else 0
            if pen.length(line + ch, size) + indent > width * 0.97:
                lines.append((line, indent))
                line, first = ch, False
            else:
                line += ch
        if line:
            lines.append((line, pen.length("\u3000\u3000", size) if first else 0))
        for text, indent in lines:
            page.hand(LEFT + indent + pen.rng.randint(-8, 8), y, text, size)
            y += int(size * leading)
    return y


def prose(page: Layout, y: int, paragraphs: list[str], kind="serif", size=56, leading=1.75,
          color=INK) -> int:
    for para in paragraphs:
        for k, line in enumerate(wrap("\u3000\u3000" + para, kind, size, RIGHT - LEFT)):
            text = line.lstrip("\u3000")
            indent = font(kind, size).getlength("\u3000" * (len(line) - len(text)))
            page.text(LEFT + indent, y, text, kind, size, color)
            y += int(size * leading)
    return y


@dataclass
class Career:
    """Dates of one working life, derived from the roster record."""

    work_start: dt.date
    hired_on: dt.date
    regular_on: dt.date
    raises: list[dt.date]
    registered_on: dt.date
    bio_on: dt.date

    @classmethod
    def of(cls, r: Retiree, rng: random.Random) -> "Career":
        start = dt.date(r.birth_date.year + rng.randint(17, 21), rng.randint(1, 12), 1)
        hired = start - dt.timedelta(days=rng.randint(12, 40))
        regular = start.replace(year=start.year + 1) + dt.timedelta(days=rng.randint(0, 25))
        span = max(1, r.retired_on.year - start.year - 4)
        raises = sorted({dt.date(start.year + 3 + rng.randrange(span), rng.randint(1, 12), rng.randint(1, 28))
                         for _ in range(2)})
        return cls(start, hired, regular, raises,
                   start + dt.timedelta(days=rng.randint(30, 300)),
                   start + dt.timedelta(days=rng.randint(400, 900)))


def employee_register(r: Retiree, c: Career, unit: str, rng: random.Random, pen: Pen = Pen()) -> MaterialDraft:
    p = Layout("职工登记表", "form", pen=pen)
    p.title(TOP, "职工登记表")
    p.text(LEFT, TOP + 180, f"填报单位：{unit}", "serif", 48)
    hometown = r.hukou.city + r.hukou.county
    y = grid(p, TOP + 280, [330, 360, 300, 360, 300, 410], [
        ["姓名", "~" + r.name, "性别", "~" + r.sex.value, "民族", "~" + r.ethnicity],
        ["出生年月", "~" + ym(r.birth_date), "籍贯", "~" + hometown, ""],
        ["文化程度", "~" + r.education, "参加工作时间", "", "~" + ym(c.work_start), ""],
        ["政治面貌", "~" + ("群众" if not r.party_member else "中共党员"), "", "工种", "~" + r.former_position, ""],
        ["家庭住址", "~" + (r.hukou.street + r.hukou.detail)[:22], "", "", "", ""],
    ])
    stamp_value(p, unit)
    y = grid(p, y, [600, 1460], [["起止年月", "在何单位任何职"],
                                 ["~" + f"{r.birth_date.year + 7}.9-{c.work_start.year}.{c.work_start.month}", "~在家乡读书"],
                                 ["~" + f"{c.work_start.year}.{c.work_start.month}-", "~" + f"{unit}{r.former_position}"]])
    sign_block(p, y + 120, "填表日期", c.registered_on, None, x=1350)
    p.text(LEFT, y + 120, "本人签名：", "serif", 50)
    p.hand(LEFT + 260, y + 112, r.name, 58)
    return MaterialDraft("职工登记表", "一", c.registered_on, [p])


def recruitment(r: Retiree, c: Career, unit: str, rng: random.Random, pen: Pen = Pen()) -> MaterialDraft:
    p = Layout("招工审批表", "form", pen=pen)
    p.title(TOP, "招工审批表")
    y = grid(p, TOP + 260, [330, 360, 300, 360, 300, 410], [
        ["姓名", "~" + r.name, "性别", "~" + r.sex.value, "出生年月", "~" + ym(r.birth_date)],
        ["文化程度", "~" + r.education, "招收形式", "~全民固定工", "拟分工种", "~" + r.former_position],
        ["户口所在地", "~" + r.hukou.city + r.hukou.county + r.hukou.street, "", "", "", ""],
        ["招工单位意见", "~同意招收为全民所有制固定职工", "", "", "", ""],
    ])
    stamp_value(p, unit)
    unit_day = c.hired_on - dt.timedelta(days=rng.randint(5, 15))
    y = sign_block(p, y + 100, "招工单位（盖章）", unit_day, unit, x=LEFT + 80)
    p.text(LEFT, y + 40, "劳动部门审批意见：", "serif", 50)
    p.hand(LEFT + 480, y + 36, "经审核，同意招收。", 56)
    sign_block(p, y + 180, "劳动部门（盖章）", c.hired_on, "劳动局", x=1350)
    return MaterialDraft("招工审批表", "九-2", c.hired_on, [p])


def confirmation(r: Retiree, c: Career, unit: str, rng: random.Random, pen: Pen = Pen()) -> MaterialDraft:
    p = Layout("职工转正定级审批表", "form", pen=pen)
    p.title(TOP, "职工转正定级审批表")
    grade = rng.choice(["二级工", "三级工", "一级工"])
    y = grid(p, TOP + 260, [330, 360, 300, 360, 300, 410], [
        ["姓名", "~" + r.name, "性别", "~" + r.sex.value, "出生年月", "~" + ym(r.birth_date)],
        ["参加工作时间", "", "~" + ym(c.work_start), "工种", "~" + r.former_position, ""],
        ["学徒期满考核", "~合格", "定级工资等级", "", "~" + grade, ""],
        ["月工资标准", "~" + f"{rng.randint(30, 45)}.{rng.randint(0, 9)}0元", "", "执行时间", "~" + ym(c.regular_on), ""],
    ])
    stamp_value(p, unit)
    p.text(LEFT, y + 80, "本人小结：", "serif", 50)
    y = hand_prose(p, y + 180, ["学徒期间遵守劳动纪律，认真学习技术，服从分配，完成了各项生产任务。"], 56)
    y = sign_block(p, y + 60, "车间意见（签章）", c.regular_on - dt.timedelta(days=10), None, x=LEFT + 80)
    sign_block(p, y, "单位劳资部门（盖章）", c.regular_on, unit, x=1350)
    return MaterialDraft("职工转正定级审批表", "九-1", c.regular_on, [p])


def wage_change(r: Retiree, c: Career, unit: str, rng: random.Random, when: dt.date,
                pen: Pen = Pen()) -> MaterialDraft:
    p = Layout("职工工资变动审批表", "form", pen=pen)
    p.title(TOP, "职工工资变动审批表")
    old = rng.randint(60, 400)
    new = old + rng.randint(7, 60)
    y = grid(p, TOP + 260, [330, 360, 300, 360, 300, 410], [
        ["姓名", "~" + r.name, "性别", "~" + r.sex.value, "工种", "~" + r.former_position],
        ["变动原因", "~" + rng.choice(["调整工资", "晋升一级", "工资改革套改"]), "", "变动时间", "~" + ym(when), ""],
        ["原工资", "~" + f"{old}.00元", "", "现工资", "~" + f"{new}.00元", ""],
        ["增加额", "~" + f"{new - old}.00元", "", "备注", "", ""],
    ])
    stamp_value(p, unit)
    approved = when + dt.timedelta(days=rng.randint(3, 20))
    y = sign_block(p, y + 120, "单位意见（盖章）", when, None, x=LEFT + 80)
    sign_block(p, y, "劳动工资部门（盖章）", approved, unit, x=1350)
    return MaterialDraft("职工工资变动审批表", "九-1", approved, [p])


def party_application(r: Retiree, c: Career, unit: str, rng: random.Random, pen: Pen = Pen()) -> MaterialDraft:
    joined = r.party_joined_on or c.regular_on.replace(year=c.regular_on.year + 5)
    applied = joined - dt.timedelta(days=rng.randint(60, 200))
    p1 = Layout("入党志愿书", "handwriting", pen=pen)
    p1.centred(TOP + 200, "中国共产党", "bold", 110)
    p1.title(TOP + 420, "入党志愿书", 130)
    y = grid(p1, TOP + 800, [330, 360, 300, 360, 300, 410], [
        ["姓名", "~" + r.name, "性别", "~" + r.sex.value, "民族", "~" + r.ethnicity],
        ["出生年月", "~" + ym(r.birth_date), "文化程度", "~" + r.education, "工作单位", "~" + r.former_position],
    ])
    stamp_value(p1, "中国共产党" + unit[:6] + "支部委员会")
    p1.text(LEFT, y + 80, "入党志愿：", "serif", 52)
    hand_prose(p1, y + 190, [
        "我志愿加入中国共产党，拥护党的纲领，遵守党的章程，履行党员义务，执行党的决定，严守党的纪律，"
        "保守党的秘密，对党忠诚，积极工作，为共产主义奋斗终身。",
        "我在工作中努力学习政治理论和业务技术，虚心接受群众监督，请党组织在实践中考验我。"], 60)
    p2 = Layout("", "handwriting", pen=pen)
    y = hand_prose(p2, TOP, [
        "参加工作以来，在车间党支部的教育和帮助下，我认识到只有在党的领导下才能把本职工作做好。",
        f"我于{cn_date(applied)}向党支部递交了入党申请书，今后我将以实际行动争取早日成为一名共产党员。"],
        60)
    p2.text(1350, y + 100, "申请人：", "serif", 52)
    p2.hand(1580, y + 94, r.name, 60)
    p2.hand(1350, y + 220, cn_date(applied), 56)
    y += 420
    p2.text(LEFT, y, "支部大会决议：", "serif", 52)
    y = hand_prose(p2, y + 110, ["经支部大会讨论通过，同意接收为中共预备党员。"], 60)
    sign_block(p2, y + 80, "支部书记签名", joined, None, x=1350, chinese=True)
    return MaterialDraft("入党志愿书", "六", joined, [p1, p2])


def autobiography(r: Retiree, c: Career, unit: str, rng: random.Random, pen: Pen = Pen()) -> MaterialDraft:
    p = Layout("自传", "office", pen=pen)
    p.title(TOP, "自传")
    town = r.hukou.city + r.hukou.county
    school = r.birth_date.year + 7
    y = prose(p, TOP + 230, [
        f"我叫{r.name}，{r.sex.value}，{r.ethnicity}，{ym(r.birth_date)}出生于{town}。"
        f"家庭出身工人，本人成分学生。家中有父母和兄弟姐妹共五口人，父亲在本地工厂做工，母亲操持家务。",
        f"{school}年我进入本地小学读书，后来在县城读完{r.education}。在校期间学习努力，"
        f"尊敬老师，团结同学，多次被评为三好学生。",
        f"{c.work_start.year}年{c.work_start.month}月，我经劳动部门批准招收进入{unit}工作，"
        f"分配在生产车间当{r.former_position}。在师傅的带领下，我认真学习操作规程和安全知识，"
        "很快掌握了本岗位的基本技能，按时完成车间下达的生产任务。",
        "参加工作以来，我坚持学习政治理论和文化知识，遵守厂规厂纪，积极参加技术革新和劳动竞赛。"
        "我的缺点是性格急躁，有时工作方法简单，今后一定虚心向老同志学习，努力改正。",
        "以上是我的简要经历，本人所写情况全部属实，请组织审查。",
    ])
    p.text(1500, y + 100, "本人签名：", "serif", 56)
    p.hand(1790, y + 96, r.name, 60)
    p.text(1500, y + 220, ar_date(c.bio_on), "serif", 56)
    return MaterialDraft("自传", "二", c.bio_on, [p])


def retirement(r: Retiree, c: Career, unit: str, rng: random.Random, pen: Pen = Pen()) -> MaterialDraft:
    p = Layout("企业职工退休审批表", "form", pen=pen)
    p.title(TOP, "企业职工退休审批表")
    years = r.retired_on.year - c.work_start.year
    y = grid(p, TOP + 260, [330, 360, 300, 360, 300, 410], [
        ["姓名", "~" + r.name, "性别", "~" + r.sex.value, "出生年月", "~" + ym(r.birth_date)],
        ["身份证号码", "~" + r.id_number, "", "", "", ""],
        ["参加工作时间", "", "~" + ym(c.work_start), "连续工龄", "~" + f"{years}年", ""],
        ["原工作单位", "~" + unit, "", "", "工种", "~" + r.former_position],
        ["退休类别", "~" + rng.choice(["正常退休", "正常退休", "特殊工种提前退休"]), "", "退休时间", "~" + ym(r.retired_on), ""],
    ])
    stamp_value(p, unit)
    applied = r.retired_on - dt.timedelta(days=rng.randint(70, 90))
    unit_day = r.retired_on - dt.timedelta(days=rng.randint(45, 60))
    approved = r.retired_on - dt.timedelta(days=rng.randint(10, 30))
    p.text(LEFT, y + 60, "本人申请：", "serif", 50)
    p.hand(LEFT + 280, y + 56, "本人已到退休年龄，申请办理退休手续。", 56)
    p.hand(LEFT + 1300, y + 160, ar_date(applied), 54)
    y = sign_block(p, y + 300, "单位意见（盖章）", unit_day, unit, x=LEFT + 80)
    sign_block(p, y + 40, "社会保险经办机构审批（盖章）", approved, "社会保险事业管理局", x=1150)
    return MaterialDraft("企业职工退休审批表", "九-2", approved, [p])


def pension(r: Retiree, c: Career, unit: str, rng: random.Random, pen: Pen = Pen()) -> MaterialDraft:
    p = Layout("基本养老金核定表", "form", pen=pen)
    p.title(TOP, "基本养老金核定表")
    basic = rng.randint(300, 900)
    personal = rng.randint(200, 800)
    trans = rng.randint(100, 600)
    y = grid(p, TOP + 260, [330, 360, 300, 360, 300, 410], [
        ["姓名", "~" + r.name, "性别", "~" + r.sex.value, "退休时间", "~" + ym(r.retired_on)],
        ["身份证号码", "~" + r.id_number, "", "", "", ""],
        ["基础养老金", "~" + f"{basic}.00元", "", "个人账户养老金", "", "~" + f"{personal}.00元"],
        ["过渡性养老金", "~" + f"{trans}.00元", "", "合计", "", "~" + f"{basic + personal + trans}.00元"],
        ["起发时间", "~" + ym(r.retired_on), "", "发放方式", "", "~银行代发"],
    ])
    stamp_value(p, "社会保险事业管理局")
    checked = r.retired_on + dt.timedelta(days=rng.randint(3, 25))
    sign_block(p, y + 140, "经办机构（盖章）", checked, "社会保险事业管理局", x=1350)
    return MaterialDraft("基本养老金核定表", "九-1", checked, [p])
