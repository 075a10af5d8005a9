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
