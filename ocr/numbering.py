"""Page numbers and 卷内目录 sequence numbers (pure functions).

Blank sides and pages scanned twice are kept as images but get no number and are not counted
(DOMAIN.md §5.3: "无内容的页面不计算页数"); numbering runs per volume or restarts per material,
as the region's policy profile says.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence


def page_numbers(counted: Sequence[bool], material_starts: Sequence[int] = (),
                 scope: str = "per_volume") -> list[int | None]:
    """Page number of each page (None for uncounted ones).

    ``material_starts`` are 0-based positions where a material begins; used when ``scope`` is
    ``per_material``.
    """
    starts = set(material_starts)
    out: list[int | None] = []
    n = 0
    for i, c in enumerate(counted):
        if scope == "per_material" and i in starts:
            n = 0
        if c:
            n += 1
            out.append(n)
        else:
            out.append(None)
    return out


def sequence_numbers(class_codes: Sequence[str]) -> list[str]:
    """序号 per material: the class then its running number within the class (一-1, 九-1-2)."""
    seen: Counter[str] = Counter()
    out = []
    for code in class_codes:
        seen[code] += 1
        out.append(f"{code}-{seen[code]}")
    return out


def page_label_ranges(page_nos: Sequence[int | None], prefixes: Sequence[str] | None = None
                      ) -> list[tuple[int, str, int | None]]:
    """PDF page-label ranges as (first page index 0-based, prefix, start number or None).

    A new range starts wherever the numbers stop running on by one: at blank sides (labelled by
    prefix only), at a restart, or where the prefix changes.
    """
    ranges: list[tuple[int, str, int | None]] = []
    prev: int | None = None
    prev_prefix: str | None = None
    for i, no in enumerate(page_nos):
        prefix = prefixes[i] if prefixes else ""
        if no is None:
            # Unnumbered sides are labelled by what they are (the caller's prefix) — 空白页 by default.
            ranges.append((i, prefix or "空白页", None))
            prev, prev_prefix = None, None
            continue
        if prev is None or no != prev + 1 or prefix != prev_prefix:
            ranges.append((i, prefix, no))
        prev, prev_prefix = no, prefix
    return ranges
