"""From a roster row to a ``Retiree`` or the list of what is wrong with it (pure functions)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pydantic import ValidationError

from .. import clock, gazetteer, idnumber
from ..models import SEVENTY, Address, Destination, Retiree, SpecialStatus
from . import problems as P
from .address import parse_address
from .headers import Column, HeaderMap, column_letter
from .problems import Problem, Severity
from .values import parse_bool, parse_date, parse_int, parse_name, parse_sex, parse_special, text

ADDRESS_PARTS = ("province", "city", "county", "street", "community", "detail")


@dataclass
class RowResult:
    row: int
    retiree: Retiree | None
    problems: list[Problem]


class RowValidator:
    """Validates rows of one file against its header map."""

    def __init__(self, header: HeaderMap, merged_rows: dict[int, str], formulas: set[tuple[int, int]],
                 today: dt.date | None = None):
        self.header = header
        self.by_key: dict[str, tuple[int, Column]] = {c.key: (i, c) for i, c in header.columns.items()}
        self.merged_rows = merged_rows
        self.formulas = formulas
        self.today = today or clock.today()

    def label(self, key: str) -> str:
        if key not in self.by_key:
            return ""
        index, col = self.by_key[key]
        return f"{col.header}({column_letter(index)}列)"

    def __call__(self, row: int, values: list[object]) -> RowResult:
        found: list[Problem] = []
        raw: dict[str, object] = {}
        for key, (index, _col) in self.by_key.items():
            raw[key] = values[index] if index < len(values) else None
            if (row, index) in self.formulas:
                if raw[key] in (None, ""):
                    found.append(Problem(row, self.label(key), P.FORMULA,
                                         "单元格是公式且没有计算结果，请在 Excel 中将其复制并“粘贴为数值”"))
                else:
                    found.append(Problem(row, self.label(key), P.FORMULA,
                                         f"单元格是公式，已按其计算结果“{text(raw[key])}”读取",
                                         Severity.WARNING))
        if row in self.merged_rows:
            found.append(Problem(row, "", P.MERGED,
                                 f"本行处于合并单元格 {self.merged_rows[row]} 中，请取消合并并逐行填写"))

        def err(key: str, code: str, message: str, severity: Severity = Severity.ERROR) -> None:
            found.append(Problem(row, self.label(key), code, message, severity))

        def get(key: str, parser, required: bool = False):
            value = raw.get(key)
            if value is None or text(value) == "":
                if required:
                    err(key, P.MISSING_VALUE, f"缺少必填项：{self.by_key[key][1].header}")
                return None
            try:
                return parser(value)
            except ValueError as e:
                err(key, P.BAD_VALUE, f"{self.by_key[key][1].header}：{e}")
                return None

        name = get("name", parse_name, required=True)
        sex = get("sex", parse_sex, required=True)
        birth = get("birth_date", parse_date)
        retired = get("retired_on", parse_date, required=True)
        party_joined = get("party_joined_on", parse_date)
        dues_paid_to = get("party_dues_paid_to", parse_date)

        idn = None
        raw_id = raw.get("id_number")
        if raw_id is None or text(raw_id) == "":
            err("id_number", P.MISSING_VALUE, "缺少必填项：社会保障号码(身份证号)")
        elif isinstance(raw_id, (int, float)) and not isinstance(raw_id, bool) and len(text(raw_id)) >= 15:
            err("id_number", P.ID_NUMERIC,
                f"身份证号以数字格式保存（{text(raw_id)}），Excel 已丢失末几位精度；请将该列设为文本格式后重新录入")
        else:
            try:
                idn = idnumber.parse(text(raw_id))
            except idnumber.IdNumberError as e:
                err("id_number", P.ID_INVALID, str(e))
        if idn:
            for warning in idn.warnings:
                err("id_number", P.ID_UPGRADED if "升级" in warning else P.ID_AREA, warning, Severity.WARNING)
            for message in idnumber.cross_check(idn, sex, birth):
                err("sex" if message.startswith("性别") else "birth_date", P.ID_MISMATCH, message)
            birth = birth or idn.birth_date

        if birth and retired:
            age = retired.year - birth.year
            if retired <= birth:
                err("retired_on", P.DATE_IMPOSSIBLE, f"退休时间{retired:%Y-%m}早于出生日期")
            elif age < 40 or age > 75:
                err("retired_on", P.DATE_IMPOSSIBLE, f"退休时间{retired:%Y-%m}对应退休年龄{age}岁，不合常理")
        if retired and retired > self.today + dt.timedelta(days=366):
            err("retired_on", P.DATE_IMPOSSIBLE, f"退休时间{retired:%Y-%m}在未来一年以后")
        if party_joined and birth and party_joined.year - birth.year < 18:
            err("party_joined_on", P.DATE_IMPOSSIBLE, f"入党时间{party_joined:%Y-%m}时未满18岁")

        extra: dict[str, object] = {}
        for key, parser in (("deceased", parse_bool), ("leadership_cadre", parse_bool),
                            ("special", parse_special), ("archive_volumes", parse_int),
                            ("archive_pages", parse_int)):
            value = get(key, parser)
            if value is not None:
                extra[key] = value
        for key in ("person_no", "ethnicity", "former_employer", "former_position", "political_status",
                    "postcode", "phone", "health", "education", "pension", "remarks", "party_letter_no"):
            value = text(raw.get(key))
            if value:
                extra[key] = value

        hukou = self._address(raw, "hukou")
        residence = self._address(raw, "residence")
        if not residence.routable and not hukou.routable:
            err("residence.detail" if "residence.detail" in self.by_key else "residence.full",
                P.ADDRESS_INCOMPLETE,
                "常年居住地和户口所在地都未填写到县（区）、街道和社区，将按政策规定的兜底规则分配移交地",
                Severity.WARNING)
        chosen = self._destination(raw)

        if any(p.is_error for p in found) or not (name and sex and retired and idn):
            return RowResult(row, None, found)
        try:
            retiree = Retiree(name=name, sex=sex, birth_date=birth, id_number=idn.number,
                              id_number_original=idn.original, retired_on=retired,
                              party_joined_on=party_joined, party_dues_paid_to=dues_paid_to,
                              hukou=hukou, residence=residence,
                              chosen_destination=chosen, **extra)
        except ValidationError as e:  # defensive: every field was checked above
            found.append(Problem(row, "", P.BAD_VALUE, f"数据不完整：{e.errors()[0]['msg']}"))
            return RowResult(row, None, found)
        if "special" in extra:  # a blank cell says nothing either way
            self._check_seventy(retiree, err)
        return RowResult(row, retiree, found)

    def _check_seventy(self, retiree: Retiree, err) -> None:
        """The roster's 七十以上高龄 against the birth date: the documents print what the birth date
        gives on their own date, so a contradiction is pointed out, not imported as fact."""
        age = retiree.age_on(self.today)
        ticked = SpecialStatus.OVER_SEVENTY in retiree.special
        if ticked == (age >= SEVENTY):
            return
        born = f"{retiree.birth_date:%Y-%m-%d}"
        if ticked:
            message = (f"特殊人员情况填有“七十以上高龄”，但按出生日期{born}至{self.today:%Y-%m-%d}为{age}周岁；"
                       "文书按出生日期计算，满七十周岁后才勾选")
        else:
            message = (f"按出生日期{born}至{self.today:%Y-%m-%d}已满{age}周岁，特殊人员情况未填“七十以上高龄”；"
                       "文书按出生日期勾选")
        err("special", P.SPECIAL_AGE, message, Severity.WARNING)

    def _address(self, raw: dict[str, object], prefix: str) -> Address:
        parts = {part: text(raw.get(f"{prefix}.{part}")) for part in ADDRESS_PARTS}
        full = text(raw.get(f"{prefix}.full"))
        if full and not parts["county"]:
            parsed = parse_address(full)
            parts = {part: parts[part] or getattr(parsed, part) for part in ADDRESS_PARTS}
        if parts["county"] and not parts["province"]:
            parts["province"] = gazetteer.county_province().get(parts["county"], "")
        return Address(**parts)

    def _destination(self, raw: dict[str, object]) -> Destination | None:
        county, street, community = (text(raw.get(f"dest.{k}")) for k in ("county", "street", "community"))
        if county and street and community:
            return Destination(county=county, street=street, community=community)
        return None


def header_problems(header: HeaderMap | None, file_name: str) -> list[Problem]:
    if header is None:
        return [Problem(None, "", P.MISSING_COLUMN,
                        f"{file_name} 的前20行中没有找到表头（至少应有“姓名”“性别”“社会保障号码(身份证号)”“退休时间”等列）")]
    return [Problem(header.row, "", P.MISSING_COLUMN, f"缺少必需的列：{col.header}")
            for col in header.missing_required()]
