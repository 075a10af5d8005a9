"""The community registry: which communities may receive retirees.

A community is registered when the gazetteer lists it (templates/gazetteer) or an admin has
confirmed it. Any other name — from a roster's 确认移交社区 column or from an address the routing
chose — is a 未登记社区: the person is held (imported, but routed nowhere and published nowhere)
until an admin confirms the community, which re-routes the held rows, or rejects it, which leaves
them to be assigned by hand (``handover route override``) or corrected in a new roster (a later
confirmation still re-routes those left).

``Registry`` is the pure lookup the routing applies; the functions below read and write its
tables (``community_decisions``, ``community_holds``, and ``community_contacts``: the 社区联系人
and 服务电话 each registered community publishes, printed on its 联系卡). The core has no audit
log: decisions and contacts are set through ``archive_store.communities``, which writes them to it.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from dataclasses import dataclass, field

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from . import gazetteer
from .clock import utcnow
from .db import CommunityContactRow, CommunityDecisionRow, CommunityHoldRow, EnterpriseRow, ImportRow, RetireeRow
from .errors import Conflict, InputRefused
from .models import Destination

CONFIRMED = "confirmed"
REJECTED = "rejected"

Key = tuple[str, str, str]  # county, street, community


class CommunityRefused(InputRefused):
    """A decision that cannot be taken (a gazetteer community, a bad 区划代码, an empty name)."""


class CommunityDecided(Conflict):
    """The community was already decided that way."""


def _one_off(a: str, b: str) -> bool:
    """One character replaced, added or dropped (建中社区 / 建中街社区)."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b)) == 1
    short, long = sorted((a, b), key=len)
    return any(long[:i] + long[i + 1:] == short for i in range(len(long)))


@dataclass(frozen=True)
class Registry:
    """The gazetteer plus the admins' decisions, read once per import or publish."""

    confirmed: Mapping[Key, str] = field(default_factory=dict)  # -> 区划代码 ("" when none given)
    rejected: Mapping[Key, str] = field(default_factory=dict)  # -> the admin's reason

    def known(self, county: str, street: str, name: str) -> bool:
        return gazetteer.find(county, street, name) is not None or (county, street, name) in self.confirmed

    def code(self, county: str, street: str, name: str) -> str | None:
        place = gazetteer.find(county, street, name)
        return place.code if place else (self.confirmed.get((county, street, name)) or None)

    def rejection(self, county: str, street: str, name: str) -> str | None:
        return self.rejected.get((county, street, name))

    def suggestions(self, county: str, street: str, name: str) -> list[str]:
        """Registered names one character away: in the same street, else in a street of the
        county one character away from the one written."""
        def names(s: str) -> list[str]:
            listed = list(gazetteer.communities().get((county, s), ()))
            return listed + [k[2] for k in self.confirmed if k[:2] == (county, s) and k[2] not in listed]

        near = [c for c in names(street) if _one_off(name, c)]
        if near:
            return near
        streets = set(gazetteer.streets().get(county, ())) | {k[1] for k in self.confirmed if k[0] == county}
        out = []
        for s in sorted(streets):
            if _one_off(street, s):
                out += [f"{s}{c}" for c in names(s) if c == name or _one_off(name, c)] or [s]
        return out

    def finding(self, county: str, street: str, name: str) -> str:
        """Why the community cannot receive anyone yet, in Chinese, with the near misses."""
        reason = self.rejection(county, street, name)
        if reason is not None:
            text = (f"“{name}”（{county}{street}）已被管理员驳回，不能作为移交社区"
                    f"{'（' + reason + '）' if reason else ''}，请改为社区名录中的社区")
        else:
            text = f"“{name}”不在{county}{street}的社区名录中，需管理员确认后方可移交"
        near = self.suggestions(county, street, name)
        if near:
            text += "；是否为" + "或".join(f"“{n}”" for n in near) + "？"
        return text


