"""Server-side paging of the web lists and their API answers.

One page of a list is a SQL query ordered by a whitelisted sort key with a unique column last
(so rows neither repeat nor vanish between pages), cut by LIMIT/OFFSET. The filters travel in
every link the page draws (next, previous, sort headers) and in the API's ``next``, so a filtered
page can be bookmarked or shared."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlencode

from sqlalchemy import Select, func, select

from handover.errors import InputRefused

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


@dataclass(frozen=True)
class Sorts:
    """The columns a list may be sorted by: key → columns, the default key ("-key": descending),
    and the unique column that breaks ties."""

    columns: Mapping[str, Sequence]
    default: str
    tiebreak: object


@dataclass
class Paging:
    path: str
    sorts: Sorts
    filters: dict[str, str] = field(default_factory=dict)  # only the ones set
    sort: str = ""
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    total: int = 0  # set by count()

    @classmethod
    def of(cls, path: str, sorts: Sorts, filters: Mapping[str, str], sort: str = "",
           limit: int = DEFAULT_LIMIT, offset: int = 0) -> Paging:
        sort = (sort or "").strip() or sorts.default
        if sort.removeprefix("-") not in sorts.columns:
            names = "、".join(sorts.columns)
            raise InputRefused(f"不能按“{sort[:20]}”排序，可选：{names}")
        kept = {k: v.strip() for k, v in filters.items() if v and v.strip()}
        return cls(path, sorts, kept, sort, max(1, min(int(limit), MAX_LIMIT)), max(0, int(offset)))

    @property
    def key(self) -> str:
        return self.sort.removeprefix("-")

    @property
    def descending(self) -> bool:
        return self.sort.startswith("-")

    def count(self, session, stmt: Select) -> int:
        """The number of rows of the filtered (unordered, uncut) query."""
        self.total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
        return self.total

    def ordered(self, stmt: Select) -> Select:
        """The whole filtered list in the page's order (an export of it)."""
        cols = [c.desc() if self.descending else c.asc() for c in self.sorts.columns[self.key]]
        tie = self.sorts.tiebreak
        return stmt.order_by(*cols, tie.desc() if self.descending else tie.asc())

    def apply(self, stmt: Select) -> Select:
        return self.ordered(stmt).limit(self.limit).offset(self.offset)

    # ------------------------------------------------------------ links that keep the filters

    def url(self, **changes) -> str:
        params = {**self.filters, "sort": self.sort, "limit": self.limit, "offset": self.offset, **changes}
        if params["sort"] == self.sorts.default:
            params.pop("sort")
        if params["limit"] == DEFAULT_LIMIT:
            params.pop("limit")
        if not params["offset"]:
            params.pop("offset")
        query = urlencode({k: v for k, v in params.items() if v not in ("", None)})
        return f"{self.path}?{query}" if query else self.path

    def export_url(self, suffix: str = ".xlsx") -> str:
        """The whole filtered list in this order, as a file (the path with ``suffix``)."""
        params = {**self.filters, "sort": "" if self.sort == self.sorts.default else self.sort}
        query = urlencode({k: v for k, v in params.items() if v})
        return f"{self.path}{suffix}?{query}" if query else f"{self.path}{suffix}"

    def sort_url(self, key: str) -> str:
        """A column header's link: this key ascending, or descending when it is already ascending."""
        return self.url(sort=f"-{key}" if self.sort == key else key, offset=0)

    def arrow(self, key: str) -> str:
        return "" if self.key != key else (" ↓" if self.descending else " ↑")

    @property
    def next_url(self) -> str | None:
        return self.url(offset=self.offset + self.limit) if self.offset + self.limit < self.total else None

    @property
    def prev_url(self) -> str | None:
        return self.url(offset=max(0, self.offset - self.limit)) if self.offset else None

    @property
    def first(self) -> int:
        return self.offset + 1 if self.total else 0

    @property
    def last(self) -> int:
        return min(self.offset + self.limit, self.total)

    def answer(self) -> dict:
        """The paging part of an API answer."""
        return {"total": self.total, "limit": self.limit, "offset": self.offset, "sort": self.sort,
                "filters": self.filters, "next": self.next_url}
