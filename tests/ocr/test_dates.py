"""Handwritten dates: the zero of a Chinese-digit year as OCR reads it, and years that lost a
character (never guessed)."""

from __future__ import annotations

import datetime as dt

import pytest

from ocr import dates

LATEST = dt.date(2026, 12, 31)


@pytest.mark.parametrize("year", ["二〇一六", "二○一六", "二零一六", "二0一六", "二O一六", "二o一六", "二Ｏ一六",
                                  "二口一六", "二D一六", "二Q一六", "二°一六", "二 〇 一 六"])
def test_the_zero_of_a_chinese_year_in_all_its_readings(year):
    assert dates.find_dates(f"批准日期：{year}年五月四日", LATEST) == [(5, dt.date(2016, 5, 4))]
    assert dates.formed_on(f"{year}年五月四日", LATEST) == dt.date(2016, 5, 4)


@pytest.mark.parametrize("year", ["一九五〇", "一九五口", "一九五D", "一九五O", "一九五0", "一九五○"])
def test_the_zero_at_the_end_of_a_year(year):
    assert dates.formed_on(f"{year}年三月一日", LATEST) == dt.date(1950, 3, 1)


def test_a_circle_misread_is_a_zero_only_inside_a_chinese_year():
    assert dates.find_dates("户口三月一日 D栋 Q区", LATEST) == []
    assert dates.find_dates("口口口口年三月一日", LATEST) == []
    assert dates.find_dates("五口年三月一日", LATEST) == []
    assert dates.find_dates("19D5年3月1日", LATEST) == []  # Arabic years take no letters


@pytest.mark.parametrize("text", ["一九五年三月一日", "二 六年五月四日", "二六年五月四日", "二一六年五月四日"])
def test_a_year_that_lost_a_character_is_not_guessed(text):
    assert dates.find_dates(text, LATEST) == []
    assert dates.formed_on(text, LATEST) is None
    (u,) = dates.uncertain_dates(text, LATEST)
    assert u.position == 0 and u.raw == text and "不作推断" in u.reason


def test_a_lost_year_never_wins_over_a_later_full_date_nor_hides_behind_one():
    # 一九五〇 lost its 〇 on a birth line: it cannot be after the 1966 signature.
    text = "出生 一九五年三月十日\n支部书记签名 一九六六年七月一日"
    assert dates.formed_on(text, LATEST) == dt.date(1966, 7, 1)
    # 二〇一六 lost its 〇 in the signature: the 1966 date is not the material's date.
    text = "一九六六年七月一日 同意\n审批 二 六年五月四日"
    assert dates.formed_on(text, LATEST) is None
    assert [u.raw for u in dates.uncertain_dates(text, LATEST)] == ["二 六年五月四日"]
    assert dates.uncertain_dates(text, LATEST)[0].latest_reading == dt.date(2016, 5, 4)


def test_arabic_dates_and_three_digit_years():
    assert dates.formed_on("1965.3.12", LATEST) == dt.date(1965, 3, 12)
    assert dates.formed_on("1965年3月12日", LATEST) == dt.date(1965, 3, 12)
    assert dates.formed_on("196年3月12日", LATEST) is None
    assert [u.raw for u in dates.uncertain_dates("填表日期 196年3月12日", LATEST)] == ["196年3月12日"]
    # Two-digit years are an abbreviation, not a loss; amounts are no years.
    assert dates.uncertain_dates("65年3月 合计200.5元 工龄32年", LATEST) == []


def test_year_month_of_a_birth_cell():
    assert dates.parse_year_month("1963年5月") == (1963, 5, None)
    assert dates.parse_year_month("1963.05") == (1963, 5, None)
    assert dates.parse_year_month("一九六三年五月") == (1963, 5, None)
    assert dates.parse_year_month("一九五口年十月") == (1950, 10, None)
    assert dates.parse_year_month("一九五年十月") is None
    assert dates.year_months("1944年3月1944年5月") == [(1944, 3, None), (1944, 5, None)]


def test_stray_marks_and_a_month_read_as_day_in_arabic_dates():
    assert dates.formed_on("1971年-5月26日", LATEST) == dt.date(1971, 5, 26)
    assert dates.formed_on("1970年5.月3日", LATEST) == dt.date(1970, 5, 3)
    # A handwritten 月 read as 日: both 日 present, so the date reads only one way.
    assert dates.formed_on("2000年7日26日", LATEST) == dt.date(2000, 7, 26)
    # A span of years and months is no date.
    assert dates.find_dates("1965.9-1977.5 1977,5-", LATEST) == []
