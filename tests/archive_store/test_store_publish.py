"""Publishing: layout, atomicity, idempotence, crash recovery and concurrent numbering."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from archive_store.catalog import volume_catalog
from archive_store.publish import PublishError, publish_volume
from archive_store.search import search
from archive_store.storage import LocalStorage, open_storage
from archive_store.tables import (PENDING, PUBLISHED, AuditRow, MaterialRow, PageRow,
                                  StoredObjectRow, VolumeRow)
from archive_store.verify import verify
from archive_store.volume_source import VolumeSourceError, read_volume
from handover.db import init_db, session_scope

from .helpers import ERQI, JINSHUI

REPO = Path(__file__).resolve().parents[2]
PROFILE = "henan-zhengzhou"

# A real publisher process; with a kill-after count > 0 its storage SIGKILLs the process right
# after that many objects were written (the crash-recovery tests: no cleanup code can run).
PUBLISH_SCRIPT = """
import os, signal, sys
from pathlib import Path
from handover.models import Destination
from archive_store.publish import publish_volume
from archive_store.storage import open_storage
from handover.config import settings
kill_after = int(sys.argv[1])
county, street, community = sys.argv[2:5]
storage = open_storage(settings())
if kill_after:
    real_put, puts = storage.put, []

    def put(*args, **kwargs):
        info = real_put(*args, **kwargs)
        puts.append(info)
        if len(puts) >= kill_after:
            os.kill(os.getpid(), signal.SIGKILL)
        return info

    storage.put = put
for d in sys.argv[5:]:
    r = publish_volume(None, Path(d), Destination(county=county, street=street, community=community),
                       "henan-zhengzhou", "worker", storage=storage)
    print(r.volume_no, r.ref_no, int(r.created), flush=True)
