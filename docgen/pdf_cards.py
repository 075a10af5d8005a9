"""社会化管理服务联系卡 as PDF: ten 90 × 54 mm cards per A4 page, drawn from the same context the
DOCX template (contact_card.docx) is filled with, so both print the same cards."""

from __future__ import annotations

from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from .pdf_tables import Measure, _Drawer
from .pdf_streams import binary_streams
from .pdffont import PdfFonts, pdf_fonts
from .text_docs import CARD_LABELS

CARD_W, CARD_H, COLS, ROWS = 90 * mm, 54 * mm, 2, 5
LEFT, TOP = 15 * mm, 10 * mm


def render_cards_pdf(context: dict, out: Path, fonts: PdfFonts | None = None) -> int:
    fonts = fonts or pdf_fonts()
    cards = [card for pair in context["pairs"] for card in pair]
    per_page = COLS * ROWS
    with binary_streams():
        c = Canvas(str(out), pagesize=A4, pageCompression=1, initialFontName=fonts.main, initialFontSize=10)
        c.setTitle("社会化管理服务联系卡")
        d = _Drawer(c, Measure(fonts), fonts)
        pages = 0
        for start in range(0, len(cards), per_page):
            ops = ["0.6 w"]
            for i, card in enumerate(cards[start:start + per_page]):
                x = LEFT + (i % COLS) * CARD_W
                y = A4[1] - TOP - (i // COLS + 1) * CARD_H
                ops.append(f"{x:.2f} {y:.2f} {CARD_W:.2f} {CARD_H:.2f} re S")
                if not card.get("title"):
                    continue
                d.text(x + CARD_W / 2, y + CARD_H - 9 * mm, card["title"], 13, "center", bold=True)
                ly = y + CARD_H - 16 * mm
                for key, label in CARD_LABELS.items():
                    d.text(x + 5 * mm, ly, f"{label}{card.get(key, '')}", 9.5)
                    ly -= 4.6 * mm
                d.text(x + CARD_W / 2, y + 2.5 * mm, card.get("hint", ""), 7.5, "center")
            c._code.append(" ".join(ops))
            c.showPage()
            pages += 1
        c.save()
    return pages
