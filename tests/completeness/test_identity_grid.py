"""Identity read from the form's grid: label → value by the OCR lines' boxes, and whose page it is
(他人材料 / 待人工核对 / 未能识别), with the 校对 queue's corrections."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from completeness.check import run_checks
from completeness.checks import identity, identity_read
from completeness.checks.text import FORM_LABELS, is_label, leading_label
from completeness.findings import Outcome, Severity
from completeness.volume import Line, Page, Row, Volume
from handover.idnumber import make
from handover.policy import load_profile

NAME = "刘建"
BIRTH = dt.date(1944, 5, 2)
ID = make("410102", BIRTH, 356)  # female
PERSON = identity.Person(NAME, ID, "女")
COLS = (221, 553, 912, 1215, 1576, 1872)  # x of the six cells of a generated form row


def cell(text: str, row: int, col: int, conf: float = 0.99, y0: int = 588) -> Line:
    x = COLS[col]
    y = y0 + 150 * row
    width = 56 * max(1, len(text))
    return Line(text, (x, y, x + width, y + 66), conf)


def form(index: int, rows: list[list[str | tuple[str, float] | None]], extra: tuple[Line, ...] = (),
         title: str = "企业职工退休审批表") -> Page:
    """A form page from rows of cells; None is a cell OCR read nothing in; (text, confidence)."""
    lines = [Line(title, (1000, 282, 1500, 378), 0.99)]
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is None:
                continue
            text, conf = value if isinstance(value, tuple) else (value, 0.99)
            lines.append(cell(text, r, c, conf))
    lines += list(extra)
    text = "\n".join(l.text for l in lines)
    return Page(index=index, page_no=index, text=text, confidence=0.97, lines=tuple(lines))


def own_form(index: int, name: str | tuple[str, float] | None = NAME, birth: str | tuple | None = "1944年5月",
             sex: str | tuple | None = "女") -> Page:
    return form(index, [["姓名", name, "性别", sex, "出生年月", birth],
                        ["参加工作时间", None, "1962年11月", "连续工龄", "32年", None],
                        ["退休类别", "正常退休", None, "退休时间", "1994年6月", None]])


def ident(page: Page, corrections=None):
    return identity_read.page_identity(page, corrections)


def verdicts(*pages: Page, person=PERSON):
    return identity.assess([ident(p) for p in pages], person, BIRTH)


# ---------------------------------------------------------------- reading the grid

def test_value_is_the_cell_right_of_the_label():
    i = ident(own_form(1))
    assert i.names == (NAME,) and i.sexes == ("女",)
    assert [(b.year, b.month, b.day) for b in i.births] == [(1944, 5, None)]
    assert i.name.box[0] == COLS[1]  # the value's own box, for the 校对 crop


def test_a_label_is_never_a_value():
    # The name cell not read: the next label on the row is not the name.
    i = ident(form(1, [["姓名", None, "参加工作时间", "1962年11月"]]))
    assert i.names == () and i.name is not None and i.name.value == ""
    assert i.name.box[0] >= COLS[0] and i.name.box[2] <= COLS[2]  # the empty cell, for the crop
    # Text without boxes (one line under the other): the next line is a label, not a value.
    for label in ("考核年度", "身份证号", "参加工作时间"):
        assert identity_read.page_identity(Page(1, 1, f"姓名\n{label}\n2019")).names == ()
    assert identity_read.field_values(["姓名", "性别", "女"], ["姓名"]) == []
    assert all(is_label(l) for l in ("姓 名", "民族.", "文化程度·", "姓名："))


def test_label_and_value_fused_in_one_line():
    for fused in ("姓名张三", "姓名：张三", "姓 名: 张三", "姓名张三性别"):
        i = ident(form(1, [[fused]]))
        assert i.names == ("张三",), fused
    i = ident(form(1, [["出生年月1944年5月", "性别女"]]))
    assert [(b.year, b.month) for b in i.births] == [(1944, 5)] and i.sexes == ("女",)


def test_value_below_a_header_row():
    page = form(1, [["姓名", "性别", "出生年月"], [NAME, "女", "1944年5月"]])
    i = ident(page)
    assert i.names == (NAME,) and i.sexes == ("女",) and i.births[0].month == 5


def test_a_relatives_name_is_not_the_subjects():
    page = form(1, [["姓名", NAME, "性别", "女"],
                    ["配偶情况", "姓名", "王德顺", "出生年月", "1940年3月"]])
    i = ident(page)
    assert i.names == (NAME,) and [(b.year, b.month) for b in i.births] == []
    family = form(1, [["称谓", "姓名", "出生年月", "工作单位"], ["丈夫", "王德顺", "1940年3月", "郑州第四机械厂"]])
    assert ident(family).names == ()


def test_prose_keeps_its_own_rule():
    prose = Page(1, 1, "自传\n我叫刘建，女，汉族，一九四四年五月出生于郑州市。")
    i = ident(prose)
    assert i.names == () and [(b.year, b.month) for b in i.births] == [(1944, 5)]


def test_scan_form_labels_are_in_the_vocabulary():
    from handover.sample import make_batch
    from ocr import sample_scans, scan_forms

    seen = 0
    for r in make_batch("henan-zhengzhou", 3, seed=5).retirees:
        rng = random.Random(7)
        for draft in sample_scans._drafts(r, "郑州第四机械厂", rng, sample_scans.SampleOptions(),
                                          sample_scans._Pens("kai", rng)):
            for layout in draft.pages:
                if layout.quality == "office":  # printed prose (自传), not a form
                    continue
                for op in layout.ops:
                    if isinstance(op, scan_forms.Text) and op.kind == "serif":  # printed, not filled in
                        seen += 1
                        assert leading_label(op.text) is not None, (draft.title, op.text)
    assert seen > 50 and len(set(FORM_LABELS)) == len(FORM_LABELS)


# ---------------------------------------------------------------- whose page is it

def test_one_character_off_name_and_other_birth_is_foreign():
    other = form(2, [["姓名", "罗建", "性别", "女", "出生年月", "1947年9月"]])
    found = identity.check_foreign([ident(own_form(1)), ident(other)], PERSON, BIRTH, {2: "招工审批表"})
    assert [(f.code, f.page, f.material) for f in found] == [("foreign_form", 2, "招工审批表")]
    assert "罗建" in found[0].message_zh and "出生日期亦不符" in found[0].message_zh


def test_only_the_name_one_character_off_asks_a_person():
    near = form(2, [["姓名", "罗建", "性别", "女", "出生年月", "1944年5月"]])
    idents = [ident(own_form(1)), ident(near)]
    assert identity.check_foreign(idents, PERSON, BIRTH) == []
    review = []
    found = identity.check_identity_review(idents, PERSON, BIRTH, {2: "招工审批表"}, review)
    assert [(f.code, f.severity, f.page) for f in found] == [("identity_unconfirmed", Severity.WARNING, 2)]
    assert "罗建" in found[0].message_zh and "相差一字" in found[0].message_zh
    assert [(i.key, i.value, i.material) for i in review] == [("name:2", "罗建", "招工审批表")]
    assert review[0].box is not None and review[0].box[0] == COLS[1]


def test_a_doubtful_read_of_another_name_asks_a_person():
    doubtful = form(2, [["姓名", ("张秀兰", 0.72), "性别", "女"]])
    v = verdicts(own_form(1), doubtful)
    assert v[2].kind == "doubt" and [i.key for i in v[2].items] == ["name:2"]
    sure = form(2, [["姓名", "张秀兰", "性别", "女"]])
    assert verdicts(sure)[2].kind == "foreign"


def test_a_doubtful_name_on_a_page_that_agrees_otherwise_is_only_unread():
    # The birth date agrees: the doubtful name is a misread to be read, not a doubt about the page.
    agrees = form(2, [["姓名", ("张秀兰", 0.72), "性别", "女", "出生年月", "1944年5月"]])
    v = verdicts(own_form(1), agrees)[2]
    assert v.kind == "unread" and [i.key for i in v.items] == ["name:2"]
    # Also when OCR lost 年 and 月 of the birth date but its digits are the person's.
    lost = form(2, [["姓名", ("至建", 0.7), "性别", "女", "出生年月", "19445日"]])
    assert ident(lost).births == () and verdicts(lost)[2].kind == "unread"
    # A name read surely one character off stays a doubt (罗建 may be another person born that month).
    assert verdicts(form(2, [["姓名", "罗建", "出生年月", "1944年5月"]]))[2].kind == "doubt"


def test_an_unread_name_is_never_foreign():
    for name in (None, ("口口", 0.31), ("刘", 0.99)):
        page = own_form(2, name=name)
        v = verdicts(own_form(1), page)
        assert v[2].kind == "unread", name
        review = []
        found = identity.check_identity_review([ident(own_form(1)), ident(page)], PERSON, BIRTH, None, review)
        assert [(f.code, f.severity) for f in found] == [("name_unread", Severity.INFO)]
        assert "未能识别" in found[0].message_zh and [i.key for i in review] == ["name:2"]
        assert identity.check_foreign([ident(page)], PERSON, BIRTH) == []


def test_a_name_misread_like_on_the_persons_own_pages_is_only_unread():
    # The ID number shows page 1 is the person's; OCR read its name "至建". The same read on a page
    # without ID or birth is that misread again, not another person.
    with_id = form(1, [["姓名", ("至建", 0.75), "性别", "女"], ["身份证号码", ID]])
    again = form(2, [["姓名", ("至建", 0.8), "性别", "女"]])
    other = form(3, [["姓名", ("王建", 0.8), "性别", "女"]])
    v = verdicts(with_id, again, other)
    assert (v[1].kind, v[2].kind, v[3].kind) == ("own", "unread", "doubt")
    # A read on its own page alone proves nothing.
    assert verdicts(again)[2].kind == "doubt"


def test_the_persons_name_elsewhere_on_the_page_settles_it():
    signed = form(2, [["姓名", None, "性别", "女"]], extra=(Line(f"本人签名：{NAME}", (204, 1851, 605, 1939), 0.99),))
    assert verdicts(signed)[2].kind == "own"
    slip = form(2, [["姓名", "刘健", "性别", "女"]], extra=(Line(f"申请人：{NAME}", (1349, 777, 1726, 854), 0.99),))
    assert verdicts(slip)[2].kind == "own"


def test_a_valid_id_number_decides():
    id_row = ["身份证号码", ID]
    assert verdicts(form(2, [["姓名", None, "性别", "女"], id_row]))[2].kind == "own"
    stranger = make("410105", dt.date(1950, 1, 1), 17)
    page = form(2, [["姓名", "刘建", "性别", "女"], ["身份证号码", stranger]])
    assert verdicts(page)[2].kind == "other_id"
    assert [f.code for f in identity.check_id_numbers([ident(page)], PERSON)] == ["id_number_mismatch"]
    # Another person's number and name: two fields disagree, another person's material.
    theirs = form(2, [["姓名", "罗建", "性别", "女"], ["身份证号码", stranger]])
    assert verdicts(theirs)[2].kind == "foreign" and identity.check_id_numbers([ident(theirs)], PERSON) == []
    assert "身份证号码亦不符" in identity.check_foreign([ident(theirs)], PERSON, BIRTH)[0].message_zh
    # A number that fails its check digit is not compared; with the name unread, staff read it.
    bad = stranger[:-1] + ("0" if stranger[-1] != "0" else "1")
    v = verdicts(form(2, [["姓名", None, "性别", "女"], ["身份证号码", bad]]))[2]
    assert v.kind == "unread" and [i.key for i in v.items] == ["name:2", "id_number:2"]
    # The person's own number with a digit or two misread (H for 4, s for 5): their page.
    slip = ("H" + ID[1:5] + "s" + ID[6:])[:-1] + ("0" if ID[-1] != "0" else "1")
    assert verdicts(form(2, [["姓名", ("至建", 0.7), "性别", "女"], ["身份证号码", slip]]))[2].kind == "own"


def test_doubtful_birth_goes_to_review_not_to_the_birth_rule():
    page = own_form(2, birth=("1950年3月", 0.71))
    i = ident(page)
    assert identity.check_birth_dates([ident(own_form(1)), i], PERSON, {}) == []
    assert [it.key for it in verdicts(own_form(1), page)[2].items] == ["birth:2"]
    struck = own_form(3, birth="1944年3月1944年5月")  # a value struck through and corrected beside it
    assert not ident(struck).births[0].firm
    lost = own_form(4, birth="一九四年五月")
    assert ident(lost).births == () and [it.key for it in verdicts(own_form(1), lost)[4].items] == ["birth:4"]


def test_doubtful_sex_goes_to_review_not_to_a_warning():
    review = []
    found = identity.check_sex([ident(own_form(1, sex=("男", 0.7)))], PERSON, review)
    assert found == [] and [i.key for i in review] == ["sex:1"]
    assert [f.code for f in identity.check_sex([ident(own_form(1, sex="男"))], PERSON)] == ["sex_mismatch"]
    # One page against the others: a misread (or a struck-through value) for a person to read.
    review = []
    idents = [ident(own_form(1)), ident(own_form(2)), ident(own_form(3, sex="男"))]
    assert identity.check_sex(idents, PERSON, review) == [] and [i.key for i in review] == ["sex:3"]
    # The file says 男 throughout: the roster's 女 is what a person must check.
    idents = [ident(own_form(k, sex="男")) for k in (1, 2, 3)]
    assert [f.page for f in identity.check_sex(idents, PERSON)] == [1, 2, 3]


# ---------------------------------------------------------------- run_checks with the 校对 queue

@pytest.fixture(scope="module")
def henan():
    return load_profile("henan-zhengzhou")


def _volume(second: Page) -> Volume:
    first = own_form(1)
    rows = (Row("九-2-1", "九-2", "企业职工退休审批表", "1994-05-20", 1, 1, 1),
            Row("九-1-1", "九-1", "基本养老金核定表", "1994-06-09", 1, 2, 2))
    return Volume(pages=(first, second), rows=rows, id_number=ID, name=NAME)


NOW = dt.datetime(2026, 12, 1, tzinfo=dt.timezone.utc)


def test_corrections_settle_the_name(henan):
    near = _volume(form(2, [["姓名", "罗建", "性别", "女", "出生年月", "1944年5月"]], title="基本养老金核定表"))
    report = run_checks(near, None, henan, now=NOW)
    assert "identity_unconfirmed" in report.codes() and report.provisional
    assert [(i.key, i.material) for i in report.review] == [("name:2", "基本养老金核定表")]
    # Staff read the name as the person's: nothing left.
    mine = run_checks(near, None, henan, now=NOW, corrections={"name:2": NAME})
    assert not {"identity_unconfirmed", "foreign_form"} & mine.codes() and mine.review == []
    # Staff confirm another person's name: another person's material.
    theirs = run_checks(near, None, henan, now=NOW, corrections={"name:2": "罗建"})
    assert "foreign_form" in theirs.codes() and theirs.outcome == Outcome.REJECTED and theirs.review == []


def test_unread_name_in_the_queue_until_read(henan):
    vol = _volume(form(2, [["姓名", None, "性别", "女", "出生年月", "1944年5月"]], title="基本养老金核定表"))
    report = run_checks(vol, None, henan, now=NOW)
    assert "name_unread" in report.codes() and "foreign_form" not in report.codes()
    assert [i.key for i in report.review] == ["name:2"] and report.provisional
    done = run_checks(vol, None, henan, now=NOW, corrections={"name:2": NAME})
    assert "name_unread" not in done.codes() and not done.provisional


def test_corrected_birth_and_id_replace_the_reading(henan):
    vol = _volume(form(2, [["姓名", None, "性别", "女", "出生年月", "1944年5月"]], title="基本养老金核定表"))
    other = make("410105", dt.date(1950, 1, 1), 17)
    report = run_checks(vol, None, henan, now=NOW, corrections={"id_number:2": other})
    assert "id_number_mismatch" in report.codes()
    report = run_checks(vol, None, henan, now=NOW, corrections={"birth:1": "1943-05", "name:2": NAME})
    assert "birth_date_mismatch" in report.codes()


def test_digits_between_ocr_slips_are_no_id_number_of_their_own():
    """"4l010219500910455×" is the person's 41010219500910455X misread, not the 15-digit ID 010219500910455."""
    from completeness.checks.identity_read import _ID

    assert not _ID.search("4l010219500910455×")
    assert not _ID.search("身份证号码4l010219500910455×")
    assert _ID.search("身份证号码41010219500910455X")[1] == "41010219500910455X"
    assert _ID.search("号码 410102500910455 ")[1] == "410102500910455"


def test_a_sure_fragment_of_another_name_and_a_distant_birth_year_make_a_foreign_page():
    """刘慧's form in 刘建's file read as name "慧" (sure, 刘 under a seal) and birth "1963日" (年/月 lost)."""
    def page(name, birth):
        return form(9, [["姓名", name, "性别", None, "出生年月", birth]], title="招工审批表")

    assert verdicts(page(("慧", 1.0), ("1963日", 0.85)))[9].kind == "foreign"
    assert verdicts(page(("建", 1.0), ("1944日", 0.85)))[9].kind != "foreign"  # a part of her own name
    assert verdicts(page(("慧", 0.5), "1944年5月"))[9].kind != "foreign"  # unsure, and the birth agrees
