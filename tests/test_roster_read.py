"""Roster reading and validation: encodings, headers, and every kind of bad input."""

import datetime as dt
import zipfile

import pytest

from handover.idnumber import check_character
from handover.roster import RosterFileError, load_roster
from handover.roster import problems as P
from tests.roster_files import HEADER, add_cached_value, batch, roster_rows, write_csv, write_xlsx, xlsx_from_rows


def codes(result, row=None):
    return {p.code for p in result.problems if row is None or p.row == row}


def good_row(i=1, name="王建国", sex="男", birth="1950-03-04", seq="011", retired="2010-04"):
    first17 = f"410105{birth.replace('-', '')}{seq}"
    return [i, name, sex, birth, first17 + check_character(first17), retired,
            "河南省郑州市金水区经八路街道纬五路社区经五路12号", "河南省郑州市金水区经八路街道纬五路社区"]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_in_each_encoding_reads_back_identically(tmp_path, encoding):
    b = batch(30)
    path = write_csv(tmp_path / f"r-{encoding}.csv", b.retirees, encoding)
    result = load_roster(path)
    assert result.errors == []
    assert result.retirees == b.retirees
    if encoding == "gb18030":
        with pytest.raises(UnicodeDecodeError):
            path.read_bytes().decode("utf-8")  # really GB18030 on disk


def test_xlsx_round_trip_with_title_rows_above_the_header(tmp_path):
    b = batch(25)
    result = load_roster(write_xlsx(tmp_path / "r.xlsx", b.retirees, b.enterprise))
    assert result.errors == [] and result.retirees == b.retirees
    assert result.rows[0] == 4  # title, 单位名称, header, then data


def test_tolerant_headers_and_free_text_addresses(tmp_path):
    rows = [["企业退休人员移交社区管理花名册"], ["单位名称：郑州第一纺织厂"],
            ["序 号", "姓  名", "性别", "出生年月", "身份证号码", "退休年月", "居住地详细地址", "户口所在地地址"],
            good_row()]
    result = load_roster(xlsx_from_rows(tmp_path / "h.xlsx", rows, merges=["A1:H1"]))
    assert result.errors == []
    r = result.retirees[0]
    assert (r.residence.county, r.residence.street, r.residence.community) == ("金水区", "经八路街道", "纬五路社区")
    assert r.residence.detail == "经五路12号"


def test_footer_notes_under_the_table_are_not_rows(tmp_path):
    rows = [HEADER, good_row(), ["注：按街道（乡镇）、社区编制花名册。"], ["经办人：李四", "", "经办时间：2026-11-01"]]
    result = load_roster(xlsx_from_rows(tmp_path / "f.xlsx", rows))
    assert result.rows_total == 1 and result.errors == []


def test_every_row_problem_is_reported_with_row_and_column(tmp_path):
    bad_check = good_row(3, seq="021")
    bad_check[4] = bad_check[4][:-1] + ("0" if bad_check[4][-1] != "0" else "1")
    rows = [
        HEADER,
        good_row(1),
        good_row(2, name=""),                                   # row 3: missing name
        bad_check,                                              # row 4: wrong check character
        good_row(4, sex="女", seq="031"),                       # row 5: odd sequence = male
        good_row(5, birth="1950-03-04", seq="041"),             # row 6: birth column edited below
        good_row(6, retired="2010-13", seq="051"),              # row 7: impossible month
        good_row(7, retired="1960-01", seq="061"),              # row 8: retired at 9
        good_row(8, seq="011"),                                 # row 9: same person as row 2
        good_row(9, sex="未知", seq="071"),                     # row 10: bad sex value
    ]
    rows[5][3] = "1950-03-05"  # birth date column disagrees with the ID number
    result = load_roster(xlsx_from_rows(tmp_path / "bad.xlsx", rows))
    assert result.rows_total == 9
    assert result.rows == [2]  # the only row without a problem
    assert P.MISSING_VALUE in codes(result, 3)
    [check] = [p for p in result.problems if p.row == 4]
    assert check.code == P.ID_INVALID and "校验位错误" in check.message and "(E列)" in check.column
    assert P.ID_MISMATCH in codes(result, 5) and "性别" in next(p.message for p in result.problems if p.row == 5)
    assert P.ID_MISMATCH in codes(result, 6)
    assert P.BAD_VALUE in codes(result, 7)
    assert P.DATE_IMPOSSIBLE in codes(result, 8)
    dup = next(p for p in result.problems if p.row == 9)
    assert dup.code == P.DUPLICATE_IN_FILE and "第2行" in dup.message
    [sex] = [p for p in result.problems if p.row == 10]
    assert sex.code == P.BAD_VALUE and sex.message == "性别：应为“男”或“女”，实为“未知”"


@pytest.mark.parametrize("name", ["<img src=x onerror=alert(1)>", "{{7*7}}", "Zhang San", "王1", "张"])
def test_a_name_that_is_no_chinese_name_is_refused(tmp_path, name):
    result = load_roster(xlsx_from_rows(tmp_path / "names.xlsx", [HEADER, good_row(1, name=name), good_row(2, seq="021")]))
    assert result.rows == [3]  # the row with the odd name is not imported
    [problem] = [p for p in result.problems if p.row == 2]
    assert "不是有效的中文姓名" in problem.message and "姓名" in problem.column


def test_a_formula_as_a_name_is_no_name():
    from handover.roster.values import parse_name

    with pytest.raises(ValueError, match="不是有效的中文姓名"):  # as text (CSV, or a text cell)
        parse_name('=HYPERLINK("http://x","打开")')


