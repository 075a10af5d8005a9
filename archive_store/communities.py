"""Communities (社区) of the catalog: created on first publish, looked up by id, code or name."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from handover import gazetteer
from handover.errors import NotFound

from .numbering import fallback_community_code
from .tables import CommunityRow


class CommunityNotFound(NotFound):
    pass


def get_or_create(session: Session, county: str, street: str, name: str,
                  code: str | None = None) -> CommunityRow:
    row = session.scalar(select(CommunityRow).where(CommunityRow.county == county,
                                                    CommunityRow.street == street,
                                                    CommunityRow.name == name))
    if row is not None:
        return row  # an issued code never changes (档号 stability)
    code = code or gazetteer.community_code(county, street, name)
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
