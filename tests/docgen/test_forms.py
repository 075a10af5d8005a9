"""Per-retiree forms: every row and checkbox of the seed's 附件1—2 and 附件1—3, checked from data."""

from __future__ import annotations

import datetime as dt
import re

from docx import Document
from docx.oxml.ns import qn

from docgen.forms import BASIC_INFO, CHECKED, SURVEY, form_for, place_part, survey_values
from handover.models import Address

# DOMAIN.md §3.2 (调查表): every label of the seed form
SURVEY_FIELDS = ["姓名", "性别", "身份证号", "社会保障号码", "户口所在地地址", "常年居住地地址", "省", "市",
                 "县(区)", "街道", "社区(村)", "邮政编码", "本人联系电话", "原工作单位", "原单位联系人",
                 "原单位联系人电话", "确认的移交地县(市、区)", "社区", "企业劳资部门签章", "企业经办人", "时间",
                 "退休人员本人签名"]
# DOMAIN.md §3.3 (基本信息表)
BASIC_FIELDS = ["个人编号", "档案编号", "自管小组", "No", "基本情况", "社会保障情况", "家庭情况", "姓名", "性别",
                "民族", "出生年月", "身份证号", "政治面貌", "健康状况", "原工作单位", "原任职务", "退休年月",
                "档案存放地点", "文化程度", "特长技能", "兴趣及爱好", "发挥作用情况", "特殊人员情况", "基本养老金",
                "社会保障号码", "工伤等级", "是否享受低保", "社会保险关系所在地", "参保情况", "居住情况",
                "户口所在地", "现居住地", "市", "县(区)", "街道", "路", "号", "室", "电话", "配偶情况",
                "原(现)工作单位", "目前状况", "联系电话", "家庭其他联系人", "关系", "工作单位",
                "详细地址及邮政编码"]
BASIC_CHECKBOXES = ["从事专业技术服务", "创办经济实体", "从事社会公益活动", "建国前参加工作", "七十以上高龄",
                    "孤寡老人", "劳模", "特困", "重病", "养老", "医疗", "工伤", "本地人员", "异地人员",
                    "出国(境)居住", "在职", "无职业", "离退休"]
BASIC_NOTE = "说明：表中相关信息主要由单位及个人共同填写，并提供电子文档。"


def _text(doc) -> str:
    parts = [p.text for p in doc.paragraphs]
    parts += [c.text for t in doc.tables for r in t.rows for c in r.cells]
    return re.sub(r"[\s\u3000]", "", "\n".join(parts))


def test_spec_labels_cover_the_seed_forms():
    survey = "".join(SURVEY.labels())
    for label in SURVEY_FIELDS:
        assert label in survey, label
    basic = "".join(BASIC_INFO.labels())
    for label in BASIC_FIELDS:
        assert label in basic, label


def test_basic_info_batch_one_page_per_person_fields_and_checkboxes(bundle, routed):
    out, manifest = bundle
    entry = manifest.by_type("basic_info_form", "docx")[0]
    people = [r for r, d in routed if d.label == entry.community]
    doc = Document(str(out / entry.path))
    assert len(doc.tables) == len(people) == entry.rows
    breaks = sum(1 for p in doc.paragraphs if p._p.pPr is not None
                 and p._p.pPr.find(qn("w:pageBreakBefore")) is not None)
    assert breaks == len(people) - 1
    text = _text(doc)
    for label in BASIC_FIELDS + BASIC_CHECKBOXES:
        assert label.replace(" ", "") in text, label
    assert BASIC_NOTE in text
    for r, table in zip(people, doc.tables):
        cells = "".join(c.text for row in table.rows for c in row.cells)
        assert r.id_number in cells and r.name in cells
        for status in ("建国前参加工作", "七十以上高龄", "孤寡老人", "劳模", "特困", "重病"):
            checked = f"{status}{CHECKED}" in cells
            # the bundle is dated 2026-11-20: 七十以上高龄 is the age on that day
            assert checked == (status in {s.value for s in r.special_on(dt.date(2026, 11, 20))}), (status, r.special)
        assert f"养老{CHECKED}" in cells  # the retiree draws a pension
        assert f"本地人员{CHECKED}" in cells or f"异地人员{CHECKED}" in cells


