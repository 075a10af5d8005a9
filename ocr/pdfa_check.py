"""Does a file meet what ``ocr.pdfa`` writes for PDF/A-2b? Each requirement on its own.

No PDF/A validator (veraPDF) can be installed here, so the requirements a volume PDF could break
are checked one by one, as tests/ocr/test_pdfa.py does for the files we write: qpdf's checks for structure,
the binary-marker header, no encryption, a file identifier, an sRGB output intent, XMP naming part
2 conformance B and agreeing with the document information, page images in device colour without
soft masks, every font embedded (poppler's pdffonts), and nothing active (JavaScript, launch
actions, embedded files) — which PDF/A forbids too.
"""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import pikepdf

_ACTIVE = ("/JavaScript", "/JS", "/Launch", "/EmbeddedFile", "/EmbeddedFiles", "/RichMedia")


def pdfa_problems(path: Path) -> list[str]:
    """What keeps ``path`` from being the PDF/A-2b volume ``ocr`` writes (Chinese; empty: none)."""
    path = Path(path)
    problems: list[str] = []
    with path.open("rb") as fh:
        header = fh.read(32).split(b"\n")
    if not header[0].startswith(b"%PDF-1.") or len(header) < 2 or not header[1].startswith(b"%") \
            or sum(b > 127 for b in header[1][1:5]) != 4:
        problems.append("文件头不符合PDF/A（缺少二进制标记注释）")
    try:
        pdf = pikepdf.open(path)
    except pikepdf.PasswordError:
        return problems + ["PDF已加密"]
    except pikepdf.PdfError as err:
        return problems + [f"PDF无法打开：{err}"]
    with pdf:
        # qpdf --check, step by step, in-process (the qpdf command took 20 s of CPU on a 13-page volume)
        syntax = pdf.check_pdf_syntax() if hasattr(pdf, "check_pdf_syntax") else pdf.check()
        if syntax:
            problems.append(f"PDF结构有误（qpdf检查）：{syntax[0].replace(str(path), path.name)}")
        if pdf.is_encrypted:
            problems.append("PDF已加密")
        if pdf.pdf_version < "1.7":
            problems.append(f"PDF版本{pdf.pdf_version}低于1.7")
        if "/ID" not in pdf.trailer or len(pdf.trailer.ID) != 2:
            problems.append("缺少文件标识（trailer /ID）")
        problems += _intent_problems(pdf)
        problems += _metadata_problems(pdf)
        for n, page in enumerate(pdf.pages, 1):
            for image in (page.Resources.get("/XObject") or {}).values():
                if image.get("/ColorSpace") not in ("/DeviceRGB", "/DeviceGray") or "/SMask" in image:
                    problems.append(f"第{n}页图像的色彩空间或透明蒙版不符合PDF/A")
        if active := active_content(pdf):
            problems.append("含有活动内容：" + "、".join(active))
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True)
    fonts = [line.split() for line in out.stdout.splitlines()[2:]]
    if out.returncode != 0 or any(f[-5] != "yes" for f in fonts if len(f) >= 5):
        problems.append("有未嵌入的字体")
    return problems


def active_content(pdf: pikepdf.Pdf) -> list[str]:
    """Names of active or embedded content anywhere in the file (JavaScript, launch actions, …)."""
    found: set[str] = set()
    for obj in pdf.objects:
        if isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)):
            keys = set(obj.keys())
            found.update(k for k in _ACTIVE if k in keys)
            if obj.get("/S") in ("/JavaScript", "/Launch"):
                found.add(str(obj.get("/S")))
    return sorted(found)


def _intent_problems(pdf: pikepdf.Pdf) -> list[str]:
    from PIL import ImageCms

    intents = pdf.Root.get("/OutputIntents")
    if not intents or len(intents) != 1:
        return ["缺少PDF/A输出意图（OutputIntent）"]
    intent = intents[0]
    if intent.get("/S") != "/GTS_PDFA1" or not str(intent.get("/OutputConditionIdentifier", "")):
        return ["输出意图不是PDF/A的（GTS_PDFA1）"]
    profile = intent.get("/DestOutputProfile")
    if profile is None:
        return ["输出意图缺少ICC特性文件"]
    icc = profile.read_bytes()
    if profile.get("/N") != 3 or icc[16:20] != b"RGB " or icc[12:16] != b"mntr" or icc[8] > 4:
        return ["输出意图的ICC特性文件不是RGB显示器特性文件（ICC v4以下）"]
    try:
        ImageCms.ImageCmsProfile(io.BytesIO(icc))
    except (OSError, ValueError):
        return ["输出意图的ICC特性文件无法读取"]
    return []


def _metadata_problems(pdf: pikepdf.Pdf) -> list[str]:
    if "/Metadata" not in pdf.Root:
        return ["缺少XMP元数据"]
    problems = []
    if "/Filter" in pdf.Root.Metadata:
        problems.append("XMP元数据被压缩")
    xpacket = re.search(rb"<\?xpacket begin=[^>]*\?>", pdf.Root.Metadata.read_bytes())
    if not xpacket or b"bytes=" in xpacket[0] or b"encoding=" in xpacket[0]:
        problems.append("XMP数据包头不符合PDF/A")
    meta = pdf.open_metadata()
    if meta.pdfa_status != "2B":
        problems.append(f"XMP未声明PDF/A-2b（声明为“{meta.pdfa_status or '无'}”）")
    info = pdf.docinfo
    if "/Title" in info and meta.get("dc:title") != str(info.Title):
        problems.append("XMP标题与文档信息不一致")
    if "/Subject" in info and meta.get("dc:description") != str(info.Subject):
        problems.append("XMP主题与文档信息不一致")
    created = meta.get("xmp:CreateDate") or ""
    if "/CreationDate" in info and \
            created[:19].replace("-", "").replace(":", "").replace("T", "") != str(info.CreationDate)[2:16]:
        problems.append("XMP创建时间与文档信息不一致")
    return problems
