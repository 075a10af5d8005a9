"""Real Redis, real worker processes: a batch across two workers, a worker SIGKILLed mid-dossier,
a corrupt dossier quarantined while the rest complete (and re-queued after the fix)."""

from __future__ import annotations

import shutil
import signal

import pytest
from sqlalchemy import func, select

from archive_store.tables import PUBLISHED, VolumeRow
from archive_store.verify import verify
from workers.page_log import page_log
from workers.progress import reading
from workers.tables import DossierPageRow, DossierRow

from .conftest import make_batch, new_cluster, wait_for

pytestmark = pytest.mark.slow


def published_volumes(cfg) -> list[VolumeRow]:
    with reading(cfg) as s:
        return list(s.scalars(select(VolumeRow).order_by(VolumeRow.id)))


def publish_audits(cfg) -> dict[str, int]:
    from archive_store.audit import AuditFilter, entries

    with reading(cfg) as s:
        out: dict[str, int] = {}
        for e in entries(s, AuditFilter(action="publish")):
            out[e.target] = out.get(e.target, 0) + 1
        return out


def work_objects(cfg) -> list[str]:
    from archive_store.storage import open_storage

    return [o.key for o in open_storage(cfg).list("_workers/")]


def assert_published_once(cluster, numbers: set[str]) -> None:
    vols = published_volumes(cluster.cfg)
    assert {v.id_number for v in vols} == numbers
    assert len(vols) == len(numbers)  # one volume per person, no duplicate
    assert all(v.status == PUBLISHED for v in vols)
    assert len({v.ref_no for v in vols}) == len(vols)
    audits = publish_audits(cluster.cfg)
    assert audits == {v.ref_no: 1 for v in vols}  # exactly one publishing transaction each
    with reading(cluster.cfg) as s:
        rows = {d.id_number: d for d in s.scalars(select(DossierRow)) if d.id_number in numbers}
    assert all(rows[n].publish_created == 1 and rows[n].stage == "published" for n in numbers)
    report = verify(cluster.cfg)
    assert report.ok, report.problems
    assert report.volumes == len(numbers)


@pytest.fixture(scope="module")
def mixed_batch(redis_server, s3_endpoint, scans, tmp_path_factory, cluster_database):
    """Three good dossiers, one with a truncated JPEG, one 'PDF' that is not a PDF; S3 storage and
    two workers: w1 where the database is, w2 as another machine would run it."""
    cluster = new_cluster(redis_server, tmp_path_factory, s3_endpoint, cluster_database())
    try:
        good, truncated, not_pdf = scans[:3], scans[3], scans[4]
        batch = make_batch(cluster.root, good, [truncated], [not_pdf])
        cluster.start("w1")
        # w2 takes the page queue only, with a data folder of its own. On SQLite it only OCRs
        # pages, with no reachable database: Redis and S3 are all it shares with w1. A server
        # database it reaches like w1 (and it finishes dossiers too: workers.app.dossier_queue).
        other = {"HANDOVER_DATA_DIR": str(cluster.root / "other-machine")}
        if not cluster.cfg.database_url:
            other["HANDOVER_DATABASE_URL"] = "sqlite:////nonexistent/none.sqlite3"
        cluster.start("w2", pages_only=True, env=other)
        out = cluster.run("ingest", str(batch), "--profile", "henan-zhengzhou")
        assert "新排队 5 份" in out
        final = cluster.wait_batch_done()
        yield cluster, batch, final, good, truncated, not_pdf
    finally:
        cluster.stop()


def test_batch_on_two_workers_publishes_every_volume_once(mixed_batch):
    cluster, _batch, final, good, _t, _n = mixed_batch
    assert final["mode"] == "distributed"
    assert_published_once(cluster, {s.id_number for s in good})
    by_number = {d["id_number"][-4:]: d for d in final["dossiers"]}
    for s in good:
        d = by_number[s.id_number[-4:]]
        assert (d["pages_done"], d["pages_total"]) == (s.pages, s.pages)
    with reading(cluster.cfg) as s:
        hosts = set(s.scalars(select(DossierPageRow.worker).where(DossierPageRow.status == "done")))
    assert hosts == {"w1@handover-test", "w2@handover-test"}  # pages really fanned out
    assert work_objects(cluster.cfg) and all(  # only the quarantined dossiers keep work objects
        not any(k.startswith(f"_workers/{d.source_sha256}/") for k in work_objects(cluster.cfg))
        for d in _rows(cluster, "published"))


def _rows(cluster, stage: str) -> list[DossierRow]:
    with reading(cluster.cfg) as s:
        return list(s.scalars(select(DossierRow).where(DossierRow.stage == stage)))


