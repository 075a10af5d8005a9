"""The DA/T 31 delivery package on disk, defined once: file names, schemas, the manifest and the
declared totals. ``deliver`` writes it, ``four_checks`` reads it (pure: names and small parsers).

    PACKAGE/ 说明文件.txt            what, who, when, counts (文件数/字节数 of the volume folders), software
             案卷目录.xml / .xlsx    one row per volume
             卷内目录.xml / .xlsx    one row per material, linked to its images by 图像号
             schema/*.xsd            the schemas the XML files follow (copies of templates/dat31)
             <档号>/                 one folder per volume, named ``numbering.ref_no_to_filename(档号)``
                 <档号>-0001.jpg …   the page images (档号 + 图像流水号, DA/T 31-2017)
                 <档号>.pdf          the PDF/A-2b volume
                 <档号>.xml          案卷元数据: digitization attributes, 卷内目录 rows, every image
             manifest-sha256.txt     SHA-256 of every file above, ``sha256sum -c`` compatible
             四性检测报告.json / .html  the checks of the package as written (not in the manifest)

Encoding: UTF-8 for every XML and text file. The 2012 national rules allow GB18030 or UTF-8; UTF-8
holds every character GB18030 does (the rare characters of old names included), is what XML
parsers assume without a declaration and what lxml, Excel/WPS and browsers read without setup.
说明文件.txt starts with a byte-order mark so that old Windows Notepad (which guesses GBK
otherwise) shows it right.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from handover.config import TEMPLATES_DIR

FORMAT_VERSION = "1"
README = "说明文件.txt"
VOLUME_CATALOG_XML = "案卷目录.xml"
CONTENTS_XML = "卷内目录.xml"
VOLUME_CATALOG_XLSX = "案卷目录.xlsx"
CONTENTS_XLSX = "卷内目录.xlsx"
SCHEMA_DIR = "schema"
MANIFEST = "manifest-sha256.txt"
REPORT_JSON = "四性检测报告.json"
REPORT_HTML = "四性检测报告.html"
NOT_IN_MANIFEST = (MANIFEST, REPORT_JSON, REPORT_HTML)  # written after (or as) the manifest

XSD_DIR = TEMPLATES_DIR / "dat31"
VOLUME_CATALOG_XSD = "案卷目录.xsd"
CONTENTS_XSD = "卷内目录.xsd"
METADATA_XSD = "案卷元数据.xsd"
ROW_XSD = "卷内目录条目.xsd"  # included by the two above
SCHEMAS = (VOLUME_CATALOG_XSD, CONTENTS_XSD, METADATA_XSD, ROW_XSD)

# Colour modes as PIL names them → (the metadata's word, bits per pixel).
COLOUR_MODES = {"RGB": ("彩色", 24), "L": ("灰度", 8), "1": ("黑白", 1)}
IMAGE_FORMATS = {"JPEG": ".jpg"}  # the one storage format of a batch (DA/T 31: 同一批采用相同格式)
CONTENT, BLANK, DUPLICATE = "正文", "空白页", "重复页"
MIN_DPI = 200  # DA/T 31-2017 §9.5: at least 200 dpi

# The totals 说明文件.txt declares for the volume folders, one "label：number" line each.
TOTAL_LABELS = {"volumes": "案卷数", "images": "图像数", "files": "文件数", "bytes": "字节数"}
_TOTAL_LINE = re.compile(r"^(案卷数|图像数|文件数|字节数)：(\d+)\s*$", re.M)


def volume_pdf(folder: str) -> str:
    return f"{folder}.pdf"


def volume_metadata(folder: str) -> str:
    return f"{folder}.xml"


def image_serial(folder: str, name: str) -> int | None:
    """The 图像流水号 of ``<folder>-0001.jpg``; None for a name not of that form."""
    m = re.fullmatch(re.escape(folder) + r"-(\d{4,})\.[a-z0-9]+", name)
    return int(m.group(1)) if m else None


def xsd_path(name: str) -> Path:
    return XSD_DIR / name


def totals_text(totals: dict[str, int]) -> str:
    return "".join(f"{TOTAL_LABELS[k]}：{totals[k]}\n" for k in TOTAL_LABELS)


def parse_totals(text: str) -> dict[str, int]:
    """The declared totals found in 说明文件.txt (labels as in ``TOTAL_LABELS``)."""
    by_label = {v: k for k, v in TOTAL_LABELS.items()}
    return {by_label[label]: int(n) for label, n in _TOTAL_LINE.findall(text)}


@dataclass(frozen=True)
class ManifestLine:
    sha256: str
    path: str  # relative, "/"-separated, as written in the manifest


_MANIFEST_LINE = re.compile(r"^([0-9a-f]{64}) [ *](.+)$")


def manifest_line(sha256: str, path: str) -> str:
    return f"{sha256}  {path}\n"


def parse_manifest(text: str) -> tuple[list[ManifestLine], list[int]]:
    """(lines, numbers of malformed lines)."""
    lines, bad = [], []
    for n, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        m = _MANIFEST_LINE.match(raw)
        if m:
            lines.append(ManifestLine(m.group(1), m.group(2)))
        else:
            bad.append(n)
    return lines, bad


def read_ref_nos(root: Path) -> list[str]:
    """The 档号 of 案卷目录.xml in catalogue order (entities never resolved, nothing fetched); empty
    when the file is missing, a link, or unreadable (the 四性检测 reports why)."""
    from lxml import etree

    path = Path(root) / VOLUME_CATALOG_XML
    if path.is_symlink() or not path.is_file():
        return []
    out = []
    try:
        for _, el in etree.iterparse(str(path), tag="案卷", resolve_entities=False, no_network=True,
                                     load_dtd=False):
            out.append((el.findtext("档号") or "").strip())
            el.clear()
    except etree.XMLSyntaxError:
        return []
    return [r for r in out if r]
