"""Material classes of a personnel file and the rules that put a form title into one (pure).

The canonical scheme is the 2018 《干部人事档案工作条例》 ten classes with sub-classes 四-1…四-4 and
九-1…九-4 (DOMAIN.md §5.4). The 1991 names, the 1992 enterprise-worker categories (劳力字〔1992〕33号)
and the four-class retiree practice are kept as alias maps onto it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CLASSES: dict[str, str] = {
    "一": "履历类材料",
    "二": "自传和思想类材料",
    "三": "考核鉴定类材料",
    "四": "学历学位、专业技术职务（职称）、学术评鉴和教育培训类材料",
    "四-1": "学历学位材料",
    "四-2": "专业技术职务（职称）材料",
    "四-3": "学术评鉴材料",
    "四-4": "教育培训材料",
    "五": "政审、审计和审核类材料",
    "六": "党、团类材料",
    "七": "表彰奖励类材料",
    "八": "违规违纪违法处理处分类材料",
    "九": "工资、任免、出国和会议代表类材料",
    "九-1": "工资材料",
    "九-2": "任免材料",
    "九-3": "出国（境）材料",
    "九-4": "会议代表材料",
    "十": "其他可供组织参考的材料",
}
ORDER = list(CLASSES)
MAIN = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"]

# 1991 《干部档案工作条例》 names → canonical class.
ALIASES_1991: dict[str, str] = {
    "履历材料": "一", "自传": "二", "自传材料": "二", "鉴定、考核、考察材料": "三",
    "学历和评聘专业技术职务材料": "四", "政审材料": "五", "参加中国共产党、共青团及民主党派的材料": "六",
    "奖励材料": "七", "处分材料": "八", "录用、任免、聘用、转业、工资、待遇、出国、退(离)休、退职材料及各种代表会代表登记表等材料": "九",
    "其他可供组织参考的材料": "十",
}
# 企业职工档案 categories 1..10 (劳力字〔1992〕33号 第六条) and the canonical class each maps to.
ENTERPRISE_CATEGORIES: dict[int, str] = {
    1: "履历材料", 2: "自传材料", 3: "鉴定、考核、考察材料", 4: "评定岗位技能和学历材料", 5: "政审材料",
    6: "参加中国共产党、共青团及民主党派的材料", 7: "奖励材料", 8: "处分材料",
    9: "招用、劳动合同、调动、聘用、复员退伍、转业、工资、保险福利待遇、出国、退休、退职等材料",
    10: "其他可供组织参考的材料",
}
# Simplified four-class retiree practice (dapx 832).
FOUR_CLASSES: dict[int, str] = {1: "招工、退休材料", 2: "工资待遇材料", 3: "加入党团材料", 4: "其他材料"}


def main_class(code: str) -> str:
    return code.split("-")[0]


def enterprise_category(code: str) -> int:
    """The 1992 enterprise-worker category of a canonical class."""
    main = main_class(code)
    if main == "四":
        return 4
    return MAIN.index(main) + 1


def four_class(code: str) -> int:
    if code == "九-2":
        return 1
    if code in ("九-1",) or main_class(code) == "九":
        return 2
    if main_class(code) == "六":
        return 3
    return 4


def from_alias(name: str) -> str | None:
    """Canonical code for a class name from any scheme (2018, 1991, 1992), or None."""
    for code, label in CLASSES.items():
        if name in (code, label):
            return code
    if name in ALIASES_1991:
        return ALIASES_1991[name]
    for n, label in ENTERPRISE_CATEGORIES.items():
        if name == label:
            return "四" if n == 4 else MAIN[n - 1]
    return None


@dataclass(frozen=True)
class TitleRule:
    pattern: str  # regular expression on the heading, spaces removed
    class_code: str
    title: str  # canonical title used in the 卷内目录 when the heading is garbled


# Order matters: the first rule that matches wins, so specific titles precede generic ones
# (转正定级 is wages, 预备党员转正 is party; 招工登记表 is 九-2 since 2015, not 履历).
TITLE_RULES: tuple[TitleRule, ...] = (
    TitleRule(r"入党志愿书", "六", "入党志愿书"),
    TitleRule(r"入团志愿书", "六", "入团志愿书"),
    TitleRule(r"党员登记表", "六", "党员登记表"),
    TitleRule(r"(预备党员)?转正申请|入党申请书", "六", "入党申请书"),
    TitleRule(r"转正定级", "九-1", "职工转正定级审批表"),
    TitleRule(r"工资(变动|调整|审批|升级)|调资|升级审批|定级", "九-1", "工资变动审批表"),
    TitleRule(r"养老金(核定|计发|审批)|养老保险待遇", "九-1", "基本养老金核定表"),
    TitleRule(r"(招工|录用|招收).*(审批|登记)|招工", "九-2", "招工审批表"),
    TitleRule(r"(退休|退职|病退).*(审批|申请|呈报)", "九-2", "退休审批表"),
    TitleRule(r"专业技术职务|职称|技术等级|技能鉴定|任职资格", "四-2", "专业技术职务材料"),
    TitleRule(r"劳动合同|调动|聘用|任免|任职|复员|退伍|转业|入伍", "九-2", "任免材料"),
    TitleRule(r"出国|出境|因私", "九-3", "出国（境）审批表"),
    TitleRule(r"代表.*登记表", "九-4", "代表登记表"),
    TitleRule(r"自传", "二", "自传"),
    TitleRule(r"思想(汇报|小结)", "二", "思想汇报"),
    TitleRule(r"鉴定|考核|考察", "三", "考核鉴定表"),
    TitleRule(r"毕业|学历|学籍|学位", "四-1", "学历学位材料"),
    TitleRule(r"学术|论文|著作", "四-3", "学术评鉴材料"),
    TitleRule(r"培训|进修|结业", "四-4", "教育培训材料"),
    TitleRule(r"政审|审计|(出生|参加工作)(日期|时间)认定|审核表", "五", "政审审核材料"),
    TitleRule(r"奖励|表彰|先进|劳动模范|劳模", "七", "奖励材料"),
    TitleRule(r"处分|处理决定|警告|记过", "八", "处分材料"),
    # Last: any other 登记表 is a record of some specific kind above, only a bare one is 履历.
    TitleRule(r"(职工|干部)?(登记表|履历表)|履历|简历", "一", "职工登记表"),
)
_TITLE_SUFFIX = re.compile(r"(表|书|报告|决定|证明|材料|自传|申请)$")


def match_title(heading: str) -> TitleRule | None:
    """The rule a page heading matches, if it looks like a document title at all."""
    h = re.sub(r"\s+", "", heading)
    if not 2 <= len(h) <= 30:
        return None
    for rule in TITLE_RULES:
        if re.search(rule.pattern, h):
            return rule
    return None


def classify(title: str) -> str:
    rule = match_title(title)
    return rule.class_code if rule else "十"


def looks_like_title(heading: str) -> bool:
    h = re.sub(r"\s+", "", heading)
    return 2 <= len(h) <= 30 and bool(_TITLE_SUFFIX.search(h))
