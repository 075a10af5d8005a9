"""Small WordprocessingML helpers shared by the template builder and the renderers."""

from __future__ import annotations

from docx.enum.section import WD_ORIENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

W_T, W_R, W_P, W_TR, W_TC, W_BR = (qn("w:t"), qn("w:r"), qn("w:p"), qn("w:tr"), qn("w:tc"), qn("w:br"))
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"

# Child order of the property elements (ECMA-376 sequences): Word refuses files that break it.
TCPR = ["cnfStyle", "tcW", "gridSpan", "hMerge", "vMerge", "tcBorders", "shd", "noWrap", "tcMar",
        "textDirection", "tcFitText", "vAlign", "hideMark"]
TBLPR = ["tblStyle", "tblpPr", "tblOverlap", "bidiVisual", "tblStyleRowBandSize", "tblStyleColBandSize",
         "tblW", "jc", "tblCellSpacing", "tblInd", "tblBorders", "shd", "tblLayout", "tblCellMar", "tblLook",
         "tblCaption", "tblDescription"]
RPR = ["rStyle", "rFonts", "b", "bCs", "i", "iCs", "caps", "smallCaps", "strike", "dstrike", "outline",
       "shadow", "emboss", "imprint", "noProof", "snapToGrid", "vanish", "webHidden", "color", "spacing",
       "w", "kern", "position", "sz", "szCs", "highlight", "u", "effect", "bdr", "shd", "fitText",
       "vertAlign", "rtl", "cs", "em", "lang", "eastAsianLayout", "specVanish", "oMath"]
PPR = ["pStyle", "keepNext", "keepLines", "pageBreakBefore", "framePr", "widowControl", "numPr",
       "suppressLineNumbers", "pBdr", "shd", "tabs", "suppressAutoHyphens", "kinsoku", "wordWrap",
       "overflowPunct", "topLinePunct", "autoSpaceDE", "autoSpaceDN", "bidi", "adjustRightInd",
       "snapToGrid", "spacing", "ind", "contextualSpacing", "mirrorIndents", "suppressOverlap", "jc",
       "textDirection", "textAlignment", "textboxTightWrap", "outlineLvl", "divId", "cnfStyle", "rPr",
       "sectPr", "pPrChange"]
SECTPR = ["headerReference", "footnotePr", "endnotePr", "type", "pgSz", "pgMar", "paperSrc", "pgBorders",
          "lnNumType", "pgNumType", "cols", "formProt", "vAlign", "noEndnote", "titlePg", "textDirection",
          "bidi", "rtlGutter", "docGrid", "printerSettings"]
SEQUENCES = {qn("w:tcPr"): TCPR, qn("w:tblPr"): TBLPR, qn("w:rPr"): RPR, qn("w:pPr"): PPR,
             qn("w:sectPr"): SECTPR}


def _local(tag: str) -> str:
    name = tag.rsplit("}", 1)[-1]
    return "headerReference" if name == "footerReference" else name  # one choice group


def set_child(parent, child, order: list[str] | None = None):
    """Put ``child`` into ``parent`` at its schema position, replacing one with the same tag."""
    order = order or SEQUENCES[parent.tag]
    name = _local(child.tag)
    for old in parent.findall(child.tag):
        parent.remove(old)
    rank = order.index(name)
    for i, existing in enumerate(parent):
        local = _local(existing.tag)
        if local in order and order.index(local) > rank:
            parent.insert(i, child)
            return child
    parent.append(child)
    return child


def out_of_order(element) -> list[str]:
    """Property elements under ``element`` whose children break the schema order (for tests)."""
    bad = []
    for tag, order in SEQUENCES.items():
        for props in element.iter(tag):
            ranks = [order.index(_local(c.tag)) for c in props if _local(c.tag) in order]
            if ranks != sorted(ranks):
                bad.append(f"{_local(tag)}: {[_local(c.tag) for c in props]}")
    return bad


# Font names requested in the DOCX; templates/fonts.conf maps them to installed faces.
FANGSONG, SONG, HEI, KAI, XBS = "仿宋", "宋体", "黑体", "楷体", "方正小标宋简体"