def load_registry(session: Session) -> Registry:
    confirmed: dict[Key, str] = {}
    rejected: dict[Key, str] = {}
    for row in session.scalars(select(CommunityDecisionRow)):
        key = (row.county, row.street, row.name)
        if row.status == CONFIRMED:
            confirmed[key] = row.code or ""
        else:
            rejected[key] = row.reason or ""
    return Registry(confirmed, rejected)


# ---------------------------------------------------------------- held rows

def hold(session: Session, held: Iterable[tuple[int, Destination, str, str]]) -> None:
    """Hold retirees (id, community, roster column, routing rule) that hold nothing yet."""
    rows = [dict(retiree_id=rid, county=c.county, street=c.street, name=c.community, column=column[:100],
                 rule=rule[:200]) for rid, c, column, rule in held]
    if rows:
        session.execute(insert(CommunityHoldRow), rows)


def release(session: Session, retiree_ids: Iterable[int]) -> None:
    ids = list(retiree_ids)
    if ids:
        session.execute(delete(CommunityHoldRow).where(CommunityHoldRow.retiree_id.in_(ids)))


def held_ids(session: Session, retiree_ids: Iterable[int]) -> set[int]:
    ids = list(retiree_ids)
    if not ids:
        return set()
    return set(session.scalars(select(CommunityHoldRow.retiree_id).where(CommunityHoldRow.retiree_id.in_(ids))))


@dataclass(frozen=True)
class HeldRow:
    enterprise: str
    file_name: str
    import_id: int
    row: int
    column: str
    name: str  # the retiree's name (no ID number: the page lists many people)
    rule: str


@dataclass(frozen=True)
class Pending:
    county: str
    street: str
    name: str
    finding: str  # the message the rosters got, with its near misses
    rows: tuple[HeldRow, ...]

    @property
    def label(self) -> str:
        return f"{self.county}{self.street}{self.name}"


def pending(session: Session) -> list[Pending]:
    """Every community named by held rows and not rejected, with the rosters and rows that name it."""
    registry = load_registry(session)
    query = (select(CommunityHoldRow, RetireeRow.name, RetireeRow.source_row, ImportRow.id, ImportRow.file_name,
                    EnterpriseRow.name)
             .join(RetireeRow, RetireeRow.id == CommunityHoldRow.retiree_id)
             .join(ImportRow, ImportRow.id == RetireeRow.import_id)
             .join(EnterpriseRow, EnterpriseRow.id == RetireeRow.enterprise_id)
             .order_by(CommunityHoldRow.county, CommunityHoldRow.street, CommunityHoldRow.name,
                       ImportRow.id, RetireeRow.source_row))
    groups: dict[Key, list[HeldRow]] = {}
    for h, person, source_row, import_id, file_name, enterprise in session.execute(query):
        groups.setdefault((h.county, h.street, h.name), []).append(
            HeldRow(enterprise, file_name, import_id, source_row, h.column, person, h.rule))
    return [Pending(*key, registry.finding(*key), tuple(rows)) for key, rows in groups.items()
            if registry.rejection(*key) is None]


# ---------------------------------------------------------------- decisions

@dataclass(frozen=True)
class Decision:
    county: str
    street: str
    name: str
    status: str
    code: str
    released: int  # held rows re-routed (confirmed); people left to be assigned by hand (rejected)

    @property
    def label(self) -> str:
        return f"{self.county}{self.street}{self.name}"


def decisions(session: Session) -> list[CommunityDecisionRow]:
    return list(session.scalars(select(CommunityDecisionRow).order_by(CommunityDecisionRow.decided_at.desc())))


def _checked(county: str, street: str, name: str, code: str) -> tuple[Key, str]:
    key = (county.strip(), street.strip(), name.strip())
    if not all(key):
        raise CommunityRefused("请填写区县、街道和社区名称")
    code = (code or "").strip()
    if code and not (len(code) == 12 and code.isdigit()):
        raise CommunityRefused("统计用区划代码应为12位数字")
    if gazetteer.find(*key):
        raise CommunityRefused(f"“{''.join(key)}”已在社区名录中，无需确认")
    return key, code


