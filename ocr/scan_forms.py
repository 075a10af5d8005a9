"""Page layouts of the personnel-file forms the sample generator renders.

Each template lays out one material of a retiree's file (职工登记表, 招工审批表 …) as drawing
operations on an A4 page at 300 dpi; the text operations are also the ground truth. Dates are made
consistent with the person's birth, work start and retirement so the 材料形成时间 is known.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from handover.models import Retiree

from .fonts import font

W, H = 2480, 3508  # A4 at 300 dpi
LEFT, RIGHT, TOP = 210, 2270, 260
INK = (25, 25, 25)
BLUE = (20, 38, 110)  # ballpoint ink of the filled-in values


@dataclass
class Text:
    x: int
    y: int
    text: str
    kind: str  # font kind: serif, bold, sans, kai
    size: int
    color: tuple[int, int, int] = INK

    @property
    def box(self) -> tuple[int, int, int, int]:
        x0, y0, x1, y1 = font(self.kind, self.size).getbbox(self.text)
        return (self.x + x0, self.y + y0, self.x + x1, self.y + y1)


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
class Layout:
    heading: str
    quality: str  # "office" (printed prose), "form" (table with handwriting), "handwriting"
    ops: list = field(default_factory=list)

    def text(self, x, y, s, kind="serif", size=50, color=INK):
        self.ops.append(Text(int(x), int(y), s, kind, size, color))

    def centred(self, y, s, kind="bold", size=92):
        w = font(kind, size).getlength(s)
        self.text((W - w) / 2, y, s, kind, size)


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
    """
    xs = [LEFT]
    for w in widths:
        xs.append(xs[-1] + w)
    page.ops.append(Rule(LEFT, y, xs[-1], y))
    for row in rows:
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
                kind, size, color = ("kai", 54, BLUE) if value else ("serif", 48, INK)
                width = xs[j] - xs[i] - 40
                f = font(kind, size)
                while f.getlength(s) > width and size > 30:
                    size -= 2
                    f = font(kind, size)
                page.text(xs[i] + 20, y + (row_h - size) / 2 - size * 0.12, s, kind, size, color)
            i = j
        y += row_h
    return y


def sign_block(page: Layout, y: int, who: str, day: dt.date, seal: str | None, x: int = 1350,
               chinese: bool = False) -> int:
    page.text(x, y, who, "serif", 50)
    page.text(x + 60, y + 100, cn_date(day) if chinese else ar_date(day), "kai", 54, BLUE)
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


def employee_register(r: Retiree, c: Career, unit: str, rng: random.Random) -> MaterialDraft:
    p = Layout("职工登记表", "form")
    p.centred(TOP, "职工登记表")
    p.text(LEFT, TOP + 180, f"填报单位：{unit}", "serif", 48)
    hometown = r.hukou.city + r.hukou.county
    y = grid(p, TOP + 280, [330, 360, 300, 360, 300, 410], [
        ["姓名", "~" + r.name, "性别", "~" + r.sex.value, "民族", "~" + r.ethnicity],
        ["出生年月", "~" + ym(r.birth_date), "籍贯", "~" + hometown, ""],
        ["文化程度", "~" + r.education, "参加工作时间", "", "~" + ym(c.work_start), ""],
        ["政治面貌", "~" + ("群众" if not r.party_member else "中共党员"), "", "工种", "~" + r.former_position, ""],
        ["家庭住址", "~" + (r.hukou.street + r.hukou.detail)[:22], "", "", "", ""],
    ])
    y = grid(p, y, [600, 1460], [["起止年月", "在何单位任何职"],
                                 ["~" + f"{r.birth_date.year + 7}.9-{c.work_start.year}.{c.work_start.month}", "~在家乡读书"],
                                 ["~" + f"{c.work_start.year}.{c.work_start.month}-", "~" + f"{unit}{r.former_position}"]])
    sign_block(p, y + 120, "填表日期", c.registered_on, None, x=1350)
    p.text(LEFT, y + 120, "本人签名：", "serif", 50)
    p.text(LEFT + 260, y + 112, r.name, "kai", 58, BLUE)
    return MaterialDraft("职工登记表", "一", c.registered_on, [p])


