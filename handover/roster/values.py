"""Parsing cell values: dates in the many ways offices write them, sex, yes/no, flags.

Each parser returns the value or raises ``ValueError`` with a Chinese reason.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from ..models import SpecialStatus

EXCEL_EPOCH = dt.date(1899, 12, 30)
CN_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
             "九": 9, "十": 10}
_DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})(?:\s*[-/.月]\s*(\d{1,2})\s*日?)?\s*月?$")
_COMPACT_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})?$")


def text(value: object) -> str:
    if value is None or value == "":
        return ""
    if type(value) is str and value.isascii():
        return value.strip()  # NFKC changes nothing in ASCII; skip it on the hot path
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFKC", str(value)).strip()


_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
# Han characters, parts of a minority name joined by the middle dot (买买提·吐尔逊).
_NAME_RE = re.compile(rf"^[{_HAN}]+(?:·[{_HAN}]+)*$")
NAME_CHARS = (2, 20)


def parse_name(value: object) -> str:
    """A retiree's name as the files write it: Chinese characters, the middle dot between the parts
    of a minority name. Anything else (markup, a formula, Latin letters, digits) is refused: the name
    is printed on every document and compared with the name on every form of the file."""
    name = re.sub(r"\s+", "", text(value))  # 张  三: spaces that align two-character names
    name = re.sub(r"[•・‧∙．.]", "·", name)  # the middle dot as typed on various keyboards
    count = len(name.replace("·", ""))
    if not _NAME_RE.match(name) or not NAME_CHARS[0] <= count <= NAME_CHARS[1]:
        raise ValueError(f"“{text(value)[:30]}”不是有效的中文姓名（应为{NAME_CHARS[0]}—{NAME_CHARS[1]}个汉字，"
                         "少数民族姓名各部分之间可用间隔号“·”）")
    return name


def parse_date(value: object) -> dt.date:
    """A date or a month (1990-06 → 1990-06-01). Accepts Excel dates and serial numbers."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 10000 < value < 80000:  # an Excel serial day number stored without a date format
            return EXCEL_EPOCH + dt.timedelta(days=int(value))
        value = text(value)
    s = text(value)
    if not s:
        raise ValueError("为空")
    m = _DATE_RE.match(s) or _COMPACT_RE.match(s)
    if not m:
        raise ValueError(f"“{s}”不是可识别的日期（应如 1990-06-01、1990年6月 或 199006）")
    year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3) or 1)
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ValueError(f"“{s}”不是有效日期") from None


def parse_sex(value: object) -> str:
    s = text(value).removesuffix("性")
    if s in ("男", "M", "m", "1"):
        return "男"
    if s in ("女", "F", "f", "2"):
        return "女"
    raise ValueError(f"应为“男”或“女”，实为“{text(value)}”")


def parse_bool(value: object) -> bool:
    s = text(value)
    if s in ("", "否", "无", "N", "n", "0", "False", "false", "×"):
        return False
    if s in ("是", "有", "Y", "y", "1", "True", "true", "√", "✓"):
        return True
    raise ValueError(f"应填“是”或“否”，实为“{s}”")


def parse_special(value: object) -> frozenset[SpecialStatus]:
    s = text(value)
    if not s or s in ("无", "否"):
        return frozenset()
    found = set()
    for part in re.split(r"[、,，;；/\s]+", s):
        if not part:
            continue
        for flag in SpecialStatus:
            if part == flag.value or (part in ("高龄", "七十岁以上") and flag is SpecialStatus.OVER_SEVENTY):
                found.add(flag)
                break
        else:
            labels = "、".join(f.value for f in SpecialStatus)
            raise ValueError(f"“{part}”不是可选项（{labels}）")
    return frozenset(found)


def parse_int(value: object) -> int | None:
    s = text(value)
    if not s:
        return None
    if not s.isdigit():
        raise ValueError(f"应为整数，实为“{s}”")
    return int(s)