def decide(session: Session, county: str, street: str, name: str, status: str, actor: str, *,
           code: str = "", reason: str = "", at: dt.datetime | None = None) -> Decision:
    """Confirm or reject a community; the rows held for it are re-routed (confirmed) or told
    to be assigned by hand (rejected). In the caller's transaction."""
    if status not in (CONFIRMED, REJECTED):
        raise ValueError(status)
    key, code = _checked(county, street, name, code)
    row = session.scalar(select(CommunityDecisionRow).where(CommunityDecisionRow.county == key[0],
                                                            CommunityDecisionRow.street == key[1],
                                                            CommunityDecisionRow.name == key[2]))
    if row is not None and row.status == status and (status == REJECTED or row.code == code):
        raise CommunityDecided(f"“{''.join(key)}”已{'确认' if status == CONFIRMED else '驳回'}")
    if row is None:
        row = CommunityDecisionRow(county=key[0], street=key[1], name=key[2])
        session.add(row)
    row.status, row.code, row.reason = status, code if status == CONFIRMED else "", (reason or "").strip()[:200]
    row.decided_by, row.decided_at = (actor or "未知")[:64], at or utcnow()
    session.flush()
    holds = list(session.scalars(select(CommunityHoldRow).where(CommunityHoldRow.county == key[0],
                                                                CommunityHoldRow.street == key[1],
                                                                CommunityHoldRow.name == key[2])))
    changed = [h.retiree_id for h in holds]
    if status == CONFIRMED:
        _reroute(session, holds, load_registry(session))
        affected = len(holds)
    else:
        rule = f"社区未获确认：{''.join(key)}已被管理员驳回，需人工指定移交地"[:200]
        routed = list(session.scalars(select(RetireeRow).where(RetireeRow.dest_county == key[0],
                                                               RetireeRow.dest_street == key[1],
                                                               RetireeRow.dest_community == key[2])))
        for retiree in [session.get(RetireeRow, h.retiree_id) for h in holds] + routed:
            retiree.dest_county = retiree.dest_street = retiree.dest_community = retiree.dest_code = None
            retiree.route_rule = rule
        # The holds stay (a later confirmation re-routes them) but leave the pending list.
        hold(session, [(r.id, Destination(county=key[0], street=key[1], community=key[2]), "", rule)
                       for r in routed])
        affected = len(holds) + len(routed)
        changed += [r.id for r in routed]
    _roster_changed(session, changed)
    session.flush()
    return Decision(*key, status, row.code, affected)


def _roster_changed(session: Session, retiree_ids: list[int]) -> None:
    """The enterprises of people re-routed or held by a decision: their bundles are out of date."""
    from .registry import roster_changed

    if retiree_ids:
        roster_changed(session, session.scalars(select(RetireeRow.enterprise_id)
                                                .where(RetireeRow.id.in_(retiree_ids)).distinct()))


def _reroute(session: Session, holds: list[CommunityHoldRow], registry: Registry) -> None:
    """Route the held people again, now that their community is registered."""
    from .models import Retiree
    from .policy import load_profile
    from .registry import store_assignment, to_enterprise
    from .routing import route

    for h in holds:
        retiree = session.get(RetireeRow, h.retiree_id)
        enterprise = session.get(EnterpriseRow, retiree.enterprise_id)
        column = h.column
        session.delete(h)
        session.flush()
        assignment = route(Retiree.model_validate(retiree.data), to_enterprise(enterprise),
                           load_profile(enterprise.region), registry)
        store_assignment(retiree, assignment)
        if assignment.held is not None:
            hold(session, [(retiree.id, assignment.held, column, assignment.rule)])


# ---------------------------------------------------------------- contacts (联系卡)

@dataclass(frozen=True)
class Contact:
    """What a community's 联系卡 publishes: its 社区联系人 and 服务电话 (either may be missing)."""

    liaison: str = ""
    phone: str = ""

    @property
    def missing(self) -> list[str]:
        return [label for label, value in (("社区联系人", self.liaison), ("服务电话", self.phone)) if not value]


