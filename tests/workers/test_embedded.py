"""Embedded mode (no broker): the same steps in-process with a local page pool; intake, manifest,
watch folder, status, requeue, and the other long jobs."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from archive_store.storage import open_storage
from archive_store.tables import PUBLISHED, VolumeRow
from handover import config
from handover.config import settings
from handover.db import RetireeRow, session_scope
from handover.registry import add_enterprise
from handover.roster.writer import write_xlsx
from handover.sample import make_batch as sample_batch
from workers import dossier, jobs, progress
from workers.cli import ingest_command, requeue_command, status_command, withdraw_command, worker_command
from workers.ingest import Watcher, ingest
from workers.manifest import read_manifest
from workers.tables import DossierPageRow, DossierRow

from tests.conftest import use_database
from tests.ocr.test_pdfa import assert_pdfa_2b

from .conftest import PLACE, REGION, write_manifest


@pytest.fixture
def embedded(tmp_path, monkeypatch, database_url):
    monkeypatch.setenv("HANDOVER_DATA_DIR", str(tmp_path / "data"))
    use_database(monkeypatch, database_url)
    monkeypatch.delenv("HANDOVER_BROKER", raising=False)
    monkeypatch.delenv("HANDOVER_STORAGE", raising=False)
    config.settings.cache_clear()
    yield settings()
    config.settings.cache_clear()


def import_sample_roster(tmp_path, people: int = 6, seed: int = 11) -> None:
    """The roster of the people the ``scans`` fixture drew (same region, count and seed)."""
    batch = sample_batch(REGION, people, seed=seed)
    roster = write_xlsx(tmp_path / "roster.xlsx", batch.retirees, batch.enterprise)
    with session_scope() as s:
        add_enterprise(s, batch.enterprise, REGION)
    result = jobs.import_roster(jobs.stage_file(roster), batch.enterprise.name)
    assert result["committed"] and result["rows_imported"] == people


def test_embedded_batch_files_by_roster_and_holds_back_bad_entries(embedded, scans, pdf_scan, tmp_path):
    import_sample_roster(tmp_path)
    good, truncated = scans[0], scans[3]
    pdf_path, pdf_truth = pdf_scan
    batch = tmp_path / "batch"
    batch.mkdir()
    shutil.copytree(good.folder, batch / good.id_number)  # filed where the roster routed it
    shutil.copyfile(pdf_path, batch / f"{pdf_truth['id_number']}.pdf")  # not in the roster: manifest
    shutil.copytree(truncated.folder, batch / truncated.id_number)
    first = sorted((batch / truncated.id_number).iterdir())[0]
    first.write_bytes(first.read_bytes()[:15000])
    shutil.copytree(good.folder, batch / "张三的档案")  # not named by ID number
    (batch / "manifest.csv").write_text(
        "身份证号,姓名,接收区县,接收街道,接收社区,政策配置\n"
        f"{pdf_truth['id_number']},{pdf_truth['name']},{','.join(PLACE)},{REGION}\n", encoding="utf-8")

    result = CliRunner().invoke(ingest_command, [str(batch), "--jobs", "2"])
    assert result.exit_code == 0, result.output
    assert "新排队 3 份" in result.output and "命名不符已隔离 1 份" in result.output

    with session_scope() as s:
        rows = {d.entry: d for d in s.scalars(select(DossierRow))}
        vols = {v.id_number: v for v in s.scalars(select(VolumeRow))}
        retiree = s.scalar(select(RetireeRow).where(RetireeRow.id_number == good.id_number))
        from archive_store.tables import CommunityRow

        community = s.get(CommunityRow, vols[good.id_number].community_id)
        pdf_community = s.get(CommunityRow, vols[pdf_truth["id_number"]].community_id)
    assert set(vols) == {good.id_number, pdf_truth["id_number"]}
    assert all(v.status == PUBLISHED for v in vols.values())
    assert (community.county, community.street, community.name) == \
        (retiree.dest_county, retiree.dest_street, retiree.dest_community)
    assert (pdf_community.county, pdf_community.street, pdf_community.name) == PLACE
    assert rows[good.id_number].name == "" and vols[good.id_number].name == retiree.name
    assert rows[truncated.id_number].stage == "quarantined"
    assert rows[truncated.id_number].quarantine_code == "corrupt"
    assert rows["张三的档案"].quarantine_code == "bad_name"
    assert rows[good.id_number].pages_done == rows[good.id_number].pages_total == good.pages
    # The volume assembled from per-page results is the same kind of file digitize writes: PDF/A-2b.
    stored = tmp_path / "published.pdf"
    open_storage(embedded).get_to(f"{vols[good.id_number].prefix.rstrip('/')}/volume.pdf", stored)
    assert_pdfa_2b(stored)

    status = CliRunner().invoke(status_command, ["--json"])
    data = json.loads(status.output)
    assert data[-1]["published"] == 2 and data[-1]["quarantined"] == 2 and data[-1]["mode"] == "embedded"
    assert good.id_number not in status.output  # masked
    table = CliRunner().invoke(status_command, [str(data[-1]["id"])])
    assert "已入库" in table.output and "已隔离" in table.output
    from workers.status import quarantined

    held = quarantined()
    assert {d["id"] for d in held} == {rows[truncated.id_number].id, rows["张三的档案"].id}
    assert all(d["batch_id"] == data[-1]["id"] and d["quarantine_reason"] for d in held)
    assert truncated.id_number not in str(held)  # masked

    # Requeue: a published dossier is refused; a still-misnamed one says what to do.
    again = CliRunner().invoke(requeue_command, [good.id_number])
    assert again.exit_code == 5 and "已入库" in again.output
    misnamed = CliRunner().invoke(requeue_command, [str(rows["张三的档案"].id)])
    assert misnamed.exit_code == 5 and "重新命名" in misnamed.output

    # Ingesting the same folder again changes nothing.
    repeat = CliRunner().invoke(ingest_command, [str(batch)])
    assert "新排队 0 份" in repeat.output and "已登记未变化 4 份" in repeat.output

    # The other long jobs over what was published.
    assert jobs.verify()["ok"]
    assert jobs.reindex()["volumes"] == 2
    assert jobs.reindex(vols[good.id_number].ref_no)["pages"] >= 1
    from archive_store.search import search

    with session_scope() as s:
        hits = search(s, retiree.name, None)
    assert any(h.ref_no == vols[good.id_number].ref_no for h in hits)

    # 退回 from the terminal: out of search (even after a full reindex), the dossier held for requeue.
    ref = vols[good.id_number].ref_no
    assert CliRunner().invoke(withdraw_command, [ref]).exit_code == 2  # the reason is required
    assert CliRunner().invoke(withdraw_command, ["J000-无此档号", "--reason", "x"]).exit_code == 3
    done = CliRunner().invoke(withdraw_command, [ref, "--reason", "缺少招工审批表"])
    assert done.exit_code == 0, done.output
    assert f"handover requeue {rows[good.id_number].id}" in done.output
    assert progress.get_dossier(rows[good.id_number].id).quarantine_code == "withdrawn"
    assert jobs.reindex()["volumes"] == 1
    with session_scope() as s:
        assert not any(h.ref_no == ref for h in search(s, retiree.name, None))


def ingested_one(scan, tmp_path):
    """One dossier ingested and loaded, not yet OCR'd: (batch report, dossier id, page refs, digest)."""
    batch = tmp_path / "batch"
    batch.mkdir()
    shutil.copytree(scan.folder, batch / scan.id_number)
    write_manifest(batch, [(scan.id_number, scan.name)])
    report = ingest(batch, profile=REGION)
    (dossier_id,) = report.queued
    refs = dossier.prepare(dossier_id)
    return report, dossier_id, refs, progress.get_dossier(dossier_id).source_sha256


