"""Issue 14: the 档案移交名册表 as the receipt — one file per street, what the archive received in
place of what the roster declared, persons not received listed apart, the 合计 never alone on a
page (PDF, and the DOCX as LibreOffice lays it out), counts as numbers and totals as formulas in
the XLSX, and the enterprise's 书面说明 per person and per street."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import zipfile

import pytest
from docx import Document
from docx.oxml.ns import qn
from openpyxl import load_workbook

from docgen import documents as D
from docgen.bundle import generate_bundle, number_statements
from docgen.docx_tables import render_table_docx
from docgen.pdf_tables import Measure, layout, render_table_pdf
from docgen.pdffont import pdf_fonts
from docgen.records import NOT_RECEIVED, MissingItem, ReceiptLine
from handover.models import Destination

from .conftest import pdftotext_pages

ID = re.compile(r"\d{17}[\dX]")
STREET = Destination(county="二七区", street="建中街", community="民主路社区")


def _street(batch, n: int, declared_pages: int = 30):
    """``n`` persons of one street, each declaring one volume of ``declared_pages`` pages."""
    return [(r.model_copy(update={"archive_volumes": 1, "archive_pages": declared_pages}), STREET)
            for r in batch.retirees[:n]]


def _line_of(pages: list[str], id_number: str) -> str:
    return next(line for page in pages for line in page.splitlines() if id_number in line)


# --- the model: declared or received figures, 未接收 apart -----------------------------------

def test_without_receipts_the_declared_figures_stand(batch):
    pairs = _street(batch, 3, declared_pages=40)
    (doc,) = D.archive_transfer_rosters(batch.enterprise, pairs)
    (section,) = doc.sections
    assert [row[3:5] for row in section.rows] == [("1", "40")] * 3
    assert section.totals[1] == "3人" and section.totals[3:5] == ("3", "120")


def test_received_figures_replace_declared_and_not_received_are_listed_apart(batch):
    pairs = _street(batch, 4, declared_pages=40)
    short, gone = pairs[0][0].id_number, pairs[1][0].id_number
    receipts = {short: ReceiptLine(pages=38, remark="缺基本养老金核定表，见书面说明（编号2026-001）"),
                gone: ReceiptLine(NOT_RECEIVED),
                pairs[2][0].id_number: ReceiptLine(volumes=1, pages=40)}
    (doc,) = D.archive_transfer_rosters(batch.enterprise, pairs, receipts,
                                        remarks={short: "从检查起草的备注（被接收备注取代）"})
    received, apart = doc.sections
    rows = {row[1]: row for row in received.rows}
    assert gone not in rows
    assert rows[short][4] == "38" and rows[short][6] == "缺基本养老金核定表，见书面说明（编号2026-001）"
    assert rows[pairs[3][0].id_number][4] == "40"  # no receipt line: the declared figure
    assert received.totals[1] == "3人" and received.totals[4] == str(38 + 40 + 40)
    assert [row[1] for row in apart.rows] == [gone]
    assert apart.rows[0][4] == "40" and apart.rows[0][6] == "档案未接收"  # declared, not counted above
    assert dict(apart.fields)["未接收"].startswith("1人")
    assert apart.totals[1] == "1人"


def test_deliberate_mismatch_shows_in_the_regenerated_roster_pdf_docx_and_xlsx(batch, profile, tmp_path):
    """Declared 40 pages, 38 received: the roster, its PDF and its XLSX say 38; 未接收 apart."""
    people = [r for r, _ in _street(batch, 6, declared_pages=40)]
    short, gone = people[0].id_number, people[1].id_number
    from handover.routing import Assignment
    assignments = [Assignment(destination=STREET, rule="测试") for _ in people]
    receipts = {short: ReceiptLine(pages=38), gone: ReceiptLine(NOT_RECEIVED)}
    m = generate_bundle(batch.enterprise, people, profile, tmp_path, assignments=assignments, receipts=receipts,
                        text_pdf=False, per_person=False)
    docx, pdf, xlsx = (m.by_type("archive_transfer_roster", f)[0] for f in ("docx", "pdf", "xlsx"))
    assert docx.community == "二七区建中街" and docx.rows == 6

    pages = pdftotext_pages(tmp_path / pdf.path)
    per_copy = pages[:len(pages) // 4]
    assert re.search(r"\s1\s+38\b", _line_of(per_copy, short))
    assert any("未接收" in page and gone in page for page in per_copy)
    total_line = next(line for page in per_copy for line in page.splitlines() if "合计" in line and "5人" in line)
    assert re.search(rf"\s5\s+{38 + 4 * 40}\b", total_line)

    tables = Document(str(tmp_path / docx.path)).tables
    assert len(tables) == 8  # received and 未接收, in each of the four copies
    assert [c.text for c in tables[0].rows[2].cells][4] == "38"

    wb = load_workbook(tmp_path / xlsx.path)
    ws = wb.worksheets[0]
    values = {row[1]: row for row in ws.iter_rows(values_only=True)}
    assert values[short][3:5] == (1, 38)
    assert gone in values  # the 未接收 table on the same sheet
    totals = [row for row in ws.iter_rows(values_only=True) if row[0] == "合计"]
    assert len(totals) == 2 and all(str(t[4]).startswith("=SUM(") for t in totals)


# --- no 合计 alone on a page ------------------------------------------------------------------

def _page_fill(batch) -> int:
    """Data rows on a full page of the 档案移交名册表 (from a street far longer than a page)."""
    (doc,) = D.archive_transfer_rosters(batch.enterprise, _street(batch, 60), copies=1)
    return len(layout(doc, Measure(pdf_fonts())).pages[0].rows)


def test_street_that_exactly_fills_a_page_keeps_its_total_with_the_last_row_pdf(batch, tmp_path):
    fill = _page_fill(batch)
    for n in range(fill - 2, fill + 3):
        pairs = _street(batch, n)
        (doc,) = D.archive_transfer_rosters(batch.enterprise, pairs, copies=1)
        pdf = tmp_path / f"s{n}.pdf"
        render_table_pdf(doc, pdf)
        pages = pdftotext_pages(pdf)
        for page in pages:
            if "合计" in page or "接收部门核对意见" in page:
                assert ID.search(page), (n, page[:200])  # never a page of totals or signatures alone
        ids = [row[1] for row in doc.sections[0].rows]
        assert [i for page in pages for i in ID.findall(page)] == ids
        if n == fill:  # exactly a page of rows: the last one goes over with the 合计
            assert len(pages) == 2
            assert ID.findall(pages[1]) == ids[-1:]
            assert "合计" in pages[1] and "接收部门核对意见" in pages[1]


def test_docx_keeps_the_last_row_with_the_total_and_the_receiving_block(batch, tmp_path):
    (doc,) = D.archive_transfer_rosters(batch.enterprise, _street(batch, 5), copies=1)
    path = render_table_docx(doc, tmp_path / "s.docx")
    word = Document(str(path))
    table = word.tables[0]

    def kept(row) -> bool:
        return all(p._p.pPr is not None and p._p.pPr.find(qn("w:keepNext")) is not None
                   for c in row.cells for p in c.paragraphs)
    data = list(table.rows)[2:-1]
    assert [kept(r) for r in data] == [False] * 4 + [True]
    assert kept(table.rows[-1])  # the 合计 keeps with the note and the receiving block
    closing = word.paragraphs[-len(doc.closing):]
    assert [p.text for p in closing] == doc.closing
    assert word.paragraphs[-1].text.startswith("接收部门（盖章）")
    assert [p._p.pPr.find(qn("w:keepNext")) is not None for p in closing] == [True] * 3 + [False]


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")
def test_libreoffice_never_leaves_the_total_alone_on_a_page(batch, tmp_path):
    """LibreOffice lays out the DOCX of streets around a page of rows (its page holds more rows
    than the PDF's): every page with the 合计 or the receiving block also has rows."""
    from docgen.convert import convert_to_pdf

    sizes = range(12, 20)
    docs = [D.archive_transfer_rosters(batch.enterprise, _street(batch, n), copies=1)[0] for n in sizes]
    files = [render_table_docx(doc, tmp_path / f"s{n}.docx") for n, doc in zip(sizes, docs)]
    pdfs = convert_to_pdf(files, out_dir=tmp_path / "pdf")
    pages_seen = set()
    for n, doc, pdf in zip(sizes, docs, pdfs):
        pages = pdftotext_pages(pdf)
        pages_seen.add(len(pages))
        assert [i for page in pages for i in ID.findall(page)] == [row[1] for row in doc.sections[0].rows]
        for page in pages:
            if "合计" in page or "接收部门核对意见" in page:
                assert ID.search(page), (n, page[:200])
    assert pages_seen == {1, 2}  # the sizes cross a page: one of them exactly fills it


# --- XLSX -------------------------------------------------------------------------------------

def test_xlsx_per_street_a_sheet_per_copy_numbers_and_sum_formulas(bundle, routed):
    out, manifest = bundle
    entries = manifest.by_type("archive_transfer_roster", "xlsx")
    assert sorted(e.community for e in entries) == sorted({f"{d.county}{d.street}" for _, d in routed})
    for entry in entries:
        expected = sorted(r.id_number for r, d in routed if f"{d.county}{d.street}" == entry.community)
        wb = load_workbook(out / entry.path)
        assert wb.sheetnames == D.ARCHIVE_COPY_LABELS  # named by copy and holder
        for ws, label in zip(wb.worksheets, D.ARCHIVE_COPY_LABELS):
            assert ws.cell(1, 1).value == label
            rows = list(ws.iter_rows())
            head = next(i for i, r in enumerate(rows) if r[0].value == "姓\u3000名")
            total = next(i for i, r in enumerate(rows) if r[0].value == "合计")
            data = rows[head + 1:total]
            assert sorted(r[1].value for r in data) == expected
            for r in data:
                assert r[1].data_type == "s"  # ID numbers stay text
                assert isinstance(r[3].value, int) and isinstance(r[4].value, int)
            first, last = head + 2, total  # 1-based sheet rows of the data
            assert rows[total][3].value == f"=SUM(D{first}:D{last})"
            assert rows[total][4].value == f"=SUM(E{first}:E{last})"
            assert rows[total][1].value == f"{len(data)}人"
            texts = [r[0].value for r in rows[total + 1:]]
            assert "接收部门核对意见：" in texts and any(str(t).startswith("接收部门（盖章）") for t in texts)


def test_manifest_and_zip_list_the_per_street_files(bundle, routed):
    out, manifest = bundle
    streets = {f"{d.county}{d.street}" for _, d in routed}
    with zipfile.ZipFile(out / manifest.zip_path) as z:
        names = set(z.namelist())
    for fmt in ("docx", "pdf", "xlsx"):
        entries = manifest.by_type("archive_transfer_roster", fmt)
        assert {e.community for e in entries} == streets
        for e in entries:
            assert e.path == f"03_档案移交名册表/档案移交名册表_{e.community}.{fmt}" and e.path in names
            assert e.copies == 4
            assert e.rows == sum(f"{d.county}{d.street}" == e.community for _, d in routed)


# --- 书面说明 ---------------------------------------------------------------------------------

def test_statements_numbered_in_roster_order_one_per_person(routed):
    (a, da), (b, db) = routed[5], routed[2]
    items = [MissingItem(a.name, a.id_number, "转正定级表", ""), MissingItem(b.name, b.id_number, "招工审批表", ""),
             MissingItem(a.name, a.id_number, "基本养老金核定表", "")]
    st = number_statements("某厂", items, routed, dt.date(2026, 12, 1))
    order = sorted([(da.county, da.street, 5, a.id_number), (db.county, db.street, 2, b.id_number)])
    assert [st[pid].number for *_, pid in order] == ["2026-001", "2026-002"]
    assert [i.material for i in st[a.id_number].items] == ["转正定级表", "基本养老金核定表"]
    assert st[a.id_number].enterprise == "某厂"


def test_statement_list_per_street_agrees_with_the_statements_and_the_roster(batch, profile, tmp_path):
    people = [r for r, _ in _street(batch, 4)]
    other = Destination(county="二七区", street="淮河路街道", community="大学路社区")
    from handover.routing import Assignment
    assignments = [Assignment(destination=STREET if i < 3 else other, rule="测试") for i in range(4)]
    missing = [MissingItem(people[1].name, people[1].id_number, "基本养老金核定表", "原始材料遗失"),
               MissingItem(people[1].name, people[1].id_number, "转正定级表", ""),
               MissingItem(people[3].name, people[3].id_number, "招工审批表", "")]
    m = generate_bundle(batch.enterprise, people, profile, tmp_path, assignments=assignments, missing=missing,
                        text_pdf=False, per_person=False, today=dt.date(2026, 12, 1))
    statements = m.by_type("missing_statement", "docx")
    assert sorted(e.community for e in statements) == ["二七区建中街", "二七区淮河路街道"]
    lists = {e.community: e for e in m.by_type("missing_statement_list", "docx")}
    assert set(lists) == {"二七区建中街", "二七区淮河路街道"}
    assert {e.community for e in m.by_type("missing_statement_list", "pdf")} == set(lists)
    rows = [[c.text for c in r.cells] for r in Document(str(tmp_path / lists["二七区建中街"].path)).tables[0].rows]
    listed = [r for r in rows[2:] if r[0].isdigit()]
    assert [(r[1], r[4], r[6]) for r in listed] == [(people[1].name, "基本养老金核定表", "2026-001"),
                                                    (people[1].name, "转正定级表", "2026-001")]
    assert listed[0][5] == "原始材料遗失"
    mine = next(e for e in statements if e.community == "二七区建中街")
    body = "\n".join(p.text for p in Document(str(tmp_path / mine.path)).paragraphs)
    assert "编号：2026-001" in body
    roster = next(e for e in m.by_type("archive_transfer_roster", "docx") if e.community == "二七区建中街")
    cells = [c.text for t in Document(str(tmp_path / roster.path)).tables for r in t.rows for c in r.cells]
    assert "缺基本养老金核定表、转正定级表，见书面说明（编号2026-001）" in cells
    assert not [e for e in m.by_type("missing_statement_list") if e.community not in lists]
