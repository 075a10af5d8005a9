"""Page sequence (pure): declared count against pages found, page numbers written on the
originals, pages scanned twice, blank sides given a number."""

from __future__ import annotations

import re
from collections.abc import Sequence

from ocr.textnorm import edit_distance

from ..findings import Finding, Severity, finding
from ..volume import Page
from .text import norm

# A page number written in a corner: "12", "-12-", "第12页", or the 类别号-顺序号-总页数 mark "3-2-7".
_WRITTEN = re.compile(r"^(?:第)?[-—(（]?(\d{1,3})[-—)）]?(?:页)?$")
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


def written_page_number(page: Page) -> int | None:
    """The page number written in a corner of the original, if OCR read one."""
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
        mark = re.fullmatch(r"[一二三四五六七八九十\d]+-\d{1,3}-(\d{1,3})", text)
        m = mark or _WRITTEN.fullmatch(text)
        if m:
            found.append((y0, int(m[1])))
    # Prefer the bottom corner (numbers bottom right / bottom left) when both carry one.
    return max(found)[1] if found else None


def check_written_numbers(pages: Sequence[Page], restart_per_material: bool = False,
                          material_starts: frozenset[int] = frozenset()) -> list[Finding]:
    """Gaps and repeats in the page numbers written on the originals, where OCR found them."""
    counted = [p for p in pages if p.counted]
    numbered = [(p, written_page_number(p)) for p in counted]
    seen = [(p, n) for p, n in numbered if n is not None]
    if not counted or len(seen) < max(2, MIN_NUMBERED_SHARE * len(counted)):
        return []
    out: list[Finding] = []
    prev: tuple[Page, int] | None = None
    for p, n in seen:
        if prev is not None:
            restart = n == 1 and (restart_per_material or p.index in material_starts)
            last = prev[1]
            if restart:
                pass
            elif n == last:
                out.append(finding("page_number_repeat",
                                   f"第{p.index}幅图像上的原件页号“{n}”与第{prev[0].index}幅重复，请核对是否重复编号或重复扫描。",
                                   page=p.index))
            elif n > last + 1:
                gap = f"{last + 1}" if n == last + 2 else f"{last + 1}—{n - 1}"
                out.append(finding("page_number_gap",
                                   f"原件页号由{last}跳至{n}（第{prev[0].index}与第{p.index}幅图像之间），"
                                   f"缺第{gap}页。请核对原件，补扫缺页。", page=p.index))
            elif n < last:
                out.append(finding("page_number_repeat",
                                   f"第{p.index}幅图像上的原件页号“{n}”小于前一页的“{last}”，页序可能颠倒或重复。",
                                   page=p.index, severity=Severity.WARNING))
        prev = (p, n)
    return out


RESCAN_TEXT_SIMILARITY = 0.9
RESCAN_DIGIT_SIMILARITY = 0.8  # two forms of one kind (two 工资变动审批表) differ in their figures


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
