"""Small text helpers shared by the checks (pure): normalising, the vocabulary of printed form
labels, and the 材料形成时间 a person must read (a year that lost a character)."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping, Sequence

from ocr import dates

from ..review import ReviewItem
from ..volume import Page, Row

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff·]")
# What sits around a printed label and is not part of it: colons, brackets, stray dots OCR adds.
_LABEL_NOISE = re.compile(r"[\s:：·•.．。,，;；、()（）\[\]【】〔〕<>《》\"'“”‘’*＊_＿\-—~～|]")


def norm(text: str) -> str:
    """NFKC, whitespace removed."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))


def cjk_only(text: str) -> str:
    return "".join(_CJK.findall(unicodedata.normalize("NFKC", text or "")))


def title_matches(title: str, accepted: str) -> bool:
    """A 卷内目录 title satisfies an accepted title: equal, or contains it (职工退休审批表 ⊇ 退休审批表)."""
    t, a = cjk_only(title), cjk_only(accepted)
    return bool(a) and (t == a or a in t)


# ---------------------------------------------------------------- printed form labels

# Every printed label of the forms the sample generator renders (ocr/scan_forms.py), of the seed
# forms (DOMAIN.md §3) and the usual ones of personnel forms. A label is never a field's value.
FORM_LABELS: tuple[str, ...] = (
    # identity
    "姓名", "曾用名", "别名", "性别", "民族", "出生年月", "出生日期", "出生时间", "出生年月日", "出生地", "年龄",
    "籍贯", "公民身份号码", "身份证号码", "身份证号", "身份号码", "社会保障号码", "社会保障号码（身份证号）",
    "个人编号", "档案编号", "编号", "政治面貌", "健康状况", "婚姻状况", "家庭出身", "本人成分", "宗教信仰",
    "文化程度", "学历", "学位", "毕业院校", "毕业学校", "所学专业", "专业", "特长技能", "兴趣及爱好", "照片",
    "相片", "身高", "血型", "入党时间", "入团时间", "何时何地入党",
    # work
    "参加工作时间", "工作单位", "原工作单位", "所在单位", "单位名称", "填报单位", "原任职务", "职务", "职称",
    "技术等级", "工种", "拟分工种", "岗位", "连续工龄", "工龄", "视同缴费年限", "缴费年限", "招收形式",
    "招工单位意见", "学徒期满考核", "定级工资等级", "月工资标准", "执行时间", "工资级别", "工资标准",
    "变动原因", "变动时间", "原工资", "现工资", "增加额", "调出单位", "调入单位", "调动原因", "任现职时间",
    "起止年月", "在何单位任何职", "简历", "主要简历", "本人简历", "考核年度", "考核等次", "考核结果",
    "奖惩情况", "退休类别", "退休时间", "退休年月", "起发时间", "发放方式", "基础养老金", "个人账户养老金",
    "过渡性养老金", "基本养老金", "合计", "工伤等级", "是否享受低保", "社会保险关系所在地", "参保情况",
    "档案存放地点", "发挥作用情况", "特殊人员情况", "自管小组",
    # family and address
    "家庭住址", "现住址", "通讯地址", "户口所在地", "户口所在地地址", "户籍所在地", "现居住地", "常年居住地地址",
    "居住地详细地址", "居住情况", "邮政编码", "联系电话", "本人联系电话", "电话", "配偶情况", "目前状况",
    "原（现）工作单位", "家庭其他联系人", "家庭成员", "家庭主要成员", "主要社会关系", "称谓", "关系",
    "与本人关系", "详细地址及邮政编码", "原单位联系人", "原单位联系人电话", "确认的移交地县（市、区）",
    "街道", "社区", "社区（村）", "县（区）", "移交县（市、区）", "移交街道（乡镇）社区",
    # opinions, signatures, dates
    "本人签名", "签名", "本人申请", "本人小结", "入党志愿", "申请人", "支部大会决议", "支部书记签名",
    "劳动部门审批意见", "招工单位（盖章）", "劳动部门（盖章）", "车间意见（签章）", "单位劳资部门（盖章）",
    "单位意见（盖章）", "劳动工资部门（盖章）", "社会保险经办机构审批（盖章）", "经办机构（盖章）",
    "单位意见", "组织意见", "审批意见", "领导签字", "单位签章", "企业劳资部门签章", "企业经办人",
    "退休人员本人签名", "经办人", "经办时间", "填报人", "填报日期", "填表人", "填表日期", "填表时间",
    "批准时间", "时间", "日期", "备注", "序号", "档案卷数", "页数", "其它资料",
)


