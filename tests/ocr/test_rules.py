"""Pure domain rules: dates, classes, numbering, text clean-up, duplicates, material split."""

from __future__ import annotations

import datetime as dt

import pytest

from ocr import classes, dates, duplicates, materials, numbering, textnorm
from ocr.materials import PageInfo
from ocr.records import OcrLine


@pytest.mark.parametrize("text, expected", [
    ("填表日期 1970年2月7日", dt.date(1970, 2, 7)),
    ("批准：二〇〇九年七月一日", dt.date(2009, 7, 1)),
    ("一九八五年十二月二十一日", dt.date(1985, 12, 21)),
    ("一九七五年三月十日 同意", dt.date(1975, 3, 10)),
    ("一九七五年十月廿日", dt.date(1975, 10, 20)),
    ("日期：2001.03.05", dt.date(2001, 3, 5)),
    ("2001-3-5", dt.date(2001, 3, 5)),
    ("２００１年３月５日", dt.date(2001, 3, 5)),  # full-width digits
    ("出生年月 1949年6月 参加工作 1969年11月", None),  # year-month only: not a signing date
    ("2009年2月30日", None),  # impossible date
    ("身份证号 410105194906111615", None),
])
def test_single_date(text, expected):
    assert dates.formed_on(text) == expected


def test_material_date_is_the_latest_complete_date():
    text = "出生年月1949年6月\n申请 2009年4月10日\n单位意见 2009年5月10日\n审批 二〇〇九年六月十一日\n退休时间2009年7月"
    assert dates.formed_on(text) == dt.date(2009, 6, 11)
    assert [d for _, d in dates.find_dates(text)] == [dt.date(2009, 4, 10), dt.date(2009, 5, 10), dt.date(2009, 6, 11)]


@pytest.mark.parametrize("title, code", [
    ("职工登记表", "一"), ("干部履历表", "一"), ("自传", "二"), ("年度考核登记表", "三"),
    ("高等学校毕业生登记表", "四-1"), ("专业技术职务任职资格评审表", "四-2"), ("培训结业证书", "四-4"),
    ("入党志愿书", "六"), ("中国共产党入党志愿书", "六"), ("预备党员转正申请", "六"),
    ("职工转正定级审批表", "九-1"), ("职工工资变动审批表", "九-1"), ("调资审批表", "九-1"),
    ("基本养老金核定表", "九-1"), ("招工审批表", "九-2"), ("招工登记表", "九-2"),
    ("企业职工退休审批表", "九-2"), ("劳动合同书", "九-2"), ("因私出国（境）审批表", "九-3"),
    ("先进工作者登记表", "七"), ("行政处分决定", "八"), ("情况说明", "十"),
])
def test_title_classes(title, code):
    assert classes.classify(title) == code


def test_alias_maps():
    assert classes.from_alias("履历材料") == "一"
    assert classes.from_alias("工资材料") == "九-1"
    assert classes.from_alias("评定岗位技能和学历材料") == "四"
    assert classes.from_alias("招用、劳动合同、调动、聘用、复员退伍、转业、工资、保险福利待遇、出国、退休、退职等材料") == "九"
    assert classes.from_alias("不存在的类别") is None
    assert classes.enterprise_category("四-2") == 4 and classes.enterprise_category("九-1") == 9
    assert classes.four_class("九-2") == 1 and classes.four_class("九-1") == 2
    assert classes.four_class("六") == 3 and classes.four_class("一") == 4
    assert len([c for c in classes.CLASSES if "-" not in c]) == 10


def test_page_numbers_skip_uncounted_and_restart_per_material():
    counted = [True, True, False, True, True, False, True]
    assert numbering.page_numbers(counted) == [1, 2, None, 3, 4, None, 5]
    assert numbering.page_numbers(counted, [0, 3], "per_material") == [1, 2, None, 1, 2, None, 3]


def test_sequence_numbers_and_label_ranges():
    assert numbering.sequence_numbers(["一", "九-1", "九-1", "六", "九-2"]) == ["一-1", "九-1-1", "九-1-2", "六-1", "九-2-1"]
    assert numbering.page_label_ranges([1, 2, None, 3, 1, 2]) == [(0, "", 1), (2, "空白页", None), (3, "", 3), (4, "", 1)]


def test_cjk_spaces_removed_but_latin_kept():
    assert textnorm.strip_cjk_spaces("张 三  纺织 厂 1985 年 OCR engine") == "张三纺织厂1985年 OCR engine"
    assert textnorm.cer("退休人员", "退 休 人 员") == 0
    assert textnorm.cer("退休人员", "退休人") == pytest.approx(0.25)


