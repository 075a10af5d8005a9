"""The four stages of publishing one by one: reserve → store → verify → commit."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from archive_store.publish import (MANIFEST, PublishedVolume, PublishError, Reservation, commit, publish_volume,
                                   reserve, store, verify_stored)
from archive_store.search import search
from archive_store.storage import LocalStorage
from archive_store.tables import PENDING, PUBLISHED, AuditRow, PageRow, VolumeRow
from archive_store.volume_source import read_volume
from handover.db import init_db, session_scope
from handover.policy import load_profile

from .helpers import JINSHUI

PROFILE = "henan-zhengzhou"
NUMBERING = load_profile(PROFILE).numbering


def _reserve(cfg, vol_dir) -> Reservation | PublishedVolume:
    return reserve(init_db(cfg), read_volume(vol_dir), JINSHUI, PROFILE, NUMBERING, "甲")


def test_reserve_takes_the_next_number_as_an_invisible_pending_row_and_resumes_it(cfg, make_volume):
    vol_dir, person = make_volume("李淑芬")
    first = _reserve(cfg, vol_dir)
    assert isinstance(first, Reservation) and not first.resumed
    assert first.ref_no == "J410-TX·410105001001-0001"
    assert first.prefix == "金水区/经八路街道/纬五路社区/J410-TX.410105001001-0001"
    assert first.community_doc == {"county": "金水区", "street": "经八路街道", "name": "纬五路社区",
                                   "code": "410105001001"}
    with session_scope(cfg) as s:
        assert s.get(VolumeRow, first.volume_id).status == PENDING
        assert [a.action for a in s.scalars(select(AuditRow))] == ["reserve_ref_no"]
        assert search(s, "李淑芬", None) == []
    again = _reserve(cfg, vol_dir)  # the same originals: the crashed run's row, not a new number
    assert isinstance(again, Reservation) and again.resumed
    assert (again.volume_id, again.ref_no) == (first.volume_id, first.ref_no)


def test_reserve_returns_the_published_volume_for_originals_already_in_the_catalog(cfg, make_volume, tmp_path):
    vol_dir, _ = make_volume()
    done = publish_volume(cfg, vol_dir, JINSHUI, PROFILE, "甲", storage=LocalStorage(tmp_path / "objects"))
    again = _reserve(cfg, vol_dir)
    assert isinstance(again, PublishedVolume)
    assert (again.volume_id, again.ref_no, again.created, again.objects_written) == \
        (done.volume_id, done.ref_no, False, 0)


def test_store_writes_every_file_then_the_manifest_and_skips_intact_ones_on_resume(cfg, make_volume, tmp_path):
    vol_dir, _ = make_volume()
    src = read_volume(vol_dir)
    storage = LocalStorage(tmp_path / "objects")
    reservation = _reserve(cfg, vol_dir)
    stored = store(storage, src, reservation)
    assert stored.written == len(src.files) + 1
    assert stored.objects[-1][0] == MANIFEST
    assert sorted(o.key for o in storage.list(reservation.prefix + "/")) == \
        sorted(f"{reservation.prefix}/{key}" for key, _, _ in stored.objects)

    resumed = _reserve(cfg, vol_dir)
    stray = f"{resumed.prefix}/pages/left-over.jpg"
    storage.put(stray, b"from a different run")
    again = store(storage, src, resumed)
    assert again.written == 1  # only the manifest: every file was already stored intact
    assert again.objects == stored.objects
    assert not storage.exists(stray)


def test_verify_refuses_an_object_whose_bytes_differ_from_the_source(cfg, make_volume, tmp_path):
    vol_dir, _ = make_volume()
    src = read_volume(vol_dir)
    storage = LocalStorage(tmp_path / "objects")
    reservation = _reserve(cfg, vol_dir)
    stored = store(storage, src, reservation)
    verify_stored(storage, reservation.prefix, stored)
    storage.put(f"{reservation.prefix}/volume.json", b"{}")
    with pytest.raises(PublishError, match="volume.json"):
        verify_stored(storage, reservation.prefix, stored)


def test_commit_makes_the_volume_visible_once(cfg, make_volume, tmp_path):
    vol_dir, _ = make_volume("赵国庆")
    src = read_volume(vol_dir)
    storage = LocalStorage(tmp_path / "objects")
    engine = init_db(cfg)
    reservation = _reserve(cfg, vol_dir)
    stored = store(storage, src, reservation)
    published = commit(engine, src, reservation, stored, "甲")
    assert published.created and published.ref_no == reservation.ref_no
    assert published.objects_written == stored.written
    with session_scope(cfg) as s:
        assert s.get(VolumeRow, reservation.volume_id).status == PUBLISHED
        assert len(s.scalars(select(PageRow)).all()) == len(src.pages)
        assert [h.ref_no for h in search(s, "赵国庆", None)][:1] == [reservation.ref_no]
    # Another worker committing the same volume afterwards changes nothing.
    late = commit(engine, src, reservation, stored, "乙")
    assert not late.created and late.volume_id == published.volume_id
    with session_scope(cfg) as s:
        assert [a.action for a in s.scalars(select(AuditRow))].count("publish") == 1
