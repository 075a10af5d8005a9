"""``handover receive PACKAGE``: a checked DA/T 31 package (``dat31_layout``) taken into this archive.

0. The acceptance (``acceptance.accepted_for_import``): only a package whose acceptance concluded 合格
   — found by the SHA-256 of its manifest, so exactly the content accepted — is imported; none, one
   still open, one 不合格, or a package changed since: refused (``NotAccepted``), nothing written.
1. The 四性检测 (``four_checks``) on all of it again: the files must still be those of the accepted
   manifest; any failure refuses the package as changed after its acceptance, nothing written.
2. The 档号 planned before anything is written: a package's 档号 is kept when it is this archive's
   numbering for that community (the profile's fonds and format, the community's code) and free
   here; otherwise the package is refused listing the conflicting 档号 — unless ``renumber``: every
   volume then takes its community's next 案卷号 (the gap-free counter), and the old→new mapping is
   written as a CSV. A person who already has a volume here is a conflict too (补充材料, 卷号 2…,
   follow their first volume).
3. Each volume through the publish path (``publish.publish_source``: reserve → store → verify →
   commit), so a volume is all or nothing and an interrupted receive resumes: its idempotency key is
   the digest of what the package delivered for it (its metadata XML and the SHA-256 of its files),
   so a volume already in is skipped and a pending one completed with its reserved 档号.

What a received volume is made of: the page images as ``pages/`` (the same bytes, the same hashes),
the package's PDF as ``volume.pdf``, the 卷内目录 rows as ``contents.json``, and ``ocr.json`` with
each page's text read from the PDF's text layer (``ocr.pdf_text``; the pencilled corner page number
left out of the text as the pipeline does) — OCR only for a page with content and no text layer;
with ``ocr`` (``--ocr``, "re-OCR'd on request") every page but a blank side is recognized with this
archive's engine instead and the text layer is not read (the volume's engine is then ours).
``originals/`` holds what was delivered for the volume besides the images: its metadata XML and
its lines of the package manifest. No completeness check runs: check_outcome stays empty.
"""

from __future__ import annotations

import csv
import hashlib
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree
from sqlalchemy import select

from handover import idnumber, volume_folder as vf
from handover.config import Settings, settings
from handover.db import init_db
from handover.errors import Conflict, InputRefused
from handover.models import Destination
from handover.policy import load_profile

from . import audit
from . import dat31_layout as L
from .deliver import CATALOG_FIELDS, CONTENTS_FIELDS
from .numbering import NumberingError, check_format, format_ref_no
from .publish import publish_source
from .sampling import Sample
from .storage import Storage, open_storage, sha256_file
from .tables import PENDING, PUBLISHED, CommunityRow, VolumeRow
from .transactions import write_transaction
from .volume_source import ContentsRow, SourceFile, VolumeSource, originals_digest

MANIFEST_OF_VOLUME = "manifest-sha256.txt"  # under originals/: the volume's lines of the package manifest


class NumberConflict(Conflict):
    """档号 of the package cannot be kept here (``conflicts``: (档号, why)); nothing was imported."""

    def __init__(self, message: str, conflicts: list[tuple[str, str]]) -> None:
        super().__init__(message)
        self.conflicts = conflicts


@dataclass(frozen=True)
class Planned:
    """One volume of the package and what will become of it here."""

    ref_no: str  # as delivered
    folder: str
    row: dict[str, str]  # its 案卷目录 values
    destination: Destination
    digest: str  # the idempotency key (originals_sha256)
    keep: int | None  # 案卷号 kept (None: renumbered, or already in)
    part_no: int
    already: str | None = None  # 档号 here when already published (skipped) …
    pending: bool = False  # … or reserved by an interrupted receive (resumed)


@dataclass
class Received:
    package: str
    sample: Sample  # the acceptance's, its seed recorded
    acceptance: int  # the id of the 合格 acceptance that let it in
    volumes: int = 0
    imported: int = 0
    skipped: int = 0  # already in from an earlier run
    pages: int = 0
    ocr_pages: int = 0  # pages without a text layer, recognized here
    mapping: list[tuple[str, str]] = field(default_factory=list)  # (delivered 档号, 档号 here)
    mapping_file: Path | None = None


