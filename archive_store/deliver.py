"""``handover deliver``: published volumes written out as a DA/T 31 delivery package
(layout in ``dat31_layout``), checked by the 四性检测 (``four_checks``) as written.

Streaming: one volume at a time. Objects are copied from storage in chunks and hashed on the way
(each must still have the SHA-256 the catalog recorded at publish, or nothing is delivered); the
catalogue XML files are written element by element (lxml ``xmlfile``), the XLSX files with
openpyxl's write-only sheets, the manifest line by line. What stays in memory per package is the
catalogue records of the communities involved, not files.

The package is written into a hidden sibling folder and renamed to ``--out`` only when complete,
so a crashed run never leaves a folder that looks like a package.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from handover import clock
from handover.cells import row as safe_row
from handover.config import Settings, settings
from handover.db import session_scope
from handover.errors import Conflict, InputRefused, NotFound

from . import audit
from . import dat31_layout as L
from .catalog import CatalogRecord, volume_catalog
from .communities import resolve
from .numbering import page_image_name, ref_no_to_filename
from .storage import ObjectNotFound, Storage, open_storage, sha256_file
from .tables import PUBLISHED, CommunityRow, MaterialRow, PageRow, StoredObjectRow, VolumeRow

if TYPE_CHECKING:
    from .four_checks import FourChecksReport

VOLUME_PDF_KEY = "volume.pdf"

CATALOG_FIELDS = (("档号", "ref_no"), ("全宗号", "fonds"), ("案卷号", "volume_no"), ("卷号", "part_no"),
                  ("案卷题名", "title"), ("姓名", "name"), ("性别", "sex"), ("出生日期", "birth_date"),
                  ("公民身份号码", "id_number"), ("原工作单位", "former_employer"), ("社区", "community"),
                  ("社区代码", "community_code"), ("起始日期", "date_from"), ("终止日期", "date_to"),
                  ("材料份数", "materials"), ("页数", "pages"), ("图像数", "images"),
                  ("保管期限", "retention"), ("文件夹", "folder"), ("备注", "remarks"))
CONTENTS_FIELDS = ("档号", "顺序号", "序号", "类号", "材料名称", "材料形成时间", "页数", "起始页号", "终止页号",
                   "起始图像号", "终止图像号", "备注")


class DeliverError(Conflict):
    """The package cannot be written; ``str(err)`` is a Chinese message."""


@dataclass(frozen=True)
class Delivery:
    out: Path
    volumes: int
    images: int
    files: int  # files of the volume folders
    bytes: int
    report: FourChecksReport


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def select_records(session: Session, community: str | None, ref_nos: tuple[str, ...]) -> list[CatalogRecord]:
    """The 案卷目录 records to deliver: a community's published volumes, or the named 档号."""
    if bool(community) == bool(ref_nos):
        raise InputRefused("请指定 --community、--ref-no 或 --batch 之一")
    if community:
        records = volume_catalog(session, resolve(session, community).id)
        if not records:
            raise NotFound(f"社区“{community}”没有已入库的案卷")
        return records
    wanted = list(dict.fromkeys(r.strip() for r in ref_nos if r.strip()))
    rows = {v.ref_no: v for v in session.scalars(select(VolumeRow).where(VolumeRow.ref_no.in_(wanted)))}
    unknown = [r for r in wanted if r not in rows or rows[r].status != PUBLISHED]
    if unknown:
        raise NotFound(f"以下档号不存在或未入库：{'、'.join(unknown)}")
    by_ref: dict[str, CatalogRecord] = {}
    for community_id in dict.fromkeys(rows[r].community_id for r in wanted):
        by_ref.update((rec.ref_no, rec) for rec in volume_catalog(session, community_id))
    return [by_ref[r] for r in wanted]


