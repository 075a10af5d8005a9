"""Typed records of the domain: enterprises, retirees, addresses and destinations.

Field names follow the glossary of DOMAIN.md §1; the Chinese labels of the seed forms are in
``roster/headers.py``.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator
from stdnum.cn import uscc
from stdnum.exceptions import ValidationError


class Sex(StrEnum):
    MALE = "男"
    FEMALE = "女"


class SpecialStatus(StrEnum):
    """特殊人员情况 of the 基本信息表 (multi-choice)."""

    PRE_1949_WORK = "建国前参加工作"
    OVER_SEVENTY = "七十以上高龄"
    WIDOWED_ALONE = "孤寡老人"
    MODEL_WORKER = "劳模"
    EXTREME_HARDSHIP = "特困"
    SERIOUS_ILLNESS = "重病"


SEVENTY = 70  # 七十以上高龄: from the 70th birthday on


class Address(BaseModel):
    """A structured address down to the community (户口所在地, 常年居住地, 企业所在地)."""

    model_config = ConfigDict(frozen=True)

    province: str = ""
    city: str = ""
    county: str = ""
    street: str = ""
    community: str = ""
    detail: str = ""  # road, number, room

    @property
    def routable(self) -> bool:
        return bool(self.county and self.street and self.community)

    def full(self) -> str:
        parts = [self.province, self.city, self.county, self.street, self.community, self.detail]
        out: list[str] = []
        for part in parts:  # the city of a municipality repeats the province (重庆市重庆市)
            if part and (not out or out[-1] != part):
                out.append(part)
        return "".join(out)


class Destination(BaseModel):
    """The receiving county / street / community (移交地)."""

    model_config = ConfigDict(frozen=True)

    county: str
    street: str
    community: str
    code: str | None = Field(default=None, description="12-digit 统计用区划代码 of the community")

    @field_validator("code")
    @classmethod
    def _twelve_digits(cls, value: str | None) -> str | None:
        if value and not (len(value) == 12 and value.isdigit()):
            raise ValueError("统计用区划代码应为12位数字")
        return value or None

    @property
    def label(self) -> str:
        return f"{self.county}{self.street}{self.community}"


class Enterprise(BaseModel):
    """移交企业."""

    name: str = Field(min_length=2)
    uscc: str = Field(description="统一社会信用代码")
    location: Address = Field(default_factory=Address, description="企业所在地 / 法人注册地")
    insured_county: str = Field(default="", description="参保地 county, where it differs")
    legal_representative: str = ""
    contact: str = ""
    phone: str = ""

    @field_validator("uscc")
    @classmethod
    def _valid_uscc(cls, value: str) -> str:
        try:
            return uscc.validate(value)
        except ValidationError as err:
            raise ValueError(f"统一社会信用代码“{value}”无效（{type(err).__name__}）") from None

    @property
    def registered_county(self) -> str:
        return self.location.county


class Retiree(BaseModel):
    """企业退休人员 — one row of the enterprise's roster."""

    person_no: str = Field(default="", description="个人编号")
    name: str = Field(min_length=1, description="姓名")
    sex: Sex
    ethnicity: str = Field(default="汉族", description="民族")
    birth_date: dt.date
    id_number: str = Field(description="社会保障号码(身份证号), canonical 18 characters")
    id_number_original: str = ""
    retired_on: dt.date = Field(description="退休时间")
    former_employer: str = Field(default="", description="原工作单位")
    former_position: str = Field(default="", description="原任职务")
    political_status: str = Field(default="群众", description="政治面貌")
    party_joined_on: dt.date | None = None
    # 介绍信 (咸宁: 载明党员信息和党费缴纳等情况): the month the dues are paid up to, and the letter's
    # number where the enterprise has numbered its letters itself
    party_dues_paid_to: dt.date | None = Field(default=None, description="党费缴至年月")
    party_letter_no: str = Field(default="", description="介绍信编号")
    hukou: Address = Field(default_factory=Address, description="户口所在地")
    residence: Address = Field(default_factory=Address, description="常年居住地")
    postcode: str = ""
    phone: str = ""
    special: frozenset[SpecialStatus] = frozenset()
    deceased: bool = False
    leadership_cadre: bool = False
    health: str = ""
    education: str = ""
    pension: str = ""
    chosen_destination: Destination | None = Field(
        default=None, description="确认的移交地 on the 调查表, or a per-person override"
    )
    archive_volumes: int | None = None
    archive_pages: int | None = None
    remarks: str = ""

    @property
    def party_member(self) -> bool:
        # 中共预备党员 transfer their organisational relationship too.
        return "党员" in self.political_status

    def age_on(self, day: dt.date) -> int:
        b = self.birth_date
        return day.year - b.year - ((day.month, day.day) < (b.month, b.day))

    def special_on(self, day: dt.date) -> frozenset[SpecialStatus]:
        """特殊人员情况 on ``day`` (a document's date): 七十以上高龄 follows the birth date, whatever
        the roster ticked (a tick goes stale as the years pass, and a wrong one would be printed as
        fact); the other statuses are as given."""
        rest = self.special - {SpecialStatus.OVER_SEVENTY}
        return rest | {SpecialStatus.OVER_SEVENTY} if self.age_on(day) >= SEVENTY else rest