def test_page_results_are_reused_and_a_second_finish_does_not_publish_again(embedded, scans, tmp_path):
    s = scans[1]
    _, dossier_id, refs, digest = ingested_one(s, tmp_path)
    assert dossier.prepare(dossier_id) == refs  # loading is done once, then read back
    first = dossier.ocr_page(dossier_id, digest, refs[0]["seq"], refs[0]["sha"], "rapidocr")
    again = dossier.ocr_page(dossier_id, digest, refs[0]["seq"], refs[0]["sha"], "rapidocr")
    assert first["ok"] and again.get("reused")  # keyed by the page's content hash
    with pytest.raises(dossier.PagesPending) as pending:
        dossier.finish(dossier_id, "rapidocr")
    assert pending.value.missing == [r["seq"] for r in refs[1:]]
    for r in refs[1:]:
        dossier.ocr_page(dossier_id, digest, r["seq"], r["sha"], "rapidocr")
    out = dossier.finish(dossier_id, "rapidocr")
    assert out["stage"] == "published" and out["created"]
    assert dossier.finish(dossier_id, "rapidocr")["stage"] == "published"  # a duplicate delivery
    # A page task delivered again after publishing does nothing.
    assert dossier.ocr_page(dossier_id, digest, refs[0]["seq"], refs[0]["sha"], "rapidocr").get("skipped")
    row = progress.get_dossier(dossier_id)
    with session_scope() as db:
        volumes = list(db.scalars(select(VolumeRow).where(VolumeRow.id_number == s.id_number)))
        pages = list(db.scalars(select(DossierPageRow).where(DossierPageRow.dossier_id == dossier_id)))
    assert len(volumes) == 1 and row.publish_created == 1 and row.ref_no == volumes[0].ref_no
    assert [p.runs for p in pages] == [1] * len(refs)  # no page was OCR'd twice


