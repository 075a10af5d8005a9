"""Dossier page (卷内目录, page images, completeness, searchable PDF) and community catalogs."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from archive_store import audit, watermark
from archive_store.access import KINDS, STATUS_LABELS, citation
from archive_store.catalog import export_xlsx
from archive_store.read_rule import Shelved, Verdict, may_read, read_grant, verdict
from archive_store.receipts import receipt_of_volume
from archive_store.supplements import part_no, volumes_of_person
from archive_store.storage import ObjectNotFound, StorageError, open_storage
from archive_store.tables import (PUBLISHED, WITHDRAWN, AccessRequestRow, CommunityRow, MaterialRow, PageRow,
                                  StoredObjectRow, VolumeRow)
from archive_store.withdraw import latest_withdrawal, withdrawn_volumes
from handover import clock, volume_folder
from handover.disclosure import MASKED, Disclosure

from .. import catalog_list
from ..deps import ARCHIVE_ROLES, STAFF, CurrentUser, DB, deny, hidden, missing, require
from ..downloads import built_file
from ..exports import Column, streamed, write_sheet, xlsx_download
from ..paging import DEFAULT_LIMIT, MAX_LIMIT, Paging
from ..render import flash, page
from ..security import verify_csrf
from ..users import ARCHIVE, ADMIN

router = APIRouter()
staff_only = require(*STAFF)
archive_only = require(*ARCHIVE_ROLES)


class Acceptance(BaseModel):
    statement_ref: str  # 《档案材料缺失情况说明》的文号或文件名


class Withdrawal(BaseModel):
    reason: str  # 退回原因，如缺少的材料
OUTCOMES = {"complete": "完整", "incomplete": "不完整", "rejected": "退回", "": "未检查"}
SEVERITIES = {"error": "问题", "warning": "需人工复核", "info": "提示"}


def visible_volume(request: Request, session: Session, user: CurrentUser, volume_id: int, *,
                   withdrawn: bool = False) -> VolumeRow:
    """A volume whose record the user may see (archive_store.read_rule); ``withdrawn``: the page
    also serves 退回 volumes (to custodians, per the rule), otherwise published ones only."""
    vol = session.get(VolumeRow, volume_id)
    if vol is None or (not withdrawn and vol.status != PUBLISHED):
        raise missing(request, user, f"volume/{volume_id}", "未找到该案卷")
    # Seeing the record does not depend on a request: only ABSENT and OUT_OF_SCOPE refuse here,
    # both answered alike (404) so that ids cannot be probed.
    seen = verdict(user.reader, Shelved(vol.status, vol.community_id), approved_request=False)
    if seen is Verdict.ABSENT:
        raise missing(request, user, f"volume/{volume_id}", "未找到该案卷")
    if seen is Verdict.OUT_OF_SCOPE:
        raise hidden(request, user, vol.ref_no, "该案卷不属于您所在的社区，无权查阅", "未找到该案卷")
    return vol


def need_read(request: Request, session: Session, user: CurrentUser, vol: VolumeRow) -> dict:
    """Page images, the PDF and the 校对 crops: refused unless the read rule says READ. Returns
    what the audit row of the read cites (``access.citation``: the request that allowed it)."""
    grant = read_grant(session, user.reader, vol)
    if grant.verdict is not Verdict.READ:
        raise deny(request, user, vol.ref_no, "调阅档案原件需经档案馆批准的查阅申请")
    return citation(grant.request)


def _storage(request: Request):
    return open_storage(request.app.state.cfg)


def _stored_check(request: Request, vol: VolumeRow) -> volume_folder.CheckFile | None:
    """The check.json stored with the volume (older forms migrated), or None."""
    try:
        return volume_folder.loads(volume_folder.CHECK_JSON,
                                   _storage(request).get(f"{vol.prefix}/{volume_folder.CHECK_JSON}"))
    except (StorageError, volume_folder.VolumeFormatError):
        return None


def _check_report(request: Request, session: Session, vol: VolumeRow, shown: Disclosure) -> dict:
    """The completeness report for the page (check.json stored with the volume); findings quote ID
    numbers and birth dates, shown as the reader may see them beside the volume's number."""
    has = session.scalar(select(StoredObjectRow.id).where(StoredObjectRow.volume_id == vol.id,
                                                          StoredObjectRow.key == volume_folder.CHECK_JSON))
    check = _stored_check(request, vol) if has else None
    outcome = (check.outcome if check else "") or vol.check_outcome or ""
    found = list(check.findings if check else ())
    messages = shown.texts([f.message_zh or f.code for f in found] + [f.material or "" for f in found],
                           [vol.id_number])
    findings = [{"severity": SEVERITIES.get(f.severity, f.severity), "error": f.severity == "error",
                 "message": message, "page": f.page, "material": material}
                for f, message, material in zip(found, messages, messages[len(found):])]
    accepted = _acceptance(session, vol)
    return {"outcome": outcome, "label": (check.outcome_label if check else "") or OUTCOMES.get(outcome, outcome),
            "missing": list(check.missing) if check else [], "findings": findings,
            "checked_at": check.checked_at if check else "",
            "acceptable": outcome == "incomplete" and check is not None and check.is_report and accepted is None,
            "accepted": accepted}