def set_font(target, name: str, size: float | None = None, bold: bool | None = None) -> None:
    """Font of a run or a style, east-Asian slot included (python-docx sets only the Latin one)."""
    font = target.font
    font.name = name
    if size is not None:
        font.size = Pt(size)
    if bold is not None:
        font.bold = bold
    rpr = target.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = set_child(rpr, OxmlElement("w:rFonts"))
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), name)
    fonts.attrib.pop(qn("w:asciiTheme"), None)
    fonts.attrib.pop(qn("w:eastAsiaTheme"), None)


def page_setup(section, orientation: str = "portrait", top=25, bottom=25, left=20, right=20,
               header=12, footer=12) -> None:
    if orientation == "landscape":
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Mm(297), Mm(210)
    else:
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(top), Mm(bottom)
    section.left_margin, section.right_margin = Mm(left), Mm(right)
    section.header_distance, section.footer_distance = Mm(header), Mm(footer)


def add_field(paragraph, instr: str, placeholder: str = "1", font: str | None = None,
              size: float | None = None) -> None:
    """A simple field (PAGE, NUMPAGES, SECTIONPAGES) with a cached result."""
    fld = OxmlElement("w:fldSimple")
    fld.set(qn("w:instr"), f" {instr} ")
    run = paragraph.add_run(placeholder)
    if font:
        set_font(run, font, size)
    fld.append(run._r)
    paragraph._p.append(fld)


def set_cell_borders(cell, **edges: str) -> None:
    """edges: top/left/bottom/right = "nil" or "single"."""
    tcpr = cell._tc.get_or_add_tcPr()
    borders = tcpr.find(qn("w:tcBorders"))
    if borders is None:
        borders = set_child(tcpr, OxmlElement("w:tcBorders"))
    for edge, val in edges.items():
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), val)
        if val != "nil":
            el.set(qn("w:sz"), "4")
            el.set(qn("w:color"), "000000")
        borders.append(el)


def table_borders(table, size: int = 4) -> None:
    tblpr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "single")
        el.set(qn("w:sz"), str(size))
        el.set(qn("w:space"), "0")
        el.set(qn("w:color"), "000000")
        borders.append(el)
    set_child(tblpr, borders)


def fixed_layout(table, widths_mm: list[float]) -> None:
    tblpr = table._tbl.tblPr
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    set_child(tblpr, layout)
    jc = OxmlElement("w:jc")
    jc.set(qn("w:val"), "center")
    set_child(tblpr, jc)
    grid = table._tbl.tblGrid
    for col, w in zip(grid.findall(qn("w:gridCol")), widths_mm):
        col.set(qn("w:w"), str(int(Mm(w).twips)))
    table.autofit = False


def row_props(row, header: bool = False, cant_split: bool = True, height_mm: float | None = None,
              exact: bool = False) -> None:
    trpr = row._tr.get_or_add_trPr()
    if cant_split:
        trpr.append(OxmlElement("w:cantSplit"))
    if height_mm:
        h = OxmlElement("w:trHeight")
        h.set(qn("w:val"), str(int(Mm(height_mm).twips)))
        h.set(qn("w:hRule"), "exact" if exact else "atLeast")
        trpr.append(h)
    if header:
        trpr.append(OxmlElement("w:tblHeader"))


def cell_width(cell, width_mm: float) -> None:
    cell.width = Mm(width_mm)


def v_align(cell, val: str = "center") -> None:
    tcpr = cell._tc.get_or_add_tcPr()
    el = OxmlElement("w:vAlign")
    el.set(qn("w:val"), val)
    set_child(tcpr, el)


def set_text(t_el, text: str) -> None:
    """Set a ``w:t``'s text; ``\\n`` becomes a line break inside the same run."""
    if "\n" not in text:
        t_el.text = text
        if text[:1] == " " or text[-1:] == " ":
            t_el.set(XML_SPACE, "preserve")
        return
    first, *rest = text.split("\n")
    t_el.text = first
    run = t_el.getparent()
    anchor = t_el
    for line in rest:
        br = OxmlElement("w:br")
        anchor.addnext(br)
        t = OxmlElement("w:t")
        t.text = line
        t.set(XML_SPACE, "preserve")
        br.addnext(t)
        anchor = t
    del run  # the run keeps its formatting


def page_break_paragraph():
    p = OxmlElement("w:p")
    r = OxmlElement("w:r")
    br = OxmlElement("w:br")
    br.set(qn("w:type"), "page")
    r.append(br)
    p.append(r)
    return p
