"""Writing pages into the full-text index (the single place that touches its rows), and the
choice of index backend by database: archive_store.fts_sqlite (FTS5) or fts_postgres (tsvector +
GIN)."""

from __future__ import annotations

from collections.abc import Iterable
from types import ModuleType

from sqlalchemy.orm import Session

from handover.errors import Unavailable

from . import fts_postgres, fts_sqlite

_BACKENDS = {"sqlite": fts_sqlite, "postgresql": fts_postgres}


class IndexUnsupported(Unavailable):
    pass


def backend(session: Session) -> ModuleType:
    """The index backend of the session's database; a plain answer rather than a SQL error for
    a database that has none."""
    found = _BACKENDS.get(session.get_bind().dialect.name)
    if found is None:
        raise IndexUnsupported("全文索引与检索目前只支持 SQLite 和 PostgreSQL 数据库")
    return found


def require_fts(session: Session) -> None:
    """Refuse plainly, before any work, a database whose kind has no full-text index."""
    backend(session)


def index_pages(session: Session, pages: Iterable[tuple[int, str, int]]) -> int:
    """Index (page id, text, community id) in the caller's transaction; returns the count."""
    pages = list(pages)
    if pages:
        backend(session).add(session, pages)
    return len(pages)


def unindex_pages(session: Session, pages: Iterable[tuple[int, str, int]]) -> None:
    """Remove pages (SQLite's contentless FTS5 needs the indexed values back: regenerated from
    the text)."""
    pages = list(pages)
    if pages:
        backend(session).remove(session, pages)


def clear_index(session: Session) -> None:
    """Remove every page from the index (before a full rebuild)."""
    backend(session).clear(session)


def indexed_page_ids(session: Session, community_id: int) -> set[int]:
    """Ids of the community's pages in the index."""
    return backend(session).page_ids(session, community_id)
