"""Digitizing one dossier in three steps that any worker can run (and rerun) by dossier id.

1. ``prepare``   fetch the delivered files, load and validate every page (ocr.loading), store
                 each page's bytes as an object; a refused dossier goes to quarantine.
2. ``ocr_page``  one page: clean + OCR (ocr.page_worker.process_page); its cleaned image and
                 text are stored under the page's content hash, so a rerun finds them done.
3. ``finish``    all pages present → assemble the volume (ocr.pipeline stages), completeness
                 check, publish (archive_store, idempotent by the originals' digest; as 补充材料
                 when the dossier is marked so, ``workers.tables.DossierSupplementRow``).

Celery (workers.tasks) fans step 2 out as a chord; embedded mode (workers.embedded) runs it in
a local process pool. These functions know nothing of either.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import shutil
import tempfile
import time
from functools import lru_cache
from pathlib import Path

from archive_store.storage import ObjectNotFound, Storage, StorageError, StorageUnavailable
from archive_store.storage import open_storage as _open_storage
from handover.config import Settings, settings
from handover.errors import InputRefused
from handover.idnumber import mask
from ocr import loading, page_worker, pipeline, volume_files
from ocr.errors import DossierRejected
from ocr.records import CleanPage, PageText, SourcePage, VolumeResult, Warning_

from . import progress, staging
from .checking import REJECTED, run_check
from .destination import NoDestination, filing_for
from .page_log import page_log
from .tables import (ASSEMBLING, CHECKING, LOADING, PUBLISHED, PUBLISHING, QUARANTINED, TERMINAL,
                     DossierSupplementRow)

log = logging.getLogger(__name__)

TRANSIENT = (StorageUnavailable,)


@lru_cache(maxsize=4)
def open_storage(cfg: Settings) -> Storage:
    """One storage client per process and configuration (an S3 client checks its bucket once)."""
    return _open_storage(cfg)


class PagesPending(RuntimeError):
    """Some pages have no stored result yet (a duplicate delivery completed the chord early)."""

    def __init__(self, missing: list[int]):
        super().__init__(f"pages not finished yet: {missing[:20]}")
        self.missing = missing


def _label(row) -> str:
    return f"#{row.id} {mask(row.id_number) if row.id_number else row.entry[:4] + '…'}"


def _single_file(row) -> bool:
    return Path(row.entry).suffix.lower() in staging.DOSSIER_SUFFIXES


# ---------------------------------------------------------------- 1. prepare

def prepare(dossier_id: int, cfg: Settings | None = None) -> list[dict]:
    """Load and validate the dossier; returns [{"seq", "sha"}] of its pages ([] if held back)."""
    cfg = cfg or settings()
    row = progress.get_dossier(dossier_id, cfg)
    if row.stage in TERMINAL:
        return []
    progress.set_stage(dossier_id, LOADING, cfg)
    try:
        filing_for(row, cfg)  # fail early: no point reading pages that cannot be filed
    except NoDestination as err:
        progress.quarantine(dossier_id, LOADING, str(err), "no_destination", cfg=cfg)
        return []
    storage = open_storage(cfg)
    key = staging.pages_key(row.source_sha256)
    if staging.has_object(storage, key):
        listing = staging.get_json(storage, key)
    else:
        tmp = Path(tempfile.mkdtemp(prefix="handover-load-"))
        try:
            folder = tmp / "d"
            paths = staging.download_originals(storage, row.source_sha256, row.files, folder)
            source = paths[0] if _single_file(row) and len(paths) == 1 else folder
            try:
                loaded = loading.load(source)
            except DossierRejected as err:
                log.info("dossier %s refused at loading (%s)", _label(row), err.code)
                progress.quarantine(dossier_id, LOADING, str(err), err.code, err.page, cfg=cfg)
                return []
            pages = []
            for seq, page in enumerate(loaded.pages, 1):
                sha = hashlib.sha256(page.data).hexdigest()
                skey = staging.src_key(row.source_sha256, seq, sha)
                if not staging.has_object(storage, skey, len(page.data)):
                    storage.put(skey, page.data, sha256=sha)
                pages.append({"seq": seq, "sha": sha, "file": page.file, "page": page.page, "fmt": page.fmt,
                              "dpi": page.dpi, "width": page.width, "height": page.height})
            listing = {"pages": pages, "warnings": [dataclasses.asdict(w) for w in loaded.warnings]}
            staging.put_json(storage, key, listing)  # written last: marks the step done
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    progress.start_pages(dossier_id, [(p["seq"], p["sha"]) for p in listing["pages"]],
                         [w["message"] for w in listing["warnings"]], cfg)
    log.info("dossier %s loaded: %d pages", _label(row), len(listing["pages"]))
    return [{"seq": p["seq"], "sha": p["sha"]} for p in listing["pages"]]


# ---------------------------------------------------------------- 2. one page

def _page_meta(storage, digest: str, seq: int) -> dict:
    listing = staging.get_json(storage, staging.pages_key(digest))
    return next(p for p in listing["pages"] if p["seq"] == seq)


def ocr_page(dossier_id: int, digest: str, seq: int, sha: str, engine: str, worker: str = "",
             cfg: Settings | None = None, time_limit: float | None = None) -> dict:
    """Clean and OCR one page; stores its result. Poison pages are recorded, never raised.

    Needs only the object store and the page log (``workers.page_log``), not the database, so
    page workers can run on machines that only reach Redis and S3.
    """
    cfg = cfg or settings()
    log_ = page_log(cfg)
    storage = open_storage(cfg)
    json_key = staging.result_key(digest, engine, seq, sha, "json")
    if not staging.has_object(storage, staging.pages_key(digest)):
        return {"seq": seq, "ok": True, "skipped": True}  # finished (work objects removed) already
    if staging.has_object(storage, json_key):
        log_.finished(dossier_id, seq)
        return {"seq": seq, "ok": True, "reused": True}
    log_.started(dossier_id, seq, worker)
    started = time.monotonic()
    try:
        meta = _page_meta(storage, digest, seq)
        data = storage.get(staging.src_key(digest, seq, sha))
        if hashlib.sha256(data).hexdigest() != sha:
            raise StorageError(f"第{seq}页的图像对象校验失败（SHA-256不符）")
        source = SourcePage(meta["file"], meta["page"], data, meta["fmt"], meta["dpi"], meta["width"], meta["height"])
        with tempfile.TemporaryDirectory(prefix="handover-page-") as tmp:
            clean, text = page_worker.process_page(page_worker.PageTask(seq, source, engine, Path(tmp)))
            storage.put(staging.result_key(digest, engine, seq, sha, "jpg"), clean.image_path)
        staging.put_json(storage, json_key, {"clean": clean.to_json(), "text": text.to_json()})
    except TRANSIENT:
        raise
    except Exception as err:  # noqa: BLE001 - a poison page must not stop the batch
        if isinstance(err, ObjectNotFound) and not staging.has_object(storage, staging.pages_key(digest)):
            return {"seq": seq, "ok": True, "skipped": True}  # a twin run finished the dossier
        # The time-limit signal may surface as the OCR library's own error (it interrupts native code).
        timed_out = time_limit is not None and time.monotonic() - started >= time_limit
        reason = _page_reason(seq, err, timed_out)
        log.warning("dossier #%s page %d failed: %s", dossier_id, seq, type(err).__name__)
        log_.finished(dossier_id, seq, reason)
        return {"seq": seq, "ok": False, "error": reason}
    log_.finished(dossier_id, seq)
    return {"seq": seq, "ok": True}


def _page_reason(seq: int, err: BaseException, timed_out: bool = False) -> str:
    if timed_out or type(err).__name__ in ("SoftTimeLimitExceeded", "TimeLimitExceeded"):
        return f"第{seq}页处理超过时限，已停止（图像可能异常）"
    if isinstance(err, (DossierRejected, StorageError)):
        return f"第{seq}页：{err}"
    return f"第{seq}页处理失败（{type(err).__name__}），请检查该页扫描件"


def _restore(meta: dict, data: dict, image_path: Path) -> tuple[CleanPage, PageText]:
    src = SourcePage(meta["file"], meta["page"], b"", meta["fmt"], meta["dpi"], meta["width"], meta["height"])
    return CleanPage.from_json(data["clean"], src, image_path), PageText.from_json(data["text"])


# ---------------------------------------------------------------- 3. finish

def finish(dossier_id: int, engine: str, cfg: Settings | None = None, actor: str = "worker") -> dict:
    """Assemble, check and publish once every page is done. Safe to run twice, even at once."""
    cfg = cfg or settings()
    try:
        return _finish(dossier_id, engine, cfg, actor)
    except ObjectNotFound:
        # A twin run published the volume and removed the work objects under our feet.
        row = progress.get_dossier(dossier_id, cfg)
        if row.stage == PUBLISHED:
            return {"dossier": dossier_id, "stage": row.stage, "ref_no": row.ref_no}
        raise


def _finish(dossier_id: int, engine: str, cfg: Settings, actor: str) -> dict:
    row = progress.get_dossier(dossier_id, cfg)
    if row.stage in TERMINAL:
        return {"dossier": dossier_id, "stage": row.stage, "ref_no": row.ref_no}
    states = page_log(cfg).states(dossier_id)
    if states:  # reported by page workers through Redis: now into the database
        progress.absorb_pages(dossier_id, states, cfg)
    failed = {seq: p.error for seq, p in progress.page_states(dossier_id, cfg).items() if p.status == "failed"}
    if failed:
        reason = "档案中有页面无法处理，本卷未发布：\n" + "\n".join(failed[s] for s in sorted(failed))
        progress.quarantine(dossier_id, "ocr", reason, "page_failed", min(failed), cfg=cfg)
        return {"dossier": dossier_id, "stage": QUARANTINED}
    storage = open_storage(cfg)
    digest = row.source_sha256
    listing = staging.get_json(storage, staging.pages_key(digest))
    missing = [p["seq"] for p in listing["pages"]
               if not staging.has_object(storage, staging.result_key(digest, engine, p["seq"], p["sha"], "json"))]
    if missing:
        raise PagesPending(missing)
    try:
        filing = filing_for(row, cfg)
    except NoDestination as err:
        progress.quarantine(dossier_id, ASSEMBLING, str(err), "no_destination", cfg=cfg)
        return {"dossier": dossier_id, "stage": QUARANTINED}
    progress.set_stage(dossier_id, ASSEMBLING, cfg)
    tmp = Path(tempfile.mkdtemp(prefix="handover-volume-"))
    try:
        volume_dir = tmp / "volume"
        result = _assemble(storage, row, listing, engine, filing, tmp, volume_dir, cfg)
        progress.set_stage(dossier_id, CHECKING, cfg)
        try:
            check = run_check(volume_dir, filing.region, row.id_number, cfg)
        except InputRefused as err:  # the volume is unusable (VolumeError), the profile unknown (PolicyError)
            progress.quarantine(dossier_id, CHECKING, f"完整性检查无法进行：{err}", "check_failed", cfg=cfg)
            return {"dossier": dossier_id, "stage": QUARANTINED}
        if check.outcome == REJECTED:
            progress.quarantine(dossier_id, CHECKING, check.reason, "incomplete", cfg=cfg)
            return {"dossier": dossier_id, "stage": QUARANTINED}
        progress.set_stage(dossier_id, PUBLISHING, cfg)
        return _publish(dossier_id, row, volume_dir, filing, result, check, cfg, storage, actor)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _assemble(storage, row, listing: dict, engine: str, filing, tmp: Path, volume_dir: Path, cfg: Settings) -> VolumeResult:
    """The tail of ocr.pipeline.digitize, fed with the stored per-page results."""
    from handover.policy import load_profile

    digest = row.source_sha256
    originals = staging.download_originals(storage, digest, row.files, tmp / "originals")
    with volume_files.staging(volume_dir) as stage:
        pages_dir = stage / "pages"
        pages_dir.mkdir()
        results = []
        for p in listing["pages"]:
            image = pages_dir / f"{p['seq']:04d}.jpg"
            storage.get_to(staging.result_key(digest, engine, p["seq"], p["sha"], "jpg"), image)
            data = staging.get_json(storage, staging.result_key(digest, engine, p["seq"], p["sha"], "json"))
            results.append(_restore(p, data, image))
        loaded_warnings = [Warning_(w["code"], w["page"], w["message"]) for w in listing["warnings"]]
        return pipeline.write_volume(stage, results, volume_dir, row.id_number, engine, originals, loaded_warnings,
                                     load_profile(filing.region).pagination, filing.name or None, pdfa=cfg.pdfa)


def is_supplement(dossier_id: int, cfg: Settings | None = None) -> bool:
    """The dossier was delivered as 补充材料 of a person already filed."""
    with progress.reading(cfg) as s:
        return s.get(DossierSupplementRow, dossier_id) is not None


def _publish(dossier_id, row, volume_dir, filing, result, check, cfg, storage, actor) -> dict:
    from archive_store.publish import PublishError, publish_volume
    from archive_store.supplements import SecondVolumeRefused
    from archive_store.volume_source import VolumeSourceError
    from handover.policy import PolicyError

    try:
        published = publish_volume(cfg, volume_dir, filing.destination, filing.region, actor, storage=storage,
                                   supplement=is_supplement(dossier_id, cfg))
    except TRANSIENT:
        raise
    except SecondVolumeRefused as err:  # the person is filed already: this dossier waits, the batch goes on
        progress.quarantine(dossier_id, PUBLISHING, f"未入库：{err}", "second_volume", cfg=cfg)
        return {"dossier": dossier_id, "stage": QUARANTINED}
    except (PublishError, VolumeSourceError, PolicyError) as err:
        progress.quarantine(dossier_id, PUBLISHING, f"入库失败：{err}", "publish_failed", cfg=cfg)
        return {"dossier": dossier_id, "stage": QUARANTINED}
    warnings = [w.message for w in result.warnings] + list(published.warnings)
    if check.reason:
        warnings.append(check.reason)
    progress.published(dossier_id, published.ref_no, published.volume_id, published.created, warnings, cfg)
    log.info("dossier %s published as %s (created=%s, resumed=%s)", _label(row), published.ref_no,
             published.created, published.resumed)
    try:
        staging.remove_prefix(storage, row.source_sha256)
    except StorageError:  # leftovers are harmless; the next run of the same files reuses them
        log.warning("could not remove work objects of dossier #%s", dossier_id)
    return {"dossier": dossier_id, "stage": PUBLISHED, "ref_no": published.ref_no, "created": published.created}
