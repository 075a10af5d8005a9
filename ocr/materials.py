"""Splitting the page sequence into materials and building the 卷内目录 rows (pure functions).

A material starts at a page that opens a document (职工登记表, 招工审批表 …); other pages continue
the material before them. Page order is never changed: the file was arranged by the enterprise,
and the catalogue follows the pages.

Whether a page opens a material is decided from several signals read off its OCR lines
(``signals``), combined by a small rule (``decide``):

* a known form title (``classes.KNOWN_TITLES``) read anywhere in the top third of the page, with
  OCR slips (a character misread or lost, the line split in two, spaces) and whatever its height
  or centring — printed titles can be faint or small, and handwriting makes the body lines as tall
  as the title;
* the page's heading (a tall centred line, ``heading``) or another short line at the top that
  reads like a title (ends in 表/书/…) and names a class — weaker, confirmed by the next signal;
* an identity row of a form grid (姓名 with 性别/出生年月/民族/身份证号码) right under the title
  area: the header block every form opens with;
* continuation marks (续, 续页, （续）, 第二页, 背面, 接上页) at the top: never a new material.

A line inside prose (a paragraph's tail, a sentence with punctuation, 本人申请…) is never a title.
An unreadable page (almost no text, low confidence) opens its own row: named after the title
fragment still read on it, else 未识别材料 — so a required material whose first page cannot be
read is not merged into the material before it and reported missing.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace

from . import classes, dates, numbering
from .records import ContentsRow, Material

UNKNOWN_TITLE = "未识别材料"

TOP_ZONE = 1 / 3  # titles sit in the top third of the deskewed page
GRID_ZONE = 0.4  # the identity row sits right under the title area
MAX_ROWS_ABOVE = 5  # text rows allowed above a title or the identity row (档案编号, 中国共产党, unit, …)
MAX_EXTRA = 12  # characters a title line may hold besides a known title (unit name, 中国共产党)
MAX_EXTRA_SLIPPED = 3  # … when the title itself was read with slips
MAX_TITLE = 20  # a line reading like a title but not a known one: at most this long
PROSE_ROW = 16  # a row this long just above a line makes it a paragraph's tail, not a title
SPLIT_PART = 12  # each part of a title split over two rows is at most this long

IDENTITY_LABELS = ("姓名", "性别", "出生年月", "出生日期", "民族", "身份证号码", "身份证号", "公民身份号码")
_SENTENCE = re.compile(r"[，。；！？、,;!?：:]")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_SENTENCE_START = re.compile(r"^(本人|我|经|兹|同意|特此|根据|以上)")
_CONTINUED = (
    re.compile(r"^[（(]?续[页表]?[)）]?$"),  # a line of its own: 续, 续页, （续）
    re.compile(r"[（(]续[页表]?[)）]|续页|续表|接上页|接前页"),
    re.compile(r"^[（(]?(共.{1,3}页)?第([二三四五六七八九十]|[2-9]|[1-9][0-9])页[)）]?$"),
    re.compile(r"^[（(]?背面[)）]?$"),
    re.compile(r"(表|书)续$"),
)


@dataclass(frozen=True)
class PageInfo:
    index: int  # 1-based
    heading: str  # the page's title line (``heading``), "" if none
    text: str
    counted: bool  # numbered content page (not blank, not a duplicate)
    page_no: int | None = None
    lines: tuple = ()  # OCR lines (``text``, ``box`` x0 y0 x1 y1) of the cleaned page; () = heading only
    width: int = 0  # pixels of the cleaned page (0: unknown)
    height: int = 0
    readable: bool = True  # False: OCR read almost nothing, or with low confidence


@dataclass(frozen=True)
class Signals:
    """What a page says about opening a material."""

    title: str = ""  # the title read ("" none); a known title's canonical spelling when read with slips
    strength: int = 0  # 0 no title, 1 a weak one (needs the identity row), 2 a known title or heading
    continued: bool = False  # a continuation mark at the top
    identity: bool = False  # an identity row (姓名 性别 …) right under the title area
    box: tuple[int, int, int, int] | None = None  # where the title (else the identity row) was read


@dataclass(frozen=True)
class Boundary:
    """The rule's answer for one page."""

    index: int
    start: bool  # the page opens a material
    certain: bool  # False: the signals disagree or are weak — a person should confirm
    title: str  # "" = not read
    reason: str  # first, title, title+identity, weak_title, identity, unreadable, continued, none, uncounted
    box: tuple[int, int, int, int] | None = None


def _box(lines) -> tuple[int, int, int, int]:
    return (min(l.box[0] for l in lines), min(l.box[1] for l in lines),
            max(l.box[2] for l in lines), max(l.box[3] for l in lines))


