"""Scanning a roster file row by row: header detection, validation, duplicates within the file."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from . import problems as P
from .headers import column_letter, find_header
from .problems import Problem, Severity
from .reader import RosterFile, open_roster
from .validate import RowResult, RowValidator, header_problems
from .values import text

HEADER_SEARCH_ROWS = 20
_FOOTER_PREFIXES = ("注", "经办", "填报", "单位签章", "单位名称", "合计", "说明", "制表")


class RosterScan:
    """Open a roster and iterate its validated rows; ``problems_before_rows`` are file-level."""

    def __init__(self, path: Path, today: dt.date | None = None):
        self.file: RosterFile = open_roster(Path(path))
        self._rows = self.file.rows
        self._head = list(islice(self._rows, HEADER_SEARCH_ROWS))
        self.header = find_header(self._head)
        self.file_problems: list[Problem] = header_problems(self.header, self.file.path.name)
        if not self._head:
            self.file_problems = [Problem(None, "", P.EMPTY, f"{self.file.path.name} 中没有任何数据")]
        self.today = today
        self.rows_total = 0

    def label(self, *keys: str) -> str:
        """The first of ``keys`` the file has, as its header and Excel letter: "确认移交社区(M列)"."""
        columns = {c.key: (i, c) for i, c in (self.header.columns.items() if self.header else ())}
        for key in keys:
            if key in columns:
                index, col = columns[key]
                return f"{col.header}({column_letter(index)}列)"
        return ""

    @property
    def readable(self) -> bool:
        return not any(p.is_error for p in self.file_problems)

    def rows(self) -> Iterator[RowResult]:
        if not self.readable:
            return
        assert self.header is not None
        validator = RowValidator(self.header, self.file.notes.merged_rows(self.header.row),
                                 self.file.notes.formulas, self.today)
        name_index = next(i for i, c in self.header.columns.items() if c.key == "name")
        seen: dict[str, int] = {}
        body = (r for r in self._head if r[0] > self.header.row)
        for row, values in _chain(body, self._rows):
            if _skippable(values, name_index):
                continue
            self.rows_total += 1
            result = validator(row, values)
            if result.retiree is not None:
                first = seen.setdefault(result.retiree.id_number, row)
                if first != row:
                    result.problems.append(Problem(row, validator.label("id_number"), P.DUPLICATE_IN_FILE,
                                                   f"与第{first}行是同一人（身份证号相同），本行不予导入"))
                    result.retiree = None
            yield result


def _chain(first, rest):
    yield from first
    yield from rest


def _skippable(values: list[object], name_index: int) -> bool:
    """Blank rows, and notes/footers under the table (注：…, 经办人：…)."""
    filled = [v for v in values if v is not None and v != ""]
    if not filled:
        return True
    if len(filled) > 3:
        return False
    name = values[name_index] if name_index < len(values) else None
    return not text(name) and text(filled[0]).startswith(_FOOTER_PREFIXES)


@dataclass
class RosterResult:
    """A whole roster, validated (for small files, documents and tests)."""

    retirees: list
    rows: list[int]  # the file row of each retiree
    problems: list[Problem] = field(default_factory=list)
    rows_total: int = 0

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.WARNING]


def load_roster(path: Path, today: dt.date | None = None) -> RosterResult:
    scan = RosterScan(path, today)
    result = RosterResult([], [], list(scan.file_problems))
    for row in scan.rows():
        result.problems.extend(row.problems)
        if row.retiree is not None:
            result.retirees.append(row.retiree)
            result.rows.append(row.row)
    result.rows_total = scan.rows_total
    return result