def test_a_dossier_interrupted_by_a_restart_waits_for_requeue_and_resumes(embedded, scans, tmp_path):
    import datetime as dt

    from sqlalchemy import update

    from workers.dispatch import submit
    from workers.requeue import requeue
    from workers.status import batch_status, quarantined, waiting

    report, dossier_id, refs, digest = ingested_one(scans[2], tmp_path)
    dossier.ocr_page(dossier_id, digest, refs[0]["seq"], refs[0]["sha"], "rapidocr")
    assert not waiting(dossier_id)  # recently active: still in the hands of its process
    # The process died (server restart) and nothing has moved for two hours.
    with session_scope() as db:
        db.execute(update(DossierRow).where(DossierRow.id == dossier_id)
                   .values(updated_at=dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) - dt.timedelta(hours=2)))
    (state,) = batch_status(report.batch_id)
    assert state["dossiers"][0]["stalled"] and state["done"]  # no page waits for a dead process
    assert [d["id"] for d in quarantined()] == [dossier_id] and waiting(dossier_id)
    status = CliRunner().invoke(status_command, [str(report.batch_id)])
    assert "已中断" in status.output
    requeue(str(dossier_id))
    assert submit([dossier_id], settings(), 1)[dossier_id]["stage"] == "published"
    with session_scope() as db:
        pages = list(db.scalars(select(DossierPageRow).where(DossierPageRow.dossier_id == dossier_id)
                                .order_by(DossierPageRow.seq)))
    assert pages[0].runs == 1  # the page finished before the restart was not OCR'd again


def test_a_batch_for_a_person_already_filed_is_held_back_and_goes_on_as_a_supplement(embedded, scans, tmp_path):
    from archive_store.publish import publish_volume
    from handover.idnumber import mask
    from handover.models import Destination
    from tests.support.sample_volume import SamplePerson, write_sample_volume

    filed, other = scans[4], scans[5]
    first = publish_volume(None, write_sample_volume(tmp_path / "first", SamplePerson(filed.id_number, filed.name)),
                           Destination(county=PLACE[0], street=PLACE[1], community=PLACE[2]), REGION, "入库员")
    batch = tmp_path / "batch"
    batch.mkdir()
    for scan in (filed, other):
        shutil.copytree(scan.folder, batch / scan.id_number)
    write_manifest(batch, [(filed.id_number, filed.name), (other.id_number, other.name)])

    result = CliRunner().invoke(ingest_command, [str(batch), "--profile", REGION])
    assert result.exit_code == 0, result.output
    with session_scope() as s:
        rows = {d.id_number: d for d in s.scalars(select(DossierRow))}
        volumes = {v.id_number: v for v in s.scalars(select(VolumeRow).where(VolumeRow.status == PUBLISHED))}
    held = rows[filed.id_number]
    assert held.stage == "quarantined" and held.quarantine_code == "second_volume"
    assert first.ref_no in held.quarantine_reason and mask(filed.id_number) in held.quarantine_reason
    assert "补充材料" in held.quarantine_reason and filed.id_number not in held.quarantine_reason
    assert rows[other.id_number].stage == "published"  # the rest of the batch went on
    assert volumes[filed.id_number].ref_no == first.ref_no and len(volumes) == 2
    assert volumes[other.id_number].volume_no == first.volume_no + 1  # the refusal took no number

    # Delivered again as 补充材料: the held dossier goes on (its recognised pages kept) as 卷号 2.
    again = CliRunner().invoke(ingest_command, [str(batch), "--supplement"])
    assert again.exit_code == 0 and "重新排队 1 份" in again.output, again.output
    done = progress.get_dossier(held.id)
    assert done.stage == "published" and done.ref_no not in ("", first.ref_no)
    from archive_store.supplements import part_no

    with session_scope() as s:
        assert part_no(s, done.volume_id) == 2 and part_no(s, first.volume_id) == 1
        pages = list(s.scalars(select(DossierPageRow).where(DossierPageRow.dossier_id == held.id)))
    assert all(p.runs == 1 for p in pages)
    # The publish job's payload carries the choice too.
    extra = write_sample_volume(tmp_path / "extra", SamplePerson(other.id_number, other.name), seed=5)
    place = {"county": PLACE[0], "street": PLACE[1], "community": PLACE[2]}
    assert jobs.publish_volume(str(extra), place, REGION, supplement=True)["part_no"] == 2


