"""案卷目录/台账 records and XLSX, 查阅/外借 requests with approval, and the audit trail."""

from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from archive_store import access, audit
from archive_store.catalog import LEDGER_COLUMNS, export_xlsx, volume_catalog
from archive_store.communities import CommunityNotFound, resolve
from archive_store.publish import publish_volume
from archive_store.read_rule import COMMUNITY, Reader, Verdict, read_verdict
from archive_store.tables import AuditRow, VolumeRow
from handover import clock
from handover.db import session_scope
from handover.idnumber import mask

from .helpers import ERQI, JINSHUI


@pytest.fixture
def published(cfg, make_volume):
    out = []
    for name, dest in (("张建国", JINSHUI), ("李秀兰", JINSHUI), ("王德华", ERQI)):
        vol_dir, person = make_volume(name)
        out.append((publish_volume(cfg, vol_dir, dest, "henan-zhengzhou", "入库员"), person))
    return out


def test_volume_catalog_records(cfg, published):
    (a, pa), (b, _), _ = published
    with session_scope(cfg) as s:
        records = volume_catalog(s, a.community_id)
    assert [r.volume_no for r in records] == [1, 2]
    first = records[0]
    assert (first.ref_no, first.name, first.id_number) == (a.ref_no, "张建国", pa.id_number)
    assert first.title == "张建国人事档案" and first.community == "金水区经八路街道纬五路社区"
    assert first.sex == "男" and first.birth_date == pa.birth
    assert first.materials == 3 and first.pages > 0 and first.retention == "永久"
    with session_scope(cfg) as s:
        published_at = s.get(VolumeRow, a.volume_id).published_at  # stored in UTC
    # 接收日期 is the day in the office's zone (Beijing): after 16:00 UTC that is already tomorrow.
    assert first.date_from <= first.date_to and first.received_on == clock.local(published_at).date()
    assert first.received_on == (published_at + dt.timedelta(hours=8)).date()
    assert first.location == a.prefix and "空白页" in first.remarks


def test_xlsx_export_has_catalog_and_ledger(cfg, published, tmp_path):
    (a, pa), _, _ = published
    out = tmp_path / "out" / "目录.xlsx"
    with session_scope(cfg) as s:
        export_xlsx(s, a.community_id, out, actor="导出员")
    wb = load_workbook(out)
    assert wb.sheetnames == ["案卷目录", "台账"]
    ledger = wb["台账"]
    assert [c.value for c in ledger[2]] == [h for h, _ in LEDGER_COLUMNS]
    rows = [[c.value for c in row] for row in ledger.iter_rows(min_row=3)]
    id_col = [c.value for c in ledger[2]].index("公民身份号码")
    assert len(rows) == 2 and rows[0][0] == a.ref_no and rows[0][id_col] == pa.id_number  # text, whole
    assert isinstance(rows[0][id_col], str)
    catalog = wb["案卷目录"]
    assert catalog["A1"].value.startswith("金水区经八路街道纬五路社区")
    assert [c.value for c in catalog[3]][:3] == [1, a.ref_no, "张建国人事档案"]
    with session_scope(cfg) as s:
        row = s.scalar(select(AuditRow).where(AuditRow.action == "export_catalog"))
        assert row.actor == "导出员" and row.detail["volumes"] == 2