def _rows(lines) -> list[list]:
    """Lines grouped into text rows, top to bottom, each row left to right.

    A line joins the row whose vertical band it overlaps by half its height (or the band's).
    """
    rows: list[list] = []
    bands: list[list[float]] = []
    for l in sorted(lines, key=lambda l: (l.box[1] + l.box[3]) / 2):
        y0, y1 = l.box[1], l.box[3]
        for row, band in zip(rows, bands):
            overlap = min(y1, band[1]) - max(y0, band[0])
            if overlap >= 0.5 * min(y1 - y0, band[1] - band[0]):
                row.append(l)
                band[0], band[1] = min(band[0], y0), max(band[1], y1)
                break
        else:
            rows.append([l])
            bands.append([y0, y1])
    order = sorted(range(len(rows)), key=lambda k: bands[k][0])
    return [sorted(rows[k], key=lambda l: l.box[0]) for k in order]


@dataclass(frozen=True)
class _Candidate:
    text: str  # as read, spaces removed
    box: tuple[int, int, int, int]
    above: int  # text rows above it


def _candidates(rows: list[list], height: int) -> list[_Candidate]:
    """Strings that could be the title: each line, each row joined, two short rows joined.

    Only rows in the top third, with few rows above, and not the tail of a paragraph.
    """
    out: list[_Candidate] = []
    above = 0
    texts = ["".join("".join(l.text.split()) for l in row) for row in rows]
    for k, row in enumerate(rows):
        box = _box(row)
        if box[1] >= TOP_ZONE * height or above > MAX_ROWS_ABOVE:
            break
        if not _CJK.search(texts[k]):
            continue  # a pencilled page number, a 档号: no part of a title
        if k and len(classes.core(texts[k - 1])) >= PROSE_ROW and \
                box[1] - _box(rows[k - 1])[3] < (box[3] - box[1]):
            above += 1
            continue  # the last line of a paragraph
        for l in row:
            out.append(_Candidate("".join(l.text.split()), tuple(l.box), above))
        if len(row) > 1:
            out.append(_Candidate(texts[k], box, above))
        if k + 1 < len(rows):
            nxt = _box(rows[k + 1])
            if len(classes.core(texts[k])) <= SPLIT_PART and len(classes.core(texts[k + 1])) <= SPLIT_PART \
                    and _CJK.search(texts[k + 1]) \
                    and nxt[1] - box[3] < 1.5 * max(box[3] - box[1], nxt[3] - nxt[1]):
                out.append(_Candidate(texts[k] + texts[k + 1], _box(row + rows[k + 1]), above))
        if len(classes.core(texts[k])) >= 2:
            above += 1
    return out


def _continued(text: str) -> bool:
    t = "".join(text.split())
    return len(t) <= 30 and not _SENTENCE.search(re.sub(r"[（(][^)）]*[)）]", "", t)) \
        and any(p.search(t) for p in _CONTINUED)


def _title_like(text: str) -> bool:
    """Reads like a title line, not a sentence: short, no punctuation, no 本人/我 opening."""
    return not _SENTENCE.search(text) and not _SENTENCE_START.match(classes.core(text))


def _known(c: _Candidate) -> tuple[str, int] | None:
    """The known title this candidate is, and the slips read in it (kept as written when read cleanly)."""
    if not _title_like(c.text):
        return None
    hit = classes.known_title(c.text)
    if hit is None:
        return None
    title, slips = hit
    extra = len(classes.core(c.text)) - len(title)
    if slips:
        # A slipped reading must still end like a title: "退休审批意见" is a label, not 退休审批表.
        if extra > MAX_EXTRA_SLIPPED or not classes.looks_like_title(classes.core(c.text)):
            return None
        return title, slips
    if extra > MAX_EXTRA:
        return None
    written = classes.core(c.text)
    # Kept as written when a name precedes it (郑州第二纺织厂职工登记表); digits are no part of a title.
    as_written = extra and classes.looks_like_title(written) and written.endswith(title) \
        and all(_CJK.match(ch) for ch in written[:extra])
    return (written if as_written else title), 0


def _weak(c: _Candidate) -> str | None:
    """A short title-like line naming a class (职工调动审批表 printed small), or a known title's fragment."""
    if not _title_like(c.text):
        return None
    t = classes.core(c.text)
    if 2 <= len(t) <= MAX_TITLE and classes.looks_like_title(t) and classes.match_title(t):
        return t
    return classes.partial_title(t, min_chars=4, min_share=0.5)


def _identity_row(rows: list[list], height: int) -> tuple[int, int, int, int] | None:
    above = 0
    for row in rows:
        box = _box(row)
        if box[1] >= GRID_ZONE * height or above > MAX_ROWS_ABOVE:
            return None
        labels = {lab for l in row for lab in IDENTITY_LABELS if classes.core(l.text).startswith(lab)}
        if "姓名" in labels and len(labels) >= 2:
            return box
        if len(classes.core("".join(l.text for l in row))) >= 2:
            above += 1
    return None


