"""Writing pages into the full-text index (the single place that touches page_fts rows)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import text
from sqlalchemy.orm import Session

from handover.errors import Unavailable

from .tables import FTS_TABLE
from .tokens import index_tokens

_INSERT = text(f"INSERT INTO {FTS_TABLE}(rowid, uni, bi, scope) VALUES (:id, :uni, :bi, :scope)")
_DELETE = text(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, uni, bi, scope) "
               "VALUES ('delete', :id, :uni, :bi, :scope)")


class IndexUnsupported(Unavailable):
    pass


def require_fts(session: Session) -> None:
    """The index is an SQLite FTS5 table: say so plainly rather than fail with a SQL error."""
    if session.get_bind().dialect.name != "sqlite":
        raise IndexUnsupported("全文索引与检索目前只支持 SQLite 数据库（HANDOVER_DATABASE_URL 留空时的默认设置）")


def scope_token(community_id: int) -> str:
    return f"c{int(community_id)}"


def _params(pages: Iterable[tuple[int, str, int]]) -> list[dict]:
    out = []
    for page_id, page_text, community_id in pages:
        tokens = index_tokens(page_text)
        out.append({"id": page_id, "uni": tokens.uni, "bi": tokens.bi,
                    "scope": scope_token(community_id)})
    return out


def index_pages(session: Session, pages: Iterable[tuple[int, str, int]]) -> int:
    """Index (page id, text, community id) in the caller's transaction; returns the count."""
    params = _params(pages)
    if params:
        require_fts(session)
        session.execute(_INSERT, params)
    return len(params)


def unindex_pages(session: Session, pages: Iterable[tuple[int, str, int]]) -> None:
    """Remove pages (contentless FTS5 needs the indexed values back: regenerated from the text)."""
    params = _params(pages)
    if params:
        require_fts(session)
        session.execute(_DELETE, params)
