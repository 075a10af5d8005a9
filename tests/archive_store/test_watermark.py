"""水印 on page images and PDFs (archive_store.watermark): the visible tiled mark, the invisible
identifier read back from the copy, the PDF still valid and its text still extractable."""

from __future__ import annotations

import io
import subprocess

import pikepdf
import pytest
from PIL import Image, ImageChops, ImageDraw
from reportlab.pdfgen import canvas

from archive_store.watermark import Mark, mark_image, mark_in_text, mark_pdf, new_mark_id, read_mark, visible_for
from docgen.pdffont import cover
from ocr.fonts import font

MARK = Mark("刘社工（comm_a）", "纬五路社区", "2026-12-04 18:40", 7, "0123456789ab")
PAGE_TEXT = "退休审批表 张建国"


def _page(fmt: str = "JPEG", size=(1240, 1754)) -> bytes:
    img = Image.new("RGB", size, (250, 248, 240))
    ImageDraw.Draw(img).text((100, 100), PAGE_TEXT, fill=0, font=font("serif", 60))
    out = io.BytesIO()
    img.save(out, fmt)
    return out.getvalue()


def _pixels(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data)).convert("L")


def _pdf(pages: int = 3, size=(595.0, 842.0)) -> bytes:
    """A PDF whose page text pdftotext reads (an embedded TrueType face, like the volume PDFs')."""
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=size)
    fonts = cover(PAGE_TEXT + "第页")
    for n in range(1, pages + 1):
        c.setFont(fonts.main, 14)
        c.drawString(72, size[1] - 100, f"{PAGE_TEXT} 第{n}页")
        c.showPage()
    c.save()
    return buf.getvalue()


