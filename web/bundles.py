"""Generating an enterprise's transfer documents (docgen.bundle) in a background thread, with
progress kept in the database so any request can show it. Once its retirees' volumes are published,
the bundle takes what the archive received (``archive_store.bundle_inputs``): the 档案移交名册表
becomes the receipt, and the missing 必要材料 of settled checks give its 备注 and the enterprise's
书面说明, per person and per street."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import asdict
from pathlib import Path

from sqlalchemy.orm import sessionmaker

from handover.config import Settings
from handover.policy import load_profile
from handover.registry import find_enterprise, retirees_of
from handover.clock import utcnow

from .tables import BundleRow

log = logging.getLogger(__name__)


def run_bundle(make_session: sessionmaker, bundle_id: int, enterprise_name: str, out_dir: Path,
               text_pdf: bool | None, cfg: Settings | None = None) -> None:
    """Generate, recording progress and the manifest on the BundleRow; never raises."""
    from archive_store.bundle_inputs import bundle_inputs
    from archive_store.storage import open_storage
    from docgen.bundle import generate_bundle
    from handover.communities import contacts

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
            received = bundle_inputs(s, open_storage(cfg), enterprise.name)
            published = contacts(s)
        if not pairs:
            raise ValueError("本企业还没有导入任何退休人员，请先上传并导入名册")
        manifest = generate_bundle(enterprise, [r for r, _ in pairs], load_profile(region), out_dir,
                                   assignments=[a for _, a in pairs], progress=progress, text_pdf=text_pdf,
                                   missing=received.missing, receipts=received.receipts, contacts=published)
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