# ---------------------------------------------------------------- reading the package


def _catalog_rows(root: Path) -> list[dict[str, str]]:
    rows = []
    for _, el in etree.iterparse(str(root / L.VOLUME_CATALOG_XML), tag="案卷", resolve_entities=False,
                                 no_network=True, load_dtd=False):
        rows.append({label: (el.findtext(label) or "").strip() for label, _ in CATALOG_FIELDS})
        el.clear()
    return rows


def _manifest(root: Path) -> dict[str, str]:
    lines, _ = L.parse_manifest((root / L.MANIFEST).read_text(encoding="utf-8"))
    return {line.path: line.sha256 for line in lines}


def _volume_manifest(folder: str, manifest: dict[str, str]) -> bytes:
    prefix = folder + "/"
    return "".join(L.manifest_line(sha, rel[len(prefix):]) for rel, sha in sorted(manifest.items())
                   if rel.startswith(prefix)).encode("utf-8")


def volume_digest(root: Path, folder: str, manifest: dict[str, str]) -> str:
    """The digest ``originals_digest`` computes over the volume's ``originals/`` (see ``_source``):
    the same volume delivered again yields the same key."""
    meta = (root / folder / L.volume_metadata(folder)).read_bytes()
    listing = _volume_manifest(folder, manifest)
    files = [SourceFile(f"{vf.ORIGINALS}/{L.volume_metadata(folder)}", Path(), hashlib.sha256(meta).hexdigest(), 0),
             SourceFile(f"{vf.ORIGINALS}/{MANIFEST_OF_VOLUME}", Path(), hashlib.sha256(listing).hexdigest(), 0)]
    return originals_digest(files)


def _destination(session, row: dict[str, str]) -> Destination:
    """The community of this archive a volume goes to: by its code, else by its label among the
    registered communities (gazetteer and confirmed)."""
    from handover import communities as registry, gazetteer

    code, label = row["社区代码"], row["社区"]
    found = session.scalar(select(CommunityRow).where(CommunityRow.code == code)) if code else None
    if found is not None:
        return Destination(county=found.county, street=found.street, community=found.name, code=found.code)
    for p in gazetteer.all_places():
        if (code and p.code == code) or f"{p.county}{p.street}{p.community}" == label:
            return Destination(county=p.county, street=p.street, community=p.community, code=p.code)
    for (county, street, name), confirmed_code in registry.load_registry(session).confirmed.items():
        if (code and confirmed_code == code) or f"{county}{street}{name}" == label:
            return Destination(county=county, street=street, community=name, code=confirmed_code or None)
    raise InputRefused(f"案卷“{row['档号']}”的社区“{label}”（代码 {code or '无'}）不在本馆社区名录中，"
                       "请管理员先确认该社区（handover communities confirm）")


