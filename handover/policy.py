"""Regional policy profiles (one TOML file per region in templates/policies/).

A bureau adds a region by writing a file, not code: every rule the product applies per region —
routing, fees, staffing, copies, required materials, page numbering, deadlines, the 档号 format —
is read from the profile. The models below are the schema; README.md documents it.
"""

from __future__ import annotations

import datetime as dt
import math
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from .config import POLICIES_DIR, settings
from .errors import InputRefused

AddressSource = Literal["override", "residence", "hukou"]
Fallback = Literal["enterprise_location", "unassigned"]


class RoutingRule(BaseModel):
    """How a retiree's receiving county / street / community is chosen."""

    # Candidate addresses, first usable one wins ("override" = 确认的移交地 / per-person choice).
    sources: list[AddressSource] = ["override", "residence", "hukou"]
    # The jurisdiction the receiving governments cover; an address outside it is not usable.
    jurisdiction_province: str = ""
    jurisdiction_counties: list[str] = []
    # Where people go whose candidate addresses all fall outside the jurisdiction.
    outside_jurisdiction: Fallback = "enterprise_location"
    # 河南: 省外户籍的退休人员移交到企业所在地 — checked before the sources (an override still wins).
    out_of_province_hukou_to_enterprise: bool = False
    # 重庆: the receiving county is the enterprise's 参保地, not the retiree's address.
    receiving_county: Literal["address", "enterprise_insured"] = "address"
    # Archive custody follows the person, or stays at the enterprise's registered county (晋宁).
    exclude_deceased: bool = False
    exclude_leadership_cadres: bool = False


class Fee(BaseModel):
    kind: str  # 管理费用 / 移交费用 / 管理活动经费
    per_person: float | None = None  # None: amount not set by the policy text
    basis: Literal["one_time", "per_year"] = "one_time"
    payer: str = ""
    valid_until: dt.date | None = None
    note: str = ""

    def total(self, persons: int) -> float | None:
        return None if self.per_person is None else round(self.per_person * persons, 2)


class StaffTier(BaseModel):
    """``staff = base + ceil(n / per)`` for ``n >= min_retirees`` (the first matching tier wins)."""

    min_retirees: int = 0
    base: int = 0
    per: int | None = None
    part_time: bool = False


class Staffing(BaseModel):
    retirees_per_staff: int | None = None  # 河南: 1 名 per 300 退休人员
    community_tiers: list[StaffTier] = []  # 晋宁: by retirees received per community
    archive_volumes_per_staff: int | None = None
    archive_m2_per_10000_volumes: float | None = None
    note: str = ""

    def transfer_staff(self, retirees: int) -> int | None:
        if not self.retirees_per_staff:
            return None
        return math.ceil(retirees / self.retirees_per_staff)

    def community_staff(self, retirees: int) -> tuple[int, bool] | None:
        """(additional staff, part-time) for a community receiving ``retirees``."""
        for tier in sorted(self.community_tiers, key=lambda t: -t.min_retirees):
            if retirees >= tier.min_retirees:
                extra = math.ceil(retirees / tier.per) if tier.per else 0
                return tier.base + extra, tier.part_time
        return None


class RequiredMaterial(BaseModel):
    name: str
    any_of: list[str] = []  # accepted material titles; defaults to [name]
    when: Literal["always", "party_member"] = "always"
    class_code: str = ""

    @property
    def accepted(self) -> list[str]:
        return self.any_of or [self.name]


class Pagination(BaseModel):
    scope: Literal["per_volume", "per_material"] = "per_volume"
    count_blank_pages: bool = False
    corner: Literal["front_top_right", "front_bottom_right"] = "front_bottom_right"


class Numbering(BaseModel):
    """档号 (DA/T 13-2022 separators: "-" between levels, "·" within a level)."""

    fonds: str = "J001"
    ref_no_format: str = "{fonds}-TX·{community_code}-{volume_no:04d}"


class Deadline(BaseModel):
    name: str
    date: dt.date | None = None
    rule: str = ""


class PolicyProfile(BaseModel):
    region: str  # file stem, e.g. "henan-zhengzhou"
    name: str  # 河南省/郑州市
    province: str
    source_seed: str
    document_no: str  # 郑政办文〔2017〕30号
    issuer: str
    routing: RoutingRule = RoutingRule()
    fees: list[Fee] = []
    staffing: Staffing = Staffing()
    archive_custodian: str = ""
    copies: dict[str, int] = {}
    required_materials: list[RequiredMaterial] = []
    pagination: Pagination = Pagination()
    numbering: Numbering = Numbering()
    deadlines: list[Deadline] = []
    agreement_duties: dict[str, list[str]] = Field(default_factory=dict)
    notes: list[str] = []

    def copies_of(self, document: str, default: int = 1) -> int:
        return self.copies.get(document, default)

    def required_for(self, party_member: bool) -> list[RequiredMaterial]:
        return [m for m in self.required_materials if m.when == "always" or party_member]


class PolicyError(InputRefused):
    pass


def _policy_dirs() -> list[Path]:
    dirs = [POLICIES_DIR]
    extra = settings().policies_dir
    if extra:
        dirs.append(Path(extra))
    return dirs


def load_profile_file(path: Path) -> PolicyProfile:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as err:
        raise PolicyError(f"政策配置文件 {path.name} 格式错误：{err}") from None
    data.setdefault("region", path.stem)
    try:
        return PolicyProfile.model_validate(data)
    except ValidationError as err:
        raise PolicyError(f"政策配置文件 {path.name} 内容不符合要求：{err}") from None


def available_profiles() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for folder in _policy_dirs():
        for path in sorted(folder.glob("*.toml")):
            found[path.stem] = path  # a bureau's own folder overrides the shipped file
    return found


def load_profile(region: str) -> PolicyProfile:
    profiles = available_profiles()
    if region not in profiles:
        known = "、".join(profiles) or "无"
        raise PolicyError(f"未找到地区政策配置“{region}”。可用：{known}")
    return load_profile_file(profiles[region])
