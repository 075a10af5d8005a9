"""Chinese text normalisation and the unigram + bigram tokens of the full-text index (pure).

DOMAIN.md §7.3: NFKC (full-width forms), whitespace between two CJK characters removed (OCR
engines read ``张 三``), unigrams so that 1-character queries (surnames) match, bigrams so that
2-character words and long phrases match quickly. SQLite's FTS5 stores the tokens we produce here
(its ``unicode61`` tokenizer only splits them on the spaces we put between them), so the index and
the queries share one tokenizer: this module.

Index layout, one FTS row per page, two columns:
  ``uni``: every CJK character and every non-CJK word (digits, Latin), in text order;
  ``bi``:  every CJK bigram in text order, with a boundary token between CJK runs, so that a
           phrase of bigrams only matches inside one unbroken run of CJK characters.
A query term of one CJK character searches ``uni``; a run of n >= 2 characters searches ``bi``
for the phrase of its n-1 bigrams, which is an exact substring match of the run.
"""

from __future__ import annotations

import re
import unicodedata
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


@dataclass(frozen=True)
class CompiledQuery:
    match: str  # FTS5 MATCH expression; "" when the query has no searchable token
    terms: tuple[str, ...]  # normalised literal runs, for highlighting


def _phrase(tokens: list[str]) -> str:
    # Tokens are CJK characters or [^\W_] words: nothing to escape inside double quotes.
    return '"' + " ".join(tokens) + '"'


def compile_query(query: str) -> CompiledQuery:
    """A user query as an FTS5 expression on our columns.

    Whitespace the user typed (any width) separates terms, which are ANDed: unlike OCR text, a
    query's spaces are intentional. Inside a term, CJK runs and words are ANDed too.
    """
    clauses: list[str] = []
    terms: list[str] = []
    pieces = [piece for term in unicodedata.normalize("NFKC", query).split() for piece in runs(term)]
    for kind, run in pieces:
        if kind == "word":
            clauses.append(f"uni:{_phrase([run])}")
        elif len(run) == 1:
            clauses.append(f"uni:{_phrase([run])}")
        else:
            clauses.append(f"bi:{_phrase(bigrams(run))}")
        if run not in terms:
            terms.append(run)
    return CompiledQuery(" AND ".join(clauses), tuple(terms))


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
