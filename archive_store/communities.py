"""Communities (社区) of the catalog: created on first publish — only a registered one (in the
gazetteer, or confirmed by an admin: handover.communities) —, looked up by id, code or name; the
admins' decisions on unregistered communities and the communities' 联系卡 contacts, written to the
audit log."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from handover import communities as registry
from handover.errors import Conflict, InputRefused, NotFound

from . import audit
from .numbering import fallback_community_code
from .tables import CommunityRow


class CommunityNotFound(NotFound):
    pass


class CommunityUnregistered(InputRefused):
    """A community neither in the gazetteer nor confirmed by an admin receives no volume."""


def get_or_create(session: Session, county: str, street: str, name: str,
                  code: str | None = None) -> CommunityRow:
    row = session.scalar(select(CommunityRow).where(CommunityRow.county == county,
                                                    CommunityRow.street == street,
                                                    CommunityRow.name == name))
    if row is not None:
        return row  # an issued code never changes (档号 stability)
    known = registry.load_registry(session)
    if not known.known(county, street, name):
        raise CommunityUnregistered(f"不能入库到未登记的社区：{known.finding(county, street, name)}"
                                    "（管理员可在“社区名录”页面或用 handover communities confirm 确认）")
    code = code or known.code(county, street, name)
    row = CommunityRow(county=county, street=street, name=name, code=code or "")
    session.add(row)
    session.flush()
    if not row.code:
        row.code = fallback_community_code(row.id)
        session.flush()
    return row


def resolve(session: Session, ref: str | int) -> CommunityRow:
    """A community by id, 区划代码, name, or "county/street/community"; Chinese error if unknown
    or ambiguous."""
    text = str(ref).strip()
    if "/" in text:
        parts = text.split("/")
        if len(parts) == 3:
            row = session.scalar(select(CommunityRow).where(CommunityRow.county == parts[0],
                                                            CommunityRow.street == parts[1],
                                                            CommunityRow.name == parts[2]))
            if row:
                return row
        raise CommunityNotFound(f"未找到社区“{text}”")
    conditions = [CommunityRow.code == text, CommunityRow.name == text]
    if text.isdigit() and len(text) < 12:
        conditions.append(CommunityRow.id == int(text))
    rows = list(session.scalars(select(CommunityRow).where(or_(*conditions))))
    if not rows:
        raise CommunityNotFound(f"未找到社区“{text}”")
    if len(rows) > 1:
        exact_id = [r for r in rows if str(r.id) == text]
        if exact_id:
            return exact_id[0]
        labels = "、".join(f"{r.id}:{r.label}" for r in rows)
        raise CommunityNotFound(f"社区“{text}”不唯一，请用编号或“区县/街道/社区”指定：{labels}")
    return rows[0]


def confirm(session: Session, county: str, street: str, name: str, actor: str, *, code: str = "",
            reason: str = "") -> registry.Decision:
    """An admin confirms a community not in the gazetteer; the rows held for it are re-routed."""
    decision = registry.decide(session, county, street, name, registry.CONFIRMED, actor, code=code,
                               reason=reason)
    audit.record(session, actor, "community_confirm", decision.label, reason, code=decision.code,
                 released=decision.released)
    return decision


def reject(session: Session, county: str, street: str, name: str, actor: str, *, reason: str = "") -> registry.Decision:
    """An admin rejects a community name; the people held for it (or routed to it) are left to be
    assigned by hand. Refused once a volume is filed there (its 档号 are issued)."""
    if session.scalar(select(CommunityRow.id).where(CommunityRow.county == county.strip(),
                                                    CommunityRow.street == street.strip(),
                                                    CommunityRow.name == name.strip())) is not None:
        raise Conflict(f"“{county}{street}{name}”已有案卷入库，不能驳回")
    decision = registry.decide(session, county, street, name, registry.REJECTED, actor, reason=reason)
    audit.record(session, actor, "community_reject", decision.label, reason, released=decision.released)
    return decision


def set_contact(session: Session, county: str, street: str, name: str, actor: str, *, liaison: str,
                phone: str) -> str:
    """An admin records the 社区联系人 and 服务电话 a community's 联系卡 prints."""
    key = registry.set_contact(session, county, street, name, liaison, phone, actor)
    label = "".join(key)
    audit.record(session, actor, "community_contact", label, "", liaison=liaison.strip(), phone=phone.strip())
    return label


def import_contacts(session: Session, path: Path, actor: str) -> int:
    """A 社区联系方式 sheet, all or nothing: any row refused (an unregistered community, a phone
    that is not one) refuses the file with every such row named."""
    rows = registry.read_contact_sheet(path)
    known = registry.load_registry(session)
    refused = []
    for n, v in rows:
        try:  # the row is checked before it is written: a refused one writes nothing
            registry.set_contact(session, v["county"], v["street"], v["name"], v["liaison"], v["phone"], actor,
                                 registry=known)
        except registry.CommunityRefused as err:
            refused.append(f"第{n}行：{err}")
    if refused:
        raise registry.CommunityRefused("社区联系方式表未导入：\n" + "\n".join(refused[:20])
                                        + (f"\n……共{len(refused)}行" if len(refused) > 20 else ""))
    audit.record(session, actor, "community_contacts_import", path.name, "", rows=len(rows))
    return len(rows)
