"""The full-text index on SQLite: a contentless FTS5 table (DDL in archive_store.tables).

One row per page, rowid = pages.id; columns ``uni`` and ``bi`` hold archive_store.tokens'
index tokens, ``scope`` one token per page, ``c<community id>``, so that the caller's community
scope is part of the MATCH expression. Contentless: removing a row needs its indexed values back,
regenerated from the page text.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from .tables import FTS_TABLE
from .tokens import CompiledQuery, index_tokens

PID = f"{FTS_TABLE}.rowid"
MATCH = f"{FTS_TABLE} MATCH :q"
# bm25 weights: uni 1, bi 1, scope 0. Lower is better.
RANK = f"bm25({FTS_TABLE}, 1.0, 1.0, 0.0)"

# Newest first: FTS5 streams rowids in descending order and stops at LIMIT, so one unbounded pass.
RECENT_SPANS: tuple[int | None, ...] = (None,)

_INSERT = text(f"INSERT INTO {FTS_TABLE}(rowid, uni, bi, scope) VALUES (:id, :uni, :bi, :scope)")
_DELETE = text(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, uni, bi, scope) "
               "VALUES ('delete', :id, :uni, :bi, :scope)")


def match(scope: list[int] | None) -> str:
    """The WHERE condition of a search: the scope is inside the MATCH expression (query_params)."""
    return MATCH


def scope_token(community_id: int) -> str:
    return f"c{int(community_id)}"


def _rows(pages: list[tuple[int, str, int]]) -> list[dict]:
    out = []
    for page_id, page_text, community_id in pages:
        tokens = index_tokens(page_text)
        out.append({"id": page_id, "uni": tokens.uni, "bi": tokens.bi, "scope": scope_token(community_id)})
    return out


def add(session: Session, pages: list[tuple[int, str, int]]) -> None:
    session.execute(_INSERT, _rows(pages))


def remove(session: Session, pages: list[tuple[int, str, int]]) -> None:
    session.execute(_DELETE, _rows(pages))


def clear(session: Session) -> None:
    session.execute(text(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('delete-all')"))


def page_ids(session: Session, community_id: int) -> set[int]:
    return set(session.scalars(text(f"SELECT rowid FROM {FTS_TABLE} WHERE scope MATCH :c"),
                               {"c": scope_token(community_id)}))


def _phrase(tokens: tuple[str, ...]) -> str:
    # Tokens are CJK characters or [^\W_] words: nothing to escape inside double quotes.
    return '"' + " ".join(tokens) + '"'


def match_expression(compiled: CompiledQuery) -> str:
    return " AND ".join(f"{column}:{_phrase(tokens)}" for column, tokens in compiled.clauses)


def query_params(compiled: CompiledQuery, scope: list[int] | None) -> dict:
    """The bind parameters of MATCH and RANK."""
    match = match_expression(compiled)
    if scope is not None:
        tokens = " OR ".join(scope_token(c) for c in sorted(set(scope)))
        match = f"({match}) AND scope:({tokens})"
    return {"q": match}


def recent_windows(session: Session, compiled: CompiledQuery, scope: list[int] | None, params: dict,
                   n: int, limit: int) -> tuple[int | None, ...] | None:
    """None: rank every match (at most ``n``); else newest first (RECENT_SPANS). Whether the query
    matches more than n pages is counted: FTS5 stops after n + 1 rowids, a few milliseconds."""
    many = session.execute(text(f"SELECT 1 FROM {FTS_TABLE} WHERE {MATCH} LIMIT 1 OFFSET :skip"),
                           {**params, "skip": n}).scalar() is not None
    return RECENT_SPANS if many else None
