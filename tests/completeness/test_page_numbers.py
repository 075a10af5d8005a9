"""Page numbers written on the originals: unread numbers take their place between their neighbours,
a gap only where the images are really fewer than the numbers; l/I/|/O read for 1 and 0."""

from __future__ import annotations

from completeness.check import missing_items
from completeness.checks import pages
from completeness.volume import Line

from .helpers import corner_line, page


def numbered(numbers):
    """One counted page per entry; None: OCR read no number in the corner."""
    out = []
    for i, n in enumerate(numbers, 1):
        lines = (Line("材料正文", (300, 400, 1500, 480)),) + ((corner_line(str(n)),) if n is not None else ())
        out.append(page(i, i, f"材料正文第{i}页内容", lines=lines))
    return out


def found(numbers, **kw):
    return [(f.code, f.page) for f in pages.check_written_numbers(numbered(numbers), **kw)]


def test_unread_numbers_fill_the_places_between():
    # read 3 at image 3, unread at images 4–5, read 6 at image 6: 4 and 5 are images 4–5.
    assert found([1, 2, 3, None, None, 6, 7]) == []
    assert found([1, None, 3, 4, None, 6]) == []
    assert found([None, 2, 3, 4]) == []


def test_a_real_gap_is_still_found():
    assert found([1, 2, 4, 5]) == [("page_number_gap", 3)]
    # read 3, one unread image, read 7: 4, 5 and 6 on one image, two pages short.
    got = pages.check_written_numbers(numbered([1, 2, 3, None, 7, 8]))
    assert [(f.code, f.page) for f in got] == [("page_number_gap", 5)]
    assert "缺第4—6页中的2页" in got[0].message_zh and "1幅页号未识别" in got[0].message_zh
    assert missing_items(got, None, 6) == ["原件第4—6页中的2页"]


def test_unread_images_at_a_gap_go_to_the_review_queue():
    review = []
    pages.check_written_numbers(numbered([1, 2, 3, None, 7, 8]), review=review)
    assert [(i.key, i.value) for i in review] == [("page_no:4", "")] and review[0].box is not None
    # Staff read the number on image 4: 4, so 5–6 are missing (and the item is settled).
    got = pages.check_written_numbers(numbered([1, 2, 3, None, 7, 8]), corrections={"page_no:4": "4"})
    assert [(f.code, f.page) for f in got] == [("page_number_gap", 5)] and "缺第5—6页" in got[0].message_zh
    assert pages.check_written_numbers(numbered([1, 2, 3, None, 5]), corrections={"page_no:4": "4"}) == []


def test_repeats_and_reversals_as_before():
    assert found([1, 2, 2, 3]) == [("page_number_repeat", 3)]
    assert found([1, 2, None, 2, 3]) == [("page_number_repeat", 4)]
    assert found([1, 3, 2, 4]) == [("page_number_gap", 2), ("page_number_repeat", 3), ("page_number_gap", 4)]


def test_restart_per_material_across_an_unread_first_page():
    assert found([1, 2, 1, 2], restart_per_material=True) == []
    assert found([1, 2, None, 2, 3], restart_per_material=True) == []
    # Restarts only where a material starts, when numbered per volume.
    assert found([1, 2, None, 2, 3], material_starts=frozenset({3})) == []
    assert found([1, 2, None, 2, 3]) == [("page_number_repeat", 4)]


def test_letters_read_for_digits():
    assert [pages.written_page_number(p) for p in numbered(["l", "I2", "1O", "2o", "|3"])] == [1, 12, 10, 20, 13]
    assert found(["l", 2, 3, 4, 5, 6, 7, 8, 9, "IO", "l1", "I2", "1|"]) == [("page_number_repeat", 13)]
    assert found([1, 2, "3", 4, 6]) == [("page_number_gap", 5)]


def test_letters_alone_count_only_where_the_sequence_expects_them():
    # A stray "|" or "O" in a corner is no page number.
    assert found([1, 2, 3, "|", 5, 6]) == []
    assert found([1, 2, 3, "O", 5, 6]) == []
    assert pages.written_page_number(numbered(["O"])[0]) is None


def test_too_few_numbers_read_checks_nothing():
    assert found([1, None, None, None, 9]) == []


def test_a_handwritten_sheet_numbered_twice_in_a_row_is_a_rescan_not_an_extra_page():
    text_a = "职工转正定级审批表姓名赵玉兰性别女出生年月1966年9月参加工作时间1984年3月学徒期满考核合格"
    text_b = "职工转正定级审批表姓名赵玉三性别女出生年月1966年4月参加工作时间1981年8月学徒期满者核合格"
    other = "职工工资变动审批表姓名赵玉兰性别女工种纺织工变动原因调整工资变动时间1990年5月原工资73.00元"
    lines = lambda n: (Line("材料正文", (300, 400, 1500, 480)), corner_line(str(n)))  # noqa: E731
    vol = [page(1, 1, text_a, lines=lines(3)), page(2, 2, text_b, lines=lines(3)), page(3, 3, other, lines=lines(4))]
    assert pages.suspected_rescans(vol) == {2: 1}
    assert pages.check_page_count(vol, 2) == []  # the rescan is not counted against the declared pages
    vol[1] = page(2, 2, text_b, lines=lines(4))  # numbered as the next sheet: two sheets after all
    assert pages.suspected_rescans(vol) == {}
