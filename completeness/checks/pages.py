"""Page sequence (pure): declared count against pages found, page numbers written on the
originals, pages scanned twice, blank sides given a number."""

from __future__ import annotations

import re
from collections.abc import Container, Mapping, Sequence

from ocr.textnorm import edit_distance

from ..findings import Finding, Severity, finding
from ..review import ReviewItem
from ..volume import Page
from .text import norm

# A page number written in a corner: "12", "-12-", "第12页", or the 类别号-顺序号-总页数 mark "3-2-7".
# OCR reads a pencilled 1 as l, I or | and a 0 as O or o: taken as digits where the mark is plainly a
# numeral (a short run of digits and such letters alone in the corner).
_NUMERAL = r"[\dlI|Oo]{1,3}"
_WRITTEN = re.compile(rf"^(?:第)?[-—(（]?({_NUMERAL})[-—)）]?(?:页)?$")
_MARK = re.compile(rf"[一二三四五六七八九十\d]+-{_NUMERAL}-({_NUMERAL})")
_AS_DIGIT = str.maketrans({"l": "1", "I": "1", "|": "1", "O": "0", "o": "0"})
CORNER_X = 0.25  # fraction of the width from either side
CORNER_Y = 0.12  # fraction of the height from the top or bottom
MIN_NUMBERED_SHARE = 0.5  # written numbers must be found on at least this share of counted pages


def check_page_count(pages: Sequence[Page], declared: int | None) -> list[Finding]:
    """Declared page count (enterprise's archive roster) against the content pages found.

    Numbered pages that look like rescans are left out: they are reported on their own.
    """
    if declared is None:
        return []
    rescans = suspected_rescans(pages)
    found = sum(1 for p in pages if p.counted and p.index not in rescans)
    if found == declared:
        return []
    blanks = sum(1 for p in pages if p.blank and not p.counted)
    if declared > found:
        msg = f"申报页数为{declared}页，扫描所得内容页仅{found}页，缺{declared - found}页。请核对原件，补扫缺页。"
        if declared - found == blanks:
            msg += f"（差额与未计页的空白页数{blanks}相同：若申报时误将空白页计入，请更正申报页数。）"
    else:
        msg = f"申报页数为{declared}页，扫描所得内容页为{found}页，多{found - declared}页。请核对是否夹带他人材料或重复计页。"
    return [finding("page_count_mismatch", msg)]


def _numeral(raw: str) -> int | None:
    """A written page number read with l/I/| for 1 and O/o for 0 (never a leading 0)."""
    digits = raw.translate(_AS_DIGIT)
    if not digits.isdigit() or digits.startswith("0"):
        return None
    return int(digits)


def _corner_number(page: Page) -> tuple[int, bool] | None:
    """The page number written in a corner, and whether it was read as letters only ("l", "IO"):
    such a reading is a numeral only where the sequence around it expects that number."""
    if not page.lines or not page.width or not page.height:
        return None
    found = []
    for line in page.lines:
        x0, y0, x1, y1 = line.box
        in_x = x1 <= page.width * CORNER_X or x0 >= page.width * (1 - CORNER_X)
        in_y = y1 <= page.height * CORNER_Y or y0 >= page.height * (1 - CORNER_Y)
        if not (in_x and in_y):
            continue
        text = re.sub(r"\s+", "", line.text)
        m = _MARK.fullmatch(text) or _WRITTEN.fullmatch(text)
        if m and (n := _numeral(m[1])) is not None:
            found.append((y0, n, not any(c.isdigit() for c in m[1])))
    # Prefer the bottom corner (numbers bottom right / bottom left) when both carry one.
    if not found:
        return None
    _, n, letters = max(found, key=lambda f: f[0])
    return n, letters


def written_page_number(page: Page) -> int | None:
    """The page number written in a corner of the original, if OCR read one."""
    got = _corner_number(page)
    return got[0] if got else None


