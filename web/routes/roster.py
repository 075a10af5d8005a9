"""Enterprise: upload a roster → validation report → import (all / valid rows) → summary."""

from __future__ import annotations

import shutil
from pathlib import Path

from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import RedirectResponse
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from archive_store import audit
from handover.registry import RegistryError
from handover.report import write_problems_xlsx
from handover.roster import Problem, RosterFileError, Severity
from handover.roster.importer import import_roster

from .. import roster_summary as summary_sql
from ..deps import CurrentUser, ENTERPRISE_ROLES, DB, hidden, missing, require
from ..downloads import built_file
from ..exports import Column, streamed, write_sheet, xlsx_download
from ..paging import DEFAULT_LIMIT, MAX_LIMIT, Paging
from ..render import flash, page
from ..security import verify_csrf
from ..tables import RosterUploadRow
from ..uploads import check_token, save_roster

router = APIRouter()
enterprise_only = require(*ENTERPRISE_ROLES)
MAX_SHOWN = 500


def _folder(request: Request) -> Path:
    return request.app.state.uploads_dir


def _stored_file(request: Request, row: RosterUploadRow) -> Path:
    folder = _folder(request) / check_token(row.token)
    files = [p for p in folder.iterdir() if p.is_file()] if folder.is_dir() else []
    if not files:
        raise HTTPException(410, "上传的文件已不存在，请重新上传")
    return files[0]


def _report_json(report, user: CurrentUser) -> dict:
    problems = []
    ordered = sorted(report.problems, key=lambda p: (p.row or 0, not p.is_error))
    # One report: a number quoted in one message masks its birth date in all of them.
    for p, message in zip(ordered, user.disclosure.texts([p.message for p in ordered])):
        d = p.as_dict()
        d["message"] = message
        d["is_error"] = p.is_error
        problems.append(d)
    errors = sum(1 for p in report.problems if p.is_error)
    return {"rows_total": report.rows_total, "errors": errors, "warnings": len(problems) - errors,
            "error_rows": len({p.row for p in report.problems if p.is_error and p.row}),
            "rows_valid": report.rows_valid, "committed": report.committed,
            "rows_imported": report.rows_imported, "rows_updated": report.rows_updated,
            "problems": problems}


def _run(request: Request, path: Path, enterprise: str, *, valid_only: bool, dry_run: bool):
    """import_roster in its own session: it commits or rolls back by itself."""
    session = request.app.state.sessionmaker()
    try:
        return import_roster(session, path, enterprise, valid_only=valid_only, dry_run=dry_run)
    except RosterFileError as err:
        from handover.roster.importer import ImportReport

        message = str(err).replace(str(path.parent), "").replace(str(path), path.name)
        return ImportReport(path.name, problems=[Problem(None, "", "file", message)])
    finally:
        session.close()


def _upload(request: Request, user: CurrentUser, session: Session, file: UploadFile) -> RosterUploadRow:
    token, path, size = save_roster(file, _folder(request), request.app.state.max_upload)
    try:
        report = _run(request, path, user.enterprise_name, valid_only=False, dry_run=True)
    except RegistryError:
        shutil.rmtree(path.parent, ignore_errors=True)
        raise
    row = RosterUploadRow(token=token, user_id=user.id, enterprise_id=user.enterprise_id, file_name=path.name,
                          size=size, status="checked", report=_report_json(report, user))
    session.add(row)
    audit.record(session, user.username, "upload_roster", user.enterprise_name, "",
                 file=path.name, rows=report.rows_total, errors=row.report["errors"])
    session.flush()
    return row


def _own_upload(request: Request, session: Session, user: CurrentUser, token: str) -> RosterUploadRow:
    row = session.scalar(select(RosterUploadRow).where(RosterUploadRow.token == check_token(token)))
    if row is None:
        raise missing(request, user, f"roster_upload/{token}", "未找到该上传记录")
    if row.enterprise_id != user.enterprise_id:
        raise hidden(request, user, f"roster_upload/{token}", "该名册不属于您的企业", "未找到该上传记录")
    return row


