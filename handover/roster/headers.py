"""The roster's columns: canonical Chinese headers of the seed forms, with tolerant matching.

A header is matched after NFKC (full-width brackets become ASCII), removing whitespace, required
markers (*) and brackets' content differences such as 社会保障号码(身份证号) vs 身份证号.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # canonical header written by the product
    aliases: tuple[str, ...] = ()
    required: bool = False


def _addr(prefix: str, key: str) -> list[Column]:
    short = prefix.removesuffix("地")
    return [
        Column(f"{key}.province", f"{prefix}省", (f"{short}省", f"{prefix}(省)")),
        Column(f"{key}.city", f"{prefix}市", (f"{short}市", f"{prefix}(市)")),
        Column(f"{key}.county", f"{prefix}县(市、区)", (f"{prefix}县(区)", f"{prefix}区县", f"{prefix}县",
                                                      f"{prefix}区", f"{short}县(区)")),
        Column(f"{key}.street", f"{prefix}街道(乡镇)", (f"{prefix}街道", f"{prefix}乡镇", f"{short}街道")),
        Column(f"{key}.community", f"{prefix}社区(村)", (f"{prefix}社区", f"{short}社区")),
        Column(f"{key}.detail", f"{prefix}详细地址", (f"{prefix}地址", f"{short}地址", f"{short}详细地址")),
    ]


COLUMNS: list[Column] = [
    Column("seq", "序号", ("编号", "No")),
    Column("person_no", "个人编号", ("社保个人编号", "个人社保编号")),
    Column("name", "姓名", ("名字", "退休人员姓名"), required=True),
    Column("sex", "性别", (), required=True),
    Column("ethnicity", "民族"),
    Column("birth_date", "出生日期", ("出生年月", "出生年月日")),
    Column("id_number", "社会保障号码(身份证号)", ("身份证号", "身份证号码", "公民身份号码", "社会保障号码",
                                              "社会保障号", "身份证"), required=True),
    Column("retired_on", "退休时间", ("退休年月", "退休日期"), required=True),
    Column("former_employer", "原工作单位", ("工作单位", "原单位")),
    Column("former_position", "原任职务", ("职务", "原职务")),
    Column("political_status", "政治面貌"),
    Column("party_joined_on", "入党时间", ("入党日期",)),
    Column("party_dues_paid_to", "党费缴至年月", ("党费缴至", "党费缴纳至", "党费交至", "党费缴至时间")),
    Column("party_letter_no", "介绍信编号", ("组织关系介绍信编号", "党组织关系介绍信编号")),
    *_addr("户口所在地", "hukou"),
    *_addr("常年居住地", "residence"),
    Column("residence.full", "居住地详细地址", ("居住地址", "现居住地", "现居住地址", "常住地址")),
    Column("hukou.full", "户口所在地地址", ("户籍地址", "户口地址")),
    Column("postcode", "邮政编码", ("邮编",)),
    Column("phone", "联系电话", ("本人联系电话", "电话", "手机", "手机号码")),
    Column("special", "特殊人员情况", ("特殊情况",)),
    Column("deceased", "是否死亡", ("死亡", "已故")),
    Column("leadership_cadre", "是否领导人员", ("领导人员", "省管干部")),
    Column("health", "健康状况"),
    Column("education", "文化程度", ("学历",)),
    Column("pension", "基本养老金", ("养老金",)),
    Column("dest.county", "确认移交县(市、区)", ("确认的移交地县(市、区)", "移交县(市、区)", "移交地县")),
    Column("dest.street", "确认移交街道(乡镇)", ("确认的移交地街道", "移交街道", "移交街道(乡镇)")),
    Column("dest.community", "确认移交社区", ("确认的移交地社区", "移交社区", "移交社区(村)")),
    Column("archive_volumes", "档案卷数", ("卷数",)),
    Column("archive_pages", "档案页数", ("页数",)),
    Column("remarks", "备注"),
]

# The columns the product writes in a sample roster, in order (structured addresses, not full-text).
WRITTEN_KEYS = [c.key for c in COLUMNS if not c.key.endswith(".full")]


def normalize_header(text: object) -> str:
    s = unicodedata.normalize("NFKC", str(text or ""))
    s = re.sub(r"[\s*＊:：]", "", s)
    s = s.replace("（", "(").replace("）", ")").replace("，", "、").replace(",", "、")
    return s.lower()


_LOOKUP: dict[str, Column] = {}
for _col in COLUMNS:
    for _name in (_col.header, *_col.aliases):
        _LOOKUP.setdefault(normalize_header(_name), _col)
# Bracket-free forms too: "社会保障号码身份证号", "户口所在地县市区".
for _key, _col in list(_LOOKUP.items()):
    _LOOKUP.setdefault(re.sub(r"[()、]", "", _key), _col)


def match_header(text: object) -> Column | None:
    key = normalize_header(text)
    return _LOOKUP.get(key) or _LOOKUP.get(re.sub(r"[()、]", "", key))


@dataclass(frozen=True)
class HeaderMap:
    row: int  # 1-based row number of the header in the sheet
    columns: dict[int, Column]  # 0-based column index -> column
    unknown: list[str]

    def missing_required(self) -> list[Column]:
        present = {c.key for c in self.columns.values()}
        return [c for c in COLUMNS if c.required and c.key not in present]


def find_header(rows: list[tuple[int, list[object]]]) -> HeaderMap | None:
    """The first row (of the first few) that names at least 3 known columns incl. 姓名."""
    for number, values in rows:
        mapping: dict[int, Column] = {}
        unknown: list[str] = []
        for i, value in enumerate(values):
            if value in (None, ""):
                continue
            col = match_header(value)
            if col and col.key not in {c.key for c in mapping.values()}:
                mapping[i] = col
            else:
                unknown.append(str(value))
        if len(mapping) >= 3 and any(c.key == "name" for c in mapping.values()):
            return HeaderMap(number, mapping, unknown)
    return None


def column_letter(index: int) -> str:
    """0 -> A, 27 -> AB (for messages that name the column as Excel shows it)."""
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out
