"""DOCX renderer of a ``TableDocument``: fill the office-editable template, clone its data row.

The template (templates/docx/<doc_type>.docx) gives the page set-up, fonts, borders, the page
header with ``«copy_label»`` and the footer; docxtpl fills its document-level tags once, then each
table is a deep copy of the template's block with one copy of the template's data ``w:tr`` per
record. The row is cloned as XML text (the serialized template row with the values spliced in,
XML-escaped) rather than as lxml elements, which keeps 40,000 rows well under a second
(FIELD-NOTES: ``add_row`` takes 17 s for 10,000). Every copy (一式四份) is its own Word section, so
its label sits in its own page header and its page numbers restart (第 X 页 共 Y 页 with
SECTIONPAGES). The last data row of a table with a 合计 keeps with the next row (``w:keepNext``), so
the 合计 never stands alone on a page; the document's closing lines (the receiving block) follow the
last table of each copy as paragraphs in the note's format.
"""

from __future__ import annotations

import copy
import io
import re
import zipfile
from functools import lru_cache
from pathlib import Path

from docx import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docxtpl import DocxTemplate
from lxml import etree

from handover.config import TEMPLATES_DIR
from handover.errors import Unavailable

from .model import TableDocument, fields_line
from .ooxml import W_BR, W_P, W_R, W_T, W_TC, W_TR, set_child, set_text

DOCX_DIR = TEMPLATES_DIR / "docx"
W_TBL, W_SECTPR, W_PPR = qn("w:tbl"), qn("w:sectPr"), qn("w:pPr")


class TemplateError(Unavailable):
    """The template does not fit the document (a Chinese message for the office that edited it)."""


def footer_text(doc: TableDocument) -> str:
    return "　　　　".join(f"{label}：{value or '　' * 6}" for label, value in doc.footer)


@lru_cache(maxsize=32)
def _prepared(template: str, title: str, note: str, footer: str) -> bytes:
    """The template with its document-level Jinja tags filled (cached: rosters of one enterprise
    share them)."""
    tpl = DocxTemplate(str(template))
    tpl.render({"title": title, "note": note, "footer": footer}, autoescape=True)
    buf = io.BytesIO()
    tpl.save(buf)
    return buf.getvalue()


def template_path(doc: TableDocument, template_dir: Path | None = None) -> Path:
    path = (template_dir or DOCX_DIR) / f"{doc.template or doc.doc_type}.docx"
    if not path.is_file():
        raise TemplateError(f"缺少模板文件 {path.name}，请运行 python -m docgen.build_templates")
    return path


def _texts(el) -> str:
    return "".join(t.text or "" for t in el.iter(W_T))


def _set_cell(tc, text: str) -> None:
    """Replace the cell's text, keeping the formatting of its first run."""
    runs = list(tc.iter(W_R))
    if not runs:
        p = tc.find(W_P)
        run = OxmlElement("w:r")
        p.append(run)
        runs = [run]
    first = runs[0]
    for extra in runs[1:]:
        extra.getparent().remove(extra)
    ts = [c for c in first if c.tag in (W_T, W_BR)]
    if not ts or ts[0].tag != W_T:
        t = OxmlElement("w:t")
        first.append(t)
        ts = [t] + ts
    for c in ts[1:]:
        first.remove(c)
    set_text(ts[0], text)


def _fill_row(template_tr, values) -> object:
    tr = copy.deepcopy(template_tr)
    for tc, value in zip(tr.iterchildren(W_TC), values):
        t = next(tc.iter(W_T), None)
        if t is None:
            _set_cell(tc, value)
        elif "\n" in value:
            set_text(t, value)
        else:
            t.text = value
    return tr


def _locate(tbl, ncols: int):
    rows = list(tbl.iterchildren(W_TR))
    fields = data = totals = None
    headers = []
    for tr in rows:
        text = _texts(tr)
        if "«fields»" in text:
            fields = tr
        elif "«∑" in text:
            totals = tr
        elif "«" in text:
            data = tr
        elif data is None:
            headers.append(tr)
    if data is None:
        raise TemplateError("模板表格中缺少数据行（含«字段»标记的行）")
    cells = len(list(data.iterchildren(W_TC)))
    if cells != ncols:
        raise TemplateError(f"模板数据行有{cells}列，文档需要{ncols}列")
    return fields, headers, data, totals


