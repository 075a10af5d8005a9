"""Required materials of the policy profile present, with conditional rules (pure).

A required material no 卷内目录 row names is missing — unless the volume has an unreadable page
that could hold it: then the check says it may be on that page (rescan and verify), never that it
is absent. Material titles confirmed or typed by archive staff (corrections of ``title:<image>``)
count as read. The 校对 queue gets the boundaries the split was unsure of.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import replace

from handover.policy import RequiredMaterial
from ocr import materials as split_rule

from ..findings import Finding, finding
from ..review import Corrections, ReviewItem, key
from ..volume import Page, Row
from .catalog import UNKNOWN_TITLES
from .text import title_matches


def satisfied_by(required: RequiredMaterial, rows: Iterable[Row]) -> Row | None:
    """The first 卷内目录 row whose title is one of the material's accepted titles."""
    for row in rows:
        if any(title_matches(row.title, a) for a in required.accepted):
            return row
    return None


def first_pages(owner: dict[int, Row], pages: Sequence[Page]) -> dict[int, Row]:
    """Image index of each row's first counted page → the row."""
    out: dict[int, Row] = {}
    seen: set[str] = set()
    for p in sorted(pages, key=lambda p: p.index):
        row = owner.get(p.index)
        if p.counted and row is not None and row.seq not in seen:
            seen.add(row.seq)
            out[p.index] = row
    return out


def corrected_titles(corrections: Corrections | None) -> dict[int, str]:
    """Image index → the material title archive staff confirmed or typed for the material opening there."""
    out = {}
    for k, v in (corrections or {}).items():
        field, _, page = k.partition(":")
        if field == "title" and page.isdigit() and str(v).strip():
            out[int(page)] = str(v).strip()
    return out


def check_required_materials(rows: Sequence[Row], required: Sequence[RequiredMaterial],
                             excluded_seqs: Iterable[str] = (), pages: Sequence[Page] = (),
                             owner: dict[int, Row] | None = None, unreadable: Collection[int] = (),
                             corrections: Corrections | None = None,
                             review: list[ReviewItem] | None = None) -> list[Finding]:
    """One finding per required material no row satisfies.

    ``required`` is ``profile.required_for(party_member)``. Rows in ``excluded_seqs`` (another
    person's form, a material with no readable page) do not satisfy anything, unless staff
    confirmed the title of a row made only of ``unreadable`` pages. A material still unsatisfied
    while an unreadable page could hold it gets ``material_on_unreadable_page`` (and a 校对 item
    asking for the title on that page) instead of ``missing_material``. With ``review``, the
    uncertain boundaries are appended to it.
    """
    owner = owner or {}
    firsts = first_pages(owner, pages)
    typed = corrected_titles(corrections)
    by_seq = {r.seq: i for i, r in firsts.items()}
    unread = set(unreadable)
    rows = [replace(r, title=typed.get(by_seq.get(r.seq, -1), r.title)) for r in rows]
    confirmed = {r.seq for r in rows if by_seq.get(r.seq) in typed and _only_unreadable(r, owner, pages, unread)}
    skip = set(excluded_seqs) - confirmed
    usable = [r for r in rows if r.seq not in skip and r.pages > 0]
    # A title typed for a page inside a row: staff say a material opens there.
    usable += [Row(key("title", i), "", t, pages=1) for i, t in typed.items() if i not in firsts]
    holders = _holders(pages, owner, unread, typed)
    items: dict[str, ReviewItem] = {i.key: i for i in boundary_review(pages, owner, firsts, unread)} \
        if review is not None else {}
    out = []
    asked: dict[int, list[str]] = {}
    for req in required:
        if satisfied_by(req, usable) is not None:
            continue
        cond = "（党员必备）" if req.when == "party_member" else ""
        could = [i for i, row in holders if _could_hold(i, row, firsts, req)]
        if could:
            where = "、".join(str(i) for i in could)
            out.append(finding("material_on_unreadable_page",
                               f"卷内目录中未找到必要材料“{req.name}”{cond}，可能在第{where}幅无法辨认的图像上，"
                               "请重新扫描后核对。", page=could[0], material=req.name))
            for i in could:
                asked.setdefault(i, []).append(req.name)
            continue
        names = "、".join(req.accepted)
        out.append(finding("missing_material", f"缺少必要材料“{req.name}”{cond}；可接受的材料：{names}。"
                           "请移交单位补齐，无法补齐的须出具书面说明。", material=req.name))
    for i, names in asked.items():
        item = _ask_title(i, names, owner.get(i), firsts, pages)
        items[item.key] = item
    if review is not None:
        review += sorted(items.values(), key=lambda i: (i.page or 0, i.field))
    return out


