"""The 案卷目录 list of the catalogs page: one page of the published volumes the user may see,
filtered by community, 档号 range, name, completeness and date of publishing — in SQL."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive_store.tables import PUBLISHED, CommunityRow, VolumeRow
from handover import clock
from handover.errors import InputRefused

from .paging import Paging, Sorts

# the check's outcome as stored on the volume; "unchecked": no check.json came with it
OUTCOMES = {"complete": "完整", "incomplete": "不完整", "rejected": "退回", "unchecked": "未检查"}
SORTS = Sorts(columns={"ref_no": (VolumeRow.ref_no,), "name": (VolumeRow.name,),
                       "published": (VolumeRow.published_at,), "pages": (VolumeRow.content_pages,),
                       "outcome": (VolumeRow.check_outcome,)},
              default="ref_no", tiebreak=VolumeRow.id)


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _day(value: str, label: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InputRefused(f"{label}“{value[:20]}”不是日期，请按 年-月-日 填写，如 2026-01-31") from None


def selection(scope: list[int] | None, f: dict[str, str]):
    """The published volumes within ``scope`` (community ids; None: all) under the filters ``f``, unordered."""
    stmt = (select(VolumeRow.id, VolumeRow.ref_no, VolumeRow.name, VolumeRow.enterprise_name, VolumeRow.content_pages,
                   VolumeRow.materials, VolumeRow.check_outcome, VolumeRow.published_at, CommunityRow.id.label("cid"),
                   CommunityRow.county, CommunityRow.street, CommunityRow.name.label("community"))
            .join(CommunityRow, CommunityRow.id == VolumeRow.community_id)
            .where(VolumeRow.status == PUBLISHED))
    if scope is not None:
        stmt = stmt.where(VolumeRow.community_id.in_(scope))
    if f.get("community"):
        if not f["community"].isdigit():
            raise InputRefused("社区应为社区编号")
        stmt = stmt.where(VolumeRow.community_id == int(f["community"]))
    if f.get("ref_from"):
        stmt = stmt.where(VolumeRow.ref_no >= f["ref_from"])
    if f.get("ref_to"):
        stmt = stmt.where(VolumeRow.ref_no <= f["ref_to"])
    if f.get("name"):
        stmt = stmt.where(VolumeRow.name.like(_like(f["name"]), escape="\\"))
    if f.get("outcome"):
        if f["outcome"] not in OUTCOMES:
            raise InputRefused(f"未知的检查结果“{f['outcome'][:20]}”，可选：{'、'.join(OUTCOMES)}")
        stmt = stmt.where(VolumeRow.check_outcome == ("" if f["outcome"] == "unchecked" else f["outcome"]))
    since = _day(f["since"], "起始日期") if f.get("since") else None
    until = _day(f["until"], "截止日期") if f.get("until") else None
    if since and until and since > until:
        raise InputRefused("起始日期晚于截止日期")
    if since:  # the office's calendar days, both ends included (times are stored in UTC)
        stmt = stmt.where(VolumeRow.published_at >= clock.stored_start_of(since))
    if until:
        stmt = stmt.where(VolumeRow.published_at < clock.stored_start_of(until + dt.timedelta(days=1)))
    return stmt


def volume(r) -> dict:
    return {"volume_id": r.id, "ref_no": r.ref_no, "name": r.name, "enterprise": r.enterprise_name,
            "community_id": r.cid, "community": f"{r.county}{r.street}{r.community}", "pages": r.content_pages,
            "materials": r.materials, "outcome": r.check_outcome or "unchecked",
            "published_at": clock.iso(r.published_at)}


def volumes(session: Session, scope: list[int] | None, paging: Paging) -> list[dict]:
    """One page of the published volumes within ``scope`` under the paging's filters; sets ``paging.total``."""
    stmt = selection(scope, paging.filters)
    paging.count(session, stmt)
    return [volume(r) for r in session.execute(paging.apply(stmt))]