def _import(request: Request, session: Session, user: CurrentUser, row: RosterUploadRow, mode: str) -> dict:
    if mode not in ("all", "valid_only"):
        raise HTTPException(400, "导入方式只能是“全部导入”或“仅导入无误的行”")
    if row.status == "imported":
        raise HTTPException(409, "该名册已导入，请勿重复导入")
    report = _run(request, _stored_file(request, row), user.enterprise_name,
                  valid_only=(mode == "valid_only"), dry_run=False)
    result = _report_json(report, user)
    if report.committed:
        row.status = "imported"
        row.rows_imported = report.rows_imported + report.rows_updated
    row.report = result
    audit.record(session, user.username, "import_roster", user.enterprise_name, "",
                 file=row.file_name, mode=mode, committed=report.committed, rows=row.rows_imported)
    return result


def _summary(request: Request, session: Session, user: CurrentUser, filters: dict, sort: str, limit: int,
             offset: int) -> tuple[dict, Paging]:
    paging = Paging.of(request.url.path, summary_sql.SORTS, filters, sort, limit, offset)
    people = summary_sql.people(session, user.enterprise_id, paging, user.id_text)
    counts = summary_sql.statuses(session, user.enterprise_id)
    audit.record(session, user.username, "view_summary", user.enterprise_name, "", people=paging.total,
                 filter=paging.filters, offset=paging.offset)
    return {"enterprise": user.enterprise_name, "imported": sum(counts.values()), "statuses": counts,
            "communities": summary_sql.communities(session, user.enterprise_id), **paging.answer(),
            "retirees": people}, paging


# ---------------------------------------------------------------- pages

