"""数字化成果验收: the acceptance of vendors' DA/T 31 packages (archive_store.acceptance), for
archive staff.

The packages are the sub-folders of the configured incoming folder (``HANDOVER_INCOMING_DIR``);
a request names one by its folder name, which is looked up in that folder's listing — no path a
user types reaches the file system. Starting an acceptance draws the sample and runs the 四性检测
in a background thread (a 10-volume test package checks in 0.27 s, but decoding one A4 300-dpi
colour page takes ~60 ms, so ten real 60-page volumes need ~40 s; the page refreshes itself until
the result is in). Sampled volumes are addressed by their place
in the sample, their page images by serial number.

Once an acceptance is 合格 its page shows the command that imports the package (``handover
receive``), not a button: the import needs the archive's region profile and the choice to keep or
renumber the 档号 (a conflict list may send the operator back), can run for hours on a large
package, and resumes by being run again — the command line already does all of that with progress.
"""

from __future__ import annotations

import logging
import shlex

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import FileResponse, RedirectResponse
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from archive_store import acceptance as acc
from archive_store import audit
from archive_store.read_rule import ADMIN, ARCHIVE
from archive_store.sampling import MIN_SHARE
from archive_store.tables import AcceptanceRow
from handover import clock
from handover.config import Settings
from handover.errors import InputRefused, NotFound
from handover.policy import available_profiles

from .. import background
from ..deps import CurrentUser, DB, missing, posted_form, require
from ..downloads import built_file
from ..render import flash, page
from ..security import verify_csrf
from ..tables import UserRow

log = logging.getLogger(__name__)
router = APIRouter()
archive_only = require(ADMIN, ARCHIVE)
TAG = "数字化成果验收"
FORMATS = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
           "pdf": "application/pdf"}


def _run(cfg: Settings, acceptance_id: int, actor: str) -> None:
    try:
        acc.run_checks(cfg, acceptance_id, actor)
    except Exception as err:  # noqa: BLE001 - recorded on the acceptance (status error) by run_checks
        log.warning("acceptance %s: 四性检测 failed: %s", acceptance_id, type(err).__name__)


def _start(request: Request, session: Session, user: CurrentUser, package: str, share: float, vendor: str,
           seed: str | None = None) -> AcceptanceRow:
    row = acc.start(session, request.app.state.cfg, package, user.username, share=share, seed=seed, vendor=vendor)
    _check_in_background(request, session, user, row)
    return row


def _check_in_background(request: Request, session: Session, user: CurrentUser, row: AcceptanceRow) -> None:
    cfg = request.app.state.cfg
    session.commit()  # the thread reads the row
    background.start(f"acceptance-{row.id}", _run, cfg, row.id, user.username)


def _get(request: Request, session: Session, user: CurrentUser, acceptance_id: int) -> AcceptanceRow:
    row = session.get(AcceptanceRow, acceptance_id)
    if row is None:
        raise missing(request, user, f"acceptance/{acceptance_id}", "未找到该验收")
    return row


def _ref_no(request: Request, user: CurrentUser, row: AcceptanceRow, n: int) -> str:
    if not 1 <= n <= len(row.sample):
        raise missing(request, user, f"acceptance/{row.id}/volumes/{n}", "该案卷不在本次抽检范围内")
    return row.sample[n - 1]


def _listing(request: Request, session: Session) -> dict:
    cfg = request.app.state.cfg
    rows = list(session.scalars(select(AcceptanceRow).order_by(AcceptanceRow.id.desc()).limit(200)))
    open_ids = {r.package: r.id for r in rows if r.status in (acc.CHECKING, acc.INSPECTING)}
    return {
        "incoming": [{"name": p.name, "vendor": p.vendor, "scope": p.scope, "volumes": p.volumes,
                      "open_acceptance": open_ids.get(p.name)} for p in acc.incoming_packages(cfg)],
        "acceptances": [_summary(r) for r in rows],
    }


def _summary(row: AcceptanceRow) -> dict:
    return {"id": row.id, "package": row.package, "vendor": row.vendor, "status": row.status,
            "status_label": acc.STATUS_LABELS.get(row.status, row.status), "volumes": row.volumes,
            "sampled": len(row.sample), "checks_passed": row.checks_passed, "conclusion": row.conclusion,
            "started_by": row.started_by, "started_at": clock.iso(row.started_at),
            "concluded_by": row.concluded_by, "concluded_at": clock.iso(row.concluded_at)}


