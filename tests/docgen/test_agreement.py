"""The 移交协议: figures from data and profile, duties, annexes, copies — for every region."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Length, Mm, Pt

from handover.config import TEMPLATES_DIR

from docgen.figures import cn_date, money, rmb_upper
from docgen.bundle import generate_bundle
from docgen.text_docs import agreement_context, render
from handover.policy import load_profile
from handover.routing import route
from handover.sample import make_batch


def _body(path) -> str:
    doc = Document(str(path))
    text = "\n".join(p.text for p in doc.paragraphs)
    text += "\n".join(c.text for t in doc.tables for r in t.rows for c in r.cells)
    return text


REGIONS = ["henan-zhengzhou", "chongqing", "jieyang", "xianning", "kunming-jinning"]
TODAY = dt.date(2026, 12, 4)


def _agreement(region, tmp_path, day=TODAY):
    profile = load_profile(region)
    b = make_batch(region, 90, communities=4, seed=3)
    pairs = [(r, route(r, b.enterprise, profile).destination) for r in b.retirees]
    pairs = [(r, d) for r, d in pairs if d]
    county = pairs[0][1].county
    mine = [(r, d) for r, d in pairs if d.county == county]
    ctx = agreement_context(b.enterprise, county, [r for r, _ in mine], [d for _, d in mine], profile,
                            annexes=["企业退休人员移交社区管理花名册", "档案移交名册表"], day=day)
    path = render("transfer_agreement", ctx, tmp_path / f"agreement_{region}_{day}.docx")
    return b, county, [r for r, _ in mine], _body(path)


@pytest.mark.parametrize("region", REGIONS)
def test_agreement_per_region(region, tmp_path):
    profile = load_profile(region)
    b, county, people, text = _agreement(region, tmp_path)
    assert "{{" not in text and "{%" not in text
    assert f"甲方（移交企业）：{b.enterprise.name}" in text
    assert f"统一社会信用代码：{b.enterprise.uscc}" in text
    assert f"乙方（接收单位）：{county}人民政府" in text
    n = len(people)
    assert f"移交企业退休人员{n}人，其中中共党员{sum(r.party_member for r in people)}人" in text
    pages = sum(r.archive_pages for r in people)
    assert f"人事档案{n}卷、共{pages}页" in text
    for fee in profile.fees_on(TODAY)[0]:
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
        assert (d.name in text) == d.in_agreement


# Each region's agreement in its own seed's words (phrases copied from /work/shared/seeds).
SEED_PHRASES = {
    "henan-zhengzhou": ["企业离休人员和省管干部", "按街道（乡镇）分别编制《档案移交名册表》",
                        "不得由退休人员本人自带移交", "县（市、区）社会保险经办机构确认后的《花名册》和《移交地调查表》",
                        "在办理退休手续的次月"],
    "xianning": ["国有企业离休人员（原则上保持现有管理方式不变）",
                 "人事档案移交给县（市、区）社会保险经办机构，并建立档案移交名册",
                 "其他档案经整理后，由甲方移交给县（市、区）政府指定的档案管理机构。",
                 "开具介绍信，载明党员信息和党费缴纳等情况", "转入其长期居住地街道和社区党组织",
                 "到移交地街道社区报到，递交《基本信息表》", "发给其社区联系卡",
                 "本协议一式二份，甲方、乙方各执一份"],
    "kunming-jinning": ["《昆明市国有企业退休人员信息采集表》（纸质版签字页）", "凭退休证到社区（村委会）报到",
                        "主动上门接收", "移交区档案局指定的档案馆", "移交至企业法人注册地区档案馆",
                        "《退休人员社会化管理党员组织关系移交协议》", "移交前已死亡的退休人员（档案仍由原企业保管）",
                        "长期居住地（或者户口所在地）乡镇（街道）或者社区（村委会）党组织"],
    "chongqing": ["企业离休人员（原则上保持现有管理方式不变）", "规范整理和数字化处理",
                  "“一企一案”有序交接", "2021年1月1日以后的移交费用标准另行研究制定"],
    "jieyang": ["移交的人事档案要做到材料齐、完好", "劳动保障部门", "转入居住地党组织",
                "其居住地与户口所在地分离的"],
}

# Henan procedure and figures, each present in Henan's agreement and in no other region's.
HENAN_ONLY = ["移交地调查表", "到移交地街道（乡镇）和社区报到", "社会保险经办机构确认后的《花名册》",
              "省管干部", "省级财政", "不得由退休人员本人自带移交", "县级档案管理部门", "每300名",
              "1,000.00", "办理退休手续的次月", "签订具体移交协议"]
NEVER_OUTSIDE_HENAN = HENAN_ONLY + ["省属", "《档案移交名册表》（一式四份）", "县级以上档案管理部门"]


@pytest.mark.parametrize("region", REGIONS)
def test_agreement_speaks_its_seed(region, tmp_path):
    text = _agreement(region, tmp_path)[3]
    for phrase in SEED_PHRASES[region]:
        assert phrase in text, phrase


def test_no_henan_text_in_other_regions(tmp_path):
    henan = _agreement("henan-zhengzhou", tmp_path)[3]
    assert [p for p in HENAN_ONLY if p not in henan] == []
    for region in REGIONS[1:]:
        text = _agreement(region, tmp_path)[3]
        assert [p for p in NEVER_OUTSIDE_HENAN if p in text] == [], region
    xianning = _agreement("xianning", tmp_path)[3]
    assert "本协议一式三份" not in xianning  # the seed's 一式三份 is the 基本信息表's
    assert "不得由…" not in xianning and "管理机构，不得由" not in xianning


def test_chongqing_rate_after_2020_reads_pending(tmp_path):
    _, _, people, text = _agreement("chongqing", tmp_path)
    assert "待定" in text and "另行确定" in text
    assert "1,020.00元/人的标准一次性支付" not in text
    assert money(1020 * len(people)) not in text
    _, _, people, during = _agreement("chongqing", tmp_path, dt.date(2020, 6, 1))
    assert f"按1,020.00元/人的标准一次性支付，{len(people)}人合计{money(1020 * len(people))}元" in during
    assert "待定" not in during


def test_jieyang_excludes_no_one_the_seed_does_not(tmp_path):
    text = _agreement("jieyang", tmp_path)[3]
    assert "离休" not in text and "不在本协议移交范围内" not in text
    assert "95%" not in text and "2005年" not in text  # the city-wide target is no term


@pytest.mark.parametrize("region", REGIONS)
def test_no_past_time_node_is_presented_as_current(region, tmp_path):
    text = _agreement(region, tmp_path)[3]
    dates = [dt.date(int(y), int(m), int(d)) for y, m, d in
             re.findall(r"：(\d{4})年(\d{1,2})月(\d{1,2})日。", text)]
    assert [d for d in dates if d < TODAY] == []


def test_henan_time_nodes_before_and_after_they_pass(tmp_path):
    before = _agreement("henan-zhengzhou", tmp_path, dt.date(2017, 3, 1))[3]
    assert f"签订具体移交协议：{cn_date(dt.date(2017, 4, 30))}。" in before and "届满" not in before
    after = _agreement("henan-zhengzhou", tmp_path)[3]
    assert "签订具体移交协议：2017年4月30日" not in after
    assert "已于2017年6月30日前届满，不作为本协议期限" in after


def test_bundle_warns_of_a_rate_past_its_date(tmp_path):
    b = make_batch("chongqing", 12, communities=2, seed=5)
    m = generate_bundle(b.enterprise, b.retirees, load_profile("chongqing"), tmp_path, pdf=False,
                        per_person=False, today=TODAY)
    assert any("1,020.00元/人" in w and "待定" in w for w in m.warnings)
    (entry, *_) = m.by_type("transfer_agreement", "docx")
    assert "待定" in _body(tmp_path / entry.path)
    m2 = generate_bundle(b.enterprise, b.retirees, load_profile("chongqing"), tmp_path / "2020", pdf=False,
                         per_person=False, today=dt.date(2020, 6, 1))
    assert not any("待定" in w for w in m2.warnings)


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