"""


def run_publisher(dest, dirs, kill_after: int = 0) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", PUBLISH_SCRIPT, str(kill_after), dest.county, dest.street,
                             dest.community, *map(str, dirs)], cwd=REPO, env=dict(os.environ),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def snapshot(storage) -> list[tuple[str, str]]:
    return [(o.key, storage.sha256(o.key)[0]) for o in storage.list("")]


def counts(cfg) -> dict[str, int]:
    with session_scope(cfg) as s:
        return {t.__tablename__: s.scalar(select(func.count()).select_from(t))
                for t in (VolumeRow, MaterialRow, PageRow, StoredObjectRow)}


def test_publish_stores_the_layout_and_catalogs_the_volume(cfg, make_volume, storage):
    vol_dir, person = make_volume("张建国", materials=4)
    result = publish_volume(cfg, vol_dir, JINSHUI, PROFILE, "测试员", storage=storage)
    assert result.created and not result.resumed
    assert result.volume_no == 1
    assert result.ref_no == "J410-TX·410105001001-0001"  # fonds + 12-digit community code + 案卷号
    fs = "J410-TX.410105001001-0001"
    assert result.prefix == f"金水区/经八路街道/纬五路社区/{fs}"

    src = read_volume(vol_dir)
    keys = {o.key[len(result.prefix) + 1:] for o in storage.list(result.prefix + "/")}
    pages = {f"pages/{fs}-{p.index:04d}.jpg" for p in src.pages}
    originals = {f.rel for f in src.files if f.rel.startswith("originals/")}
    assert keys == {"volume.pdf", "ocr.json", "contents.json", "volume.json", "check.json",
                    "manifest.json"} | pages | originals
    for f in src.files:  # originals and the rest byte for byte
        if f.rel.startswith("originals/") or f.rel.endswith(".json") or f.rel == "volume.pdf":
            assert storage.get(f"{result.prefix}/{f.rel}") == f.path.read_bytes()

    manifest = json.loads(storage.get(f"{result.prefix}/manifest.json"))
    assert manifest["ref_no"] == result.ref_no
    listed = {o["key"]: o for o in manifest["objects"]}
    assert set(listed) == keys - {"manifest.json"}
    for key, entry in listed.items():
        assert storage.sha256(f"{result.prefix}/{key}") == (entry["sha256"], entry["size"])

    with session_scope(cfg) as s:
        vol = s.get(VolumeRow, result.volume_id)
        assert vol.status == PUBLISHED and vol.id_number == person.id_number
        assert vol.materials == 4 and vol.content_pages == len([p for p in src.pages if p.page_no])
        rows = s.scalars(select(PageRow).where(PageRow.volume_id == vol.id).order_by(PageRow.seq)).all()
        blank = [r for r in rows if r.blank]
        assert blank and all(r.page_no is None and r.material_id is None for r in blank)
        mats = {m.id: m for m in s.scalars(select(MaterialRow).where(MaterialRow.volume_id == vol.id))}
        for r in rows:
            if r.page_no is not None:
                m = mats[r.material_id]
                assert m.start_page <= r.page_no <= m.end_page
        assert [rec.ref_no for rec in volume_catalog(s, vol.community_id)] == [result.ref_no]


def test_republishing_the_same_originals_changes_nothing(cfg, make_volume, storage):
    vol_dir, _ = make_volume()
    first = publish_volume(cfg, vol_dir, JINSHUI, PROFILE, "甲", storage=storage)
    before, rows_before = snapshot(storage), counts(cfg)
    again = publish_volume(cfg, vol_dir, JINSHUI, PROFILE, "乙", storage=storage)
    assert not again.created and again.objects_written == 0
    assert (again.volume_id, again.ref_no) == (first.volume_id, first.ref_no)
    assert snapshot(storage) == before
    assert counts(cfg) == rows_before
    with session_scope(cfg) as s:
        assert s.scalar(select(AuditRow).where(AuditRow.action == "publish_noop")).actor == "乙"


def test_same_originals_cannot_go_to_a_second_community(cfg, make_volume):
    vol_dir, _ = make_volume()
    publish_volume(cfg, vol_dir, JINSHUI, PROFILE, "甲")
    with pytest.raises(PublishError, match="已入库为档号"):
        publish_volume(cfg, vol_dir, ERQI, PROFILE, "甲")


def test_a_rejected_volume_is_refused_without_using_a_number(cfg, make_volume):
    rejected, _ = make_volume(check="rejected")
    with pytest.raises(VolumeSourceError, match="退回"):
        publish_volume(cfg, rejected, JINSHUI, PROFILE, "甲")
    ok, _ = make_volume()
    assert publish_volume(cfg, ok, JINSHUI, PROFILE, "甲").volume_no == 1


def _as_before_the_format_version(vol_dir: Path, outcome: str) -> None:
    """What the sample volumes were before the volume.json version: no version, and an
    outcome-only check.json listing "problems"."""
    info = json.loads((vol_dir / "volume.json").read_text("utf-8"))
    del info["format_version"]
    (vol_dir / "volume.json").write_text(json.dumps(info, ensure_ascii=False, indent=1), "utf-8")
    (vol_dir / "check.json").write_text(json.dumps({"outcome": outcome, "problems": []}), "utf-8")


def test_a_folder_from_before_the_format_version_is_published_as_a_new_one(cfg, make_volume, storage):
    old, _ = make_volume("周桂兰", materials=3)
    before = read_volume(old)
    _as_before_the_format_version(old, "complete")
    after = read_volume(old)
    assert after.meta == before.meta and after.meta["format_version"] == 1
    assert (after.check_outcome, after.pages, after.contents) == ("complete", before.pages, before.contents)
    result = publish_volume(cfg, old, JINSHUI, PROFILE, "测试员", storage=storage)
    with session_scope(cfg) as s:
        vol = s.get(VolumeRow, result.volume_id)
        assert (vol.check_outcome, vol.source["format_version"]) == ("complete", 1)
    rejected, _ = make_volume()
    _as_before_the_format_version(rejected, "rejected")
    with pytest.raises(VolumeSourceError, match="退回"):
        read_volume(rejected)


def test_a_volume_folder_with_missing_parts_is_refused(cfg, make_volume):
    vol_dir, _ = make_volume()
    (vol_dir / "ocr.json").unlink()
    with pytest.raises(VolumeSourceError, match="ocr.json"):
        publish_volume(cfg, vol_dir, JINSHUI, PROFILE, "甲")
    assert counts(cfg)["volumes"] == 0


@pytest.mark.parametrize("kill_after", ["first", "last"])
def test_a_publish_killed_half_way_is_invisible_and_the_rerun_completes_it(cfg, make_volume, kill_after):
    vol_dir, person = make_volume("王秀英")
    files = len(read_volume(vol_dir).files)
    n = 1 if kill_after == "first" else files  # "last": every file stored, manifest not yet
    proc = run_publisher(JINSHUI, [vol_dir], kill_after=n)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == -9, err  # SIGKILL: no cleanup ran

    storage = open_storage(cfg)
    with session_scope(cfg) as s:
        pending = s.scalars(select(VolumeRow)).all()
        assert [(v.status, v.volume_no) for v in pending] == [(PENDING, 1)]
        prefix = pending[0].prefix
        assert search(s, "王秀英", None) == []
        assert search(s, person.id_number[-6:], None) == []
        assert volume_catalog(s, pending[0].community_id) == []
        assert s.scalar(select(func.count()).select_from(PageRow)) == 0
    stored = [o.key for o in storage.list(prefix + "/")]
    assert len(stored) == n and not any(k.endswith("manifest.json") for k in stored)
    half = verify(cfg)
    assert half.ok and half.volumes == 0 and half.pending == ["J410-TX·410105001001-0001"]

    result = publish_volume(cfg, vol_dir, JINSHUI, PROFILE, "测试员")
    assert result.created and result.resumed
    assert (result.volume_no, result.prefix) == (1, prefix)
    assert result.objects_written == files - n + 1  # the rest plus the manifest
    done = verify(cfg)
    assert done.ok and done.volumes == 1 and done.pending == []
    with session_scope(cfg) as s:
        hits = search(s, "王秀英", None)
        assert hits and hits[0].ref_no == result.ref_no
    nxt, _ = make_volume()
    assert publish_volume(cfg, nxt, JINSHUI, PROFILE, "测试员").volume_no == 2  # no gap


def test_concurrent_publishers_get_unique_gap_free_numbers(cfg, make_volume):
    shared, _ = make_volume("共享卷")
    plans = [(JINSHUI, [shared] + [make_volume()[0] for _ in range(5)]) for _ in range(3)]
    plans.append((ERQI, [make_volume()[0] for _ in range(3)]))
    init_db(cfg)  # the schema exists before the workers start (create_all itself is not race-safe)
    procs = [run_publisher(dest, dirs) for dest, dirs in plans]
    outputs = []
    for proc in procs:
        out, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err
        outputs.append(out)
    with session_scope(cfg) as s:
        vols = s.scalars(select(VolumeRow)).all()
        assert all(v.status == PUBLISHED for v in vols)
        by_community: dict[int, list[int]] = {}
        for v in vols:
            by_community.setdefault(v.community_id, []).append(v.volume_no)
        sizes = sorted(len(v) for v in by_community.values())
        assert sizes == [3, 16]  # 3 × 5 own + 1 shared volume; 3 in the other community
        for numbers in by_community.values():
            assert sorted(numbers) == list(range(1, len(numbers) + 1))
        assert len({v.ref_no for v in vols}) == len(vols)
        assert s.scalar(select(func.count()).select_from(VolumeRow)
                        .where(VolumeRow.name == "共享卷")) == 1
    shared_lines = [line.split() for out in outputs[:3] for line in out.splitlines()[:1]]
    assert len({ref for _, ref, _ in shared_lines}) == 1  # all three got the same volume
    assert sum(int(created) for _, _, created in shared_lines) == 1
    assert verify(cfg).ok


def test_publish_stores_into_the_storage_it_is_given(cfg, make_volume, tmp_path):
    vol_dir, _ = make_volume()
    result = publish_volume(cfg, vol_dir, JINSHUI, PROFILE, "甲", storage=LocalStorage(tmp_path / "elsewhere"))
    assert result.created
    assert not open_storage(cfg).exists(f"{result.prefix}/manifest.json")
    assert LocalStorage(tmp_path / "elsewhere").exists(f"{result.prefix}/manifest.json")


def test_a_resumed_publish_drops_objects_the_folder_no_longer_has(cfg, make_volume):
    from archive_store.storage import StorageUnavailable

    vol_dir, _ = make_volume()
    storage = open_storage(cfg)
    real_put, calls = storage.put, []

    def flaky_put(key, source, **kw):
        calls.append(key)
        if len(calls) > len(read_volume(vol_dir).files) - 1:
            raise StorageUnavailable("无法连接存储")
        return real_put(key, source, **kw)

    storage.put = flaky_put
    with pytest.raises(StorageUnavailable):
        publish_volume(cfg, vol_dir, JINSHUI, PROFILE, "甲", storage=storage)
    storage.put = real_put
    # The operator re-ran the scan clean-up: one page image fewer (originals unchanged).
    dropped = sorted((vol_dir / "pages").iterdir())[-1]
    dropped.unlink()
    result = publish_volume(cfg, vol_dir, JINSHUI, PROFILE, "甲", storage=storage)
    assert result.resumed and result.volume_no == 1
    assert not storage.exists(f"{result.prefix}/pages/J410-TX.410105001001-0001-{dropped.stem}.jpg")
    assert verify(cfg, storage=storage).ok


def test_a_rolled_back_reservation_gives_its_number_back(cfg):
    from archive_store.communities import get_or_create
    from archive_store.transactions import next_volume_no, write_transaction

    engine = init_db(cfg)
    with pytest.raises(RuntimeError):
        with write_transaction(engine) as s:
            community = get_or_create(s, "金水区", "经八路街道", "纬五路社区")
            assert next_volume_no(s, community.id) == 1
            raise RuntimeError("publish failed before commit")
    with write_transaction(engine) as s:
        community = get_or_create(s, "金水区", "经八路街道", "纬五路社区")
        assert [next_volume_no(s, community.id) for _ in range(3)] == [1, 2, 3]


def test_an_abandoned_reservation_is_voided_not_reissued(cfg, make_volume):
    from archive_store.publish import void_pending
    from archive_store.storage import StorageUnavailable
    from archive_store.tables import VOID

    vol_dir, _ = make_volume()
    storage = open_storage(cfg)
    real_put = storage.put

    def failing_put(key, source, **kw):
        real_put(key, source, **kw)
        raise StorageUnavailable("无法连接存储")

    storage.put = failing_put
    with pytest.raises(StorageUnavailable):
        publish_volume(cfg, vol_dir, JINSHUI, PROFILE, "甲", storage=storage)
    storage.put = real_put
    with pytest.raises(PublishError, match="原因"):
        void_pending(cfg, "J410-TX·410105001001-0001", "科长", " ")
    void_pending(cfg, "J410-TX·410105001001-0001", "科长", "扫描件有误，重新扫描", storage=storage)
    assert list(storage.list("")) == []
    with pytest.raises(PublishError, match="不是未完成"):
        void_pending(cfg, "J410-TX·410105001001-0001", "科长", "再次作废", storage=storage)
    again = publish_volume(cfg, vol_dir, JINSHUI, PROFILE, "甲", storage=storage)
    assert again.created and again.volume_no == 2  # 0001 stays void
    with session_scope(cfg) as s:
        assert [(v.volume_no, v.status) for v in s.scalars(select(VolumeRow).order_by(VolumeRow.id))] \
            == [(1, VOID), (2, PUBLISHED)]
        assert [r.volume_no for r in volume_catalog(s, again.community_id)] == [2]
    assert verify(cfg).pending == []
