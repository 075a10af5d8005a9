"""Enterprise: generate the transfer documents (zip bundle) and download the bundle or one document."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse, RedirectResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from archive_store import audit
from handover import clock
from docgen.manifest import DOCUMENT_LABELS
from handover.db import EnterpriseRow, RetireeRow
from handover.policy import load_profile

from .. import bundles
from ..deps import ENTERPRISE_ROLES, CurrentUser, DB, hidden, missing, require
from ..render import page
from ..security import verify_csrf
from ..tables import BundleRow
from ..uploads import check_token, new_token

router = APIRouter()
enterprise_only = require(*ENTERPRISE_ROLES)


def _folder(request: Request, token: str) -> Path:
    return request.app.state.bundles_dir / check_token(token)


def _own(request: Request, session: Session, user: CurrentUser, token: str) -> BundleRow:
    row = session.scalar(select(BundleRow).where(BundleRow.token == check_token(token)))
    if row is None:
        raise missing(request, user, f"bundle/{token}", "未找到该批文书")
    if row.enterprise_id != user.enterprise_id:
        raise hidden(request, user, f"bundle/{token}", "该批文书不属于您的企业", "未找到该批文书")
    return row


def _roster_changed_at(session: Session, enterprise_id: int):
    return session.scalar(select(EnterpriseRow.roster_changed_at).where(EnterpriseRow.id == enterprise_id))


def _current(request: Request, session: Session, row: BundleRow) -> BundleRow:
    return bundles.refresh(session, row, request.app.state.cfg, _folder(request, row.token))


def _json(row: BundleRow, roster_changed_at) -> dict:
    """``stale``: finished before the enterprise's roster last changed (re-import, a person's
    destination, a community decision): the documents no longer match it."""
    stale = row.status == bundles.DONE and roster_changed_at is not None and roster_changed_at > row.created_at
    return {"token": row.token, "status": row.status, "done": row.done, "total": row.total, "label": row.label,
            "error": row.error, "persons": row.persons,
            "created_at": clock.iso(row.created_at, "seconds"),
            "stale": stale, "roster_changed_at": clock.iso(roster_changed_at, "seconds"),
            "documents": [{"index": i, "type": d["type"], "title": d["title"], "path": d["path"],
                           "format": d["format"], "community": d["community"], "rows": d["rows"],
                           "pages": d.get("pages")} for i, d in enumerate(row.manifest.get("documents", []))],
            "warnings": row.manifest.get("warnings", []), "zip": row.manifest.get("zip", "")}


def _generate(request: Request, session: Session, user: CurrentUser) -> BundleRow:
    running = session.scalar(select(BundleRow).where(BundleRow.enterprise_id == user.enterprise_id,
                                                     BundleRow.status == bundles.RUNNING))
    if running is not None and _current(request, session, running).status == bundles.RUNNING:
        return running
    people = session.scalar(select(func.count()).select_from(RetireeRow)
                            .where(RetireeRow.enterprise_id == user.enterprise_id)) or 0
    if people == 0:
        raise HTTPException(400, "本企业还没有导入任何退休人员，请先上传并导入名册")
    cfg = request.app.state.cfg
    # created_at from this clock, as enterprises.roster_changed_at: the staleness test compares them.
    row = BundleRow(token=new_token(), enterprise_id=user.enterprise_id, user_id=user.id, status=bundles.RUNNING,
                    persons=people, label="排队中", created_at=clock.utcnow(), task_id=bundles.new_task_id(cfg))
    session.add(row)
    audit.record(session, user.username, "generate_bundle", user.enterprise_name, "", persons=people)
    session.commit()  # the job reads the row
    bundles.start(request.app.state.sessionmaker, row, user.enterprise_name, _folder(request, row.token),
                  request.app.state.bundle_text_pdf, cfg)
    return row


def _file(request: Request, session: Session, user: CurrentUser, token: str, index: int | None):
    row = _current(request, session, _own(request, session, user, token))
    if row.status != bundles.DONE:
        raise HTTPException(409, "文书尚未生成完成")
    folder = _folder(request, token).resolve()
    if index is None:
        rel, name = row.manifest.get("zip", ""), row.manifest.get("zip", "")
    else:
        docs = row.manifest.get("documents", [])
        if not 0 <= index < len(docs):
            raise HTTPException(404, "没有该文书")
        rel = docs[index]["path"]
        name = Path(rel).name
    path = (folder / rel).resolve()
    if not rel or not path.is_relative_to(folder) or not path.is_file():
        raise HTTPException(404, "文件不存在")
    audit.record(session, user.username, "download", f"{user.enterprise_name}/{rel}", "")
    return FileResponse(path, filename=name)


def grouped(documents: list[dict]) -> list[dict]:
    """One line per document (type, community) with its formats side by side; per-person files left out."""
    lines: dict[tuple, dict] = {}
    for d in documents:
        if "/个人/" in d["path"]:
            continue
        key = (d["path"].split("/", 1)[0], d["type"], d["title"], d["community"])
        line = lines.setdefault(key, {"type": d["type"], "title": d["title"], "community": d["community"],
                                      "rows": d["rows"], "pages": None, "formats": []})
        line["formats"].append((d["format"].upper(), d["index"]))
        line["pages"] = line["pages"] or d.get("pages")
    return [lines[k] for k in sorted(lines, key=lambda k: k[0])]


def _region_documents(session: Session, user: CurrentUser) -> list[str]:
    """The documents the enterprise's region profile asks for, by their Chinese names."""
    enterprise = session.get(EnterpriseRow, user.enterprise_id)
    if enterprise is None:
        return []
    return [DOCUMENT_LABELS.get(t, t) for t in load_profile(enterprise.region).documents]


