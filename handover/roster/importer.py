"""Importing a validated roster into the catalog: all or nothing, unless asked for the valid rows.

Rows stream from the file through validation into the database in batches, inside one
transaction; nothing is committed when any row has an error, unless ``valid_only`` is given.
A row routed to a community the registry does not know is imported but held (a 提示 naming the
row and column; ``handover.communities``); one routed to a community an admin rejected is an error.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from .. import communities
from ..db import EnterpriseRow, ImportRow, RetireeRow
from ..models import Enterprise
from ..policy import PolicyProfile, load_profile
from ..registry import enterprise_row, roster_changed, to_enterprise
from ..routing import SOURCE_LABELS, Assignment, route
from . import problems as P
from .problems import Problem, Severity
from .scan import RosterScan
from .validate import RowResult

BATCH = 2000


@dataclass
class ImportReport:
    file_name: str
    rows_total: int = 0
    rows_valid: int = 0
    rows_imported: int = 0
    rows_updated: int = 0
    committed: bool = False
    import_id: int | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def import_roster(session: Session, path: Path, enterprise_name: str, valid_only: bool = False,
                  dry_run: bool = False, progress: Callable[[int], None] | None = None,
                  today: dt.date | None = None) -> ImportReport:
    """Validate and import in one transaction of ``session`` (committed or rolled back here).

    ``dry_run`` checks against the database without writing.
    """
    path = Path(path)
    ent_row = enterprise_row(session, enterprise_name)
    enterprise = to_enterprise(ent_row)
    profile = load_profile(ent_row.region)
    scan = RosterScan(path, today)
    report = ImportReport(path.name, problems=list(scan.file_problems))
    if not scan.readable:
        return report
    names = {e.id: e.name for e in session.scalars(select(EnterpriseRow))}
    batch_row = ImportRow(enterprise_id=ent_row.id, file_name=path.name, sha256=file_sha256(path),
                          rows_total=0, rows_imported=0, problems=0)
    session.add(batch_row)
    session.flush()
    pending: list[RowResult] = []
    context = _Context(ent_row.id, batch_row.id, names, enterprise, profile,
                       communities.load_registry(session), scan)

    def flush() -> None:
        if pending:
            _store(session, pending, context, report)
            pending.clear()

    for result in scan.rows():
        report.problems.extend(result.problems)
        if result.retiree is not None:
            pending.append(result)
            if len(pending) >= BATCH:
                flush()
        if progress and scan.rows_total % 1000 == 0:
            progress(scan.rows_total)
    flush()
    report.rows_total = scan.rows_total
    report.rows_valid = report.rows_imported + report.rows_updated
    if progress:
        progress(scan.rows_total)
    if dry_run or (report.errors and not valid_only) or report.rows_valid == 0:
        session.rollback()
        report.rows_imported = report.rows_updated = 0
        return report
    batch_row.rows_total = report.rows_total
    batch_row.rows_imported = report.rows_valid
    batch_row.problems = len(report.problems)
    session.commit()
    report.committed = True
    report.import_id = batch_row.id
    return report


@dataclass(frozen=True)
class _Context:
    enterprise_id: int
    import_id: int
    names: dict[int, str]
    enterprise: Enterprise
    profile: PolicyProfile
    registry: communities.Registry
    scan: RosterScan


# The columns a held community came from, by the source that chose it (the first the file has).
_SOURCE_COLUMNS = {"override": ("dest.community",), "residence": ("residence.community", "residence.full"),
                   "hukou": ("hukou.community", "hukou.full"), "enterprise": ()}


def _community_problem(row: int, assignment: Assignment, context: _Context) -> Problem:
    held = assignment.held
    finding = context.registry.finding(held.county, held.street, held.community)
    if assignment.source == "enterprise":
        finding = f"企业所在地社区{finding}"
    elif assignment.source != "override":
        finding = f"按{SOURCE_LABELS[assignment.source]}分配的移交社区{finding}"
    rejected = context.registry.rejection(held.county, held.street, held.community) is not None
    return Problem(row, context.scan.label(*_SOURCE_COLUMNS.get(assignment.source, ())),
                   P.COMMUNITY_REJECTED if rejected else P.COMMUNITY_UNREGISTERED, finding,
                   Severity.ERROR if rejected else Severity.WARNING)


def _store(session, pending, context: _Context, report) -> None:
    enterprise_id, import_id, names = context.enterprise_id, context.import_id, context.names
    ids = [r.retiree.id_number for r in pending]
    existing = {n: (rid, eid) for n, rid, eid in session.execute(
        select(RetireeRow.id_number, RetireeRow.id, RetireeRow.enterprise_id).where(RetireeRow.id_number.in_(ids)))}
    new_rows, updates = [], []
    held: dict[str, tuple[Assignment, str]] = {}
    for result in pending:
        retiree = result.retiree
        assignment = route(retiree, context.enterprise, context.profile, context.registry)
        if assignment.held is not None:
            problem = _community_problem(result.row, assignment, context)
            report.problems.append(problem)
            if problem.is_error:
                continue
            held[retiree.id_number] = (assignment, problem.column)
        dest = assignment.destination
        values = dict(enterprise_id=enterprise_id, import_id=import_id, source_row=result.row,
                      id_number=retiree.id_number, name=retiree.name, sex=retiree.sex.value,
                      birth_date=retiree.birth_date, retired_on=retiree.retired_on,
                      party_member=retiree.party_member, data=retiree.model_dump(mode="json"),
                      dest_county=dest.county if dest else None, dest_street=dest.street if dest else None,
                      dest_community=dest.community if dest else None, dest_code=dest.code if dest else None,
                      route_rule=assignment.excluded or assignment.rule)
        if retiree.id_number in existing:
            row_id, other = existing[retiree.id_number]
            if other != enterprise_id:
                report.problems.append(Problem(
                    result.row, "社会保障号码(身份证号)", P.DUPLICATE_OTHER_ENTERPRISE,
                    f"该人员已由“{names.get(other, '其他企业')}”导入，存在重复领取风险，请核实后再移交"))
                held.pop(retiree.id_number, None)
                continue
            report.problems.append(Problem(result.row, "社会保障号码(身份证号)", P.ALREADY_IMPORTED,
                                           "该人员已在本企业导入过，将以本次数据更新", Severity.WARNING))
            updates.append({"id": row_id, **values})
        else:
            new_rows.append(values)
    if new_rows:
        # Core executemany: the ORM bulk path costs ~2x here for nothing we use.
        session.connection().execute(insert(RetireeRow.__table__), new_rows)
        report.rows_imported += len(new_rows)
    if updates:
        session.execute(update(RetireeRow), updates)
        report.rows_updated += len(updates)
        communities.release(session, (u["id"] for u in updates))
    if new_rows or updates:
        roster_changed(session, [enterprise_id])
    if held:
        ids_of = dict(session.execute(select(RetireeRow.id_number, RetireeRow.id)
                                      .where(RetireeRow.id_number.in_(list(held)))).all())
        communities.hold(session, [(ids_of[number], a.held, column, a.rule)
                                   for number, (a, column) in held.items() if number in ids_of])
