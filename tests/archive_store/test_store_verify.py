"""Fixity checks catch corrupted, deleted and unexpected objects, on both backends."""

from __future__ import annotations

from sqlalchemy import select

from archive_store.publish import publish_volume
from archive_store.tables import AuditRow
from archive_store.verify import ALTERED, MISSING, UNEXPECTED, verify
from handover.db import session_scope

from .helpers import ERQI, JINSHUI


def test_verify_reports_corrupted_and_deleted_objects(cfg, make_volume, storage):
    a = publish_volume(cfg, make_volume()[0], JINSHUI, "henan-zhengzhou", "甲", storage=storage)
    b = publish_volume(cfg, make_volume()[0], ERQI, "henan-zhengzhou", "甲", storage=storage)
    clean = verify(cfg, storage=storage)
    assert clean.ok and clean.volumes == 2 and clean.objects > 10 and clean.bytes > 0

    original = next(o.key for o in storage.list(a.prefix + "/originals/"))
    data = bytearray(storage.get(original))
    data[len(data) // 2] ^= 0x01  # one flipped bit
    storage.put(original, bytes(data))
    storage.delete(f"{a.prefix}/ocr.json")
    storage.put(f"{b.prefix}/stray.txt", b"not in the manifest")

    report = verify(cfg, storage=storage)
    assert not report.ok
    assert {(p.kind, p.key) for p in report.problems} == {
        (ALTERED, original), (MISSING, f"{a.prefix}/ocr.json"), (UNEXPECTED, f"{b.prefix}/stray.txt")}
    altered = report.altered[0]
    assert altered.ref_no == a.ref_no and altered.expected_sha256 != altered.actual_sha256

    only_b = verify(cfg, "五里堡社区", storage=storage)  # one community by name
    assert only_b.volumes == 1 and [p.kind for p in only_b.problems] == [UNEXPECTED]
    with session_scope(cfg) as s:
        rows = s.scalars(select(AuditRow).where(AuditRow.action == "verify")).all()
        assert [r.detail["missing"] for r in rows] == [0, 1, 0]