def test_the_visible_mark_is_tiled_over_the_whole_page_and_the_id_is_in_the_file():
    original = _page()
    marked, media = mark_image(original, MARK, visible=True)
    assert media == "image/jpeg" and read_mark(marked) == MARK.mark_id
    diff = ImageChops.difference(_pixels(original), _pixels(marked)).point(lambda v: 255 if v > 24 else 0)
    w, h = diff.size
    # Every cell of a 4×4 grid holds some of the mark: a pattern over the page, not a stamp in a corner.
    for i in range(4):
        for j in range(4):
            cell = diff.crop((i * w // 4, j * h // 4, (i + 1) * w // 4, (j + 1) * h // 4))
            assert cell.getbbox() is not None, (i, j)
    # Semi-transparent: the page's own black text is still black under it.
    assert _pixels(marked).crop((100, 100, 600, 170)).getextrema()[0] < 40


def test_the_id_outlives_stripped_metadata_recompression_and_cropping():
    marked, _ = mark_image(_page(), MARK, visible=True)
    leaked = Image.open(io.BytesIO(marked)).crop((37, 101, 1100, 1500))  # part of the page, re-saved
    leaked.info = {}  # the metadata is gone
    out = io.BytesIO()
    leaked.save(out, "JPEG", quality=50)
    assert Image.open(io.BytesIO(out.getvalue())).info.get("comment") is None
    assert read_mark(out.getvalue()) == MARK.mark_id


def test_png_stays_png_and_without_the_visible_mark_the_pixels_are_the_stored_ones():
    for fmt, media in (("JPEG", "image/jpeg"), ("PNG", "image/png")):
        original = _page(fmt, (400, 560))
        plain, got = mark_image(original, MARK, visible=False)
        assert got == media and read_mark(plain) == MARK.mark_id
        assert ImageChops.difference(_pixels(original), _pixels(plain)).getbbox() is None
        marked, got = mark_image(original, MARK, visible=True)
        assert got == media and read_mark(marked) == MARK.mark_id
        assert ImageChops.difference(_pixels(original), _pixels(marked)).getbbox() is not None
    assert read_mark(_page()) is None


def test_the_marked_pdf_is_valid_keeps_its_text_and_carries_the_mark(tmp_path):
    original = _pdf()
    marked = mark_pdf(original, MARK, visible=True)
    path = tmp_path / "marked.pdf"
    path.write_bytes(marked)
    check = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert all(f"{PAGE_TEXT} 第{n}页" in text for n in (1, 2, 3))  # the page text, unscattered
    assert "刘社工（comm_a）" in text and "申请第7号" in text
    assert mark_in_text(text) == read_mark(marked) == MARK.mark_id
    with pikepdf.open(io.BytesIO(marked)) as pdf:
        assert len(pdf.pages) == 3
        assert str(pdf.open_metadata()["xmpMM:InstanceID"]).endswith(MARK.mark_id)
    assert read_mark(original) is None


def test_the_visible_mark_is_drawn_on_every_pdf_page_and_can_be_left_off(tmp_path):
    def rendered(data: bytes, name: str) -> list[Image.Image]:
        (tmp_path / f"{name}.pdf").write_bytes(data)
        subprocess.run(["pdftoppm", "-r", "40", "-gray", str(tmp_path / f"{name}.pdf"), str(tmp_path / name)],
                       check=True)
        return [Image.open(p).convert("L") for p in sorted(tmp_path.glob(f"{name}-*.pgm"))]

    original = rendered(_pdf(2), "original")
    visible = rendered(mark_pdf(_pdf(2), MARK, visible=True), "visible")
    hidden = rendered(mark_pdf(_pdf(2), MARK, visible=False), "hidden")
    assert len(original) == len(visible) == len(hidden) == 2
    for a, b, c in zip(original, visible, hidden):
        assert ImageChops.difference(a, b).getbbox() is not None
        assert ImageChops.difference(a, c).getbbox() is None  # the id is invisible text only


def test_mixed_page_sizes_each_get_a_fitting_mark(tmp_path):
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    for size in ((595.0, 842.0), (842.0, 595.0), (595.0, 842.0)):
        c.setPageSize(size)
        c.drawString(72, 72, "page")
        c.showPage()
    c.save()
    marked = mark_pdf(buf.getvalue(), MARK, visible=True)
    with pikepdf.open(io.BytesIO(marked)) as pdf:
        assert [tuple(float(v) for v in p.mediabox) for p in pdf.pages] == [
            (0, 0, 595, 842), (0, 0, 842, 595), (0, 0, 595, 842)]


def test_ids_differ_and_only_custodians_may_go_without_the_visible_mark():
    assert len({new_mark_id() for _ in range(100)}) == 100
    assert visible_for(False, False) and visible_for(False, True) and visible_for(True, True)
    assert not visible_for(True, False)


@pytest.mark.parametrize("text,found", [("水印编号 0123456789ab 刘社工", "0123456789ab"),
                                        ("HandoverMark=0123456789ab", "0123456789ab"), ("nothing", None)])
def test_mark_in_text(text, found):
    assert mark_in_text(text) == found


def test_a_volume_pdf_keeps_its_invisible_ocr_text_under_the_mark(tmp_path):
    """The volume PDF as ocr.pdf_volume writes it (scan JPEGs, glyphless OCR text, PDF/A-2b)."""
    from ocr.pdf_volume import PdfPage, write_pdf
    from ocr.records import OcrLine

    line = "经研究同意该同志办理退休审批手续"
    pages = [PdfPage(_page("JPEG", (620, 877)), 75, 620, 877, [OcrLine(line, (60, 200, 560, 230), 0.9)], n)
             for n in (1, 2)]
    write_pdf(tmp_path / "volume.pdf", pages, "张建国人事档案", "test", pdfa=True)
    marked = tmp_path / "marked.pdf"
    marked.write_bytes(mark_pdf((tmp_path / "volume.pdf").read_bytes(), MARK, visible=True))
    assert subprocess.run(["qpdf", "--check", str(marked)], capture_output=True).returncode == 0
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(marked), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert text.count(line) == 2 and text.count(MARK.mark_id) == 2


@pytest.mark.slow
def test_the_visible_mark_is_read_back_from_the_page_by_ocr():
    """What a photographed page would show: the viewer, the time and the request, legible."""
    import cv2
    import numpy as np
    from PIL import ImageOps

    from ocr import models

    marked, _ = mark_image(_page(), MARK, visible=True)
    # The mark is the only grey on the page: darken it, and turn its slant level for the reader.
    level = _pixels(marked).rotate(-30, expand=True, fillcolor=255, resample=Image.BICUBIC)
    level = ImageOps.autocontrast(level.point(lambda v: 0 if v < 60 else v), cutoff=1)
    result, _ = models.rapidocr()(cv2.cvtColor(np.asarray(level), cv2.COLOR_GRAY2BGR))
    read = [text.replace(" ", "") for _, text, _ in result or []]
    assert "刘社工（comm_a）纬五路社区" in read
    assert any("2026-12-0418:40申请第7号" in text for text in read)


def test_the_marked_image_keeps_its_resolution():
    out = io.BytesIO()
    Image.new("RGB", (400, 560), (250, 248, 240)).save(out, "JPEG", dpi=(200, 200))
    marked, _ = mark_image(out.getvalue(), MARK, visible=True)
    assert Image.open(io.BytesIO(marked)).info["dpi"] == (200, 200)  # a print of it keeps the page's size


# Peak memory of marking a PDF file in a fresh interpreter, above what its imports took.
_PEAK = """
import re, sys
from pathlib import Path
from archive_store.watermark import Mark, mark_pdf_file
import pikepdf, reportlab.pdfgen.canvas
from docgen.pdffont import cover
cover("x")
def hwm():  # this process's own peak RSS in kB (ru_maxrss would carry the parent's over a fork)
    return int(re.search(r"VmHWM:\\s+(\\d+)", Path("/proc/self/status").read_text()).group(1))
base = hwm()
mark = Mark("刘社工（comm_a）", "纬五路社区", "2026-12-04 18:40", 7, "0123456789ab")
mark_pdf_file(Path(sys.argv[1]), Path(sys.argv[2]), mark, visible=True)
print((hwm() - base) * 1024)
"""


def _scan_sized_pdf(path, pages: int, scan_bytes: int = 1_000_000) -> None:
    """Pages each holding one scan-sized image stream (random bytes: nothing to compress, and
    never decoded — the mark is laid over the page, the scan copied as it is)."""
    import os

    pdf = pikepdf.new()
    for n in range(pages):
        pdf.add_blank_page(page_size=(595, 842))
        image = pikepdf.Stream(pdf, os.urandom(scan_bytes))
        image.update({"/Type": pikepdf.Name.XObject, "/Subtype": pikepdf.Name.Image, "/Width": 2480,
                      "/Height": 3508, "/ColorSpace": pikepdf.Name.DeviceRGB, "/BitsPerComponent": 8,
                      "/Filter": pikepdf.Name.DCTDecode})
        page = pdf.pages[n]
        page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image))
        page.Contents = pikepdf.Stream(pdf, b"q 595 0 0 842 0 0 cm /Im0 Do Q")
    pdf.save(path)


def test_marking_a_volume_pdf_does_not_hold_its_pages_in_memory(tmp_path):
    """A downloaded volume of 60 pages is ~50 MB of scans: marked file to file, the memory it takes
    is the same for 6 pages as for 60 (the bytes version held the PDF twice over)."""
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    peaks = {}
    for pages in (6, 60):
        source = tmp_path / f"v{pages}.pdf"
        _scan_sized_pdf(source, pages)
        run = subprocess.run([sys.executable, "-c", _PEAK, str(source), str(tmp_path / "out.pdf")], cwd=root,
                             capture_output=True, text=True, env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"})
        assert run.returncode == 0, run.stderr
        peaks[pages] = int(run.stdout.split()[-1])
        with pikepdf.open(tmp_path / "out.pdf") as out:
            assert len(out.pages) == pages and str(out.docinfo["/HandoverMark"]) == MARK.mark_id
    # 54 MB more of scans: well under a fifth of it more in memory
    assert peaks[60] - peaks[6] < 54_000_000 / 5, peaks