def _acceptance(session: Session, vol: VolumeRow) -> dict | None:
    try:
        from completeness.acceptance import acceptance_of
    except ModuleNotFoundError:
        return None
    row = acceptance_of(session, vol.id_number)
    if row is None:
        return None
    return {"accepted_by": row.accepted_by, "statement_ref": row.statement_ref,
            "accepted_at": clock.iso(row.accepted_at) or ""}


def stored_report(request: Request, vol: VolumeRow):
    """The volume's completeness report (a ``completeness.check.CheckReport``), or None."""
    from completeness.check import CheckReport

    check = _stored_check(request, vol)
    if check is None:
        return None
    try:
        report = CheckReport.of(check)
    except ValueError:  # an outcome without a report, or an outcome or severity unknown here
        return None
    report.ref_no = report.ref_no or vol.ref_no
    return report


def accept_volume(request: Request, session: Session, user: CurrentUser, vol: VolumeRow, statement_ref: str) -> dict:
    """接收 an incomplete volume on the enterprise's signed 《档案材料缺失情况说明》 (completeness package)."""
    try:
        from completeness.acceptance import accept_incomplete
    except ModuleNotFoundError:
        raise HTTPException(501, "完整性检查模块未安装，不能办理接收") from None

    report = stored_report(request, vol)
    if report is None:
        raise HTTPException(409, "本卷没有完整性检查报告，不能办理接收")
    if _acceptance(session, vol) is not None:
        raise HTTPException(409, "本卷已登记书面说明并接收")
    row = accept_incomplete(session, report, user.display_name or user.username, statement_ref,
                            enterprise=vol.enterprise_name)
    audit.record(session, user.username, "accept_incomplete", vol.ref_no, statement_ref.strip())
    return {"ref_no": vol.ref_no, "accepted_by": row.accepted_by, "statement_ref": row.statement_ref}


def withdraw(request: Request, session: Session, user: CurrentUser, vol: VolumeRow, reason: str) -> dict:
    """退回: out of search, catalogs and non-archive views (档号 and files kept); the workers' dossier
    is quarantined with the reason, ready for ``handover requeue`` once materials are supplied."""
    from workers.requeue import withdraw as withdraw_dossier

    row, dossier_id = withdraw_dossier(session, vol.ref_no, user.username, reason, request.app.state.cfg)
    return {"ref_no": vol.ref_no, "status": WITHDRAWN, "reason": row.reason, "dossier": dossier_id}


def _withdrawal(session: Session, vol: VolumeRow, shown: Disclosure) -> dict | None:
    row = latest_withdrawal(session, vol.id) if vol.status == WITHDRAWN else None
    return ({"reason": shown.text(row.reason, [vol.id_number]), "actor": row.actor, "at": clock.iso(row.at)}
            if row else None)


def _receipt(session: Session, vol: VolumeRow) -> dict | None:
    """接收手续已办结: the signed 档案移交名册表 of the person's street on record (archive_store.receipts)."""
    row = receipt_of_volume(session, vol)
    return {"id": row.id, "uploaded_by": row.uploaded_by, "uploaded_at": clock.iso(row.uploaded_at),
            "sha256": row.sha256} if row else None