def _import(cfg: Settings, row: AcceptanceRow) -> dict | None:
    """For a 合格 acceptance: the import command, or that the package changed since (then
    ``handover receive`` refuses it too: it is no longer the package accepted)."""
    if row.conclusion != acc.PASS:
        return None
    try:
        folder = acc.package_folder(cfg, row.package)
    except NotFound:
        return {"command": None, "changed": False, "missing": True}
    if acc.manifest_sha256(folder) != row.manifest_sha256:
        return {"command": None, "changed": True, "missing": False}
    return {"command": f"handover receive {shlex.quote(str(folder))} --profile 地区配置", "changed": False,
            "missing": False, "profiles": sorted(available_profiles())}


def _detail(session: Session, row: AcceptanceRow, cfg: Settings) -> dict:
    """Everything the page and the API show of one acceptance."""
    result = acc.evaluation_of(session, row)
    marks = {(m.ref_no, m.item): m for m in acc.marks_of(session, row.id)}
    volumes = []
    for n, ref_no in enumerate(row.sample, 1):
        items = []
        for item in acc.ITEMS:
            m = marks.get((ref_no, item.key))
            items.append({"item": item.key, "title": item.title, "passed": None if m is None else m.passed,
                          "remark": m.remark if m else "", "marked_by": m.marked_by if m else None})
        volumes.append({"n": n, "ref_no": ref_no, "marks": items,
                        "done": all(i["passed"] is not None for i in items),
                        "failed": any(i["passed"] is False for i in items)})
    checks = (row.checks or {}).get("checks", [])
    return {**_summary(row), "seed": row.seed, "share": row.share, "population": row.population,
            "images": row.images, "error": row.error, "problems": row.problems,
            "checks": checks, "checks_failed": sum(not c["passed"] for c in checks),
            "inspection_items": [{"key": i.key, "title": i.title, "detail": i.detail, "threshold": i.threshold}
                      for i in acc.ITEMS],
            "rates": [r.as_dict() for r in result.rates], "volumes_sampled": volumes,
            "marks_complete": result.marks_complete, "provisional_conclusion": result.conclusion,
            "manifest_sha256": row.manifest_sha256, "import": _import(cfg, row)}


# ---------------------------------------------------------------- pages


@router.get("/acceptance", include_in_schema=False)
def acceptance_page(request: Request, user: CurrentUser = Depends(archive_only), session: Session = DB):
    audit.record(session, user.username, "acceptance_list", "数字化成果验收", "查看待验收移交包")
    return page(request, "acceptance_list.html", min_share=MIN_SHARE,
                incoming_dir=str(request.app.state.cfg.incoming_root), **_listing(request, session))


@router.post("/acceptance", include_in_schema=False, dependencies=[Depends(verify_csrf)])
def acceptance_start_form(request: Request, package: str = Form(...), share: float = Form(MIN_SHARE * 100),
                          vendor: str = Form(""), user: CurrentUser = Depends(archive_only),
                          session: Session = DB):
    row = _start(request, session, user, package, share / 100, vendor)
    flash(request, f"已开始验收 {row.package}：正在进行四性检测，已抽取 {len(row.sample)} 卷供人工抽检（种子 {row.seed}）。")
    return RedirectResponse(f"/acceptance/{row.id}", status_code=303)


@router.get("/acceptance/{acceptance_id}", include_in_schema=False)
def acceptance_detail_page(request: Request, acceptance_id: int, user: CurrentUser = Depends(archive_only),
                           session: Session = DB):
    row = _get(request, session, user, acceptance_id)
    audit.record(session, user.username, "acceptance_view", row.package, "", acceptance=row.id)
    return page(request, "acceptance.html", a=_detail(session, row, request.app.state.cfg))


