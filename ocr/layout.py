"""Text boxes on a page (pure): their reading order, shared by the OCR stage and the ground truth of
the sample scans so that both sides of a character-error-rate comparison are ordered the same way,
and the box enclosing several, or one lying in another."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")
Box = tuple[int, int, int, int]


def enclosing(boxes: Sequence[Box]) -> Box:
    """The smallest box holding every one of ``boxes`` (at least one)."""
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def centre_in(box: Sequence[int], region: Sequence[int]) -> bool:
    """Whether ``box``'s centre lies in ``region``: a line belongs to the cell or place it sits in."""
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return region[0] <= cx <= region[2] and region[1] <= cy <= region[3]


def rows(items: Sequence[tuple[Box, T]]) -> list[list[tuple[Box, T]]]:
    """Group boxes into visual rows (top to bottom), each row left to right.

    Two boxes share a row when their vertical centres are closer than half the smaller height:
    table cells on one row have different heights, so a fixed pixel tolerance would split them.
    """
    ordered = sorted(items, key=lambda it: (it[0][1] + it[0][3]) / 2)
    out: list[list[tuple[Box, T]]] = []
    centre = height = 0.0
    for it in ordered:
        b = it[0]
        c, h = (b[1] + b[3]) / 2, max(1, b[3] - b[1])
        if out and abs(c - centre) < 0.5 * min(h, height):
            out[-1].append(it)
            n = len(out[-1])
            centre += (c - centre) / n
            height += (h - height) / n
        else:
            out.append([it])
            centre, height = c, h
    return [sorted(r, key=lambda it: it[0][0]) for r in out]


def in_reading_order(items: Sequence[tuple[Box, T]]) -> list[tuple[Box, T]]:
    return [it for r in rows(items) for it in r]