def _person_volumes(session: Session, user: CurrentUser, vol: VolumeRow) -> list[dict]:
    """The person's volumes (first volume and 补充材料, 卷号 order) this user may see, the read rule
    asked for each like for any volume; empty when the person has only this one."""
    seen = [v for v in volumes_of_person(session, vol)
            if verdict(user.reader, Shelved(v.status, v.community_id), approved_request=False)
            not in (Verdict.ABSENT, Verdict.OUT_OF_SCOPE)]
    if len(seen) < 2:
        return []
    return [{"id": v.volume_id, "ref_no": v.ref_no, "part_no": v.part_no, "status": v.status,
             "current": v.volume_id == vol.id} for v in seen]


def _dossier(request: Request, session: Session, user: CurrentUser, vol: VolumeRow) -> dict:
    community = session.get(CommunityRow, vol.community_id)
    materials = list(session.scalars(select(MaterialRow).where(MaterialRow.volume_id == vol.id)
                                     .order_by(MaterialRow.ordinal)))
    pages = list(session.execute(select(PageRow.seq, PageRow.page_no, PageRow.blank, PageRow.material_id)
                                 .where(PageRow.volume_id == vol.id).order_by(PageRow.seq)))
    # Titles, remarks and dates of materials may hold the birth date (a 出生证明 formed on it).
    shown = user.disclosure

    def text(value: str) -> str:
        return shown.text(value, [vol.id_number])

    titles = {m.id: text(m.title) for m in materials}
    has_pdf = session.scalar(select(func.count()).select_from(StoredObjectRow).where(
        StoredObjectRow.volume_id == vol.id, StoredObjectRow.key == "volume.pdf")) > 0
    volumes = _person_volumes(session, user, vol)
    return {
        "id": vol.id, "ref_no": vol.ref_no, "volume_no": vol.volume_no, "name": vol.name, "status": vol.status,
        "part_no": part_no(session, vol.id), "person_volumes": volumes,
        "withdrawal": _withdrawal(session, vol, shown),
        "id_number": user.id_text(vol.id_number), "community_id": vol.community_id,
        "community": community.label if community else "", "enterprise": vol.enterprise_name,
        "content_pages": vol.content_pages, "blank_pages": vol.blank_pages, "materials_count": vol.materials,
        "date_from": vol.date_from.isoformat() if vol.date_from else None,
        "date_to": vol.date_to.isoformat() if vol.date_to else None,
        "published_at": clock.iso(vol.published_at),
        "contents": [{"id": m.id, "seq": m.seq, "class_code": m.class_code, "title": titles[m.id],
                      "formed_on": text(m.formed_on.isoformat()) if m.formed_on else "", "pages": m.pages,
                      "start_page": m.start_page, "end_page": m.end_page, "remarks": text(m.remarks)}
                     for m in materials],
        "pages": [{"seq": s, "page_no": n, "blank": b, "material": titles.get(mid, "")} for s, n, b, mid in pages],
        "completeness": _check_report(request, session, vol, shown),
        "receipt": _receipt(session, vol),
        "has_pdf": has_pdf,
        "may_read": may_read(session, user.reader, vol),
    }


def _my_requests(session: Session, user: CurrentUser, vol: VolumeRow) -> list[AccessRequestRow]:
    q = select(AccessRequestRow).where(AccessRequestRow.volume_id == vol.id).order_by(AccessRequestRow.id.desc())
    if user.role not in (ADMIN, ARCHIVE):
        q = q.where(AccessRequestRow.requester == user.username)
    return list(session.scalars(q.limit(20)))


@router.get("/dossiers/{volume_id}", include_in_schema=False)
def dossier_page(request: Request, volume_id: int, seq: int | None = None, user: CurrentUser = Depends(staff_only),
                 session: Session = DB):
    vol = visible_volume(request, session, user, volume_id, withdrawn=True)
    data = _dossier(request, session, user, vol)
    audit.record(session, user.username, "view_dossier", vol.ref_no, "")
    seqs = [p["seq"] for p in data["pages"]]
    current = seq if seq in seqs else (seqs[0] if seqs else None)
    position = seqs.index(current) if current in seqs else -1
    return page(request, "dossier.html", d=data, current=current,
                current_page=data["pages"][position] if position >= 0 else None,
                prev_seq=seqs[position - 1] if position > 0 else None,
                next_seq=seqs[position + 1] if 0 <= position < len(seqs) - 1 else None,
                requests=_my_requests(session, user, vol), kinds=KINDS, status_labels=STATUS_LABELS)


