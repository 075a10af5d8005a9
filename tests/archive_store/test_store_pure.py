"""Pure functions: normalisation, index tokens, query compilation, snippets, 档号, page mapping."""

from __future__ import annotations

import pytest

from archive_store.numbering import (NumberingError, check_format, filename_to_ref_no,
                                     format_ref_no, page_image_name, ref_no_to_filename)
from archive_store import fts_postgres, fts_sqlite
from archive_store.tokens import (BOUNDARY, compile_query, id_query, index_tokens, normalize,
                                  positioned_tokens, snippet)
from archive_store.volume_source import ContentsRow, assign_materials
from handover.volume_folder import Page


def test_normalize_nfkc_and_cjk_spaces():
    assert normalize("张 三  在 纺织 厂") == "张三在纺织厂"
    assert normalize("１９４９年（男）：") == "1949年(男):"
    assert normalize("长 宁 区 2019 年") == "长宁区 2019 年"  # spaces next to digits stay
    assert normalize("张\u3000三") == "张三"


def test_index_tokens_unigrams_bigrams_and_boundaries():
    tokens = index_tokens("张 三，退休审批 No.12 年")
    assert tokens.uni.split() == ["张", "三", "退", "休", "审", "批", "no", "12", "年"]
    assert tokens.bi.split() == ["张三", BOUNDARY, "退休", "休审", "审批"]
    long = "中" * 300  # no token-length limit drops long unspaced runs
    assert len(index_tokens(long).bi.split()) == 299


def test_compile_query():
    assert compile_query("张").clauses == (("uni", ("张",)),)
    assert compile_query("工资").clauses == (("bi", ("工资",)),)
    assert compile_query("退休审批").clauses == (("bi", ("退休", "休审", "审批")),)
    q = compile_query("张建国　１９４９")  # ideographic space separates terms; NFKC digits
    assert q.clauses == (("bi", ("张建", "建国")), ("uni", ("1949",))) and q.terms == ("张建国", "1949")
    assert compile_query("《》，。").clauses == ()


def test_queries_as_fts5_and_tsquery():
    q = compile_query("退休审批 张 1949")
    assert fts_sqlite.match_expression(q) == 'bi:"退休 休审 审批" AND uni:"张" AND uni:"1949"'
    assert fts_postgres.tsquery(q) == "('退休' <-> '休审' <-> '审批') & ('张') & ('1949')"
    # no FTS5 or tsquery syntax leaks from the user's words
    assert fts_sqlite.match_expression(compile_query('"OR" NEAR(')) == 'uni:"or" AND uni:"near"'
    assert fts_postgres.tsquery(compile_query("a'b | !c <-> d")) == "('a') & ('b') & ('c') & ('d')"


def test_positioned_tokens_keep_phrases_inside_one_run():
    tokens = sorted(positioned_tokens("张三，退休审批 No.12"), key=lambda t: (t[1], len(t[0])))
    assert tokens == [("张", 1), ("张三", 1), ("三", 2), ("退", 3), ("退休", 3), ("休", 4), ("休审", 4),
                      ("审", 5), ("审批", 5), ("批", 6), ("no", 7), ("12", 8)]
    # "三退" is no bigram, and 张三 / 退休 are two positions apart: no phrase 三退 or 张三退休
    literal = fts_postgres.tsvector_literal("张三，退休", 7)
    assert literal.startswith("'_c7' ") and "'张三':1" in literal and "'退休':3" in literal


def test_id_query():
    assert id_query("１２３４") == "1234"
    assert id_query("4101 0519 4912 31002x") == "41010519491231002X"
    assert id_query("12") is None and id_query("张三") is None and id_query("1" * 19) is None


def test_snippet_marks_matches_in_a_window():
    text = "前言" * 40 + "同意退休审批，工资待遇" + "后记" * 40
    s = snippet(text, ("退休审批", "工资"), width=30)
    assert "【退休审批】" in s.text and s.text.startswith("…") and s.text.endswith("…")
    for start, end in s.spans:
        assert s.plain[start:end] in ("退休审批", "工资")
    assert snippet("abc", ()).text == "abc"


def test_ref_no_format_and_file_names():
    ref = format_ref_no("{fonds}-TX·{community_code}-{volume_no:04d}", "J018", "320508019044", 37)
    assert ref == "J018-TX·320508019044-0037"
    assert ref_no_to_filename(ref) == "J018-TX.320508019044-0037"
    assert filename_to_ref_no(ref_no_to_filename(ref)) == ref
    assert page_image_name(ref, 12) == "J018-TX.320508019044-0037-0012.jpg"
    with pytest.raises(NumberingError):
        check_format("{fonds}-{community}")
    with pytest.raises(NumberingError):
        check_format("{fonds}-{community_code}")  # no 案卷号
    with pytest.raises(NumberingError):
        ref_no_to_filename("J1/../x")
    with pytest.raises(NumberingError):
        format_ref_no("{volume_no}", "J1", "1", 0)


def _page(i, no, blank=False, dup=None):
    return Page(i, no, blank=blank, duplicate_of=dup, confidence=0.9)


def _row(pages, start, end):
    return ContentsRow("", "一", "t", None, pages, start, end, "")


def test_assign_materials_per_volume_numbering():
    pages = [_page(1, 1), _page(2, None, blank=True), _page(3, 2), _page(4, 3), _page(5, 3, dup=4)]
    rows = [_row(1, 1, 1), _row(2, 2, 3)]
    assert assign_materials(pages, rows) == {1: 0, 3: 1, 4: 1}


def test_assign_materials_per_material_numbering():
    pages = [_page(1, 1), _page(2, 2), _page(3, 1), _page(4, 1), _page(5, 2)]
    rows = [_row(2, 1, 2), _row(1, 1, 1), _row(2, 1, 2)]
    assert assign_materials(pages, rows) == {1: 0, 2: 0, 3: 1, 4: 2, 5: 2}
