"""Correcting the 卷内目录: the row changes, 序号 follow the classes, 起止日期 the dates."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from archive_store.contents import ContentsError, Correction, correct_material
from archive_store.publish import publish_volume
from archive_store.tables import MaterialRow, VolumeRow
from handover.db import session_scope

from .helpers import JINSHUI


def test_a_class_change_renumbers_and_a_date_change_moves_the_span(cfg, make_volume):
    vol_dir, _ = make_volume("赵桂兰")
    published = publish_volume(cfg, vol_dir, JINSHUI, "henan-zhengzhou", "入库员")
    with session_scope(cfg) as s:
        vol = s.get(VolumeRow, published.volume_id)
        rows = list(s.scalars(select(MaterialRow).where(MaterialRow.volume_id == vol.id).order_by(MaterialRow.ordinal)))
        assert len(rows) >= 2
        target = rows[-1].class_code
        correct_material(s, vol, rows[0].id, Correction(rows[0].title, target, dt.date(1950, 1, 2)), "李档案")
        seqs = [r.seq for r in s.scalars(select(MaterialRow).where(MaterialRow.volume_id == vol.id)
                                         .order_by(MaterialRow.ordinal))]
        assert seqs[0] == f"{target}-1" and len(set(seqs)) == len(seqs)
        assert vol.date_from == dt.date(1950, 1, 2)
        with pytest.raises(ContentsError, match="类号"):
            correct_material(s, vol, rows[0].id, Correction("自传", "十一", None), "李档案")
        with pytest.raises(ContentsError, match="没有这一条"):
            correct_material(s, vol, 10_000, Correction("自传", "二", None), "李档案")


# ---------------------------------------------------------------- splitting and merging rows

def _shapes():
    from archive_store.contents import Shape

    return [
        Shape("职工登记表", "一", dt.date(1954, 8, 1), 1, 1, 1, "", ((1, 1),)),
        Shape("工资变动审批表", "九-1", dt.date(1985, 10, 1), 3, 2, 4, "", ((2, 2), (3, 3), (5, 4))),  # 4: a blank side
        Shape("退休审批表", "九-2", dt.date(1996, 3, 1), 1, 5, 5, "", ((6, 5),)),
    ]


def test_split_rows_moves_the_pages_from_the_image_on():
    from archive_store.contents import merge_rows, split_rows

    rows = split_rows(_shapes(), 3)
    assert [r.title for r in rows] == ["职工登记表", "工资变动审批表", "未识别材料", "退休审批表"]
    old, new = rows[1], rows[2]
    assert (old.pages, old.start_page, old.end_page, old.images) == (1, 2, 2, ((2, 2),))
    assert (new.pages, new.start_page, new.end_page, new.images) == (2, 3, 4, ((3, 3), (5, 4)))
    assert (new.class_code, new.formed_on) == ("十", None) and old.formed_on == dt.date(1985, 10, 1)
    assert "工资变动审批表" in new.remarks and "第3幅图像" in new.remarks and "人工核对" in new.remarks
    # Staff's title for the material opening there names it and gives its class.
    titled = split_rows(_shapes(), 5, title="基本养老金核定表")[2]
    assert (titled.title, titled.class_code, titled.pages, titled.start_page, titled.end_page) == \
        ("基本养老金核定表", "九-1", 1, 4, 4)
    assert split_rows(_shapes(), 5, title="家属情况说明")[2].class_code == "十"  # no class known: 十
    # Merging the new row back gives the rows of before (the remarks say what was merged).
    back = merge_rows(rows, 3)
    assert [(r.title, r.pages, r.start_page, r.end_page, r.images) for r in back] == \
        [(r.title, r.pages, r.start_page, r.end_page, r.images) for r in _shapes()]
    assert "并入原“未识别材料”" in back[1].remarks


def test_merge_rows_adds_the_pages_and_drops_the_title_and_date():
    from archive_store.contents import merge_rows

    rows = merge_rows(_shapes(), 6)
    assert [r.title for r in rows] == ["职工登记表", "工资变动审批表"]
    merged = rows[1]
    assert (merged.pages, merged.start_page, merged.end_page) == (4, 2, 5)
    assert merged.images == ((2, 2), (3, 3), (5, 4), (6, 5)) and merged.formed_on == dt.date(1985, 10, 1)
    assert merged.remarks == "并入原“退休审批表”（第6幅图像起1页，形成时间1996-03-01）"


def test_split_and_merge_refuse_in_chinese():
    from archive_store.contents import ContentsError, merge_rows, split_rows

    with pytest.raises(ContentsError, match="第4幅图像不属于卷内目录的任何一份材料"):
        split_rows(_shapes(), 4)  # the blank side
    with pytest.raises(ContentsError, match="第99幅图像不属于"):
        split_rows(_shapes(), 99)
    with pytest.raises(ContentsError, match="第2幅图像已是“工资变动审批表”的首页"):
        split_rows(_shapes(), 2)
    with pytest.raises(ContentsError, match="第一份材料的首页，前面没有可以并入的材料"):
        merge_rows(_shapes(), 1)
    with pytest.raises(ContentsError, match="第3幅图像不是一份材料的首页（属“工资变动审批表”）"):
        merge_rows(_shapes(), 3)
    with pytest.raises(ContentsError, match="第4幅图像不属于"):
        merge_rows(_shapes(), 4)


def test_merge_and_split_reshape_the_catalog_renumber_and_are_audited(cfg, make_volume):
    from archive_store.contents import catalog_rows, merge_material, split_material
    from archive_store.tables import AuditRow, PageRow
    from ocr.numbering import sequence_numbers

    vol_dir, _ = make_volume("钱秀英", materials=5)
    published = publish_volume(cfg, vol_dir, JINSHUI, "henan-zhengzhou", "入库员")

    def rows(s, vol):
        return list(s.scalars(select(MaterialRow).where(MaterialRow.volume_id == vol.id).order_by(MaterialRow.ordinal)))

    def images(s, row_id):
        return list(s.scalars(select(PageRow.seq).where(PageRow.material_id == row_id).order_by(PageRow.seq)))

    with session_scope(cfg) as s:
        vol = s.get(VolumeRow, published.volume_id)
        before = rows(s, vol)
        assert len(before) == 5 == vol.materials
        first, second = [(r.id, r.title, r.seq, r.pages, r.start_page, r.end_page) for r in before[:2]]
        first_images, second_images = images(s, first[0]), images(s, second[0])
        image = second_images[0]
        blank = s.scalar(select(PageRow.seq).where(PageRow.volume_id == vol.id, PageRow.blank.is_(True)))
        assert blank is not None and s.scalar(select(PageRow.material_id).where(
            PageRow.volume_id == vol.id, PageRow.seq == blank)) is None

        with pytest.raises(ContentsError, match="前面没有可以并入的材料"):
            merge_material(s, vol, first_images[0], "李档案")
        with pytest.raises(ContentsError, match=f"第{blank}幅图像不属于"):
            merge_material(s, vol, blank, "李档案")
        # Merge the second row into the first: pages added, end page extended, the row is gone.
        merged = merge_material(s, vol, image, "李档案", "校对：材料起始页（接续）")
        now = rows(s, vol)
        assert len(now) == 4 == vol.materials and [r.ordinal for r in now] == [1, 2, 3, 4]
        assert (merged.id, merged.title, merged.pages, merged.start_page, merged.end_page) == \
            (first[0], first[1], first[3] + second[3], first[4], second[5])
        assert images(s, merged.id) == first_images + second_images
        assert f"并入原“{second[1]}”" in merged.remarks
        assert [r.seq for r in now] == sequence_numbers([r.class_code for r in now])
        audit = s.scalar(select(AuditRow).where(AuditRow.action == "merge_contents"))
        assert audit.actor == "李档案" and audit.target.endswith(f"/{second[2]}") and audit.detail["image"] == image
        assert [r["title"] for r in audit.detail["before"]] == [first[1], second[1]]
        assert audit.detail["after"][0]["pages"] == first[3] + second[3]
        dates = [r.formed_on for r in now if r.formed_on]
        assert (vol.date_from, vol.date_to) == (min(dates), max(dates))  # 起止日期 of the rows left

        # Split it again at the same image with staff's title: a new row of that title's class.
        with pytest.raises(ContentsError, match="的首页，不能再从这里拆分"):
            split_material(s, vol, first_images[0], "李档案")
        with pytest.raises(ContentsError, match=f"第{blank}幅图像不属于"):
            split_material(s, vol, blank, "李档案")
        seqs_before = {r.id: r.seq for r in rows(s, vol)}
        new = split_material(s, vol, image, "李档案", title="基本养老金核定表")
        now = rows(s, vol)
        assert len(now) == 5 == vol.materials and now[1].id == new.id and now[0].id == first[0]
        assert (new.title, new.class_code, new.formed_on) == ("基本养老金核定表", "九-1", None)
        assert (new.pages, new.start_page, new.end_page) == (second[3], second[4], second[5])
        assert (now[0].pages, now[0].start_page, now[0].end_page) == (first[3], first[4], first[5])
        assert images(s, new.id) == second_images and images(s, first[0]) == first_images
        assert [r.seq for r in now] == sequence_numbers([r.class_code for r in now])
        assert new.seq.startswith("九-1-") and [r.ordinal for r in now] == [1, 2, 3, 4, 5]
        split = s.scalar(select(AuditRow).where(AuditRow.action == "split_contents"))
        assert split.detail["image"] == image and split.detail["before"][0]["pages"] == first[3] + second[3]
        assert [(r["title"], r["seq"]) for r in split.detail["after"]] == [(first[1], now[0].seq), (new.title, new.seq)]
        assert split.detail["renumbered"] == [[seqs_before[r.id], r.seq] for r in now
                                              if r.id in seqs_before and seqs_before[r.id] != r.seq]
        dates = [r.formed_on for r in now if r.formed_on]
        assert (vol.date_from, vol.date_to) == (min(dates), max(dates))
        # What a re-check reads: the rows as they stand now.
        assert [(r.seq, r.title, r.pages, r.start_page, r.end_page) for r in catalog_rows(s, vol)] == \
            [(r.seq, r.title, r.pages, r.start_page, r.end_page) for r in now]
