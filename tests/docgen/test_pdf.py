"""Issue 9: the direct (reportlab) PDFs agree with the DOCX row for row; labels and page numbers
on every page; rows never split; long addresses wrapped, never cut; valid files, fonts embedded."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from docx import Document

from docgen import documents as D
from docgen.documents import ARCHIVE_COPY_LABELS
from docgen.pdf_tables import MARGINS, Measure, layout, render_table_pdf
from docgen.pdffont import pdf_fonts
from handover.models import Destination

from .conftest import pdfinfo_pages, pdftotext_pages, tool

ID = re.compile(r"\d{17}[\dX]")


def _raw(pdf: Path) -> str:
    return subprocess.run([tool("pdftotext"), "-raw", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


def _flat(text: str) -> str:
    return re.sub(r"[\s\u3000]", "", text)


def _page_no(page: str) -> tuple[int, int] | None:
    m = re.search(r"第\s*(\d+)\s*页\s*共\s*(\d+)\s*页", page)
    return (int(m.group(1)), int(m.group(2))) if m else None


def _docx_rows(path: Path) -> list[list[str]]:
    rows = []
    for table in Document(str(path)).tables:
        rows += [[c.text for c in r.cells] for r in list(table.rows)[2:-1]]
    return rows


def _assert_rows_in_order(rows: list[list[str]], text: str) -> None:
    flat, pos = _flat(text), 0
    for row in rows:
        cell_text = _flat("".join(row))
        found = flat.find(cell_text, pos)
        assert found >= 0, f"row missing or out of order: {row[:3]}"
        pos = found + len(cell_text)


def _pair(bundle, doc_type):
    out, manifest = bundle
    docx = manifest.by_type(doc_type, "docx")[0]
    pdf = next(e for e in manifest.by_type(doc_type, "pdf") if e.community == docx.community)
    return out / docx.path, out / pdf.path, pdf


def test_archive_roster_pdf_per_street_every_retiree_once_per_copy_in_docx_order(bundle, routed):
    """One file per 街道(乡镇): each copy's pages are numbered 第 1 页 … 共 N 页 of that street alone."""
    out, manifest = bundle
    seen = []
    streets = {f"{d.county}{d.street}" for _, d in routed}
    entries = manifest.by_type("archive_transfer_roster", "pdf")
    assert {e.community for e in entries} == streets
    for entry in entries:
        docx = next(e for e in manifest.by_type("archive_transfer_roster", "docx") if e.community == entry.community)
        rows = _docx_rows(out / docx.path)
        per_copy = len(rows) // 4
        docx_ids = [r[1] for r in rows[:per_copy]]
        assert sorted(docx_ids) == sorted(r.id_number for r, d in routed if f"{d.county}{d.street}" == entry.community)
        seen += docx_ids
        pdf = out / entry.path
        pages = pdftotext_pages(pdf)
        assert len(pages) == pdfinfo_pages(pdf) == entry.pages
        per_copy_pages = len(pages) // 4
        for c, label in enumerate(ARCHIVE_COPY_LABELS):
            chunk = pages[c * per_copy_pages:(c + 1) * per_copy_pages]
            ids = [i for page in chunk for i in ID.findall(page)]
            assert ids == docx_ids  # once per copy, in the DOCX's order
            for number, page in enumerate(chunk, 1):
                assert _flat(label) in _flat(page)
                assert _page_no(page) == (number, per_copy_pages)  # the street's own numbering
                assert "省属企业退休人员社会化管理服务档案移交名册表" in page  # title on every page
                assert entry.community in page  # the street in the header fields
                assert "填报人" in page and "联系电话" in page and "填报日期" in page  # signature footer
                assert "社会保障号码" in page  # header row repeated
            # the receiving block closes each copy
            assert "接收部门核对意见" in chunk[-1] and "接收人（签字）" in chunk[-1]
            assert "移交单位（盖章）" in chunk[-1]
            assert not any("接收部门核对意见" in page for page in chunk[:-1])
        _assert_rows_in_order(rows[:per_copy], _raw(pdf))
    assert sorted(seen) == sorted(r.id_number for r, _ in routed)