@router.get("/acceptance/{acceptance_id}/volumes/{n}", include_in_schema=False)
def acceptance_volume_page(request: Request, acceptance_id: int, n: int, user: CurrentUser = Depends(archive_only),
                           session: Session = DB):
    row = _get(request, session, user, acceptance_id)
    ref_no = _ref_no(request, user, row, n)
    try:
        volume = acc.sampled_volume(request.app.state.cfg, row, ref_no)
    except NotFound as err:
        raise missing(request, user, f"acceptance/{row.id}/volumes/{n}", str(err)) from None
    audit.record(session, user.username, "acceptance_view", ref_no, "查看抽检案卷", acceptance=row.id)
    detail = _detail(session, row, request.app.state.cfg)
    return page(request, "acceptance_volume.html", a=detail, v=detail["volumes_sampled"][n - 1], volume=volume,
                n=n, count=len(row.sample))


@router.get("/acceptance/{acceptance_id}/volumes/{n}/images/{serial}", tags=[TAG],
            summary="抽检案卷的页面图像（取自移交包；档案馆）")
def acceptance_image(request: Request, acceptance_id: int, n: int, serial: int,
                     user: CurrentUser = Depends(archive_only), session: Session = DB):
    row = _get(request, session, user, acceptance_id)
    ref_no = _ref_no(request, user, row, n)
    try:
        path = acc.image_path(request.app.state.cfg, row, ref_no, serial)
    except NotFound as err:
        raise missing(request, user, f"acceptance/{row.id}/volumes/{n}/images/{serial}", str(err)) from None
    audit.record(session, user.username, "acceptance_image", ref_no, "", acceptance=row.id, serial=serial)
    return FileResponse(path, media_type="image/jpeg", headers={"Cache-Control": "no-store"})


@router.post("/acceptance/{acceptance_id}/volumes/{n}", include_in_schema=False, dependencies=[Depends(verify_csrf)])
def acceptance_marks_form(request: Request, acceptance_id: int, n: int, form: FormData = Depends(posted_form),
                          user: CurrentUser = Depends(archive_only), session: Session = DB):
    row = _get(request, session, user, acceptance_id)
    ref_no = _ref_no(request, user, row, n)
    here = f"/acceptance/{row.id}/volumes/{n}"
    done = 0
    try:
        for item in acc.ITEMS:
            verdict = str(form.get(item.key) or "")
            if verdict not in ("pass", "fail"):
                continue
            acc.mark(session, row, ref_no, item.key, verdict == "pass", str(form.get(f"{item.key}_remark") or ""),
                     user.username)
            done += 1
    except InputRefused as err:  # e.g. 不合格 without a remark: nothing of this form is kept, say why
        if isinstance(err, NotFound):
            raise
        session.rollback()
        flash(request, f"未保存：{err}", "error")
        return RedirectResponse(here, status_code=303)
    if not done:
        flash(request, "未选择任何检查结果。", "error")
        return RedirectResponse(here, status_code=303)
    flash(request, f"已登记 {ref_no} 的 {done} 个检查项。")
    following = f"/acceptance/{row.id}/volumes/{n + 1}" if n < len(row.sample) else f"/acceptance/{row.id}"
    return RedirectResponse(following, status_code=303)


@router.post("/acceptance/{acceptance_id}/conclude", include_in_schema=False, dependencies=[Depends(verify_csrf)])
def acceptance_conclude_form(request: Request, acceptance_id: int, problems: str = Form(""),
                             user: CurrentUser = Depends(archive_only), session: Session = DB):
    row = _get(request, session, user, acceptance_id)
    conclusion = acc.conclude(session, row, user.username, problems)
    flash(request, f"验收结论：{conclusion}。可下载验收意见。", "ok" if conclusion == acc.PASS else "error")
    return RedirectResponse(f"/acceptance/{row.id}", status_code=303)


@router.post("/acceptance/{acceptance_id}/recheck", include_in_schema=False, dependencies=[Depends(verify_csrf)])
def acceptance_recheck_form(request: Request, acceptance_id: int, user: CurrentUser = Depends(archive_only),
                            session: Session = DB):
    row = _get(request, session, user, acceptance_id)
    acc.restart_checks(session, row, user.username)
    _check_in_background(request, session, user, row)
    flash(request, "已重新开始四性检测。")
    return RedirectResponse(f"/acceptance/{row.id}", status_code=303)


@router.get("/acceptance/{acceptance_id}/opinion.{fmt}", tags=[TAG],
            summary="验收意见（DOCX 或 PDF；未作结论时为当前情况的草稿）")