def render_table_docx(doc: TableDocument, out: Path, template_dir: Path | None = None,
                      pages_per_copy: int | None = None) -> Path:
    """``pages_per_copy``: the pages of one copy as the PDF lays them out, stored as the cached
    result of SECTIONPAGES — Word recomputes the field, LibreOffice (7.4) shows the cached value."""
    doc.validate()
    path = template_path(doc, template_dir)
    word = Document(io.BytesIO(_prepared(str(path), doc.title, doc.note, footer_text(doc))))
    body = word.element.body
    sect_pr = body.find(W_SECTPR)
    block = [el for el in body if el.tag != W_SECTPR]
    for el in block:
        body.remove(el)
    tbl_index = next((i for i, el in enumerate(block) if el.tag == W_TBL), None)
    if tbl_index is None:
        raise TemplateError("模板中没有表格")
    fields_tr, header_trs, data_tr, totals_tr = _locate(block[tbl_index], len(doc.columns))
    # column headers always come from the model (the PDF uses the same)
    if header_trs:
        for tc, col in zip(header_trs[-1].iterchildren(W_TC), doc.columns):
            _set_cell(tc, col.header)
    tbl_tpl = block[tbl_index]
    for tr in (data_tr, totals_tr):
        if tr is not None:
            tbl_tpl.remove(tr)

    multi = len(doc.copies) > 1
    pending: list[tuple[list[tuple[str, ...]], bool]] = []
    keys = [c.key for c in doc.columns]
    parts, keep_parts = _row_parts(data_tr, keys), _row_parts(_kept_with_next(data_tr), keys)
    note_p = next((el for el in reversed(block[tbl_index + 1:]) if el.tag == W_P), None)
    for ci, _label in enumerate(doc.copies):
        for si, section in enumerate(doc.sections or []):
            clone = [copy.deepcopy(el) for el in block]
            tbl = clone[tbl_index]
            if fields_tr is not None:
                ftr = next(tr for tr in tbl.iterchildren(W_TR) if "«fields»" in _texts(tr))
                _set_cell(next(ftr.iterchildren(W_TC)), fields_line(section.fields))
            if section.rows:
                tbl.append(etree.Comment(f"ROWS{len(pending)}"))
                pending.append((section.rows, totals_tr is not None and section.totals is not None))
            # the closing block (signatures) pulls the 合计, the note and so the last row along
            closing_follows = bool(doc.closing) and si == len(doc.sections) - 1
            if totals_tr is not None and section.totals is not None:
                totals = _fill_row(totals_tr, section.totals)
                tbl.append(totals)
                if closing_follows:
                    _keep_with_next(totals)
            if closing_follows:
                for el in clone[tbl_index + 1:]:
                    if el.tag == W_P:
                        _keep_with_next(el)
            if si > 0 and clone[0].tag == W_P:
                ppr = clone[0].find(W_PPR)
                if ppr is None:
                    ppr = OxmlElement("w:pPr")
                    clone[0].insert(0, ppr)
                set_child(ppr, OxmlElement("w:pageBreakBefore"))
            for el in clone:
                sect_pr.addprevious(el)
        for i, line in enumerate(doc.closing):
            p = _paragraph_like(note_p, line)
            if i < len(doc.closing) - 1:
                _keep_with_next(p)
            sect_pr.addprevious(p)
        if ci < len(doc.copies) - 1:
            p = OxmlElement("w:p")
            ppr = OxmlElement("w:pPr")
            own = copy.deepcopy(sect_pr)
            for ref in own.findall(qn("w:headerReference")) + own.findall(qn("w:footerReference")):
                own.remove(ref)
            ppr.append(own)
            p.append(ppr)
            sect_pr.addprevious(p)
    _headers_and_footers(word, doc, multi, pages_per_copy)
    out.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    word.save(buf)
    _splice_rows(buf.getvalue(), out, parts, keep_parts, pending)
    return out


def _keep_with_next(el) -> None:
    """Every paragraph of ``el`` (a row, or a paragraph) kept on the page of what follows."""
    for p in el.iter(W_P):
        ppr = p.find(W_PPR)
        if ppr is None:
            ppr = OxmlElement("w:pPr")
            p.insert(0, ppr)
        set_child(ppr, OxmlElement("w:keepNext"))


def _kept_with_next(data_tr):
    """The data row kept with the row after it (the 合计)."""
    tr = copy.deepcopy(data_tr)
    _keep_with_next(tr)
    return tr


