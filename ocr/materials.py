"""Splitting the page sequence into materials and building the 卷内目录 rows (pure functions).

A material starts at a page whose heading is a document title (职工登记表, 招工审批表 …); pages
without a title continue the material before them. Page order is never changed: the file was
arranged by the enterprise, and the catalogue follows the pages.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from . import classes, dates, numbering
from .records import ContentsRow, Material

UNKNOWN_TITLE = "未识别材料"


@dataclass(frozen=True)
class PageInfo:
    index: int  # 1-based
    heading: str  # the page's title line, "" if none
    text: str
    counted: bool  # numbered content page (not blank, not a duplicate)
    page_no: int | None = None


def material_starts(pages: list[PageInfo]) -> list[int]:
    """0-based positions of the pages that open a material."""
    starts = []
    for i, p in enumerate(pages):
        titled = p.heading and (classes.match_title(p.heading) or classes.looks_like_title(p.heading))
        if p.counted and titled and "续" not in p.heading:
            starts.append(i)
    if pages and (not starts or starts[0] != 0):
        starts.insert(0, 0)
    return starts


def split(pages: list[PageInfo], latest: dt.date | None = None) -> list[Material]:
    starts = material_starts(pages)
    out: list[Material] = []
    for k, s in enumerate(starts):
        e = (starts[k + 1] if k + 1 < len(starts) else len(pages)) - 1
        run = pages[s:e + 1]
        rule = classes.match_title(run[0].heading) if run[0].heading else None
        title = _title(run[0].heading, rule)
        counted = [p for p in run if p.counted]
        numbers = [p.page_no for p in counted if p.page_no is not None]
        text = "\n".join(p.text for p in counted)
        out.append(Material(
            title=title, class_code=rule.class_code if rule else "十",
            first_index=run[0].index, last_index=run[-1].index,
            formed_on=dates.formed_on(text, latest), pages=len(counted),
            start_page=min(numbers) if numbers else None, end_page=max(numbers) if numbers else None,
            remarks="" if rule else ("类别未能自动判定，暂归第十类" if title != UNKNOWN_TITLE
                                     else "未能识别材料名称，请人工核对"),
        ))
    return out


def _title(heading: str, rule: classes.TitleRule | None) -> str:
    h = "".join(heading.split())
    if not rule:
        return h if h and classes.looks_like_title(h) else UNKNOWN_TITLE
    # Keep the title as written when it reads cleanly; the canonical name otherwise.
    return h if classes.looks_like_title(h) else rule.title


def contents_rows(materials: list[Material]) -> list[ContentsRow]:
    seqs = numbering.sequence_numbers([m.class_code for m in materials])
    return [ContentsRow(seq=s, class_code=m.class_code, title=m.title,
                        formed_on=m.formed_on.isoformat() if m.formed_on else None, pages=m.pages,
                        start_page=m.start_page, end_page=m.end_page, remarks=m.remarks)
            for s, m in zip(seqs, materials)]


def heading(lines: list, page_height: int, page_width: int | None = None) -> str:
    """The page's title: a short centred line in the top third, clearly taller than body text.

    ``lines`` are OcrLine-like objects with ``text`` and ``box``. Centring matters: a filled-in
    line such as "本人申请：…申请办理退休手续" can be as tall as a title and contain title words.
    """
    if not lines:
        return ""
    width = page_width or max(l.box[2] for l in lines) + min(l.box[0] for l in lines)
    heights = sorted(l.box[3] - l.box[1] for l in lines)
    median = heights[len(heights) // 2]
    candidates = [l for l in lines if l.box[1] < page_height / 3 and 2 <= len("".join(l.text.split())) <= 30
                  and (l.box[3] - l.box[1]) >= 1.25 * median
                  and abs((l.box[0] + l.box[2]) / 2 - width / 2) < 0.12 * width]
    if not candidates:
        return ""
    ranked = sorted(candidates, key=lambda l: -(l.box[3] - l.box[1]))
    for l in ranked:
        if classes.match_title(l.text):
            return "".join(l.text.split())
    return "".join(ranked[0].text.split())
