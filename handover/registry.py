"""Enterprises and imported retirees in the catalog database."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from . import communities
from .db import EnterpriseRow, RetireeRow
from .clock import utcnow
from .errors import InputRefused
from .models import Address, Destination, Enterprise, Retiree
from .policy import load_profile
from .routing import Assignment


class RegistryError(InputRefused):
    """A registry request that cannot be met; the message is for the user, in Chinese."""


def roster_changed(session: Session, enterprise_ids: Iterable[int]) -> None:
    """Record that these enterprises' retirees or their assignments changed now: bundles built
    before are out of date (the web's documents page says 已过期). Every writer of ``retirees`` calls
    it in its own transaction. The Python clock, as the bundles' ``created_at``: microseconds on
    both dialects, where SQLite's ``now()`` has whole seconds."""
    ids = sorted({i for i in enterprise_ids if i is not None})
    if ids:
        session.execute(update(EnterpriseRow).where(EnterpriseRow.id.in_(ids)).values(roster_changed_at=utcnow()))


def add_enterprise(session: Session, enterprise: Enterprise, region: str) -> EnterpriseRow:
    load_profile(region)  # fail early on an unknown region
    if session.scalar(select(EnterpriseRow).where(EnterpriseRow.name == enterprise.name)):
        raise RegistryError(f"企业“{enterprise.name}”已登记")
    if session.scalar(select(EnterpriseRow).where(EnterpriseRow.uscc == enterprise.uscc)):
        raise RegistryError(f"统一社会信用代码 {enterprise.uscc} 已被其他企业登记")
    row = EnterpriseRow(name=enterprise.name, uscc=enterprise.uscc, region=region,
                        location=enterprise.location.model_dump(), insured_county=enterprise.insured_county,
                        legal_representative=enterprise.legal_representative, contact=enterprise.contact,
                        phone=enterprise.phone)
    session.add(row)
    session.flush()
    return row


def to_enterprise(row: EnterpriseRow) -> Enterprise:
    return Enterprise(name=row.name, uscc=row.uscc, location=Address(**row.location),
                      insured_county=row.insured_county, legal_representative=row.legal_representative,
                      contact=row.contact, phone=row.phone)


def enterprise_row(session: Session, name: str) -> EnterpriseRow:
    row = session.scalar(select(EnterpriseRow).where(EnterpriseRow.name == name))
    if row is None:
        known = "、".join(session.scalars(select(EnterpriseRow.name).limit(10))) or "无"
        raise RegistryError(f"未登记的企业：“{name}”。请先用 handover enterprise add 登记。已登记：{known}")
    return row


def find_enterprise(session: Session, name: str) -> tuple[Enterprise, str]:
    row = enterprise_row(session, name)
    return to_enterprise(row), row.region


def list_enterprises(session: Session) -> list[EnterpriseRow]:
    return list(session.scalars(select(EnterpriseRow).order_by(EnterpriseRow.id)))


def assignment_of(row: RetireeRow, held: bool = False) -> Assignment:
    """The stored routing; ``held``: waiting for a community to be confirmed (not excluded)."""
    if row.dest_county is None:
        return Assignment(None, row.route_rule or "", excluded=None if held else row.route_rule)
    return Assignment(Destination(county=row.dest_county, street=row.dest_street or "",
                                  community=row.dest_community or "", code=row.dest_code),
                      row.route_rule or "")


def retirees_of(session: Session, enterprise_name: str) -> list[tuple[Retiree, Assignment]]:
    ent = enterprise_row(session, enterprise_name)
    rows = list(session.scalars(select(RetireeRow).where(RetireeRow.enterprise_id == ent.id)
                                .order_by(RetireeRow.import_id, RetireeRow.source_row)))
    held = communities.held_ids(session, (r.id for r in rows if r.dest_county is None))
    return [(Retiree.model_validate(r.data), assignment_of(r, r.id in held)) for r in rows]


def store_assignment(row: RetireeRow, assignment: Assignment) -> None:
    dest = assignment.destination
    row.dest_county, row.dest_street, row.dest_community, row.dest_code = (
        (dest.county, dest.street, dest.community, dest.code) if dest else (None, None, None, None))
    row.route_rule = assignment.excluded or assignment.rule


def set_override(session: Session, id_number: str, destination: Destination, reason: str) -> RetireeRow:
    """A per-person destination chosen after import (本人申请、确认的移交地); it must be a
    registered community."""
    row = session.scalar(select(RetireeRow).where(RetireeRow.id_number == id_number))
    if row is None:
        raise RegistryError("没有找到该身份证号对应的已导入人员")
    registry = communities.load_registry(session)
    key = (destination.county, destination.street, destination.community)
    if not registry.known(*key):
        raise RegistryError(registry.finding(*key))
    destination = destination if destination.code else destination.model_copy(update={"code": registry.code(*key)})
    communities.release(session, [row.id])
    data = dict(row.data)
    data["chosen_destination"] = destination.model_dump()
    row.data = data
    row.dest_county, row.dest_street, row.dest_community = (destination.county, destination.street,
                                                            destination.community)
    row.dest_code = destination.code
    row.route_rule = f"人工指定：{reason}" if reason else "人工指定"
    roster_changed(session, [row.enterprise_id])
    return row
