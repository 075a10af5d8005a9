"""Regional policy profiles (one TOML file per region in templates/policies/).

A bureau adds a region by writing a file, not code: every rule the product applies per region —
routing, fees, staffing, copies, required materials, page numbering, deadlines, the 档号 format —
is read from the profile. The models below are the schema; README.md documents it.
"""

from __future__ import annotations

import datetime as dt
import math
import string
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

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
    # The amount applies to transfers completed in [valid_from, valid_until]; outside it a document
    # must not charge it (重庆: 1020元/人 only up to 2020-12-31).
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    after: str = ""  # what the policy says once valid_until has passed, in its words
    note: str = ""

    def total(self, persons: int) -> float | None:
        return None if self.per_person is None else round(self.per_person * persons, 2)

    def in_force(self, day: dt.date) -> bool:
        return ((self.valid_from is None or day >= self.valid_from)
                and (self.valid_until is None or day <= self.valid_until))


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
    rule: str = ""  # an undated node, e.g. 办理退休手续的次月
    # False for a region-wide target (揭阳's 2005 rate) or a node for other enterprises (中央驻渝):
    # kept as policy data but no term between the parties of an agreement.
    in_agreement: bool = True

    def passed(self, day: dt.date) -> bool:
        return self.date is not None and self.date < day


# Figures a clause may name; anything else in braces is a typo the loader refuses.
CLAUSE_FIELDS = frozenset({"retirees", "party_members", "volumes", "pages", "county"})


class AgreementClauses(BaseModel):
    """The region's own wording of the 移交协议, taken from its seed; nothing here is shared.

    Clauses may name the figures of CLAUSE_FIELDS in braces, e.g. ``{party_members}名退休党员``.
    """

    exclusions: list[str] = []  # who stays outside the transfer (河南 离休人员 and 省管干部, …)
    archives: list[str] = []  # where the 人事档案 go and how
    party: list[str] = []  # where party membership goes
    reporting: list[str] = []  # how retirees report to the community, if the seed says
    holders: list[str] = []  # who keeps each copy; empty: the seed does not say

    @field_validator("archives", "party", "reporting")
    @classmethod
    def _known_fields(cls, clauses: list[str]) -> list[str]:
        for clause in clauses:
            for _, name, _, _ in string.Formatter().parse(clause):
                if name is not None and name not in CLAUSE_FIELDS:
                    raise ValueError(f"协议条款中的“{{{name}}}”不是可用的数字（可用："
                                     f"{'、'.join(sorted(CLAUSE_FIELDS))}）")
        return clauses

    def fill(self, clauses: list[str], **figures: object) -> list[str]:
        return [c.format_map(figures) for c in clauses]


_CN_DIGITS = "一二三四五六七八九十"


class PartyRule(BaseModel):
    """Where a retired party member's 组织关系 goes.

    ``management_community``: the community that manages the retiree (河南: 街道（乡镇）和社区党组织).
    ``residence``: the party organisation of the street and community where the member lives, even
    where the 户籍 is elsewhere (咸宁 长期居住地街道和社区党组织; 揭阳 人户分离的转入居住地党组织);
    a residence not known down to the community falls back to the managing community.
    """

    goes_to: Literal["management_community", "residence"] = "management_community"
    roster_note: str = ""  # the 党员组织关系转接名册's 注, in the seed's words


class PartyLetter(BaseModel):
    """A 介绍信 per party member, where the seed asks the enterprise for one (咸宁 第六条 6.)."""

    title: str = "介绍信"
    issuer: str = ""  # the issuing 党组织; default <enterprise>党组织


PARTY_AGREEMENT_FIELDS = frozenset({"name", "from_org", "to_org"})


