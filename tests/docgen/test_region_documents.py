"""Documents a region's seed asks for, made from its profile: 咸宁's 基本信息表 一式三份."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from docx import Document

from docgen.bundle import generate_bundle
from handover.policy import PolicyError, load_profile, load_profile_file
from handover.sample import make_batch

from .conftest import pdftotext_pages

XIANNING_TITLE = "咸宁市国有企业退休人员社会化管理服务基本信息表"  # the seed's 附件
HOLDER_LABELS = ["第一联　企业留存", "第二联　个人留存", "第三联　街道社区留存"]


def _bundle(region, tmp_path_factory, n=24):
    b = make_batch(region, n, communities=2, seed=11)
    out = tmp_path_factory.mktemp(region)
    m = generate_bundle(b.enterprise, b.retirees, load_profile(region), out, text_pdf=False,
                        per_person=False, today=dt.date(2026, 12, 4))
    return out, m


@pytest.fixture(scope="module")
def xianning(tmp_path_factory):
    return _bundle("xianning", tmp_path_factory)


@pytest.fixture(scope="module")
def henan(tmp_path_factory):
    return _bundle("henan-zhengzhou", tmp_path_factory)


def _docx_text(path) -> list[str]:
    return [p.text for p in Document(str(path)).paragraphs]


def test_xianning_basic_info_form_three_labelled_copies_per_person(xianning):
    out, m = xianning
    docx = m.by_type("basic_info_form", "docx")[0]
    assert docx.title == XIANNING_TITLE and docx.copies == 3
    paras = _docx_text(out / docx.path)
    titles = [p for p in paras if p == XIANNING_TITLE]
    assert len(titles) == 3 * docx.rows  # a page per copy
    labels = [lab for p in paras for lab in HOLDER_LABELS if p.endswith(lab)]
    assert labels == HOLDER_LABELS * docx.rows  # each person's three copies together, in order


def test_xianning_basic_info_pdf_copies(xianning):
    out, m = xianning
    pdf = m.by_type("basic_info_form", "pdf")[0]
    pages = pdftotext_pages(out / pdf.path)
    assert len(pages) == pdf.pages == 3 * pdf.rows
    for page, label in zip(pages, HOLDER_LABELS * pdf.rows):
        flat = "".join(page.split())
        assert XIANNING_TITLE in flat and label.replace("　", "") in flat


def test_henan_basic_info_form_stays_one_unlabelled_copy(henan):
    out, m = henan
    docx = m.by_type("basic_info_form", "docx")[0]
    assert docx.title == "企业退休人员社会化管理服务基本信息表" and docx.copies == 1
    text = "\n".join(_docx_text(out / docx.path))
    assert "留存" not in text and "咸宁" not in text
    assert text.count("企业退休人员社会化管理服务基本信息表") == docx.rows


def test_holders_must_match_copies(tmp_path):
    path = tmp_path / "x.toml"
    path.write_text('name = "x"\nprovince = "湖北省"\nsource_seed = "s"\ndocument_no = "d"\nissuer = "i"\n'
                    '[copies]\nbasic_info_form = 2\n[holders]\nbasic_info_form = ["企业", "个人", "街道社区"]\n',
                    encoding="utf-8")
    with pytest.raises(PolicyError, match="basic_info_form 份数（2）"):
        load_profile_file(path)


# --- 咸宁 介绍信 (党员信息和党费缴纳情况), one per party member -------------------------------

LETTER_PHRASES = ["党员信息和党费缴纳等情况", "党组织关系转入你处", "党费缴纳情况", "入党时间", "转入党组织",
                  "长期居住地街道和社区党组织"]


def test_xianning_letter_per_party_member_batched_per_community(xianning):
    out, m = xianning
    docx = m.by_type("party_letter", "docx")
    assert docx and len(m.by_type("party_letter", "pdf")) == len(docx)
    roster = m.by_type("party_transfer_roster", "docx")[0]
    assert sum(d.rows for d in docx) == roster.rows  # every member of the roster has a letter
    for entry in docx:
        doc = Document(str(out / entry.path))
        paras = [p.text for p in doc.paragraphs]
        assert paras.count("介绍信") == entry.rows
        assert any(p == f"{entry.community.split('·')[-1]}党组织：" or p.endswith("党组织：") for p in paras)
        cells = "".join(c.text for t in doc.tables for row in t.rows for c in row.cells)
        text = "\n".join(paras) + cells
        for phrase in LETTER_PHRASES:
            assert phrase in text, phrase


def test_xianning_letter_pdf_and_roster_cite_numbers(xianning):
    out, m = xianning
    numbers = []
    for entry in m.by_type("party_letter", "pdf"):
        pages = pdftotext_pages(out / entry.path)
        assert len(pages) == entry.pages == entry.rows
        for page in pages:
            flat = "".join(page.split())
            for phrase in LETTER_PHRASES:
                assert phrase in flat, phrase
            numbers.append(re.search(r"编号：(\d{4}-\d{3}|党介〔\d{4}〕\d{3}号)", flat).group(1))
    # the roster's own numbers where it gives them (the sample's 党介〔…〕), the others numbered in turn
    given = {r.party_letter_no for r in make_batch("xianning", 24, communities=2, seed=11).retirees
             if r.party_letter_no}
    assert given and {n for n in numbers if n.startswith("党介")} == given
    numbered = [n for n in numbers if not n.startswith("党介")]
    assert numbered == [f"2026-{n:03d}" for n in range(1, len(numbered) + 1)]
    roster = Document(str(out / m.by_type("party_transfer_roster", "docx")[0].path))
    cited = {c.text for t in roster.tables for row in t.rows for c in row.cells}
    assert set(numbers) <= cited  # the roster's 介绍信编号 column is filled


def test_no_letter_where_the_profile_asks_for_none(henan):
    out, m = henan
    assert m.by_type("party_transfer_roster", "docx")
    assert not m.by_type("party_letter", "docx") and not (out / "06_党员组织关系转接名册" / "介绍信").exists()


# --- 河南 花名册: three labelled copies, closed by the 社会保险经办机构's 签字盖章确认 -------------

ROSTER_LABELS = ["第一联　企业留存", "第二联　社会保险经办机构留存", "第三联　街道（乡镇）、社区留存"]
CONFIRMATION = ["县（市、区）社会保险经办机构核对意见", "县（市、区）社会保险经办机构（盖章）", "经办人（签字）",
                "确认日期"]


def test_henan_roster_three_labelled_copies_with_confirmation(henan):
    out, m = henan
    docx = m.by_type("community_roster", "docx")[0]
    assert docx.copies == 3
    doc = Document(str(out / docx.path))
    headers = [p.text for s in doc.sections for p in s.header.paragraphs if p.text.strip()]
    assert headers == ROSTER_LABELS
    text = "\n".join(p.text for p in doc.paragraphs)
    for phrase in CONFIRMATION:
        assert text.count(phrase) == 3, phrase  # every copy carries the block
    pdf = m.by_type("community_roster", "pdf")[0]
    flat = ["".join(page.split()) for page in pdftotext_pages(out / pdf.path)]
    for label in ROSTER_LABELS:
        assert any(label.replace("　", "") in page for page in flat), label
    joined = "".join(flat)
    for phrase in CONFIRMATION:
        assert joined.count(phrase) == 3, phrase


def test_roster_confirmation_only_where_the_profile_says(henan):
    """A 花名册 without the profile's [confirmed_by] (a bureau's own profile) has no block."""
    from docgen import documents as D
    b = make_batch("henan-zhengzhou", 6, communities=1, seed=11)
    d = load_profile("henan-zhengzhou")
    from handover.routing import route
    dest = route(b.retirees[0], b.enterprise, d).destination
    plain = D.community_roster(b.enterprise, dest, b.retirees[:3])
    assert plain.closing == [] and plain.copies == [""]
    confirmed = D.community_roster(b.enterprise, dest, b.retirees[:3], d.copy_labels("community_roster"),
                                   d.confirmed_by["community_roster"])
    assert any("签字" in line for line in confirmed.closing)