def _paragraph_like(template_p, text: str):
    """A paragraph with ``text`` in the format of ``template_p`` (its paragraph and first run)."""
    if template_p is None:
        p = OxmlElement("w:p")
        run = OxmlElement("w:r")
        p.append(run)
    else:
        p = copy.deepcopy(template_p)
        runs = list(p.iter(W_R))
        if not runs:
            runs = [OxmlElement("w:r")]
            p.append(runs[0])
        run = runs[0]
        for extra in runs[1:]:
            extra.getparent().remove(extra)
        for child in [c for c in run if c.tag in (W_T, W_BR)]:
            run.remove(child)
    t = OxmlElement("w:t")
    run.append(t)
    set_text(t, text)
    return p


_NS_DECL = re.compile(r'\sxmlns(?::\w+)?="[^"]*"')


def _row_parts(data_tr, keys: list[str]) -> list[str]:
    """The template row as text, split at the ``«key»`` markers (namespaces come from the root)."""
    xml = _NS_DECL.sub("", etree.tostring(data_tr, encoding="unicode"))
    parts, rest = [], xml
    for key in keys:
        marker = f"«{key}»"
        if marker not in rest:
            raise TemplateError(f"模板数据行缺少标记 {marker}（或列的顺序与文档不一致）")
        before, rest = rest.split(marker, 1)
        parts.append(before)
    parts.append(rest)
    return parts


_BREAK = '</w:t><w:br/><w:t xml:space="preserve">'


def _esc(value: str) -> str:
    if "&" in value:
        value = value.replace("&", "&amp;")
    if "<" in value:
        value = value.replace("<", "&lt;")
    if ">" in value:
        value = value.replace(">", "&gt;")
    if "\n" in value:
        value = value.replace("\n", _BREAK)
    return value


def _rows_xml(parts: list[str], rows: list[tuple[str, ...]]) -> str:
    head, tails = parts[0], parts[1:]
    out: list[str] = []
    add = out.append
    for row in rows:
        add(head)
        for value, tail in zip(row, tails):
            add(_esc(value))
            add(tail)
    return "".join(out)


def _splice_rows(package: bytes, out: Path, parts: list[str], keep_parts: list[str], pending: list) -> None:
    """Write the package with each ``<!--ROWSk-->`` of document.xml replaced by its rows (the last
    one kept with the 合计 when the table has one)."""
    with zipfile.ZipFile(io.BytesIO(package)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "word/document.xml":
                pieces = re.split(r"<!--ROWS(\d+)-->", data.decode("utf-8"))
                for i in range(1, len(pieces), 2):
                    rows, keep_last = pending[int(pieces[i])]
                    pieces[i] = (_rows_xml(parts, rows[:-1]) + _rows_xml(keep_parts, rows[-1:]) if keep_last
                                 else _rows_xml(parts, rows))
                data = "".join(pieces).encode("utf-8")
            dst.writestr(info.filename, data)


def _restart_numbering(sect) -> None:
    pg = sect.find(qn("w:pgNumType"))
    if pg is None:
        pg = OxmlElement("w:pgNumType")
        # schema order: pgNumType comes after pgMar/paperSrc/pgBorders/lnNumType
        anchor = sect.find(qn("w:pgMar"))
        if anchor is not None:
            anchor.addnext(pg)
        else:
            sect.append(pg)
    pg.set(qn("w:start"), "1")


def _headers_and_footers(word, doc: TableDocument, multi: bool, pages_per_copy: int | None) -> None:
    sections = word.sections
    last = sections[-1]
    hdr_tpl = copy.deepcopy(last.header._element)
    ftr_tpl = copy.deepcopy(last.footer._element)
    for i, (sec, label) in enumerate(zip(sections, doc.copies)):
        if i < len(sections) - 1:
            sec.header.is_linked_to_previous = False
            sec.footer.is_linked_to_previous = False
            for part, tpl in ((sec.header._element, hdr_tpl), (sec.footer._element, ftr_tpl)):
                for child in list(part):
                    part.remove(child)
                for child in tpl:
                    part.append(copy.deepcopy(child))
        for t in sec.header._element.iter(W_T):
            if "«copy_label»" in (t.text or ""):
                t.text = t.text.replace("«copy_label»", label)
        if multi:
            for fld in sec.footer._element.iter(qn("w:fldSimple")):
                if "NUMPAGES" in fld.get(qn("w:instr"), ""):
                    fld.set(qn("w:instr"), " SECTIONPAGES ")
                    if pages_per_copy:
                        for t in fld.iter(W_T):
                            t.text = str(pages_per_copy)
            _restart_numbering(sec._sectPr)
    if len(doc.copies) < len(sections):  # defensive: more Word sections than copies
        raise TemplateError("模板包含多个分节，表格模板只能有一个分节")
