"""The other long jobs, as plain functions (Celery tasks and embedded mode call the same code).

Arguments and results are small JSON values: object keys, paths, names, counts.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from archive_store.storage import open_storage, sha256_file
from handover.config import Settings, settings
from handover.db import session_scope

FILES_PREFIX = "_workers/files"


def stage_file(path: Path, cfg: Settings | None = None) -> str:
    """Upload a file (a roster …) for a worker elsewhere; the key is its content hash."""
    path = Path(path)
    digest, _ = sha256_file(path)
    key = f"{FILES_PREFIX}/{digest}/{path.name}"
    storage = open_storage(cfg or settings())
    if not storage.exists(key):
        storage.put(key, path, sha256=digest)
    return key


def import_roster(roster_key: str, enterprise: str, valid_only: bool = False,
                  cfg: Settings | None = None) -> dict:
    """``handover.roster.importer.import_roster`` on a staged file; re-importing the same file
    updates the same people (the importer is idempotent per ID number)."""
    from handover.roster.importer import import_roster as run_import

    cfg = cfg or settings()
    storage = open_storage(cfg)
    tmp = Path(tempfile.mkdtemp(prefix="handover-roster-"))
    try:
        local = tmp / Path(roster_key).name
        info = storage.get_to(roster_key, local)
        expected = roster_key.split("/")[-2] if roster_key.startswith(FILES_PREFIX + "/") else None
        if expected and info.sha256 != expected:
            raise OSError("名册文件在存储中已被修改（SHA-256不符）")
        with session_scope(cfg) as session:
            report = run_import(session, local, enterprise, valid_only=valid_only)
        return {"file": report.file_name, "committed": report.committed, "rows_total": report.rows_total,
                "rows_imported": report.rows_imported, "rows_updated": report.rows_updated,
                "errors": len(report.errors), "import_id": report.import_id}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def generate_bundle(enterprise: str, out_dir: str, region: str | None = None, pdf: bool = True,
                    per_person: bool | None = None, cfg: Settings | None = None, *,
                    text_pdf: bool | None = None, progress: Callable[[int, int, str], None] | None = None) -> dict:
    """``docgen.bundle.generate_bundle`` for the imported retirees of ``enterprise``, into ``out_dir``
    (a folder the requester can read: shared disk, or the same machine in embedded mode).
    ``text_pdf``: the text documents' PDFs through LibreOffice (None: when installed; never without
    ``pdf``). ``progress(done, total, label)`` is called as documents are written. The answer holds
    counts only (workers log it): the documents are listed in ``out_dir``/manifest.json."""
    from archive_store.bundle_inputs import bundle_inputs
    from docgen.bundle import generate_bundle as run_bundle
    from handover.communities import contacts
    from handover.policy import load_profile
    from handover.registry import find_enterprise, retirees_of

    cfg = cfg or settings()
    with session_scope(cfg) as session:
        company, registered_region = find_enterprise(session, enterprise)
        people = retirees_of(session, enterprise)
        received = bundle_inputs(session, open_storage(cfg), company.name)
        published = contacts(session)
    if not people:
        raise LookupError(f"企业“{enterprise}”还没有导入退休人员名册")
    manifest = run_bundle(company, [r for r, _ in people], load_profile(region or registered_region),
                          Path(out_dir), assignments=[a for _, a in people], progress=progress, pdf=pdf,
                          per_person=per_person, text_pdf=text_pdf if pdf else False,
                          missing=received.missing, receipts=received.receipts, contacts=published)
    return {"out_dir": str(out_dir), "documents": len(manifest.documents), "persons": len(people),
            "transferred": manifest.transferred, "excluded": manifest.excluded, "unassigned": manifest.unassigned,
            "zip": manifest.zip_path, "warnings": list(manifest.warnings)}


def check_volume(volume_dir: str, region: str) -> dict:
    from .checking import run_check

    outcome = run_check(Path(volume_dir), region)
    return {"outcome": outcome.outcome, "reason": outcome.reason}


def publish_volume(volume_dir: str, destination: dict, region: str, actor: str = "worker",
                   cfg: Settings | None = None, supplement: bool = False) -> dict:
    """``archive_store.publish.publish_volume``: idempotent by the originals' digest; ``supplement``
    files 补充材料 as the person's next volume."""
    from archive_store.publish import publish_volume as run_publish
    from handover.models import Destination

    result = run_publish(cfg or settings(), Path(volume_dir), Destination(**destination), region, actor,
                         supplement=supplement)
    return {"ref_no": result.ref_no, "volume_id": result.volume_id, "created": result.created,
            "resumed": result.resumed, "prefix": result.prefix, "part_no": result.part_no}


def reindex(ref_no: str | None = None, cfg: Settings | None = None) -> dict:
    """Rebuild the full-text index of one published volume (or all) from the stored page text,
    in one write transaction (withdrawn and pending volumes stay out)."""
    import archive_store.index as index

    cfg = cfg or settings()
    from sqlalchemy import select

    from archive_store.tables import PUBLISHED, PageRow, PageTextRow, VolumeRow
    from archive_store.transactions import write_transaction
    from handover.db import init_db

    with write_transaction(init_db(cfg)) as s:
        volumes = select(VolumeRow.id).where(VolumeRow.status == PUBLISHED)
        if ref_no:
            volumes = volumes.where(VolumeRow.ref_no == ref_no)
        ids = list(s.scalars(volumes))
        if ref_no and not ids:
            raise LookupError(f"没有已入库的档号 {ref_no}")
        rows = s.execute(select(PageRow.id, PageTextRow.text, VolumeRow.community_id)
                         .join(PageTextRow, PageTextRow.page_id == PageRow.id)
                         .join(VolumeRow, VolumeRow.id == PageRow.volume_id)
                         .where(PageRow.volume_id.in_(ids), PageRow.duplicate_of.is_(None)))
        pages = [(pid, body, community) for pid, body, community in rows if (body or "").strip()]
        if ref_no:
            index.unindex_pages(s, pages)
        else:
            index.clear_index(s)
        indexed = index.index_pages(s, pages)
    return {"volumes": len(ids), "pages": indexed}


def verify(community: str | None = None, cfg: Settings | None = None) -> dict:
    from archive_store.verify import verify as run_verify

    report = run_verify(cfg or settings(), community, actor="worker")
    return {"volumes": report.volumes, "objects": report.objects, "bytes": report.bytes, "ok": report.ok,
            "problems": [{"ref_no": p.ref_no, "key": p.key, "kind": p.kind} for p in report.problems]}