@router.get("/roster", include_in_schema=False)
def roster_page(request: Request, user: CurrentUser = Depends(enterprise_only), session: Session = DB):
    uploads = list(session.scalars(select(RosterUploadRow).where(RosterUploadRow.enterprise_id == user.enterprise_id)
                                   .order_by(RosterUploadRow.id.desc()).limit(20)))
    return page(request, "roster_upload.html", uploads=uploads,
                max_mb=max(1, request.app.state.max_upload // (1024 * 1024)))


@router.post("/roster/upload", include_in_schema=False, dependencies=[Depends(verify_csrf)])
def roster_upload(request: Request, file: UploadFile = File(...), user: CurrentUser = Depends(enterprise_only),
                  session: Session = DB):
    row = _upload(request, user, session, file)
    return RedirectResponse(f"/roster/uploads/{row.token}", status_code=303)


@router.get("/roster/uploads/{token}", include_in_schema=False)
def roster_report(request: Request, token: str, user: CurrentUser = Depends(enterprise_only),
                  session: Session = DB):
    row = _own_upload(request, session, user, token)
    audit.record(session, user.username, "view_roster_report", user.enterprise_name, "", file=row.file_name)
    problems = row.report.get("problems", [])
    return page(request, "roster_report.html", upload=row, report=row.report, problems=problems[:MAX_SHOWN],
                more=max(0, len(problems) - MAX_SHOWN))


@router.post("/roster/uploads/{token}/import", include_in_schema=False, dependencies=[Depends(verify_csrf)])
def roster_import_page(request: Request, token: str, mode: str = Form("all"),
                       user: CurrentUser = Depends(enterprise_only), session: Session = DB):
    row = _own_upload(request, session, user, token)
    result = _import(request, session, user, row, mode)
    if row.status != "imported":
        flash(request, "名册有错误，未导入任何数据。请修改后重新上传，或选择“仅导入无误的行”。", "error")
        return RedirectResponse(f"/roster/uploads/{token}", status_code=303)
    flash(request, f"已导入 {result['rows_imported']} 人，更新 {result['rows_updated']} 人。")
    return RedirectResponse("/roster/summary", status_code=303)


@router.get("/roster/uploads/{token}/report.xlsx", include_in_schema=False)
def roster_report_xlsx(request: Request, token: str, user: CurrentUser = Depends(enterprise_only),
                       session: Session = DB):
    row = _own_upload(request, session, user, token)
    problems = [Problem(p["row"], p["column"], p["code"], p["message"], Severity(p["severity"]))
                for p in row.report.get("problems", [])]
    audit.record(session, user.username, "download", f"校验报告/{row.file_name}", "")
    return built_file(lambda tmp: write_problems_xlsx(tmp / "校验报告.xlsx", problems, row.file_name),
                      f"校验报告-{Path(row.file_name).stem}.xlsx")


@router.get("/roster/summary", include_in_schema=False)
def roster_summary(request: Request, county: str = "", street: str = "", community: str = "", status: str = "",
                   q: str = "", sort: str = "", limit: int = DEFAULT_LIMIT, offset: int = Query(0, ge=0),
                   user: CurrentUser = Depends(enterprise_only), session: Session = DB):
    filters = dict(county=county, street=street, community=community, status=status, q=q)
    summary, paging = _summary(request, session, user, filters, sort, limit, offset)
    return page(request, "roster_summary.html", summary=summary, paging=paging,
                status_labels=summary_sql.STATUS_LABELS)


SUMMARY_COLUMNS = (Column("姓名", 10), Column("性别", 6), Column("公民身份号码", 22, text=True), Column("退休时间", 12),
                   Column("县（市、区）", 14), Column("街道（乡镇）", 16), Column("社区（村）", 16), Column("状态", 16),
                   Column("依据", 40))


@router.get("/roster/summary.xlsx", tags=["名册"], summary="导出本企业人员明细（XLSX，按筛选条件与排序，全部符合条件的人员）")
def summary_xlsx(request: Request, county: str = "", street: str = "", community: str = "", status: str = "",
                 q: str = "", sort: str = "", user: CurrentUser = Depends(enterprise_only),
                 session: Session = DB):
    paging = Paging.of("/roster/summary", summary_sql.SORTS,
                       dict(county=county, street=street, community=community, status=status, q=q), sort)
    stmt = summary_sql.selection(user.enterprise_id, paging.filters)
    total = paging.count(session, stmt)
    audit.record(session, user.username, "export_summary", user.enterprise_name, "", people=total,
                 filter=paging.filters)
    session.commit()
    rows = streamed(session, paging.ordered(stmt))

    def build(wb) -> None:
        write_sheet(wb, "人员明细", f"{user.enterprise_name}  移交去向汇总（人员明细）", SUMMARY_COLUMNS, (
            [r.name, r.sex, user.id_text(r.id_number), r.retired_on.isoformat(), r.dest_county or "",
             r.dest_street or "", r.dest_community or "", summary_sql.STATUS_LABELS[r.status], r.route_rule or ""]
            for r in rows))

    return xlsx_download(f"{user.enterprise_name}-移交去向汇总.xlsx", build)


# ---------------------------------------------------------------- API

class ImportChoice(BaseModel):
    mode: str = "all"  # "all" | "valid_only"


@router.post("/api/roster/uploads", tags=["名册"], summary="上传名册并校验（不导入）", status_code=201,
             dependencies=[Depends(verify_csrf)])
def api_upload(request: Request, file: UploadFile = File(...), user: CurrentUser = Depends(enterprise_only),
               session: Session = DB):
    row = _upload(request, user, session, file)
    return {"token": row.token, "file_name": row.file_name, "status": row.status, "report": row.report}


@router.get("/api/roster/uploads/{token}", tags=["名册"], summary="校验报告")
def api_report(request: Request, token: str, user: CurrentUser = Depends(enterprise_only),
               session: Session = DB):
    row = _own_upload(request, session, user, token)
    audit.record(session, user.username, "view_roster_report", user.enterprise_name, "", file=row.file_name)
    return {"token": row.token, "file_name": row.file_name, "status": row.status, "report": row.report}


@router.post("/api/roster/uploads/{token}/import", tags=["名册"], summary="导入（全部 / 仅无误的行）",
             dependencies=[Depends(verify_csrf)])
def api_import(request: Request, token: str, body: ImportChoice, user: CurrentUser = Depends(enterprise_only),
               session: Session = DB):
    row = _own_upload(request, session, user, token)
    result = _import(request, session, user, row, body.mode)
    return {"token": row.token, "status": row.status, "report": result}


@router.get("/api/roster/summary", tags=["名册"],
            summary="本企业已导入人员：按社区、按状态的人数，及按条件筛选、排序、分页的人员明细")
def api_summary(request: Request, county: str = "", street: str = "", community: str = "", status: str = "",
                q: str = Query("", description="姓名（包含）"),
                sort: str = Query("", description="roster（名册顺序，默认）| name | retired_on | community | status；"
                                                  "前加 - 为倒序"),
                limit: int = Query(DEFAULT_LIMIT, description=f"每页条数，最多 {MAX_LIMIT}"),
                offset: int = Query(0, ge=0), user: CurrentUser = Depends(enterprise_only),
                session: Session = DB):
    filters = dict(county=county, street=street, community=community, status=status, q=q)
    return _summary(request, session, user, filters, sort, limit, offset)[0]