class PartyAgreement(BaseModel):
    """A 党员组织关系移交协议 per party member (晋宁 第二十一条（二）: 附件4 of 晋政办〔2020〕16号),
    between the enterprise's and the receiving community's 党组织, in the seed's words. Clauses may
    name ``{name}``, ``{from_org}``, ``{to_org}``."""

    title: str = "党员组织关系移交协议"
    clauses: list[str] = []

    @field_validator("clauses")
    @classmethod
    def _known_fields(cls, clauses: list[str]) -> list[str]:
        for clause in clauses:
            for _, name, _, _ in string.Formatter().parse(clause):
                if name is not None and name not in PARTY_AGREEMENT_FIELDS:
                    raise ValueError(f"党员组织关系移交协议条款中的“{{{name}}}”不可用（可用："
                                     f"{'、'.join(sorted(PARTY_AGREEMENT_FIELDS))}）")
        return clauses


# Figures a region's text document may name (``{retirees}``人 …); anything else is refused.
TEXT_FIELDS = CLAUSE_FIELDS | {"enterprise", "uscc", "counties", "streets", "communities", "city",
                               "not_transferred", "fee", "fee_total"}


def _check_fields(texts: list[str], allowed: frozenset[str], what: str) -> None:
    for text in texts:
        for _, name, _, _ in string.Formatter().parse(text):
            if name is not None and name not in allowed:
                raise ValueError(f"{what}中的“{{{name}}}”不是可用的数字或名称（可用：{'、'.join(sorted(allowed))}）")


class TextSection(BaseModel):
    heading: str  # 一、… as the seed numbers it
    items: list[str] = []


class TextDocument(BaseModel):
    """A region's own text document (重庆 移交方案, 河南 框架协议 and 社会化管理服务申请): its title,
    addressee, opening, headed sections and closing lines, in the seed's words. The texts may name
    the figures of TEXT_FIELDS in braces; the bundle fills them."""

    title: str
    addressee: str = ""  # 送达 line, e.g. 〈县〉社会保险经办机构：
    parties: list[str] = []  # lines naming the parties (甲方 …), unindented
    intro: list[str] = []
    sections: list[TextSection] = []
    annexes: list[str] = []
    signatures: list[str] = []  # the closing lines: who seals and signs, the date

    @model_validator(mode="after")
    def _known_fields(self) -> "TextDocument":
        texts = [self.title, self.addressee, *self.parties, *self.intro, *self.annexes, *self.signatures]
        texts += [t for s in self.sections for t in (s.heading, *s.items)]
        _check_fields(texts, TEXT_FIELDS, f"《{self.title}》")
        return self


class ChecklistItem(BaseModel):
    """A row of the 交接清单 (重庆 “交接有清单”): what is handed over, how much, the details."""

    item: str
    quantity: str = ""  # may name figures: "{retirees}人"
    detail: str = ""

    @model_validator(mode="after")
    def _known_fields(self) -> "ChecklistItem":
        _check_fields([self.item, self.quantity, self.detail], TEXT_FIELDS, "交接清单")
        return self


# The documents written from the profile's ``texts``: a profile listing one must give its text.
TEXT_DOCUMENTS = ("transfer_plan", "framework_agreement", "service_application")

