"""The masking policy over plain values (handover.disclosure) and who gets which (read_rule)."""

from __future__ import annotations

import datetime as dt

from archive_store.read_rule import ADMIN, ARCHIVE, COMMUNITY, ENTERPRISE, Reader, disclosure
from archive_store.review_values import shown_value
from handover import idnumber
from handover.disclosure import FULL, MASKED

N = idnumber.make("410105", dt.date(1959, 2, 16), 500)  # 410105195902165004, the example


def test_custodians_see_whole_numbers_and_the_others_masked_ones():
    assert disclosure(ADMIN) is FULL and disclosure(ARCHIVE) is FULL
    assert disclosure(COMMUNITY) is MASKED and disclosure(ENTERPRISE) is MASKED
    assert Reader("x", COMMUNITY, 1).disclosure.id_number(N) == "410105********5004"
    assert Reader("x", ARCHIVE).disclosure.id_number(N) == N


def test_the_birth_date_beside_a_masked_number_keeps_its_year_only():
    assert MASKED.birth_date(dt.date(1959, 2, 16)) == "1959-**-**"
    assert FULL.birth_date(dt.date(1959, 2, 16)) == "1959-02-16" and MASKED.birth_date(None) == ""
    assert MASKED.birth_text("1952年3月") == "1952年**月" and FULL.birth_text("1952年3月") == "1952年3月"


def test_free_text_masks_numbers_and_the_birth_dates_in_every_common_form():
    assert FULL.text(f"{N} 1959-02-16", [N]) == f"{N} 1959-02-16"
    assert MASKED.text(f"号码{N}，出生日期1959-02-16") == "号码410105********5004，出生日期1959-**-**"
    shown = MASKED.text("1959年2月16日、1959.02.16、1959/2/16、19590216、1959年2月、1959-02-20、1960-01-05", [N])
    # Year and month alone leave about three candidates: cut too; other dates stay.
    assert shown == "1959年**月**日、1959.**.**、1959/**/**、1959****、1959年**月、1959-**-**、1960-01-05"
    # Without a number in view a date is only a date.
    assert MASKED.text("1959-02-16") == "1959-02-16"


def test_a_number_quoted_in_one_text_masks_its_birth_date_in_the_others():
    assert MASKED.texts([f"重复：{N}", "出生日期1959-02-16不符", ""]) == [
        "重复：410105********5004", "出生日期1959-**-**不符", ""]


def test_review_values_follow_the_policy():
    assert shown_value("id_number", N, full_ids=False) == "410105********5004"
    assert shown_value("birth", "1959-02", full_ids=False) == "1959年**月"
    assert shown_value("birth", "1959-02", full_ids=True) == "1959-02"
    assert shown_value("name", "赵秀兰", full_ids=False) == "赵秀兰"


def test_a_number_quoted_masked_cuts_the_dates_that_would_complete_it():
    # check.json keeps findings with numbers masked: another person's number, quoted so, is
    # completed by a date elsewhere in the answer only if the check character agrees.
    other = idnumber.make("410103", dt.date(1953, 4, 13), 71)
    day = dt.date(1960, 1, 5)
    assert idnumber.check_character(other[:6] + f"{day:%Y%m%d}" + other[14:17]) != other[17]
    shown = MASKED.texts([f"第3幅图像上的身份证号码{idnumber.mask(other)}与本卷不符", "出生日期1953年4月13日；1960-01-05"])
    assert shown[1] == "出生日期1953年**月**日；1960-01-05"
