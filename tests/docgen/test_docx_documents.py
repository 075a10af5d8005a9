"""The generated DOCX read back with python-docx: rosters, archive roster copies, party roster,
archive-side catalogues, and every field of the seed forms (DOMAIN.md §3)."""

from __future__ import annotations

from collections import Counter, defaultdict

from docx import Document
from docx.oxml.ns import qn

from docgen.documents import ARCHIVE_COPY_LABELS

# DOMAIN.md §3.1
ROSTER_HEADER_FIELDS = ["单位名称", "移交县(市、区)", "移交街道(乡镇)社区"]
ROSTER_COLUMNS = ["序号", "个人编号", "姓名", "性别", "社会保障号码（身份证号）", "退休时间", "居住地详细地址",
                  "户口所在地地址"]
ROSTER_FOOTER = ["经办人", "经办时间", "单位签章"]
# DOMAIN.md §3.4
ARCHIVE_COLUMNS = ["姓名", "社会保障号码（身份证号）", "移交地县(市、区)街道(乡镇)、社区", "档案卷数", "页数",
                   "其它资料", "备注"]
ARCHIVE_FOOTER = ["填报人", "联系电话", "填报日期"]


def _clean(text: str) -> str:
    return text.replace("\n", "").replace("\u3000", "").replace(" ", "")


def _docx(bundle, entry):
    return Document(str(bundle[0] / entry.path))


def _data_rows(table):
    """Rows between the two header rows and the totals row."""
    rows = [[c.text for c in r.cells] for r in table.rows]
    return rows[2:-1], rows[-1]


def test_every_retiree_in_exactly_the_right_community_roster(bundle, routed, batch):
    out, manifest = bundle
    expected = defaultdict(set)
    for r, d in routed:
        expected[d.label].add(r.id_number)
    seen = Counter()
    entries = manifest.by_type("community_roster", "docx")
    assert {e.community for e in entries} == set(expected)
    for entry in entries:
        doc = _docx(bundle, entry)
        assert len(doc.tables) == entry.copies == 3  # 河南: 一式三份, the same table in each
        assert len({tuple(c.text for row in t.rows for c in row.cells) for t in doc.tables}) == 1
        table = doc.tables[0]
        fields = table.rows[0].cells[0].text
        for label in ROSTER_HEADER_FIELDS:
            assert f"{label}：" in fields
        assert batch.enterprise.name in fields
        headers = [_clean(c.text) for c in table.rows[1].cells]
        assert headers == [_clean(h) for h in ROSTER_COLUMNS]
        rows, totals = _data_rows(table)
        ids = [row[4] for row in rows]
        assert set(ids) == expected[entry.community]
        seen.update(ids)
        assert [row[0] for row in rows] == [str(i) for i in range(1, len(rows) + 1)]
        assert totals[0] == "合计" and f"{len(rows)}人" in totals
        assert entry.rows == len(rows)
        footer = " ".join(p.text for p in doc.sections[0].footer.paragraphs)
        for label in ROSTER_FOOTER:
            assert label in footer
        body = "\n".join(p.text for p in doc.paragraphs)
        assert "注：按街道(乡镇)、社区编制花名册。" in body
        # long tables: header rows repeat, rows do not split, page X of Y
        for tr in table.rows[:2]:
            assert tr._tr.trPr.find(qn("w:tblHeader")) is not None
        assert all(tr._tr.trPr.find(qn("w:cantSplit")) is not None for tr in table.rows)
        instr = [f.get(qn("w:instr")).strip() for f in doc.sections[0].footer._element.iter(qn("w:fldSimple"))]
        assert instr == ["PAGE", "SECTIONPAGES"]  # each copy numbered on its own
    assert all(count == 1 for count in seen.values())
    assert len(seen) == len(routed)