class _Writer:
    """Files into the package folder, each one's SHA-256 line into the manifest as it is written."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.manifest = (root / L.MANIFEST).open("w", encoding="utf-8", newline="\n")
        self.volume_files = 0
        self.volume_bytes = 0

    def add(self, rel: str, sha256: str | None = None, *, volume_file: bool = False) -> None:
        path = self.root / rel
        if sha256 is None:
            sha256 = sha256_file(path)[0]
        self.manifest.write(L.manifest_line(sha256, rel))
        if volume_file:
            self.volume_files += 1
            self.volume_bytes += path.stat().st_size

    def copy(self, storage: Storage, key: str, rel: str, expected: StoredObjectRow | None) -> None:
        """Stream one object into the package; it must be the bytes the catalog recorded."""
        if expected is None:
            raise DeliverError(f"目录中没有存储对象 {key} 的校验值，不能移交")
        try:
            info = storage.get_to(key, self.root / rel)
        except ObjectNotFound:
            raise DeliverError(f"存储中缺少对象 {key}，请先运行 handover verify 查明") from None
        if info.sha256 != expected.sha256 or info.size != expected.size:
            raise DeliverError(f"存储对象 {key} 与入库时的SHA-256不一致（已被修改），请先运行 handover verify 查明")
        self.add(rel, info.sha256, volume_file=True)


def _image_facts(path: Path) -> dict[str, str]:
    """What the image file says of itself (header only); 分辨率 "0" when it does not say."""
    from PIL import Image

    with Image.open(path) as im:
        fmt, mode, (w, h) = im.format or "", im.mode, im.size
        density = im.info.get("dpi")
    dpi = round(float(density[0])) if density and density[0] else 0
    colour, bits = L.COLOUR_MODES.get(mode, ("彩色", 24))
    return {"格式": fmt, "压缩方式": fmt, "分辨率": str(dpi), "色彩模式": colour, "位深度": str(bits),
            "宽度": str(w), "高度": str(h)}


def _ocr_dpis(storage: Storage, prefix: str) -> dict[int, int]:
    """Page index → dpi from the stored ocr.json: the resolution of an image whose file lacks it."""
    from handover import volume_folder

    try:
        ocr = volume_folder.loads(volume_folder.OCR_JSON, storage.get(f"{prefix}/{volume_folder.OCR_JSON}"))
    except (ObjectNotFound, volume_folder.VolumeFormatError):
        return {}
    return {p.index: p.dpi for p in ocr.pages}


def _pdf_pages(path: Path) -> int:
    import pikepdf

    with pikepdf.open(path) as pdf:
        return len(pdf.pages)


def _row_elements(parent, ref_no: str, material: MaterialRow, images: list[int]) -> dict[str, str]:
    values = {"档号": ref_no, "顺序号": str(material.ordinal), "序号": material.seq, "类号": material.class_code,
              "材料名称": material.title, "材料形成时间": _text(material.formed_on), "页数": str(material.pages),
              "起始页号": _text(material.start_page), "终止页号": _text(material.end_page),
              "起始图像号": _text(min(images)) if images else "", "终止图像号": _text(max(images)) if images else "",
              "备注": material.remarks or ""}
    for name in CONTENTS_FIELDS:
        etree.SubElement(parent, name).text = values[name]
    return values


def _write_volume(session: Session, storage: Storage, writer: _Writer, rec: CatalogRecord,
                  contents_xml) -> dict[str, str]:
    """One volume folder (images, PDF, metadata XML); its 卷内目录 rows into the package's files.
    Returns the 案卷目录 values of the volume."""
    vol = session.scalar(select(VolumeRow).where(VolumeRow.ref_no == rec.ref_no))
    folder = ref_no_to_filename(vol.ref_no)
    (writer.root / folder).mkdir()
    objects = {o.key: o for o in session.scalars(select(StoredObjectRow).where(StoredObjectRow.volume_id == vol.id))}
    pages = list(session.scalars(select(PageRow).where(PageRow.volume_id == vol.id).order_by(PageRow.seq)))
    materials = list(session.scalars(select(MaterialRow).where(MaterialRow.volume_id == vol.id)
                                     .order_by(MaterialRow.ordinal, MaterialRow.id)))
    ordinal_of = {m.id: m.ordinal for m in materials}

    meta = etree.Element("案卷元数据", 版本=L.FORMAT_VERSION)
    etree.SubElement(meta, "档号").text = vol.ref_no
    etree.SubElement(meta, "案卷题名").text = rec.title
    source = vol.source or {}
    digitization = etree.SubElement(meta, "数字化")
    for name, value in (("载体形态", "纸质"), ("存储格式", ""),
                        ("扫描设备", str(source.get("device") or source.get("scanner") or "")),
                        ("处理软件", vol.engine), ("操作人员", str(source.get("operator") or vol.created_by)),
                        ("数字化时间", str(source.get("created_at") or "")),
                        ("入库时间", clock.iso(vol.published_at, "seconds") if vol.published_at else "")):
        etree.SubElement(digitization, name).text = value
    rows_el = etree.SubElement(meta, "卷内目录")
    for m in materials:
        images = [p.seq for p in pages if p.material_id == m.id]
        values = _row_elements(etree.SubElement(rows_el, "条目"), vol.ref_no, m, images)
        contents_xml.write("  ", _contents_element(values))

    images_el = etree.SubElement(meta, "图像", 数量=str(len(pages)))
    fallback: dict[int, int] | None = None
    formats: set[str] = set()
    for p in pages:
        if not p.image_key:
            raise DeliverError(f"档号 {vol.ref_no} 第{p.seq}幅图像在目录中没有存储位置，不能移交")
        suffix = Path(p.image_key).suffix.lower()
        name = page_image_name(vol.ref_no, p.seq, suffix)
        writer.copy(storage, f"{vol.prefix}/{p.image_key}", f"{folder}/{name}", objects.get(p.image_key))
        path = writer.root / folder / name
        facts = _image_facts(path)
        formats.add(facts["格式"])
        if facts["分辨率"] == "0":  # the file does not say: the digitization's record does
            fallback = _ocr_dpis(storage, vol.prefix) if fallback is None else fallback
            facts["分辨率"] = str(fallback.get(p.seq, 0))
        kind = L.DUPLICATE if p.duplicate_of is not None else L.BLANK if p.blank or p.page_no is None else L.CONTENT
        attrs = {"图像号": str(p.seq), "文件名": name, "字节数": str(path.stat().st_size), **facts, "类型": kind}
        if p.page_no is not None:
            attrs["页号"] = str(p.page_no)
        if p.material_id in ordinal_of:
            attrs["条目"] = str(ordinal_of[p.material_id])
        if p.duplicate_of is not None:  # the image it repeats: a receiving archive keeps the link
            attrs["重复于"] = str(p.duplicate_of)
        etree.SubElement(images_el, "页", attrs)

    digitization.find("存储格式").text = "、".join(sorted(formats))  # one, unless the batch broke the rule
    pdf_name = L.volume_pdf(folder)
    writer.copy(storage, f"{vol.prefix}/{VOLUME_PDF_KEY}", f"{folder}/{pdf_name}", objects.get(VOLUME_PDF_KEY))
    pdf_path = writer.root / folder / pdf_name
    etree.SubElement(meta, "PDF", 文件名=pdf_name, 字节数=str(pdf_path.stat().st_size),
                     页数=str(_pdf_pages(pdf_path)), 格式="PDF/A-2b")
    meta_rel = f"{folder}/{L.volume_metadata(folder)}"
    etree.ElementTree(meta).write(str(writer.root / meta_rel), encoding="UTF-8", xml_declaration=True,
                                  pretty_print=True)
    writer.add(meta_rel, volume_file=True)

    community = session.get(CommunityRow, vol.community_id)
    values = {"ref_no": vol.ref_no, "fonds": vol.fonds, "volume_no": vol.volume_no, "part_no": rec.part_no,
              "title": rec.title, "name": rec.name, "sex": rec.sex, "birth_date": rec.birth_date,
              "id_number": rec.id_number, "former_employer": rec.former_employer, "community": rec.community,
              "community_code": community.code if community else "", "date_from": rec.date_from,
              "date_to": rec.date_to, "materials": len(materials), "pages": rec.pages, "images": len(pages),
              "retention": rec.retention, "folder": folder, "remarks": rec.remarks}
    return {label: _text(values[attr]) for label, attr in CATALOG_FIELDS}


def _indented(el):
    """An element as the incremental writer puts it under the root: indented, on lines of its own
    (people open these files in a browser or an editor)."""
    etree.indent(el, space="  ", level=1)
    el.tail = "\n"
    return el


def _contents_element(values: dict[str, str]):
    el = etree.Element("条目")
    for name in CONTENTS_FIELDS:
        etree.SubElement(el, name).text = values[name]
    return _indented(el)


def _catalog_element(n: int, values: dict[str, str]):
    el = etree.Element("案卷", 顺序号=str(n))
    for label, _ in CATALOG_FIELDS:
        etree.SubElement(el, label).text = values[label]
    return _indented(el)


def _xlsx_of(xml: Path, tag: str, columns: list[str], out: Path, title: str) -> None:
    """The XLSX twin of a catalogue XML, read back from the XML as written (so the two cannot
    differ), row by row: a header row, then one row per element, every value as text."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title)
    ws.append(columns)
    for _, el in etree.iterparse(str(xml), tag=tag, resolve_entities=False, no_network=True):
        ws.append(safe_row((el.findtext(c) or "") for c in columns))
        el.clear()
        while el.getprevious() is not None:  # keep the tree empty behind the cursor
            del el.getparent()[0]
    wb.save(out)


