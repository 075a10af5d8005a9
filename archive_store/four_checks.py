"""四性检测 (DA/T 70-2018) of a DA/T 31 delivery package folder (layout: ``dat31_layout``).

Fifteen named checks in four groups, each passed or failed with the exact files:

  authenticity  fixity          every file's SHA-256 is the manifest's
                unchanged       no file added since the manifest was written
                ref_no          档号 well-formed (DA/T 13: "-" between levels, "·" within), unique,
                                and the name of its folder and of its metadata
                metadata_agrees the metadata's file names, byte sizes, formats and page counts are
                                the files'; a volume's 卷内目录 rows are the package's
  completeness  totals          files and bytes as 说明文件.txt declares; every manifest entry present
                page_sequence   image serials 1…n without gaps; page numbers without gaps
                required_fields every required metadata field filled
                catalogue_links every 卷内目录 row linked to existing images, every content image to
                                a row, every 案卷目录 row to a folder and back
  usability     images          every image decodes, in the one format of the batch, at its stated
                                resolution (≥ 200 dpi), size and colour mode
                pdfa            every volume PDF passes the PDF/A-2b checks (``ocr.pdfa_check``)
                xml_schema      every XML validates against the schema shipped in templates/dat31
                spreadsheets    the XLSX catalogues open and list the XML catalogues' 档号, in order
  security      no_encryption   no encrypted PDF or spreadsheet
                no_active_content  no executable, script or macro content, no XML entities
                paths           no links, special files or names that leave the package

Pure but for reading the folder: it never follows a link (the walk does not descend into one and
only files found by the walk are opened), never resolves XML entities or fetches anything. Memory
grows with the number of files and catalogue rows (their names and digests), not their bytes.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path, PurePosixPath

from lxml import etree

from handover import clock

from . import dat31_layout as L
from .numbering import NumberingError, ref_no_to_filename
from .storage import sha256_file

GROUPS = {"authenticity": "真实性", "completeness": "完整性", "usability": "可用性", "security": "安全性"}
CHECKS = (
    ("authenticity.fixity", "哈希值与清单一致"),
    ("authenticity.unchanged", "清单生成后未增加文件"),
    ("authenticity.ref_no", "档号格式正确且唯一"),
    ("authenticity.metadata_agrees", "元数据与文件一致（名称、大小、格式、页数）"),
    ("completeness.totals", "文件数与字节数相符，清单所列文件齐全"),
    ("completeness.page_sequence", "图像号与页号连续无缺"),
    ("completeness.required_fields", "必填元数据完整"),
    ("completeness.catalogue_links", "目录与图像挂接完整"),
    ("usability.images", "图像可读，分辨率与色彩模式符合要求"),
    ("usability.pdfa", "PDF符合PDF/A-2b"),
    ("usability.xml_schema", "XML文件符合XSD模式"),
    ("usability.spreadsheets", "XLSX目录可读且与XML目录一致"),
    ("security.no_encryption", "无加密"),
    ("security.no_active_content", "无可执行程序、脚本或宏"),
    ("security.paths", "无链接、特殊文件或越界路径"),
)
TITLES = dict(CHECKS)

# DA/T 13: levels separated by "-", parts inside a level by "·"; letters, digits (and CJK) only.
_PART = r"[0-9A-Za-z\u4e00-\u9fff]+"
REF_NO = re.compile(rf"{_PART}(?:·{_PART})*(?:-{_PART}(?:·{_PART})*)+")
ALLOWED_SUFFIXES = {".jpg", ".pdf", ".xml", ".xsd", ".xlsx", ".txt"}
_EXECUTABLE_MAGIC = (b"MZ", b"\x7fELF", b"#!", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe", b"\xfe\xed\xfa")
_MAGIC = {"JPEG": b"\xff\xd8\xff", "PDF": b"%PDF-", "XLSX": b"PK\x03\x04"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f\\]")
REQUIRED = {
    L.VOLUME_CATALOG_XML: ("档号", "全宗号", "案卷号", "案卷题名", "姓名", "页数", "图像数", "保管期限", "文件夹"),
    L.CONTENTS_XML: ("档号", "顺序号", "类号", "材料名称", "页数"),
    "metadata": ("档号", "案卷题名", "数字化/载体形态", "数字化/存储格式", "数字化/处理软件", "数字化/操作人员",
                 "数字化/数字化时间", "数字化/入库时间"),
}


@dataclass(frozen=True)
class Failure:
    file: str  # relative to the package ("" only when the package itself is meant)
    message: str

    def as_dict(self) -> dict:
        return {"file": self.file, "message": self.message}


@dataclass
class CheckResult:
    id: str
    failures: list[Failure] = field(default_factory=list)
    checked: int = 0  # items looked at (files, rows)

    @property
    def group(self) -> str:
        return self.id.split(".")[0]

    @property
    def title(self) -> str:
        return TITLES[self.id]

    @property
    def passed(self) -> bool:
        return not self.failures

    def fail(self, file: str, message: str) -> None:
        self.failures.append(Failure(file, message))

    def files(self) -> set[str]:
        return {f.file for f in self.failures}

    def as_dict(self) -> dict:
        return {"id": self.id, "group": self.group, "group_zh": GROUPS[self.group], "title": self.title,
                "passed": self.passed, "checked": self.checked, "failures": [f.as_dict() for f in self.failures]}


@dataclass
class FourChecksReport:
    package: str
    checked_at: str
    results: list[CheckResult]
    totals: dict[str, int]

    @property
    def ok(self) -> bool:
        return all(r.passed for r in self.results)

    def result(self, check_id: str) -> CheckResult:
        return next(r for r in self.results if r.id == check_id)

    def failed(self) -> list[CheckResult]:
        return [r for r in self.results if not r.passed]

    def as_dict(self) -> dict:
        return {"package": self.package, "checked_at": self.checked_at, "passed": self.ok, "totals": self.totals,
                "checks": [r.as_dict() for r in self.results]}


# ---------------------------------------------------------------- reading the folder safely


@dataclass
class _Tree:
    files: dict[str, int] = field(default_factory=dict)  # rel → size, regular files only
    links: list[str] = field(default_factory=list)
    special: list[str] = field(default_factory=list)
    dirs: list[str] = field(default_factory=list)


def _walk(root: Path) -> _Tree:
    """Every entry under ``root`` by lstat: links are recorded, never followed."""
    tree = _Tree()
    stack = [""]
    while stack:
        rel_dir = stack.pop()
        with os.scandir(root / rel_dir if rel_dir else root) as it:
            for entry in it:
                rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
                st = entry.stat(follow_symlinks=False)
                if stat.S_ISLNK(st.st_mode):
                    tree.links.append(rel)
                elif stat.S_ISDIR(st.st_mode):
                    tree.dirs.append(rel)
                    stack.append(rel)
                elif stat.S_ISREG(st.st_mode):
                    tree.files[rel] = st.st_size
                else:
                    tree.special.append(rel)
    return tree


def _escapes(path: str) -> bool:
    """A name that would leave the package (or cannot be a plain relative name)."""
    if not path or path.startswith(("/", "~")) or _CONTROL.search(path) or re.match(r"^[A-Za-z]:", path):
        return True
    return any(part in ("", ".", "..") for part in path.split("/"))


@lru_cache(maxsize=None)
def _schema(name: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(L.xsd_path(name))))


_PARSER = dict(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def _parse(path: Path, schema: str, xml_result: CheckResult, rel: str):
    """The element tree (None if unreadable); schema errors into ``xml_result``."""
    try:
        doc = etree.parse(str(path), etree.XMLParser(**_PARSER))
    except etree.XMLSyntaxError as err:
        xml_result.fail(rel, f"XML格式错误：{err}")
        return None
    xml_result.checked += 1
    validator = _schema(schema)
    if not validator.validate(doc):
        for e in list(validator.error_log)[:5]:
            xml_result.fail(rel, f"不符合{schema}（第{e.line}行）：{e.message}")
    return doc


def _fields(el, names) -> dict[str, str]:
    return {n: (el.findtext(n) or "").strip() for n in names}


def _int(text: str | None) -> int | None:
    try:
        return int(str(text).strip())
    except (TypeError, ValueError):
        return None


# ---------------------------------------------------------------- the checks


def check_package(root: Path, *, name: str | None = None, min_dpi: int = L.MIN_DPI) -> FourChecksReport:
    """Run every check on the package folder ``root`` (never modified)."""
    root = Path(root)
    r = {cid: CheckResult(cid) for cid, _ in CHECKS}
    tree = _walk(root)
    data = {rel: size for rel, size in tree.files.items() if rel not in L.NOT_IN_MANIFEST}
    _check_tree(tree, r)
    _check_manifest(root, tree, data, r)
    catalog_rows, contents_rows = _read_catalogues(root, data, r)
    _check_ref_nos(catalog_rows, r["authenticity.ref_no"])
    _check_required_rows(catalog_rows, contents_rows, r["completeness.required_fields"])
    actual = _check_folders(root, tree, data, catalog_rows, contents_rows, r, min_dpi)
    _check_totals(root, data, actual, r["completeness.totals"])
    _security(root, data, r)
    return FourChecksReport(name or root.name, clock.iso(clock.utcnow(), "seconds"), list(r.values()),
                            {**actual, "all_files": len(data), "all_bytes": sum(data.values())})


def _check_tree(tree: _Tree, r: dict[str, CheckResult]) -> None:
    """security.paths: links, special files, odd names."""
    paths = r["security.paths"]
    for rel in tree.links:
        paths.fail(rel, "是符号链接（移交包中不允许链接）")
    for rel in tree.special:
        paths.fail(rel, "不是普通文件（设备、管道或套接字）")
    for rel in [*tree.files, *tree.dirs]:
        paths.checked += 1
        if _CONTROL.search(rel):
            paths.fail(rel, "文件名含控制字符或反斜杠")


def _check_manifest(root: Path, tree: _Tree, data: dict[str, int], r: dict[str, CheckResult]) -> None:
    """Every file against the manifest: altered (fixity), added (unchanged), gone (totals)."""
    fixity, unchanged, totals = r["authenticity.fixity"], r["authenticity.unchanged"], r["completeness.totals"]
    listed: dict[str, str] = {}
    has_manifest = L.MANIFEST in tree.files
    if not has_manifest:
        fixity.fail(L.MANIFEST, "缺少SHA-256清单，无法核对任何文件")
    else:
        lines, bad = L.parse_manifest((root / L.MANIFEST).read_text(encoding="utf-8", errors="replace"))
        for n in bad:
            fixity.fail(L.MANIFEST, f"第{n}行格式错误")
        for line in lines:
            if _escapes(line.path):
                r["security.paths"].fail(L.MANIFEST, f"清单中的路径越出移交包：{line.path}")
                continue
            if line.path in listed:
                fixity.fail(L.MANIFEST, f"清单重复列出：{line.path}")
            listed[line.path] = line.sha256
    for rel in sorted(data):
        if rel in listed:
            fixity.checked += 1
            if sha256_file(root / rel)[0] != listed[rel]:
                fixity.fail(rel, "SHA-256与清单不符（文件已被改动）")
        elif has_manifest:  # without one, fixity has said so once for all files
            unchanged.fail(rel, "清单中没有此文件（清单生成后新增）")
    unchanged.checked = len(data)
    for rel in sorted(set(listed) - set(data)):
        totals.fail(rel, "清单所列文件不存在")


def _read_catalogues(root: Path, data: dict[str, int],
                     r: dict[str, CheckResult]) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """The rows of 案卷目录.xml and 卷内目录.xml (validated), and their XLSX twins checked."""
    xml, totals = r["usability.xml_schema"], r["completeness.totals"]
    catalog_rows: list[dict[str, str]] = []
    contents_rows: list[dict[str, str]] = []
    if L.VOLUME_CATALOG_XML in data:
        doc = _parse(root / L.VOLUME_CATALOG_XML, L.VOLUME_CATALOG_XSD, xml, L.VOLUME_CATALOG_XML)
        if doc is not None:
            catalog_rows = [_fields(el, _CATALOG_NAMES) for el in doc.getroot().iter("案卷")]
            declared = _int(doc.getroot().get("案卷数"))
            if declared is not None and declared != len(catalog_rows):
                totals.fail(L.VOLUME_CATALOG_XML, f"案卷目录声明{declared}卷，列出{len(catalog_rows)}卷")
    else:
        totals.fail(L.VOLUME_CATALOG_XML, "缺少案卷目录")
    if L.CONTENTS_XML in data:
        doc = _parse(root / L.CONTENTS_XML, L.CONTENTS_XSD, xml, L.CONTENTS_XML)
        if doc is not None:
            contents_rows = [_fields(el, _CONTENTS_NAMES) for el in doc.getroot().iter("条目")]
    else:
        totals.fail(L.CONTENTS_XML, "缺少卷内目录")
    for xlsx, rows in ((L.VOLUME_CATALOG_XLSX, catalog_rows), (L.CONTENTS_XLSX, contents_rows)):
        if xlsx not in data:
            totals.fail(xlsx, "缺少XLSX目录")
        else:
            _check_sheet(root / xlsx, xlsx, [row["档号"] for row in rows], r["usability.spreadsheets"])
    return catalog_rows, contents_rows


def _check_ref_nos(catalog_rows: list[dict[str, str]], ref: CheckResult) -> None:
    """档号: DA/T 13 form, unique, and the name of its folder."""
    seen: dict[str, int] = {}
    for n, row in enumerate(catalog_rows, 1):
        ref.checked += 1
        ref_no = row["档号"]
        if not REF_NO.fullmatch(ref_no):
            ref.fail(L.VOLUME_CATALOG_XML, f"第{n}卷档号“{ref_no}”格式不符合DA/T 13（层级间用“-”，层级内用“·”）")
        if ref_no in seen:
            ref.fail(L.VOLUME_CATALOG_XML, f"档号“{ref_no}”重复（第{seen[ref_no]}卷与第{n}卷）")
        seen.setdefault(ref_no, n)
        try:
            expected = ref_no_to_filename(ref_no)
        except NumberingError:
            expected = None
        if expected != row["文件夹"]:
            ref.fail(L.VOLUME_CATALOG_XML, f"第{n}卷文件夹“{row['文件夹']}”不是档号“{ref_no}”的文件名")


def _check_required_rows(catalog_rows: list[dict[str, str]], contents_rows: list[dict[str, str]],
                         required: CheckResult) -> None:
    for rel, rows in ((L.VOLUME_CATALOG_XML, catalog_rows), (L.CONTENTS_XML, contents_rows)):
        for n, row in enumerate(rows, 1):
            required.checked += 1
            empty = [f for f in REQUIRED[rel] if not row.get(f)]
            if empty:
                required.fail(rel, f"第{n}行{'、'.join(empty)}未填写")


def _check_folders(root: Path, tree: _Tree, data: dict[str, int], catalog_rows: list[dict[str, str]],
                   contents_rows: list[dict[str, str]], r: dict[str, CheckResult], min_dpi: int) -> dict[str, int]:
    """The volume folders against the catalogues, each checked (``_check_volume``); returns the
    actual totals of the volume folders."""
    paths, links = r["security.paths"], r["completeness.catalogue_links"]
    folders = {row["文件夹"]: row for row in catalog_rows if row["文件夹"]}
    top_dirs = sorted(d for d in tree.dirs if "/" not in d and d != L.SCHEMA_DIR)
    for d in top_dirs:
        if d not in folders:
            links.fail(d, "文件夹在案卷目录中没有对应的案卷")
    rows_by_ref: dict[str, list[dict[str, str]]] = {}
    for row in contents_rows:
        rows_by_ref.setdefault(row["档号"], []).append(row)
    for ref_no in sorted(set(rows_by_ref) - {row["档号"] for row in catalog_rows}):
        links.fail(L.CONTENTS_XML, f"卷内目录中档号“{ref_no}”在案卷目录中没有对应的案卷")
    by_folder: dict[str, dict[str, int]] = {}  # one pass over the files, not one per folder
    for rel, size in data.items():
        if "/" in rel:
            by_folder.setdefault(rel.split("/", 1)[0], {})[rel] = size
    files, size, images = 0, 0, 0
    formats: dict[str, str] = {}  # format → its first image
    for folder, row in folders.items():
        if _escapes(folder) or "/" in folder:
            paths.fail(L.VOLUME_CATALOG_XML, f"文件夹名越出移交包：{folder}")
            continue
        if folder not in top_dirs:
            links.fail(L.VOLUME_CATALOG_XML, f"案卷“{row['档号']}”的文件夹“{folder}”不存在")
            continue
        in_folder = by_folder.get(folder, {})
        files += len(in_folder)
        size += sum(in_folder.values())
        images += _check_volume(root, folder, row, in_folder, rows_by_ref.get(row["档号"], []), r, formats, min_dpi)
    if len(formats) > 1:  # DA/T 31: 同一批档案应采用相同的存储格式
        for fmt, first in sorted(formats.items()):
            r["usability.images"].fail(first, f"同一批图像使用了多种存储格式（{fmt}等）")
    return {"volumes": len(top_dirs), "images": images, "files": files, "bytes": size}


def _check_totals(root: Path, data: dict[str, int], actual: dict[str, int], totals: CheckResult) -> None:
    """What 说明文件.txt declares against what the volume folders hold."""
    declared: dict[str, int] = {}
    if L.README in data:
        declared = L.parse_totals((root / L.README).read_text(encoding="utf-8-sig", errors="replace"))
    else:
        totals.fail(L.README, "缺少说明文件")
    for key, label in L.TOTAL_LABELS.items():
        totals.checked += 1
        if key not in declared:
            totals.fail(L.README, f"说明文件未写明{label}")
        elif declared[key] != actual[key]:
            totals.fail(L.README, f"说明文件写明{label}{declared[key]}，实有{actual[key]}")


_CATALOG_NAMES = ("档号", "全宗号", "案卷号", "卷号", "案卷题名", "姓名", "页数", "图像数", "保管期限", "文件夹")
_CONTENTS_NAMES = ("档号", "顺序号", "序号", "类号", "材料名称", "材料形成时间", "页数", "起始页号", "终止页号",
                   "起始图像号", "终止图像号", "备注")


def _check_volume(root: Path, folder: str, row: dict[str, str], in_folder: dict[str, int],
                  package_rows: list[dict[str, str]], r: dict[str, CheckResult], formats: dict[str, str],
                  min_dpi: int) -> int:
    """The checks of one volume folder; returns how many images its metadata lists."""
    agrees, seq, links, required = (r["authenticity.metadata_agrees"], r["completeness.page_sequence"],
                                    r["completeness.catalogue_links"], r["completeness.required_fields"])
    ref, totals, images_check = r["authenticity.ref_no"], r["completeness.totals"], r["usability.images"]
    meta_rel = f"{folder}/{L.volume_metadata(folder)}"
    if meta_rel not in in_folder:
        totals.fail(meta_rel, "缺少案卷元数据")
        return 0
    doc = _parse(root / meta_rel, L.METADATA_XSD, r["usability.xml_schema"], meta_rel)
    if doc is None:
        return 0
    meta = doc.getroot()
    if (meta.findtext("档号") or "").strip() != row["档号"]:
        ref.fail(meta_rel, f"元数据中的档号“{meta.findtext('档号')}”与案卷目录“{row['档号']}”不一致")
    required.checked += 1
    empty = [f for f in REQUIRED["metadata"] if not (meta.findtext(f) or "").strip()]
    if empty:
        required.fail(meta_rel, f"{'、'.join(empty)}未填写")

    # 卷内目录 rows: the volume's own equal the package's
    own_rows = [_fields(el, _CONTENTS_NAMES) for el in meta.iterfind("卷内目录/条目")]
    agrees.checked += 1
    if own_rows != package_rows:
        agrees.fail(meta_rel, f"元数据中的卷内目录（{len(own_rows)}条）与{L.CONTENTS_XML}中该卷的条目"
                              f"（{len(package_rows)}条）不一致")

    pages = list(meta.iterfind("图像/页"))
    declared_count = _int(meta.find("图像").get("数量")) if meta.find("图像") is not None else None
    if declared_count != len(pages):
        agrees.fail(meta_rel, f"图像数量声明为{declared_count}，列出{len(pages)}幅")
    if _int(row["图像数"]) != len(pages):
        agrees.fail(L.VOLUME_CATALOG_XML, f"案卷“{row['档号']}”图像数{row['图像数']}与元数据{len(pages)}幅不一致")
    content = [p for p in pages if p.get("类型") == L.CONTENT]
    if _int(row["页数"]) != len(content):
        agrees.fail(L.VOLUME_CATALOG_XML, f"案卷“{row['档号']}”页数{row['页数']}与元数据正文页{len(content)}页不一致")

    page_formats = "、".join(sorted({p.get("格式", "") for p in pages}))
    if pages and (meta.findtext("数字化/存储格式") or "").strip() != page_formats:
        agrees.fail(meta_rel, f"存储格式记为“{meta.findtext('数字化/存储格式')}”，图像为“{page_formats}”")
    listed_names: set[str] = set()
    serials: list[int] = []
    for p in pages:
        name, number = p.get("文件名", ""), _int(p.get("图像号"))
        rel = f"{folder}/{name}"
        if _escapes(name) or "/" in name:
            r["security.paths"].fail(meta_rel, f"图像文件名越出案卷文件夹：{name}")
            continue
        listed_names.add(name)
        if number is not None:
            serials.append(number)
        agrees.checked += 1
        expected_name = f"{folder}-{number:04d}{Path(name).suffix}" if number else ""
        if name != expected_name:
            agrees.fail(rel, f"文件名应为“{expected_name}”（档号+图像号）")
        if rel not in in_folder:
            totals.fail(rel, "元数据所列图像文件不存在")
            continue
        if _int(p.get("字节数")) != in_folder[rel]:
            agrees.fail(rel, f"大小{in_folder[rel]}字节，元数据记为{p.get('字节数')}字节")
        magic = _head(root / rel, 8)
        if not magic.startswith(_MAGIC.get(p.get("格式", ""), b"\x00\x00\x00\x00")):
            agrees.fail(rel, f"文件内容不是元数据所记的{p.get('格式')}格式")
        _check_image(root / rel, rel, p, images_check, formats, min_dpi)

    # every file in the folder is the metadata's
    own = {L.volume_pdf(folder), L.volume_metadata(folder)}
    for rel in sorted(in_folder):
        base = rel[len(folder) + 1:]
        if base in listed_names or base in own:
            continue
        if L.image_serial(folder, base) is not None:
            links.fail(rel, "图像在案卷元数据中没有记录，未与卷内目录挂接")
        else:
            links.fail(rel, "案卷文件夹中有元数据未记录的文件")

    # serials 1…n without gaps (the files and the metadata)
    on_disk = sorted(n for rel in in_folder if (n := L.image_serial(folder, rel[len(folder) + 1:])) is not None)
    seq.checked += 1
    for label, numbers in (("图像文件", on_disk), ("元数据", sorted(serials))):
        missing = sorted(set(range(1, max(numbers, default=0) + 1)) - set(numbers))
        for n in missing:
            seq.fail(f"{folder}/{folder}-{n:04d}.jpg", f"{label}的图像号缺第{n}号")
        if len(set(numbers)) != len(numbers):
            seq.fail(meta_rel, f"{label}的图像号有重复")
    _page_numbers(meta_rel, content, own_rows, seq)

    # links: rows ↔ images
    by_ordinal = {_int(x["顺序号"]): x for x in own_rows}
    linked: dict[int, list[int]] = {}
    for p in content:
        entry = _int(p.get("条目"))
        if entry not in by_ordinal:
            links.fail(f"{folder}/{p.get('文件名')}", "正文图像没有对应的卷内目录条目")
        else:
            linked.setdefault(entry, []).append(_int(p.get("图像号")) or 0)
    for n, x in enumerate(package_rows, 1):
        links.checked += 1
        first, last = _int(x["起始图像号"]), _int(x["终止图像号"])
        what = f"卷内目录条目“{x['序号'] or x['顺序号']} {x['材料名称']}”"
        if first is None or last is None or last < first:
            links.fail(L.CONTENTS_XML, f"案卷“{row['档号']}”{what}没有挂接图像")
            continue
        for k in range(first, last + 1):
            rel = f"{folder}/{folder}-{k:04d}.jpg"
            if rel not in in_folder:
                links.fail(rel, f"{what}挂接的图像不存在")
        if not linked.get(_int(x["顺序号"])):
            links.fail(meta_rel, f"{what}在元数据中没有正文图像")

    # the PDF
    pdf_el = meta.find("PDF")
    pdf_rel = f"{folder}/{L.volume_pdf(folder)}"
    if pdf_rel not in in_folder:
        totals.fail(pdf_rel, "缺少PDF案卷文件")
    elif pdf_el is not None:
        agrees.checked += 1
        if pdf_el.get("文件名") != L.volume_pdf(folder):
            agrees.fail(pdf_rel, f"元数据记录的PDF文件名为“{pdf_el.get('文件名')}”")
        if _int(pdf_el.get("字节数")) != in_folder[pdf_rel]:
            agrees.fail(pdf_rel, f"大小{in_folder[pdf_rel]}字节，元数据记为{pdf_el.get('字节数')}字节")
        pages_in_pdf = _pdf_page_count(root / pdf_rel)
        if pages_in_pdf is not None and (pages_in_pdf != _int(pdf_el.get("页数")) or pages_in_pdf != len(pages)):
            agrees.fail(pdf_rel, f"PDF有{pages_in_pdf}页，元数据记为{pdf_el.get('页数')}页、图像{len(pages)}幅")
        pdfa = r["usability.pdfa"]
        pdfa.checked += 1
        if not _head(root / pdf_rel, 5).startswith(b"%PDF-"):
            agrees.fail(pdf_rel, "文件内容不是PDF格式")
        from ocr.pdfa_check import pdfa_problems

        for problem in pdfa_problems(root / pdf_rel):
            pdfa.fail(pdf_rel, problem)
    return len(pages)


def _check_sheet(path: Path, rel: str, ref_nos: list[str], result: CheckResult) -> None:
    """The XLSX twin of a catalogue XML opens (calamine: no macros run, no entities resolved) and
    its 档号 column lists the same volumes in the same order."""
    from python_calamine import CalamineWorkbook

    result.checked += 1
    try:
        rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).iter_rows()
        header = [str(v) for v in next(rows, [])]
        if "档号" not in header:
            result.fail(rel, "表格第一行没有“档号”列")
            return
        column = header.index("档号")
        listed = [str(row[column]) if column < len(row) else "" for row in rows]
    except Exception as err:  # noqa: BLE001 - calamine raises its own types for a damaged file
        result.fail(rel, f"表格无法打开：{str(err)[:200]}")
        return
    if listed != ref_nos:
        result.fail(rel, f"表格列出{len(listed)}行，与XML目录的{len(ref_nos)}行不一致" if len(listed) != len(ref_nos)
                    else "表格的档号与XML目录不一致")


def _page_numbers(meta_rel: str, content: list, rows: list[dict[str, str]], seq: CheckResult) -> None:
    """Page numbers of the content images, in image order: 1…n through the volume, or restarting
    at 1 with each 卷内目录 row (per-material numbering), without gaps either way."""
    numbers = [(_int(p.get("页号")), _int(p.get("条目"))) for p in content]
    if any(n is None for n, _ in numbers):
        seq.fail(meta_rel, "有正文图像没有页号")
        return
    volume_wise = [n for n, _ in numbers] == list(range(1, len(numbers) + 1))
    per_row: dict[int | None, list[int]] = {}
    for n, entry in numbers:
        per_row.setdefault(entry, []).append(n)
    material_wise = all(v == list(range(1, len(v) + 1)) for v in per_row.values())
    if not (volume_wise or material_wise):
        expected = 0
        for n, _ in numbers:
            expected += 1
            if n != expected:
                seq.fail(meta_rel, f"页号不连续：应为第{expected}页，实为第{n}页")
                break


def _check_image(path: Path, rel: str, page, result: CheckResult, formats: dict[str, str], min_dpi: int) -> None:
    from PIL import Image, UnidentifiedImageError

    result.checked += 1
    try:
        with Image.open(path) as im:
            fmt, mode, size, density = im.format or "", im.mode, im.size, im.info.get("dpi")
            im.load()  # decodes every pixel: a truncated or corrupt file fails here
    except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError) as err:
        result.fail(rel, f"图像无法解码：{err}")
        return
    formats.setdefault(fmt, rel)
    stated_dpi = _int(page.get("分辨率")) or 0
    colour = L.COLOUR_MODES.get(mode, (mode, 0))[0]
    if fmt != page.get("格式"):
        result.fail(rel, f"图像格式为{fmt}，元数据记为{page.get('格式')}")
    if colour != page.get("色彩模式"):
        result.fail(rel, f"色彩模式为{colour}，元数据记为{page.get('色彩模式')}")
    if (str(size[0]), str(size[1])) != (page.get("宽度"), page.get("高度")):
        result.fail(rel, f"图像为{size[0]}×{size[1]}像素，元数据记为{page.get('宽度')}×{page.get('高度')}")
    actual_dpi = round(float(density[0])) if density and density[0] else None
    if actual_dpi is not None and actual_dpi != stated_dpi:
        result.fail(rel, f"图像分辨率为{actual_dpi}dpi，元数据记为{stated_dpi}dpi")
    if (actual_dpi or stated_dpi) < min_dpi:
        result.fail(rel, f"分辨率{actual_dpi or stated_dpi}dpi低于{min_dpi}dpi（DA/T 31-2017）")


def _security(root: Path, data: dict[str, int], r: dict[str, CheckResult]) -> None:
    import zipfile

    enc, active = r["security.no_encryption"], r["security.no_active_content"]
    for rel in sorted(data):
        path = root / rel
        suffix = PurePosixPath(rel).suffix.lower()
        head = _head(path, 8)
        active.checked += 1
        enc.checked += 1
        if suffix not in ALLOWED_SUFFIXES:
            active.fail(rel, f"不允许的文件类型“{suffix or '无扩展名'}”")
        if head.startswith(_EXECUTABLE_MAGIC):
            active.fail(rel, "是可执行程序或脚本")
        if suffix == ".pdf" and head.startswith(b"%PDF-"):
            _pdf_security(path, rel, enc, active)
        elif suffix == ".xlsx":
            if head.startswith(b"\xd0\xcf\x11\xe0"):
                enc.fail(rel, "表格已加密（或为旧版二进制格式）")
            elif zipfile.is_zipfile(path):
                with zipfile.ZipFile(path) as z:
                    names = z.namelist()
                if any(n.lower().endswith(("vbaproject.bin", ".bin")) or "activex" in n.lower() for n in names):
                    active.fail(rel, "表格含有宏或ActiveX控件")
        elif suffix in (".xml", ".xsd"):
            with path.open("rb") as fh:
                start = fh.read(4096)
            if b"<!DOCTYPE" in start or b"<!ENTITY" in start:
                active.fail(rel, "XML含有DOCTYPE或实体声明")


def _pdf_security(path: Path, rel: str, enc: CheckResult, active: CheckResult) -> None:
    import pikepdf

    from ocr.pdfa_check import active_content

    try:
        with pikepdf.open(path) as pdf:
            if pdf.is_encrypted:
                enc.fail(rel, "PDF已加密")
            found = active_content(pdf)
            if found:
                active.fail(rel, "PDF含有活动内容：" + "、".join(found))
    except pikepdf.PasswordError:
        enc.fail(rel, "PDF已加密（需要密码）")
    except pikepdf.PdfError:
        pass  # unreadable: usability.pdfa reports it


def _pdf_page_count(path: Path) -> int | None:
    import pikepdf

    try:
        with pikepdf.open(path) as pdf:
            return len(pdf.pages)
    except pikepdf.PdfError:
        return None


def _head(path: Path, n: int) -> bytes:
    with path.open("rb") as fh:
        return fh.read(n)
