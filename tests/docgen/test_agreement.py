"""The 移交协议: figures from data and profile, duties, annexes, copies — for every region."""

from __future__ import annotations

import pytest
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Length, Mm, Pt

from handover.config import TEMPLATES_DIR

from docgen.figures import money, rmb_upper
from docgen.text_docs import agreement_context, render
from handover.policy import load_profile
from handover.routing import route
from handover.sample import make_batch


def _body(path) -> str:
    doc = Document(str(path))
    text = "\n".join(p.text for p in doc.paragraphs)
    text += "\n".join(c.text for t in doc.tables for r in t.rows for c in r.cells)
    return text


@pytest.mark.parametrize("region", ["henan-zhengzhou", "chongqing", "jieyang", "xianning", "kunming-jinning"])
def test_agreement_per_region(region, tmp_path):
    profile = load_profile(region)
    b = make_batch(region, 90, communities=4, seed=3)
    pairs = [(r, route(r, b.enterprise, profile).destination) for r in b.retirees]
    pairs = [(r, d) for r, d in pairs if d]
    county = pairs[0][1].county
    mine = [(r, d) for r, d in pairs if d.county == county]
    people = [r for r, _ in mine]
    ctx = agreement_context(b.enterprise, county, people, [d for _, d in mine], profile,
                            annexes=["企业退休人员移交社区管理花名册", "档案移交名册表"])
    path = render("transfer_agreement", ctx, tmp_path / "agreement.docx")
    text = _body(path)
    assert "{{" not in text and "{%" not in text
    assert f"甲方（移交企业）：{b.enterprise.name}" in text
    assert f"统一社会信用代码：{b.enterprise.uscc}" in text
    assert f"乙方（接收单位）：{county}人民政府" in text
    n = len(people)
    assert f"移交企业退休人员{n}人，其中中共党员{sum(r.party_member for r in people)}人" in text
    pages = sum(r.archive_pages for r in people)
    assert f"人事档案{n}卷、共{pages}页" in text
    for fee in profile.fees:
        if fee.per_person is not None:
            total = fee.per_person * n
            assert f"{money(total)}元（大写：人民币{rmb_upper(total)}）" in text
            assert money(fee.per_person) in text
    if profile.staffing.retirees_per_staff:
        staff = -(-n // profile.staffing.retirees_per_staff)
        assert f"工作人员{staff}名" in text
    for side in ("甲方", "乙方"):
        for duty in profile.agreement_duties[side]:
            assert duty in text
    copies = "一二三四五六"[profile.copies_of("transfer_agreement") - 1]
    assert f"本协议一式{copies}份" in text
    assert "附件：1．企业退休人员移交社区管理花名册" in text and "2．档案移交名册表" in text
    for label in ("甲方（盖章）", "乙方（盖章）", "法定代表人或授权代表"):
        assert label in text
    for d in profile.deadlines:
        assert d.name in text


def test_agreement_layout_is_gbt9704():
    doc = Document(str(TEMPLATES_DIR / "docx" / "transfer_agreement.docx"))
    s = doc.sections[0]
    assert (round(s.page_width.mm), round(s.page_height.mm)) == (210, 297)
    assert round(s.top_margin.mm) == 37 and round(s.left_margin.mm) == 28
    assert round(Length(s.page_width - s.left_margin - s.right_margin).mm) == 156  # 版心 156 × 225 mm
    assert round(Length(s.page_height - s.top_margin - s.bottom_margin).mm) == 225
    normal = doc.styles["Normal"]
    assert normal.font.size == Pt(16) and normal.font.name == "仿宋"  # 3号仿宋
    assert abs(normal.paragraph_format.line_spacing.pt * 22 - Mm(225).pt) < 2  # 22 lines
    title = doc.paragraphs[0].runs[0]
    assert title.font.size == Pt(22) and title.font.name == "方正小标宋简体"  # 2号小标宋
    for part in (s.footer, s.even_page_footer):  # 页码 "— n —", odd right / even left
        p = part.paragraphs[0]
        assert p.text == "—  —"  # python-docx leaves out the field's result
        fields = [f.get(qn("w:instr")).strip() for f in p._p.iter(qn("w:fldSimple"))]
        assert fields == ["PAGE"]
    assert s.footer.paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.RIGHT
    assert s.even_page_footer.paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.LEFT
    assert doc.settings.odd_and_even_pages_header_footer