def test_access_requests_need_approval_and_are_audited(cfg, published):
    (a, _), _, _ = published
    reader = Reader("查阅人", COMMUNITY, a.community_id)
    with session_scope(cfg) as s:
        vol = s.get(VolumeRow, a.volume_id)
        with pytest.raises(access.AccessError, match="事由"):
            access.request_access(s, a.ref_no, "view", "查阅人", "  ")
        with pytest.raises(access.AccessError, match="归还日期"):
            access.request_access(s, a.ref_no, "loan", "查阅人", "办理待遇")
        req = access.request_access(s, a.ref_no, "view", "查阅人", "核对工龄", organisation="社保中心")
        assert read_verdict(s, reader, vol) is Verdict.NEEDS_REQUEST  # pending is not enough
        with pytest.raises(access.AccessError, match="自己"):
            access.approve(s, req.id, "查阅人")
        access.approve(s, req.id, "科长", "同意")
        assert read_verdict(s, reader, vol) is Verdict.READ
        assert read_verdict(s, Reader("旁人", COMMUNITY, a.community_id), vol) is Verdict.NEEDS_REQUEST
        access.close(s, req.id, "档案员", "查阅完毕")
        with pytest.raises(access.AccessError, match="已办结"):
            access.approve(s, req.id, "科长")
        assert read_verdict(s, reader, vol) is Verdict.NEEDS_REQUEST  # closed: read again on a new request
        loan = access.request_access(s, a.ref_no, "loan", "借阅人", "复印", due_on=clock.today() + dt.timedelta(days=30))
        access.reject(s, loan.id, "科长", "材料不外借")
        assert loan.status == "rejected" and loan.decided_by == "科长"
        with pytest.raises(LookupError):
            access.get_volume(s, "J410-不存在", "查阅人")
    with session_scope(cfg) as s:
        actions = [r.action for r in s.scalars(select(AuditRow).order_by(AuditRow.id))]
    for action in ("reserve_ref_no", "publish", "read", "request_view", "request_approved",
                   "request_closed", "request_loan", "request_rejected"):
        assert action in actions


def test_a_loan_grants_access_only_until_its_due_date(cfg, published):
    (a, _), _, _ = published
    reader = Reader("借阅人", COMMUNITY, a.community_id)
    today = clock.today()
    with session_scope(cfg) as s:
        vol = s.get(VolumeRow, a.volume_id)
        with pytest.raises(access.AccessError, match="早于今天"):
            access.request_access(s, a.ref_no, "loan", "借阅人", "办理待遇", due_on=dt.date(2001, 1, 1))
        loan = access.request_access(s, a.ref_no, "loan", "借阅人", "办理待遇", due_on=today)
        access.approve(s, loan.id, "科长")
        assert read_verdict(s, reader, vol) is Verdict.READ  # the due date itself still counts
        assert access.overdue_loans(s, today) == []
        # A day later the loan is overdue: it grants nothing and is on the reminder list.
        assert [r.id for r in access.overdue_loans(s, today + dt.timedelta(days=1))] == [loan.id]
        loan.due_on = today - dt.timedelta(days=1)
        s.flush()
        assert read_verdict(s, reader, vol) is Verdict.NEEDS_REQUEST
        assert [r.id for r in access.overdue_loans(s)] == [loan.id]
        access.close(s, loan.id, "档案员", "已归还")
        assert access.overdue_loans(s) == []
        # A request whose due date passed while it waited cannot be approved.
        late = access.request_access(s, a.ref_no, "loan", "借阅人", "复印", due_on=today)
        late.due_on = today - dt.timedelta(days=2)
        with pytest.raises(access.AccessError, match="已过"):
            access.approve(s, late.id, "科长")
        assert access.in_force(None, today) and access.in_force(today, today)
        assert not access.in_force(today - dt.timedelta(days=1), today)


