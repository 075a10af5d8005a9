"""The orchestrator: read a volume directory, run every check, decide the outcome, write check.json.

``run_checks`` is pure (records in, report out); ``check_volume`` adds the file I/O.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from handover import idnumber, volume_folder
from handover.models import Retiree
from handover.policy import PolicyProfile

from .checks import alterations, catalog, identity, identity_read, legibility, materials, pages, text
from .findings import CODES, OUTCOME_LABELS, Finding, Outcome, Severity, decide
from .review import Corrections, ReviewItem, open_items
from .volume import Volume, read_volume

log = logging.getLogger(__name__)


@dataclass
class CheckReport:
    outcome: Outcome
    findings: list[Finding]
    missing: list[str]  # what the volume lacks: material names, then page shortfalls
    id_number: str
    name: str
    ref_no: str | None
    region: str
    party_member: bool
    declared_pages: int | None
    content_pages: int
    blank_pages: int
    duplicate_pages: int
    images: int
    materials: list[dict] = field(default_factory=list)  # the 卷内目录 rows as checked
    checked_at: str = ""
    volume_dir: str = ""
    review: list[ReviewItem] = field(default_factory=list)  # the 校对 queue still open
    waived: bool = False  # archive staff declared the open queue settled as it stands

    @property
    def provisional(self) -> bool:
        """The outcome rests on values nobody has confirmed yet."""
        return bool(self.review) and not self.waived

    @property
    def outcome_label(self) -> str:
        return OUTCOME_LABELS[self.outcome]

    @property
    def missing_materials(self) -> list[str]:
        return [f.material for f in self.findings if f.code == "missing_material" and f.material]

    @property
    def needs_review(self) -> bool:
        return any(f.severity == Severity.WARNING for f in self.findings)

    def codes(self) -> set[str]:
        return {f.code for f in self.findings}

    def by_severity(self, severity: Severity) -> list[Finding]:
        return [f for f in self.findings if f.severity == severity]

    def to_file(self) -> volume_folder.CheckFile:
        """The report as check.json records it."""
        return volume_folder.CheckFile(
            format=volume_folder.CHECK_FORMAT, outcome=str(self.outcome), outcome_label=self.outcome_label,
            missing=tuple(self.missing), missing_materials=tuple(self.missing_materials),
            needs_review=self.needs_review, id_number=self.id_number, name=self.name, ref_no=self.ref_no,
            region=self.region, party_member=self.party_member, declared_pages=self.declared_pages,
            content_pages=self.content_pages, blank_pages=self.blank_pages, duplicate_pages=self.duplicate_pages,
            images=self.images, materials=tuple(volume_folder.ContentsRow.from_json(m) for m in self.materials),
            checked_at=self.checked_at, volume_dir=self.volume_dir,
            counts={str(s): len(self.by_severity(s)) for s in Severity},
            findings=tuple(volume_folder.CheckFinding(f.code, str(f.severity), f.page, f.material, f.message_zh,
                                                      CODES[f.code].label if f.code in CODES else f.code)
                           for f in self.findings),
            review=tuple(volume_folder.CheckReviewItem(i.key, i.field, i.label, i.page, i.value, i.reason_zh, i.box,
                                                       i.material) for i in self.review),
            waived=self.waived, provisional=self.provisional)

    def to_json(self) -> dict:
        return self.to_file().to_json()

    @classmethod
    def of(cls, check: volume_folder.CheckFile) -> "CheckReport":
        """The report of a check.json; ``ValueError`` when the file holds an outcome without a report."""
        if not check.is_report:
            raise ValueError("check.json 只有检查结论，没有完整性检查报告")
        return cls(outcome=Outcome(check.outcome),
                   findings=[Finding(f.code, Severity(f.severity), f.page, f.material, f.message_zh)
                             for f in check.findings],
                   missing=list(check.missing), id_number=check.id_number, name=check.name, ref_no=check.ref_no,
                   region=check.region, party_member=check.party_member, declared_pages=check.declared_pages,
                   content_pages=check.content_pages, blank_pages=check.blank_pages,
                   duplicate_pages=check.duplicate_pages, images=check.images,
                   materials=[r.to_json() for r in check.materials], checked_at=check.checked_at,
                   volume_dir=check.volume_dir,
                   review=[ReviewItem(i.field, i.page, i.value, i.reason_zh, i.box, i.material) for i in check.review],
                   waived=check.waived)

    @classmethod
    def from_json(cls, data: dict) -> "CheckReport":
        return cls.of(volume_folder.CheckFile.from_json(volume_folder.migrate(volume_folder.CHECK_JSON, data)))


def person_of(volume: Volume, retiree: Retiree | None) -> identity.Person:
    if retiree is not None:
        return identity.Person(retiree.name, idnumber.normalize(retiree.id_number), retiree.sex.value)
    return identity.Person(volume.name or "", idnumber.normalize(volume.id_number))


def missing_items(findings: list[Finding], declared: int | None, found: int) -> list[str]:
    """What the volume lacks, for the report and the 备考表: material names, then page shortfalls."""
    out = [f.material for f in findings if f.code == "missing_material" and f.material]
    if declared is not None and declared > found and any(f.code == "page_count_mismatch" for f in findings):
        out.append(f"缺{declared - found}页（申报{declared}页，实有{found}页）")
    for f in findings:
        if f.code == "page_number_gap" and (m := re.search(r"缺第[^。]+页", f.message_zh)):
            out.append(f"原件{m[0][1:]}")
    return out


def run_checks(volume: Volume, retiree: Retiree | None, profile: PolicyProfile,
               declared_pages: int | None = None, now: dt.datetime | None = None,
               corrections: Corrections | None = None, waived: bool = False) -> CheckReport:
    """Every check over one volume's records (pure: no files, no clock unless ``now`` is None).

    ``corrections`` are archive staff's answers to the 校对 queue (``completeness.review``): they
    take the place of what the machine read; ``waived`` settles the items still open.
    """
    per_material = profile.pagination.scope == "per_material"
    person = person_of(volume, retiree)
    owner = catalog.page_rows(volume.pages, volume.rows, per_material)
    formed = text.corrected_formed_on(catalog.formed_on_by_page(owner), owner, corrections)
    material_of = {i: r.title for i, r in owner.items()}
    idents = [identity_read.page_identity(p, corrections) for p in volume.pages if not p.blank and p.duplicate_of is None]
    try:
        birth = idnumber.parse(person.id_number).birth_date
    except idnumber.IdNumberError:
        birth = None
    foreign = identity.foreign_pages(idents, person, birth)
    id_findings = identity.check_id_numbers(idents, person)
    alien = set(foreign) | {f.page for f in id_findings if f.page}
    own = [i for i in idents if i.page not in alien]
    party = retiree.party_member if retiree is not None else identity_read.party_member_in_file(own)
    if declared_pages is None and retiree is not None:
        declared_pages = retiree.archive_pages
    # Rows made only of another person's pages, or of unreadable pages, satisfy no requirement.
    unreadable = {f.page for f in legibility.check_unreadable(volume.pages) if f.code == "unreadable_page"}
    bad = alien | unreadable
    rows_pages: dict[str, list[int]] = {}
    for i, r in owner.items():
        if any(p.index == i and p.counted for p in volume.pages):
            rows_pages.setdefault(r.seq, []).append(i)
    excluded = [seq for seq, idx in rows_pages.items() if idx and all(i in bad for i in idx)]

    review: list[ReviewItem] = []
    findings: list[Finding] = []
    findings += identity.check_roster_id(person, volume.id_number)
    findings += materials.check_required_materials(volume.rows, profile.required_for(party), excluded, volume.pages,
                                                   owner, unreadable, corrections, review)
    findings += pages.check_has_content(volume.pages)
    findings += pages.check_page_count(volume.pages, declared_pages)
    starts = frozenset(min(idx) for idx in rows_pages.values() if idx)
    findings += pages.check_written_numbers(volume.pages, per_material, starts, corrections, review)
    findings += pages.check_duplicates(volume.pages)
    findings += pages.check_blank_counted(volume.pages, profile.pagination.count_blank_pages)
    findings += legibility.check_unreadable(volume.pages)
    findings += legibility.check_resolution(volume.pages)
    findings += legibility.check_colour_modes(volume.pages)
    findings += legibility.check_residual_skew(volume.pages)
    findings += identity.check_foreign(idents, person, birth, material_of)
    findings += identity.check_identity_review(idents, person, birth, material_of, review)
    findings += id_findings
    findings += identity.check_name_present(own, volume.pages, person)
    findings += identity.check_birth_dates(own, person, formed)
    findings += identity.check_sex(own, person, review)
    review += text.formed_on_review(volume.pages, owner)
    review += alterations.alteration_review(volume.pages)
    review = [replace(i, material=i.material or material_of.get(i.page or 0)) for i in review]
    findings += catalog.check_catalog(volume.pages, volume.rows, per_material)
    findings += catalog.check_rows_identified(volume.rows, excluded)
    findings = [_with_material(f, material_of) for f in findings]
    order = list(CODES)
    findings.sort(key=lambda f: (_SEVERITY_ORDER[f.severity], f.page or 0,
                                 order.index(f.code) if f.code in order else 99))
    now = now or dt.datetime.now(dt.timezone.utc)
    found = volume.content_pages - len(pages.suspected_rescans(volume.pages))
    return CheckReport(
        outcome=decide(findings), findings=findings, missing=missing_items(findings, declared_pages, found),
        id_number=person.id_number, name=person.name, ref_no=volume.ref_no, region=profile.region,
        party_member=party, declared_pages=declared_pages, content_pages=volume.content_pages,
        blank_pages=volume.blank_pages, duplicate_pages=volume.duplicate_pages, images=len(volume.pages),
        materials=[{"seq": r.seq, "class_code": r.class_code, "title": r.title, "formed_on": r.formed_on,
                    "pages": r.pages, "start_page": r.start_page, "end_page": r.end_page, "remarks": r.remarks}
                   for r in volume.rows],
        checked_at=now.isoformat(timespec="seconds"), review=open_items(review, corrections), waived=waived)


_SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


def _with_material(f: Finding, material_of: dict[int, str]) -> Finding:
    if f.material is None and f.page is not None and f.page in material_of:
        return Finding(f.code, f.severity, f.page, material_of[f.page], f.message_zh)
    return f


def check_volume(volume_dir: Path, retiree: Retiree | None, profile: PolicyProfile,
                 declared_pages: int | None = None, probe_images: bool = True) -> CheckReport:
    """Check the volume in ``volume_dir`` and write ``check.json`` there.

    Raises ``completeness.volume.VolumeError`` (Chinese message) when the directory is not a
    digitized volume.
    """
    volume_dir = Path(volume_dir)
    volume = read_volume(volume_dir, probe=probe_images)
    report = run_checks(volume, retiree, profile, declared_pages)
    report.volume_dir = str(volume_dir.resolve())
    write_report(volume_dir, report)
    log.info("checked volume %s: %s (%d findings)", idnumber.mask(report.id_number) if report.id_number else "?",
             report.outcome, len(report.findings))
    return report


def write_report(volume_dir: Path, report: CheckReport) -> Path:
    return volume_folder.write(volume_dir, report.to_file())


def read_report(volume_dir: Path) -> CheckReport:
    """The report in ``volume_dir`` (``volume_folder.VolumeFormatError`` or ``ValueError`` otherwise)."""
    return CheckReport.of(volume_folder.read_check(volume_dir))
