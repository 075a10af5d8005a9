"""Reconciliation of the 档案移交名册表 with what the archive received (pure).

The roster declares 卷数/页数 per person; the archive counts the content pages of the published
volumes. The seed (郑州) has the archive department 核对无误后办理接收手续: before the signed
roster becomes the receipt, every difference must be visible. ``reconcile`` puts, per person,
declared beside received with the difference and the outcome, and totals them per street and for
the enterprise. Loading the records from the catalog is ``reconcile_source``'s job.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections import defaultdict
from dataclasses import dataclass, fields
from typing import Iterable, Mapping, Sequence


class Outcome(str, enum.Enum):
    COMPLETE = "complete"
    INCOMPLETE = "incomplete"  # missing 必要材料 (or 退回), no written statement on record
    STATEMENT = "statement"  # incomplete, accepted on the enterprise's signed 书面说明
    UNCHECKED = "unchecked"  # received, but published without a completeness check
    NOT_RECEIVED = "not_received"  # no published volume

    @property
    def label(self) -> str:
        return LABELS[self]


LABELS = {Outcome.COMPLETE: "完整", Outcome.INCOMPLETE: "不完整", Outcome.STATEMENT: "已附书面说明",
          Outcome.UNCHECKED: "未检查", Outcome.NOT_RECEIVED: "未接收"}


@dataclass(frozen=True)
class Declared:
    """One person as the enterprise's roster declares them (the 档案移交名册表 row)."""

    id_number: str
    name: str
    county: str
    street: str
    community: str
    volumes: int  # the roster's 卷数 (1 when left empty, as the 档案移交名册表 prints it)
    pages: int | None  # the roster's 页数; None: left empty


@dataclass(frozen=True)
class Received:
    """One published volume of a person, with its stored completeness check."""

    id_number: str
    ref_no: str
    pages: int  # content pages as counted at publishing (volume_folder.page_counts)
    outcome: str  # the check's outcome: "complete" | "incomplete" | "rejected" | "" (unchecked)
    missing: tuple[str, ...] = ()  # the missing 必要材料 the check names
    provisional: bool = False  # 校对 still open: the outcome may change


@dataclass(frozen=True)
class Statement:
    """The enterprise's 《档案材料缺失情况说明》 an incomplete volume was accepted on."""

    id_number: str
    statement_ref: str
    accepted_by: str
    accepted_at: dt.datetime | None = None


@dataclass(frozen=True)
class Receipt:
    """The signed and sealed 档案移交名册表 of a street, on record (archive_store.receipts)."""

    id: int
    county: str
    street: str
    uploaded_by: str
    uploaded_at: dt.datetime
    sha256: str
    file_name: str


@dataclass(frozen=True)
class PersonLine:
    id_number: str
    name: str
    county: str
    street: str
    community: str
    declared_volumes: int
    declared_pages: int | None
    received_volumes: int
    received_pages: int
    ref_nos: tuple[str, ...]
    outcome: Outcome
    missing: tuple[str, ...] = ()
    statement_ref: str = ""
    provisional: bool = False

    @property
    def received(self) -> bool:
        return self.outcome is not Outcome.NOT_RECEIVED

    @property
    def volume_difference(self) -> int | None:
        """Received minus declared 卷数; None when nothing was received (the outcome says so)."""
        return self.received_volumes - self.declared_volumes if self.received else None

    @property
    def page_difference(self) -> int | None:
        """Received minus declared 页数; None when nothing was received or no 页数 was declared."""
        if not self.received or self.declared_pages is None:
            return None
        return self.received_pages - self.declared_pages

    @property
    def differs(self) -> bool:
        return bool(self.volume_difference) or bool(self.page_difference)

    @property
    def agrees(self) -> bool:
        """Received, counts as declared, and complete or accepted on a written statement."""
        return (not self.differs) and self.outcome in (Outcome.COMPLETE, Outcome.STATEMENT)

    def as_dict(self) -> dict:
        return {"id_number": self.id_number, "name": self.name, "county": self.county, "street": self.street,
                "community": self.community, "declared_volumes": self.declared_volumes,
                "declared_pages": self.declared_pages, "received_volumes": self.received_volumes,
                "received_pages": self.received_pages, "volume_difference": self.volume_difference,
                "page_difference": self.page_difference, "ref_nos": list(self.ref_nos),
                "outcome": self.outcome.value, "outcome_label": self.outcome.label,
                "missing": list(self.missing), "statement_ref": self.statement_ref,
                "provisional": self.provisional, "agrees": self.agrees}


@dataclass
class Totals:
    persons: int = 0
    declared_volumes: int = 0
    declared_pages: int = 0
    received: int = 0  # persons with at least one published volume
    received_volumes: int = 0
    received_pages: int = 0
    complete: int = 0
    incomplete: int = 0
    statement: int = 0
    unchecked: int = 0
    not_received: int = 0
    differences: int = 0  # persons whose received 卷/页 differ from the declared ones
    page_difference: int = 0  # received minus declared pages, over the persons received with 页数 declared

    def add(self, line: PersonLine) -> None:
        self.persons += 1
        self.declared_volumes += line.declared_volumes
        self.declared_pages += line.declared_pages or 0
        self.received += line.received
        self.received_volumes += line.received_volumes
        self.received_pages += line.received_pages
        self.differences += line.differs
        self.page_difference += line.page_difference or 0
        counter = {Outcome.COMPLETE: "complete", Outcome.INCOMPLETE: "incomplete", Outcome.STATEMENT: "statement",
                   Outcome.UNCHECKED: "unchecked", Outcome.NOT_RECEIVED: "not_received"}[line.outcome]
        setattr(self, counter, getattr(self, counter) + 1)

    def as_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _totals(lines: Iterable[PersonLine]) -> Totals:
    t = Totals()
    for line in lines:
        t.add(line)
    return t


