"""Reconciliation of the 档案移交名册表 with the published volumes: the pure function, the catalog
loading, the `handover reconcile` command and the signed receipt kept in the storage."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace

import pytest
from click.testing import CliRunner

from archive_store.reconcile import Declared, Outcome, Received, Statement, reconcile
from archive_store.reconcile_source import load_reconciliation
from archive_store.storage import LocalStorage
from handover import volume_folder as vf
from handover.errors import EXIT_FINDINGS, EXIT_OK
from tests.support.sample_volume import SamplePerson, write_sample_volume

PROFILE = "henan-zhengzhou"


def _declared(id_number: str, pages: int | None, street: str = "建中街", volumes: int = 1) -> Declared:
    return Declared(id_number, f"人{id_number[-2:]}", "二七区", street, "建中社区", volumes, pages)


# ---------------------------------------------------------------- the pure function


def test_a_page_mismatch_shows_per_person_street_and_enterprise():
    rec = reconcile("郑州第一纺织厂", [_declared("01", 40), _declared("02", 20)],
                    [Received("01", "A-1", 38, "complete"), Received("02", "A-2", 20, "complete")])
    first, second = rec.persons
    assert (first.declared_pages, first.received_pages, first.page_difference) == (40, 38, -2)
    assert first.differs and not first.agrees and first.outcome is Outcome.COMPLETE
    assert second.agrees and second.page_difference == 0
    street = rec.streets[0]
    assert (street.totals.declared_pages, street.totals.received_pages, street.totals.page_difference) == (60, 58, -2)
    assert rec.totals.differences == 1 and not rec.agrees
    as_json = rec.as_dict()
    assert as_json["streets"][0]["persons"][0]["page_difference"] == -2
    assert as_json["totals"]["differences"] == 1 and as_json["agrees"] is False


def test_outcomes_not_received_incomplete_and_statement():
    people = [_declared("01", 5), _declared("02", 5), _declared("03", 5, street="淮河路街道")]
    volumes = [Received("02", "B-2", 5, "incomplete", ("基本养老金核定表",)),
               Received("03", "B-3", 5, "incomplete", ("退休审批表",))]
    rec = reconcile("企业", people, volumes, {"03": Statement("03", "说明〔2026〕3号", "李档案")})
    by_id = {p.id_number: p for p in rec.persons}
    assert by_id["01"].outcome is Outcome.NOT_RECEIVED and by_id["01"].page_difference is None
    assert by_id["02"].outcome is Outcome.INCOMPLETE and by_id["02"].missing == ("基本养老金核定表",)
    assert not by_id["02"].agrees
    assert by_id["03"].outcome is Outcome.STATEMENT and by_id["03"].statement_ref == "说明〔2026〕3号"
    assert by_id["03"].agrees  # accepted on the written statement, counts as declared
    assert [s.street for s in rec.streets] == ["建中街", "淮河路街道"]
    t = rec.totals
    assert (t.persons, t.received, t.not_received, t.incomplete, t.statement, t.complete) == (3, 2, 1, 1, 1, 0)
    assert rec.only(["03"]).agrees and rec.only(["03"]).totals.persons == 1


def test_a_statement_does_not_cover_a_complete_volume_and_an_unchecked_one_is_said():
    rec = reconcile("企业", [_declared("01", 3), _declared("02", 3, volumes=2)],
                    [Received("01", "C-1", 3, "complete"), Received("02", "C-2", 3, ""),
                     Received("02", "C-3", 1, "complete")], {"01": Statement("01", "旧说明", "李档案")})
    first, second = rec.persons
    assert first.outcome is Outcome.COMPLETE and first.statement_ref == ""
    assert second.outcome is Outcome.UNCHECKED and second.received_volumes == 2 and second.page_difference == 1
    assert second.ref_nos == ("C-2", "C-3")


# ---------------------------------------------------------------- from the catalog, and the command


@pytest.fixture
def handover_data(cfg, tmp_path):
    """An enterprise whose roster declares 40 pages for its first person, whose published volume
    holds 38; the second person's volume is incomplete, the third's accepted on a statement; the
    others are not received."""
    from archive_store.publish import publish_volume
    from completeness.acceptance import accept_incomplete
    from completeness.check import check_volume
    from handover.db import session_scope
    from handover.policy import load_profile
    from handover.registry import add_enterprise, retirees_of
    from handover.roster.importer import import_roster
    from handover.roster.writer import write_xlsx
    from handover.sample import make_batch

    batch = make_batch(PROFILE, 5, 1, seed=41)
    retirees = list(batch.retirees)
    retirees[0] = retirees[0].model_copy(update={"archive_volumes": 1, "archive_pages": 40})
    roster = write_xlsx(tmp_path / "roster.xlsx", retirees, batch.enterprise)
    with session_scope(cfg) as s:
        add_enterprise(s, batch.enterprise, PROFILE)
    with session_scope(cfg) as s:
        assert import_roster(s, roster, batch.enterprise.name).committed
        people = retirees_of(s, batch.enterprise.name)

    def publish(n: int, check: bool):
        r, a = people[n]
        person = SamplePerson(r.id_number, r.name, "男", r.birth_date, batch.enterprise.name)
        root = write_sample_volume(tmp_path / f"vol{n}", person, seed=n, materials=3,
                                   check="complete" if not check else None)
        report = check_volume(root, None, load_profile(PROFILE), probe_images=False) if check else None
        if n == 0:  # the volume as digitized holds 38 content pages
            vf.write(root, replace(vf.read(root, vf.VOLUME_JSON), content_pages=38))
        publish_volume(cfg, root, a.destination, PROFILE, "入库员")
        return report

    publish(0, check=False)
    incomplete = publish(1, check=True)
    accepted = publish(2, check=True)
    assert incomplete.outcome == "incomplete" and incomplete.missing
    accepted.waived = True  # 校对 settled by archive staff (放弃校对), as acceptance requires
    with session_scope(cfg) as s:
        accept_incomplete(s, accepted, "李档案", "缺失情况说明〔2026〕2号", enterprise=batch.enterprise.name)
    return batch, people, incomplete


def test_the_catalog_reconciliation_and_the_command(cfg, handover_data):
    from handover.db import session_scope
    from handover_app.cli import main

    batch, people, incomplete = handover_data
    with session_scope(cfg) as s:
        rec = load_reconciliation(s, LocalStorage(cfg.objects_dir), batch.enterprise.name)
    by_id = {p.id_number: p for p in rec.persons}
    first = by_id[people[0][0].id_number]
    assert (first.declared_pages, first.received_pages, first.page_difference) == (40, 38, -2)
    assert by_id[people[1][0].id_number].outcome is Outcome.INCOMPLETE
    assert by_id[people[1][0].id_number].missing == tuple(incomplete.missing)
    assert by_id[people[2][0].id_number].outcome is Outcome.STATEMENT
    assert [by_id[r.id_number].outcome for r, _ in people[3:]] == [Outcome.NOT_RECEIVED] * 2
    assert rec.totals.received == 3 and rec.totals.not_received == 2

    runner = CliRunner()
    out = runner.invoke(main, ["reconcile", "--enterprise", batch.enterprise.name, "--json"])
    assert out.exit_code == EXIT_FINDINGS, out.output
    doc = json.loads(out.output)
    row = next(p for s in doc["streets"] for p in s["persons"] if p["id_number"] == people[0][0].id_number)
    assert (row["declared_pages"], row["received_pages"], row["page_difference"]) == (40, 38, -2)
    assert doc["totals"]["not_received"] == 2 and doc["totals"]["statement"] == 1

    table = runner.invoke(main, ["reconcile", "--enterprise", batch.enterprise.name])
    assert table.exit_code == EXIT_FINDINGS
    assert "-2" in table.output and "未接收" in table.output and "已附书面说明" in table.output
    assert people[0][0].id_number not in table.output  # ID numbers masked in the table

    unknown = runner.invoke(main, ["reconcile", "--enterprise", "不存在的企业"])
    assert unknown.exit_code == 3


def test_the_command_exits_0_when_everything_agrees(cfg, handover_data, tmp_path):
    """A street whose one person was received with the declared pages and accepted on a
    statement: no difference, exit 0."""
    from archive_store.tables import VolumeRow
    from handover.db import RetireeRow, session_scope
    from handover_app.cli import main

    batch, people, _ = handover_data
    keep = people[2][0]
    with session_scope(cfg) as s:
        row = s.query(RetireeRow).filter_by(id_number=keep.id_number).one()
        pages = s.query(VolumeRow).filter_by(id_number=keep.id_number).one().content_pages
        row.dest_street = "大学路街道"
        row.data = {**row.data, "archive_pages": pages}
    out = CliRunner().invoke(main, ["reconcile", "--enterprise", batch.enterprise.name, "--street", "大学路街道"])
    assert out.exit_code == EXIT_OK, out.output
    assert "核对无误" in out.output and keep.name in out.output


# ---------------------------------------------------------------- the signed receipt


def test_receipt_round_trip_in_the_storage(cfg, handover_data, tmp_path):
    from archive_store.receipts import ReceiptError, ReceiptStorageError, latest_receipts, read_receipt, store_receipt
    from archive_store.tables import AuditRow
    from handover.db import session_scope
    from handover.registry import enterprise_row

    batch, people, _ = handover_data
    dest = people[0][1].destination
    scan = tmp_path / "名册表.pdf"
    scan.write_bytes(b"%PDF-1.4\n" + bytes(range(256)) * 40)
    storage = LocalStorage(cfg.objects_dir)
    with session_scope(cfg) as s:
        ent = enterprise_row(s, batch.enterprise.name)
        row = store_receipt(s, storage, ent, dest.county, dest.street, scan, scan.name, "李档案",
                            now=dt.datetime(2026, 12, 1, 9, 30))
        assert row.key.startswith(f"{dest.county}/{dest.street}/接收手续/")  # beside the street's volumes
        assert read_receipt(storage, row) == scan.read_bytes()
        assert s.query(AuditRow).filter_by(action="upload_receipt").count() == 1
        with pytest.raises(ReceiptError):
            store_receipt(s, storage, ent, dest.county, "没有这个街道", scan, scan.name, "李档案")
        renamed = tmp_path / "伪装.pdf"
        renamed.write_bytes(b"PK\x03\x04 not a pdf")
        with pytest.raises(ReceiptError):
            store_receipt(s, storage, ent, dest.county, dest.street, renamed, renamed.name, "李档案")
        rec = load_reconciliation(s, storage, ent)
        street = next(x for x in rec.streets if x.street == dest.street)
        assert street.receipt is not None and street.receipt.uploaded_by == "李档案"
        assert latest_receipts(s, ent.id)[(dest.county, dest.street)].id == row.id
        (cfg.objects_dir / row.key).write_bytes(b"%PDF-1.4 altered")
        with pytest.raises(ReceiptStorageError):
            read_receipt(storage, row)
