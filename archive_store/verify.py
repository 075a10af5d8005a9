"""Fixity: re-hash every stored object of published volumes and report missing or altered ones;
and the audit log's hash chain (``verify_audit``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from handover.config import Settings, settings
from handover.db import session_scope

from . import audit
from .audit_chain import AuditChainBroken, ChainReport, check_chain
from .communities import resolve
from .storage import ObjectNotFound, Storage, open_storage
from .tables import PENDING, PUBLISHED, WITHDRAWN, StoredObjectRow, VolumeRow

MISSING, ALTERED, UNEXPECTED = "missing", "altered", "unexpected"
KIND_LABELS = {MISSING: "缺失", ALTERED: "被修改", UNEXPECTED: "多余（目录中无记录）"}


@dataclass(frozen=True)
class ObjectProblem:
    ref_no: str
    key: str  # full object key
    kind: str  # missing | altered | unexpected
    expected_sha256: str = ""
    actual_sha256: str = ""

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind]


@dataclass
class VerifyReport:
    volumes: int = 0
    objects: int = 0
    bytes: int = 0
    problems: list[ObjectProblem] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)  # 档号 reserved by publishes not yet finished

    @property
    def ok(self) -> bool:
        return not self.problems

    def of_kind(self, kind: str) -> list[ObjectProblem]:
        return [p for p in self.problems if p.kind == kind]

    @property
    def missing(self) -> list[ObjectProblem]:
        return self.of_kind(MISSING)

    @property
    def altered(self) -> list[ObjectProblem]:
        return self.of_kind(ALTERED)


def verify(cfg: Settings | None = None, community: str | int | None = None, *,
           storage: Storage | None = None, actor: str = "system") -> VerifyReport:
    """Re-hash the objects of every published or withdrawn volume (of one community, if given)."""
    cfg = cfg or settings()
    storage = storage or open_storage(cfg)
    report = VerifyReport()
    with session_scope(cfg) as session:
        # Withdrawn volumes keep their files, so their fixity is checked too.
        query = select(VolumeRow).where(VolumeRow.status.in_((PUBLISHED, WITHDRAWN))).order_by(VolumeRow.id)
        pending = select(VolumeRow.ref_no).where(VolumeRow.status == PENDING).order_by(VolumeRow.id)
        target = "全部社区"
        if community is not None:
            row = resolve(session, community)
            query = query.where(VolumeRow.community_id == row.id)
            pending = pending.where(VolumeRow.community_id == row.id)
            target = row.label
        report.pending = list(session.scalars(pending))
        for vol in session.scalars(query):
            report.volumes += 1
            expected = {o.key: o for o in session.scalars(
                select(StoredObjectRow).where(StoredObjectRow.volume_id == vol.id))}
            for key, obj in sorted(expected.items()):
                full = f"{vol.prefix}/{key}"
                report.objects += 1
                try:
                    digest, size = storage.sha256(full)
                except ObjectNotFound:
                    report.problems.append(ObjectProblem(vol.ref_no, full, MISSING, obj.sha256))
                    continue
                report.bytes += size
                if digest != obj.sha256 or size != obj.size:
                    report.problems.append(ObjectProblem(vol.ref_no, full, ALTERED, obj.sha256, digest))
            for info in storage.list(vol.prefix + "/"):
                if info.key[len(vol.prefix) + 1:] not in expected:
                    report.problems.append(ObjectProblem(vol.ref_no, info.key, UNEXPECTED))
        audit.record(session, actor, "verify", target, "存储完整性校验", volumes=report.volumes,
                     objects=report.objects, missing=len(report.missing),
                     altered=len(report.altered), unexpected=len(report.of_kind(UNEXPECTED)),
                     pending=len(report.pending))
    return report


def verify_audit(cfg: Settings | None = None, *, actor: str = "system") -> ChainReport:
    """Walk the audit log's hash chain (archive_store.audit_chain); the run itself is audited."""
    cfg = cfg or settings()
    with session_scope(cfg) as session:
        report = check_chain(session)
    try:
        with session_scope(cfg) as session:
            audit.record(session, actor, "verify_audit", "audit_log", "审计日志完整性校验", rows=report.rows,
                         last_seq=report.last_seq, findings=len(report.findings))
    except AuditChainBroken:
        pass  # the head is gone: nothing can be appended, and the report already says so
    return report
