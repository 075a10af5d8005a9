"""Generating an enterprise's transfer documents (docgen.bundle) in a background thread, with
progress kept in the database so any request can show it. Once its retirees' volumes are published,
the missing 必要材料 their checks found go into the bundle: the 档案移交名册表's 备注 and the
enterprise's 书面说明, per person and per street."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import asdict
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from handover.config import Settings
from handover.policy import load_profile
from handover.registry import find_enterprise, retirees_of
from handover.clock import utcnow

from .tables import BundleRow

log = logging.getLogger(__name__)


def checked_missing(session: Session, cfg: Settings | None, retirees) -> list:
    """The missing 必要材料 (``docgen.records.MissingItem``) that the checks of the published
    volumes of ``retirees`` found, leaving out checks still waiting for 校对 (nothing is settled there)."""
    from archive_store.review_check import stored_check
    from archive_store.storage import open_storage
    from archive_store.tables import PUBLISHED, VolumeRow
    from docgen.records import MissingItem

    names = {r.id_number: r.name for r in retirees}
    rows = session.execute(select(VolumeRow.id, VolumeRow.id_number).where(VolumeRow.status == PUBLISHED)).all()
    ids = [vid for vid, id_number in rows if id_number in names]
    if not ids:
        return []
    storage = open_storage(cfg)
    items = []
    for vol in session.scalars(select(VolumeRow).where(VolumeRow.id.in_(ids)).order_by(VolumeRow.id)):
        report = stored_check(storage, vol)
        if report is None or report.provisional:
            continue
        items += [MissingItem(names[vol.id_number], vol.id_number, m, "") for m in report.missing_materials]
    return items


def run_bundle(make_session: sessionmaker, bundle_id: int, enterprise_name: str, out_dir: Path,
               text_pdf: bool | None, cfg: Settings | None = None) -> None:
    """Generate, recording progress and the manifest on the BundleRow; never raises."""
    from docgen.bundle import generate_bundle

    last = [0.0]

    def update(**values) -> None:
        with make_session() as s:
            row = s.get(BundleRow, bundle_id)
            for k, v in values.items():
                setattr(row, k, v)
            s.commit()

    def progress(done: int, total: int, label: str) -> None:
        if time.monotonic() - last[0] > 0.5 or done == total:
            last[0] = time.monotonic()
            update(done=done, total=total, label=label[:200])

    try:
        with make_session() as s:
            enterprise, region = find_enterprise(s, enterprise_name)
            pairs = retirees_of(s, enterprise_name)
            missing = checked_missing(s, cfg, [r for r, _ in pairs])
        if not pairs:
            raise ValueError("本企业还没有导入任何退休人员，请先上传并导入名册")
        manifest = generate_bundle(enterprise, [r for r, _ in pairs], load_profile(region), out_dir,
                                   assignments=[a for _, a in pairs], progress=progress, text_pdf=text_pdf,
                                   missing=missing)
        documents = [{k: v for k, v in asdict(d).items() if k != "sha256"} | {"sha256": d.sha256}
                     for d in manifest.documents]
        update(status="done", finished_at=utcnow(), persons=len(pairs), label="完成",
               manifest={"documents": documents, "warnings": manifest.warnings, "zip": manifest.zip_path,
                         "transferred": manifest.transferred, "excluded": manifest.excluded,
                         "unassigned": manifest.unassigned})
    except Exception as err:  # noqa: BLE001 - the failure is shown to the user
        log.warning("bundle %s failed: %s", bundle_id, type(err).__name__)
        message = str(err) if isinstance(err, ValueError) else "生成移交文书时出错，请联系管理员"
        update(status="failed", finished_at=utcnow(), error=message[:400])


def start(make_session: sessionmaker, bundle_id: int, enterprise_name: str, out_dir: Path,
          text_pdf: bool | None, cfg: Settings | None = None) -> threading.Thread:
    thread = threading.Thread(target=run_bundle, name=f"bundle-{bundle_id}", daemon=True,
                              args=(make_session, bundle_id, enterprise_name, out_dir, text_pdf, cfg))
    thread.start()
    return thread
