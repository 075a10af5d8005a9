"""The re-check of a published volume with its 校对 corrections, and its stored check.json.

``inputs`` reads back the volume's stored ocr.json / contents.json / volume.json and the colour
mode and skew of its page images (measured once per version, then cached); ``recheck`` re-runs
``run_checks`` with this version's answers (``answers``), the 卷内目录 as it stands now, the roster
record and the profile the first check used; ``store_report`` writes the new check.json and the
manifest.json describing it (stored-object hashes rewritten, so ``handover verify`` stays clean)
and sets ``VolumeRow.check_outcome`` and the cached counts; ``restore`` puts the files back when
the transaction does not commit. ``stored_check`` reads the stored report.
"""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from handover import volume_folder

from .contents import catalog_rows
from .review_values import ReviewError
from .storage import ObjectNotFound, Storage, StorageError
from .tables import CommunityRow, PageRow, ReviewAnswerRow, ReviewStateRow, StoredObjectRow, VolumeRow

CHECK = volume_folder.CHECK_JSON
MANIFEST = "manifest.json"


def stored_check(storage: Storage, vol: VolumeRow):
    """The volume's stored completeness report (``CheckReport``), or None (none, or another format)."""
    from completeness.check import CheckReport

    try:
        return CheckReport.of(volume_folder.loads(CHECK, storage.get(f"{vol.prefix}/{CHECK}")))
    except (StorageError, ValueError):  # none, unreadable (VolumeFormatError), or an outcome alone
        return None


def answers(session: Session, vol: VolumeRow) -> list[ReviewAnswerRow]:
    """The answers given for this version of the volume (its originals' digest), by page and key."""
    return list(session.scalars(select(ReviewAnswerRow).where(
        ReviewAnswerRow.volume_id == vol.id, ReviewAnswerRow.originals_sha256 == vol.originals_sha256)
        .order_by(ReviewAnswerRow.page, ReviewAnswerRow.key)))


@dataclass(frozen=True)
class _Inputs:
    ocr: volume_folder.OcrFile
    contents: volume_folder.ContentsFile
    info: volume_folder.VolumeInfo
    report: object  # CheckReport
    probes: dict[int, tuple[str | None, float | None]]
    fresh_probes: bool


def _load(storage: Storage, vol: VolumeRow, name: str):
    try:
        return volume_folder.loads(name, storage.get(f"{vol.prefix}/{name}"))
    except ObjectNotFound:
        raise ReviewError(f"存储中缺少本卷的 {name}，无法重新检查", 409) from None
    except StorageError as err:
        raise ReviewError(f"本卷的 {name} 无法读取（{type(err).__name__}），无法重新检查", 409) from None
    except volume_folder.VolumeFormatError as err:
        raise ReviewError(f"{err}，无法重新检查", 409) from None


def _probes(session: Session, storage: Storage, vol: VolumeRow,
            ocr: volume_folder.OcrFile) -> tuple[dict[int, tuple[str | None, float | None]], bool]:
    """Colour mode and residual skew of each page image, as the first check measured them
    (``completeness.volume.probe_page``): measured once per version of the volume, then cached."""
    state = session.get(ReviewStateRow, vol.id)
    cached = (state.probes or {}) if state is not None else {}
    if cached.get("originals") == vol.originals_sha256:
        return {int(k): (v[0], v[1]) for k, v in cached.get("pages", {}).items()}, False
    from completeness.volume import Page, probe_page

    keys = dict(session.execute(select(PageRow.seq, PageRow.image_key).where(PageRow.volume_id == vol.id)).all())
    out: dict[int, tuple[str | None, float | None]] = {}
    with tempfile.TemporaryDirectory(prefix="handover-review-") as tmp:
        pages_dir = Path(tmp) / volume_folder.PAGES
        pages_dir.mkdir()
        for p in ocr.pages:
            page = Page.of(p)
            key = keys.get(page.index)
            if key:
                try:
                    storage.get_to(f"{vol.prefix}/{key}",
                                   pages_dir / volume_folder.page_image(page.index, Path(key).suffix.lower()))
                except ObjectNotFound:
                    pass
            probed = probe_page(pages_dir, page)
            out[page.index] = (probed.mode, probed.residual_skew)
    return out, True


def inputs(session: Session, storage: Storage, vol: VolumeRow, report) -> _Inputs:
    """What a re-check reads, gathered before the write lock is taken (the first time, the page
    images are measured)."""
    ocr = _load(storage, vol, volume_folder.OCR_JSON)
    contents = _load(storage, vol, volume_folder.CONTENTS_JSON)
    info = _load(storage, vol, volume_folder.VOLUME_JSON)
    probes, fresh = _probes(session, storage, vol, ocr)
    return _Inputs(ocr, contents, info, report, probes, fresh)