def write_catalogue_xlsx(root: Path) -> None:
    """案卷目录.xlsx and 卷内目录.xlsx of the package at ``root``, from its catalogue XML files."""
    _xlsx_of(root / L.VOLUME_CATALOG_XML, "案卷", [label for label, _ in CATALOG_FIELDS],
             root / L.VOLUME_CATALOG_XLSX, "案卷目录")
    _xlsx_of(root / L.CONTENTS_XML, "条目", list(CONTENTS_FIELDS), root / L.CONTENTS_XLSX, "卷内目录")


def _readme(scope: str, actor: str, when: str, totals: dict[str, int]) -> str:
    return (
        "纸质档案数字化成果移交包（依据 DA/T 31-2017《纸质档案数字化规范》）\n"
        f"格式版本：{L.FORMAT_VERSION}\n"
        f"移交范围：{scope}\n"
        f"生成人：{actor}\n"
        f"生成时间：{when}\n"
        "字符编码：UTF-8（全部 XML 与文本文件）\n"
        "\n"
        "一、内容与数量（以下为各案卷文件夹内的文件）\n"
        f"{L.totals_text(totals)}"
        "\n"
        "二、目录结构\n"
        f"{L.VOLUME_CATALOG_XML}、{L.VOLUME_CATALOG_XLSX}：案卷目录，每卷一行\n"
        f"{L.CONTENTS_XML}、{L.CONTENTS_XLSX}：卷内目录，每份材料一行，以起始/终止图像号与页面图像挂接\n"
        f"{L.SCHEMA_DIR}/：上述 XML 文件及各卷元数据 XML 的 XSD 模式文件\n"
        "<档号>/：每卷一个文件夹（档号中的“·”写作“.”），内含页面图像 <档号>-0001.jpg…（档号+图像流水号）、"
        "PDF/A-2b 案卷文件 <档号>.pdf、案卷元数据 <档号>.xml（扫描分辨率、色彩模式、压缩方式、设备、软件、操作人员、时间、"
        "卷内目录、每幅图像）\n"
        f"{L.MANIFEST}：除本清单和检测报告外每个文件的 SHA-256 校验值\n"
        f"{L.REPORT_HTML}、{L.REPORT_JSON}：对本移交包所做的四性检测（真实性、完整性、可用性、安全性）结果\n"
        "\n"
        "三、阅读所需软件\n"
        "页面图像（JPEG）：任意看图软件；案卷文件（PDF/A）：任意 PDF 阅读器；XML：浏览器或文本编辑器，"
        "可用任意 XSD 校验工具对照 schema/ 校验；XLSX：Excel 或 WPS 表格；"
        f"校验值：sha256sum -c {L.MANIFEST}（Linux），或 certutil -hashfile 文件 SHA256（Windows）；"
        "四性检测：handover check-package 本文件夹。\n"
    )