def plan(cfg: Settings, root: Path, profile: str, renumber: bool) -> list[Planned]:
    """Every volume's destination and 档号 here; ``NumberConflict`` listing every 档号 that cannot
    be kept (unless ``renumber``). Reads only."""
    from handover.db import session_scope

    numbering = load_profile(profile).numbering
    check_format(numbering.ref_no_format)
    manifest = _manifest(root)
    out: list[Planned] = []
    conflicts: list[tuple[str, str]] = []
    with session_scope(cfg) as s:
        codes: dict[tuple[str, str, str], str] = {}
        places: dict[tuple[str, str], Destination] = {}  # (code, label) → destination: one look-up each
        for row in _catalog_rows(root):
            ref_no, folder = row["档号"], row["文件夹"]
            place = (row["社区代码"], row["社区"])
            dest = places[place] if place in places else places.setdefault(place, _destination(s, row))
            digest = volume_digest(root, folder, manifest)
            part_no = int(row["卷号"] or 1)
            here = s.scalar(select(VolumeRow).where(VolumeRow.originals_sha256 == digest))
            if here is not None and here.status in (PUBLISHED, PENDING):
                out.append(Planned(ref_no, folder, row, dest, digest, None, part_no, here.ref_no,
                                   here.status == PENDING))
                continue
            keep = None
            if not renumber:
                key = (dest.county, dest.street, dest.community)
                if key not in codes:
                    existing = s.scalar(select(CommunityRow).where(CommunityRow.county == dest.county,
                                                                   CommunityRow.street == dest.street,
                                                                   CommunityRow.name == dest.community))
                    codes[key] = existing.code if existing else dest.code or ""
                why = _why_not_kept(s, row, numbering, codes[key], dest)
                if why:
                    conflicts.append((ref_no, why))
                else:
                    keep = int(row["案卷号"])
            if part_no == 1:
                person = s.scalar(select(VolumeRow).where(VolumeRow.id_number == row["公民身份号码"],
                                                          VolumeRow.status.in_((PUBLISHED, PENDING))))
                if person is not None:
                    conflicts.append((ref_no, f"该人员在本馆已有案卷（档号 {person.ref_no}）"))
            out.append(Planned(ref_no, folder, row, dest, digest, keep, part_no))
    if conflicts:
        listed = "".join(f"\n  {r}：{why}" for r, why in conflicts[:50])
        more = f"\n  ……共 {len(conflicts)} 个" if len(conflicts) > 50 else ""
        hint = "" if renumber else "\n如需按本馆档号顺序重新编号，请加 --renumber（将生成新旧档号对照表）。"
        raise NumberConflict(f"以下档号的案卷不能导入，未导入任何案卷：{listed}{more}{hint}", conflicts)
    return out


def _why_not_kept(s, row: dict[str, str], numbering, code: str, dest: Destination) -> str:
    try:
        volume_no = int(row["案卷号"])
        ours = format_ref_no(numbering.ref_no_format, numbering.fonds, code, volume_no) if code else None
    except (ValueError, NumberingError):
        return f"案卷号“{row['案卷号']}”无效"
    if row["全宗号"] != numbering.fonds:
        return f"全宗号 {row['全宗号']} 不是本馆的 {numbering.fonds}"
    if ours != row["档号"]:
        return f"不符合本馆{dest.label}的档号编制（应为 {ours or '（社区尚无代码）'} 的形式）"
    taken = s.scalar(select(VolumeRow).where(VolumeRow.ref_no == row["档号"]))
    if taken is not None:
        return f"本馆已有此档号（{taken.name or '姓名不详'}，状态 {taken.status}）"
    return ""


# ---------------------------------------------------------------- one volume


def _page_lines(path: Path, engine_name: str):
    """OCR of one page image with the project's engine (a page without a text layer)."""
    import cv2

    from ocr import engines

    engine = engines.get(engine_name)
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    return engine.recognize(engine.prepare(img))


