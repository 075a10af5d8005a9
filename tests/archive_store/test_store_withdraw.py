"""退回: a withdrawn volume leaves search, the index and the catalog, keeps its 档号 and files,
and the same person's next publish reuses that 档号."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from archive_store.catalog import volume_catalog
from archive_store.publish import publish_volume
from archive_store.search import search
from archive_store.storage import open_storage
from archive_store.index import indexed_page_ids
from archive_store.tables import AuditRow, PageRow, VolumeRow, VolumeWithdrawalRow
from archive_store.verify import verify
from archive_store.withdraw import WithdrawError, latest_withdrawal, withdraw_volume
from handover.db import session_scope
from tests.support.sample_volume import write_sample_volume

from .helpers import JINSHUI

PLANTED = "经审查该同志档案缺少入党志愿书原件。"
LATER = "补充材料：入党志愿书原件已由移交单位补交。"


def indexed_volumes(s, community_id: int) -> set[int]:
    pages = indexed_page_ids(s, community_id)
    return set(s.scalars(select(PageRow.volume_id).where(PageRow.id.in_(pages))))


def test_withdraw_then_publish_the_same_person_again(cfg, make_volume, tmp_path):
    vol_a, person = make_volume("张建国", extra_texts={1: PLANTED})
    vol_b, _ = make_volume("王淑芬")
    a = publish_volume(cfg, vol_a, JINSHUI, "henan-zhengzhou", "入库员")
    b = publish_volume(cfg, vol_b, JINSHUI, "henan-zhengzhou", "入库员")
    with session_scope(cfg) as s:
        assert [h.ref_no for h in search(s, "入党志愿书原件", None)] == [a.ref_no]
        with pytest.raises(WithdrawError, match="原因"):
            withdraw_volume(s, a.ref_no, "李档案", "  ")
        withdraw_volume(s, a.ref_no, "李档案", "缺少入党志愿书，退回移交单位补充")
    with session_scope(cfg) as s:
        assert search(s, "入党志愿书原件", None) == [] and search(s, "张建国", None) == []
        assert indexed_volumes(s, a.community_id) == {b.volume_id}  # the index itself, not only a filter
        assert [r.ref_no for r in volume_catalog(s, a.community_id)] == [b.ref_no]
        row = s.get(VolumeRow, a.volume_id)
        assert row.status == "withdrawn" and row.ref_no == a.ref_no
        assert latest_withdrawal(s, a.volume_id).reason == "缺少入党志愿书，退回移交单位补充"
        audit = s.scalar(select(AuditRow).where(AuditRow.action == "withdraw"))
        assert audit.target == a.ref_no and audit.actor == "李档案" and "补充" in audit.reason
        with pytest.raises(WithdrawError, match="不是已入库"):
            withdraw_volume(s, a.ref_no, "李档案", "再次退回")
    storage = open_storage(cfg)
    first_files = sorted(o.key for o in storage.list(a.prefix + "/"))
    assert any(k.endswith("/volume.pdf") for k in first_files)
    report = verify(cfg)
    assert report.ok and report.volumes == 2  # the withdrawn volume's files are still checked

    # Someone else is filed next: a new number, never the withdrawn one.
    vol_c, _ = make_volume("孙立平")
    c = publish_volume(cfg, vol_c, JINSHUI, "henan-zhengzhou", "入库员")
    assert c.volume_no == b.volume_no + 1 and c.ref_no != a.ref_no

    # The enterprise supplied the missing material: the same person comes back with new files.
    vol_a2 = write_sample_volume(tmp_path / "a2", person, seed=99, materials=4, extra_texts={1: LATER})
    again = publish_volume(cfg, vol_a2, JINSHUI, "henan-zhengzhou", "入库员")
    assert (again.volume_id, again.ref_no, again.volume_no) == (a.volume_id, a.ref_no, a.volume_no)
    assert again.created and again.prefix == a.prefix + "-r2"
    assert sorted(o.key for o in storage.list(a.prefix + "/")) == first_files  # the first version is kept
    with session_scope(cfg) as s:
        assert [h.ref_no for h in search(s, "补交", None)] == [a.ref_no]
        assert search(s, "入党志愿书原件已由", None)[0].volume_id == a.volume_id
        assert s.get(VolumeRow, a.volume_id).materials == 4
        assert s.scalar(select(VolumeWithdrawalRow.republished_at)) is not None
        assert s.scalar(select(AuditRow.id).where(AuditRow.action == "reuse_ref_no")) is not None
        assert len(volume_catalog(s, a.community_id)) == 3
    assert verify(cfg).ok

    # Withdrawn again and re-filed with the very first files: still the same 档号.
    with session_scope(cfg) as s:
        withdraw_volume(s, a.ref_no, "李档案", "页面顺序有误")
    third = publish_volume(cfg, vol_a, JINSHUI, "henan-zhengzhou", "入库员")
    assert third.ref_no == a.ref_no and third.prefix == a.prefix + "-r3"
    assert verify(cfg).ok
