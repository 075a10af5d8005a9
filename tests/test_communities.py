"""The community registry: a community not in the gazetteer holds the people routed to it until an
admin confirms it; a near miss is suggested; a rejected one is an error in a roster."""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy import select

from handover.communities import CONFIRMED, REJECTED, CommunityRefused, Registry, decide, pending
from handover.db import CommunityDecisionRow, RetireeRow, session_scope
from handover.models import Address, Destination, Enterprise, Retiree
from handover.policy import load_profile
from handover.registry import RegistryError, add_enterprise, retirees_of, set_override
from handover.roster import problems as P
from handover.roster.importer import import_roster
from handover.routing import route
from handover.sample import make_batch
from tests.roster_files import write_xlsx

REGION = "henan-zhengzhou"
TYPO = Destination(county="二七区", street="建中街街道", community="建中社区")  # the gazetteer has 建中街社区


def roster(tmp_path, chosen: dict[int, Destination], seed: int = 41, n: int = 6):
    """A sample roster whose retirees at the given positions chose the given destinations."""
    b = make_batch(REGION, n, seed=seed)
    for i, dest in chosen.items():
        b.retirees[i] = b.retirees[i].model_copy(update={"chosen_destination": dest})
    with session_scope() as s:
        add_enterprise(s, b.enterprise, REGION)
    return b, write_xlsx(tmp_path / f"名册{seed}.xlsx", b.retirees, b.enterprise)


def _roster_changed_at(batch):
    from handover.db import EnterpriseRow

    with session_scope() as s:
        return s.scalar(select(EnterpriseRow.roster_changed_at).where(EnterpriseRow.name == batch.enterprise.name))


def people(batch) -> dict[str, object]:
    with session_scope() as s:
        return {r.name: a for r, a in retirees_of(s, batch.enterprise.name)}


def test_an_unknown_community_in_a_roster_row_is_flagged_and_held(data_dir, tmp_path):
    b, path = roster(tmp_path, {2: TYPO})
    with session_scope() as s:
        report = import_roster(s, path, b.enterprise.name)
    assert report.committed and report.rows_imported == 6  # held, not refused
    [finding] = [p for p in report.problems if p.code == P.COMMUNITY_UNREGISTERED]
    assert finding.row == 6 and finding.column.startswith("确认移交社区(") and not finding.is_error
    assert finding.message == ("“建中社区”不在二七区建中街街道的社区名录中，需管理员确认后方可移交；"
                               "是否为“建中街社区”？")
    held = people(b)[b.retirees[2].name]
    assert held.destination is None and held.excluded is None and "社区待确认" in held.rule
    assert all(a.destination is not None for n, a in people(b).items() if n != b.retirees[2].name)
    with session_scope() as s:
        [waiting] = pending(s)
    assert (waiting.county, waiting.street, waiting.name) == ("二七区", "建中街街道", "建中社区")
    assert [(r.file_name, r.row, r.name) for r in waiting.rows] == [(path.name, 6, b.retirees[2].name)]


def test_after_an_admin_confirms_the_community_the_held_rows_go_through(data_dir, tmp_path):
    new = Destination(county="二七区", street="建中街街道", community="康复前街社区")
    b, path = roster(tmp_path, {1: new, 4: new})
    with session_scope() as s:
        import_roster(s, path, b.enterprise.name)
    imported = _roster_changed_at(b)
    with session_scope() as s:
        decision = decide(s, "二七区", "建中街街道", "康复前街社区", CONFIRMED, "管理员甲", code="410103002009")
    assert decision.released == 2
    assert _roster_changed_at(b) > imported  # its people were routed: an earlier bundle is out of date
    for i in (1, 4):
        a = people(b)[b.retirees[i].name]
        assert a.destination == new.model_copy(update={"code": "410103002009"}) and a.rule == "确认的移交地"
    with session_scope() as s:
        assert pending(s) == []
        row = s.scalar(select(CommunityDecisionRow))
        assert (row.status, row.decided_by, row.code) == (CONFIRMED, "管理员甲", "410103002009")
        assert row.decided_at is not None
    # a later roster naming it is clean
    b2, path2 = roster(tmp_path, {0: new}, seed=42)
    with session_scope() as s:
        report = import_roster(s, path2, b2.enterprise.name)
    assert report.committed and not [p for p in report.problems if p.code.startswith("community")]
    assert people(b2)[b2.retirees[0].name].destination.community == "康复前街社区"


