"""Per-retiree forms of the seed (附件1—2 调查表, 附件1—3 基本信息表): layout grid and values.

One ``FormSpec`` drives both outputs: ``build_templates.py`` writes it as a DOCX table whose value
cells hold Jinja placeholders (``{{ v.name }}``), and the PDF renderer draws the same grid with
the values of ``*_values()``. Labels are exactly the seed's (DOMAIN.md §3.2, §3.3).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Literal

from handover import clock
from handover.models import Enterprise, Retiree, SpecialStatus

from .figures import cn_date, cn_month

Kind = Literal["label", "value", "check", "side", "unit"]
BOX, CHECKED = "☐", "☑"


@dataclass(frozen=True)
class Cell:
    text: str = ""  # label text (label/side/unit) or the value key (value/check)
    span: int = 1
    kind: Kind = "label"
    vmerge: Literal["", "restart", "continue"] = ""
    # A unit label (街道 / 镇 / 乡 after a place name) is printed from this value key; ``text`` is the
    # seed's label, printed where no value gives the unit.
    unit_key: str = ""

    @property
    def key(self) -> str:
        if self.kind == "unit":
            return self.unit_key
        return self.text if self.kind in ("value", "check") else ""


def L(text: str, span: int = 1) -> Cell:  # noqa: N802 - short names keep the grids readable
    return Cell(text, span, "label")


def V(key: str, span: int = 1) -> Cell:  # noqa: N802
    return Cell(key, span, "value")


def C(key: str, span: int = 1) -> Cell:  # noqa: N802
    return Cell(key, span, "check")


def U(label: str, key: str, span: int = 1) -> Cell:  # noqa: N802
    return Cell(label, span, "unit", unit_key=key)


def S(text: str, first: bool) -> Cell:  # noqa: N802
    """Vertical side label (基本情况 …) merged over the rows of its block."""
    return Cell("\n".join(text) if first else "", 1, "side", "restart" if first else "continue")


@dataclass(frozen=True)
class FormSpec:
    doc_type: str
    title: str
    units: int  # grid units across (the side column, if any, is one extra unit of side_width)
    widths: list[float]  # relative widths of the grid columns, len == units
    rows: list[list[Cell]]
    header: list[tuple[str, str]] = field(default_factory=list)  # (label, value key) above the table
    footer: list[tuple[str, str]] = field(default_factory=list)  # (label, value key) below
    note: str = ""
    orientation: Literal["portrait", "landscape"] = "portrait"
    row_height_mm: float = 10.0
    # The title and a copy label (第一联　企业留存) come with the values (``title``, ``copy_label``):
    # a region names the form in its own words and may keep several labelled copies.
    per_copy: bool = False
    # Paragraphs above the grid (a letter's salutation and text); ``{key}`` names a value.
    body: list[str] = field(default_factory=list)

    def validate(self) -> None:
        for i, row in enumerate(self.rows):
            if sum(c.span for c in row) != self.units:
                raise ValueError(f"{self.doc_type} row {i}: spans {sum(c.span for c in row)} != {self.units}")

    def footer_lines(self) -> list[list[tuple[str, str]]]:
        """The signature footer in lines of two (portrait) or four (landscape) entries."""
        per = 4 if self.orientation == "landscape" else 2
        return [self.footer[i:i + per] for i in range(0, len(self.footer), per)]

    def labels(self) -> list[str]:
        out = [c.text for row in self.rows for c in row if c.kind in ("label", "side", "unit")]
        return [t.replace("\n", "") for t in out if t] + [h for h, _ in self.header + self.footer]


# --- 附件1—2 企业退休人员移交地情况调查表 (portrait, 20 units) -------------------------------

def _addr_row(label: str, prefix: str) -> list[Cell]:
    return [L(label, 4), V(f"{prefix}_province", 2), L("省"), V(f"{prefix}_city", 2), L("市"),
            V(f"{prefix}_county", 3), L("县(区)", 2), V(f"{prefix}_street", 3), U("街道", f"{prefix}_street_unit", 2),
            V(f"{prefix}_community", 2), L("社区\n(村)", 2)]


SURVEY = FormSpec(
    doc_type="destination_survey",
    title="企业退休人员移交地情况调查表",
    units=24,
    widths=[1.0] * 24,
    rows=[
        [L("姓名", 4), V("name", 4), L("性别", 2), V("sex", 2), L("身份证号", 4), V("id_number", 8)],
        [L("社会保障号码", 4), V("ssn", 20)],
        _addr_row("户口所在地地址", "hukou"),
        _addr_row("常年居住地地址", "residence"),
        [L("邮政编码", 4), V("postcode", 6), L("本人联系电话", 6), V("phone", 8)],
        [L("原工作单位", 4), V("former_employer", 20)],
        [L("原单位联系人", 4), V("contact", 6), L("原单位联系人电话", 6), V("contact_phone", 8)],
        [L("确认的移交地\n县(市、区)", 4), V("dest_county", 8), U("街道", "dest_street_unit", 4), V("dest_street", 8)],
        [L("社区", 4), V("dest_community", 20)],
    ],
    footer=[("企业劳资部门签章", "seal"), ("企业经办人", "clerk"), ("时间", "date"),
            ("退休人员本人签名", "signature")],
    row_height_mm=16.0,
)

# --- 附件1—3 企业退休人员社会化管理服务基本信息表 (landscape, side column + 30 units) ------

_SIDE = 1  # the side-label column is grid column 0


def _home_row(label: str, prefix: str) -> list[Cell]:
    return [L(label, 3), V(f"{prefix}_city", 3), L("市"), V(f"{prefix}_county", 3), L("县(区)", 2),
            V(f"{prefix}_street", 2), U("街道", f"{prefix}_street_unit", 2), V(f"{prefix}_road", 3), L("路"),
            V(f"{prefix}_no", 1),
            L("号"), V(f"{prefix}_room", 2), L("室"), L("电话", 2), V(f"{prefix}_phone", 3)]


BASIC_INFO = FormSpec(
    doc_type="basic_info_form",
    title="企业退休人员社会化管理服务基本信息表",
    units=31,
    widths=[0.9] + [1.0] * 30,
    rows=[
        [S("基本情况", True), L("姓名", 2), V("name", 2), L("性别", 2), V("sex", 1), L("民族", 2),
         V("ethnicity", 2), L("出生年月", 2), V("birth", 3), L("身份证号", 2), V("id_number", 5),
         L("政治面貌", 2), V("political", 2), L("健康状况", 2), V("health", 1)],
        [S("基本情况", False), L("原工作单位", 3), V("former_employer", 9), L("原任职务", 2),
         V("position", 3), L("退休年月", 2), V("retired", 3), L("档案存放地点", 3), V("storage", 5)],
        [S("基本情况", False), L("文化程度", 3), V("education", 5), L("特长技能", 3), V("skills", 7),
         L("兴趣及爱好", 3), V("hobbies", 9)],
        [S("基本情况", False), L("发挥作用情况", 3), C("contribution", 27)],
        [S("基本情况", False), L("特殊人员情况", 3), C("special", 27)],
        [S("社会保障情况", True), L("基本养老金", 3), V("pension", 5), L("社会保障号码", 3),
         V("ssn", 9), L("工伤等级", 3), V("injury_grade", 7)],
        [S("社会保障情况", False), L("是否享受低保", 3), V("dibao", 3), L("社会保险关系所在地", 4),
         V("si_place", 7), L("参保情况", 3), C("insured", 10)],
        [S("家庭情况", True), L("居住情况", 3), C("living", 27)],
        [S("家庭情况", False), *_home_row("户口所在地", "hukou")],
        [S("家庭情况", False), *_home_row("现居住地", "residence")],
        [S("家庭情况", False), Cell("配偶情况", 3, "label", "restart"), L("姓名", 2), V("spouse_name", 3),
         L("出生年月", 2), V("spouse_birth", 3), L("联系电话", 2), V("spouse_phone", 4),
         L("原(现)工作单位", 4), V("spouse_employer", 7)],
        [S("家庭情况", False), Cell("", 3, "label", "continue"), L("目前状况", 3), C("spouse_status", 12),
         L("健康状况", 3), V("spouse_health", 9)],
        [S("家庭情况", False), Cell("家庭其他\n联系人", 3, "label", "restart"), L("姓名", 3), L("关系", 2),
         L("工作单位", 7), L("联系电话", 5), L("详细地址及邮政编码", 10)],
        *[[S("家庭情况", False), Cell("", 3, "label", "continue"), V(f"kin{i}_name", 3),
           V(f"kin{i}_relation", 2), V(f"kin{i}_employer", 7), V(f"kin{i}_phone", 5),
           V(f"kin{i}_address", 10)] for i in range(3)],
    ],
    header=[("个人编号", "person_no"), ("档案编号", "dossier_no"), ("自管小组", "group"), ("No", "serial")],
    note="说明：表中相关信息主要由单位及个人共同填写，并提供电子文档。",
    orientation="landscape",
    row_height_mm=8.5,
    per_copy=True,
)

# --- 介绍信 (咸宁 第六条 6.党组织关系转接): one per party member, portrait, 12 units ----------
# 各国有企业负责开具介绍信，载明党员信息和党费缴纳等情况，及时将退休人员党组织关系转入其长期居住地
# 街道和社区党组织 — the letter's text is the seed's; the grid holds the 党员信息 and 党费缴纳情况.

PARTY_LETTER = FormSpec(
    doc_type="party_letter",
    title="介绍信",
    units=12,
    widths=[1.0] * 12,
    rows=[
        [L("姓名", 2), V("name", 2), L("性别", 2), V("sex", 2), L("出生年月", 2), V("birth", 2)],
        [L("身份证号", 2), V("id_number", 6), L("入党时间", 2), V("joined", 2)],
        [L("党员类别", 2), V("status", 2), L("原党组织", 2), V("from_org", 6)],
        [L("现居住地址", 2), V("residence", 10)],
        [L("党费缴纳情况", 2), V("dues", 10)],
        [L("转入党组织", 2), V("to_org", 10)],
    ],
    header=[("编号", "letter_no")],
    body=["{to_org}：",
          "　　兹介绍{name}同志（{status}）系我单位退休人员，其党组织关系转入你处，请接洽。"
          "党员信息和党费缴纳等情况载明如下。"],
    footer=[("出具党组织（盖章）", "seal"), ("日期", "date")],
    note="说明：此介绍信由企业开具，党组织关系转入退休人员长期居住地街道和社区党组织。",
    row_height_mm=12.0,
    per_copy=True,
)


def party_letter_values(r: Retiree, enterprise: Enterprise, destination, letter_no: str,
                        from_org: str = "") -> dict[str, str]:
    return {"letter_no": letter_no, "name": r.name, "sex": str(r.sex), "birth": cn_month(r.birth_date),
            "id_number": r.id_number, "joined": cn_month(r.party_joined_on), "status": r.political_status,
            "from_org": from_org or f"{enterprise.name}党组织", "residence": r.residence.full(),
            "dues": f"党费缴至{cn_month(r.party_dues_paid_to) or '　　　　年　　月'}", "to_org": f"{destination.street}{destination.community}党组织",
            "seal": "", "date": "　　年　　月　　日"}


# --- 昆明市国有企业退休人员信息采集表 (晋宁 第二十一条（一）): one per retiree, portrait --------
# 企业在办理职工退休手续前一个月，通过昆明市退休人员社会化管理服务信息系统，完成个人信息采集，扫描上传
# 《昆明市国有企业退休人员信息采集表》（纸质版签字页）。国有企业退休人员凭退休证，到社区（村委会）报到 —
# the seed names the form, not its fields: these are what the seed's procedure needs (the person, the
# 退休证 shown at 报到, the 长期居住地 / 户口所在地 that choose the community, 上门接收).

INFO_COLLECTION = FormSpec(
    doc_type="info_collection_form",
    title="昆明市国有企业退休人员信息采集表",
    units=12,
    widths=[1.0] * 12,
    rows=[
        [L("姓名", 2), V("name", 2), L("性别", 2), V("sex", 2), L("民族", 2), V("ethnicity", 2)],
        [L("出生年月", 2), V("birth", 2), L("公民身份号码", 2), V("id_number", 6)],
        [L("政治面貌", 2), V("political", 2), L("健康状况", 2), V("health", 2), L("联系电话", 2), V("phone", 2)],
        [L("原工作单位", 2), V("former_employer", 6), L("原任职务", 2), V("position", 2)],
        [L("退休时间", 2), V("retired", 2), L("退休证编号", 2), V("certificate_no", 6)],
        [L("户口所在地", 2), V("hukou", 10)],
        [L("长期居住地", 2), V("residence", 10)],
        [L("接受管理服务的\n乡镇（街道）\n社区（村委会）", 2), V("destination", 10)],
        [L("不能自主报到\n（上门接收）", 2), C("home_visit", 10)],
    ],
    header=[("编号", "serial"), ("信息采集上传期限", "due")],
    footer=[("退休人员本人签名", "signature"), ("企业经办人", "clerk"), ("企业（盖章）", "seal"),
            ("日期", "date")],
    note="说明：企业在办理职工退休手续前一个月，通过昆明市退休人员社会化管理服务信息系统完成个人信息采集，"
         "本表经退休人员本人签字后扫描上传（纸质版签字页）。退休人员凭退休证到社区（村委会）报到，接受社会化管理服务。",
    row_height_mm=12.0,
    per_copy=True,
)


def month_before(day: dt.date) -> dt.date:
    """The same day a month earlier (31 March -> 28/29 February)."""
    year, month = (day.year, day.month - 1) if day.month > 1 else (day.year - 1, 12)
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def info_collection_values(r: Retiree, enterprise: Enterprise, destination, serial: int,
                           title: str = INFO_COLLECTION.title, today: dt.date | None = None) -> dict[str, str]:
    """The form of one retiree; its upload is due a month before the retirement (the seed's 前一个月),
    for someone retired by ``today`` it is collected now."""
    due = month_before(r.retired_on)
    when = f"{cn_date(due)}前" if today is None or due >= today else "已退休人员补充采集"
    return {"serial": f"{serial:05d}", "due": f"办理退休手续前一个月（{when}）",
            "name": r.name, "sex": str(r.sex), "ethnicity": r.ethnicity, "birth": cn_month(r.birth_date),
            "id_number": r.id_number, "political": r.political_status, "health": r.health, "phone": r.phone,
            "former_employer": r.former_employer or enterprise.name, "position": r.former_position,
            "retired": cn_month(r.retired_on), "certificate_no": "", "hukou": r.hukou.full(),
            "residence": r.residence.full(),
            "destination": f"{destination.county}{destination.street}{destination.community}",
            "home_visit": checks("home_visit", set()),
            "signature": "", "clerk": "", "seal": "", "date": "　　年　　月　　日", "title": title, "copy_label": ""}


# --- 党员组织关系移交协议 (晋宁 第二十一条（二）): one per party member, portrait ------------
# The annex of 晋政办〔2020〕16号 is not reproduced in the seed: the parties and the member's 党员信息
# are the grid, the clauses the profile's ``[party_agreement]`` (the seed's words).

PARTY_AGREEMENT = FormSpec(
    doc_type="party_transfer_agreement",
    title="退休人员社会化管理党员组织关系移交协议",
    units=12,
    widths=[1.0] * 12,
    rows=[
        [L("姓名", 2), V("name", 2), L("性别", 2), V("sex", 2), L("出生年月", 2), V("birth", 2)],
        [L("公民身份号码", 2), V("id_number", 6), L("入党时间", 2), V("joined", 2)],
        [L("党员类别", 2), V("status", 2), L("退休时间", 2), V("retired", 6)],
        [L("长期居住地", 2), V("residence", 10)],
        [L("甲方\n（移交党组织）", 2), V("from_org", 10)],
        [L("乙方\n（接收党组织）", 2), V("to_org", 10)],
    ],
    header=[("编号", "number")],
    body=["{clauses}"],
    footer=[("甲方（盖章）", "seal_a"), ("乙方（盖章）", "seal_b"), ("党员本人签名", "signature"),
            ("日期", "date")],
    row_height_mm=10.0,
    per_copy=True,
)


def party_agreement_values(r: Retiree, enterprise: Enterprise, destination, number: str,
                           clauses: list[str], from_org: str = "") -> dict[str, str]:
    parties = {"name": r.name, "from_org": from_org or f"{enterprise.name}党组织",
               "to_org": f"{destination.street}{destination.community}党组织"}
    text = "\n".join(f"　　{_CN[i]}、{c.format_map(parties)}" for i, c in enumerate(clauses))
    return {**parties, "number": number, "sex": str(r.sex), "birth": cn_month(r.birth_date),
            "id_number": r.id_number, "joined": cn_month(r.party_joined_on), "status": r.political_status,
            "retired": cn_month(r.retired_on), "residence": r.residence.full(), "clauses": text,
            "seal_a": "", "seal_b": "", "signature": "", "date": "　　年　　月　　日"}


_CN = "一二三四五六七八九十"


# 咸宁: the form is confirmed and signed by the retiree and the enterprise clerk, then sealed.
SIGNED_FOOTER = [("退休人员本人签名", "signature"), ("企业经办人", "clerk"), ("企业（盖章）", "seal"),
                 ("日期", "date")]

CHECK_GROUPS: dict[str, list[str]] = {
    "contribution": ["从事专业技术服务", "创办经济实体", "从事社会公益活动"],
    "special": [s.value for s in SpecialStatus],
    "insured": ["养老", "医疗", "工伤"],
    "living": ["本地人员", "异地人员", "出国(境)居住"],
    "spouse_status": ["在职", "无职业", "离退休"],
    # 晋宁 第二十一条（一）: those the community staff receive at home
    "home_visit": ["重病卧床", "行动困难", "入住养老服务机构", "精神康复医院"],
}


def checks(group: str, chosen: set[str] | frozenset[str]) -> str:
    """``建国前参加工作☐　七十以上高龄☑ …`` — box after the option, as on the seed form."""
    return "　".join(f"{opt}{CHECKED if opt in chosen else BOX}" for opt in CHECK_GROUPS[group])


_DETAIL = re.compile(r"^(?P<road>.*?(?:路|街|巷|道|大道))?(?P<no>\d+号)?(?P<room>.*)$")


def split_detail(detail: str) -> tuple[str, str, str]:
    """建设路12号3号楼2单元301室 -> (建设, 12, 3号楼2单元301) for the 路 / 号 / 室 blanks."""
    m = _DETAIL.match(detail or "")
    if not m:
        return detail, "", ""
    road = (m.group("road") or "").removesuffix("路")
    no = (m.group("no") or "").removesuffix("号")
    room = (m.group("room") or "").removesuffix("室")
    return road, no, room


# The name endings of each level of place, with the unit the form prints after the rest of the name.
# The seed's labels are 县(区), 街道 and 社区(村): a county or community keeps the label and loses the
# ending it repeats (二七区 -> 二七 | 县(区)); a 镇 or 乡 is not a 街道, so its unit is the label
# (鱼岳镇 -> 鱼岳 | 镇, never 鱼岳镇 | 街道).
PLACE_ENDINGS: dict[str, tuple[tuple[str, str], ...]] = {
    "county": (("区", "县(区)"), ("县", "县(区)")),
    "street": (("街道办事处", "街道"), ("街道", "街道"), ("镇", "镇"), ("乡", "乡")),
    "community": (("社区居民委员会", "社区(村)"), ("社区居委会", "社区(村)"), ("社区", "社区(村)"),
                  ("村民委员会", "社区(村)"), ("村委会", "社区(村)"), ("村", "社区(村)")),
}
SEED_UNIT = {"county": "县(区)", "street": "街道", "community": "社区(村)"}


def place_part(name: str, level: str) -> tuple[str, str]:
    """``name`` as the form writes it before its unit, and that unit: 二七区 -> (二七, 县(区)),
    鱼岳镇 -> (鱼岳, 镇). A name that would be left with under two characters (城区) or has
    another ending (赤壁市, 建中街) is kept whole, before the seed's label."""
    for ending, unit in PLACE_ENDINGS[level]:
        if name.endswith(ending) and len(name) - len(ending) >= 2:
            return name.removesuffix(ending), unit
    return name, SEED_UNIT[level]


def _address_values(prefix: str, a, levels: tuple[str, ...]) -> dict[str, str]:
    """The place cells of one address row: each level's name and, for the street, its unit."""
    v = {}
    for level in levels:
        v[f"{prefix}_{level}"], unit = place_part(getattr(a, level), level)
        if level == "street":
            v[f"{prefix}_street_unit"] = unit
    return v


def survey_values(r: Retiree, enterprise: Enterprise, destination=None) -> dict[str, str]:
    dest_street = destination.street if destination else ""
    v = {"name": r.name, "sex": str(r.sex), "id_number": r.id_number, "ssn": r.id_number,
         "postcode": r.postcode, "phone": r.phone, "former_employer": r.former_employer or enterprise.name,
         "contact": enterprise.contact, "contact_phone": enterprise.phone,
         "dest_county": destination.county if destination else "",
         "dest_street": dest_street,
         # the label before the whole name: 街道, or 乡镇 for a 镇 or 乡
         "dest_street_unit": "乡镇" if dest_street.endswith(("镇", "乡")) else "街道",
         "dest_community": destination.community if destination else "",
         "seal": "", "clerk": "", "date": "　　年　　月　　日", "signature": ""}
    for prefix, a in (("hukou", r.hukou), ("residence", r.residence)):
        v[f"{prefix}_province"] = a.province.removesuffix("省")
        v[f"{prefix}_city"] = a.city.removesuffix("市")
        v.update(_address_values(prefix, a, ("county", "street", "community")))
    return v


def basic_info_values(r: Retiree, enterprise: Enterprise, serial: int, dossier_no: str = "",
                      storage: str = "", home_province: str = "", dated: dt.date | None = None) -> dict[str, str]:
    """One person's 基本信息表 as of ``dated``, the document's date (七十以上高龄 is that day's age)."""
    local = not home_province or r.residence.province in ("", home_province)
    v = {"person_no": r.person_no, "dossier_no": dossier_no, "group": "", "serial": f"{serial:05d}",
         "name": r.name, "sex": str(r.sex), "ethnicity": r.ethnicity, "birth": cn_month(r.birth_date),
         "id_number": r.id_number, "political": r.political_status, "health": r.health,
         "former_employer": r.former_employer or enterprise.name, "position": r.former_position,
         "retired": cn_month(r.retired_on), "storage": storage, "education": r.education,
         "skills": "", "hobbies": "",
         "contribution": checks("contribution", set()),
         "special": checks("special", {s.value for s in r.special_on(dated or clock.today())}),
         "pension": f"{r.pension}元" if r.pension else "", "ssn": r.id_number, "injury_grade": "",
         "dibao": "", "si_place": enterprise.insured_county or enterprise.location.county,
         "insured": checks("insured", {"养老"} if r.pension else set()),
         "living": checks("living", {"本地人员" if local else "异地人员"}),
         "spouse_name": "", "spouse_birth": "", "spouse_phone": "", "spouse_employer": "",
         "spouse_status": checks("spouse_status", set()), "spouse_health": "",
         "signature": "", "clerk": "", "seal": "", "date": "　　年　　月　　日",
         "title": BASIC_INFO.title, "copy_label": ""}  # a region's title and copies: copies_of_form
    for prefix, a, phone in (("hukou", r.hukou, ""), ("residence", r.residence, r.phone)):
        road, no, room = split_detail(a.detail)
        v.update(_address_values(prefix, a, ("county", "street")))
        v.update({f"{prefix}_city": a.city.removesuffix("市"), f"{prefix}_road": road,
                  f"{prefix}_no": no, f"{prefix}_room": room, f"{prefix}_phone": phone})
    for i in range(3):
        for k in ("name", "relation", "employer", "phone", "address"):
            v[f"kin{i}_{k}"] = ""
    return v


def copies_of_form(values: list[dict[str, str]], title: str, labels: list[str]) -> list[dict[str, str]]:
    """Each person's form once per copy, copies of a person together (they are signed together)."""
    return [{**v, "title": title, "copy_label": label} for v in values for label in labels]


def form_for(spec: FormSpec, signed: bool) -> FormSpec:
    """The 咸宁 variant adds the signature footer to the 基本信息表."""
    if not signed or spec.footer:
        return spec
    return FormSpec(**{**spec.__dict__, "footer": SIGNED_FOOTER})


for _spec in (SURVEY, BASIC_INFO, PARTY_LETTER, INFO_COLLECTION, PARTY_AGREEMENT):
    _spec.validate()

