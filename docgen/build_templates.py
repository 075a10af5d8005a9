"""Build the DOCX templates in templates/docx/ (re-runnable: ``python -m docgen.build_templates``).

The files are ordinary Word/WPS documents an office may edit (wording, clauses, fonts, margins,
a logo). Placeholders:

* ``{{ … }}`` / ``{%p … %}`` / ``{%tr … %}`` — docxtpl (Jinja) tags, filled from the context that
  ``docgen.text_docs`` documents for each template;
* ``«…»`` — markers the table renderer replaces: ``«fields»`` (header fields of each table),
  ``«key»`` in the one data row that is cloned per record, ``«∑key»`` in the totals row,
  ``«copy_label»`` in the page header. Column headers of table templates are rewritten from the
  document model (docgen.documents) so that the DOCX and the PDF always agree.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from handover.config import TEMPLATES_DIR

from . import documents as D
from .forms import BASIC_INFO, INFO_COLLECTION, PARTY_AGREEMENT, PARTY_LETTER, SURVEY, FormSpec
from .model import Column
from .ooxml import (FANGSONG, HEI, KAI, SONG, XBS, add_field, fixed_layout, page_setup, row_props,
                    set_cell_borders, set_child, set_font, table_borders, v_align)

DOCX_DIR = TEMPLATES_DIR / "docx"
ALIGN = {"left": WD_ALIGN_PARAGRAPH.LEFT, "center": WD_ALIGN_PARAGRAPH.CENTER,
         "right": WD_ALIGN_PARAGRAPH.RIGHT}

TABLE_TEMPLATES: dict[str, tuple[list[Column], str]] = {
    "community_roster": (D.ROSTER_COLUMNS, "landscape"),
    "archive_transfer_roster": (D.ARCHIVE_COLUMNS, "landscape"),
    "missing_statement_list": (D.MISSING_COLUMNS, "landscape"),
    "party_transfer_roster": (D.PARTY_COLUMNS, "landscape"),
    "handover_checklist": (D.CHECKLIST_COLUMNS, "portrait"),
    "volume_catalog": (D.CATALOG_COLUMNS, "landscape"),
    "ledger": (D.LEDGER_COLUMNS, "landscape"),
    "use_register": (D.USE_REGISTER_COLUMNS, "landscape"),
    "contents_list": (D.CONTENTS_COLUMNS["enterprise"], "portrait"),
    "contents_list_cadre": (D.CONTENTS_COLUMNS["cadre"], "portrait"),
}

TABLE_MARGINS = {"landscape": dict(top=18, bottom=18, left=15, right=15, header=8, footer=7),
                 "portrait": dict(top=22, bottom=20, left=20, right=20, header=10, footer=8)}


def _base(font: str = FANGSONG, size: float = 10.5):
    doc = Document()
    normal = doc.styles["Normal"]
    set_font(normal, font, size)
    pf = normal.paragraph_format
    pf.space_before = pf.space_after = Pt(0)
    # docDefaults too, so table cells and new paragraphs inherit the CJK face
    rpr_default = doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    fonts = rpr_default.find(qn("w:rFonts"))
    if fonts is None:
        fonts = set_child(rpr_default, OxmlElement("w:rFonts"))
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), font)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    lang = rpr_default.find(qn("w:lang"))
    if lang is None:
        lang = set_child(rpr_default, OxmlElement("w:lang"))
    lang.set(qn("w:eastAsia"), "zh-CN")
    for name, align in (("TableCellCenter", WD_ALIGN_PARAGRAPH.CENTER), ("TableCellLeft", WD_ALIGN_PARAGRAPH.LEFT)):
        style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = normal
        style.paragraph_format.alignment = align
        set_font(style, FANGSONG, 10.5)
    doc.core_properties.author = "handover"
    doc.core_properties.language = "zh-CN"
    return doc


def _para(container, text: str = "", font: str = FANGSONG, size: float = 10.5, bold: bool = False,
          align=WD_ALIGN_PARAGRAPH.LEFT, space_after: float = 0, first_indent: float | None = None):
    p = container.add_paragraph()
    p.alignment = align
    p.paragraph_format.space_after = Pt(space_after)
    if first_indent is not None:
        p.paragraph_format.first_line_indent = Pt(first_indent)
    if text:
        set_font(p.add_run(text), font, size, bold)
    return p


def _cell_text(cell, text: str, font: str = FANGSONG, size: float = 10.5, align="center",
               bold: bool = False) -> None:
    p = cell.paragraphs[0]
    p.alignment = ALIGN[align]
    lines = text.split("\n")
    run = p.add_run(lines[0])
    set_font(run, font, size, bold)
    for line in lines[1:]:
        run.add_break()
        run.add_text(line)
    v_align(cell)


def _plain_cell(cell, text: str, style: str) -> None:
    """A lean cell for the cloned data row: paragraph style, no direct run formatting, no tcW."""
    p = cell.paragraphs[0]
    p.style = style
    run = p.add_run(text)
    run._r.find(qn("w:t")).set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    tcpr = cell._tc.tcPr
    if tcpr is not None:
        for w in tcpr.findall(qn("w:tcW")):
            tcpr.remove(w)
    v_align(cell)


# --- tabular documents ------------------------------------------------------------------------

def build_table_template(name: str, columns: list[Column], orientation: str) -> Path:
    doc = _base()
    section = doc.sections[0]
    page_setup(section, orientation, **TABLE_MARGINS[orientation])
    printable = (297 if orientation == "landscape" else 210) - TABLE_MARGINS[orientation]["left"] \
        - TABLE_MARGINS[orientation]["right"]
    total = sum(c.width for c in columns)
    widths = [printable * c.width / total for c in columns]

    head = section.header.paragraphs[0]
    head.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    set_font(head.add_run("«copy_label»"), HEI, 12)
    foot = section.footer.paragraphs[0]
    set_font(foot.add_run("{{ footer }}"), FANGSONG, 10.5)
    pages = section.footer.add_paragraph()
    pages.alignment = WD_ALIGN_PARAGRAPH.CENTER
    set_font(pages.add_run("第 "), SONG, 9)
    add_field(pages, "PAGE", "1", SONG, 9)
    set_font(pages.add_run(" 页　共 "), SONG, 9)
    add_field(pages, "NUMPAGES", "1", SONG, 9)
    set_font(pages.add_run(" 页"), SONG, 9)

    # the first body paragraph holds the title
    title = doc.paragraphs[0] if doc.paragraphs else doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.space_after = Pt(6)
    set_font(title.add_run("{{ title }}"), XBS, 18, bold=True)

    table = doc.add_table(rows=4, cols=len(columns))
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table_borders(table)
    fixed_layout(table, widths)
    for row in table.rows:
        for cell, w in zip(row.cells, widths):
            cell.width = Mm(w)
    fields = table.rows[0].cells[0].merge(table.rows[0].cells[-1])
    _cell_text(fields, "«fields»", FANGSONG, 12, "left")
    set_cell_borders(fields, top="nil", left="nil", right="nil")
    row_props(table.rows[0], header=True, height_mm=9)
    for cell, col in zip(table.rows[1].cells, columns):
        _cell_text(cell, col.header, HEI, 10.5)
    row_props(table.rows[1], header=True, height_mm=10)
    for cell, col in zip(table.rows[2].cells, columns):
        _plain_cell(cell, f"«{col.key}»", "TableCellLeft" if col.align == "left" else "TableCellCenter")
    row_props(table.rows[2], height_mm=8)
    for cell, col in zip(table.rows[3].cells, columns):
        _cell_text(cell, f"«∑{col.key}»", HEI, 10.5, "center")
    row_props(table.rows[3], height_mm=8)

    _para(doc, "{{ note }}", FANGSONG, 10.5).paragraph_format.space_before = Pt(4)
    return _save(doc, name)


def _cell_margins(table, mm: float) -> None:
    mar = OxmlElement("w:tblCellMar")
    for edge in ("left", "right"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:w"), str(int(Mm(mm).twips)))
        el.set(qn("w:type"), "dxa")
        mar.append(el)
    set_child(table._tbl.tblPr, mar)


# --- per-retiree forms --------------------------------------------------------------------------

FORM_MARGINS = {"landscape": dict(top=15, bottom=12, left=15, right=15, header=8, footer=8),
                "portrait": dict(top=25, bottom=20, left=22, right=22, header=12, footer=10)}


def build_form_template(spec: FormSpec, name: str | None = None, signed: bool = False) -> Path:
    doc = _base(FANGSONG, 10.5)
    section = doc.sections[0]
    m = FORM_MARGINS[spec.orientation]
    page_setup(section, spec.orientation, **m)
    printable = (297 if spec.orientation == "landscape" else 210) - m["left"] - m["right"]
    widths = [printable * w / sum(spec.widths) for w in spec.widths]

    title = doc.paragraphs[0] if doc.paragraphs else doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.space_after = Pt(8)
    set_font(title.add_run("{{ v.title }}" if spec.per_copy else spec.title), XBS,
             18 if spec.orientation == "landscape" else 20, bold=True)
    if spec.header:
        line = "　　　".join(f"{label}：{{{{ v.{key} }}}}" for label, key in spec.header)
        if spec.per_copy:
            line += "　　　{{ v.copy_label }}"
        _para(doc, line, FANGSONG, 12, space_after=4)
    for text in spec.body:
        _para(doc, re.sub(r"\{(\w+)\}", r"{{ v.\1 }}", text), FANGSONG, 14, space_after=4)

    table = doc.add_table(rows=len(spec.rows), cols=spec.units)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table_borders(table, 6)
    _cell_margins(table, 0.8)
    size = 9 if spec.orientation == "landscape" else 10.5
    fixed_layout(table, widths)
    for row in table.rows:
        for cell, w in zip(row.cells, widths):
            cell.width = Mm(w)
    for r_idx, spec_row in enumerate(spec.rows):
        row = table.rows[r_idx]
        row_props(row, height_mm=spec.row_height_mm)
        col = 0
        cells = []
        for c in spec_row:
            first = row.cells[col]
            merged = first.merge(row.cells[col + c.span - 1]) if c.span > 1 else first
            cells.append((merged, c))
            col += c.span
        for cell, c in cells:
            if c.kind in ("label", "side"):
                _cell_text(cell, c.text, SONG, size, "center")
            elif c.kind == "unit":  # a label, in the labels' face, whose words the values give
                _cell_text(cell, f"{{{{ v.{c.key} }}}}", SONG, size, "center")
            elif c.kind == "check":
                _cell_text(cell, f"{{{{ v.{c.key} }}}}", FANGSONG, size, "left")
            else:
                _cell_text(cell, f"{{{{ v.{c.key} }}}}", FANGSONG, size, "center")
            if c.vmerge:
                vm = OxmlElement("w:vMerge")
                if c.vmerge == "restart":
                    vm.set(qn("w:val"), "restart")
                set_child(cell._tc.get_or_add_tcPr(), vm)
    footer = spec.footer or ([] if not signed else [])
    if spec.note:
        _para(doc, spec.note, FANGSONG, 10.5).paragraph_format.space_before = Pt(4)
    if footer:
        spec_footer = FormSpec(**{**spec.__dict__, "footer": footer})
        for i, line in enumerate(spec_footer.footer_lines()):
            p = _para(doc, "", FANGSONG, 12)
            p.paragraph_format.space_before = Pt(14 if i == 0 else 8)
            text = "　　　　".join(f"{label}：{{{{ v.{key} }}}}" for label, key in line)
            set_font(p.add_run(text), FANGSONG, 12)
    return _save(doc, name or spec.doc_type)


# --- GB/T 9704 text documents ----------------------------------------------------------------

LINE_PITCH = Pt(28.95)  # 22 lines in the 225 mm 版心


def _gbt9704(doc) -> None:
    """A4, 天头 37 mm, 订口 28 mm, 版心 156 × 225 mm, 3号仿宋 22 lines × 28 characters, 页码 — n —."""
    section = doc.sections[0]
    page_setup(section, "portrait", top=37, bottom=35, left=28, right=26, header=15, footer=23)
    normal = doc.styles["Normal"]
    set_font(normal, FANGSONG, 16)
    pf = normal.paragraph_format
    pf.line_spacing = LINE_PITCH  # exact
    rpr = normal.element.get_or_add_rPr()
    spacing = OxmlElement("w:spacing")
    spacing.set(qn("w:val"), "-4")  # -0.2 pt: 16 pt glyphs at a 15.8 pt pitch = 28 per line
    set_child(rpr, spacing)
    grid = section._sectPr.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        section._sectPr.append(grid)
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), str(int(LINE_PITCH.twips)))
    # 页码: 4号半角宋体 "— n —", odd pages right, even pages left, one character in
    doc.settings.odd_and_even_pages_header_footer = True
    for footer, align in ((section.footer, WD_ALIGN_PARAGRAPH.RIGHT),
                          (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT)):
        p = footer.paragraphs[0]
        p.alignment = align
        if align == WD_ALIGN_PARAGRAPH.RIGHT:
            p.paragraph_format.right_indent = Pt(14)
        else:
            p.paragraph_format.left_indent = Pt(14)
        set_font(p.add_run("— "), SONG, 14)
        add_field(p, "PAGE", "1", SONG, 14)
        set_font(p.add_run(" —"), SONG, 14)


def _body(doc, text: str, indent: bool = True, font: str = FANGSONG, align=WD_ALIGN_PARAGRAPH.JUSTIFY):
    p = doc.add_paragraph()
    p.alignment = align
    if indent:
        p.paragraph_format.first_line_indent = Pt(32)
    if text:
        set_font(p.add_run(text), font, 16)
    return p


def _heading(doc, text: str):
    return _body(doc, text, True, HEI)


def _numbered(doc, loop: str, num: str, text: str, num_font: str = KAI):
    """``{%p for … %}`` / a paragraph with a 楷体 (or 仿宋) number run / ``{%p endfor %}``."""
    _body(doc, f"{{%p for {loop} %}}", False)
    p = _body(doc, "")
    set_font(p.add_run(num), num_font, 16)
    set_font(p.add_run(text), FANGSONG, 16)
    _body(doc, "{%p endfor %}", False)


def _title(doc, text: str):
    p = doc.paragraphs[0] if doc.paragraphs else doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.paragraph_format.line_spacing = Pt(36)
    set_font(p.add_run(text), XBS, 22, bold=True)  # 小标宋: the Noto Serif stand-in needs Bold
    doc.add_paragraph()
    return p


def _signature_block(doc, left: list[str], right: list[str]) -> None:
    table = doc.add_table(rows=len(left), cols=2)
    fixed_layout(table, [78, 78])
    for i, (a, b) in enumerate(zip(left, right)):
        for cell, text in zip(table.rows[i].cells, (a, b)):
            p = cell.paragraphs[0]
            lines = text.split("\n")
            run = p.add_run(lines[0])
            set_font(run, FANGSONG, 16)
            for line in lines[1:]:
                run.add_break()
                run.add_text(line)
        row_props(table.rows[i], height_mm=22 if i == 0 else 12)


def build_agreement_template() -> Path:
    doc = _base(FANGSONG, 16)
    _gbt9704(doc)
    _title(doc, "{{ title }}")
    for line in ("甲方（移交企业）：{{ enterprise.name }}", "统一社会信用代码：{{ enterprise.uscc }}",
                 "法定代表人：{{ enterprise.legal_representative }}", "住所：{{ enterprise_address }}",
                 "乙方（接收单位）：{{ receiver }}"):
        _body(doc, line, False)
    _body(doc, "为做好{{ enterprise.name }}退休人员社会化管理服务移交工作，根据{{ basis }}，经甲乙双方"
               "协商一致，就甲方退休人员移交乙方实行社会化管理服务有关事项达成如下协议。")
    sections = [("一、移交范围和人数", "scope"), ("二、人事档案移交", "archives"),
                ("三、党组织关系转接", "party"), ("四、费用", "fees"), ("五、工作人员", "staff"),
                ("六、时间安排", "schedule")]
    for heading, key in sections:
        _heading(doc, heading)
        _numbered(doc, f"n, t in {key}", "{{ n }}", "{{ t }}")
    _heading(doc, "七、甲方责任")
    _numbered(doc, "n, t in duties_a", "{{ n }}", "{{ t }}", FANGSONG)
    _heading(doc, "八、乙方责任")
    _numbered(doc, "n, t in duties_b", "{{ n }}", "{{ t }}", FANGSONG)
    _heading(doc, "九、其他")
    _numbered(doc, "n, t in other", "{{ n }}", "{{ t }}")
    doc.add_paragraph()
    _body(doc, "{%p for line in annexes %}", False)
    p = _body(doc, "{{ line }}")
    p.alignment = WD_ALIGN_PARAGRAPH.LEFT
    _body(doc, "{%p endfor %}", False)
    doc.add_paragraph()
    _signature_block(doc, ["甲方（盖章）", "法定代表人或授权代表\n（签字）：", "　　　　年　　月　　日"],
                     ["乙方（盖章）", "法定代表人或授权代表\n（签字）：", "　　　　年　　月　　日"])
    return _save(doc, "transfer_agreement")


def build_text_document_template() -> Path:
    """A region's own text document (移交方案, 框架协议, 申请) from its profile's ``[texts]``:
    GB/T 9704 layout; context of ``text_docs.text_document_context``."""
    doc = _base(FANGSONG, 16)
    _gbt9704(doc)
    _title(doc, "{{ title }}")
    _body(doc, "{%p if number %}", False)
    number = _body(doc, "编号：{{ number }}", False)
    number.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    _body(doc, "{%p endif %}", False)
    _body(doc, "{%p if addressee %}", False)
    _body(doc, "{{ addressee }}", False)
    _body(doc, "{%p endif %}", False)
    _body(doc, "{%p for line in parties %}", False)
    _body(doc, "{{ line }}", False)
    _body(doc, "{%p endfor %}", False)
    _body(doc, "{%p for line in intro %}", False)
    _body(doc, "{{ line }}")
    _body(doc, "{%p endfor %}", False)
    _body(doc, "{%p for s in sections %}", False)
    _heading(doc, "{{ s.heading }}")
    _numbered(doc, "n, t in s.clauses", "{{ n }}", "{{ t }}")
    _body(doc, "{%p endfor %}", False)
    _body(doc, "{%p for line in annexes %}", False)
    p = _body(doc, "{{ line }}")
    p.alignment = WD_ALIGN_PARAGRAPH.LEFT
    _body(doc, "{%p endfor %}", False)
    doc.add_paragraph()
    _body(doc, "{%p for line in signatures %}", False)
    p = _body(doc, "{{ line }}", False)
    p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    p.paragraph_format.right_indent = Pt(64)  # 右空四字
    p.paragraph_format.keep_with_next = True  # the closing lines stay on one page
    _body(doc, "{%p endfor %}", False)
    return _save(doc, "text_document")


def build_missing_statement_template() -> Path:
    doc = _base(FANGSONG, 16)
    _gbt9704(doc)
    _title(doc, "档案材料缺失情况说明")
    number = _body(doc, "{% if number %}编号：{{ number }}{% endif %}", False)
    number.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    _body(doc, "{{ receiver }}：", False)
    _body(doc, "我单位移交的退休人员人事档案中，下列必要材料缺失，经多方查找确实无法补齐。"
               "现将缺失材料的名称和原因说明如下：")
    columns = [("序号", 12), ("姓名", 20), ("身份证号", 46), ("材料名称", 30), ("原因", 34), ("备注", 14)]
    table = doc.add_table(rows=3, cols=len(columns))
    table_borders(table)
    fixed_layout(table, [w for _, w in columns])
    for cell, (head, _) in zip(table.rows[0].cells, columns):
        _cell_text(cell, head, HEI, 12)
    row_props(table.rows[0], header=True, height_mm=9)
    loop_start = table.rows[1].cells[0]
    _cell_text(loop_start, "{%tr for it in items %}", FANGSONG, 12)
    keys = ["{{ loop.index }}", "{{ it.name }}", "{{ it.id_number }}", "{{ it.material }}",
            "{{ it.reason }}", "{{ it.remarks }}"]
    extra = table.add_row()
    for cell, key in zip(table.rows[2].cells, keys):
        _cell_text(cell, key, FANGSONG, 12, "left" if "reason" in key or "material" in key else "center")
    row_props(table.rows[2], height_mm=9)
    _cell_text(extra.cells[0], "{%tr endfor %}", FANGSONG, 12)
    _body(doc, "缺失材料共{{ items|length }}项，涉及{{ persons }}人。以上情况属实，特此说明。")
    doc.add_paragraph()
    for line in ("{{ enterprise }}（盖章）", "{{ dated }}"):
        p = _body(doc, line, False)
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        p.paragraph_format.right_indent = Pt(64)  # 右空四字
    _body(doc, "经办人：　　　　　　联系电话：{{ phone }}", False)
    return _save(doc, "missing_statement")


def build_note_sheet_template() -> Path:
    doc = _base(FANGSONG, 14)
    page_setup(doc.sections[0], "portrait", top=30, bottom=25, left=28, right=24)
    p = doc.paragraphs[0] if doc.paragraphs else doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.paragraph_format.space_after = Pt(12)
    set_font(p.add_run("备　考　表"), XBS, 22, bold=True)
    _para(doc, "档号：{{ ref_no }}　　　姓名：{{ name }}", FANGSONG, 14, space_after=6)
    table = doc.add_table(rows=2, cols=1)
    table_borders(table, 8)
    fixed_layout(table, [158])
    cell = table.rows[0].cells[0]
    first = cell.paragraphs[0]
    set_font(first.add_run("本卷情况说明："), HEI, 14)
    for text in ("{%p for line in lines %}", "{{ line }}", "{%p endfor %}"):
        q = cell.add_paragraph()
        q.paragraph_format.first_line_indent = Pt(28) if text == "{{ line }}" else None
        q.paragraph_format.line_spacing = Pt(26)
        set_font(q.add_run(text), FANGSONG, 14)
    row_props(table.rows[0], height_mm=175)
    c2 = table.rows[1].cells[0]
    for i, text in enumerate(("立卷人：{{ compiler }}", "检查人：{{ checker }}", "立卷时间：{{ compiled_on }}")):
        q = c2.paragraphs[0] if i == 0 else c2.add_paragraph()
        q.paragraph_format.left_indent = Mm(85)
        q.paragraph_format.line_spacing = Pt(28)
        set_font(q.add_run(text), FANGSONG, 14)
    row_props(table.rows[1], height_mm=40)
    return _save(doc, "note_sheet")


def build_contact_card_template() -> Path:
    """社会化管理服务联系卡: 2 × 5 cards of 90 × 54 mm on A4, cut along the borders."""
    doc = _base(FANGSONG, 10.5)
    page_setup(doc.sections[0], "portrait", top=10, bottom=10, left=15, right=15, header=5, footer=5)
    table = doc.add_table(rows=3, cols=2)
    table_borders(table, 4)
    fixed_layout(table, [90, 90])
    _cell_text(table.rows[0].cells[0], "{%tr for pair in pairs %}", FANGSONG, 10)
    card = table.rows[1]
    row_props(card, height_mm=54, exact=True)
    for i, cell in enumerate(card.cells):
        c = f"pair[{i}]"
        p = cell.paragraphs[0]
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.paragraph_format.space_before = Pt(4)
        p.paragraph_format.space_after = Pt(3)
        set_font(p.add_run(f"{{{{ {c}.title }}}}"), HEI, 13)
        for label, key in (("姓　　名", "name"), ("个人编号", "person_no"), ("所在社区", "community"),
                           ("社区联系人", "liaison"), ("服务电话", "service_phone"),
                           ("经办机构", "agency"), ("原工作单位", "employer")):
            q = cell.add_paragraph()
            q.paragraph_format.left_indent = Mm(4)
            q.paragraph_format.line_spacing = Pt(14)
            set_font(q.add_run(f"{{{{ {c}.label_{key} }}}}{{{{ {c}.{key} }}}}"), FANGSONG, 10)
        q = cell.add_paragraph()
        q.alignment = WD_ALIGN_PARAGRAPH.CENTER
        set_font(q.add_run(f"{{{{ {c}.hint }}}}"), KAI, 8)
    _cell_text(table.rows[2].cells[0], "{%tr endfor %}", FANGSONG, 10)
    return _save(doc, "contact_card")


_TARGET = [DOCX_DIR]


def _slim(doc) -> None:
    """Drop what python-docx's default package carries and no template uses (Word 2010's
    stylesWithEffects, the thumbnail, 100+ unused table/list styles, latent styles): the
    per-person files are written thousands of times."""
    for rel_id, rel in list(doc.part.rels.items()):
        if rel.reltype.endswith("/stylesWithEffects"):
            doc.part.drop_rel(rel_id)
    pkg_rels = doc.part.package.rels
    for rel_id, rel in list(pkg_rels.items()):
        if rel.reltype.endswith("/thumbnail"):
            pkg_rels.pop(rel_id)
    styles = doc.styles.element
    used = {"Normal", "TableNormal", "DefaultParagraphFont", "NoList", "TableGrid", "Header", "Footer",
            "TableCellCenter", "TableCellLeft", "HeaderChar", "FooterChar"}
    for style in list(styles.findall(qn("w:style"))):
        if style.get(qn("w:styleId")) not in used:
            styles.remove(style)
    latent = styles.find(qn("w:latentStyles"))
    if latent is not None:
        styles.remove(latent)


def _save(doc, name: str) -> Path:
    _slim(doc)
    _TARGET[0].mkdir(parents=True, exist_ok=True)
    path = _TARGET[0] / f"{name}.docx"
    doc.save(path)
    return path


def build_all(target: Path | None = None) -> list[Path]:
    """Write every template to ``target`` (default templates/docx/)."""
    _TARGET[0] = target or DOCX_DIR
    out = [build_table_template(name, cols, orient) for name, (cols, orient) in TABLE_TEMPLATES.items()]
    out.append(build_form_template(SURVEY))
    out.append(build_form_template(BASIC_INFO))
    out.append(build_form_template(PARTY_LETTER))
    out.append(build_form_template(INFO_COLLECTION))
    out.append(build_form_template(PARTY_AGREEMENT))
    from .forms import form_for
    out.append(build_form_template(form_for(BASIC_INFO, True), "basic_info_form_signed"))
    out += [build_agreement_template(), build_text_document_template(), build_missing_statement_template(), build_note_sheet_template(),
            build_contact_card_template()]
    _TARGET[0] = DOCX_DIR
    return out


def main() -> None:
    for path in build_all():
        print(path)


if __name__ == "__main__":
    sys.exit(main())
