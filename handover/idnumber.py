"""Citizen ID numbers (公民身份号码, GB 11643-1999) — validation, upgrade, cross-checks.

Built on python-stdnum's ``stdnum.cn.ric``. Structure, checksum and birth-date failures are
errors; an area code that today's table does not know (or did not know in the birth year) is only
a warning, because retirees carry pre-1990s county codes.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from stdnum import numdb
from stdnum.cn import ric
from stdnum.exceptions import ValidationError

from .errors import InputRefused


class IdNumberError(InputRefused):
    """An ID number that cannot be accepted; ``str(err)`` is a Chinese message for the user."""


@dataclass(frozen=True)
class IdNumber:
    number: str  # canonical 18 characters, upper-case X
    original: str  # as given (a 15-digit number stays visible here)
    birth_date: dt.date
    sex: str  # "男" / "女"
    province: str | None
    county: str | None
    warnings: tuple[str, ...] = field(default=())

    @property
    def upgraded(self) -> bool:
        return len(self.original) == 15

    @property
    def area_code(self) -> str:
        return self.number[:6]


def normalize(raw: str) -> str:
    """NFKC (full-width digits), strip spaces and dashes, upper-case X."""
    text = unicodedata.normalize("NFKC", str(raw))
    return "".join(ch for ch in text if not ch.isspace() and ch not in "-_").upper()


def check_character(first17: str) -> str:
    return ric.calc_check_digit(first17 + "0")


def upgrade15(number15: str) -> str:
    """GB 11643-1989 (15 digits, YYMMDD) to 18: insert 19 after the area code, add the check."""
    if len(number15) != 15 or not number15.isdigit():
        raise IdNumberError("15位身份证号码必须全部为数字")
    first17 = number15[:6] + "19" + number15[6:]
    return first17 + check_character(first17)


def parse(raw: str) -> IdNumber:
    """Validate an ID number; raise IdNumberError with a Chinese reason."""
    original = normalize(raw)
    if not original:
        raise IdNumberError("身份证号码为空")
    number = original
    if len(number) == 15:
        number = upgrade15(number)
    if len(number) != 18:
        raise IdNumberError(f"身份证号码应为18位（或旧式15位），实为{len(original)}位")
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise IdNumberError("身份证号码含有非法字符（前17位须为数字，末位为数字或X）")
    try:
        birth = ric.get_birth_date(number)
    except ValidationError:
        raise IdNumberError(f"身份证号码中的出生日期{number[6:14]}不是有效日期") from None
    if birth > dt.date.today() or birth.year < 1880:
        raise IdNumberError(f"身份证号码中的出生日期{birth:%Y-%m-%d}不合理")
    expected = check_character(number[:17])
    if number[17] != expected:
        raise IdNumberError(f"身份证号码校验位错误：末位应为{expected}，实为{number[17]}")
    warnings: list[str] = []
    province, county, current = area(number[:6])
    if county is None:
        warnings.append(f"地址码{number[:6]}不在行政区划代码表中（可能为更早的旧地址码，已接受，请人工核实）")
    elif not current:
        warnings.append(f"地址码{number[:6]}（{county}）为已撤销的旧区划代码，已接受")
    if len(original) == 15:
        warnings.append(f"15位旧号码已升级为18位：{number}")
    sex = "男" if int(number[16]) % 2 == 1 else "女"
    return IdNumber(number, original, birth, sex, province, county, tuple(warnings))


@lru_cache(maxsize=8192)
def area(code: str) -> tuple[str | None, str | None, bool]:
    """(province, county, current) of a 6-digit area code in stdnum's table.

    Unlike ``ric.get_birth_place`` this ignores the birth year: codes were assigned when the
    number was issued (from the 1980s on), so a person born in 1940 legitimately carries a code
    created in 1983. ``current`` is False for codes abolished since (崇文区 110103, 晋宁县 530122).
    """
    info = {k: v for _part, props in numdb.get("cn/loc").info(code) for k, v in props.items()}
    if "county" not in info:
        return info.get("province"), None, False
    entries = info["county"].split(",")
    for entry in entries:
        if not entry.startswith("[") or entry[1:].split("]")[0].endswith("-"):
            return info.get("province"), entry.split("]", 1)[-1], True
    return info.get("province"), entries[-1].split("]", 1)[-1], False


def cross_check(idn: IdNumber, sex: str | None, birth_date: dt.date | None) -> list[str]:
    """Disagreements between the ID number and the given columns (flag, never fix)."""
    problems: list[str] = []
    if sex and sex != idn.sex:
        problems.append(f"性别“{sex}”与身份证号码（{idn.sex}性）不符")
    if birth_date and birth_date != idn.birth_date:
        problems.append(
            f"出生日期{birth_date:%Y-%m-%d}与身份证号码中的出生日期{idn.birth_date:%Y-%m-%d}不符"
        )
    return problems


def mask(number: str, keep_head: int = 6, keep_tail: int = 4) -> str:
    """410102********123X — for roles that do not need the whole number, and for logs."""
    number = normalize(number)
    if len(number) <= keep_head + keep_tail:
        return "*" * len(number)
    return number[:keep_head] + "*" * (len(number) - keep_head - keep_tail) + number[-keep_tail:]


def make(area_code: str, birth: dt.date, sequence: int) -> str:
    """Build a valid 18-character number (sample data): odd sequence = male, even = female."""
    first17 = f"{area_code}{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_character(first17)