# The documents a bundle can hold (DOMAIN.md §1.2 identifiers). A profile lists those its seed asks
# for and the bundle makes exactly these; one whose input is absent (volumes, missing materials,
# people not transferred) is made once the input exists.
DOCUMENT_TYPES = (
    "framework_agreement", "transfer_agreement", "service_application", "transfer_plan",
    "handover_checklist", "community_roster", "destination_survey", "basic_info_form",
    "info_collection_form", "archive_transfer_roster", "party_transfer_roster", "party_letter",
    "party_transfer_agreement", "contact_card", "volume_catalog", "ledger", "contents_list",
    "note_sheet", "missing_statement", "missing_statement_list", "not_transferred",
)
# What a profile without a list gets: the agreement, the archive hand-over and the archive's own
# records — no region's forms (a bureau names its own in ``documents``).
DEFAULT_DOCUMENTS = ["transfer_agreement", "archive_transfer_roster", "party_transfer_roster",
                     "volume_catalog", "ledger", "contents_list", "note_sheet", "missing_statement",
                     "missing_statement_list", "not_transferred"]


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
    # Who keeps each copy of a document, in copy order (咸宁 基本信息表: 企业、个人、街道社区);
    # each copy is labelled with its holder. Must match ``copies``.
    holders: dict[str, list[str]] = {}
    titles: dict[str, str] = {}  # a document's title in the seed's words (咸宁市…基本信息表)
    # The agency that signs and seals a document as checked (河南 花名册: 县（市、区）社会保险经办机构).
    confirmed_by: dict[str, str] = {}
    party: PartyRule = PartyRule()
    party_letter: PartyLetter = PartyLetter()  # the 介绍信's wording, where ``documents`` has it
    party_agreement: PartyAgreement = PartyAgreement()  # the 党员组织关系移交协议's, likewise
    texts: dict[str, TextDocument] = {}  # the region's own text documents (TEXT_DOCUMENTS)
    checklist: list[ChecklistItem] = []  # the rows of the 交接清单, where ``documents`` has it
    # The documents of the bundle, in the seed's list (see DOCUMENT_TYPES).
    documents: list[str] = Field(default_factory=lambda: list(DEFAULT_DOCUMENTS))
    required_materials: list[RequiredMaterial] = []
    pagination: Pagination = Pagination()
    numbering: Numbering = Numbering()
    deadlines: list[Deadline] = []
    agreement: AgreementClauses = AgreementClauses()
    agreement_duties: dict[str, list[str]] = Field(default_factory=dict)
    notes: list[str] = []

    @field_validator("documents")
    @classmethod
    def _known_documents(cls, documents: list[str]) -> list[str]:
        unknown = [d for d in documents if d not in DOCUMENT_TYPES]
        if unknown:
            raise ValueError(f"未知的文书“{'、'.join(unknown)}”（可用：{'、'.join(DOCUMENT_TYPES)}）")
        if len(set(documents)) != len(documents):
            raise ValueError("文书清单中有重复项")
        return documents

    def makes(self, document: str) -> bool:
        """Whether the region's bundle holds ``document`` (its seed asks for it)."""
        return document in self.documents

    @model_validator(mode="after")
    def _texts_for_listed_documents(self) -> "PolicyProfile":
        lacking = [d for d in TEXT_DOCUMENTS if self.makes(d) and d not in self.texts]
        if lacking:
            raise ValueError(f"文书清单列出了“{'、'.join(lacking)}”，但 [texts] 中没有其文本")
        if self.makes("handover_checklist") and not self.checklist:
            raise ValueError("文书清单列出了“handover_checklist”，但没有 [[checklist]] 交接事项")
        return self

    @model_validator(mode="after")
    def _holders_match_copies(self) -> "PolicyProfile":
        holders = self.agreement.holders
        if holders and len(holders) != self.copies_of("transfer_agreement", 4):
            raise ValueError(f"移交协议份数（{self.copies_of('transfer_agreement', 4)}）与持有方"
                             f"（{'、'.join(holders)}）数目不符")
        for document, names in self.holders.items():
            if len(names) != self.copies_of(document, 1):
                raise ValueError(f"{document} 份数（{self.copies_of(document, 1)}）与持有方"
                                 f"（{'、'.join(names)}）数目不符")
        return self

    def fees_on(self, day: dt.date) -> tuple[list[Fee], list[Fee]]:
        """(fees in force on ``day``, fees whose validity does not cover it)."""
        return ([f for f in self.fees if f.in_force(day)],
                [f for f in self.fees if not f.in_force(day)])

    def copies_of(self, document: str, default: int = 1) -> int:
        return self.copies.get(document, default)

    def title_of(self, document: str, default: str) -> str:
        return self.titles.get(document, default)

    def copy_labels(self, document: str, default: int = 1) -> list[str]:
        """One label per copy (第一联　企业留存 …); a single copy without holders is unlabelled."""
        n, names = self.copies_of(document, default), self.holders.get(document, [])
        if n == 1 and not names:
            return [""]
        return [f"第{_CN_DIGITS[i] if i < 10 else i + 1}联" + (f"　{names[i]}留存" if i < len(names) else "")
                for i in range(n)]

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
