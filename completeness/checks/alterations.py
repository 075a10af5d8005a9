"""Values crossed out and corrected (划改) (pure): a person confirms what the page says.

OCR takes a struck value out of the page's text and keeps the correction written beside or above
it (``ocr.strikes``). That is a judgement about what the form says, and an alteration is what an
archive checks by eye: each page with one goes to the 校对 queue, showing the place and the
correction as read, so the reading can be confirmed or put right.
"""

from __future__ import annotations

from collections.abc import Sequence

from ocr.layout import centre_in, enclosing

from ..review import ReviewItem
from ..volume import Page

NOTHING = "无"  # the value of an alteration with no correction read: struck out, nothing written


def alteration_review(pages: Sequence[Page]) -> list[ReviewItem]:
    """One ``altered`` item per page with alterations: their place, and the correction as read."""
    out = []
    for p in pages:
        if not p.struck or p.blank or p.duplicate_of is not None:
            continue
        read = [l.text for b in p.struck for l in p.lines if centre_in(l.box, b)]
        count = f"{len(p.struck)}处" if len(p.struck) > 1 else ""
        out.append(ReviewItem("altered", p.index, "；".join(dict.fromkeys(read)) or NOTHING,
                              f"本页有{count}划改（涂改）：划去的字未计入识别文字，所示为改正后的识别结果，"
                              "请对照图像核对", enclosing(p.struck)))
    return out
