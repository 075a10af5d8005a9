"""Golden bundles: each region's bundle holds exactly the documents its profile lists (the seed's
list), no Henan-only document or phrase appears in another region's, and each new document speaks
its seed."""

from __future__ import annotations

import datetime as dt
from pathlib import PurePosixPath

import pytest
from docx import Document

from docgen.bundle import generate_bundle
from docgen.records import MissingItem
from handover.policy import TEXT_DOCUMENTS, load_profile
from handover.routing import Assignment, route
from handover.sample import make_batch

from .conftest import make_volumes, pdfinfo_pages, pdftotext_pages

TODAY = dt.date(2026, 12, 4)
REGIONS = ["henan-zhengzhou", "xianning", "kunming-jinning", "chongqing", "jieyang"]

_ARCHIVE = {"08_档案/卷内目录.docx", "08_档案/卷内目录.pdf", "08_档案/台账.docx", "08_档案/台账.pdf",
            "08_档案/台账.xlsx", "08_档案/备考表.docx", "08_档案/案卷目录.docx", "08_档案/案卷目录.pdf",
            "08_档案/案卷目录.xlsx", "09_未移交人员/未移交人员名单.xlsx",
            "10_书面说明/档案材料缺失情况一览表.docx", "10_书面说明/档案材料缺失情况一览表.pdf",
            "10_书面说明/档案材料缺失情况一览表.xlsx", "10_书面说明/档案材料缺失情况说明.docx",
            "03_档案移交名册表/档案移交名册表.docx", "03_档案移交名册表/档案移交名册表.pdf",
            "03_档案移交名册表/档案移交名册表.xlsx", "01_移交协议/移交协议.docx"}
_PARTY_ROSTER = {"06_党员组织关系转接名册/党员组织关系转接名册.docx",
                 "06_党员组织关系转接名册/党员组织关系转接名册.pdf",
                 "06_党员组织关系转接名册/党员组织关系转接名册.xlsx"}

# The bundle's files, named as an office sees them (folder / document, the community left out).
GOLDEN = {
    "henan-zhengzhou": _ARCHIVE | _PARTY_ROSTER | {
        "01_移交协议/移交框架协议.docx", "01_移交协议/社会化管理服务申请.docx",
        "02_花名册/花名册.docx", "02_花名册/花名册.pdf", "02_花名册/花名册.xlsx",
        "04_基本信息表/基本信息表.docx", "04_基本信息表/基本信息表.pdf",
        "05_移交地调查表/移交地调查表.docx", "05_移交地调查表/移交地调查表.pdf",
        "07_联系卡/联系卡.docx", "07_联系卡/联系卡.pdf"},
    "xianning": _ARCHIVE | _PARTY_ROSTER | {
        "04_基本信息表/基本信息表.docx", "04_基本信息表/基本信息表.pdf",
        "06_党员组织关系转接名册/介绍信.docx", "06_党员组织关系转接名册/介绍信.pdf",
        "07_联系卡/联系卡.docx", "07_联系卡/联系卡.pdf"},
    "kunming-jinning": _ARCHIVE | {
        "04_信息采集表/信息采集表.docx", "04_信息采集表/信息采集表.pdf",
        "06_党员组织关系移交协议/党员组织关系移交协议.docx", "06_党员组织关系移交协议/党员组织关系移交协议.pdf"},
    "chongqing": _ARCHIVE | _PARTY_ROSTER | {
        "00_移交方案/移交方案.docx", "01_移交协议/交接清单.docx", "01_移交协议/交接清单.pdf"},
    "jieyang": _ARCHIVE | _PARTY_ROSTER,
}

# Documents of the Henan seed's 附件 and procedure that no other seed asks for.
HENAN_ONLY_DOCUMENTS = {"community_roster", "destination_survey", "framework_agreement", "service_application"}
# Henan's words, in no other region's documents.
HENAN_ONLY_PHRASES = ["花名册", "移交地调查表", "省属", "省管干部", "县级以上档案管理部门", "省级财政",
                      "社会保险经办机构核对意见", "社会化管理服务申请",
                      "框架协议", "郑州", "河南"]


def office_name(path: str) -> str:
    parts = PurePosixPath(path).parts
    leaf = PurePosixPath(parts[-1])
    return f"{parts[0]}/{leaf.stem.split('_')[0]}{leaf.suffix}"


def docx_text(path) -> str:
    doc = Document(str(path))
    parts = [p.text for p in doc.paragraphs]
    parts += [c.text for t in doc.tables for row in t.rows for c in row.cells]
    parts += [p.text for s in doc.sections for p in s.header.paragraphs]
    return "\n".join(parts)