def test_survey_batch_and_per_person_files(bundle, routed):
    out, manifest = bundle
    entry = manifest.by_type("destination_survey", "docx")[0]
    people = [r for r, d in routed if d.label == entry.community]
    doc = Document(str(out / entry.path))
    text = _text(doc)
    for label in SURVEY_FIELDS:
        assert label in text, label
    assert len(doc.tables) == len(people)
    dest = next(d for _, d in routed if d.label == entry.community)
    for r, table in zip(people, doc.tables):
        cells = [c.text for row in table.rows for c in row.cells]
        assert r.id_number in cells and dest.community in cells and dest.street in cells
    singles = [e for e in manifest.by_type("destination_survey", "docx") if e.rows == 1]
    assert len(singles) == len(routed)
    one = Document(str(out / singles[0].path))
    assert len(one.tables) == 1


def _address_lines(table) -> list[str]:
    """The 户口所在地地址 and 常年居住地地址 rows as printed: each cell once (merged cells repeat)."""
    lines = []
    for row in table.rows:
        cells = []
        for c in row.cells:
            if not cells or c._tc is not cells[-1]._tc:
                cells.append(c)
        text = "".join(c.text for c in cells)
        if text.startswith(("户口所在地地址", "常年居住地地址")):
            lines.append(text.replace("\n", ""))
    return lines


def test_survey_address_names_are_not_doubled_by_their_labels(bundle, routed):
    """The form prints 县(区)/街道/社区(村) after the names, so 二七区 is written 二七 (not 二七区县(区))."""
    out, manifest = bundle
    entry = manifest.by_type("destination_survey", "docx")[0]
    people = [r for r, d in routed if d.label == entry.community]
    doc = Document(str(out / entry.path))
    for r, table in zip(people, doc.tables):
        hukou, residence = _address_lines(table)
        for line in (hukou, residence):
            assert not re.search(r"[区县]县\(区\)|街道街道|社区社区", line), line
        a = r.residence
        assert residence == (f"常年居住地地址{a.province.removesuffix('省')}省{a.city.removesuffix('市')}市"
                             f"{re.sub('[区县]$', '', a.county)}县(区){a.street.removesuffix('街道')}街道"
                             f"{a.community.removesuffix('社区')}社区(村)")


def test_basic_info_county_is_not_doubled_by_its_label(bundle):
    out, manifest = bundle
    doc = Document(str(out / manifest.by_type("basic_info_form", "docx")[0].path))
    for table in doc.tables:
        cells = "".join(c.text for row in table.rows for c in row.cells)
        assert "县(区)" in cells
        assert not re.search(r"[区县]县\(区\)", cells), cells


def test_xianning_form_carries_signatures():
    spec = form_for(BASIC_INFO, signed=True)
    labels = [k for k, _ in spec.footer]
    assert labels == ["退休人员本人签名", "企业经办人", "企业（盖章）", "日期"]
    assert form_for(BASIC_INFO, signed=False).footer == []


def _town_dweller(batch):
    """A 咸宁 retiree living and registered in 嘉鱼县鱼岳镇 (a 镇, not a 街道)."""
    town = Address(province="湖北省", city="咸宁市", county="嘉鱼县", street="鱼岳镇", community="城东社区",
                   detail="沿湖路8号")
    return batch.retirees[0].model_copy(update={"hukou": town, "residence": town})


def test_xianning_basic_info_prints_a_town_as_a_town_in_docx_and_pdf(tmp_path):
    """鱼岳镇 is printed 鱼岳 | 镇 on the 基本信息表: never 鱼岳镇街道 nor 街道 beside a 镇."""
    from docgen.bundle import generate_bundle
    from handover.policy import load_profile
    from handover.sample import make_batch

    from .conftest import pdftotext_pages

    batch = make_batch("xianning", 4, communities=1, seed=5)
    person = _town_dweller(batch)
    m = generate_bundle(batch.enterprise, [person], load_profile("xianning"), tmp_path, text_pdf=False,
                        per_person=False, assignments=[_assignment(person)])
    doc = Document(str(tmp_path / m.by_type("basic_info_form", "docx")[0].path))
    lines = [line for line in _printed_rows(doc.tables[0]) if "户口所在地" in line or "现居住地" in line]
    assert len(lines) == 2
    for line in lines:
        assert "咸宁市嘉鱼县(区)鱼岳镇沿湖路8号" in line, line
        assert "街道" not in line, line
    pdf = re.sub(r"\s", "", "".join(pdftotext_pages(tmp_path / m.by_type("basic_info_form", "pdf")[0].path)))
    assert "鱼岳镇" in pdf and "鱼岳镇街道" not in pdf and "镇街道" not in pdf