@pytest.mark.parametrize("doc_type", ["community_roster", "party_transfer_roster", "volume_catalog",
                                      "ledger", "contents_list"])
def test_other_tables_pdf_agree_with_docx(bundle, doc_type):
    docx, pdf, entry = _pair(bundle, doc_type)
    rows = [r for r in _docx_rows(docx) if any(r)]
    raw = _raw(pdf)
    _assert_rows_in_order(rows, raw)
    pages = pdftotext_pages(pdf)
    per_copy = len(pages) // entry.copies  # each copy numbered on its own (河南 花名册: three)
    for number, page in enumerate(pages):
        assert _page_no(page) == (number % per_copy + 1, per_copy)


def test_forms_pdf_one_page_per_person(bundle, routed):
    out, manifest = bundle
    for kind in ("basic_info_form", "destination_survey"):
        entry = manifest.by_type(kind, "pdf")[0]
        people = [r for r, d in routed if d.label == entry.community]
        pages = pdftotext_pages(out / entry.path)
        assert len(pages) == len(people) == entry.pages
        for r, page in zip(people, pages):
            assert r.id_number in page and _flat(r.name) in _flat(page)


def test_long_addresses_wrap_and_rows_never_split(batch, tmp_path):
    long = batch.retirees[0].residence.model_copy(update={
        "detail": "建设路128号院东区幸福家园小区十二号楼三单元五层五零二室（原纺织厂家属院北门进入右转第二栋）"})
    people = [batch.retirees[0].model_copy(update={"residence": long})] + batch.retirees[1:70]
    doc = D.community_roster(batch.enterprise, Destination(county="金水区", street="经八路街道",
                                                           community="黄河路社区"), people)
    pdf = tmp_path / "roster.pdf"
    render_table_pdf(doc, pdf)
    assert long.full() in _raw(pdf).replace("\n", "")
    # every page's rows fit between the header row and the footer: no row is split or cut
    lay = layout(doc, Measure(pdf_fonts()))
    bottom = MARGINS["landscape"]["bottom"] * 72 / 25.4
    for page in lay.pages:
        used = lay.header.height + sum(r.height for r in page.rows)
        assert lay.table_top - used >= bottom
    assert sum(len(p.rows) for p in lay.pages) == len(people) + 1  # + totals
    assert any(len(c) > 1 for r in lay.pages[0].rows for c in r.cells)  # wrapped, not cut