@router.get("/documents", include_in_schema=False)
def documents_page(request: Request, user: CurrentUser = Depends(enterprise_only), session: Session = DB):
    rows = list(session.scalars(select(BundleRow).where(BundleRow.enterprise_id == user.enterprise_id)
                                .order_by(BundleRow.id.desc()).limit(10)))
    latest = _json(_current(request, session, rows[0]), _roster_changed_at(session, user.enterprise_id)) \
        if rows else None
    return page(request, "documents.html", rows=rows, latest=latest, labels=DOCUMENT_LABELS,
                region_documents=_region_documents(session, user),
                lines=grouped(latest["documents"]) if latest else [])


@router.post("/documents/generate", include_in_schema=False, dependencies=[Depends(verify_csrf)])
def documents_generate(request: Request, user: CurrentUser = Depends(enterprise_only), session: Session = DB):
    _generate(request, session, user)
    return RedirectResponse("/documents", status_code=303)


@router.get("/documents/{token}/bundle.zip", tags=["移交文书"], summary="下载全部移交文书（zip）")
def bundle_zip(request: Request, token: str, user: CurrentUser = Depends(enterprise_only),
               session: Session = DB):
    return _file(request, session, user, token, None)


@router.get("/documents/{token}/files/{index}", tags=["移交文书"], summary="下载单个文书")
def bundle_file(request: Request, token: str, index: int, user: CurrentUser = Depends(enterprise_only),
                session: Session = DB):
    return _file(request, session, user, token, index)


@router.post("/api/documents", tags=["移交文书"], summary="开始生成本企业的移交文书", status_code=202,
             dependencies=[Depends(verify_csrf)])
def api_generate(request: Request, user: CurrentUser = Depends(enterprise_only), session: Session = DB):
    return _json(_generate(request, session, user), _roster_changed_at(session, user.enterprise_id))


@router.get("/api/documents/{token}", tags=["移交文书"], summary="生成进度与文书清单；stale：名册在生成后有变更（已过期）")
def api_bundle(request: Request, token: str, user: CurrentUser = Depends(enterprise_only),
               session: Session = DB):
    row = _current(request, session, _own(request, session, user, token))
    return _json(row, _roster_changed_at(session, user.enterprise_id))