def test_manifest_headers_encodings_and_bad_rows(tmp_path):
    path = tmp_path / "清单.csv"
    path.write_bytes(("公民身份号码（必填）, 姓名 ,接收区县,接收街道,接收社区,区划代码,补充材料\n"
                      "11010519491231002X,赵六,金水区,经八路街道,民主路社区,410105001001,是\n"
                      "410105195001020115,钱七,金水区,,,,\n"
                      "123,孙八,,,\n").encode("gb18030"))
    m = read_manifest(path)
    row = m.get("11010519491231002X")
    assert row.name == "赵六" and row.destination["community"] == "民主路社区"
    assert row.destination["code"] == "410105001001"
    assert row.supplement and not m.get("410105195001020115").supplement
    assert len(m.problems) == 2
    assert any("第4行" in p and "公民身份号码无效" in p for p in m.problems)


def test_watcher_picks_up_an_entry_only_after_it_stops_changing(tmp_path):
    batch = tmp_path / "batch"
    folder = batch / "11010519491231002X"
    folder.mkdir(parents=True)
    w = Watcher(batch, settle=10)
    assert w.ready(now=0) == []  # empty folder: the scanner has not written yet
    (folder / "0001.jpg").write_bytes(b"x" * 100)
    assert w.ready(now=1) == []  # first sight
    (folder / "0001.jpg").write_bytes(b"x" * 200)  # still growing
    assert w.ready(now=20) == []
    assert w.ready(now=25) == []  # unchanged, but not for 10 s yet
    assert w.ready(now=31) == [folder]
    assert w.ready(now=60) == []  # taken once


def test_watch_loop_ingests_settled_dossiers(embedded, tmp_path, monkeypatch):
    from workers import watch as watch_module

    batch = tmp_path / "batch"
    batch.mkdir()
    submitted: list[list[int]] = []
    monkeypatch.setattr(watch_module, "submit", lambda ids, *a, **k: submitted.append(list(ids)))
    pdf = batch / "11010519491231002X.pdf"
    steps = iter([lambda: pdf.write_bytes(b"%PDF-1.4 part"), lambda: pdf.write_bytes(b"%PDF-1.4 part two"),
                  lambda: None, lambda: None])

    def fake_sleep(_seconds):
        next(steps, lambda: None)()
    n = watch_module.watch(batch, profile=REGION, settle=0, interval=0, stop=lambda: bool(submitted),
                           sleep=fake_sleep)
    assert n == 1 and len(submitted) == 1
    row = progress.get_dossier(submitted[0][0])
    assert row.entry == pdf.name and row.files[0]["size"] == len(b"%PDF-1.4 part two")


def test_worker_command_needs_a_broker(embedded):
    result = CliRunner().invoke(worker_command, [])
    assert result.exit_code == 4 and "HANDOVER_BROKER" in result.output


def test_status_of_an_unknown_batch(embedded):
    result = CliRunner().invoke(status_command, ["没有这个批次"])
    assert result.exit_code == 3 and "找不到批次" in result.output


def test_celery_app_reliability_settings():
    from handover.config import Settings
    from workers.app import make_app

    app = make_app(Settings(broker="redis://127.0.0.1:1/0"))
    assert app.conf.task_acks_late and app.conf.task_reject_on_worker_lost
    assert app.conf.worker_prefetch_multiplier == 1 and not app.conf.task_always_eager
    assert app.conf.broker_transport_options["visibility_timeout"] > 0
    import workers.tasks as tasks

    assert tasks.ocr_page.soft_time_limit and tasks.ocr_page.time_limit > tasks.ocr_page.soft_time_limit
    from archive_store.storage import StorageUnavailable

    assert StorageUnavailable in tasks.ocr_page.autoretry_for and tasks.ocr_page.retry_backoff
    assert app.conf.task_routes["handover.ocr_page"]["queue"] == "handover.pages"
    assert make_app(Settings()).conf.task_always_eager  # embedded: no broker needed


def test_bundle_job_writes_the_transfer_documents_of_the_imported_roster(embedded, tmp_path):
    import_sample_roster(tmp_path)
    name = sample_batch(REGION, 6, seed=11).enterprise.name
    out = jobs.generate_bundle(name, str(tmp_path / "bundle"), pdf=False)
    assert out["documents"] > 0 and out["transferred"] + out["excluded"] + out["unassigned"] == 6
    assert (tmp_path / "bundle" / "manifest.json").is_file()
    other = sample_batch(REGION, 1, seed=99).enterprise
    with session_scope() as s:
        add_enterprise(s, other, REGION)
    with pytest.raises(LookupError):  # registered, but no roster imported yet
        jobs.generate_bundle(other.name, str(tmp_path / "none"))