def _source(root: Path, p: Planned, manifest: dict[str, str], work: Path, engine_name: str,
            ocr: bool = False) -> tuple[VolumeSource, int]:
    """The volume as the publish path takes it (files stay in the package, the records written to
    ``work``); and how many pages were OCR'd (with ``ocr``: all but blank sides)."""
    from ocr.corners import is_page_number
    from ocr.pdf_text import text_layer

    folder = p.folder
    meta_path = root / folder / L.volume_metadata(folder)
    meta = etree.parse(str(meta_path), etree.XMLParser(resolve_entities=False, no_network=True,
                                                         load_dtd=False)).getroot()
    images = list(meta.iterfind("图像/页"))
    pdf = root / folder / L.volume_pdf(folder)
    layers = [] if ocr else text_layer(pdf, [(int(e.get("宽度")), int(e.get("高度"))) for e in images])
    pages, ocr_pages = [], 0
    for i, e in enumerate(images):
        kind = e.get("类型")
        index = int(e.get("图像号"))
        width, height = int(e.get("宽度")), int(e.get("高度"))
        lines = layers[i] if i < len(layers) else None
        confidence = 1.0
        if (ocr and kind != L.BLANK) or (lines is None and kind == L.CONTENT):
            result = _page_lines(root / folder / e.get("文件名"), engine_name)
            lines, confidence, ocr_pages = result.lines, result.confidence, ocr_pages + 1
        lines = lines or []
        body = [line for line in lines if not is_page_number(line, width, height)]
        duplicate_of = e.get("重复于") if kind == L.DUPLICATE else None
        pages.append(vf.Page(
            index=index, page_no=int(e.get("页号")) if e.get("页号") else None,
            text="\n".join(line.text for line in body), blank=kind == L.BLANK,
            duplicate_of=(int(duplicate_of) if duplicate_of else max(index - 1, 1)) if kind == L.DUPLICATE else None,
            confidence=confidence, dpi=int(e.get("分辨率") or 0), width=width, height=height, source=e.get("文件名"),
            lines=tuple(vf.Line(line.text, tuple(line.box), float(line.confidence)) for line in lines)))
    contents = []
    for el in meta.iterfind("卷内目录/条目"):
        t = {name: (el.findtext(name) or "").strip() for name in CONTENTS_FIELDS}
        contents.append(vf.ContentsRow(seq=t["序号"], class_code=t["类号"], title=t["材料名称"],
                                       formed_on=t["材料形成时间"] or None, pages=int(t["页数"] or 0),
                                       start_page=int(t["起始页号"]) if t["起始页号"] else None,
                                       end_page=int(t["终止页号"]) if t["终止页号"] else None, remarks=t["备注"]))
    engine = engine_name if ocr else (meta.findtext("数字化/处理软件") or "").strip()
    content, blank, duplicate = vf.page_counts(pages)
    try:
        id_number = idnumber.parse(p.row["公民身份号码"]).number
    except idnumber.IdNumberError as err:
        raise InputRefused(f"案卷“{p.ref_no}”的公民身份号码无效：{err}") from None
    extra = {"enterprise": p.row["原工作单位"], "received_ref_no": p.ref_no,
             "operator": (meta.findtext("数字化/操作人员") or "").strip()}
    device = (meta.findtext("数字化/扫描设备") or "").strip()
    if device:
        extra["device"] = device
    info = vf.VolumeInfo(id_number=id_number, name=p.row["姓名"], ref_no=p.ref_no, engine=engine,
                         content_pages=content, blank_pages=blank, duplicate_pages=duplicate,
                         created_at=(meta.findtext("数字化/数字化时间") or "").strip(), extra=extra)
    ocr = vf.OcrFile(engine, tuple(pages))
    vf.write_records(work, info, ocr, vf.ContentsFile(tuple(contents)))
    (work / vf.ORIGINALS).mkdir()
    shutil.copyfile(meta_path, work / vf.ORIGINALS / L.volume_metadata(folder))
    (work / vf.ORIGINALS / MANIFEST_OF_VOLUME).write_bytes(_volume_manifest(folder, manifest))

    files = []
    for name in vf.RECORDS:
        files.append(_file(name, work / name))
    for name in sorted(x.name for x in (work / vf.ORIGINALS).iterdir()):
        files.append(_file(f"{vf.ORIGINALS}/{name}", work / vf.ORIGINALS / name))
    for e in images:  # the delivered files themselves, their SHA-256 the checked manifest's
        rel = f"{folder}/{e.get('文件名')}"
        suffix = Path(e.get("文件名")).suffix.lower()
        files.append(SourceFile(f"{vf.PAGES}/{vf.page_image(int(e.get('图像号')), suffix)}", root / rel,
                                manifest[rel], (root / rel).stat().st_size))
    pdf_rel = f"{folder}/{L.volume_pdf(folder)}"
    files.append(SourceFile(vf.VOLUME_PDF, pdf, manifest[pdf_rel], pdf.stat().st_size))
    digest = originals_digest(files)
    if digest != p.digest:  # the metadata XML changed after the checks
        raise InputRefused(f"移交包中案卷“{p.ref_no}”的元数据在导入过程中被改动，请重新检测后再导入")
    src = VolumeSource(root=work, files=tuple(files), originals_sha256=digest, id_number=id_number,
                       name=p.row["姓名"], engine=engine, content_pages=content, blank_pages=blank,
                       pages=tuple(pages), contents=tuple(ContentsRow.of(r) for r in contents), check_outcome="",
                       meta=info.to_json())
    return src, ocr_pages


