"""The 校对 (proofreading) queue (archive_store.review): per dossier, every value the completeness
check was unsure of beside the crop of its page image, confirmed or corrected with one keystroke;
the dossiers with open items across the archive; the same through the JSON API.

Archive staff and admins only; the crops follow the page images' rule (``archive_store.read_rule``).
The dossier page and the home page show the counts through two template globals (``install``).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from archive_store import audit, review_cache, watermark
from archive_store import review as rv
from archive_store.review_values import ReviewError, shown_value
from archive_store.storage import StorageError, open_storage
from archive_store.tables import PageRow
from handover import clock

from ..deps import ARCHIVE_ROLES, STAFF, CurrentUser, DB, require
from ..render import flash, page
from ..security import verify_csrf
from .dossier import OUTCOMES, PRIVATE, mark_visible, need_read, served_mark, visible_volume

router = APIRouter()
archive_only = require(*ARCHIVE_ROLES)
staff_only = require(*STAFF)


class ReviewAnswer(BaseModel):
    value: str  # 确认或更正后的值；原样提交识别值即为确认


class ReviewWaiver(BaseModel):
    reason: str  # 确认现状、放弃其余校对项的原因（必填，记入审计日志）


def _engine(request: Request):
    return request.app.state.sessionmaker.kw["bind"]


def _storage(request: Request):
    return open_storage(request.app.state.cfg)


def _anchor(key: str) -> str:
    return "item-" + key.replace(":", "-")


def _item_json(q: rv.Queue, item: rv.Item, user: CurrentUser) -> dict:
    full = user.disclosure.full_ids
    return {"key": item.key, "field": item.field, "label": item.label, "page": item.page,
            "page_no": q.page_nos.get(item.page) if item.page is not None else None,
            "value": shown_value(item.field, item.value, full), "reason_zh": item.reason_zh,
            "box": list(item.box) if item.box else None, "material": item.material, "hint": item.hint,
            "crop_url": f"/dossiers/{q.volume.id}/review/{item.key}/crop" if item.page is not None else None}


def _answer_json(q: rv.Queue, row, user: CurrentUser) -> dict:
    full = user.disclosure.full_ids
    item = rv.Item.of_answer(row)
    return {**_item_json(q, item, user), "machine_value": shown_value(row.field, row.machine_value, full),
            "value": shown_value(row.field, row.value, full), "confirmed": row.confirmed,
            "actor": row.actor, "at": clock.iso(row.at)}


def _queue_json(q: rv.Queue, user: CurrentUser) -> dict:
    waiver = q.waiver
    return {"volume_id": q.volume.id, "ref_no": q.volume.ref_no, "name": q.volume.name,
            "outcome": q.outcome, "outcome_label": q.outcome_label or OUTCOMES.get(q.outcome, q.outcome),
            "provisional": q.provisional, "checked_at": q.checked_at, "has_check": q.report is not None,
            "open_count": len(q.open), "answered_count": len(q.answered),
            "waiver": {"actor": waiver.actor, "at": clock.iso(waiver.at), "reason": waiver.reason,
                       "open_items": waiver.open_items} if waiver else None,
            "open": [_item_json(q, i, user) for i in q.open],
            "answered": [_answer_json(q, a, user) for a in q.answered]}


def _load(request: Request, session: Session, user: CurrentUser, volume_id: int) -> rv.Queue:
    vol = visible_volume(request, session, user, volume_id)
    try:
        return rv.queue(session, _storage(request), vol)
    except StorageError as err:
        raise HTTPException(503, f"存储暂不可用：{err}") from None


def _answer(request: Request, user: CurrentUser, volume_id: int, key: str, value: str) -> rv.Outcome:
    return rv.answer(_engine(request), _storage(request), volume_id, key, value, user.username)


def _waive(request: Request, user: CurrentUser, volume_id: int, reason: str) -> rv.Outcome:
    return rv.waive(_engine(request), _storage(request), volume_id, reason, user.username)


def _done_message(outcome: rv.Outcome, q: rv.Queue) -> str:
    state = "仍待校对" if q.provisional else "已为最终结论"
    change = "" if outcome.outcome_before == outcome.outcome_after else \
        f"（由“{OUTCOMES.get(outcome.outcome_before, outcome.outcome_before)}”变为“{q.outcome_label}”）"
    return f"完整性检查结论：{q.outcome_label}{change}，{state}；待校对 {len(q.open)} 项。"


# ---------------------------------------------------------------- pages

def _queue_page(request: Request, q: rv.Queue, *, status_code: int = 200, errors: dict | None = None,
                typed: dict | None = None, focus: str | None = None, waive_error: str = ""):
    focus = focus or (q.open[0].key if q.open else None)
    return page(request, "review.html", status_code=status_code, mode="queue", q=q, vol=q.volume,
                errors=errors or {}, typed=typed or {}, focus=focus, anchor=_anchor, waive_error=waive_error,
                outcomes=OUTCOMES, fields=rv.FIELDS)


@router.get("/review", include_in_schema=False)
def pending_page(request: Request, user: CurrentUser = Depends(archive_only)):
    rows = review_cache.pending(_engine(request), _storage(request), user.scope)
    return page(request, "review.html", mode="list", rows=rows, outcomes=OUTCOMES)


@router.get("/dossiers/{volume_id}/review", include_in_schema=False)
def queue_page(request: Request, volume_id: int, user: CurrentUser = Depends(archive_only),
               session: Session = DB):
    q = _load(request, session, user, volume_id)
    audit.record(session, user.username, "view_review", q.volume.ref_no, "", open_items=len(q.open))
    return _queue_page(request, q)


@router.post("/dossiers/{volume_id}/review/waive", include_in_schema=False, dependencies=[Depends(verify_csrf)])
def waive_form(request: Request, volume_id: int, reason: str = Form(""), user: CurrentUser = Depends(archive_only),
               session: Session = DB):
    visible_volume(request, session, user, volume_id)
    try:
        outcome = rv.waive(_engine(request), _storage(request), volume_id, reason, user.username)
    except ReviewError as err:
        return _queue_page(request, _load(request, session, user, volume_id), status_code=err.status,
                           waive_error=str(err))
    session.expire_all()
    q = _load(request, session, user, volume_id)
    flash(request, "已确认现状，其余校对项不再等待。" + _done_message(outcome, q))
    return RedirectResponse(f"/dossiers/{volume_id}/review", status_code=303)


@router.post("/dossiers/{volume_id}/review/{key}", include_in_schema=False, dependencies=[Depends(verify_csrf)])
def answer_form(request: Request, volume_id: int, key: str, value: str = Form(""),
                user: CurrentUser = Depends(archive_only), session: Session = DB):
    visible_volume(request, session, user, volume_id)
    try:
        outcome = rv.answer(_engine(request), _storage(request), volume_id, key, value, user.username)
    except ReviewError as err:
        if err.status == 404:
            raise HTTPException(404, str(err)) from None
        return _queue_page(request, _load(request, session, user, volume_id), status_code=err.status,
                           errors={key: str(err)}, typed={key: value}, focus=key)
    session.expire_all()
    q = _load(request, session, user, volume_id)
    label = next((a for a in q.answered if a.key == key), None)
    what = "已确认" if label is not None and label.confirmed else "已更正"
    flash(request, f"{what}“{rv.FIELDS.get(key.partition(':')[0], key)}”。" + _done_message(outcome, q))
    # No fragment while items are open: browsers skip autofocus on a page opened at a fragment.
    target = "" if q.open else "#review-summary"
    return RedirectResponse(f"/dossiers/{volume_id}/review{target}", status_code=303)


@router.get("/dossiers/{volume_id}/review/{key}/crop", tags=["校对"], summary="校对项所在页面图像的局部（JPEG）",
            response_class=Response)
def crop_image(request: Request, volume_id: int, key: str, user: CurrentUser = Depends(staff_only),
               session: Session = DB):
    vol = visible_volume(request, session, user, volume_id)
    cited = need_read(request, session, user, vol)
    q = _load(request, session, user, volume_id)
    try:
        item = rv.find_item(q, key)
    except ReviewError as err:
        raise HTTPException(404, str(err)) from None
    row = session.scalar(select(PageRow).where(PageRow.volume_id == vol.id, PageRow.seq == item.page)) \
        if item.page is not None else None
    if row is None or not row.image_key:
        raise HTTPException(404, "该校对项没有对应的页面图像")
    try:
        data = rv.crop(_storage(request), vol, row.image_key, item.box)
    except StorageError:
        raise HTTPException(404, "存储中没有该页的图像") from None
    mark = served_mark(user, cited)
    data, media = watermark.mark_image(data, mark, visible=mark_visible(request, user))
    audit.record(session, user.username, "view_page", f"{vol.ref_no}/{item.page}", crop=key, mark=mark.mark_id,
                 **cited)
    return Response(data, media_type=media, headers=PRIVATE)


# ---------------------------------------------------------------- JSON API

@router.get("/api/review", tags=["校对"], summary="有待校对项的案卷（档案馆）")
def api_pending(request: Request, user: CurrentUser = Depends(archive_only)):
    return [{"volume_id": p.volume_id, "ref_no": p.ref_no, "name": p.name, "community": p.community,
             "open_count": p.open_items, "outcome": p.outcome, "outcome_label": OUTCOMES.get(p.outcome, p.outcome)}
            for p in review_cache.pending(_engine(request), _storage(request), user.scope)]


@router.get("/api/dossiers/{volume_id}/review", tags=["校对"], summary="案卷的校对清单：待校对项、已校对项与检查结论（档案馆）")
def api_queue(request: Request, volume_id: int, user: CurrentUser = Depends(archive_only),
              session: Session = DB):
    q = _load(request, session, user, volume_id)
    audit.record(session, user.username, "view_review", q.volume.ref_no, "", open_items=len(q.open))
    return _queue_json(q, user)


@router.post("/api/dossiers/{volume_id}/review/waive", tags=["校对"],
             summary="确认现状：放弃其余待校对项，检查结论成为最终结论（档案馆，须填写原因）",
             dependencies=[Depends(verify_csrf)])
def api_waive(request: Request, volume_id: int, body: ReviewWaiver, user: CurrentUser = Depends(archive_only),
              session: Session = DB):
    visible_volume(request, session, user, volume_id)
    _waive(request, user, volume_id, body.reason)
    session.expire_all()
    return _queue_json(_load(request, session, user, volume_id), user)


@router.put("/api/dossiers/{volume_id}/review/{key}", tags=["校对"],
            summary="确认或更正一项校对内容，并重新检查本卷（档案馆）", dependencies=[Depends(verify_csrf)])
def api_answer(request: Request, volume_id: int, key: str, body: ReviewAnswer,
               user: CurrentUser = Depends(archive_only), session: Session = DB):
    visible_volume(request, session, user, volume_id)
    outcome = _answer(request, user, volume_id, key, body.value)
    session.expire_all()
    q = _load(request, session, user, volume_id)
    row = next((a for a in q.answered if a.key == key), None)
    return {"answer": _answer_json(q, row, user) if row is not None else None, "changed": outcome.changed,
            "outcome_before": outcome.outcome_before, "contents_row": outcome.contents_row,
            "queue": _queue_json(q, user)}


# ---------------------------------------------------------------- counts on other pages

def _review_state(request: Request, volume_id: int) -> dict | None:
    """For the dossier page: {"open": n, "waived": bool, "provisional": bool}; None when unknown."""
    try:
        n, waived = review_cache.open_count(_engine(request), _storage(request), volume_id, wait=False)
    except (StorageError, ReviewError):
        return None
    return {"open": n, "waived": waived, "provisional": n > 0 and not waived}


def _review_pending(request: Request) -> int:
    """For the home page: how many published volumes have open items not waived."""
    user = getattr(request.state, "user", None)
    try:
        return len(review_cache.pending(_engine(request), _storage(request), user.scope if user else [], wait=False))
    except StorageError:
        return 0


def install(app) -> None:
    """Give the templates ``review_state(request, volume_id)`` and ``review_pending(request)``."""
    app.state.templates.env.globals["review_state"] = _review_state
    app.state.templates.env.globals["review_pending"] = _review_pending
