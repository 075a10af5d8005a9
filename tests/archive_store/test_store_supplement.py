"""One person, one 档号: a second volume for a person already filed is refused (no number taken),
unless it is the re-publish of a 退回 volume or 补充材料 — a volume of its own, 卷号 2, 3, …"""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy import select

from archive_store.catalog import export_xlsx, volume_catalog
from archive_store.cli import publish_command
from archive_store.publish import publish_volume, reserve, void_pending
from archive_store.search import search
from archive_store.supplements import SecondVolumeRefused
from archive_store.tables import PENDING, AuditRow, SupplementRow, VolumeRow
from archive_store.volume_source import read_volume
from archive_store.withdraw import withdraw_volume
from handover.db import init_db, session_scope
from handover.errors import EXIT_CONFLICT, Conflict
from handover.idnumber import mask
from handover.policy import load_profile
from tests.support.sample_volume import write_sample_volume

from .helpers import ERQI, JINSHUI

PROFILE = "henan-zhengzhou"


def publish(cfg, vol_dir, destination=JINSHUI, **kw):
    return publish_volume(cfg, vol_dir, destination, PROFILE, "入库员", **kw)


def test_a_second_volume_for_a_filed_person_is_refused_and_takes_no_number(cfg, make_volume, tmp_path):
    vol_a, person = make_volume("张建国")
    a = publish(cfg, vol_a)
    second = write_sample_volume(tmp_path / "again", person, seed=77, materials=2)
    for destination in (JINSHUI, ERQI):  # the same community, or any other: one person, one file
        with pytest.raises(SecondVolumeRefused) as refused:
            publish(cfg, second, destination)
        message = str(refused.value)
        assert isinstance(refused.value, Conflict) and refused.value.http_status == 409
        assert a.ref_no in message and mask(person.id_number) in message and person.id_number not in message
        assert "补充材料" in message and "退回" in message  # how to go on
    # No number was consumed: the next person gets the very next 案卷号.
    vol_b, _ = make_volume("王淑芬")
    b = publish(cfg, vol_b)
    assert b.volume_no == a.volume_no + 1
    with session_scope(cfg) as s:
        assert s.scalar(select(VolumeRow.id).where(VolumeRow.community_id != a.community_id)) is None
        assert [v.ref_no for v in s.scalars(select(VolumeRow).where(VolumeRow.id_number == person.id_number))] \
            == [a.ref_no]
        refusals = list(s.scalars(select(AuditRow).where(AuditRow.action == "publish_refused")))
        assert len(refusals) == 2 and refusals[0].actor == "入库员" and a.ref_no in refusals[0].reason
        assert all(person.id_number not in r.target + r.reason for r in refusals)
    cli = CliRunner().invoke(publish_command, [str(second), "--county", "金水区", "--street", "经八路街道",
                                               "--community", "纬五路社区", "--profile", PROFILE])
    assert cli.exit_code == EXIT_CONFLICT and a.ref_no in cli.output and "--supplement" in cli.output


def test_the_same_publish_run_twice_stays_a_no_op(cfg, make_volume):
    vol_a, _ = make_volume("赵国强")
    a = publish(cfg, vol_a)
    again = publish(cfg, vol_a)
    assert not again.created and (again.volume_id, again.ref_no) == (a.volume_id, a.ref_no)
    supplement_flag = publish(cfg, vol_a, supplement=True)  # the flag does not turn a re-run into a new volume
    assert not supplement_flag.created and supplement_flag.ref_no == a.ref_no


def test_a_pending_publish_of_the_person_keeps_a_second_publisher_out(cfg, make_volume, tmp_path):
    vol_a, person = make_volume("钱立新")
    first = reserve(init_db(cfg), read_volume(vol_a), JINSHUI, PROFILE, load_profile(PROFILE).numbering, "甲")
    other = write_sample_volume(tmp_path / "other", person, seed=78)
    with pytest.raises(SecondVolumeRefused, match="正在入库") as refused:
        publish(cfg, other)
    assert first.ref_no in str(refused.value)
    with session_scope(cfg) as s:
        assert [v.status for v in s.scalars(select(VolumeRow))] == [PENDING]
    assert publish(cfg, vol_a).ref_no == first.ref_no  # the first publisher finishes


def test_requeue_after_withdraw_reuses_the_number_and_the_person_stays_one_file(cfg, make_volume, tmp_path):
    vol_a, person = make_volume("孙丽华")
    a = publish(cfg, vol_a)
    with session_scope(cfg) as s:
        withdraw_volume(s, a.ref_no, "李档案", "缺少退休审批表")
    fixed = write_sample_volume(tmp_path / "fixed", person, seed=79, materials=4)
    again = publish(cfg, fixed)
    assert again.created and (again.volume_id, again.ref_no) == (a.volume_id, a.ref_no)
    with pytest.raises(SecondVolumeRefused):
        publish(cfg, write_sample_volume(tmp_path / "third", person, seed=80))