def recruitment(r: Retiree, c: Career, unit: str, rng: random.Random) -> MaterialDraft:
    p = Layout("招工审批表", "form")
    p.centred(TOP, "招工审批表")
    y = grid(p, TOP + 260, [330, 360, 300, 360, 300, 410], [
        ["姓名", "~" + r.name, "性别", "~" + r.sex.value, "出生年月", "~" + ym(r.birth_date)],
        ["文化程度", "~" + r.education, "招收形式", "~全民固定工", "拟分工种", "~" + r.former_position],
        ["户口所在地", "~" + r.hukou.city + r.hukou.county + r.hukou.street, "", "", "", ""],
        ["招工单位意见", "~同意招收为全民所有制固定职工", "", "", "", ""],
    ])
    unit_day = c.hired_on - dt.timedelta(days=rng.randint(5, 15))
    y = sign_block(p, y + 100, "招工单位（盖章）", unit_day, unit, x=LEFT + 80)
    p.text(LEFT, y + 40, "劳动部门审批意见：", "serif", 50)
    p.text(LEFT + 480, y + 36, "经审核，同意招收。", "kai", 56, BLUE)
    sign_block(p, y + 180, "劳动部门（盖章）", c.hired_on, "劳动局", x=1350)
    return MaterialDraft("招工审批表", "九-2", c.hired_on, [p])


def confirmation(r: Retiree, c: Career, unit: str, rng: random.Random) -> MaterialDraft:
    p = Layout("职工转正定级审批表", "form")
    p.centred(TOP, "职工转正定级审批表")
    grade = rng.choice(["二级工", "三级工", "一级工"])
    y = grid(p, TOP + 260, [330, 360, 300, 360, 300, 410], [
        ["姓名", "~" + r.name, "性别", "~" + r.sex.value, "出生年月", "~" + ym(r.birth_date)],
        ["参加工作时间", "", "~" + ym(c.work_start), "工种", "~" + r.former_position, ""],
        ["学徒期满考核", "~合格", "定级工资等级", "", "~" + grade, ""],
        ["月工资标准", "~" + f"{rng.randint(30, 45)}.{rng.randint(0, 9)}0元", "", "执行时间", "~" + ym(c.regular_on), ""],
    ])
    p.text(LEFT, y + 80, "本人小结：", "serif", 50)
    y = prose(p, y + 180, ["学徒期间遵守劳动纪律，认真学习技术，服从分配，完成了各项生产任务。"], "kai", 56, color=BLUE)
    y = sign_block(p, y + 60, "车间意见（签章）", c.regular_on - dt.timedelta(days=10), None, x=LEFT + 80)
    sign_block(p, y, "单位劳资部门（盖章）", c.regular_on, unit, x=1350)
    return MaterialDraft("职工转正定级审批表", "九-1", c.regular_on, [p])


def wage_change(r: Retiree, c: Career, unit: str, rng: random.Random, when: dt.date) -> MaterialDraft:
    p = Layout("职工工资变动审批表", "form")
    p.centred(TOP, "职工工资变动审批表")
    old = rng.randint(60, 400)
    new = old + rng.randint(7, 60)
    y = grid(p, TOP + 260, [330, 360, 300, 360, 300, 410], [
        ["姓名", "~" + r.name, "性别", "~" + r.sex.value, "工种", "~" + r.former_position],
        ["变动原因", "~" + rng.choice(["调整工资", "晋升一级", "工资改革套改"]), "", "变动时间", "~" + ym(when), ""],
        ["原工资", "~" + f"{old}.00元", "", "现工资", "~" + f"{new}.00元", ""],
        ["增加额", "~" + f"{new - old}.00元", "", "备注", "", ""],
    ])
    approved = when + dt.timedelta(days=rng.randint(3, 20))
    y = sign_block(p, y + 120, "单位意见（盖章）", when, None, x=LEFT + 80)
    sign_block(p, y, "劳动工资部门（盖章）", approved, unit, x=1350)
    return MaterialDraft("职工工资变动审批表", "九-1", approved, [p])