def label_key(text: str) -> str:
    """A printed label as compared: NFKC, without spaces, colons, brackets or stray dots."""
    return _LABEL_NOISE.sub("", unicodedata.normalize("NFKC", text or ""))


_LABEL_KEYS = frozenset(label_key(l) for l in FORM_LABELS)
_BY_LENGTH = sorted(_LABEL_KEYS, key=len, reverse=True)


def is_label(text: str) -> bool:
    """The whole text is a printed form label ("姓 名：", "民族." included)."""
    return label_key(text) in _LABEL_KEYS


def leading_label(text: str) -> str | None:
    """The printed label a line starts with (the longest one), e.g. "姓名" in "姓名：张三"."""
    key = label_key(text)
    return next((l for l in _BY_LENGTH if key.startswith(l)), None)


def cut_at_label(value: str) -> str:
    """A value with the next printed label OCR fused onto its end cut off ("张三性别" → "张三")."""
    text = norm(value)
    cut = min((i for l in _BY_LENGTH if len(l) >= 2 and (i := text.find(l, 1)) > 0), default=None)
    return text[:cut] if cut is not None else text


# ---------------------------------------------------------------- 材料形成时间 to be read by a person

def material_pages(owner: Mapping[int, Row]) -> dict[int, list[int]]:
    """First image index of each material → its image indexes (``catalog.page_rows``' mapping)."""
    by_row: dict[int, list[int]] = {}
    for index, row in sorted(owner.items()):
        by_row.setdefault(id(row), []).append(index)
    return {idx[0]: idx for idx in by_row.values()}


def corrected_formed_on(formed: dict[int, dt.date | None], owner: Mapping[int, Row],
                        corrections: Mapping[str, str] | None) -> dict[int, dt.date | None]:
    """The material dates by image index with archive staff's ``formed_on:<first image>`` answers."""
    if not corrections:
        return formed
    out = dict(formed)
    for first, indexes in material_pages(owner).items():
        value = corrections.get(f"formed_on:{first}")
        if value is None:
            continue
        day = _date_of(value)
        for i in indexes:
            out[i] = day
    return out


def _date_of(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        found = dates.find_dates(value, dt.date.max)
        return found[0][1] if found else None


def formed_on_review(pages: Sequence[Page], owner: Mapping[int, Row]) -> list[ReviewItem]:
    """A ``formed_on`` item for each material whose date a person must read: a date on it lost a
    character of its year (一九五年, "二 六年") and could be later than every date read in full."""
    by_index = {p.index: p for p in pages}
    out = []
    for first, indexes in material_pages(owner).items():
        shown = [by_index[i] for i in indexes if i in by_index and by_index[i].counted]
        lines = [(p.index, l.text, l.box) for p in shown for l in p.lines] or \
                [(p.index, t, None) for p in shown for t in p.text.splitlines()]
        full = [d for _, d in dates.find_dates("\n".join(p.text for p in shown), dt.date.max)]
        best = max(full) if full else None
        for index, text, box in lines:
            lost = [u for u in dates.uncertain_dates(text, dt.date.max)
                    if u.latest_reading is not None and (best is None or u.latest_reading > best)]
            if lost:
                row = owner[first]
                out.append(ReviewItem("formed_on", first, row.formed_on or "",
                                      f"第{index}幅图像上的日期“{lost[0].raw}”：{lost[0].reason}。"
                                      "该日期可能是材料形成时间。", box, row.title))
                break
    return out