@dataclass(frozen=True)
class StreetLine:
    county: str
    street: str
    totals: Totals
    persons: tuple[PersonLine, ...]
    receipt: Receipt | None = None

    @property
    def label(self) -> str:
        return f"{self.county}{self.street}"

    def as_dict(self) -> dict:
        receipt = None
        if self.receipt is not None:
            r = self.receipt
            receipt = {"id": r.id, "uploaded_by": r.uploaded_by, "uploaded_at": r.uploaded_at.isoformat(),
                       "sha256": r.sha256, "file_name": r.file_name}
        return {"county": self.county, "street": self.street, "label": self.label,
                "totals": self.totals.as_dict(), "receipt": receipt,
                "persons": [p.as_dict() for p in self.persons]}


@dataclass(frozen=True)
class Reconciliation:
    enterprise: str
    streets: tuple[StreetLine, ...]
    totals: Totals

    @property
    def persons(self) -> list[PersonLine]:
        return [p for s in self.streets for p in s.persons]

    @property
    def agrees(self) -> bool:
        """Every person received, with the declared counts, complete or on a written statement."""
        return all(p.agrees for p in self.persons)

    def only(self, id_numbers: Iterable[str]) -> Reconciliation:
        """The same reconciliation restricted to these persons (totals recomputed)."""
        keep = set(id_numbers)
        streets = []
        for s in self.streets:
            persons = tuple(p for p in s.persons if p.id_number in keep)
            if persons:
                streets.append(StreetLine(s.county, s.street, _totals(persons), persons, s.receipt))
        return Reconciliation(self.enterprise, tuple(streets), _totals(p for s in streets for p in s.persons))

    def as_dict(self) -> dict:
        return {"enterprise": self.enterprise, "agrees": self.agrees, "totals": self.totals.as_dict(),
                "streets": [s.as_dict() for s in self.streets]}


def person_line(person: Declared, volumes: Sequence[Received], statement: Statement | None) -> PersonLine:
    """Declared beside received for one person; the outcome from the volumes' checks."""
    base = dict(id_number=person.id_number, name=person.name, county=person.county, street=person.street,
                community=person.community, declared_volumes=person.volumes, declared_pages=person.pages)
    if not volumes:
        return PersonLine(**base, received_volumes=0, received_pages=0, ref_nos=(), outcome=Outcome.NOT_RECEIVED)
    outcomes = {v.outcome for v in volumes}
    missing = tuple(dict.fromkeys(m for v in volumes for m in v.missing))
    if outcomes & {"incomplete", "rejected"}:
        outcome = Outcome.STATEMENT if statement is not None else Outcome.INCOMPLETE
    elif "" in outcomes:
        outcome = Outcome.UNCHECKED
    else:
        outcome = Outcome.COMPLETE
    return PersonLine(**base, received_volumes=len(volumes), received_pages=sum(v.pages for v in volumes),
                      ref_nos=tuple(v.ref_no for v in volumes), outcome=outcome, missing=missing,
                      statement_ref=statement.statement_ref if statement and outcome is Outcome.STATEMENT else "",
                      provisional=any(v.provisional for v in volumes))


def reconcile(enterprise: str, declared: Sequence[Declared], received: Sequence[Received],
              statements: Mapping[str, Statement] | None = None,
              receipts: Mapping[tuple[str, str], Receipt] | None = None) -> Reconciliation:
    """Per person, street (in roster order within a street; streets sorted) and enterprise.

    ``statements``: id_number → the written statement on record; ``receipts``: (county, street)
    → the signed roster on record. Volumes of persons not on ``declared`` are not counted.
    """
    statements = statements or {}
    receipts = receipts or {}
    by_person: dict[str, list[Received]] = defaultdict(list)
    for v in received:
        by_person[v.id_number].append(v)
    by_street: dict[tuple[str, str], list[PersonLine]] = defaultdict(list)
    for person in declared:
        line = person_line(person, sorted(by_person.get(person.id_number, ()), key=lambda v: v.ref_no),
                           statements.get(person.id_number))
        by_street[(person.county, person.street)].append(line)
    streets = tuple(StreetLine(county, street, _totals(lines), tuple(lines), receipts.get((county, street)))
                    for (county, street), lines in sorted(by_street.items()))
    return Reconciliation(enterprise, streets, _totals(p for s in streets for p in s.persons))


__all__ = ["Declared", "LABELS", "Outcome", "PersonLine", "Receipt", "Received", "Reconciliation", "Statement",
           "StreetLine", "Totals", "person_line", "reconcile"]