def test_a_rejected_community_is_an_error_and_its_held_rows_wait_for_a_person(data_dir, tmp_path):
    b, path = roster(tmp_path, {3: TYPO})
    with session_scope() as s:
        import_roster(s, path, b.enterprise.name)
    imported = _roster_changed_at(b)
    with session_scope() as s:
        assert decide(s, *TYPO.model_dump(exclude={"code"}).values(), REJECTED, "管理员甲",
                      reason="应为建中街社区").released == 1
    assert _roster_changed_at(b) > imported
    a = people(b)[b.retirees[3].name]
    assert a.destination is None and "驳回" in a.rule
    b2, path2 = roster(tmp_path, {0: TYPO}, seed=43)
    with session_scope() as s:
        report = import_roster(s, path2, b2.enterprise.name)
    assert not report.committed
    [error] = report.errors
    assert error.code == P.COMMUNITY_REJECTED and error.row == 4 and "已被管理员驳回" in error.message
    assert "应为建中街社区" in error.message and "是否为“建中街社区”" in error.message
    with session_scope() as s:
        assert pending(s) == []
    with session_scope() as s:  # the admin changes their mind: the person left waiting is routed
        assert decide(s, "二七区", "建中街街道", "建中社区", CONFIRMED, "管理员甲").released == 1
    assert people(b)[b.retirees[3].name].destination.community == "建中社区"


def test_re_importing_a_corrected_roster_releases_the_hold(data_dir, tmp_path):
    b, path = roster(tmp_path, {2: TYPO})
    with session_scope() as s:
        import_roster(s, path, b.enterprise.name)
    wb = load_workbook(path)
    ws = wb.active
    column = next(c.column for c in ws[3] if c.value == "确认移交社区")
    ws.cell(row=6, column=column).value = "建中街社区"
    wb.save(path)
    with session_scope() as s:
        assert import_roster(s, path, b.enterprise.name).committed
        assert pending(s) == []
    assert people(b)[b.retirees[2].name].destination.community == "建中街社区"


def test_an_address_the_routing_chose_is_checked_too(data_dir, tmp_path):
    home = Address(province="河南省", city="郑州市", county="金水区", street="经八路街道", community="经八路东社区")
    r = Retiree(name="张三", sex="男", birth_date=dt.date(1950, 1, 1), id_number="11010519500101001X",
                retired_on=dt.date(2010, 2, 1), residence=home, hukou=Address())
    ent = Enterprise(name="测试企业", uscc="91350100M000100Y43",
                     location=Address(province="河南省", county="金水区", street="经八路街道", community="纬五路社区"))
    a = route(r, ent, load_profile(REGION))
    assert a.destination is None and a.source == "residence"
    assert a.held == Destination(county="金水区", street="经八路街道", community="经八路东社区")
    confirmed = Registry(confirmed={("金水区", "经八路街道", "经八路东社区"): ""})
    assert route(r, ent, load_profile(REGION), confirmed).destination.community == "经八路东社区"


def test_near_misses_are_suggested():
    registry = Registry()
    assert registry.suggestions("二七区", "建中街街道", "建中社区") == ["建中街社区"]  # a character dropped
    assert registry.suggestions("金水区", "经八路街道", "纬四路社区") == ["纬五路社区"]  # one replaced
    assert registry.suggestions("二七区", "建中街道", "长江路社区") == ["建中街街道长江路社区"]  # the street
    assert registry.suggestions("二七区", "建中街街道", "人民公园社区") == []
    assert "是否为" not in registry.finding("二七区", "建中街街道", "人民公园社区")


def test_decisions_refuse_gazetteer_communities_and_bad_codes(data_dir):
    with session_scope() as s:
        with pytest.raises(CommunityRefused, match="已在社区名录中"):
            decide(s, "二七区", "建中街街道", "建中街社区", CONFIRMED, "甲")
        with pytest.raises(CommunityRefused, match="12位数字"):
            decide(s, "二七区", "建中街街道", "新社区", CONFIRMED, "甲", code="4101")


def test_a_manual_destination_must_be_registered_and_releases_the_hold(data_dir, tmp_path):
    b, path = roster(tmp_path, {2: TYPO})
    with session_scope() as s:
        import_roster(s, path, b.enterprise.name)
    number = b.retirees[2].id_number
    with session_scope() as s, pytest.raises(RegistryError, match="不在二七区建中街街道的社区名录中"):
        set_override(s, number, TYPO, "本人申请")
    with session_scope() as s:
        set_override(s, number, Destination(county="二七区", street="建中街街道", community="建中街社区"), "更正")
    with session_scope() as s:
        assert pending(s) == []
        row = s.scalar(select(RetireeRow).where(RetireeRow.id_number == number))
        assert row.dest_community == "建中街社区" and row.dest_code == "410103002001"