def test_a_supplement_is_the_persons_next_volume_in_catalogs_ledger_and_search(cfg, make_volume, tmp_path):
    vol_a, person = make_volume("周建华")
    a = publish(cfg, vol_a)
    vol_b, _ = make_volume("吴秀英")
    b = publish(cfg, vol_b)
    extra = write_sample_volume(tmp_path / "extra", person, seed=81, materials=2)
    sup = publish(cfg, extra, supplement=True)
    # The community's next 档号, tied to the person as 卷号 2.
    assert sup.created and sup.part_no == 2 and sup.volume_no == b.volume_no + 1
    assert sup.ref_no == "J410-TX·410105001001-0003" and a.part_no == 1
    assert publish(cfg, extra, supplement=True).ref_no == sup.ref_no  # idempotent too
    third = publish(cfg, write_sample_volume(tmp_path / "extra2", person, seed=82, materials=1), supplement=True)
    assert third.part_no == 3
    with session_scope(cfg) as s:
        records = volume_catalog(s, a.community_id)
        assert [r.ref_no for r in records] == [a.ref_no, b.ref_no, sup.ref_no, third.ref_no]  # 案卷号 order
        by_ref = {r.ref_no: r for r in records}
        assert by_ref[sup.ref_no].title == "周建华人事档案（补充材料 第2卷）" and by_ref[sup.ref_no].part_no == 2
        assert f"第1卷档号{a.ref_no}" in by_ref[sup.ref_no].remarks
        assert "共3卷" in by_ref[a.ref_no].remarks and sup.ref_no in by_ref[a.ref_no].remarks
        assert {h.ref_no for h in search(s, "周建华", None)} == {a.ref_no, sup.ref_no, third.ref_no}
        assert {h.ref_no for h in search(s, person.id_number[-6:], [a.community_id])} \
            == {a.ref_no, sup.ref_no, third.ref_no}
        out = export_xlsx(s, a.community_id, tmp_path / "目录.xlsx", actor="导出员")
    ledger = load_workbook(out)["台账"]
    header = [c.value for c in ledger[2]]
    rows = [dict(zip(header, (c.value for c in row))) for row in ledger.iter_rows(min_row=3)]
    # The 台账 is a register of people: the person's volumes together, under the first.
    assert [(r["档号"], r["卷号"], r["姓名"]) for r in rows] == [
        (a.ref_no, 1, "周建华"), (sup.ref_no, 2, "周建华"), (third.ref_no, 3, "周建华"), (b.ref_no, 1, "吴秀英")]
    catalog = load_workbook(out)["案卷目录"]
    assert [row[1].value for row in catalog.iter_rows(min_row=3)] == [a.ref_no, b.ref_no, sup.ref_no, third.ref_no]


def test_a_supplement_needs_a_filed_first_volume_in_the_same_community(cfg, make_volume, tmp_path):
    vol_a, person = make_volume("郑春来")
    with pytest.raises(SecondVolumeRefused, match="没有可补充"):
        publish(cfg, vol_a, supplement=True)
    a = publish(cfg, vol_a)
    assert a.volume_no == 1  # the refusal took no number
    with pytest.raises(SecondVolumeRefused, match="第1卷所在的社区") as refused:
        publish(cfg, write_sample_volume(tmp_path / "elsewhere", person, seed=83), ERQI, supplement=True)
    assert a.ref_no in str(refused.value)


def test_a_withdrawn_supplement_comes_back_under_its_own_number(cfg, make_volume, tmp_path):
    vol_a, person = make_volume("冯玉兰")
    a = publish(cfg, vol_a)
    sup = publish(cfg, write_sample_volume(tmp_path / "s1", person, seed=84), supplement=True)
    with session_scope(cfg) as s:
        withdraw_volume(s, sup.ref_no, "李档案", "补充材料页序有误")
    fixed = write_sample_volume(tmp_path / "s2", person, seed=85)
    with pytest.raises(SecondVolumeRefused):  # a plain publish never takes the supplement's place
        publish(cfg, fixed)
    again = publish(cfg, fixed, supplement=True)
    assert (again.volume_id, again.ref_no, again.part_no) == (sup.volume_id, sup.ref_no, 2)
    with session_scope(cfg) as s:
        assert s.get(VolumeRow, a.volume_id).status == "published"


def test_a_void_supplement_reservation_frees_its_volume_number(cfg, make_volume, tmp_path):
    vol_a, person = make_volume("陈志刚")
    a = publish(cfg, vol_a)
    src = read_volume(write_sample_volume(tmp_path / "s1", person, seed=86))
    pending = reserve(init_db(cfg), src, JINSHUI, PROFILE, load_profile(PROFILE).numbering, "甲", supplement=True)
    assert pending.part_no == 2
    void_pending(cfg, pending.ref_no, "甲", "扫描件有误，放弃")
    later = publish(cfg, write_sample_volume(tmp_path / "s2", person, seed=87), supplement=True)
    assert later.part_no == 2 and later.ref_no != pending.ref_no  # the void 档号 is never reissued
    with session_scope(cfg) as s:
        assert s.scalar(select(SupplementRow.first_volume_id).where(SupplementRow.volume_id == later.volume_id)) \
            == a.volume_id
