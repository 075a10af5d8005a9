"""Material boundaries from several signals: titles read with slips, identity rows, continuation
marks, unreadable first pages (constructed OCR lines on an A4 page at 300 dpi)."""

from __future__ import annotations

from handover import volume_folder as vf
from ocr import boundary_score, classes, materials
from ocr.materials import PageInfo
from ocr.records import OcrLine

W, H = 2480, 3508


def line(text: str, x: int, y: int, h: int = 50, w: int | None = None, conf: float = 0.95) -> OcrLine:
    return OcrLine(text, (x, y, x + (w if w is not None else h * len(text)), y + h), conf)


def centred(text: str, y: int, h: int) -> OcrLine:
    w = h * len(text)
    return line(text, (W - w) // 2, y, h, w)


def page(index: int, lines: list[OcrLine], readable: bool = True, counted: bool = True) -> PageInfo:
    """A page as ``ocr.pipeline.assemble`` describes it to the split."""
    return PageInfo(index, materials.heading(lines, H, W), "\n".join(l.text for l in lines), counted, index,
                    tuple(lines), W, H, readable)


def grid(y: int, name: str = "刘卫", value_h: int = 85) -> list[OcrLine]:
    """A form's identity row: printed labels, handwritten values taller than the print."""
    return [line("姓名", 230, y), line(name, 560, y - 15, value_h), line("性别", 900, y),
            line("男", 1240, y - 15, value_h), line("出生年月", 1560, y), line("1958年3月", 1900, y - 15, value_h, 340),
            line("文化程度", 230, y + 150), line("初中", 560, y + 135, value_h)]


def prose(y: int, texts: list[str], h: int = 80) -> list[OcrLine]:
    """Handwritten paragraph lines, full width, as tall as a title."""
    return [line(t, 210, y + k * 140, h, 2060) for k, t in enumerate(texts)]


def autobiography(index: int = 1) -> PageInfo:
    return page(index, [centred("自传", 260, 120)] + prose(500, ["我叫刘卫，男，汉族，一九五八年三月出生于郑州市。",
                                                                  "家庭出身工人，本人成分学生。"]))


def starts(pages: list[PageInfo]) -> list[int]:
    return [pages[i].index for i in materials.material_starts(pages)]


def test_faint_small_title_opens_a_material():
    # The printed title is smaller than the handwritten values (worn print read at low confidence,
    # off-centre after the crop): no heading by height, yet a known title at the top.
    small = [line("职工登记表", 700, 270, 40, conf=0.62), line("填报单位：郑州第四水泥厂", 210, 450, 48)] + grid(560)
    assert materials.heading(small, H, W) != "职工登记表"
    pages = [autobiography(1), page(2, small)]
    got = materials.split(pages)
    assert [(m.title, m.class_code, m.first_index) for m in got] == [("自传", "二", 1), ("职工登记表", "一", 2)]
    assert materials.boundaries(pages)[1].certain


def test_split_title_and_one_misread_character_still_open():
    split_row = [line("职工工资", 760, 260, 90), line("变动审批表", 1160, 262, 90)] + grid(560)
    misread = [centred("企业职工退休审枇表", 260, 92)] + grid(560)  # 批 read as 枇
    spaced = [centred("招 工 审 批 表", 260, 92)] + grid(560)
    wrapped = [centred("中国共产党", 400, 110), centred("入党", 620, 130), centred("志愿书", 780, 130)] + grid(1100)
    pages = [autobiography(1), page(2, split_row), page(3, misread), page(4, spaced), page(5, wrapped)]
    got = materials.split(pages)
    assert [(m.first_index, m.title, m.class_code) for m in got] == [
        (1, "自传", "二"), (2, "职工工资变动审批表", "九-1"), (3, "企业职工退休审批表", "九-2"), (4, "招工审批表", "九-2"),
        (5, "入党志愿书", "六")]


def test_tall_handwritten_body_line_with_title_words_does_not_open():
    # A filled-in application line: tall, centred, in the top third, with 退休 and 申请 in it.
    body = [centred("本人申请：本人已到退休年龄，申请办理退休手续。", 600, 110), line("2018年3月2日", 1500, 800, 85, 500)]
    bare = [centred("本人已到退休年龄申请办理退休手续", 600, 110)]  # the punctuation lost by OCR
    pages = [autobiography(1), page(2, body), page(3, bare)]
    assert starts(pages) == [1]


def test_untitled_continuation_pages_do_not_open():
    # The second page of 入党志愿书: handwritten prose from the top, a paragraph ending in a title word.
    second = page(2, prose(260, ["参加工作以来，在车间党支部的教育和帮助下，我认识到只有在党",
                                 "的领导下才能把本职工作做好。我于一九七五年三月向党支部递交了",
                                 "入党申请书"]) + [line("申请人：", 1350, 900), line("刘卫", 1580, 890, 85)])
    wrapped = [centred("中国共产党", 400, 110), centred("入党志愿书", 620, 130)] + grid(1100)
    pages = [page(1, wrapped), second]
    assert starts(pages) == [1]
    assert [(m.title, m.last_index) for m in materials.split(pages)] == [("入党志愿书", 2)]


def test_continuation_marks_say_not_a_new_material():
    first = [centred("职工登记表", 260, 92)] + grid(560)
    repeated_title = [centred("职工登记表（续）", 260, 92)] + grid(560)
    mark_and_grid = [line("续页", 2000, 200, 50), centred("职工登记表", 260, 92)] + grid(560)
    second_page = [line("第二页", 2050, 150, 45)] + prose(400, ["家庭主要成员及社会关系"])
    pages = [page(1, first), page(2, repeated_title), page(3, mark_and_grid), page(4, second_page)]
    assert starts(pages) == [1]
    assert [b.reason for b in materials.boundaries(pages)[1:]] == ["continued", "continued", "continued"]
    # 连续工龄 or 手续 hold 续 but are no marks.
    labels = [centred("企业职工退休审批表", 260, 92), line("连续工龄", 230, 420), line("办理手续", 900, 420)] + grid(560)
    assert starts([autobiography(1), page(2, labels)]) == [1, 2]


def test_identity_row_without_a_title_opens_an_unnamed_material_for_review():
    no_title = [line("填报单位：郑州第四水泥厂", 210, 450, 48)] + grid(560)  # title too faint to be read at all
    pages = [autobiography(1), page(2, no_title)]
    got = materials.split(pages)
    assert [(m.first_index, m.title) for m in got] == [(1, "自传"), (2, materials.UNKNOWN_TITLE)]
    b = materials.boundaries(pages)[1]
    assert b.start and not b.certain and b.reason == "identity"


def test_weak_title_needs_the_identity_row_to_be_certain():
    small = [line("复员军人安置审批表", 210, 270, 40)]  # not a known printed title, small, at the left
    with_grid = materials.boundaries([autobiography(1), page(2, small + grid(560))])[1]
    alone = materials.boundaries([autobiography(1), page(2, small + prose(500, ["经研究，同意安置到郑州第二纺织厂工作。"]))])[1]
    assert (with_grid.start, with_grid.certain) == (True, True)
    assert (alone.start, alone.certain, alone.reason) == (True, False, "weak_title")


def test_unreadable_first_page_opens_its_own_row():
    register = page(1, [centred("职工登记表", 260, 92)] + grid(560))
    stained = page(2, [line("蕊", 900, 1500, 60, conf=0.3)], readable=False)  # nothing of the title read
    second = page(3, prose(260, ["经支部大会讨论通过，同意接收为中共预备党员。"]))
    fragment = page(4, [line("退休审", 900, 270, 90, conf=0.4), line("口", 300, 900, 60, conf=0.2)], readable=False)
    got = materials.split([register, stained, second, fragment])
    assert [(m.first_index, m.last_index, m.title, m.class_code) for m in got] == [
        (1, 1, "职工登记表", "一"), (2, 3, materials.UNKNOWN_TITLE, "十"), (4, 4, "退休审批表", "九-2")]
    assert "无法辨认" in got[1].remarks and "无法辨认" in got[2].remarks
    rows = materials.contents_rows(got)
    assert [(r.seq, r.pages, r.start_page, r.end_page) for r in rows] == [
        ("一-1", 1, 1, 1), ("十-1", 2, 2, 3), ("九-2-1", 1, 4, 4)]


def test_title_matching_tolerates_slips_by_length():
    assert classes.known_title("职工工资变动审枇表") == ("职工工资变动审批表", 1)
    assert classes.known_title("郑州第二纺织厂职工登记表") == ("职工登记表", 0)
    assert classes.known_title("白传") is None  # two characters: no slip allowed
    assert classes.partial_title("退休审") == "退休审批表"
    assert classes.partial_title("审批表") is None  # names no single class


def test_boundary_score_counts_hits_misses_and_false_starts():
    truth = {"materials": [{"first_index": 1, "last_index": 2}, {"first_index": 3, "last_index": 3},
                           {"first_index": 5, "last_index": 6}]}
    ocr = vf.OcrFile("", tuple(vf.Page(i, n) for i, n in [(1, 1), (2, 2), (3, 3), (4, 4), (5, 5), (6, None)]))
    # Rows: pages 1–1, 2–3, 4–5 → rows start on images 1, 2 and 4 (4: an inserted sheet, no material).
    contents = vf.ContentsFile(tuple(vf.ContentsRow(f"一-{k}", "一", "材料", pages=n) for k, n in enumerate((1, 2, 2), 1)))
    s = boundary_score.score_boundaries(truth, ocr, contents)
    assert dict(s) == {"hit": 1, "miss": 2, "false": 1}
    assert (s.misses, s.false_starts) == ((3, 5), (2,))
    assert (s.recall, s.precision) == (1 / 3, 1 / 2)
