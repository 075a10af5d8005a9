"""Per-retiree forms: every row and checkbox of the seed's 附件1—2 and 附件1—3, checked from data."""

from __future__ import annotations

import re

from docx import Document
from docx.oxml.ns import qn

from docgen.forms import BASIC_INFO, CHECKED, SURVEY, form_for

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
            assert checked == (status in {s.value for s in r.special}), (status, r.special)
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