def signals(p: PageInfo) -> Signals:
    """The signals of one page (pure)."""
    if not p.lines:  # only a heading is known (tests, older callers): the heading rule alone
        h = "".join(p.heading.split())
        titled = bool(h) and bool(classes.match_title(h) or classes.looks_like_title(h))
        return Signals(h if titled else "", 2 if titled else 0, bool(h) and ("续" in h or _continued(h)))
    height = p.height or max(l.box[3] for l in p.lines)
    rows = _rows([l for l in p.lines if "".join(l.text.split())])
    cands = _candidates(rows, height)
    continued = any(_continued(c.text) for c in cands)
    identity = _identity_row(rows, height)
    title, strength, box = "", 0, None
    known = [(c.above, k[1], -len(canon), len(classes.core(c.text)), canon, k[0], c.box)
             for c in cands if (k := _known(c)) is not None for canon in [classes.known_title(k[0])[0]]]
    if known:
        # The topmost known title (on one row: fewest slips, longest title), then its tightest
        # reading: "入党志愿书" on its own line rather than joined to the 中国共产党 above it.
        canon = min(known, key=lambda k: k[:4])[4]
        *_, title, box = min((k for k in known if k[4] == canon), key=lambda k: (k[1], k[3]))
        strength = 2
    h = "".join(p.heading.split())
    if not strength and h and _title_like(h) and len(classes.core(h)) <= MAX_TITLE \
            and classes.looks_like_title(classes.core(h)):
        title, strength = classes.core(h), 2  # a tall centred heading of a form we do not know
    if not strength:
        for c in cands:
            if (t := _weak(c)) is not None:
                title, strength, box = t, 1, c.box
                break
    if not p.readable and not strength:  # a damaged title: any fragment that names one
        for c in cands:
            if (t := classes.partial_title(c.text)) is not None:
                title, strength, box = t, 1, c.box
                break
    return Signals(title, strength, continued, identity is not None, box or identity)


def decide(p: PageInfo, s: Signals, first: bool = False) -> Boundary:
    """Combine a page's signals into: does it open a material, and how sure is that."""
    if first:
        return Boundary(p.index, True, True, s.title if s.strength else "", "first", s.box)
    if not p.counted:
        return Boundary(p.index, False, True, "", "uncounted")
    if not p.readable:  # its own row, named after what was read of its title, if anything
        return Boundary(p.index, True, False, s.title if s.strength else "", "unreadable", s.box)
    if s.continued:
        return Boundary(p.index, False, True, "", "continued", s.box)
    if s.strength == 2:
        return Boundary(p.index, True, True, s.title, "title+identity" if s.identity else "title", s.box)
    if s.strength == 1 and s.identity:
        return Boundary(p.index, True, True, s.title, "title+identity", s.box)
    if s.strength == 1:
        return Boundary(p.index, True, False, s.title, "weak_title", s.box)
    if s.identity:  # a form's header block with its title unread (faint, lost): a form of its own
        return Boundary(p.index, True, False, "", "identity", s.box)
    return Boundary(p.index, False, True, "", "none")


def boundaries(pages: list[PageInfo]) -> list[Boundary]:
    return [decide(p, signals(p), first=(i == 0)) for i, p in enumerate(pages)]


def material_starts(pages: list[PageInfo]) -> list[int]:
    """0-based positions of the pages that open a material."""
    return [i for i, b in enumerate(boundaries(pages)) if b.start]


def split(pages: list[PageInfo], latest: dt.date | None = None) -> list[Material]:
    bounds = boundaries(pages)
    starts = [i for i, b in enumerate(bounds) if b.start]
    out: list[Material] = []
    for k, s in enumerate(starts):
        e = (starts[k + 1] if k + 1 < len(starts) else len(pages)) - 1
        run = pages[s:e + 1]
        b = bounds[s]
        rule = classes.match_title(b.title) if b.title else None
        title = _title(b.title, rule)
        counted = [p for p in run if p.counted]
        numbers = [p.page_no for p in counted if p.page_no is not None]
        text = "\n".join(p.text for p in counted)
        out.append(Material(
            title=title, class_code=rule.class_code if rule else "十",
            first_index=run[0].index, last_index=run[-1].index,
            formed_on=dates.formed_on(text, latest), pages=len(counted),
            start_page=min(numbers) if numbers else None, end_page=max(numbers) if numbers else None,
            remarks=_remarks(title, rule, run[0]),
        ))
    return out


def _remarks(title: str, rule: classes.TitleRule | None, first: PageInfo) -> str:
    if not first.readable and first.counted:
        return ("首页无法辨认，未能识别材料名称，请重新扫描后核对" if title == UNKNOWN_TITLE
                else "首页无法辨认，材料名称据可辨认的部分推定，请重新扫描后核对")
    if rule:
        return ""
    return "类别未能自动判定，暂归第十类" if title != UNKNOWN_TITLE else "未能识别材料名称，请人工核对"


def _title(heading: str, rule: classes.TitleRule | None) -> str:
    h = "".join(heading.split())
    if not rule:
        return h if h and classes.looks_like_title(h) else UNKNOWN_TITLE
    # Keep the title as written when it reads cleanly; the canonical name otherwise.
    return h if classes.looks_like_title(h) else rule.title


def with_page_numbers(pages: list[PageInfo], numbers: list[int | None]) -> list[PageInfo]:
    return [replace(p, page_no=n) for p, n in zip(pages, numbers)]


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