def deliver(cfg: Settings | None, out: Path, *, community: str | None = None, ref_nos: tuple[str, ...] = (),
            actor: str = "system", storage: Storage | None = None, scope: str | None = None) -> Delivery:
    """Write the delivery package of a community's published volumes (or the named 档号) to ``out``.
    ``scope``: what the 档号 are, for 说明文件.txt and the audit log (an intake batch's name)."""
    from .four_checks import check_package
    from .four_checks_report import write_reports

    cfg = cfg or settings()
    storage = storage or open_storage(cfg)
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise DeliverError(f"输出文件夹已存在且不为空：{out}")
    out.parent.mkdir(parents=True, exist_ok=True)
    work = out.parent / f".{out.name}.partial-{uuid.uuid4().hex[:8]}"
    work.mkdir()
    try:
        with session_scope(cfg) as session:
            records = select_records(session, community, ref_nos)
            when = clock.iso(clock.utcnow(), "seconds")
            writer = _Writer(work)
            images = 0
            with ExitStack() as stack:
                cat_xf = stack.enter_context(etree.xmlfile(str(work / L.VOLUME_CATALOG_XML), encoding="UTF-8"))
                con_xf = stack.enter_context(etree.xmlfile(str(work / L.CONTENTS_XML), encoding="UTF-8"))
                cat_xf.write_declaration()
                con_xf.write_declaration()
                stack.enter_context(cat_xf.element("案卷目录", 版本=L.FORMAT_VERSION, 案卷数=str(len(records)),
                                                   生成时间=when))
                stack.enter_context(con_xf.element("卷内目录", 版本=L.FORMAT_VERSION, 生成时间=when))
                cat_xf.write("\n")
                con_xf.write("\n")
                for n, rec in enumerate(records, 1):
                    values = _write_volume(session, storage, writer, rec, con_xf)
                    images += int(values["图像数"])
                    cat_xf.write("  ", _catalog_element(n, values))
            for name in (L.VOLUME_CATALOG_XML, L.CONTENTS_XML):
                writer.add(name)
            write_catalogue_xlsx(work)
            writer.add(L.VOLUME_CATALOG_XLSX)
            writer.add(L.CONTENTS_XLSX)
            (work / L.SCHEMA_DIR).mkdir()
            for name in L.SCHEMAS:
                shutil.copyfile(L.xsd_path(name), work / L.SCHEMA_DIR / name)
                writer.add(f"{L.SCHEMA_DIR}/{name}")
            scope = f"社区 {records[0].community}" if community else scope or f"指定档号 {len(records)} 卷"
            totals = {"volumes": len(records), "images": images, "files": writer.volume_files,
                      "bytes": writer.volume_bytes}
            (work / L.README).write_text("\ufeff" + _readme(scope, actor, when, totals), encoding="utf-8")
            writer.add(L.README)
            writer.manifest.close()
            report = check_package(work, name=out.name)
            write_reports(work, report)
            audit.record(session, actor, "deliver", scope, "数字化成果移交包", volumes=len(records), images=images,
                         files=writer.volume_files, bytes=writer.volume_bytes, out=out.name, passed=report.ok)
        if out.exists():
            out.rmdir()
        os.replace(work, out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return Delivery(out, len(records), images, writer.volume_files, writer.volume_bytes, report)
