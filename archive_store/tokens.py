"""Chinese text normalisation and the unigram + bigram tokens of the full-text index (pure).

DOMAIN.md §7.3: NFKC (full-width forms), whitespace between two CJK characters removed (OCR
engines read ``张 三``), unigrams so that 1-character queries (surnames) match, bigrams so that
2-character words and long phrases match quickly. The index stores the tokens we produce here —
SQLite's FTS5 (its ``unicode61`` tokenizer only splits them on the spaces we put between them) and
PostgreSQL's tsvector (built from the positioned tokens, no text-search parser involved) — so the
index and the queries share one tokenizer: this module.

SQLite index layout (archive_store.fts_sqlite), one FTS row per page, two columns:
  ``uni``: every CJK character and every non-CJK word (digits, Latin), in text order;
  ``bi``:  every CJK bigram in text order, with a boundary token between CJK runs, so that a
           phrase of bigrams only matches inside one unbroken run of CJK characters.
A query term of one CJK character searches ``uni``; a run of n >= 2 characters searches ``bi``
for the phrase of its n-1 bigrams, which is an exact substring match of the run.

PostgreSQL (archive_store.fts_postgres) gets the same tokens with positions (``positioned_tokens``):
a CJK character and the bigram starting at it share a position, so a run's bigrams sit at
consecutive positions, while the last bigram of a run and the first of the next are two apart
(the run's last character has no bigram): a phrase never matches across runs, without a
boundary token.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

# CJK unified ideographs (BMP, extension A, compatibility, extensions B..) and 〇 (used in dates).
_CJK = "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_CJK_SPACE_CJK = re.compile(rf"(?<=[{_CJK}])\s+(?=[{_CJK}])")
_RUNS = re.compile(rf"(?P<cjk>[{_CJK}]+)|(?P<word>(?:(?![{_CJK}])[^\W_])+)")
# Never produced for a query: bigrams are two CJK characters.
BOUNDARY = "b"


def normalize(text: str) -> str:
    """NFKC, then drop whitespace between two CJK characters. Used for display and indexing."""
    text = unicodedata.normalize("NFKC", text or "")
    return _CJK_SPACE_CJK.sub("", text)


def runs(text: str) -> list[tuple[str, str]]:
    """(kind, run) pairs of normalised text: kind is "cjk" or "word" (lower-cased)."""
    out: list[tuple[str, str]] = []
    for m in _RUNS.finditer(normalize(text)):
        if m.group("cjk"):
            out.append(("cjk", m.group("cjk")))
        else:
            out.append(("word", m.group("word").lower()))
    return out


def bigrams(run: str) -> list[str]:
    return [run[i:i + 2] for i in range(len(run) - 1)]


@dataclass(frozen=True)
class IndexTokens:
    uni: str
    bi: str


def index_tokens(text: str) -> IndexTokens:
    """The two FTS columns of one page of text."""
    uni: list[str] = []
    bi: list[str] = []
    for kind, run in runs(text):
        if kind == "word":
            uni.append(run)
            continue
        uni.extend(run)
        if len(run) > 1:
            if bi:
                bi.append(BOUNDARY)
            bi.extend(bigrams(run))
    return IndexTokens(" ".join(uni), " ".join(bi))


def positioned_tokens(text: str) -> Iterator[tuple[str, int]]:
    """(token, position) of one page of text, positions from 1, in text order (see above)."""
    pos = 1
    for kind, run in runs(text):
        if kind == "word":
            yield run, pos
            pos += 1
            continue
        for k, ch in enumerate(run):
            yield ch, pos + k
        for k in range(len(run) - 1):
            yield run[k:k + 2], pos + k
        pos += len(run)


@dataclass(frozen=True)
class CompiledQuery:
    # ANDed phrases: ("uni", (token,)) or ("bi", (bigram, ...)); empty when nothing is searchable.
    # Rendered as FTS5 MATCH or tsquery by the index backends.
    clauses: tuple[tuple[str, tuple[str, ...]], ...]
    terms: tuple[str, ...]  # normalised literal runs, for highlighting


def compile_query(query: str) -> CompiledQuery:
    """A user query as ANDed phrases on our token columns.

    Whitespace the user typed (any width) separates terms, which are ANDed: unlike OCR text, a
    query's spaces are intentional. Inside a term, CJK runs and words are ANDed too.
    """
    clauses: list[tuple[str, tuple[str, ...]]] = []
    terms: list[str] = []
    pieces = [piece for term in unicodedata.normalize("NFKC", query).split() for piece in runs(term)]
    for kind, run in pieces:
        if kind == "word" or len(run) == 1:
            clauses.append(("uni", (run,)))
        else:
            clauses.append(("bi", tuple(bigrams(run))))
        if run not in terms:
            terms.append(run)
    return CompiledQuery(tuple(clauses), tuple(terms))


def id_query(query: str) -> str | None:
    """The query as a whole or partial ID number (>= 4 digits, optional final X), else None."""
    text = "".join(unicodedata.normalize("NFKC", query).split()).upper()
    if re.fullmatch(r"\d{3,17}[\dX]|\d{4,18}", text) and len(text) <= 18:
        return text
    return None


@dataclass(frozen=True)
class Snippet:
    text: str  # with 【】 around each match
    plain: str
    spans: tuple[tuple[int, int], ...]  # match offsets in ``plain``


def snippet(display: str, terms: tuple[str, ...] | list[str], width: int = 60,
            open_mark: str = "【", close_mark: str = "】") -> Snippet:
    """A window of the normalised page text around the first match, matches marked.

    Highlighting uses the same normalisation as the index, so CJK hits always get a snippet.
    """
    folded = display.lower()
    spans: list[tuple[int, int]] = []
    for term in terms:
        start = folded.find(term)
        while start >= 0 and term:
            spans.append((start, start + len(term)))
            start = folded.find(term, start + len(term))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    first = merged[0][0] if merged else 0
    lo = max(0, first - width // 3)
    hi = min(len(display), lo + width)
    lo = max(0, min(lo, hi - width))
    window = [(max(s, lo) - lo, min(e, hi) - lo) for s, e in merged if e > lo and s < hi]
    plain = display[lo:hi].replace("\n", " ")
    out, pos = [], 0
    for s, e in window:
        out += [plain[pos:s], open_mark, plain[s:e], close_mark]
        pos = e
    out.append(plain[pos:])
    prefix = "…" if lo > 0 else ""
    suffix = "…" if hi < len(display) else ""
    shifted = tuple((s + len(prefix), e + len(prefix)) for s, e in window)
    return Snippet(prefix + "".join(out) + suffix, prefix + plain + suffix, shifted)