# A marked copy names one viewer: no shared cache may keep it or hand it to another.
PRIVATE = {"Cache-Control": "private, no-store"}


def _stored(request: Request, key: str) -> bytes:
    try:
        return _storage(request).get(key)
    except ObjectNotFound:
        raise HTTPException(404, "存储中没有该文件") from None


def served_mark(user: CurrentUser, cited: dict) -> watermark.Mark:
    """The 水印 of one page view, crop or download: who (name and account), their organisation,
    the time, the request it rests on, and a fresh identifier for the audit row."""
    viewer = f"{user.display_name}（{user.username}）" if user.display_name else user.username
    return watermark.Mark(viewer, user.community_label or user.enterprise_name or user.role_label,
                          clock.shown(clock.utcnow()), cited.get("request_id"),
                          watermark.new_mark_id())


def mark_visible(request: Request, user: CurrentUser) -> bool:
    return watermark.visible_for(user.reader.custodian, request.app.state.cfg.watermark_custodians)


@router.post("/dossiers/{volume_id}/accept", include_in_schema=False, dependencies=[Depends(verify_csrf)])
def accept_form(request: Request, volume_id: int, statement_ref: str = Form(""),
                user: CurrentUser = Depends(archive_only), session: Session = DB):
    vol = visible_volume(request, session, user, volume_id)
    accept_volume(request, session, user, vol, statement_ref)
    flash(request, "已登记书面说明，本卷按不完整案卷接收。")
    return RedirectResponse(f"/dossiers/{volume_id}", status_code=303)


@router.post("/api/dossiers/{volume_id}/accept", tags=["案卷"], summary="凭书面说明接收不完整案卷（档案馆）",
             dependencies=[Depends(verify_csrf)])
def api_accept(request: Request, volume_id: int, body: Acceptance, user: CurrentUser = Depends(archive_only),
               session: Session = DB):
    vol = visible_volume(request, session, user, volume_id)
    return accept_volume(request, session, user, vol, body.statement_ref)


@router.post("/dossiers/{volume_id}/withdraw", include_in_schema=False, dependencies=[Depends(verify_csrf)])
def withdraw_form(request: Request, volume_id: int, reason: str = Form(""),
                  user: CurrentUser = Depends(archive_only), session: Session = DB):
    vol = visible_volume(request, session, user, volume_id)
    withdraw(request, session, user, vol, reason)
    flash(request, f"档号 {vol.ref_no} 已退回：不再出现在检索、目录和导出中，档号保留。")
    return RedirectResponse(f"/dossiers/{volume_id}", status_code=303)


@router.post("/api/dossiers/{volume_id}/withdraw", tags=["案卷"], summary="退回已入库的案卷（档案馆，须填写原因）",
             dependencies=[Depends(verify_csrf)])
def api_withdraw(request: Request, volume_id: int, body: Withdrawal, user: CurrentUser = Depends(archive_only),
                 session: Session = DB):
    vol = visible_volume(request, session, user, volume_id)
    return withdraw(request, session, user, vol, body.reason)


@router.get("/dossiers/{volume_id}/pages/{seq}/image", tags=["案卷"], summary="页面图像")
def page_image(request: Request, volume_id: int, seq: int, user: CurrentUser = Depends(staff_only),
               session: Session = DB):
    vol = visible_volume(request, session, user, volume_id, withdrawn=True)
    cited = need_read(request, session, user, vol)
    row = session.scalar(select(PageRow).where(PageRow.volume_id == vol.id, PageRow.seq == seq))
    if row is None or not row.image_key:
        raise HTTPException(404, "没有该页的图像")
    mark = served_mark(user, cited)
    body, media = watermark.mark_image(_stored(request, f"{vol.prefix}/{row.image_key}"), mark,
                                       visible=mark_visible(request, user))
    audit.record(session, user.username, "view_page", f"{vol.ref_no}/{seq}", mark=mark.mark_id, **cited)
    return Response(body, media_type=media, headers=PRIVATE)