def test_minority_names_and_aligned_names_are_names(tmp_path):
    rows = [HEADER, good_row(1, name="买买提•吐尔逊"), good_row(2, name="张  三", seq="021"),
            good_row(3, name="阿卜杜热西提·买买提", seq="031")]
    result = load_roster(xlsx_from_rows(tmp_path / "names.xlsx", rows))
    assert result.rows == [2, 3, 4] and not [p for p in result.problems if p.is_error]
    assert [r.name for r in result.retirees] == ["买买提·吐尔逊", "张三", "阿卜杜热西提·买买提"]


def test_id_number_stored_as_a_number_has_lost_digits(tmp_path):
    row = good_row()
    row[4] = float(row[4][:-1] + "0") if row[4][-1] == "X" else float(row[4])
    result = load_roster(xlsx_from_rows(tmp_path / "num.xlsx", [HEADER, row]))
    assert codes(result) >= {P.ID_NUMERIC}
    assert "文本格式" in result.errors[0].message


def test_fifteen_digit_ids_are_upgraded_with_a_warning(tmp_path):
    row = good_row()
    row[4] = "410105500304011"
    row[3] = ""
    result = load_roster(xlsx_from_rows(tmp_path / "old.xlsx", [HEADER, row]))
    assert result.errors == []
    assert result.retirees[0].id_number == "41010519500304011" + check_character("41010519500304011")
    assert result.retirees[0].id_number_original == "410105500304011"
    assert P.ID_UPGRADED in codes(result)


def test_merged_cells_inside_the_data_are_named(tmp_path):
    rows = [HEADER, good_row(1), good_row(2, seq="021")]
    result = load_roster(xlsx_from_rows(tmp_path / "m.xlsx", rows, merges=["G2:G3"]))
    merged = [p for p in result.problems if p.code == P.MERGED]
    assert {p.row for p in merged} == {2, 3}
    assert "G2:G3" in merged[0].message
    assert result.retirees == []


def test_formula_without_a_cached_result_is_an_error(tmp_path):
    row = good_row()
    row[5] = "=DATE(2010,4,1)"
    result = load_roster(xlsx_from_rows(tmp_path / "f.xlsx", [HEADER, row]))
    [p] = [p for p in result.problems if p.code == P.FORMULA]
    assert p.is_error and "粘贴为数值" in p.message and p.row == 2


def test_formula_with_a_cached_result_uses_it_and_warns(tmp_path):
    row = good_row()
    row[1] = '="王"&"建国"'
    path = xlsx_from_rows(tmp_path / "f2.xlsx", [HEADER, row])
    add_cached_value(path, "B2", "王建国")
    result = load_roster(path)
    assert result.retirees and result.retirees[0].name == "王建国"
    [p] = [p for p in result.problems if p.code == P.FORMULA]
    assert not p.is_error and "计算结果" in p.message


def test_missing_required_column(tmp_path):
    rows = [["序号", "姓名", "性别", "退休时间"], [1, "王建国", "男", "2010-04"]]
    result = load_roster(xlsx_from_rows(tmp_path / "c.xlsx", rows))
    assert [p.message for p in result.errors] == ["缺少必需的列：社会保障号码(身份证号)"]
    assert result.retirees == []


def test_no_header_at_all(tmp_path):
    result = load_roster(xlsx_from_rows(tmp_path / "x.xlsx", [["a", "b"], [1, 2]]))
    assert "没有找到表头" in result.errors[0].message


@pytest.mark.parametrize("content, message", [
    (b"", "文件为空"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "不是文本表格文件"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "旧版 Excel"),
    (b"PK\x03\x04" + b"\x00" * 50, "无法作为 Excel 文件打开"),
    (b"\xd0\xd5\xc3\xfb,\x80\xff\x80\xff\n", "编码无法识别"),  # neither UTF-8 nor GB18030
])
def test_files_that_are_not_rosters_get_a_clear_answer(tmp_path, content, message):
    path = tmp_path / "upload.xlsx"
    path.write_bytes(content)
    with pytest.raises(RosterFileError, match=message):
        load_roster(path)


def test_truncated_xlsx(tmp_path):
    b = batch(50)
    path = write_xlsx(tmp_path / "r.xlsx", b.retirees, b.enterprise)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(RosterFileError, match="r.xlsx"):
        load_roster(path)
    assert not zipfile.is_zipfile(path)


def test_an_empty_sheet(tmp_path):
    path = xlsx_from_rows(tmp_path / "empty.xlsx", [])
    result = load_roster(path)
    assert result.errors and result.errors[0].code in (P.EMPTY, P.MISSING_COLUMN)
    assert "没有" in result.errors[0].message


def test_excel_serial_dates_and_chinese_month_forms(tmp_path):
    row = good_row()
    row[3] = 18326  # 1950-03-04 as an Excel serial day
    row[5] = "2010年4月"
    result = load_roster(xlsx_from_rows(tmp_path / "d.xlsx", [HEADER, row]))
    assert result.errors == []
    assert result.retirees[0].birth_date == dt.date(1950, 3, 4)
    assert result.retirees[0].retired_on == dt.date(2010, 4, 1)


def test_header_row_written_by_the_product_matches_its_reader():
    header = next(roster_rows([]))
    from handover.roster.headers import match_header

    assert all(match_header(h) is not None for h in header)