def _retiree(session: Session, vol: VolumeRow):
    from handover.db import RetireeRow
    from handover.models import Retiree

    row = session.get(RetireeRow, vol.retiree_id) if vol.retiree_id else None
    row = row or session.scalar(select(RetireeRow).where(RetireeRow.id_number == vol.id_number))
    return Retiree.model_validate(row.data) if row is not None else None


def recheck(session: Session, vol: VolumeRow, inputs: _Inputs, waived: bool):
    """``run_checks`` over the stored volume with all its answers (in the caller's transaction)."""
    from completeness.check import run_checks
    from completeness.volume import volume_of
    from handover.policy import load_profile

    old = inputs.report
    # The 卷内目录 as it stands now (hand corrections, rows split or merged by 校对 answers): the
    # catalog is the record of what people decided, and the check must see it.
    rows = catalog_rows(session, vol)
    contents = volume_folder.ContentsFile(tuple(rows)) if rows else inputs.contents
    volume = volume_of(inputs.ocr, contents, inputs.info)
    volume = replace(volume, pages=tuple(
        replace(p, mode=inputs.probes[p.index][0], residual_skew=inputs.probes[p.index][1])
        if p.index in inputs.probes else p for p in volume.pages))
    corrections = {a.key: a.value for a in answers(session, vol)}
    profile = load_profile(old.region or vol.profile_region)  # type: ignore[attr-defined]
    report = run_checks(volume, _retiree(session, vol), profile, old.declared_pages,  # type: ignore[attr-defined]
                        corrections=corrections, waived=waived)
    report.volume_dir = old.volume_dir  # type: ignore[attr-defined]
    return report


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def store_report(session: Session, storage: Storage, vol: VolumeRow, report, saved: dict) -> None:
    """Write check.json and the manifest describing it; ``saved`` gets the bytes they replace."""
    from .publish import manifest_bytes

    data = volume_folder.dumps(report.to_file())
    for name in (CHECK, MANIFEST):
        try:
            saved[name] = storage.get(f"{vol.prefix}/{name}")
        except ObjectNotFound:
            saved[name] = None
    objects = {o.key: o for o in session.scalars(select(StoredObjectRow).where(StoredObjectRow.volume_id == vol.id))}
    storage.put(f"{vol.prefix}/{CHECK}", data, sha256=_sha(data), content_type="application/json")
    row = objects.get(CHECK) or StoredObjectRow(volume_id=vol.id, key=CHECK, sha256="", size=0)
    row.sha256, row.size = _sha(data), len(data)
    session.add(row)
    objects[CHECK] = row
    community = session.get(CommunityRow, vol.community_id)
    doc = {"county": community.county, "street": community.street, "name": community.name, "code": community.code}
    manifest = manifest_bytes(vol.ref_no, doc, vol.originals_sha256,
                              [(k, o.sha256, o.size) for k, o in objects.items() if k != MANIFEST])
    storage.put(f"{vol.prefix}/{MANIFEST}", manifest, sha256=_sha(manifest), content_type="application/json")
    mrow = objects.get(MANIFEST) or StoredObjectRow(volume_id=vol.id, key=MANIFEST, sha256="", size=0)
    mrow.sha256, mrow.size = _sha(manifest), len(manifest)
    session.add(mrow)
    vol.manifest_sha256 = mrow.sha256
    vol.check_outcome = str(report.outcome)
    state = session.get(ReviewStateRow, vol.id) or ReviewStateRow(volume_id=vol.id, probes={})
    state.check_sha256, state.open_items, state.waived = row.sha256, len(report.review), bool(report.waived)
    session.add(state)


def restore(storage: Storage, vol_prefix: str, saved: dict) -> None:
    """Put back what ``store_report`` replaced when the database transaction did not commit."""
    for name, data in saved.items():
        try:
            if data is None:
                storage.delete(f"{vol_prefix}/{name}")
            else:
                storage.put(f"{vol_prefix}/{name}", data, sha256=_sha(data), content_type="application/json")
        except StorageError:
            pass  # ``handover verify`` reports what could not be put back


def save_probes(session: Session, vol: VolumeRow, inputs: _Inputs) -> None:
    if not inputs.fresh_probes:
        return
    state = session.get(ReviewStateRow, vol.id) or ReviewStateRow(volume_id=vol.id, check_sha256="")
    state.probes = {"originals": vol.originals_sha256,
                    "pages": {str(k): [m, s] for k, (m, s) in inputs.probes.items()}}
    session.add(state)