def region_bundle(region, out):
    """A bundle with every input a document may wait for: published volumes, a missing material,
    a person routed nowhere."""
    profile = load_profile(region)
    b = make_batch(region, 16, communities=2, seed=11)
    assignments = [route(r, b.enterprise, profile) for r in b.retirees]
    assignments[-1] = Assignment(None, "未能确定移交地")
    routed = [(r, a.destination) for r, a in zip(b.retirees, assignments) if a.destination]
    first = routed[0][0]
    m = generate_bundle(b.enterprise, b.retirees, profile, out, assignments=assignments,
                        volumes=make_volumes(routed, 3),
                        missing=[MissingItem(first.name, first.id_number, "转正定级表", "原始材料遗失")],
                        text_pdf=False, per_person=False, today=TODAY)
    return b, profile, m


@pytest.fixture(scope="module")
def bundles(tmp_path_factory):
    return {region: (out, *region_bundle(region, out))
            for region in REGIONS for out in [tmp_path_factory.mktemp(region)]}


@pytest.mark.parametrize("region", REGIONS)
def test_bundle_holds_exactly_the_profiles_documents(bundles, region):
    out, _, profile, m = bundles[region]
    assert {d.type for d in m.documents} == set(profile.documents)
    assert {office_name(d.path) for d in m.documents} == GOLDEN[region]
    assert all((out / d.path).is_file() for d in m.documents)


def test_henan_documents_only_in_henan(bundles):
    for region in REGIONS:
        types = {d.type for d in bundles[region][3].documents}
        if region == "henan-zhengzhou":
            assert HENAN_ONLY_DOCUMENTS & types
        else:
            assert not HENAN_ONLY_DOCUMENTS & types, region


def test_no_henan_phrase_in_other_regions_documents(bundles):
    henan_out, _, _, henan = bundles["henan-zhengzhou"]
    henan_text = "".join(docx_text(henan_out / d.path) for d in henan.documents if d.format == "docx")
    assert [p for p in HENAN_ONLY_PHRASES if p not in henan_text] == []  # each phrase is Henan's
    for region in REGIONS[1:]:
        out, _, _, m = bundles[region]
        for d in m.documents:
            if d.format == "docx":
                text = docx_text(out / d.path)
                assert [p for p in HENAN_ONLY_PHRASES if p in text] == [], (region, d.path)


def test_a_profile_refuses_an_unknown_document(tmp_path):
    from handover.policy import PolicyError, load_profile_file
    path = tmp_path / "x.toml"
    path.write_text('name = "x"\nprovince = "湖北省"\nsource_seed = "s"\ndocument_no = "d"\nissuer = "i"\n'
                    'documents = ["transfer_agreement", "花名册"]\n', encoding="utf-8")
    with pytest.raises(PolicyError, match="未知的文书“花名册”"):
        load_profile_file(path)


# --- the documents each seed asks for, in its words -------------------------------------------

