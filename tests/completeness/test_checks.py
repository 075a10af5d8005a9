"""Unit tests of every check on hand-built records."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from completeness.checks import catalog, identity, identity_read, legibility, materials, pages
from completeness.findings import Outcome, Severity, decide, finding
from completeness.volume import Line, Row
from handover.idnumber import make
from handover.policy import load_profile

from .helpers import CONFIRM, ID, NAME, PENSION, RECRUIT, REGISTER, RETIRE, WAGE, corner_line, page, volume


@pytest.fixture(scope="module")
def henan():
    return load_profile("henan-zhengzhou")


def codes(findings):
    return [f.code for f in findings]


# ---------------------------------------------------------------- required materials

def test_all_required_materials_present(henan):
    assert materials.check_required_materials(volume().rows, henan.required_for(False)) == []


def test_missing_material_named(henan):
    rows = [r for r in volume().rows if r.title != "基本养老金核定表"]
    found = materials.check_required_materials(rows, henan.required_for(False))
    assert [(f.code, f.material, f.severity) for f in found] == [("missing_material", "基本养老金核定表", Severity.ERROR)]
    assert "基本养老金核定表" in found[0].message_zh and "书面说明" in found[0].message_zh


def test_party_member_needs_party_material(henan):
    rows = volume().rows
    assert materials.check_required_materials(rows, henan.required_for(False)) == []
    found = materials.check_required_materials(rows, henan.required_for(True))
    assert [f.material for f in found] == ["入党志愿书或党员登记表"]
    with_party = rows + (Row("六-1", "六", "党员登记表", "1990-01-01", 1, 7, 7),)
    assert materials.check_required_materials(with_party, henan.required_for(True)) == []


def test_accepted_title_variants_and_exclusions(henan):
    rows = [replace(r, title="工资调整审批表") if "工资" in r.title else r for r in volume().rows]
    assert materials.check_required_materials(rows, henan.required_for(False)) == []
    # A row made of another person's pages satisfies nothing.
    found = materials.check_required_materials(volume().rows, henan.required_for(False), excluded_seqs=["九-2-2"])
    assert [f.material for f in found] == ["退休审批表"]


# ---------------------------------------------------------------- page sequence

def test_declared_pages_against_found():
    pgs = volume().pages
    assert pages.check_page_count(pgs, None) == []
    assert pages.check_page_count(pgs, 6) == []
    short = pages.check_page_count(pgs, 8)
    assert codes(short) == ["page_count_mismatch"] and "缺2页" in short[0].message_zh
    assert "多1页" in pages.check_page_count(pgs, 5)[0].message_zh


def test_declared_pages_hint_when_blank_sides_were_counted():
    pgs = volume().pages + (page(7, None, blank=True),)
    found = pages.check_page_count(pgs, 7)
    assert codes(found) == ["page_count_mismatch"] and "空白页" in found[0].message_zh


def _numbered(numbers):
    return [page(i, i, f"材料正文第{i}页内容", lines=(Line("材料正文", (300, 400, 1500, 480)), corner_line(str(n))))
            for i, n in enumerate(numbers, 1)]


def test_written_page_number_read_from_corner_only():
    p = _numbered([7])[0]
    assert pages.written_page_number(p) == 7
    middle = replace(p, lines=(Line("12", (1200, 1700, 1260, 1760)),))
    assert pages.written_page_number(middle) is None
    mark = replace(p, lines=(corner_line("3-2-7"),))
    assert pages.written_page_number(mark) == 7


def test_gap_in_written_numbers_is_found_at_the_page():
    found = pages.check_written_numbers(_numbered([1, 2, 4, 5]))
    assert [(f.code, f.page) for f in found] == [("page_number_gap", 3)]
    assert "缺第3页" in found[0].message_zh


def test_repeat_in_written_numbers():
    found = pages.check_written_numbers(_numbered([1, 2, 2, 3]))
    assert [(f.code, f.page) for f in found] == [("page_number_repeat", 3)]


def test_written_numbers_ignored_when_rarely_found_or_restarting():
    pgs = _numbered([1, 5]) + [page(3, 3, "正文"), page(4, 4, "正文"), page(5, 5, "正文")]
    assert pages.check_written_numbers(pgs) == []
    assert pages.check_written_numbers(_numbered([1, 2, 1, 2]), restart_per_material=True) == []


def test_duplicates_noted_or_flagged_when_counted():
    pgs = [page(1, 1, REGISTER), page(2, None, REGISTER, duplicate_of=1), page(3, 2, CONFIRM, duplicate_of=1)]
    found = pages.check_duplicates(pgs)
    assert [(f.code, f.page, f.severity) for f in found] == [("duplicate_page", 2, Severity.INFO),
                                                            ("duplicate_page_counted", 3, Severity.ERROR)]


def test_rescan_numbered_by_mistake_is_suspected():
    slip = REGISTER.replace("1980年10月25日", "1980年10月26日").replace("郑州", "郑洲")
    pgs = [page(1, 1, REGISTER), page(2, 2, slip), page(3, 3, CONFIRM)]
    found = pages.check_duplicates(pgs)
    assert [(f.code, f.page) for f in found] == [("duplicate_page_counted", 2)]
    # It does not also count as a surplus page against the declared count.
    assert pages.check_page_count(pgs, 2) == []
    # Two forms of one kind differ in their figures: not a rescan.
    wage2 = WAGE.replace("2000年4月", "2006年9月").replace("2000年4月21日", "2006年9月30日")
    assert pages.check_duplicates([page(1, 1, WAGE), page(2, 2, wage2)]) == []


def test_blank_page_counted_by_mistake():
    pgs = [page(1, 1, REGISTER), page(2, 2, blank=True), page(3, None, blank=True)]
    assert [(f.code, f.page) for f in pages.check_blank_counted(pgs)] == [("blank_page_counted", 2)]
    assert pages.check_blank_counted(pgs, count_blank_pages=True) == []


# ---------------------------------------------------------------- legibility

def test_unreadable_and_low_confidence_pages():
    pgs = [page(1, 1, REGISTER), page(2, 2, "", confidence=0.0), page(3, 3, RETIRE, confidence=0.4),
           page(4, 4, CONFIRM, confidence=0.75), page(5, None, blank=True)]
    found = legibility.check_unreadable(pgs)
    assert [(f.code, f.page) for f in found] == [("unreadable_page", 2), ("unreadable_page", 3),
                                                 ("low_confidence_page", 4)]


def test_text_density_too_low_is_unreadable():
    sparse = page(1, 1, "职工登记表某某", confidence=0.9)  # 7 characters on an A4 page
    assert codes(legibility.check_unreadable([sparse])) == ["unreadable_page"]
    assert legibility.density(page(1, 1, REGISTER)) > legibility.LIMITS.min_density


def test_resolution_minimum_and_consistency():
    pgs = [page(1, 1, REGISTER, dpi=300), page(2, 2, RETIRE, dpi=300), page(3, 3, CONFIRM, dpi=150)]
    found = legibility.check_resolution(pgs)
    assert [(f.code, f.page) for f in found] == [("low_resolution", 3), ("mixed_resolution", 3)]
    assert legibility.check_resolution(pgs[:2]) == []


def test_colour_mode_consistency_and_residual_skew():
    pgs = [page(1, 1, REGISTER, mode="RGB", residual_skew=0.2), page(2, 2, RETIRE, mode="RGB", residual_skew=1.6),
           page(3, 3, CONFIRM, mode="L"), page(4, None, blank=True, mode="L")]
    assert [(f.code, f.page) for f in legibility.check_colour_modes(pgs)] == [("mixed_colour_mode", 3)]
    assert [(f.code, f.page) for f in legibility.check_residual_skew(pgs)] == [("residual_skew", 2)]
    assert legibility.check_colour_modes(pgs[:2]) == []


# ---------------------------------------------------------------- identity

PERSON = identity.Person(NAME, ID, "男")
BIRTH = dt.date(1963, 5, 6)


def test_fields_read_from_the_forms():
    ident = identity_read.page_identity(page(1, 1, REGISTER))
    assert ident.names == (NAME,) and ident.sexes == ("男",) and ident.political == ("群众",)
    assert [(b.year, b.month, b.day) for b in ident.births] == [(1963, 5, None)]
    prose = identity_read.page_identity(page(2, 2, "自传\n我叫王振华，男，汉族，1963年5月出生于郑州市金水区。"))
    assert [(b.year, b.month) for b in prose.births] == [(1963, 5)]
    assert identity_read.field_values(["姓名：李四", "性别", "女"], ["姓名"]) == ["李四"]


def test_another_persons_form_is_foreign():
    other = RETIRE.replace(NAME, "张秀兰").replace("1963年5月", "1958年2月")
    idents = [identity_read.page_identity(page(1, 1, REGISTER)), identity_read.page_identity(page(2, 2, other))]
    found = identity.check_foreign(idents, PERSON, BIRTH, {2: "企业职工退休审批表"})
    assert [(f.code, f.page, f.material) for f in found] == [("foreign_form", 2, "企业职工退休审批表")]
    assert "张秀兰" in found[0].message_zh


def test_ocr_slip_in_own_name_is_not_foreign_but_other_birth_is():
    slip = identity_read.page_identity(page(1, 1, REGISTER.replace(NAME, "王振化")))
    assert identity.check_foreign([slip], PERSON, BIRTH) == []
    same_surname = identity_read.page_identity(page(2, 2, RETIRE.replace(NAME, "王振民").replace("1963年5月", "1960年1月")))
    assert [f.page for f in identity.check_foreign([same_surname], PERSON, BIRTH)] == [2]


def test_id_number_on_a_form_must_be_the_persons():
    other_id = make("410105", dt.date(1958, 2, 3), 12)
    own = identity_read.page_identity(page(1, 1, f"{REGISTER}\n公民身份号码\n{ID}"))
    alien = identity_read.page_identity(page(2, 2, f"{RETIRE}\n身份证号：{other_id}"))
    found = identity.check_id_numbers([own, alien], PERSON)
    assert [(f.code, f.page) for f in found] == [("id_number_mismatch", 2)]
    assert other_id not in found[0].message_zh  # masked
    junk = identity_read.page_identity(page(3, 3, "合计金额 123456789012345678"))  # checksum fails: not an ID
    assert junk.id_numbers == ()


def test_earliest_recorded_birth_date_prevails():
    early = identity_read.page_identity(page(1, 1, REGISTER.replace("1963年5月", "1962年5月")))
    late = identity_read.page_identity(page(2, 2, RETIRE))
    formed = {1: dt.date(1980, 10, 25), 2: dt.date(2023, 5, 20)}
    found = identity.check_birth_dates([late, early], PERSON, formed)
    assert [(f.code, f.page) for f in found] == [("birth_date_mismatch", 1), ("birth_date_inconsistent", 2)]
    assert "1962年5月" in found[0].message_zh and "1999" in found[0].message_zh
    # The earliest record agrees with the ID: only the inconsistency is flagged, never "fixed".
    formed_rev = {1: dt.date(2023, 5, 20), 2: dt.date(1980, 10, 25)}
    assert codes(identity.check_birth_dates([late, early], PERSON, formed_rev)) == ["birth_date_inconsistent"]
    assert identity.check_birth_dates([late], PERSON, formed) == []


def test_sex_and_roster_id_checks():
    she = identity_read.page_identity(page(1, 1, REGISTER.replace("性别\n男", "性别\n女")))
    assert [(f.code, f.page) for f in identity.check_sex([she], PERSON)] == [("sex_mismatch", 1)]
    assert codes(identity.check_roster_id(identity.Person(NAME, "410105196305066214"), "")) == ["id_number_invalid"]
    assert codes(identity.check_roster_id(PERSON, make("410105", BIRTH, 21))) == ["volume_id_mismatch"]
    assert identity.check_roster_id(PERSON, ID) == []


def test_no_name_to_compare_flags_nothing_foreign():
    nobody = identity.Person("", ID)
    idents = [identity_read.page_identity(page(1, 1, REGISTER))]
    assert identity.check_foreign(idents, nobody, BIRTH) == []
    assert codes(identity.check_name_present(idents, [page(1, 1, REGISTER)], nobody)) == ["name_not_found"]
    # A name without Chinese characters is said to be one, not "no name registered".
    [latin] = identity.check_name_present(idents, [page(1, 1, REGISTER)], identity.Person("Zhang San", ID))
    assert "Zhang San" in latin.message_zh and "不含汉字" in latin.message_zh and "均未登记" not in latin.message_zh


def test_name_not_found():
    pgs = [page(1, 1, "自传\n本人情况如下")]
    idents = [identity_read.page_identity(p) for p in pgs]
    assert codes(identity.check_name_present(idents, pgs, PERSON)) == ["name_not_found"]
    pgs2 = [page(1, 1, f"自传\n我叫{NAME}，男")]
    assert identity.check_name_present([identity_read.page_identity(pgs2[0])], pgs2, PERSON) == []


# ---------------------------------------------------------------- catalogue against images

def test_consistent_catalog_passes():
    v = volume()
    assert catalog.check_catalog(v.pages, v.rows) == []
    assert catalog.check_rows_identified(v.rows) == []


def test_catalog_row_without_pages_and_page_outside():
    v = volume()
    rows = v.rows + (Row("十-1", "十", "其他材料", None, 2, 7, 8),)
    found = catalog.check_catalog(v.pages, rows)
    assert "catalog_row_without_pages" in codes(found) and "catalog_count_mismatch" in codes(found)
    pgs = v.pages + (page(7, 7, "某材料续页"),)
    found = catalog.check_catalog(pgs, v.rows)
    assert [(f.code, f.page) for f in found if f.code == "page_outside_catalog"] == [("page_outside_catalog", 7)]


def test_catalog_overlap_and_row_count():
    v = volume()
    rows = (replace(v.rows[0], end_page=2, pages=2),) + v.rows[1:]
    found = catalog.check_catalog(v.pages, rows)
    assert ("catalog_overlap", 2) in [(f.code, f.page) for f in found]
    bad = (replace(v.rows[0], pages=3),) + v.rows[1:]
    assert "catalog_count_mismatch" in codes(catalog.check_catalog(v.pages, bad))


def test_catalog_per_material_numbering():
    pgs = [page(1, 1, REGISTER), page(2, 1, "入党志愿书"), page(3, 2, "续"), page(4, None, blank=True)]
    rows = [Row("一-1", "一", "职工登记表", "1980-10-25", 1, 1, 1), Row("六-1", "六", "入党志愿书", "1990-07-01", 2, 1, 2)]
    assert catalog.check_catalog(pgs, rows, per_material=True) == []
    owner = catalog.page_rows(pgs, rows, per_material=True)
    assert owner[4].title == "入党志愿书"  # the blank back goes with the sheet before it
    short = [rows[0], replace(rows[1], pages=3, end_page=3)]
    assert "catalog_row_without_pages" in codes(catalog.check_catalog(pgs, short, per_material=True))


def test_unidentified_material_and_missing_date():
    rows = [Row("十-1", "十", "未识别材料", None, 1, 1, 1, "未能识别材料名称，请人工核对")]
    assert codes(catalog.check_rows_identified(rows)) == ["material_unidentified", "formed_on_missing"]


# ---------------------------------------------------------------- outcome

def test_outcome_rules():
    assert decide([]) == Outcome.COMPLETE
    assert decide([finding("duplicate_page", "x", 2), finding("residual_skew", "x", 3)]) == Outcome.COMPLETE
    assert decide([finding("missing_material", "x", material="退休审批表")]) == Outcome.INCOMPLETE
    assert decide([finding("missing_material", "x"), finding("foreign_form", "x", 4)]) == Outcome.REJECTED
    assert decide([finding("unreadable_page", "x", 2)]) == Outcome.REJECTED


# ---------------------------------------------------------------- material dates to be read by a person

def test_a_lost_year_puts_the_materials_date_in_the_review_queue(henan):
    from completeness.check import run_checks

    # 基本养老金核定表 signed "二 六年…": its year lost a character, so its date is for a person.
    lost = PENSION.replace("2023年6月17日", "二 六年六月十七日")
    vol = volume(forms=[f if f[1] != "基本养老金核定表" else (f[0], f[1], None, lost) for f in volume.__defaults__[0]])
    report = run_checks(vol, None, henan, now=dt.datetime(2026, 12, 1, tzinfo=dt.timezone.utc))
    assert [(i.key, i.material) for i in report.review] == [("formed_on:6", "基本养老金核定表")]
    assert "二 六年六月十七日" in report.review[0].reason_zh and report.provisional
    # A birth year that lost its 〇 cannot be the signing date: nothing to read.
    early = REGISTER.replace("出生年月\n1963年5月", "出生年月\n一九六年五月十日")
    vol = volume(forms=[(c, t, d, early if t == "职工登记表" else x) for c, t, d, x in volume.__defaults__[0]])
    assert not [i for i in run_checks(vol, None, henan).review if i.field == "formed_on"]


# ---------------------------------------------------------------- values crossed out and corrected

def test_an_alteration_is_in_the_review_queue_with_its_place_and_correction(henan):
    from completeness.check import run_checks
    from completeness.checks.alterations import alteration_review

    vol = volume()
    wage = vol.pages[3]
    correction = Line("2001年4月", (700, 900, 940, 950), 0.9)  # written above the struck 2000年4月
    elsewhere = Line("劳动工资部门", (100, 1500, 500, 1550), 0.99)
    altered = replace(wage, lines=(correction, elsewhere), struck=((700, 900, 950, 1020),))
    vol = replace(vol, pages=vol.pages[:3] + (altered,) + vol.pages[4:])
    report = run_checks(vol, None, henan, now=dt.datetime(2026, 12, 1, tzinfo=dt.timezone.utc))
    item, = report.review
    assert (item.key, item.label, item.value, item.material) == ("altered:4", "划改处", "2001年4月", "职工工资变动审批表")
    assert item.box == (700, 900, 950, 1020) and "划改" in item.reason_zh and report.provisional
    assert report.outcome == Outcome.COMPLETE  # a question for a person, not a defect of the file
    # Confirmed (or corrected) by staff, nothing is left open.
    assert run_checks(vol, None, henan, corrections={"altered:4": "2001年4月"}).review == []
    # Two on one page are one item over both; one with nothing read in its place reads 无.
    two = replace(altered, struck=((700, 900, 950, 1020), (100, 2000, 300, 2060)))
    item, = alteration_review([two])
    assert item.box == (100, 900, 950, 2060) and item.value == "2001年4月" and "2处" in item.reason_zh
    assert alteration_review([replace(altered, lines=())])[0].value == "无"
    # A duplicate scan or a blank side asks nothing: the page it repeats is asked about.
    assert alteration_review([replace(altered, duplicate_of=1), replace(altered, blank=True)]) == []


def test_a_corrected_material_date_is_the_one_the_birth_rule_uses(henan):
    from completeness.check import run_checks

    # The 招工审批表 (formed first, 1980-05-17) records 1962年5月, the others 1963年5月 like the ID.
    early = RECRUIT.replace("1963年5月", "1962年5月")
    vol = volume(forms=[(c, t, d, early if t == "招工审批表" else x) for c, t, d, x in volume.__defaults__[0]])
    assert "birth_date_mismatch" in run_checks(vol, None, henan).codes()
    # Staff read the 招工审批表's date as 2024: the 职工登记表 (1980-10-25) records the birth date first.
    fixed = run_checks(vol, None, henan, corrections={"formed_on:2": "2024-01-01"})
    assert "birth_date_mismatch" not in fixed.codes() and "birth_date_inconsistent" in fixed.codes()