def _only_unreadable(row: Row, owner: dict[int, Row], pages: Sequence[Page], unread: set[int]) -> bool:
    idx = [p.index for p in pages if p.counted and (r := owner.get(p.index)) is not None and r.seq == row.seq]
    return bool(idx) and all(i in unread for i in idx)


def _holders(pages: Sequence[Page], owner: dict[int, Row], unread: set[int],
             typed: dict[int, str]) -> list[tuple[int, Row | None]]:
    """Unreadable counted pages, with their row, whose material nobody has named yet."""
    return [(p.index, owner.get(p.index)) for p in sorted(pages, key=lambda p: p.index)
            if p.counted and p.index in unread and p.index not in typed]


def _could_hold(index: int, row: Row | None, firsts: dict[int, Row], req: RequiredMaterial) -> bool:
    """An unreadable page could be the first page of ``req`` unless a different title was read on it."""
    if row is None or index not in firsts or row.title in UNKNOWN_TITLES:
        return True
    return any(title_matches(row.title, a) for a in req.accepted)


def _title_box(page: Page | None) -> tuple[int, int, int, int] | None:
    if page is None or not (page.width and page.height):
        return None
    return (0, 0, page.width, int(page.height * split_rule.TOP_ZONE))


def _ask_title(index: int, names: list[str], row: Row | None, firsts: dict[int, Row],
               pages: Sequence[Page]) -> ReviewItem:
    which = "”或“".join(names)
    read = row.title if row is not None and index in firsts and row.title not in UNKNOWN_TITLES else ""
    page = next((p for p in pages if p.index == index), None)
    return ReviewItem("title", index, read,
                      f"第{index}幅图像无法辨认，可能是必要材料“{which}”的首页。请核对原件或重新扫描后，填写这份材料的名称",
                      _title_box(page), row.title if row else None)


def boundary_review(pages: Sequence[Page], owner: dict[int, Row], firsts: dict[int, Row],
                    unread: set[int]) -> list[ReviewItem]:
    """校对 items for the material boundaries the split could not be sure of.

    * a row named 未识别材料, or opened by an unreadable page: its title (``title:<first image>``);
    * an unreadable page inside a row: it may open a material of its own (``boundary:<image>``);
    * a row opened on a weak title only (small, unknown, without the form's identity row):
      whether a material really starts there (``boundary:<image>``);
    * a page inside a row on which the split reads a title (a catalogue split otherwise, by an
      older rule or by hand): whether a material starts there (``boundary:<image>``).
    """
    out: list[ReviewItem] = []
    infos = [split_rule.PageInfo(p.index, split_rule.heading(list(p.lines), p.height, p.width) if p.lines else "",
                                 p.text, p.counted, p.page_no, tuple(p.lines), p.width, p.height,
                                 p.index not in unread) for p in sorted(pages, key=lambda p: p.index)]
    bounds = {b.index: b for b in split_rule.boundaries(infos)} if infos else {}
    by_index = {p.index: p for p in pages}
    for i, row in sorted(firsts.items()):
        if row.title in UNKNOWN_TITLES:
            reason = (f"第{i}幅图像无法辨认，未能识别材料名称。请核对原件或重新扫描后，填写材料名称" if i in unread
                      else "未能识别材料名称（标题未读出），请核对原件后填写材料名称")
            out.append(ReviewItem("title", i, "", reason, _title_box(by_index.get(i)), row.title))
        elif i in unread:
            out.append(ReviewItem("title", i, row.title,
                                  f"第{i}幅图像无法辨认，材料名称“{row.title}”据可辨认的部分推定，请核对原件或重新扫描",
                                  _title_box(by_index.get(i)), row.title))
        elif (b := bounds.get(i)) is not None and not b.certain and b.reason == "weak_title":
            out.append(ReviewItem("boundary", i, "起始",
                                  f"第{i}幅图像的标题“{b.title}”字迹小或淡，且无表头（姓名、性别等），"
                                  "请核对这一页是否为一份新材料的首页", b.box, row.title))
    for p in sorted(pages, key=lambda p: p.index):
        if not p.counted or p.index in firsts:
            continue
        row = owner.get(p.index)
        b = bounds.get(p.index)
        if p.index in unread:
            out.append(ReviewItem("boundary", p.index, "接续",
                                  f"第{p.index}幅图像无法辨认，已并入上一份材料，可能是另一份材料的首页，请核对原件",
                                  _title_box(p), row.title if row else None))
        elif b is not None and b.start and b.title:  # a catalogue made otherwise (an older split, by hand)
            out.append(ReviewItem("boundary", p.index, "接续",
                                  f"第{p.index}幅图像顶部读到标题“{b.title}”，卷内目录却未从这一页起列一份材料，请核对",
                                  b.box, row.title if row else None))
    return out
