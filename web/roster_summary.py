"""The enterprise's 移交去向汇总 in SQL: counts per community and per status (GROUP BY), and one
page of its people, filtered by place, status and name — never the whole roster in Python."""

from __future__ import annotations

from sqlalchemy import case, exists, func, select
from sqlalchemy.orm import Session

from handover.db import CommunityHoldRow, RetireeRow
from handover.errors import InputRefused

from .paging import Paging, Sorts

# routed: a receiving community; held: its community waits for an admin; excluded: not handed over
STATUS_LABELS = {"routed": "已确定移交社区", "held": "社区待确认", "excluded": "不随同移交"}

_held = exists().where(CommunityHoldRow.retiree_id == RetireeRow.id)
STATUS = case((RetireeRow.dest_county.is_not(None), "routed"), (_held, "held"), else_="excluded")

SORTS = Sorts(columns={"roster": (RetireeRow.import_id, RetireeRow.source_row), "name": (RetireeRow.name,),
                       "retired_on": (RetireeRow.retired_on,),
                       "community": (RetireeRow.dest_county, RetireeRow.dest_street, RetireeRow.dest_community),
                       "status": (STATUS,)},
              default="roster", tiebreak=RetireeRow.id)


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def communities(session: Session, enterprise_id: int) -> list[dict]:
    rows = session.execute(
        select(RetireeRow.dest_county, RetireeRow.dest_street, RetireeRow.dest_community, func.count(),
               func.sum(case((RetireeRow.party_member, 1), else_=0)))
        .where(RetireeRow.enterprise_id == enterprise_id, RetireeRow.dest_county.is_not(None))
        .group_by(RetireeRow.dest_county, RetireeRow.dest_street, RetireeRow.dest_community)
        .order_by(RetireeRow.dest_county, RetireeRow.dest_street, RetireeRow.dest_community))
    return [{"county": c, "street": s or "", "community": m or "", "count": n, "party": int(p or 0)}
            for c, s, m, n, p in rows]


def statuses(session: Session, enterprise_id: int) -> dict[str, int]:
    counts = dict(session.execute(select(STATUS, func.count()).where(RetireeRow.enterprise_id == enterprise_id)
                                  .group_by(STATUS)).all())
    return {key: counts.get(key, 0) for key in STATUS_LABELS}


def selection(enterprise_id: int, f: dict[str, str]):
    """The enterprise's people under the filters ``f`` (county, street, community, status, q), unordered."""
    if f.get("status") and f["status"] not in STATUS_LABELS:
        raise InputRefused(f"未知的状态“{f['status'][:20]}”，可选：{'、'.join(STATUS_LABELS)}")
    stmt = select(RetireeRow.id, RetireeRow.name, RetireeRow.sex, RetireeRow.id_number, RetireeRow.retired_on,
                  RetireeRow.dest_county, RetireeRow.dest_street, RetireeRow.dest_community, RetireeRow.route_rule,
                  STATUS.label("status")).where(RetireeRow.enterprise_id == enterprise_id)
    for key, column in (("county", RetireeRow.dest_county), ("street", RetireeRow.dest_street),
                        ("community", RetireeRow.dest_community)):
        if f.get(key):
            stmt = stmt.where(column == f[key])
    if f.get("status"):
        stmt = stmt.where(STATUS == f["status"])
    if f.get("q"):
        stmt = stmt.where(RetireeRow.name.like(_like(f["q"]), escape="\\"))
    return stmt


def person(r, id_text) -> dict:
    return {"name": r.name, "sex": r.sex, "id_number": id_text(r.id_number), "retired_on": r.retired_on.isoformat(),
            "county": r.dest_county or "", "street": r.dest_street or "", "community": r.dest_community or "",
            "status": r.status, "rule": r.route_rule or ""}


def people(session: Session, enterprise_id: int, paging: Paging, id_text) -> list[dict]:
    """One page of the enterprise's people under the paging's filters; sets ``paging.total``.
    ``id_text`` is the viewer's disclosure of an ID number."""
    stmt = selection(enterprise_id, paging.filters)
    paging.count(session, stmt)
    return [person(r, id_text) for r in session.execute(paging.apply(stmt))]