def acceptance_opinion(request: Request, acceptance_id: int, fmt: str, user: CurrentUser = Depends(archive_only),
                       session: Session = DB):
    if fmt not in FORMATS:
        raise missing(request, user, f"acceptance/{acceptance_id}/opinion.{fmt}", "只提供 DOCX 和 PDF")
    row = _get(request, session, user, acceptance_id)
    from docgen.acceptance_opinion import write_docx, write_pdf

    inspector = session.scalar(select(UserRow.display_name).where(UserRow.username == row.concluded_by)) \
        if row.concluded_by else None
    opinion = acc.opinion_of(session, request.app.state.cfg, row, inspector or row.concluded_by or "")
    audit.record(session, user.username, "acceptance_opinion", row.package, fmt, acceptance=row.id,
                 conclusion=row.conclusion)
    writer = write_docx if fmt == "docx" else write_pdf
    name = f"验收意见-{row.package}.{fmt}"
    return built_file(lambda tmp: writer(opinion, tmp / f"opinion.{fmt}"), name, FORMATS[fmt])


# ---------------------------------------------------------------- API


class StartBody(BaseModel):
    package: str = Field(description="待验收文件夹中移交包的文件夹名")
    share: float = Field(MIN_SHARE, description="人工抽检比例，0.05–1")
    vendor: str = Field("", description="移交（数字化）单位；空则取说明文件的生成人")
    seed: str | None = Field(None, description="抽样种子（复核以前的抽样时使用）")


class MarkBody(BaseModel):
    ref_no: str
    item: str = Field(description="linkage | image_quality | naming | catalogue")
    passed: bool
    remark: str = ""


class ConcludeBody(BaseModel):
    problems: str = Field("", description="需整改的其他问题，每行一条")


@router.get("/api/acceptance", tags=[TAG], summary="待验收的移交包和已有的验收（档案馆）")
def api_acceptance_list(request: Request, user: CurrentUser = Depends(archive_only), session: Session = DB):
    audit.record(session, user.username, "acceptance_list", "数字化成果验收", "查看待验收移交包")
    return _listing(request, session)


@router.post("/api/acceptance", tags=[TAG], status_code=201, dependencies=[Depends(verify_csrf)],
             summary="开始验收一个移交包：抽样并在后台进行四性检测（档案馆）")
def api_acceptance_start(request: Request, body: StartBody, user: CurrentUser = Depends(archive_only),
                         session: Session = DB):
    row = _start(request, session, user, body.package, body.share, body.vendor, body.seed)
    return _summary(row) | {"seed": row.seed, "sample": list(row.sample)}


@router.get("/api/acceptance/{acceptance_id}", tags=[TAG], summary="一次验收：四性检测、抽检登记、合格率与结论（档案馆）")
def api_acceptance(request: Request, acceptance_id: int, user: CurrentUser = Depends(archive_only),
                   session: Session = DB):
    row = _get(request, session, user, acceptance_id)
    audit.record(session, user.username, "acceptance_view", row.package, "", acceptance=row.id)
    return _detail(session, row, request.app.state.cfg)


@router.put("/api/acceptance/{acceptance_id}/marks", tags=[TAG], dependencies=[Depends(verify_csrf)],
            summary="登记一个抽检案卷的一个检查项：合格或不合格及说明（档案馆）")
def api_acceptance_mark(request: Request, acceptance_id: int, body: MarkBody,
                        user: CurrentUser = Depends(archive_only), session: Session = DB):
    row = _get(request, session, user, acceptance_id)
    acc.mark(session, row, body.ref_no, body.item, body.passed, body.remark, user.username)
    session.flush()
    return _detail(session, row, request.app.state.cfg)


@router.post("/api/acceptance/{acceptance_id}/conclude", tags=[TAG], dependencies=[Depends(verify_csrf)],
             summary="作出验收结论（合格/不合格；档案馆）")
def api_acceptance_conclude(request: Request, acceptance_id: int, body: ConcludeBody,
                            user: CurrentUser = Depends(archive_only), session: Session = DB):
    row = _get(request, session, user, acceptance_id)
    acc.conclude(session, row, user.username, body.problems)
    session.flush()
    return _detail(session, row, request.app.state.cfg)