@router.get("/dossiers/{volume_id}/volume.pdf", tags=["案卷"], summary="下载可检索的PDF")
def volume_pdf(request: Request, volume_id: int, user: CurrentUser = Depends(staff_only),
               session: Session = DB):
    vol = visible_volume(request, session, user, volume_id, withdrawn=True)
    cited = need_read(request, session, user, vol)
    mark = served_mark(user, cited)

    def build(tmp: Path) -> Path:
        # through files, not bytes: a whole volume's scans are never held in memory at once
        try:
            _storage(request).get_to(f"{vol.prefix}/volume.pdf", tmp / "stored.pdf")
        except ObjectNotFound:
            raise HTTPException(404, "存储中没有该文件") from None
        watermark.mark_pdf_file(tmp / "stored.pdf", tmp / "volume.pdf", mark, visible=mark_visible(request, user))
        (tmp / "stored.pdf").unlink()
        return tmp / "volume.pdf"

    response = built_file(build, f"{vol.ref_no}.pdf", "application/pdf")
    response.headers.update(PRIVATE)
    audit.record(session, user.username, "download", f"{vol.ref_no}/volume.pdf", mark=mark.mark_id, **cited)
    return response


@router.get("/api/dossiers/{volume_id}", tags=["案卷"], summary="案卷信息、卷内目录与齐全性")
def api_dossier(request: Request, volume_id: int, user: CurrentUser = Depends(staff_only),
                session: Session = DB):
    vol = visible_volume(request, session, user, volume_id, withdrawn=True)
    data = _dossier(request, session, user, vol)
    audit.record(session, user.username, "view_dossier", vol.ref_no, "")
    return data


# ---------------------------------------------------------------- community catalogs

def _catalog_rows(session: Session, user: CurrentUser) -> list[dict]:
    q = (select(CommunityRow, func.count(VolumeRow.id))
         .join(VolumeRow, (VolumeRow.community_id == CommunityRow.id) & (VolumeRow.status == PUBLISHED), isouter=True)
         .group_by(CommunityRow.id).order_by(CommunityRow.county, CommunityRow.street, CommunityRow.name))
    if user.scope is not None:
        q = q.where(CommunityRow.id.in_(user.scope))
    return [{"id": c.id, "label": c.label, "code": c.code, "volumes": n} for c, n in session.execute(q)]


def _withdrawn_rows(session: Session) -> list[dict]:
    """A list of people: numbers masked for every role, so no reason may complete one."""
    communities = {c.id: c.label for c in session.scalars(select(CommunityRow))}
    return [{"volume_id": v.id, "ref_no": v.ref_no, "name": v.name, "id_number": MASKED.id_number(v.id_number),
             "community": communities.get(v.community_id, ""),
             "reason": MASKED.text(w.reason, [v.id_number]) if w else "",
             "actor": w.actor if w else "", "at": clock.iso(w.at) if w else None}
            for v, w in withdrawn_volumes(session)]


def _catalogs(request: Request, session: Session, user: CurrentUser, filters: dict, sort: str, limit: int,
              offset: int) -> tuple[dict, Paging]:
    paging = Paging.of(request.url.path, catalog_list.SORTS, filters, sort, limit, offset)
    volumes = catalog_list.volumes(session, user.scope, paging)
    return {"communities": _catalog_rows(session, user), **paging.answer(), "volumes": volumes}, paging


@router.get("/catalogs", include_in_schema=False)
def catalogs_page(request: Request, community: str = "", ref_from: str = "", ref_to: str = "", name: str = "",
                  outcome: str = "", since: str = "", until: str = "", sort: str = "", limit: int = DEFAULT_LIMIT,
                  offset: int = Query(0, ge=0), user: CurrentUser = Depends(staff_only),
                  session: Session = DB):
    filters = dict(community=community, ref_from=ref_from, ref_to=ref_to, name=name, outcome=outcome, since=since,
                   until=until)
    catalogs, paging = _catalogs(request, session, user, filters, sort, limit, offset)
    withdrawn = _withdrawn_rows(session) if user.role in (ADMIN, ARCHIVE) else []
    return page(request, "catalogs.html", rows=catalogs["communities"], volumes=catalogs["volumes"], paging=paging,
                outcomes=catalog_list.OUTCOMES, withdrawn=withdrawn)