def party_application(r: Retiree, c: Career, unit: str, rng: random.Random) -> MaterialDraft:
    joined = r.party_joined_on or c.regular_on.replace(year=c.regular_on.year + 5)
    applied = joined - dt.timedelta(days=rng.randint(60, 200))
    p1 = Layout("入党志愿书", "handwriting")
    p1.centred(TOP + 200, "中国共产党", "bold", 110)
    p1.centred(TOP + 420, "入党志愿书", "bold", 130)
    y = grid(p1, TOP + 800, [330, 360, 300, 360, 300, 410], [
        ["姓名", "~" + r.name, "性别", "~" + r.sex.value, "民族", "~" + r.ethnicity],
        ["出生年月", "~" + ym(r.birth_date), "文化程度", "~" + r.education, "工作单位", "~" + r.former_position],
    ])
    p1.text(LEFT, y + 80, "入党志愿：", "serif", 52)
    prose(p1, y + 190, [
        "我志愿加入中国共产党，拥护党的纲领，遵守党的章程，履行党员义务，执行党的决定，严守党的纪律，"
        "保守党的秘密，对党忠诚，积极工作，为共产主义奋斗终身。",
        "我在工作中努力学习政治理论和业务技术，虚心接受群众监督，请党组织在实践中考验我。"], "kai", 60, color=BLUE)
    p2 = Layout("", "handwriting")
    y = prose(p2, TOP, [
        "参加工作以来，在车间党支部的教育和帮助下，我认识到只有在党的领导下才能把本职工作做好。",
        f"我于{cn_date(applied)}向党支部递交了入党申请书，今后我将以实际行动争取早日成为一名共产党员。"],
        "kai", 60, color=BLUE)
    p2.text(1350, y + 100, "申请人：", "serif", 52)
    p2.text(1580, y + 94, r.name, "kai", 60, BLUE)
    p2.text(1350, y + 220, cn_date(applied), "kai", 56, BLUE)
    y += 420
    p2.text(LEFT, y, "支部大会决议：", "serif", 52)
    y = prose(p2, y + 110, ["经支部大会讨论通过，同意接收为中共预备党员。"], "kai", 60, color=BLUE)
    sign_block(p2, y + 80, "支部书记签名", joined, None, x=1350, chinese=True)
    return MaterialDraft("入党志愿书", "六", joined, [p1, p2])


def autobiography(r: Retiree, c: Career, unit: str, rng: random.Random) -> MaterialDraft:
    p = Layout("自传", "office")
    p.centred(TOP, "自传")
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
    p.text(1790, y + 96, r.name, "kai", 60, BLUE)
    p.text(1500, y + 220, ar_date(c.bio_on), "serif", 56)
    return MaterialDraft("自传", "二", c.bio_on, [p])


def retirement(r: Retiree, c: Career, unit: str, rng: random.Random) -> MaterialDraft:
    p = Layout("企业职工退休审批表", "form")
    p.centred(TOP, "企业职工退休审批表")
    years = r.retired_on.year - c.work_start.year
    y = grid(p, TOP + 260, [330, 360, 300, 360, 300, 410], [
        ["姓名", "~" + r.name, "性别", "~" + r.sex.value, "出生年月", "~" + ym(r.birth_date)],
        ["参加工作时间", "", "~" + ym(c.work_start), "连续工龄", "~" + f"{years}年", ""],
        ["原工作单位", "~" + unit, "", "", "工种", "~" + r.former_position],
        ["退休类别", "~" + rng.choice(["正常退休", "正常退休", "特殊工种提前退休"]), "", "退休时间", "~" + ym(r.retired_on), ""],
    ])
    applied = r.retired_on - dt.timedelta(days=rng.randint(70, 90))
    unit_day = r.retired_on - dt.timedelta(days=rng.randint(45, 60))
    approved = r.retired_on - dt.timedelta(days=rng.randint(10, 30))
    p.text(LEFT, y + 60, "本人申请：", "serif", 50)
    p.text(LEFT + 280, y + 56, "本人已到退休年龄，申请办理退休手续。", "kai", 56, BLUE)
    p.text(LEFT + 1300, y + 160, ar_date(applied), "kai", 54, BLUE)
    y = sign_block(p, y + 300, "单位意见（盖章）", unit_day, unit, x=LEFT + 80)
    sign_block(p, y + 40, "社会保险经办机构审批（盖章）", approved, "社会保险事业管理局", x=1150)
    return MaterialDraft("企业职工退休审批表", "九-2", approved, [p])


def pension(r: Retiree, c: Career, unit: str, rng: random.Random) -> MaterialDraft:
    p = Layout("基本养老金核定表", "form")
    p.centred(TOP, "基本养老金核定表")
    basic = rng.randint(300, 900)
    personal = rng.randint(200, 800)
    trans = rng.randint(100, 600)
    y = grid(p, TOP + 260, [330, 360, 300, 360, 300, 410], [
        ["姓名", "~" + r.name, "性别", "~" + r.sex.value, "退休时间", "~" + ym(r.retired_on)],
        ["基础养老金", "~" + f"{basic}.00元", "", "个人账户养老金", "", "~" + f"{personal}.00元"],
        ["过渡性养老金", "~" + f"{trans}.00元", "", "合计", "", "~" + f"{basic + personal + trans}.00元"],
        ["起发时间", "~" + ym(r.retired_on), "", "发放方式", "", "~银行代发"],
    ])
    checked = r.retired_on + dt.timedelta(days=rng.randint(3, 25))
    sign_block(p, y + 140, "经办机构（盖章）", checked, "社会保险事业管理局", x=1350)
    return MaterialDraft("基本养老金核定表", "九-1", checked, [p])