def test_survey_labels_a_town_and_keeps_the_street_label_for_a_street(tmp_path):
    """The 调查表 (its seed labels 街道): a 镇 address reads 鱼岳 | 镇, the chosen destination's
    label is 乡镇 before 鱼岳镇; a 街道 keeps the seed's label."""
    from docgen.forms_docx import FormRenderer
    from docgen.pdf_forms import render_forms_pdf
    from handover.models import Destination
    from handover.sample import make_batch

    from .conftest import pdftotext_pages

    batch = make_batch("xianning", 4, communities=1, seed=5)
    person = _town_dweller(batch)
    town = Destination(county="嘉鱼县", street="鱼岳镇", community="城东社区")
    street = Destination(county="咸安区", street="温泉街道", community="温泉社区")
    values = [survey_values(person, batch.enterprise, town), survey_values(person, batch.enterprise, street)]
    FormRenderer("destination_survey").write(values, tmp_path / "survey.docx")
    doc = Document(str(tmp_path / "survey.docx"))
    for table, dest_line in zip(doc.tables, ("乡镇鱼岳镇", "街道温泉街道")):
        rows = _printed_rows(table)
        for line in rows:
            if line.startswith(("户口所在地地址", "常年居住地地址")):
                assert "嘉鱼县(区)鱼岳镇城东社区(村)" in line, line
        assert any(dest_line in line for line in rows), rows
    render_forms_pdf(SURVEY, values, tmp_path / "survey.pdf")
    pages = [re.sub(r"\s", "", p) for p in pdftotext_pages(tmp_path / "survey.pdf")]
    assert all("镇街道" not in p for p in pages)
    assert "乡镇" in pages[0] and "乡镇" not in pages[1]


def test_place_part_is_one_rule_for_every_level():
    assert place_part("二七区", "county") == ("二七", "县(区)")
    assert place_part("城区", "county") == ("城区", "县(区)")  # 城 alone would be no name
    assert place_part("鱼岳镇", "street") == ("鱼岳", "镇")
    assert place_part("官桥乡", "street") == ("官桥", "乡")
    assert place_part("温泉街道办事处", "street") == ("温泉", "街道")
    assert place_part("建中街", "street") == ("建中街", "街道")
    assert place_part("", "street") == ("", "街道")
    assert place_part("城东村民委员会", "community") == ("城东", "社区(村)")


def _printed_rows(table) -> list[str]:
    """Each row as printed: each cell once (merged cells repeat), line breaks dropped."""
    out = []
    for row in table.rows:
        cells = []
        for c in row.cells:
            if not cells or c._tc is not cells[-1]._tc:
                cells.append(c)
        out.append("".join(c.text for c in cells).replace("\n", ""))
    return out


def _assignment(person):
    from handover.models import Destination
    from handover.routing import Assignment

    return Assignment(Destination(county="嘉鱼县", street="鱼岳镇", community="城东社区"), "测试：指定移交地")


def test_seventy_is_ticked_from_the_birth_date_on_the_document_date(tmp_path):
    """七十以上高龄 on the 基本信息表: 69 on the document date is not ticked though the roster ticks
    it; 70 that day is ticked though the roster does not."""
    from docgen.bundle import generate_bundle
    from handover import idnumber
    from handover.models import SpecialStatus
    from handover.policy import load_profile
    from handover.sample import make_batch

    dated = dt.date(2026, 12, 4)
    batch = make_batch("xianning", 4, communities=1, seed=5)

    def born(r, day, special):
        number = idnumber.make(r.id_number[:6], day, int(r.id_number[14:17]))
        return r.model_copy(update={"birth_date": day, "id_number": number, "special": frozenset(special)})

    young = born(batch.retirees[0], dt.date(1956, 12, 5), {SpecialStatus.OVER_SEVENTY})
    old = born(batch.retirees[1], dt.date(1956, 12, 4), set())
    m = generate_bundle(batch.enterprise, [young, old], load_profile("xianning"), tmp_path, pdf=False,
                        per_person=False, today=dated)
    ticked = {}
    for entry in m.by_type("basic_info_form", "docx"):
        for table in Document(str(tmp_path / entry.path)).tables:
            cells = "".join(c.text for row in table.rows for c in row.cells)
            person = next(r for r in (young, old) if r.id_number in cells)
            ticked[person.id_number] = f"七十以上高龄{CHECKED}" in cells
    assert ticked == {young.id_number: False, old.id_number: True}
