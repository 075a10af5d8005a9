"""The full-text index on PostgreSQL: a tsvector per page over our own tokens, in a GIN index
(DDL in archive_store.tables).

Chosen by measurement (benchmarks/bench_search.py; ARCHITECTURE.md "Full-text search on two
databases"): the same unigram + bigram tokens as SQLite (archive_store.tokens), positioned so
that a run of n >= 2 characters is the tsquery phrase of its n-1 bigrams (``<->``). The tsvector and tsquery are written as literals
and cast — no text-search parser or configuration takes part, so the database's locale cannot
change what is indexed. The table is partitioned by community (HASH, revision 0008): a scoped
search names its communities (``match``), so only their partitions' GIN indexes are scanned. Within
a partition shared by several communities, the scope is one more lexeme per page, ``_c<id>``, ANDed
into the tsquery, so GIN intersects it with the words (``_`` never occurs in a text token).

Core PostgreSQL only (tsvector, tsquery with ``<->`` since 9.6, GIN, ts_rank, declarative HASH
partitioning since 11). Limits of tsvector
that FTS5 does not have: positions stop at 16,383 (a phrase beyond that point of one page does not
match), 256 positions per lexeme (ranking counts at most 256 occurrences), lexemes up to 2,046
bytes (longer Latin/digit words are not indexed).
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import text
from sqlalchemy.orm import Session

from .tables import FTS_TABLE
from .tokens import CompiledQuery, positioned_tokens

PID = f"{FTS_TABLE}.page_id"
MATCH = f"{FTS_TABLE}.doc @@ CAST(:q AS tsquery)"
# ts_rank on the text terms only, negated so that lower is better as with bm25. Normalisation 1
# (rank / (1 + log(page length))) orders the search tests' queries closest to FTS5's bm25: 99 % of
# pairs of hits in the same order, 7 of 10 queries identical (0: 81 %, 2: 93 %). ts_rank has no
# idf: in a query of several words, a rare word weighs no more than a common one.
RANK = f"-ts_rank({FTS_TABLE}.doc, CAST(:r AS tsquery), 1)"

# Newest first: GIN gives matches in no order, so ORDER BY page_id DESC would visit every match (of
# a word on most pages: all of them). Instead look at the newest page ids first — matches within
# the last 2,000 ids, then 20,000, ... — and widen only while fewer than LIMIT are found: the
# newest LIMIT matches of a window holding LIMIT matches are the newest overall. Words take this
# path when they are on more than RANK_WINDOW pages; ``recent_windows`` widens these spans from the
# planner's estimate, so the first window usually holds enough.
RECENT_SPANS: tuple[int | None, ...] = (2_000, 20_000, 200_000, None)

_MAX_POS = 16383
_MAX_POSITIONS = 256
_MAX_LEXEME = 2046

_INSERT = text(f"INSERT INTO {FTS_TABLE}(page_id, community_id, doc) VALUES (:id, :c, CAST(:doc AS tsvector))")


def match(scope: list[int] | None) -> str:
    """The WHERE condition of a search: the tsquery (params ``q``), and the scope's communities
    written out as integers, so that the planner keeps only their partitions whatever the plan."""
    if scope is None:
        return MATCH
    return f"{MATCH} AND {FTS_TABLE}.community_id IN ({', '.join(str(int(c)) for c in sorted(set(scope))) or 'NULL'})"


def scope_token(community_id: int) -> str:
    return f"_c{int(community_id)}"


def _quote(token: str) -> str:
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"


def tsvector_literal(page_text: str, community_id: int) -> str:
    positions: defaultdict[str, list[int]] = defaultdict(list)
    for token, pos in positioned_tokens(page_text):
        positions[token].append(pos)
    parts = [_quote(scope_token(community_id))]
    for token, found in positions.items():
        if len(token) * 4 > _MAX_LEXEME and len(token.encode()) > _MAX_LEXEME:
            continue
        if found[-1] > _MAX_POS:  # PostgreSQL would clamp them all onto the last position
            found = [p for p in found if p <= _MAX_POS] or [_MAX_POS]
        parts.append(f"{_quote(token)}:{','.join(map(str, found[:_MAX_POSITIONS]))}")
    return " ".join(parts)


def add(session: Session, pages: list[tuple[int, str, int]]) -> None:
    session.execute(_INSERT, [{"id": page_id, "c": community_id, "doc": tsvector_literal(page_text, community_id)}
                              for page_id, page_text, community_id in pages])


def remove(session: Session, pages: list[tuple[int, str, int]]) -> None:
    session.execute(text(f"DELETE FROM {FTS_TABLE} WHERE page_id = ANY(:ids) AND community_id = ANY(:cs)"),
                    {"ids": [page_id for page_id, _, _ in pages], "cs": sorted({c for _, _, c in pages})})


def clear(session: Session) -> None:
    session.execute(text(f"DELETE FROM {FTS_TABLE}"))


def page_ids(session: Session, community_id: int) -> set[int]:
    return set(session.scalars(text(f"SELECT page_id FROM {FTS_TABLE} WHERE community_id = :c"),
                               {"c": community_id}))


def tsquery(compiled: CompiledQuery) -> str:
    return " & ".join("(" + " <-> ".join(map(_quote, tokens)) + ")" for _, tokens in compiled.clauses)


def _scoped(words: str, scope: list[int] | None) -> str:
    if scope is None:
        return words
    return f"{words} & (" + " | ".join(_quote(scope_token(c)) for c in sorted(set(scope))) + ")"


def query_params(compiled: CompiledQuery, scope: list[int] | None) -> dict:
    """The bind parameters of MATCH (text and scope) and RANK (text only)."""
    words = tsquery(compiled)
    return {"q": _scoped(words, scope), "r": words}


def estimated_pages(session: Session) -> float:
    """The pages in the index, as ANALYZE last counted them in its partitions (-1: never analysed)."""
    return float(session.execute(text(
        "SELECT COALESCE(SUM(GREATEST(c.reltuples, 0)), 0) FROM pg_inherits i "
        f"JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = '{FTS_TABLE}'::regclass")).scalar())


# ``recent_windows`` trusts the planner's estimates outside this band around n and counts inside it.
SURE_FEWER, SURE_MORE = 0.5, 2.0


def estimated_matches(session: Session, compiled: CompiledQuery, scope: list[int] | None) -> float:
    """The planner's estimate of the pages the query matches in ``scope``, from the statistics
    ANALYZE keeps of page_fts.doc (its most common lexemes and their frequencies): the least of
    its tokens' estimates. A phrase's own estimate multiplies its bigrams' frequencies as if they
    were independent and undercounts many times (退休审批 in one community: 16 estimated, 562
    found); its rarest token bounds it. With a scope the estimate assumes words spread evenly over
    communities, so a word concentrated in one is undercounted there; without, it is a bound."""
    least = float("inf")
    for token in sorted({token for _, clause in compiled.clauses for token in clause}):
        plan = session.execute(text(f"EXPLAIN (FORMAT JSON) SELECT 1 FROM {FTS_TABLE} WHERE {match(scope)}"),
                               {"q": _scoped(_quote(token), scope)}).scalar()
        least = min(least, float(plan[0]["Plan"]["Plan Rows"]))
    return least


def recent_windows(session: Session, compiled: CompiledQuery, scope: list[int] | None, params: dict,
                   n: int, limit: int) -> tuple[int | None, ...] | None:
    """None: rank every match (at most ``n``); else newest first, in these windows of page ids.

    Whether the query matches more than n pages: counting reads a heap row per match — GIN cannot
    count on its own — which cost 11–20 ms at 150,000 pages and 124 ms on average at 1.2 million
    on a busy machine, more than the search it decides. So the planner decides when it is sure:
    fewer than n/2 even archive-wide (rank), or more than 2n in the scope (newest first); only in
    between are the first n + 1 matches read. An estimate wrong beyond those margins costs time,
    never a wrong answer: ranking visits every match, newest first finds the same pages.

    The windows are RECENT_SPANS widened so that the first is expected to hold twice ``limit``
    matches: each window repeats the GIN scan, and a word on one page in 300 needs ~12,000 ids."""
    everywhere = estimated_matches(session, compiled, None)
    if everywhere < n * SURE_FEWER:
        return None
    in_scope = everywhere if scope is None else estimated_matches(session, compiled, scope)
    if in_scope <= n * SURE_MORE and session.execute(
            text(f"SELECT 1 FROM {FTS_TABLE} WHERE {match(scope)} LIMIT 1 OFFSET :skip"),
            {"q": params["q"], "skip": n}).scalar() is None:
        return None
    pages = estimated_pages(session)
    first = 2 * limit * pages / max(in_scope, 1.0)
    scale = max(1.0, first / RECENT_SPANS[0]) if RECENT_SPANS[0] else 1.0
    return tuple(None if span is None else int(span * scale) for span in RECENT_SPANS)
