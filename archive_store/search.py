"""Chinese full-text and field search over published volumes.

The caller's community scope, the status filter and all other filters are part of the SQL
query itself (never applied to results afterwards), so a scoped caller cannot see — or count —
another community's pages.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import asdict, dataclass
from types import ModuleType

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from handover.disclosure import MASKED
from handover.idnumber import mask

from . import audit
from .index import backend, require_fts
from .tables import FTS_TABLE, PUBLISHED
from .tokens import compile_query, id_query, normalize, snippet

CLASS_NUMERALS = "一二三四五六七八九十"


def normalize_class(code: str) -> str:
    """"9" / "九" / "9-2" / "九-2" → canonical "九" / "九-2" (the 2018 class numerals)."""
    code = unicodedata.normalize("NFKC", code).strip().replace("—", "-").replace("－", "-")
    head, _, sub = code.partition("-")
    if head.isdigit() and 1 <= int(head) <= 10:
        head = CLASS_NUMERALS[int(head) - 1]
    return f"{head}-{sub}" if sub else head


@dataclass(frozen=True)
class Hit:
    volume_id: int
    ref_no: str
    name: str
    id_number_masked: str
    community_id: int
    community: str
    page_seq: int | None  # image sequence (图像流水号)
    page_no: int | None  # archival page number (None: blank side / not a page hit)
    class_code: str
    material_title: str
    snippet: str  # matches marked 【】
    matched: str  # "name" | "id_number" | "text"
    score: float

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Filters:
    class_code: str | None = None
    enterprise: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None


_VOLUME_COLUMNS = """
    v.id AS volume_id, v.ref_no, v.name, v.id_number, v.community_id,
    c.county || c.street || c.name AS community"""


def _volume_filters(session: Session, scope: list[int] | None, f: Filters, params: dict,
                    material_alias: str | None) -> list[str]:
    # SQLite "+v.status": never drive the plan by status (nearly every volume is published); the
    # name, ID-suffix and community indexes are selective. PostgreSQL's planner knows that from
    # its statistics, and "+" is no operator there on text (an expression instead, "|| ''", made it
    # guess 0.5 % of volumes published and join every page of them).
    hint = "+" if session.get_bind().dialect.name == "sqlite" else ""
    where = [f"{hint}v.status = '{PUBLISHED}'"]
    if scope is not None:
        where.append("v.community_id IN :scope")
        params["scope"] = list(scope)
    if f.enterprise:
        where.append("v.enterprise_name LIKE :enterprise ESCAPE '\\'")
        literal = normalize(f.enterprise).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        params["enterprise"] = f"%{literal}%"
    mat: list[str] = []
    if f.class_code:
        params["cls"], params["cls_sub"] = normalize_class(f.class_code), normalize_class(f.class_code) + "-%"
        mat.append("(m.class_code = :cls OR m.class_code LIKE :cls_sub)")
    if f.date_from:
        params["date_from"] = f.date_from
        mat.append("m.formed_on >= :date_from")
    if f.date_to:
        params["date_to"] = f.date_to
        mat.append("m.formed_on <= :date_to")
    if mat:
        if material_alias:  # page hits: the page's own material must match
            where.extend(mat)
        else:  # volume hits: some material of the volume must match
            where.append("EXISTS (SELECT 1 FROM materials m WHERE m.volume_id = v.id AND "
                         + " AND ".join(mat) + ")")
    return where


def _first_page(session: Session, volume_id: int) -> tuple[int | None, int | None, str, str]:
    row = session.execute(text(
        "SELECT p.seq, p.page_no, COALESCE(m.class_code, ''), COALESCE(m.title, '') "
        "FROM pages p LEFT JOIN materials m ON m.id = p.material_id "
        "WHERE p.volume_id = :v AND p.page_no IS NOT NULL ORDER BY p.seq LIMIT 1"), {"v": volume_id}).first()
    return tuple(row) if row else (None, None, "", "")  # type: ignore[return-value]


def _field_hits(session: Session, query: str, scope: list[int] | None, f: Filters,
                limit: int) -> list[Hit]:
    hits: list[Hit] = []
    params: dict = {"limit": limit}
    where = _volume_filters(session, scope, f, params, None)
    digits = id_query(query)
    name = "".join(normalize(query).split())
    if digits:
        kind = "id_number"
        params["lo"], params["hi"] = digits[::-1], digits[::-1] + "\x7f"
        where.append("v.id_reversed >= :lo AND v.id_reversed < :hi")
    elif name and 1 < len(name) <= 8 and all("\u3400" <= ch <= "\u9fff" or ch == "·" for ch in name):
        kind = "name"
        params["name"] = name
        where.append("v.name = :name")
    else:
        return hits
    sql = text(f"SELECT {_VOLUME_COLUMNS} FROM volumes v JOIN communities c ON c.id = v.community_id "
               f"WHERE {' AND '.join(where)} ORDER BY v.community_id, v.volume_no LIMIT :limit")
    if "scope" in params:
        sql = sql.bindparams(bindparam("scope", expanding=True))
    for row in session.execute(sql, params).mappings():
        seq, page_no, cls, title = _first_page(session, row["volume_id"])
        if kind == "id_number":
            label = (f"公民身份号码 {mask(row['id_number'])}（全号匹配）" if len(digits) >= 15
                     else f"公民身份号码尾号【{digits}】")
        else:
            label = f"姓名【{row['name']}】"
        hits.append(Hit(row["volume_id"], row["ref_no"], row["name"], mask(row["id_number"]),
                        row["community_id"], row["community"], seq, page_no, cls, title, label, kind, 0.0))
    return hits


# Queries matching more pages than this (in the caller's scope) list the most recently stored
# pages first instead of ranking: ranking must visit every match (and, for phrases, their
# positions), which costs tens of milliseconds at 100,000 pages and says little about words found
# everywhere.
RANK_WINDOW = 2000


def _text_hits(session: Session, query: str, scope: list[int] | None, f: Filters,
               limit: int) -> list[Hit]:
    compiled = compile_query(query)
    if not compiled.clauses:
        return []
    fts = backend(session)
    params = fts.query_params(compiled, scope)
    windows = fts.recent_windows(session, compiled, scope, params, RANK_WINDOW, limit)
    return _ranked(session, fts, params, compiled.terms, scope, f, limit, recent=windows)


def _ranked(session: Session, fts: ModuleType, match: dict, terms: tuple[str, ...], scope: list[int] | None,
            f: Filters, limit: int, recent: tuple[int | None, ...] | None) -> list[Hit]:
    """Best first (bm25 / ts_rank), or newest first when ``recent`` gives the windows of page ids
    to look in (the backend's ``recent_windows``)."""
    params: dict = {**match, "limit": limit}
    outer_where = _volume_filters(session, scope, f, params, "m")
    inner_where = [fts.match(scope)]
    # Lower score is better; newest first = highest page id first.
    score = f"-{fts.PID}" if recent else fts.RANK
    order = f"{fts.PID} DESC" if recent else "score"
    if recent:
        inner_where.append(f"{fts.PID} > :newer_than")
    if f.class_code or f.date_from or f.date_to or f.enterprise:
        # Filters on the page's material or the volume: rank only the rows that pass them.
        inner = (f"SELECT {fts.PID} AS pid, {score} AS score FROM {FTS_TABLE} "
                 f"JOIN pages p ON p.id = {fts.PID} JOIN volumes v ON v.id = p.volume_id "
                 f"JOIN materials m ON m.id = p.material_id "
                 f"WHERE {' AND '.join(inner_where + outer_where)} ORDER BY {order} LIMIT :limit")
    else:
        # The scope is inside the full-text query: rank on the index alone.
        inner = (f"SELECT {fts.PID} AS pid, {score} AS score FROM {FTS_TABLE} "
                 f"WHERE {' AND '.join(inner_where)} ORDER BY {order} LIMIT :limit")
    # Then fetch the few winners, checking status and scope again on the volume rows.
    sql = text(
        f"WITH top AS ({inner}) "
        f"SELECT {_VOLUME_COLUMNS}, p.seq, p.page_no, t.text, "
        f"COALESCE(m.class_code, '') AS class_code, COALESCE(m.title, '') AS title, top.score "
        f"FROM top JOIN pages p ON p.id = top.pid JOIN page_texts t ON t.page_id = p.id "
        f"JOIN volumes v ON v.id = p.volume_id JOIN communities c ON c.id = v.community_id "
        f"LEFT JOIN materials m ON m.id = p.material_id "
        f"WHERE {' AND '.join(outer_where)} ORDER BY top.score")
    if "scope" in params:
        sql = sql.bindparams(bindparam("scope", expanding=True))
    if recent:
        rows = _newest(session, fts, sql, params, limit, recent)
    else:
        rows = session.execute(sql, params).mappings().all()
    hits = []
    for row in rows:
        # Hits show the number masked, for every role: so in snippets ID numbers are masked and
        # the birth date that would complete the volume's number cut to the year (the page itself
        # is available through an approved 查阅 request).
        snip = snippet(MASKED.text(row["text"], [row["id_number"]]), terms)
        hits.append(Hit(row["volume_id"], row["ref_no"], row["name"], mask(row["id_number"]),
                        row["community_id"], row["community"], row["seq"], row["page_no"],
                        row["class_code"], row["title"], snip.text, "text", float(row["score"])))
    return hits


def _newest(session: Session, fts: ModuleType, sql, params: dict, limit: int,
            windows: tuple[int | None, ...]) -> list:
    """Newest first, looking at the newest page ids first: matches among the newest ``windows[0]``
    ids, then ``windows[1]``, ... (None: all)."""
    top = 0
    if windows[0] is not None:
        top = session.execute(text(f"SELECT MAX({fts.PID}) FROM {FTS_TABLE}")).scalar() or 0
    for span in windows:
        params["newer_than"] = -1 if span is None or span >= top else top - span
        rows = session.execute(sql, params).mappings().all()
        if len(rows) >= limit or params["newer_than"] < 0:
            return rows
    return rows


def search(session: Session, query: str, scope_communities: list[int] | None, *,
           class_code: str | None = None, enterprise: str | None = None,
           date_from: dt.date | None = None, date_to: dt.date | None = None, limit: int = 20,
           actor: str = "system", reason: str = "") -> list[Hit]:
    """Search published volumes: exact name / ID number (whole or last digits) first, then
    full text — best first (bm25 on SQLite, ts_rank on PostgreSQL), or newest first for words on
    more than RANK_WINDOW pages.
    ``scope_communities``: ids the caller may see; None = all; [] = nothing.

    Every search is written to the audit log (in the caller's transaction).
    """
    require_fts(session)
    filters = Filters(class_code or None, enterprise or None, date_from, date_to)
    scope = None if scope_communities is None else list(scope_communities)
    hits: list[Hit] = []
    if scope != [] and query.strip():
        hits = _field_hits(session, query, scope, filters, limit)
        seen = {(h.volume_id, h.page_seq) for h in hits}
        for hit in _text_hits(session, query, scope, filters, limit):
            if len(hits) >= limit:
                break
            if (hit.volume_id, hit.page_seq) not in seen:
                hits.append(hit)
    audit.record(session, actor, "search", query, reason, scope=scope,
                 class_code=class_code, enterprise=enterprise,
                 date_from=date_from.isoformat() if date_from else None,
                 date_to=date_to.isoformat() if date_to else None, hits=len(hits))
    return hits[:limit]