def _numbers(counted: Sequence[Page], corrections: Mapping[str, str] | None,
             restarts: Container[int]) -> list[int | None]:
    """The written number of each counted page: staff's reading (``page_no:<image>``), else OCR's;
    a number read as letters only is kept where the numbers read before it expect it (or a 1 where
    the numbering may restart: ``restarts`` holds those positions in ``counted``)."""
    out: list[int | None] = []
    last: tuple[int, int] | None = None  # (position, number) of the last number kept
    for k, p in enumerate(counted):
        value = (corrections or {}).get(f"page_no:{p.index}")
        if value is not None:
            n = int(value.strip()) if value.strip().isdigit() else None
        elif (got := _corner_number(p)) is None:
            n = None
        else:
            n, letters = got
            expected = last[1] + k - last[0] if last else k + 1
            if letters and n != expected and not (n == 1 and k in restarts):
                n = None
        out.append(n)
        if n is not None:
            last = (k, n)
    return out


def check_written_numbers(pages: Sequence[Page], restart_per_material: bool = False,
                          material_starts: frozenset[int] = frozenset(),
                          corrections: Mapping[str, str] | None = None,
                          review: list[ReviewItem] | None = None) -> list[Finding]:
    """Gaps and repeats in the page numbers written on the originals, where OCR found them.

    An image whose number was not read takes the place between its neighbours: a gap is reported
    only where the images between two numbers read are fewer than the numbers between them (read
    3, two unread images, read 6: pages 4 and 5 are those images). ``corrections`` hold numbers
    archive staff read (``page_no:<image>``); where the unread images leave the missing pages'
    place open, they go to the 校对 queue (``review``).
    """
    counted = [p for p in pages if p.counted]
    starts = {k for k, p in enumerate(counted) if p.index in material_starts}
    numbers = _numbers(counted, corrections, range(len(counted)) if restart_per_material else starts | {0})
    seen = [(k, p, n) for k, (p, n) in enumerate(zip(counted, numbers)) if n is not None]
    if not counted or len(seen) < max(2, MIN_NUMBERED_SHARE * len(counted)):
        return []
    out: list[Finding] = []
    for (k1, p1, last), (k2, p, n) in zip(seen, seen[1:]):
        between = k2 - k1 - 1  # images whose number was not read
        # A restart of the numbering (per material): at this image, or at an unread one between
        # from which the images up to this one hold 1..n.
        restart = n == 1 and (restart_per_material or p.index in material_starts)
        restart = restart or any((restart_per_material or s in starts) and k2 - s + 1 >= n
                                 for s in range(k1 + 1, k2))
        if restart and n <= last:
            continue
        if n == last:
            out.append(finding("page_number_repeat",
                               f"第{p.index}幅图像上的原件页号“{n}”与第{p1.index}幅重复，请核对是否重复编号或重复扫描。",
                               page=p.index))
        elif n < last:
            out.append(finding("page_number_repeat",
                               f"第{p.index}幅图像上的原件页号“{n}”小于前一页的“{last}”，页序可能颠倒或重复。",
                               page=p.index, severity=Severity.WARNING))
        elif n - last - 1 > between and not restart:
            short = n - last - 1 - between
            span = f"{last + 1}" if n == last + 2 else f"{last + 1}—{n - 1}"
            if between == 0:
                msg = (f"原件页号由{last}跳至{n}（第{p1.index}与第{p.index}幅图像之间），"
                       f"缺第{span}页。请核对原件，补扫缺页。")
            else:
                msg = (f"原件页号由{last}跳至{n}，第{p1.index}与第{p.index}幅图像之间只有{between}幅页号未识别的图像，"
                       f"缺第{span}页中的{short}页。请核对原件，补扫缺页。")
                if review is not None:
                    for q in counted[k1 + 1:k2]:
                        review.append(ReviewItem("page_no", q.index, "", f"原件页号未能识别（页号{last}与{n}之间缺页），"
                                                 "请核对该页原件页号", _corner_box(q)))
            out.append(finding("page_number_gap", msg, page=p.index))
    return out