@router.get("/api/withdrawn", tags=["案卷"], summary="已退回的案卷（档案馆）")
def api_withdrawn(user: CurrentUser = Depends(archive_only), session: Session = DB):
    return _withdrawn_rows(session)


@router.get("/api/catalogs", tags=["目录"],
            summary="可下载案卷目录/台账的社区，及按社区、档号范围、姓名、检查结果、入库日期筛选、排序、分页的已入库案卷")
def api_catalogs(request: Request, community: str = "", ref_from: str = "", ref_to: str = "",
                 name: str = Query("", description="姓名（包含）"),
                 outcome: str = Query("", description="complete | incomplete | rejected | unchecked"),
                 since: str = Query("", description="入库日期起（年-月-日）"),
                 until: str = Query("", description="入库日期止（年-月-日）"),
                 sort: str = Query("", description="ref_no（默认）| name | published | pages | outcome；前加 - 为倒序"),
                 limit: int = Query(DEFAULT_LIMIT, description=f"每页条数，最多 {MAX_LIMIT}"),
                 offset: int = Query(0, ge=0), user: CurrentUser = Depends(staff_only),
                 session: Session = DB):
    filters = dict(community=community, ref_from=ref_from, ref_to=ref_to, name=name, outcome=outcome, since=since,
                   until=until)
    return _catalogs(request, session, user, filters, sort, limit, offset)[0]


CATALOG_LIST_COLUMNS = (Column("档号", 22, text=True), Column("姓名", 10), Column("原工作单位", 24), Column("社区", 30),
                        Column("页数", 8), Column("材料份数", 10), Column("检查结果", 10), Column("入库时间", 20))


@router.get("/catalogs.xlsx", tags=["目录"],
            summary="导出已入库案卷列表（XLSX，按筛选条件与排序，全部符合条件的案卷）")
def catalogs_xlsx(community: str = "", ref_from: str = "", ref_to: str = "", name: str = "", outcome: str = "",
                  since: str = "", until: str = "", sort: str = "", user: CurrentUser = Depends(staff_only),
                  session: Session = DB):
    filters = dict(community=community, ref_from=ref_from, ref_to=ref_to, name=name, outcome=outcome, since=since,
                   until=until)
    paging = Paging.of("/catalogs", catalog_list.SORTS, filters, sort)
    stmt = catalog_list.selection(user.scope, paging.filters)
    total = paging.count(session, stmt)
    audit.record(session, user.username, "export_catalog_list", "已入库案卷", "", volumes=total,
                 filter=paging.filters)
    session.commit()
    rows = streamed(session, paging.ordered(stmt))

    def build(wb) -> None:
        write_sheet(wb, "已入库案卷", "已入库案卷", CATALOG_LIST_COLUMNS, (
            [r.ref_no, r.name, r.enterprise_name, f"{r.county}{r.street}{r.community}", r.content_pages, r.materials,
             catalog_list.OUTCOMES[r.check_outcome or "unchecked"], clock.shown(r.published_at)]
            for r in rows))

    return xlsx_download(f"已入库案卷-{clock.local(clock.utcnow()):%Y%m%d-%H%M}.xlsx", build)


@router.get("/catalogs/{community_id}.xlsx", tags=["目录"], summary="下载社区的案卷目录与台账（XLSX）")
def catalog_xlsx(request: Request, community_id: int, user: CurrentUser = Depends(staff_only),
                 session: Session = DB):
    community = session.get(CommunityRow, community_id)
    if community is None:
        raise missing(request, user, f"catalog/{community_id}", "未找到该社区")
    if not user.sees_community(community_id):
        raise hidden(request, user, f"catalog/{community_id}", "无权下载其他社区的目录", "未找到该社区")
    return built_file(lambda tmp: export_xlsx(session, community_id, tmp / "catalog.xlsx", actor=user.username,
                                              reason="网页下载", shown=user.disclosure),
                      f"{community.label}-案卷目录与台账.xlsx")
