"""Routing: which county / street / community receives each retiree (pure functions).

The rule is data in the policy profile (``PolicyProfile.routing``); this module only applies it.
A community the registry does not know (``handover.communities``) receives nobody: the person is
held for it (``Assignment.held``) until an admin confirms it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable, TypeVar

from . import gazetteer
from .communities import Registry
from .models import Address, Destination, Enterprise, Retiree
from .policy import PolicyProfile, RoutingRule

SOURCE_LABELS = {"override": "确认的移交地", "residence": "常年居住地", "hukou": "户口所在地"}


@dataclass(frozen=True)
class Assignment:
    destination: Destination | None
    rule: str  # why, in Chinese, for the roster's 备注 and the report
    excluded: str | None = None  # not transferred at all, and why
    held: Destination | None = None  # chosen, but not a registered community: waits for an admin
    source: str = ""  # whose address chose it: override, residence, hukou or enterprise

    @property
    def routed(self) -> bool:
        return self.destination is not None


def _destination(address: Address | Destination) -> Destination:
    code = getattr(address, "code", None) or gazetteer.community_code(
        address.county, address.street, address.community)
    return Destination(county=address.county, street=address.street,
                       community=address.community, code=code)


def _in_jurisdiction(address: Address, rule: RoutingRule) -> bool:
    if rule.jurisdiction_counties and address.county not in rule.jurisdiction_counties:
        return False
    if rule.jurisdiction_province and address.province and address.province != rule.jurisdiction_province:
        return False
    return True


def _enterprise_fallback(enterprise: Enterprise, why: str) -> Assignment:
    if enterprise.location.routable:
        return Assignment(_destination(enterprise.location), f"{why}，移交企业所在地", source="enterprise")
    return Assignment(None, f"{why}，且企业所在地未登记到社区，需人工指定")


_GAZETTEER_ONLY = Registry()


def route(retiree: Retiree, enterprise: Enterprise, profile: PolicyProfile,
          registry: Registry | None = None) -> Assignment:
    """``registry``: the gazetteer and the admins' decisions (default: the gazetteer alone)."""
    rule = profile.routing
    if rule.exclude_deceased and retiree.deceased:
        return Assignment(None, "移交前已死亡", excluded="移交前已死亡，档案仍由原企业保管")
    if rule.exclude_leadership_cadres and retiree.leadership_cadre:
        return Assignment(None, "领导人员", excluded="领导人员，档案按管理权限由组织部门保管，不随同移交")
    chosen = _choose(retiree, enterprise, rule)
    if rule.receiving_county == "enterprise_insured":
        chosen = _within_insured_county(chosen, enterprise)
    return _registered(chosen, registry or _GAZETTEER_ONLY)


def _registered(chosen: Assignment, registry: Registry) -> Assignment:
    dest = chosen.destination
    if dest is None:
        return chosen
    key = (dest.county, dest.street, dest.community)
    if not registry.known(*key):
        return Assignment(None, f"社区待确认：{dest.label}不在社区名录中（{chosen.rule}）", held=dest,
                          source=chosen.source)
    if dest.code is None and registry.code(*key):
        return Assignment(dest.model_copy(update={"code": registry.code(*key)}), chosen.rule,
                          source=chosen.source)
    return chosen


def _choose(retiree: Retiree, enterprise: Enterprise, rule: RoutingRule) -> Assignment:
    if "override" in rule.sources and retiree.chosen_destination:
        return Assignment(_destination(retiree.chosen_destination), SOURCE_LABELS["override"], source="override")
    if (rule.out_of_province_hukou_to_enterprise and retiree.hukou.province
            and rule.jurisdiction_province and retiree.hukou.province != rule.jurisdiction_province):
        return _enterprise_fallback(enterprise, "省外户籍")
    outside = []
    for source in rule.sources:
        if source == "override":
            continue
        address: Address = getattr(retiree, source)
        if not address.routable:
            continue
        if _in_jurisdiction(address, rule):
            return Assignment(_destination(address), SOURCE_LABELS[source], source=source)
        outside.append(SOURCE_LABELS[source])
    why = "、".join(outside) + "不在辖区内" if outside else "住址不完整"
    if rule.outside_jurisdiction == "enterprise_location":
        return _enterprise_fallback(enterprise, why)
    return Assignment(None, f"{why}，需人工指定")


def _within_insured_county(chosen: Assignment, enterprise: Enterprise) -> Assignment:
    """重庆: the receiving county is the enterprise's 参保地; streets follow the person inside it."""
    county = enterprise.insured_county or enterprise.location.county
    if chosen.destination and chosen.destination.county == county:
        return Assignment(chosen.destination, f"企业参保地{county}，{chosen.rule}", source=chosen.source)
    if enterprise.location.routable and enterprise.location.county == county:
        return Assignment(_destination(enterprise.location),
                          f"企业参保地{county}，住址不在该区县，移交企业所在地街道社区", source="enterprise")
    return Assignment(None, f"企业参保地{county}，需由区县指定接收街道社区")


T = TypeVar("T")


def group_by_community(items: Iterable[tuple[T, Assignment]]) -> dict[Destination, list[T]]:
    """Routed items per destination, in county / street / community order (as rosters are made)."""
    groups: dict[Destination, list[T]] = defaultdict(list)
    for item, assignment in items:
        if assignment.destination is not None:
            groups[assignment.destination].append(item)
    return dict(sorted(groups.items(), key=lambda kv: (kv[0].county, kv[0].street, kv[0].community)))


def group_by_street(items: Iterable[tuple[T, Assignment]]) -> dict[tuple[str, str], list[T]]:
    """Routed items per (county, street): the 档案移交名册表 is made per 街道(乡镇)."""
    groups: dict[tuple[str, str], list[T]] = defaultdict(list)
    for item, assignment in items:
        if assignment.destination is not None:
            groups[(assignment.destination.county, assignment.destination.street)].append(item)
    return dict(sorted(groups.items()))
