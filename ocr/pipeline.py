"""Digitize one retiree's scanned personnel file into a volume directory.

The stages, each a small function (OCRmyPDF's pipeline is the model):

1. ``loading.load``          load and validate every page (dpi, corrupt, encrypted, bombs)
2. ``cleaning.clean``        orientation, deskew, border crop, blank sides   ┐ per page, in a
3. ``engines.get().recognize`` OCR lines with boxes and confidences          ┘ process pool
4. ``duplicates.find_duplicates``  pages scanned twice
5. ``numbering.page_numbers``  page numbers per the policy profile
6. ``materials.split``       materials, classes, 材料形成时间, 卷内目录 rows
7. ``pdf_volume.write_pdf`` + ``volume_files``  the volume, published atomically
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path

from . import corners, duplicates, engines, loading, materials, numbering, page_worker, pdf_volume, volume_files
from .errors import where
from .records import CleanPage, PageRecord, PageText, VolumeResult, Warning_

UNREADABLE_CHARS = 5
UNREADABLE_CONFIDENCE = 0.6

Progress = Callable[[int, int], None]


def default_jobs() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def digitize(source: Path, id_number: str, out_dir: Path, engine: str = "rapidocr", jobs: int | None = None,
             pagination=None, progress: Progress | None = None, name: str | None = None,
             ref_no: str | None = None, stamp_page_numbers: bool = False, pdfa: bool = True) -> VolumeResult:
    """Digitize ``source`` (folder of page images, a scanned PDF or a multi-page TIFF) into ``out_dir``.

    ``pagination`` is a ``handover.policy.Pagination`` (defaults: per volume, blank sides not
    counted). Raises ``DossierRejected`` before writing anything if any page is unacceptable.
    """
    engines.get(engine)  # unknown engine: fail before any work
    loaded = loading.load(Path(source))
    with volume_files.staging(Path(out_dir)) as tmp:
        pages_dir = tmp / "pages"
        pages_dir.mkdir()
        tasks = [page_worker.PageTask(i, p, engine, pages_dir) for i, p in enumerate(loaded.pages, 1)]
        results = sorted(page_worker.run(tasks, jobs or default_jobs(), progress), key=lambda r: r[0].index)
        return write_volume(tmp, results, Path(out_dir), id_number, engine, loaded.files, loaded.warnings,
                            pagination, name, ref_no, stamp_page_numbers, pdfa)


def write_volume(folder: Path, results: list[tuple[CleanPage, PageText]], out_dir: Path, id_number: str,
                 engine: str, originals: list[Path], load_warnings: list[Warning_], pagination=None,
                 name: str | None = None, ref_no: str | None = None, stamp_page_numbers: bool = False,
                 pdfa: bool = True) -> VolumeResult:
    """Stages 4–7 for pages already cleaned and OCR'd, whose images are under ``folder/pages``.

    ``folder`` is the staging directory that becomes ``out_dir``; the workers call this with
    page results computed on other machines.
    """
    scope = getattr(pagination, "scope", "per_volume")
    count_blank = bool(getattr(pagination, "count_blank_pages", False))
    corner = getattr(pagination, "corner", "front_bottom_right")
    records, contents, warns, seqs = assemble(results, scope, count_blank)
    result = VolumeResult(out_dir, id_number, name, ref_no, engine, records, contents, load_warnings + warns,
                          dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"))
    volume_files.copy_originals(originals, folder)
    write_volume_pdf(folder / "volume.pdf", results, records, seqs, result, scope, corner, stamp_page_numbers, pdfa)
    volume_files.write_records(folder, result)
    return result


def assemble(results: list[tuple[CleanPage, PageText]], scope: str, count_blank: bool):
    """Pure part after OCR: duplicates, numbering, materials, warnings."""
    texts = [t.text for _, t in results]
    blanks = [c.blank for c, _ in results]
    numbers = [corners.number_on(t.lines, c.width, c.height) for c, t in results]
    dup = duplicates.find_duplicates(texts, blanks, [c.fingerprint for c, _ in results], numbers)
    counted = [(count_blank or not c.blank) and d is None for (c, _), d in zip(results, dup)]
    headings = [materials.heading(t.lines, c.height, c.width) if not c.blank else "" for c, t in results]
    # Unreadable as the warning below says: the material split gives such a page a row of its own.
    readable = [c.blank or (len(t.text.replace("\n", "")) >= UNREADABLE_CHARS and t.confidence >= UNREADABLE_CONFIDENCE)
                for c, t in results]
    infos = [materials.PageInfo(c.index, h, t.text, k, None, tuple(t.lines) if not c.blank else (), c.width, c.height, r)
             for (c, t), h, k, r in zip(results, headings, counted, readable)]
    starts = materials.material_starts(infos)
    numbers = numbering.page_numbers(counted, starts, scope)
    mats = materials.split(materials.with_page_numbers(infos, numbers))
    rows = materials.contents_rows(mats)
    warns: list[Warning_] = []
    records = []
    for (c, t), d, n in zip(results, dup, numbers):
        src = c.source
        if d is not None:
            warns.append(Warning_("duplicate_page", c.index, f"第{c.index}幅图像与第{d}幅内容相同，疑为重复扫描，未编页号"))
        elif not c.blank and (len(t.text.replace("\n", "")) < UNREADABLE_CHARS or t.confidence < UNREADABLE_CONFIDENCE):
            warns.append(Warning_("unreadable_page", c.index,
                                  f"{where(src.file, src.page)}几乎无法识别文字，请核对原件或重新扫描"))
        records.append(PageRecord(c.index, src.label, n, c.blank, d, c.rotation, c.skew_degrees, src.dpi, c.width, c.height,
                                  t.confidence, t.text, t.lines, t.struck))
    for m, row in zip(mats, rows):
        if m.title == materials.UNKNOWN_TITLE or row.remarks:
            warns.append(Warning_("unclassified_material", m.first_index, f"材料{row.seq}：{row.remarks}"))
    return records, rows, warns, material_of_pages(rows, mats)


def material_of_pages(rows, mats) -> dict[int, str]:
    """Volume position → 序号 of the material it belongs to."""
    return {i: row.seq for row, m in zip(rows, mats) for i in range(m.first_index, m.last_index + 1)}


def write_volume_pdf(path: Path, results, records: list[PageRecord], seqs: dict[int, str], result: VolumeResult,
                     scope: str, corner: str, stamp: bool, pdfa: bool) -> None:
    pages = []
    for (c, _), rec in zip(results, records):
        # Per-material numbering restarts, so the label carries the material: "九-1-2-1".
        prefix = seqs.get(rec.index, "") + "-" if scope == "per_material" and seqs.get(rec.index) else ""
        if rec.page_no is None:
            prefix = "重复页" if rec.duplicate_of else "空白页"
        front = rec.page_no is not None and rec.page_no % 2 == 1
        corner_now = ("top_right" if front else "top_left") if corner == "front_top_right" else \
            ("bottom_right" if front else "bottom_left")
        pages.append(pdf_volume.PdfPage(
            c.image_path.read_bytes(), rec.dpi, rec.width, rec.height, rec.lines, rec.page_no, prefix,
            str(rec.page_no) if stamp and rec.page_no else None, corner_now))
    title = " ".join(x for x in (result.ref_no, result.name, "人事档案") if x)
    subject = f"公民身份号码 {volume_files.mask_id(result.id_number)}"
    pdf_volume.write_pdf(path, pages, title, subject, pdfa=pdfa)