def test_archive_roster_one_file_per_street_four_labelled_copies(bundle, routed, volumes, missing):
    out, manifest = bundle
    streets = {f"{d.county}{d.street}" for _, d in routed}
    entries = manifest.by_type("archive_transfer_roster", "docx")
    assert sorted(e.community for e in entries) == sorted(streets)  # one file per street
    digitized = {v.id_number: v.pages for v in volumes}
    all_ids, text = [], ""
    for entry in entries:
        doc = _docx(bundle, entry)
        pdf = next(e for e in manifest.by_type("archive_transfer_roster", "pdf") if e.community == entry.community)
        assert len(doc.sections) == 4 and len(doc.tables) == 4  # nobody 未接收: one table per copy
        ids_of_street = sorted(r.id_number for r, d in routed if f"{d.county}{d.street}" == entry.community)
        for copy_index, label in enumerate(ARCHIVE_COPY_LABELS):
            section = doc.sections[copy_index]
            assert section.header.paragraphs[0].text == label
            assert section._sectPr.find(qn("w:pgNumType")).get(qn("w:start")) == "1"
            fields = list(section.footer._element.iter(qn("w:fldSimple")))
            assert [f.get(qn("w:instr")).strip() for f in fields] == ["PAGE", "SECTIONPAGES"]
            # the count a reader without SECTIONPAGES (LibreOffice 7.4) shows: the PDF's pages per copy
            assert "".join(t.text for t in fields[1].iter(qn("w:t"))) == str(pdf.pages // 4)
            footer = section.footer.paragraphs[0].text
            for label_text in ARCHIVE_FOOTER:
                assert label_text in footer
            table = doc.tables[copy_index]
            fields = table.rows[0].cells[0].text
            assert "单位名称：" in fields and "（盖章）" in fields and entry.community in fields
            assert [_clean(c.text) for c in table.rows[1].cells] == [_clean(h) for h in ARCHIVE_COLUMNS]
            rows, totals = _data_rows(table)
            assert sorted(row[1] for row in rows) == ids_of_street
            for row in rows:
                if row[1] in digitized:  # pages come from the digitized volume
                    assert row[4] == str(digitized[row[1]])
            assert totals[3] == str(sum(int(r[3]) for r in rows))
            assert totals[4] == str(sum(int(r[4]) for r in rows))
            if copy_index == 0:
                all_ids += [row[1] for row in rows]
        body = "\n".join(p.text for p in doc.paragraphs)
        assert body.count("注：此表一式四份，企业，经办机构，街道（乡镇）、社区，档案管理部门各一份。") == 4
        for line in ("接收部门核对意见：", "接收人（签字）：", "移交单位（盖章）："):
            assert body.count(line) == 4  # the receiving block of every copy
        text += "\n".join(c.text for t in doc.tables for r in t.rows for c in r.cells)
    assert sorted(all_ids) == sorted(r.id_number for r, _ in routed)
    assert f"缺{missing[0].material}，见书面说明（编号2026-001）" in text


def test_party_roster_lists_party_members_only(bundle, routed):
    out, manifest = bundle
    (entry,) = manifest.by_type("party_transfer_roster", "docx")
    doc = _docx(bundle, entry)
    ids = []
    for table in doc.tables:
        assert [c.text for c in table.rows[1].cells][:4] == ["序号", "姓名", "性别", "身份证号"]
        rows, _ = _data_rows(table)
        ids += [row[3] for row in rows]
    assert sorted(ids) == sorted(r.id_number for r, _ in routed if r.party_member)


def test_archive_side_catalogues(bundle, volumes):
    out, manifest = bundle
    community = volumes[0].community
    (catalog,) = [e for e in manifest.by_type("volume_catalog", "docx") if e.community == community]
    (ledger,) = [e for e in manifest.by_type("ledger", "docx") if e.community == community]
    (contents,) = [e for e in manifest.by_type("contents_list", "docx") if e.community == community]
    mine = sorted((v for v in volumes if v.community == community), key=lambda v: v.volume_no)
    rows, totals = _data_rows(_docx(bundle, catalog).tables[0])
    assert [r[1] for r in rows] == [v.ref_no for v in mine]
    assert totals[4] == str(sum(v.pages for v in mine))
    rows, _ = _data_rows(_docx(bundle, ledger).tables[0])
    assert [r[5] for r in rows] == [v.id_number for v in mine]
    doc = _docx(bundle, contents)
    assert len(doc.tables) == len(mine)  # one 卷内目录 per volume
    rows, totals = _data_rows(doc.tables[0])
    titles = [r[1] for r in rows if r[1]]
    # canonical class order, dates ascending within a class, numbering restarting per class
    assert titles == ["职工登记表", "专业技术职务评审表", "招工审批表", "退休审批表"]
    assert [r[0] for r in rows if r[1]] == ["一-1", "四-2-1", "九-1", "九-2"]  # 类号-份号
    assert totals[4] == str(mine[0].pages)
    notes = [e for e in manifest.by_type("note_sheet", "docx") if e.community == community][0]
    text = "\n".join(c.text for t in _docx(bundle, notes).tables for r in t.rows for c in r.cells)
    for label in ("本卷情况说明", "立卷人", "检查人", "立卷时间"):
        assert label in text
    assert f"本卷共有材料{mine[0].material_count}份，{mine[0].pages}页。" in text


def test_missing_statement_per_person_numbered(bundle, missing, batch, routed):
    out, manifest = bundle
    (entry,) = manifest.by_type("missing_statement", "docx")
    street = next(f"{d.county}{d.street}" for r, d in routed if r.id_number == missing[0].id_number)
    assert entry.community == street and entry.path.startswith(f"10_书面说明/{street}/")
    assert entry.title == f"档案材料缺失情况说明 2026-001 {missing[0].name}"
    doc = _docx(bundle, entry)
    header = [c.text for c in doc.tables[0].rows[0].cells]
    assert header == ["序号", "姓名", "身份证号", "材料名称", "原因", "备注"]
    row = [c.text for c in doc.tables[0].rows[1].cells]
    assert row[:5] == ["1", missing[0].name, missing[0].id_number, missing[0].material, missing[0].reason]
    body = "\n".join(p.text for p in doc.paragraphs)
    assert f"{batch.enterprise.name}（盖章）" in body and "2026年11月20日" in body
    assert "编号：2026-001" in body


def test_xlsx_rosters(bundle, routed):
    from openpyxl import load_workbook
    out, manifest = bundle
    (entry,) = [e for e in manifest.by_type("community_roster", "xlsx")]
    wb = load_workbook(out / entry.path, read_only=True)
    ids = []
    for ws in wb.worksheets:
        rows = list(ws.iter_rows(values_only=True))
        assert rows[2][:3] == ("序号", "个人编号", "姓名")
        ids += [r[4] for r in rows[3:] if r[0] and r[0] != "合计" and str(r[0]).isdigit()]
    assert sorted(ids) == sorted(r.id_number for r, _ in routed)


def test_cadre_contents_list_variant(volumes, tmp_path):
    from docgen.docx_tables import render_table_docx
    from docgen.documents import contents_list
    from docgen.pdf_tables import render_table_pdf

    doc = contents_list(volumes[0], variant="cadre", skeleton=True)
    render_table_docx(doc, tmp_path / "c.docx")
    assert render_table_pdf(doc, tmp_path / "c.pdf") >= 1
    table = Document(str(tmp_path / "c.docx")).tables[0]
    assert [c.text for c in table.rows[1].cells] == ["序号", "材料名称", "材料形成时间", "页数", "备注"]
    rows, _ = _data_rows(table)
    assert [r[0] for r in rows if r[1]] == ["一-1", "四-2-1", "九-1", "九-2"]
    assert len(rows) == 18 + 4  # skeleton: one blank row after each of the 18 classes


def test_xml_special_characters_survive(batch, routed, tmp_path):
    from docgen.docx_tables import render_table_docx
    from docgen.documents import archive_transfer_rosters, community_roster
    from docgen.pdf_tables import render_table_pdf

    ent = batch.enterprise.model_copy(update={"name": "甲&乙<机械>厂", "contact": "张&三"})
    r, d = routed[0]
    r = r.model_copy(update={"remarks": "备注<含>&符号"})
    (doc,) = archive_transfer_rosters(ent, [(r, d)])
    render_table_docx(doc, tmp_path / "a.docx")
    render_table_pdf(doc, tmp_path / "a.pdf")
    text = "\n".join(c.text for t in Document(str(tmp_path / "a.docx")).tables for row in t.rows for c in row.cells)
    assert "甲&乙<机械>厂（盖章）" in text and "备注<含>&符号" in text
    roster = community_roster(ent, d, [r])
    roster.title = "花名册 & <测试>"
    render_table_docx(roster, tmp_path / "r.docx")
    assert Document(str(tmp_path / "r.docx")).paragraphs[0].text == "花名册 & <测试>"