def test_the_cli_lists_confirms_and_audits(data_dir, tmp_path, monkeypatch):
    from archive_store.audit import AuditFilter, entries
    from handover_app.cli import main

    monkeypatch.setenv("HANDOVER_USER", "管理员乙")
    b, path = roster(tmp_path, {2: TYPO})
    with session_scope() as s:
        import_roster(s, path, b.enterprise.name)
    runner = CliRunner()
    shown = runner.invoke(main, ["communities", "pending"])
    assert shown.exit_code == 0 and "二七区建中街街道建中社区" in shown.output and "第6行" in shown.output
    assert "是否为“建中街社区”" in shown.output
    again = runner.invoke(main, ["communities", "confirm", "二七区", "建中街街道", "建中街社区"])
    assert again.exit_code == 3 and "已在社区名录中" in again.output  # InputRefused
    done = runner.invoke(main, ["communities", "confirm", "二七区", "建中街街道", "建中社区", "--reason", "街道来函"])
    assert done.exit_code == 0 and "1人重新分配" in done.output, done.output
    with session_scope() as s:
        [row] = entries(s, AuditFilter(action="community_confirm"))
        assert (row.actor, row.target, row.reason) == ("管理员乙", "二七区建中街街道建中社区", "街道来函")
    assert people(b)[b.retirees[2].name].destination.community == "建中社区"


# ---------------------------------------------------------------- contacts (联系卡)

def test_contacts_are_kept_for_registered_communities_only(data_dir):
    from handover.communities import Contact, contacts, set_contact

    with session_scope() as s:
        set_contact(s, "金水区", "经八路街道", "纬五路社区", "王红", "0371-65951234", "管理员")
        with pytest.raises(CommunityRefused, match="不在二七区建中街街道的社区名录中"):
            set_contact(s, TYPO.county, TYPO.street, TYPO.community, "李明", "0371-68881234", "管理员")
        with pytest.raises(CommunityRefused, match="服务电话“找王主任”无法识别"):
            set_contact(s, "金水区", "经八路街道", "经七路社区", "李明", "找王主任", "管理员")
        set_contact(s, "金水区", "经八路街道", "经七路社区", "李明", "", "管理员")  # the phone still to come
    with session_scope() as s:
        listed = contacts(s)
    assert listed == {("金水区", "经八路街道", "纬五路社区"): Contact("王红", "0371-65951234"),
                      ("金水区", "经八路街道", "经七路社区"): Contact("李明", "")}
    assert listed[("金水区", "经八路街道", "经七路社区")].missing == ["服务电话"]


def test_a_contact_sheet_is_imported_all_or_nothing_and_audited(data_dir, tmp_path, monkeypatch):
    from openpyxl import Workbook

    from archive_store.audit import AuditFilter, entries
    from handover.communities import contacts
    from handover_app.cli import main

    monkeypatch.setenv("HANDOVER_USER", "管理员乙")

    def sheet(name, rows):
        wb = Workbook()
        ws = wb.active
        ws.append(["社区联系方式表"])
        ws.append(["区县", "街道", "社区", "社区联系人", "服务电话"])
        for row in rows:
            ws.append(row)
        wb.save(tmp_path / name)
        return str(tmp_path / name)

    good = ["金水区", "经八路街道", "纬五路社区", "王红", "0371-65951234"]
    bad = sheet("bad.xlsx", [good, ["二七区", "建中街街道", "建中社区", "李明", "0371-68881234"]])
    runner = CliRunner()
    refused = runner.invoke(main, ["communities", "contacts", "--import", bad])
    assert refused.exit_code == 3 and "第4行" in refused.output and "建中社区" in refused.output, refused.output
    with session_scope() as s:
        assert contacts(s) == {}  # nothing from a refused sheet
    done = runner.invoke(main, ["communities", "contacts", "--import",
                                sheet("good.xlsx", [good, ["金水区", "经八路街道", "经七路社区", "李明", ""]])])
    assert done.exit_code == 0 and "已导入 2 个社区" in done.output, done.output
    shown = runner.invoke(main, ["communities", "contacts"])
    assert "金水区经八路街道纬五路社区　社区联系人 王红　服务电话 0371-65951234" in shown.output
    assert "经七路社区" in shown.output and "缺服务电话" in shown.output
    one = runner.invoke(main, ["communities", "contact", "金水区", "经八路街道", "经七路社区", "--liaison", "李明",
                               "--phone", "0371-65955678"])
    assert one.exit_code == 0, one.output
    with session_scope() as s:
        assert not contacts(s)[("金水区", "经八路街道", "经七路社区")].missing
        [imported] = entries(s, AuditFilter(action="community_contacts_import"))
        [set_one] = entries(s, AuditFilter(action="community_contact"))
    assert imported.actor == "管理员乙" and imported.target == "good.xlsx"
    assert set_one.target == "金水区经八路街道经七路社区"