def _corner_box(page: Page) -> tuple[int, int, int, int] | None:
    """Where a written number would be: the bottom-right corner of the page."""
    if not page.width or not page.height:
        return None
    return (int(page.width * (1 - CORNER_X)), int(page.height * (1 - CORNER_Y)), page.width, page.height)


RESCAN_TEXT_SIMILARITY = 0.9
RESCAN_DIGIT_SIMILARITY = 0.8  # two forms of one kind (two 工资变动审批表) differ in their figures
# Two images with the same pencilled page number and texts this alike: one sheet scanned twice
# (a cursive page's two readings measured 0.74 alike; different sheets in a row ≤ 0.3).
RESCAN_NUMBERED_SIMILARITY = 0.6


def _similarity(a: str, b: str) -> float:
    return 1.0 if not a and not b else 1.0 - edit_distance(a, b) / max(len(a), len(b))


def suspected_rescans(pages: Sequence[Page]) -> dict[int, int]:
    """Numbered pages that repeat the numbered page just before them (a rescan OCR read slightly
    differently, so the pipeline numbered it): index → index of the page it repeats."""
    out: dict[int, int] = {}
    prev: Page | None = None
    for p in pages:
        if not p.counted or p.duplicate_of is not None:
            continue
        if prev is not None:
            a, b = norm(prev.text), norm(p.text)
            if min(len(a), len(b)) >= 15 and _similarity(a, b) >= RESCAN_TEXT_SIMILARITY:
                da, db = re.sub(r"\D", "", a), re.sub(r"\D", "", b)
                if _similarity(da, db) >= RESCAN_DIGIT_SIMILARITY:
                    out[p.index] = prev.index
            elif min(len(a), len(b)) >= 15 and _similarity(a, b) >= RESCAN_NUMBERED_SIMILARITY \
                    and (n := written_page_number(p)) is not None and n == written_page_number(prev):
                # Handwriting is read differently on each scan; the sheet's pencilled number is not.
                out[p.index] = prev.index
        prev = p
    return out


def check_duplicates(pages: Sequence[Page]) -> list[Finding]:
    """Pages scanned twice: noted when set aside, an error when they were given a number."""
    out = []
    suspected = suspected_rescans(pages)
    for p in pages:
        if p.index in suspected:
            out.append(finding("duplicate_page_counted",
                               f"第{p.index}幅图像与第{suspected[p.index]}幅内容几乎相同，疑为重复扫描，却被编为第{p.page_no}页。"
                               "请核对；确系重复扫描的不应计入页数。", page=p.index))
        if p.duplicate_of is None:
            continue
        if p.counted:
            out.append(finding("duplicate_page_counted",
                               f"第{p.index}幅图像与第{p.duplicate_of}幅内容相同，却被编为第{p.page_no}页。"
                               "重复扫描页不应计入页数。", page=p.index))
        else:
            out.append(finding("duplicate_page",
                               f"第{p.index}幅图像与第{p.duplicate_of}幅内容相同，系重复扫描，已保留图像但未编页号。",
                               page=p.index))
    return out


def check_blank_counted(pages: Sequence[Page], count_blank_pages: bool = False) -> list[Finding]:
    """Blank sides must carry no number unless the region counts them (DOMAIN.md §5.3)."""
    if count_blank_pages:
        return []
    return [finding("blank_page_counted",
                    f"第{p.index}幅图像为空白页，却被编为第{p.page_no}页。无内容的页面不计算页数。", page=p.index)
            for p in pages if p.blank and p.counted]


def check_has_content(pages: Sequence[Page]) -> list[Finding]:
    if any(p.counted for p in pages):
        return []
    return [finding("no_content_pages", "本卷没有任何可计页数的内容页，无法验收。")]