@pytest.mark.parametrize("read, stored", [
    ("出生年月.", "出生年月"),  # the tail of a cell rule after a label
    ("中专·", "中专"),
    (". 姓名", "姓名"),  # a speck before the line
    ("550.00元", "550.00元"),  # a decimal point is kept
    ("买买提·吐尔逊", "买买提·吐尔逊"),  # so is the middle dot inside a name
    ("本人申请：", "本人申请："),
    ("鄭州煤炭集團", "郑州煤炭集团"),  # traditional characters (old files, cursive hands) as simplified
    ("員", "员"),
    ("·", ""),
    ("中.专", "中专"),  # a speck read as a dot between characters…
    ("1993年5月13.日", "1993年5月13日"),  # …between a number and what it counts…
    ("9.00.元", "9.00元"),
    ("1964.年6月", "1964年6月"),
    ("单位意见·(盖章)", "单位意见(盖章)"),  # …and before a bracket
    ("1950.9-1964.12", "1950.9-1964.12"),  # dates written with dots keep them
    ("连续工龄35.5年", "连续工龄35.5年"),
])
def test_line_tidied_before_it_is_stored(read, stored):
    assert textnorm.tidy_line(read) == stored


@pytest.mark.parametrize("read, mended", [
    ("1958年4日", "1958年4月"),  # a year is followed by its month, never by a day
    ("2000年7日26日", "2000年7月26日"),
    ("参加工作时间1971年11日", "参加工作时间1971年11月"),
    ("2013年1月18日", "2013年1月18日"),
    ("1990年13日", "1990年13日"),  # no month 13: left as read, for a person to see
])
def test_month_read_as_day_mended(read, mended):
    assert dates.mend_month(read) == mended


def test_duplicates_need_same_words_and_same_figures():
    form = "职工工资变动审批表\n姓名 刘卫\n性别 男\n变动原因 调整工资\n变动时间 1985年10月\n原工资 120.00元\n现工资 137.00元"
    rescan = form.replace("调整工资", "调整工姿")  # one misread character
    other_year = form.replace("1985年10月", "1993年4月").replace("120.00", "137.00").replace("137.00元\n", "160.00元\n")
    assert duplicates.is_duplicate(form, rescan)
    assert not duplicates.is_duplicate(form, other_year)
    assert duplicates.find_duplicates([form, "", rescan, other_year], [False, True, False, False]) == [None, None, 1, None]


def test_split_into_materials():
    pages = [
        PageInfo(1, "职工登记表", "填表日期 1970年2月7日", True, 1),
        PageInfo(2, "入党志愿书", "申请人 一九七五年三月一日", True, 2),
        PageInfo(3, "", "支部大会 一九七五年七月一日", True, 3),
        PageInfo(4, "", "", False, None),  # blank back
        PageInfo(5, "职工工资变动审批表", "1985年10月3日", True, 4),
        PageInfo(6, "职工工资变动审批表", "1993年4月9日", True, 5),
    ]
    got = materials.split(pages)
    assert [(m.class_code, m.title, m.first_index, m.last_index, m.pages, m.start_page, m.end_page) for m in got] == [
        ("一", "职工登记表", 1, 1, 1, 1, 1), ("六", "入党志愿书", 2, 4, 2, 2, 3),
        ("九-1", "职工工资变动审批表", 5, 5, 1, 4, 4), ("九-1", "职工工资变动审批表", 6, 6, 1, 5, 5)]
    assert [m.formed_on for m in got] == [dt.date(1970, 2, 7), dt.date(1975, 7, 1), dt.date(1985, 10, 3),
                                          dt.date(1993, 4, 9)]
    rows = materials.contents_rows(got)
    assert [r.seq for r in rows] == ["一-1", "六-1", "九-1-1", "九-1-2"]


def test_untitled_first_pages_form_an_unrecognised_material():
    got = materials.split([PageInfo(1, "", "一些文字", True, 1), PageInfo(2, "自传", "", True, 2)])
    assert [(m.title, m.class_code) for m in got] == [(materials.UNKNOWN_TITLE, "十"), ("自传", "二")]
    assert got[0].remarks


def test_heading_is_the_tall_title_line_in_the_top_third():
    lines = [OcrLine("中国共产党", (800, 400, 1600, 510), 0.99), OcrLine("入党志愿书", (700, 620, 1700, 750), 0.99),
             OcrLine("姓名", (220, 1100, 320, 1150), 0.99), OcrLine("刘卫", (600, 1100, 700, 1150), 0.99),
             OcrLine("入党志愿：", (220, 1400, 480, 1452), 0.99)]
    assert materials.heading(lines, 3508, 2480) == "入党志愿书"
    body = [OcrLine("参加工作以来，在车间党支部的教育和帮助下", (210, 260, 2270, 320), 0.99),
            OcrLine("我认识到只有在党的领导下才能把本职工作做好", (210, 365, 2270, 425), 0.99)]
    assert materials.heading(body, 3508, 2480) == ""