def test_pdf_files_are_valid_and_fonts_embedded(bundle):
    out, manifest = bundle
    pdfs = [out / e.path for e in manifest.documents if e.format == "pdf"]
    assert pdfs
    for pdf in pdfs[:12] + [out / manifest.by_type("archive_transfer_roster", "pdf")[0].path]:
        check = subprocess.run([tool("qpdf"), "--check", str(pdf)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
        fonts = subprocess.run([tool("pdffonts"), str(pdf)], capture_output=True, text=True,
                               check=True).stdout.splitlines()[2:]
        assert fonts
        for line in fonts:
            emb, sub = line.split()[-5], line.split()[-4]
            assert (emb, sub) == ("yes", "yes"), line


def test_pdf_cost_is_independent_of_copies_layout(bundle):
    """The layout is computed once and drawn per copy: four copies have 4× the pages of one."""
    docx, pdf, entry = _pair(bundle, "archive_transfer_roster")
    assert entry.pages % 4 == 0


def test_rare_name_characters_are_drawn_from_a_fallback_face(batch, profile, tmp_path):
    """堃 and 喆 are outside GB 2312 (the Kaiti face): their glyphs come from Noto Serif CJK SC."""
    from docgen.bundle import generate_bundle

    rare = "王堃喆"
    assert pdf_fonts().missing("堃喆") or pdf_fonts().fallbacks  # the main face alone cannot draw them
    people = [batch.retirees[0].model_copy(update={"name": rare})] + batch.retirees[1:5]
    m = generate_bundle(batch.enterprise, people, profile, tmp_path, text_pdf=False, per_person=False)
    assert not pdf_fonts().missing(rare)
    assert not any("缺少字符" in w for w in m.warnings)
    roster = next(e for e in m.by_type("community_roster", "pdf")
                  if rare in _flat("".join(pdftotext_pages(tmp_path / e.path))))
    fonts = subprocess.run(["pdffonts", str(tmp_path / roster.path)], capture_output=True, text=True).stdout
    assert "NotoSerifCJKsc" in fonts  # the glyphs come from the fallback face, embedded


def test_a_name_beyond_the_bmp_copies_out_of_the_pdf_as_written(batch, profile, tmp_path):
    """陈𬌗 (U+2C317, outside the BMP, drawn by the fallback face): pdftotext gives the name back.
    reportlab's ToUnicode map wrote the code point as five hex digits, which copied out as another
    character; the map now holds it as a UTF-16 surrogate pair."""
    from docgen.bundle import generate_bundle

    rare = "陈\U0002C317"
    people = [batch.retirees[0].model_copy(update={"name": rare})] + batch.retirees[1:5]
    m = generate_bundle(batch.enterprise, people, profile, tmp_path, text_pdf=False, per_person=False)
    assert not any("缺少字符" in w for w in m.warnings)
    texts = [_flat("".join(pdftotext_pages(tmp_path / e.path))) for e in m.by_type("community_roster", "pdf")]
    assert sum(rare in t for t in texts) == 1
    assert not any("陈" + "\ufffd" in t for t in texts)


def test_a_name_noto_lacks_is_drawn_from_hanazono_and_copies_out(batch, profile, tmp_path):
    """陈𬱖 (U+2C456, CJK extension E: in no Noto face, in 花園明朝B of fonts-hanazono): no 缺少字符
    warning, the glyph embedded from HanaMinB, and pdftotext gives the name back."""
    from docgen.bundle import generate_bundle

    rare = "陈\U0002C456"
    people = [batch.retirees[0].model_copy(update={"name": rare})] + batch.retirees[1:5]
    m = generate_bundle(batch.enterprise, people, profile, tmp_path, text_pdf=False, per_person=False)
    assert not any("缺少字符" in w for w in m.warnings)
    roster = next(e for e in m.by_type("community_roster", "pdf")
                  if rare in _flat("".join(pdftotext_pages(tmp_path / e.path))))
    fonts = subprocess.run(["pdffonts", str(tmp_path / roster.path)], capture_output=True, text=True).stdout
    assert "HanaMinB" in fonts


def test_a_character_no_face_has_is_reported(batch, profile, tmp_path):
    from docgen.bundle import generate_bundle

    odd = "王\U000f0001"  # private use: no installed face draws it
    people = [batch.retirees[0].model_copy(update={"name": odd})] + batch.retirees[1:3]
    m = generate_bundle(batch.enterprise, people, profile, tmp_path, text_pdf=False, per_person=False)
    assert any("缺少字符" in w and "\U000f0001" in w for w in m.warnings)


def test_contact_cards_pdf(bundle, routed):
    out, manifest = bundle
    entry = manifest.by_type("contact_card", "pdf")[0]
    people = [r for r, d in routed if d.label == entry.community]
    pages = pdftotext_pages(out / entry.path)
    assert len(pages) == -(-len(people) // 10) == entry.pages  # ten cards per A4 page
    text = _flat("".join(pages))
    for r in people:
        assert _flat(r.name) in text and r.person_no in text


def test_rare_characters_accumulate_in_one_fallback_face():
    from docgen.pdffont import cover

    first = cover("堃")
    second = cover("喆玥")
    assert not second.missing("堃喆玥")
    assert len(second.fallbacks) == len(first.fallbacks)  # replaced, not one more face per run
