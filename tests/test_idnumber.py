import datetime as dt

import pytest

from handover import idnumber


def with_check(first17: str) -> str:
    return first17 + idnumber.check_character(first17)


def test_standard_vector_with_x_check_character():
    idn = idnumber.parse("11010519491231002X")
    assert idn.number == "11010519491231002X"
    assert idn.birth_date == dt.date(1949, 12, 31)
    assert idn.sex == "女"  # sequence 002 is even
    assert (idn.province, idn.county) == ("北京市", "朝阳区")
    assert idn.warnings == ()


def test_lower_case_x_and_full_width_digits_are_normalised():
    assert idnumber.parse("11010519491231002x").number == "11010519491231002X"
    assert idnumber.parse("１１０１０５１９４９１２３１００２Ｘ").number == "11010519491231002X"
    assert idnumber.parse(" 110105 19491231 002X ").number == "11010519491231002X"


def test_wrong_check_character_is_an_error_naming_the_expected_one():
    with pytest.raises(idnumber.IdNumberError, match="校验位错误：末位应为X，实为1"):
        idnumber.parse("110105194912310021")


def test_fifteen_digit_number_is_upgraded_and_original_kept():
    idn = idnumber.parse("110105491231002")
    assert idn.number == "11010519491231002X"
    assert idn.original == "110105491231002"
    assert idn.upgraded
    assert any("15位旧号码已升级" in w for w in idn.warnings)


def test_abolished_area_code_is_accepted_with_a_warning():
    idn = idnumber.parse(with_check("11010319550101001"))  # 崇文区, abolished 2010
    assert idn.county == "崇文区"
    assert any("已撤销" in w for w in idn.warnings)
    idn = idnumber.parse(with_check("53012219550101001"))  # 晋宁县 before 2016
    assert idn.county == "晋宁县" and idn.warnings


def test_area_code_created_after_birth_is_not_flagged():
    # 晋宁区 (530115) exists since 2016; people born in 1955 carry it legitimately.
    assert idnumber.parse(with_check("53011519550101001")).warnings == ()


def test_unknown_area_code_warns_but_never_rejects():
    idn = idnumber.parse(with_check("99999919550101001"))
    assert idn.county is None
    assert any("不在行政区划代码表中" in w for w in idn.warnings)


@pytest.mark.parametrize("raw, reason", [
    ("", "为空"),
    ("1101051949123100", "应为18位"),
    ("11010519491231002Y", "非法字符"),
    (with_check("11010519490231001"), "不是有效日期"),  # 31 February
    (with_check("11010521990101001"), "不合理"),  # born in the future
])
def test_structural_failures_are_errors(raw, reason):
    with pytest.raises(idnumber.IdNumberError, match=reason):
        idnumber.parse(raw)


def test_cross_check_flags_sex_and_birth_date_disagreements():
    idn = idnumber.parse("11010519491231002X")
    assert idnumber.cross_check(idn, "女", dt.date(1949, 12, 31)) == []
    problems = idnumber.cross_check(idn, "男", dt.date(1949, 12, 30))
    assert any("性别" in p for p in problems)
    assert any("出生日期1949-12-30" in p for p in problems)


def test_mask_keeps_area_and_last_four():
    assert idnumber.mask("41010219400509672X") == "410102********672X"


def test_make_produces_valid_numbers_with_the_right_sex():
    number = idnumber.make("410105", dt.date(1950, 3, 4), 17)
    idn = idnumber.parse(number)
    assert idn.sex == "男" and idn.birth_date == dt.date(1950, 3, 4)
