"""Old temporary files of the front end are removed; work in progress and held-back intakes stay."""

from __future__ import annotations

import os
import time

from fastapi.testclient import TestClient
from sqlalchemy.orm import sessionmaker

from handover.db import init_db, session_scope
from web.cleanup import sweep
from web.tables import BundleRow, IntakeRow, UserRow
from workers.tables import BatchRow, DossierRow

DAY = 24 * 3600


def item(root, kind: str, name: str, age_days: float, folder: bool = True):
    path = root / kind / name
    if folder:
        path.mkdir(parents=True)
        (path / "f.bin").write_bytes(b"x")
        targets = [path / "f.bin", path]
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"PK")
        targets = [path]
    stamp = time.time() - age_days * DAY
    for t in targets:
        os.utime(t, (stamp, stamp))
    return path


def test_sweep_removes_old_unused_items_only(seed):
    web = seed.root / "web"
    with session_scope(seed.cfg) as s:
        uid = s.query(UserRow.id).filter_by(username="archivist").scalar()
        batch = BatchRow(name="b", source_dir="/x")
        s.add(batch)
        s.flush()
        s.add(DossierRow(batch_id=batch.id, entry="e", id_number="", source_path="/x/e", source_sha256="0" * 64,
                         stage="quarantined"))
        ent = s.query(UserRow.enterprise_id).filter_by(username="ent_a").scalar()
        s.add_all([IntakeRow(token="a" * 32, user_id=uid, id_number="", status="running"),
                   IntakeRow(token="b" * 32, user_id=uid, id_number="", status="done"),
                   IntakeRow(token="c" * 32, user_id=uid, id_number="", status="done", batch_id=batch.id),
                   BundleRow(token="d" * 32, enterprise_id=ent, user_id=uid, status="running"),
                   BundleRow(token="e" * 32, enterprise_id=ent, user_id=uid, status="done")])
    running = item(web, "intake", "a" * 32, 10)
    finished = item(web, "intake", "b" * 32, 10)
    held = item(web, "intake", "c" * 32, 10)
    stray_zip = item(web, "intake", "f" * 32 + ".zip", 10, folder=False)
    fresh = item(web, "intake", "0" * 32, 0.5)
    generating = item(web, "bundles", "d" * 32, 10)
    bundle = item(web, "bundles", "e" * 32, 10)
    upload = item(web, "uploads", "1" * 32, 4)
    recent_upload = item(web, "uploads", "2" * 32, 1)
    (recent_upload / "f.bin").write_bytes(b"touched now")  # the newest file decides

    make = sessionmaker(init_db(seed.cfg))
    assert sweep(web, make, 0) == []  # 0 = never
    removed = sweep(web, make, 72)
    assert sorted(removed) == sorted([finished, stray_zip, bundle, upload])
    for path in (running, held, fresh, generating, recent_upload):
        assert path.exists(), path
    for path in removed:
        assert not path.exists()


def test_the_server_sweeps_at_start_up(seed):
    from web.app import create_app

    old = item(seed.root / "web", "uploads", "3" * 32, 30)
    with TestClient(create_app(seed.cfg)):  # the lifespan starts the sweeper
        deadline = time.monotonic() + 10
        while old.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
    assert not old.exists()