# type -> (region, the seed's phrases the document carries; on each page for the per-person forms)
PER_PERSON = {"info_collection_form", "party_transfer_agreement"}
SEED_DOCUMENTS = {
    "framework_agreement": ("henan-zhengzhou", [
        "企业退休人员社会化管理服务移交框架协议", "豫政办〔2017〕44号", "明确移交内容，落实工作责任",
        "乙方：郑州市人民政府", "分别签订具体移交协议，明确移交内容、要求和时间节点", "尽量将户籍迁入居住地",
        "省外户籍的退休人员移交到企业所在地街道（乡镇）和社区", "企业离休人员和省管干部保持现有管理方式不变",
        "按每人每年1,000.00元的标准核定", "甲方（盖章）", "乙方（盖章）：郑州市人民政府"]),
    "service_application": ("henan-zhengzhou", [
        "企业退休人员社会化管理服务申请", "社会保险经办机构：", "凭移交协议",
        "《企业退休人员移交社区管理花名册》和《企业退休人员移交地情况调查表》",
        "核对移交企业退休人员人数和名单后签字盖章确认、备案", "将《花名册》传递到企业退休人员选定的户口所在地或常年居住地",
        "申请单位（盖章）"]),
    "transfer_plan": ("chongqing", [
        "退休人员社会化管理移交方案", "渝府办发〔2017〕84号", "“一企一案”", "一、适用范围", "二、交接主体",
        "三、交接事项", "四、经费保障", "五、工作要求", "以企业参保地为主", "规范整理和数字化处理",
        "因私出国（境）证件", "与企业退休人员代表充分沟通，并进行公示", "三方沟通机制",
        "矛盾排查、风险评估、应急预案", "2021年1月1日以后的移交费用标准另行研究制定", "待定",
        "附件：1．企业退休人员社会化管理交接清单"]),
    "handover_checklist": ("chongqing", [
        "企业退休人员社会化管理交接清单", "企业退休人员管理关系", "企业退休人员档案", "退休党员组织关系",
        "移交费用", "待定", "因私出国（境）证件", "不移交", "活动场所", "移交企业（盖章）", "接收单位（盖章）"]),
    "info_collection_form": ("kunming-jinning", [
        "昆明市国有企业退休人员信息采集表", "办理职工退休手续前一个月", "昆明市退休人员社会化管理服务信息系统",
        "纸质版签字页", "凭退休证到社区（村委会）报到", "退休证编号", "重病卧床", "精神康复医院",
        "退休人员本人签名"]),
    "party_transfer_agreement": ("kunming-jinning", [
        "退休人员社会化管理党员组织关系移交协议", "长期居住地（或者户口所在地）乡镇（街道）或者社区（村委会）党组织",
        "附件9《国有企业退休党员社会化管理移交流程》", "组织退休党员过好组织生活", "甲方（盖章）", "乙方（盖章）",
        "入党时间"]),
}


def flat(text: str) -> str:
    return "".join(text.split())


@pytest.mark.parametrize("doc_type", sorted(SEED_DOCUMENTS))
def test_seed_documents_speak_their_seed(bundles, doc_type):
    region, phrases = SEED_DOCUMENTS[doc_type]
    out, _, profile, m = bundles[region]
    entries = m.by_type(doc_type, "docx")
    assert entries
    if doc_type not in TEXT_DOCUMENTS:  # the text documents' PDF comes from LibreOffice (below)
        assert len(m.by_type(doc_type, "pdf")) == len(entries)
    for entry in entries:
        text = flat(docx_text(out / entry.path))
        for phrase in phrases:
            assert flat(phrase) in text, (entry.path, phrase)
    for entry in m.by_type(doc_type, "pdf"):
        pages = pdftotext_pages(out / entry.path)
        if doc_type not in PER_PERSON:
            pages = ["".join(pages)]
        else:
            assert len(pages) == entry.pages == entry.rows * entry.copies  # a page per person and copy
        for page in pages:
            for phrase in phrases:
                assert flat(phrase) in flat(page), (entry.path, phrase)
    for other in REGIONS:
        if other != region and not load_profile(other).makes(doc_type):
            assert not bundles[other][3].by_type(doc_type), other


def test_jinning_info_form_per_transferred_person_and_party_agreement_per_member(bundles):
    out, b, profile, m = bundles["kunming-jinning"]
    assert sum(e.rows for e in m.by_type("info_collection_form", "docx")) == m.transferred
    agreements = m.by_type("party_transfer_agreement", "pdf")
    members = [r for r in b.retirees[:-1] if r.party_member]  # the last one was routed nowhere
    assert members and sum(e.rows for e in agreements) == len(members)
    pages = [flat(p) for e in agreements for p in pdftotext_pages(out / e.path)]
    assert [("第一联移交党组织留存" in p, "第二联接收党组织留存" in p) for p in pages] == \
        [(True, False), (False, True)] * len(members)  # both parties keep one
    names = {r.name for r in members}
    assert {n for n in names if any(f"{n}同志的党员组织关系由甲方转入乙方" in p for p in pages)} == names


def test_info_form_upload_due_a_month_before_retirement():
    from docgen.forms import info_collection_values, month_before
    b = make_batch("kunming-jinning", 2, communities=1, seed=3)
    r = b.retirees[0].model_copy(update={"retired_on": dt.date(2027, 3, 31)})
    dest = route(r, b.enterprise, load_profile("kunming-jinning")).destination
    assert month_before(dt.date(2027, 3, 31)) == dt.date(2027, 2, 28)
    assert info_collection_values(r, b.enterprise, dest, 1, today=TODAY)["due"] == \
        "办理退休手续前一个月（2027年2月28日前）"
    retired = r.model_copy(update={"retired_on": dt.date(2020, 5, 1)})
    assert "补充采集" in info_collection_values(retired, b.enterprise, dest, 1, today=TODAY)["due"]