def _file(rel: str, path: Path) -> SourceFile:
    sha, size = sha256_file(path)
    return SourceFile(rel, path, sha, size)


# ---------------------------------------------------------------- the whole package


def receive(cfg: Settings | None, package: Path, *, profile: str, renumber: bool = False,
            mapping_file: Path | None = None, actor: str = "system", storage: Storage | None = None,
            engine_name: str | None = None, ocr: bool = False,
            progress: Callable[[int, int, str], None] | None = None) -> Received:
    """Import the package at ``package`` (see the module docstring). ``ocr``: recognize every page
    with ``engine_name`` (default the configured engine), not the text layer — volumes imported by
    an earlier run are skipped as ever. ``progress(done, total, 档号)`` after each volume."""
    from .acceptance import CHANGED, NotAccepted, accepted_for_import, sample_of
    from .four_checks import check_package
    from handover.db import session_scope

    cfg = cfg or settings()
    root = Path(package)
    try:
        with session_scope(cfg) as s:
            accepted = accepted_for_import(s, root)
            acceptance_id, sample = accepted.id, sample_of(accepted)
    except NotAccepted as err:
        with session_scope(cfg) as s:
            audit.record(s, actor, "receive_refused", root.name, "移交包未经验收合格，未导入",
                         state=err.state, acceptance=err.acceptance_id)
        raise
    report = check_package(root)
    if not report.ok:
        with session_scope(cfg) as s:
            audit.record(s, actor, "receive_refused", root.name, "移交包验收后被改动（四性检测未通过），未导入",
                         state=CHANGED, acceptance=acceptance_id, failed=[r.id for r in report.failed()])
        raise NotAccepted(f"移交包“{root.name}”在第 {acceptance_id} 号验收合格之后被改动：四性检测有 "
                          f"{len(report.failed())} 项未通过，须重新验收，未导入任何案卷", CHANGED, acceptance_id, report)
    try:
        planned = plan(cfg, root, profile, renumber)
    except NumberConflict as err:
        with session_scope(cfg) as s:
            audit.record(s, actor, "receive_refused", root.name, "档号不能沿用，未导入",
                         conflicts=[r for r, _ in err.conflicts][:200], acceptance=acceptance_id)
        raise
    engine = init_db(cfg)
    storage = storage or open_storage(cfg)
    manifest = _manifest(root)
    result = Received(root.name, sample, acceptance_id, volumes=len(planned))
    with write_transaction(engine) as s:
        audit.record(s, actor, "receive_start", root.name, "移交包导入开始", volumes=len(planned),
                     renumber=renumber, ocr=ocr, acceptance=acceptance_id)
    for n, p in enumerate(planned, 1):
        if p.already and not p.pending:
            result.skipped += 1
            result.mapping.append((p.ref_no, p.already))
        else:
            with tempfile.TemporaryDirectory(prefix="receive-") as tmp:
                src, ocr_pages = _source(root, p, manifest, Path(tmp), engine_name or cfg.ocr_engine, ocr)
                published = publish_source(engine, storage, src, p.destination, profile, actor,
                                           supplement=p.part_no > 1, volume_no=p.keep)
            result.imported += 1
            result.pages += len(src.pages)
            result.ocr_pages += ocr_pages
            result.mapping.append((p.ref_no, published.ref_no))
        if progress:
            progress(n, len(planned), p.ref_no)
    if renumber:
        result.mapping_file = write_mapping(mapping_file or root.parent / f"{root.name}-档号对照.csv", result.mapping)
    with write_transaction(engine) as s:
        audit.record(s, actor, "receive", root.name, "移交包导入", volumes=result.volumes, imported=result.imported,
                     skipped=result.skipped, pages=result.pages, ocr_pages=result.ocr_pages, ocr=ocr, renumber=renumber,
                     acceptance=acceptance_id, seed=sample.seed, sample=list(sample.ref_nos),
                     mapping=result.mapping_file.name if result.mapping_file else None)
    return result


def write_mapping(path: Path, mapping: list[tuple[str, str]]) -> Path:
    """The old→new 档号 table (CSV, UTF-8 with a BOM for Excel)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["原档号", "新档号"])
        w.writerows(mapping)
    return path