# A service line as offices write it: 0715-8123456, (0371)66112233, 12345, 138 0000 0000, 转 extensions.
_PHONE = re.compile(r"^[0-9（）()\-—\s]{5,}(?:(?:转|-|ext\.?)\s*\d{1,6})?$")


def contacts(session: Session) -> dict[Key, Contact]:
    return {(r.county, r.street, r.name): Contact(r.liaison, r.phone)
            for r in session.scalars(select(CommunityContactRow))}


def set_contact(session: Session, county: str, street: str, name: str, liaison: str, phone: str, actor: str, *,
                at: dt.datetime | None = None, registry: Registry | None = None) -> Key:
    """Record a registered community's 社区联系人 and 服务电话 (an empty value clears it). In the
    caller's transaction."""
    key = (county.strip(), street.strip(), name.strip())
    if not all(key):
        raise CommunityRefused("请填写区县、街道和社区名称")
    registry = registry or load_registry(session)
    if not registry.known(*key):
        raise CommunityRefused(registry.finding(*key))
    liaison, phone = (liaison or "").strip(), (phone or "").strip()
    if len(liaison) > 64:
        raise CommunityRefused("社区联系人不超过64个字符")
    if phone and (len(phone) > 64 or not _PHONE.match(phone)):
        raise CommunityRefused(f"服务电话“{phone}”无法识别（应如 0715-8123456 或 12345）")
    row = session.scalar(select(CommunityContactRow).where(CommunityContactRow.county == key[0],
                                                           CommunityContactRow.street == key[1],
                                                           CommunityContactRow.name == key[2]))
    if row is None:
        row = CommunityContactRow(county=key[0], street=key[1], name=key[2])
        session.add(row)
    row.liaison, row.phone = liaison, phone
    row.updated_by, row.updated_at = (actor or "未知")[:64], at or utcnow()
    session.flush()
    return key


CONTACT_COLUMNS = {"county": ("县(市、区)", "县（市、区）", "区县", "县区", "县(区)", "县（区）"),
                   "street": ("街道(乡镇)", "街道（乡镇）", "街道", "乡镇"),
                   "name": ("社区(村)", "社区（村）", "社区", "社区名称"),
                   "liaison": ("社区联系人", "联系人"),
                   "phone": ("服务电话", "联系电话", "电话")}


def read_contact_sheet(path: Path) -> list[tuple[int, dict[str, str]]]:
    """The rows of a 社区联系方式 sheet (.xlsx or .csv, like the gazetteer's columns): 区县, 街道,
    社区, 社区联系人, 服务电话 in any order, under a header found in the first ten rows."""
    if path.suffix.lower() == ".csv":
        raw = path.read_bytes()
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                rows = list(csv.reader(raw.decode(encoding).splitlines()))
                break
            except UnicodeDecodeError:
                continue
        else:
            raise CommunityRefused(f"{path.name} 的编码无法识别（应为 UTF-8 或 GB18030）")
    elif path.suffix.lower() == ".xlsx":
        from openpyxl import load_workbook

        try:
            sheet = load_workbook(path, read_only=True, data_only=True).worksheets[0]
        except Exception:  # noqa: BLE001 - any unreadable workbook is the same refusal
            raise CommunityRefused(f"{path.name} 不是可读取的 .xlsx 文件") from None
        rows = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    else:
        raise CommunityRefused("社区联系方式表应为 .xlsx 或 .csv 文件")
    for h, header in enumerate(rows[:10]):
        cells = [c.strip() for c in header]
        where = {key: next((i for i, c in enumerate(cells) if c in names), None)
                 for key, names in CONTACT_COLUMNS.items()}
        if all(i is not None for i in where.values()):
            out = []
            for n, row in enumerate(rows[h + 1:], h + 2):
                values = {key: (row[i].strip() if i < len(row) else "") for key, i in where.items()}
                if any(values.values()):
                    out.append((n, values))
            return out
    raise CommunityRefused(f"{path.name} 的前10行中没有找到表头（应有 区县、街道、社区、社区联系人、服务电话 五列）")
