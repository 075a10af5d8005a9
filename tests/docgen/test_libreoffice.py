"""A real client opens the DOCX: LibreOffice converts the text documents and small tables, with the
fonts the templates request (fonts.conf), and the page counts come out as laid out."""

from __future__ import annotations

import math
import re
import shutil
import subprocess

import pytest

from docgen import documents as D
from docgen.convert import convert_to_pdf
from docgen.docx_tables import render_table_docx
from docgen.forms import basic_info_values, survey_values
from docgen.forms_docx import FormRenderer
from docgen.records import NoteSheet
from docgen.text_docs import contact_cards_context, note_sheet_context, render

from .conftest import pdfinfo_pages, pdftotext_pages

pytestmark = pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")


@pytest.fixture(scope="module")
def converted(bundle, batch, routed, volumes, tmp_path_factory):
    out, manifest = bundle
    work = tmp_path_factory.mktemp("lo")
    ent = batch.enterprise
    three = routed[:3]
    files = {}
    files["basic"] = FormRenderer("basic_info_form").write(
        [basic_info_values(r, ent, i, home_province="河南省") for i, (r, _) in enumerate(three, 1)],
        work / "basic.docx")
    files["survey"] = FormRenderer("destination_survey").write(
        [survey_values(r, ent, d) for r, d in three], work / "survey.docx")
    files["notes"] = FormRenderer("note_sheet").write(
        [note_sheet_context(NoteSheet(v.ref_no, v.name, v.pages, v.material_count, transferor=ent.name))
         for v in volumes[:3]], work / "notes.docx", top_level=True)
    files["cards"] = render("contact_card", contact_cards_context(routed[:13], ent), work / "cards.docx")
    d0 = routed[0][1]
    files["roster"] = render_table_docx(D.community_roster(ent, d0, [r for r, _ in routed[:30]]),
                                        work / "roster.docx")
    (agreement,) = manifest.by_type("transfer_agreement", "docx")[:1]
    files["agreement"] = out / agreement.path
    files["statement"] = out / manifest.by_type("missing_statement", "docx")[0].path
    files["statement_list"] = out / manifest.by_type("missing_statement_list", "docx")[0].path
    files["archive_roster"] = out / manifest.by_type("archive_transfer_roster", "docx")[0].path
    pdfs = convert_to_pdf(list(files.values()), out_dir=work / "pdf")  # one soffice call
    return dict(zip(files, pdfs))


def test_every_document_converts_with_expected_pages(converted):
    assert pdfinfo_pages(converted["basic"]) == 3  # one page per person
    assert pdfinfo_pages(converted["survey"]) == 3
    assert pdfinfo_pages(converted["notes"]) == 3  # one 备考表 per volume
    assert pdfinfo_pages(converted["cards"]) == math.ceil(13 / 10)  # ten cards per A4 page
    assert pdfinfo_pages(converted["statement"]) == 1
    roster_pages = pdftotext_pages(converted["roster"])
    assert 2 <= len(roster_pages) <= 4
    assert all("个人编号" in p and "社会保障号码" in p for p in roster_pages)  # header row repeated


def test_street_archive_roster_four_copies_each_numbered_from_one(converted):
    """LibreOffice 7.4 restarts PAGE per copy but does not compute SECTIONPAGES: it shows the
    cached count, the PDF layout's (Word and WPS compute it)."""
    pages = pdftotext_pages(converted["archive_roster"])
    numbers = [int(re.search(r"第\s*(\d+)\s*页\s*共\s*\d+\s*页", p).group(1)) for p in pages]
    assert numbers.count(1) == 4  # 一式四份, each copy of the street numbered on its own
    per_copy = len(pages) // 4
    assert numbers == list(range(1, per_copy + 1)) * 4
    assert sum("接收部门核对意见" in p for p in pages) == 4
    assert "档案材料缺失情况一览表" in pdftotext_pages(converted["statement_list"])[0]


def test_agreement_pages_and_signature_block(converted):
    pages = pdftotext_pages(converted["agreement"])
    assert 3 <= len(pages) <= 8
    assert "企业退休人员社会化管理服务移交协议" in pages[0]
    assert "乙方（盖章）" in pages[-1]
    for i, page in enumerate(pages, 1):
        assert re.search(rf"—\s*{i}\s*—", page)  # GB/T 9704 page numbers


def test_requested_cjk_fonts_not_sans_fallback(converted):
    fonts = subprocess.run(["pdffonts", str(converted["agreement"])], capture_output=True, text=True,
                           check=True).stdout
    assert "GBZenKai" in fonts  # 仿宋 -> AR PL KaitiM GB (templates/fonts.conf)
    assert "NotoSerifCJK" in fonts  # 小标宋 -> Noto Serif CJK SC
    assert "DejaVu" not in fonts
    for line in fonts.splitlines()[2:]:
        assert line.split()[-5] == "yes"  # embedded