@pytest.mark.skipif(__import__("shutil").which("soffice") is None, reason="LibreOffice not installed")
def test_seed_documents_open_in_libreoffice(bundles, tmp_path):
    from docgen.convert import convert_to_pdf
    docs = [(bundles[region][0] / e.path, e, phrases) for t, (region, phrases) in SEED_DOCUMENTS.items()
            for e in bundles[region][3].by_type(t, "docx")[:1]]
    pdfs = convert_to_pdf([p for p, _, _ in docs], out_dir=tmp_path)  # one soffice call
    for pdf, (_, entry, phrases) in zip(pdfs, docs):
        if entry.type in PER_PERSON:
            assert pdfinfo_pages(pdf) == entry.rows * entry.copies, entry.path  # a page each, as drawn
        text = flat("".join(pdftotext_pages(pdf)))
        if entry.type == "handover_checklist":  # cells wrap: the title and the signature lines
            phrases = [phrases[0], *phrases[-2:]]
        for phrase in phrases:
            assert flat(phrase) in text, (entry.path, phrase)


def test_chongqing_plan_one_per_enterprise_checklist_per_county(bundles):
    out, b, profile, m = bundles["chongqing"]
    (plan,) = m.by_type("transfer_plan", "docx")
    assert plan.title == f"{b.enterprise.name}退休人员社会化管理移交方案" and plan.rows == m.transferred
    counties = {e.community for e in m.by_type("transfer_agreement", "docx")}
    lists = m.by_type("handover_checklist", "docx")
    assert {e.community for e in lists} == counties
    text = flat(docx_text(out / lists[0].path))
    assert f"{plan.rows}人" in text  # 企业退休人员管理关系: the county's people


def test_chongqing_plan_charges_the_rate_while_it_applies(tmp_path):
    out = tmp_path / "2020"
    b = make_batch("chongqing", 6, communities=1, seed=5)
    m = generate_bundle(b.enterprise, b.retirees, load_profile("chongqing"), out, pdf=False, per_person=False,
                        today=dt.date(2020, 6, 1))
    plan = flat(docx_text(out / m.by_type("transfer_plan", "docx")[0].path))
    assert "按1,020.00元/人的标准一次性支付" in plan and "待定" not in plan
    checklist = flat(docx_text(out / m.by_type("handover_checklist", "docx")[0].path))
    assert f"{1020 * m.transferred:,.2f}元" in checklist


def test_henan_framework_agreement_per_city_application_per_county(bundles):
    out, b, profile, m = bundles["henan-zhengzhou"]
    (framework,) = m.by_type("framework_agreement", "docx")  # the sample's counties are all 郑州's
    assert framework.community == "郑州市" and framework.rows == m.transferred
    counties = {e.community: e.rows for e in m.by_type("transfer_agreement", "docx")}
    applications = m.by_type("service_application", "docx")
    assert {e.community: e.rows for e in applications} == counties
    for e in applications:
        text = flat(docx_text(out / e.path))
        assert text.startswith("企业退休人员社会化管理服务申请") and f"{e.community}社会保险经办机构：" in text
        assert f"申请将我单位退休人员{e.rows}人移交{e.community}" in text
    text = flat(docx_text(out / framework.path))
    assert "、".join(sorted(counties)) in text  # the counties of the city, each with its own agreement


@pytest.mark.parametrize("region, names", [
    ("henan-zhengzhou", "企业退休人员移交社区管理花名册（"), ("xianning", "档案移交名册表"),
    ("kunming-jinning", "档案移交名册表"), ("chongqing", "档案移交名册表"), ("jieyang", "档案移交名册表")])
def test_agreement_cites_the_regions_own_list_and_annexes(bundles, region, names):
    out, _, profile, m = bundles[region]
    text = flat(docx_text(out / m.by_type("transfer_agreement", "docx")[0].path))
    assert f"名单见附件《{names}" in text
    annexes = text[text.index("附件："):]
    for doc, title in (("community_roster", "花名册"), ("destination_survey", "移交地情况调查表"),
                       ("info_collection_form", "信息采集表"), ("handover_checklist", "交接清单"),
                       ("transfer_plan", "移交方案"), ("party_transfer_agreement", "党员组织关系移交协议")):
        assert (title in annexes) == profile.makes(doc), (doc, title)


def test_every_document_type_has_a_chinese_name():
    from docgen.manifest import DOCUMENT_LABELS
    from handover.policy import DOCUMENT_TYPES
    assert set(DOCUMENT_LABELS) == set(DOCUMENT_TYPES)
