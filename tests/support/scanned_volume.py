"""A sample volume folder as the digitization pipeline leaves it for delivery: page images that
carry their resolution (JFIF density and ocr.json), and a PDF/A-2b volume made of those images
with each page's recognized lines as its invisible text layer.

``tests.support.sample_volume`` writes the folders fast, with unknown resolution and a plain PDF;
this turns one into what a DA/T 31 package needs (tests and benchmarks of ``handover deliver``).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from handover import volume_folder as vf

DPI = 300


def make_scanned(root: Path, title: str, dpi: int = DPI, *, text_layer: bool = True,
                 reencode: bool = True) -> Path:
    """Rewrite the volume folder ``root`` in place: images at ``dpi``, ocr.json to match, PDF/A
    (without its text layer when ``text_layer`` is False, as an image-only scan PDF). With
    ``reencode`` False the images are JPEGs at ``dpi`` already (real scans) and kept as they are."""
    from PIL import Image

    from ocr.pdf_volume import PdfPage, write_pdf
    from ocr.records import OcrLine

    ocr = vf.read_ocr(root)
    pages, pdf_pages = [], []
    for p in ocr.pages:
        path = root / vf.PAGES / vf.page_image(p.index)
        with Image.open(path) as im:
            if reencode:
                im.load()
                im.save(path, "JPEG", quality=85, dpi=(dpi, dpi))
            w, h = im.size
        pages.append(replace(p, dpi=dpi, width=w, height=h))
        lines = [OcrLine(line.text, line.box, line.confidence) for line in p.lines] if text_layer else []
        pdf_pages.append(PdfPage(path.read_bytes(), dpi, w, h, lines, p.page_no))
    write_pdf(root / vf.VOLUME_PDF, pdf_pages, title, "sample", pdfa=True)
    vf.write(root, replace(ocr, pages=tuple(pages)))
    return root