def test_corrupt_dossiers_are_quarantined_with_reasons(mixed_batch):
    cluster, _batch, final, good, truncated, not_pdf = mixed_batch
    assert (final["published"], final["quarantined"]) == (len(good), 2)
    held = {d.id_number: d for d in _rows(cluster, "quarantined")}
    assert set(held) == {truncated.id_number, not_pdf.id_number}
    assert held[truncated.id_number].quarantine_code == "corrupt"
    assert "0001.jpg" in held[truncated.id_number].quarantine_reason
    assert "不完整或已损坏" in held[truncated.id_number].quarantine_reason
    assert held[not_pdf.id_number].quarantine_code == "not_pdf"
    assert "不是有效的PDF文件" in held[not_pdf.id_number].quarantine_reason
    out = cluster.run("status", "--json")
    assert "不是有效的PDF文件" in out  # the reason, with the file named …
    assert truncated.id_number not in out and not_pdf.id_number not in out  # … and ID numbers masked


def test_fixed_dossier_is_requeued_and_published(mixed_batch):
    cluster, batch, _final, good, truncated, _n = mixed_batch
    folder = batch / truncated.id_number
    shutil.rmtree(folder)
    shutil.copytree(truncated.folder, folder)  # the scanner's operator re-delivers the file
    out = cluster.run("requeue", truncated.id_number)
    assert "已重新排队" in out

    def published():
        row = next(d for d in _rows(cluster, "published") if d.id_number == truncated.id_number) \
            if any(d.id_number == truncated.id_number for d in _rows(cluster, "published")) else None
        return row
    row = wait_for(published, 240, "the re-queued dossier to be published", interval=1.0)
    assert row.attempts == 2 and row.failures  # the earlier refusal is kept as history
    assert_published_once(cluster, {s.id_number for s in good} | {truncated.id_number})


def test_sigkilled_worker_mid_dossier_loses_and_duplicates_nothing(redis_server, scans, tmp_path_factory, cluster_database):
    cluster = new_cluster(redis_server, tmp_path_factory, database_url=cluster_database())
    try:
        good = scans[:3]
        batch = make_batch(cluster.root, good)
        cluster.start("w1", "w2")
        cluster.run("ingest", str(batch), "--profile", "henan-zhengzhou")

        log = page_log(cluster.cfg)

        def running_page():
            with reading(cluster.cfg) as s:
                dossiers = list(s.scalars(select(DossierRow).where(DossierRow.stage == "ocr")))
            for d in dossiers:
                states = log.states(d.id)
                done = sum(1 for st in states.values() if st["status"] == "done")
                for seq, st in states.items():
                    if st["status"] == "running" and st["worker"] and done < d.pages_total:
                        return d.id, seq, st["worker"]
            return None
        dossier_id, seq, host = wait_for(running_page, 240, "a page being processed", interval=0.2)
        cluster.by_hostname(host).kill(signal.SIGKILL)  # the whole worker: main process and pool

        final = cluster.wait_batch_done(timeout=420)
        assert final["published"] == len(good) and final["quarantined"] == 0
        assert_published_once(cluster, {s.id_number for s in good})
        with reading(cluster.cfg) as s:
            again = s.scalar(select(DossierPageRow).where(DossierPageRow.dossier_id == dossier_id,
                                                          DossierPageRow.seq == seq))
            total_done = s.scalar(select(func.count()).select_from(DossierPageRow)
                                  .where(DossierPageRow.status == "done"))
        assert again.runs >= 2  # the killed page was redelivered and run again elsewhere
        assert again.worker != host
        assert total_done == sum(s.pages for s in good)
        assert work_objects(cluster.cfg) == []
    finally:
        cluster.stop()


def test_a_page_over_its_time_limit_quarantines_the_dossier(redis_server, scans, tmp_path_factory, cluster_database):
    cluster = new_cluster(redis_server, tmp_path_factory, database_url=cluster_database())
    try:
        batch = make_batch(cluster.root, scans[5:6])
        cluster.start("w1", env={"HANDOVER_PAGE_TIME_LIMIT": "1"})  # OCR of a page takes longer
        cluster.run("ingest", str(batch), "--profile", "henan-zhengzhou")
        final = cluster.wait_batch_done()
        (d,) = final["dossiers"]
        assert d["stage"] == "quarantined" and d["quarantine_code"] == "page_failed"
        assert "超过时限" in d["quarantine_reason"]
        assert published_volumes(cluster.cfg) == []
    finally:
        cluster.stop()
