"""Scoring the checker against the sample generator's ground truth (tests and benchmark).

``expected_findings`` turns a dossier's truth (``ocr.sample_scans``) into the findings a perfect
checker reports; ``score`` compares them with a report, per code.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from handover.policy import PolicyProfile

from completeness.checks.text import title_matches
from completeness.findings import Finding, Outcome

# Codes the generator's faults produce; any other finding on a generated dossier is a false alarm.
# Cataloguing notes about what OCR could not read (a date to be written into the 卷内目录 by hand)
# are not defects of the file: counted separately, not scored.
NOT_SCORED = frozenset({"formed_on_missing"})
# A rescan is found either set aside by the pipeline or, numbered by mistake, by the checker.
ALIASES = {"duplicate_page": ("duplicate_page", "duplicate_page_counted")}
FAULT_CODES = ("missing_material", "page_count_mismatch", "duplicate_page", "foreign_form", "unreadable_page")


@dataclass(frozen=True)
class Expected:
    code: str
    page: int | None = None
    material: str | None = None

    def matches(self, f: Finding) -> bool:
        return (f.code in ALIASES.get(self.code, (self.code,)) and (self.page is None or f.page == self.page)
                and (self.material is None or f.material == self.material))


def own_content_pages(truth: dict) -> int:
    return sum(1 for p in truth["pages"] if p["page_no"])


def expected_findings(truth: dict, profile: PolicyProfile, dropped_content_pages: int = 0) -> list[Expected]:
    """What a perfect checker reports on a generated dossier.

    A material whose first page was made unreadable (``first_page_unreadable``) is still in the
    file: it gives ``unreadable_page`` at that page, never ``missing_material``. A form of another
    person — any name, or one a single character off the retiree's — gives ``foreign_form`` at its
    page. Content pages without a pencilled number (``written_page_no`` null) are no defect: the
    archive's numbering is checked against the count, not the pencil marks.
    """
    out: list[Expected] = []
    # Present = in the file as the retiree's own, readable or not (an illegible first page
    # still leaves the material there, so it is not missing).
    present = [m["title"] for m in truth["materials"] if not m.get("foreign")]
    for req in profile.required_for(bool(truth["party_member"])):
        if not any(title_matches(t, a) for t in present for a in req.accepted):
            out.append(Expected("missing_material", material=req.name))
    if dropped_content_pages:
        out.append(Expected("page_count_mismatch"))
    for p in truth["pages"]:
        if p["duplicate_of"]:
            out.append(Expected("duplicate_page", page=p["index"]))
        if p.get("foreign"):
            out.append(Expected("foreign_form", page=p["index"]))
        if p.get("unreadable"):
            out.append(Expected("unreadable_page", page=p["index"]))
    return out


def expected_outcome(expected: Iterable[Expected]) -> Outcome:
    codes = {e.code for e in expected}
    if codes & {"foreign_form", "unreadable_page"}:
        return Outcome.REJECTED
    if codes & {"missing_material", "page_count_mismatch"}:
        return Outcome.INCOMPLETE
    return Outcome.COMPLETE


@dataclass
class Score:
    tp: Counter = field(default_factory=Counter)
    fp: Counter = field(default_factory=Counter)
    fn: Counter = field(default_factory=Counter)
    false_alarms: list[tuple[str, Finding]] = field(default_factory=list)
    misses: list[tuple[str, Expected]] = field(default_factory=list)

    notes: Counter = field(default_factory=Counter)

    def add(self, label: str, expected: list[Expected], found: list[Finding]) -> None:
        self.notes.update(f.code for f in found if f.code in NOT_SCORED)
        left = [f for f in found if f.code not in NOT_SCORED]
        for e in expected:
            hit = next((f for f in left if e.matches(f)), None)
            if hit is None:
                self.fn[e.code] += 1
                self.misses.append((label, e))
            else:
                self.tp[e.code] += 1
                left.remove(hit)
        for f in left:
            self.fp[f.code] += 1
            self.false_alarms.append((label, f))

    def codes(self) -> list[str]:
        return sorted(set(self.tp) | set(self.fp) | set(self.fn))

    @staticmethod
    def _ratio(a: int, b: int) -> float:
        return a / b if b else 1.0

    def precision(self, code: str | None = None) -> float:
        tp = self.tp[code] if code else sum(self.tp.values())
        fp = self.fp[code] if code else sum(self.fp.values())
        return self._ratio(tp, tp + fp)

    def recall(self, code: str | None = None) -> float:
        tp = self.tp[code] if code else sum(self.tp.values())
        fn = self.fn[code] if code else sum(self.fn.values())
        return self._ratio(tp, tp + fn)