def test_the_daily_reminder_list_of_overdue_loans(cfg, published):
    """`handover requests overdue`: each loan past its 归还日期 and not returned, days overdue, the
    ID masked; exit 1 while any is overdue (a cron job's signal), 0 and a plain line when none."""
    import json

    from click.testing import CliRunner

    from archive_store.cli import requests_command

    (a, person), _, _ = published
    today = clock.today()
    with session_scope(cfg) as s:
        loan = access.request_access(s, a.ref_no, "loan", "借阅人", "办理待遇", due_on=today)
        access.approve(s, loan.id, "科长")
        loan_id = loan.id
    runner = CliRunner()
    on_time = runner.invoke(requests_command, ["overdue"])
    assert on_time.exit_code == 0 and "没有逾期未还的外借" in on_time.output
    later = (today + dt.timedelta(days=3)).isoformat()
    late = runner.invoke(requests_command, ["overdue", "--date", later, "--json"])
    assert late.exit_code == 1, late.output
    [row] = json.loads(late.output)["overdue"]
    assert (row["request"], row["ref_no"], row["days_overdue"]) == (loan_id, a.ref_no, 3)
    assert "*" in row["id_number"] and person.id_number not in late.output
    table = runner.invoke(requests_command, ["overdue", "--date", later])
    assert table.exit_code == 1 and a.ref_no in table.output and "逾期未还的外借" in table.output
    with session_scope(cfg) as s:
        access.close(s, loan_id, "档案员", "已归还")
    assert runner.invoke(requests_command, ["overdue", "--date", later]).exit_code == 0


def test_audit_record_masks_id_numbers():
    from handover.idnumber import make

    number = make("410105", dt.date(1950, 1, 1), 11)
    assert audit.redact(f"查询 {number} 的档案") == f"查询 410105********{number[-4:]} 的档案"
    assert audit.redact("档号 J410-TX·410105001001-0001") == "档号 J410-TX·410105001001-0001"


def test_an_id_number_typed_into_a_reason_is_stored_masked(cfg):
    from handover.idnumber import make

    number = make("410105", dt.date(1950, 1, 1), 11)
    with session_scope(cfg) as s:
        row = audit.record(s, "社工", "request_view", "J410-1", f"核实{number}的出生日期\x07", note=number)
    assert row.reason == f"核实410105********{number[-4:]}的出生日期\\x07" and row.detail["note"] == mask(number)


def test_resolve_community(cfg, published):
    (a, _), _, (c, _) = published
    with session_scope(cfg) as s:
        assert resolve(s, a.community_id).id == a.community_id
        assert resolve(s, "纬五路社区").id == a.community_id
        assert resolve(s, "410105001001").id == a.community_id
        assert resolve(s, "二七区/五里堡街道/五里堡社区").id == c.community_id
        with pytest.raises(CommunityNotFound, match="未找到"):
            resolve(s, "不存在社区")


def test_roster_link_gives_enterprise_for_catalog_and_filter(cfg, make_volume):
    from handover.db import EnterpriseRow, ImportRow, RetireeRow
    from archive_store.search import search

    vol_dir, person = make_volume("陈桂英", employer="郑州第一纺织厂")
    with session_scope(cfg) as s:
        ent = EnterpriseRow(name="郑州第一纺织厂", uscc="91410105MA0000000X", region="henan-zhengzhou",
                            location={})
        s.add(ent)
        s.flush()
        imp = ImportRow(enterprise_id=ent.id, file_name="花名册.xlsx", sha256="0" * 64, rows_total=1,
                        rows_imported=1, problems=0)
        s.add(imp)
        s.flush()
        s.add(RetireeRow(enterprise_id=ent.id, import_id=imp.id, source_row=2, id_number=person.id_number,
                         name="陈桂英", sex="女", birth_date=person.birth, retired_on=dt.date(2005, 1, 1),
                         party_member=False, data={}))
    result = publish_volume(cfg, vol_dir, JINSHUI, "henan-zhengzhou", "入库员")
    other_dir, _ = make_volume("周建华")
    publish_volume(cfg, other_dir, JINSHUI, "henan-zhengzhou", "入库员")
    with session_scope(cfg) as s:
        records = volume_catalog(s, result.community_id)
        assert [(r.name, r.former_employer) for r in records] == [("陈桂英", "郑州第一纺织厂"), ("周建华", "")]
        assert {h.name for h in search(s, "纺织厂", None, limit=100)} == {"陈桂英", "周建华"}  # OCR text
        filtered = search(s, "纺织厂", None, enterprise="第一纺织", limit=100)
        assert filtered and {h.name for h in filtered} == {"陈桂英"}
