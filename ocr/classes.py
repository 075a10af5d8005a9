"""Material classes of a personnel file and the rules that put a form title into one (pure).

The canonical scheme is the 2018 《干部人事档案工作条例》 ten classes with sub-classes 四-1…四-4 and
九-1…九-4 (DOMAIN.md §5.4). The 1991 names, the 1992 enterprise-worker categories (劳力字〔1992〕33号)
and the four-class retiree practice are kept as alias maps onto it.
"""

from __future__ import annotations

import re
import unicodedata
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


# Printed titles of the forms found in retirees' files, for matching a title OCR read with slips
# (one character misread, a character lost, the line split in two). Longer names first is not
# needed: the longest title within the allowed slips wins.
KNOWN_TITLES: tuple[str, ...] = (
    "职工登记表", "干部履历表", "职工履历表", "干部登记表", "履历表", "自传", "入党志愿书", "入团志愿书",
    "党员登记表", "入党申请书", "招工审批表", "招工登记表", "录用审批表", "职工录用审批表",
    "职工转正定级审批表", "转正定级审批表", "职工工资变动审批表", "工资变动审批表", "调资审批表",
    "基本养老金核定表", "养老金核定表", "基本养老金计发表", "企业职工退休审批表", "职工退休审批表",
    "退休审批表", "退职审批表", "职工退休申请表", "劳动合同书", "职工调动审批表", "调动审批表",
    "干部任免审批表", "专业技术职务任职资格评审表", "考核登记表", "鉴定表", "毕业生登记表",
    "学生登记表", "奖励审批表", "处分决定", "出生日期认定表", "参加工作时间认定表", "政审表",
)
_CORE = re.compile(r"[^\u3400-\u4dbf\u4e00-\u9fff0-9A-Za-z]")


def core(text: str) -> str:
    """``text`` reduced to what title matching compares: CJK, digits and letters only."""
    return _CORE.sub("", unicodedata.normalize("NFKC", text or ""))


def allowed_slips(length: int) -> int:
    """OCR slips tolerated in a title of ``length`` characters: none in 2–3, one up to 7, then two."""
    return 0 if length <= 3 else 1 if length <= 7 else 2


def _approx_in(needle: str, hay: str) -> int:
    """Fewest edits turning ``needle`` into some substring of ``hay`` (semi-global Levenshtein)."""
    prev = [0] * (len(hay) + 1)  # needle prefix of length 0 matches anywhere for free
    for i, cn in enumerate(needle, 1):
        cur = [i]
        for j, ch in enumerate(hay, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (cn != ch)))
        prev = cur
    return min(prev)


def known_title(text: str) -> tuple[str, int] | None:
    """The known printed title ``text`` contains, allowing OCR slips: (title, slips), or None.

    The title with the fewest slips wins, the longer one on a tie ("企业职工退休审批表" over
    "退休审批表"). ``text`` may hold more than the title (a unit name, 中国共产党); the caller
    decides how much more is acceptable.
    """
    c = core(text)
    best: tuple[tuple[int, int], str, int] | None = None
    for t in KNOWN_TITLES:
        slips = allowed_slips(len(t))
        if len(c) < len(t) - slips:
            continue
        d = _approx_in(t, c)
        if d <= slips and (best is None or (d, -len(t)) < best[0]):
            best = ((d, -len(t)), t, d)
    return (best[1], best[2]) if best else None


def partial_title(text: str, min_chars: int = 3, min_share: float = 0.3) -> str | None:
    """The title a fragment read off a damaged title names ("退休审" → 退休审批表), or None.

    The fragment (at least ``min_chars`` characters and ``min_share`` of the title) must appear in
    known titles of one class only — with one slip from five characters on; the answer is the
    class's canonical title unless a single known title holds it.
    """
    c = core(text)
    if len(c) < min_chars:
        return None
    hits = [t for t in KNOWN_TITLES if len(c) >= min_share * len(t) and len(c) <= len(t) + 1
            and _approx_in(c, t) <= (0 if len(c) < 5 else 1)]
    if not hits:
        return None
    if len(hits) == 1:
        return hits[0]
    rules = {match_title(t) for t in hits}
    if len(rules) == 1 and None not in rules:
        return next(iter(rules)).title
    return None
