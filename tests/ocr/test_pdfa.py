"""PDF/A-2b volumes: what ISO 19005-2 level B asks of the files we write.

No PDF/A validator (veraPDF) can be installed here, so each requirement the volume could break is
checked on its own: poppler's pdffonts for embedded fonts, qpdf for structure, pikepdf for the
output intent, XMP identification and its agreement with the document information.
"""

from __future__ import annotations

import io
import re
import subprocess

import pikepdf
from fontTools.ttLib import TTFont
from PIL import Image, ImageCms, ImageDraw

from ocr.pdf_volume import PdfPage, write_pdf
from ocr.records import OcrLine


def _fonts(pdf_path) -> list[list[str]]:
    out = subprocess.run(["pdffonts", str(pdf_path)], capture_output=True, text=True, check=True).stdout
    return [line.split() for line in out.splitlines()[2:]]


def assert_pdfa_2b(path) -> None:
    assert subprocess.run(["qpdf", "--check", str(path)], capture_output=True).returncode == 0
    header = path.read_bytes()[:32].split(b"\n")
    assert header[0].startswith(b"%PDF-1.") and header[1].startswith(b"%") and \
        sum(b > 127 for b in header[1][1:5]) == 4  # the binary-file marker comment (6.1.2)
    with pikepdf.open(path) as pdf:
        assert pdf.pdf_version >= "1.7" and not pdf.is_encrypted
        assert len(pdf.trailer.ID) == 2
        (intent,) = pdf.Root.OutputIntents
        assert intent.S == "/GTS_PDFA1" and str(intent.OutputConditionIdentifier)
        icc = intent.DestOutputProfile.read_bytes()
        assert intent.DestOutputProfile.N == 3 and icc[16:20] == b"RGB " and icc[12:16] == b"mntr" and icc[8] <= 4
        ImageCms.ImageCmsProfile(io.BytesIO(icc))  # a profile lcms can read
        assert "/Filter" not in pdf.Root.Metadata  # XMP stays readable without decoding
        xpacket = re.search(rb"<\?xpacket begin=[^>]*\?>", pdf.Root.Metadata.read_bytes())
        assert xpacket and b"bytes=" not in xpacket[0] and b"encoding=" not in xpacket[0]  # 6.6.2.1
        meta = pdf.open_metadata()
        assert meta.pdfa_status == "2B"
        assert meta["dc:title"] == str(pdf.docinfo.Title)
        assert meta["dc:description"] == str(pdf.docinfo.Subject)
        assert meta["xmp:CreateDate"][:19].replace("-", "").replace(":", "").replace("T", "") == \
            str(pdf.docinfo.CreationDate)[2:16]
        for page in pdf.pages:
            for image in page.Resources.XObject.values():
                assert image.ColorSpace in ("/DeviceRGB", "/DeviceGray") and "/SMask" not in image
    fonts = _fonts(path)
    assert fonts and all(f[-5] == "yes" for f in fonts), fonts  # the "emb" column (then sub, uni, object, generation)


def test_volume_is_pdfa_2b(volume):
    _, out = volume
    assert_pdfa_2b(out / "volume.pdf")


def _page(text: str) -> PdfPage:
    im = Image.new("L", (1240, 1754), 255)  # A4 at 150 dpi keeps the test small
    ImageDraw.Draw(im).rectangle((100, 100, 700, 160), fill=0)
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=80)
    return PdfPage(buf.getvalue(), 150, im.width, im.height, [OcrLine(text, (100, 100, 700, 160), 0.99)], 12,
                   stamp="12", stamp_corner="top_right")


def test_stamped_page_number_font_is_embedded_with_its_true_widths(tmp_path):
    path = tmp_path / "v.pdf"
    write_pdf(path, [_page("职工登记表")], "J001 张三 人事档案", "公民身份号码 410102********123X", pdfa=True)
    assert_pdfa_2b(path)
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True).stdout
    assert "职工登记表" in text and re.search(r"\b12\b", text)
    with pikepdf.open(path) as pdf:
        font = pdf.pages[0].Resources.Font.Fs
        program = TTFont(io.BytesIO(font.FontDescriptor.FontFile2.read_bytes()))
        scale = 1000 / program["head"].unitsPerEm
        cmap = program.getBestCmap()
        for code in b"0123456789-":
            want = round(program["hmtx"][cmap[code]][0] * scale)
            assert font.Widths[code - int(font.FirstChar)] == want, chr(code)
        assert "/Helvetica" not in {str(f.get("/BaseFont")) for p in pdf.pages for f in p.Resources.Font.values()}


def test_plain_pdf_when_pdfa_is_off(tmp_path):
    path = tmp_path / "v.pdf"
    write_pdf(path, [_page("退休审批表")], "J001 人事档案", "x", pdfa=False)
    with pikepdf.open(path) as pdf:
        assert "/OutputIntents" not in pdf.Root
        assert pdf.open_metadata().pdfa_status == ""
        assert str(pdf.docinfo.Title) == "J001 人事档案"
    assert all(f[-5] == "yes" for f in _fonts(path))
