"""Importing rosters into the catalog: all or nothing, valid rows on request, duplicates."""

from sqlalchemy import func, select

from handover.db import ImportRow, RetireeRow, session_scope
from handover.registry import add_enterprise, retirees_of, set_override
from handover.models import Destination
from handover.roster import problems as P
from handover.roster.importer import import_roster
from handover.sample import make_batch
from tests.roster_files import write_csv, write_xlsx, xlsx_from_rows


def register(batch, region="henan-zhengzhou"):
    with session_scope() as s:
        add_enterprise(s, batch.enterprise, region)


def count(model=RetireeRow):
    with session_scope() as s:
        return s.scalar(select(func.count()).select_from(model))


def roster_with_one_bad_row(tmp_path, batch):
    path = write_xlsx(tmp_path / "r.xlsx", batch.retirees, batch.enterprise)
    from openpyxl import load_workbook

    wb = load_workbook(path)
    ws = wb.active
    ws.cell(row=6, column=7).value = "410105194912310021"  # wrong check character
    wb.save(path)
    return path


def test_a_clean_roster_is_imported_and_routed(data_dir, tmp_path):
    b = make_batch("henan-zhengzhou", 40, seed=21)
    register(b)
    with session_scope() as s:
        report = import_roster(s, write_xlsx(tmp_path / "r.xlsx", b.retirees, b.enterprise), b.enterprise.name)
    assert report.committed and report.rows_imported == 40 and report.errors == []
    with session_scope() as s:
        people = retirees_of(s, b.enterprise.name)
    assert [r for r, _ in people] == b.retirees
    assert all(a.destination is not None for _, a in people)


def test_party_dues_and_letter_numbers_are_imported(data_dir, tmp_path):
    b = make_batch("xianning", 120, seed=21)
    register(b, "xianning")
    members = [r for r in b.retirees if r.party_member]
    assert any(r.party_dues_paid_to for r in members) and any(not r.party_dues_paid_to for r in members)
    assert any(r.party_letter_no for r in members) and any(not r.party_letter_no for r in members)
    with session_scope() as s:
        report = import_roster(s, write_xlsx(tmp_path / "r.xlsx", b.retirees, b.enterprise), b.enterprise.name)
    assert report.committed and report.errors == []
    with session_scope() as s:
        stored = {r.id_number: r for r, _ in retirees_of(s, b.enterprise.name)}
    for r in members:
        assert stored[r.id_number].party_dues_paid_to == r.party_dues_paid_to
        assert stored[r.id_number].party_letter_no == r.party_letter_no


def test_one_bad_row_means_nothing_is_imported(data_dir, tmp_path):
    b = make_batch("henan-zhengzhou", 30, seed=22)
    register(b)
    path = roster_with_one_bad_row(tmp_path, b)
    with session_scope() as s:
        report = import_roster(s, path, b.enterprise.name)
    assert not report.committed and report.rows_imported == 0
    assert [(p.row, p.code) for p in report.errors] == [(6, P.ID_INVALID)]
    assert count() == 0 and count(ImportRow) == 0


def test_valid_only_imports_the_other_rows(data_dir, tmp_path):
    b = make_batch("henan-zhengzhou", 30, seed=22)
    register(b)
    path = roster_with_one_bad_row(tmp_path, b)
    with session_scope() as s:
        report = import_roster(s, path, b.enterprise.name, valid_only=True)
    assert report.committed and report.rows_imported == 29
    assert count() == 29 and count(ImportRow) == 1


def test_the_same_person_from_another_enterprise_is_a_double_payment_risk(data_dir, tmp_path):
    first = make_batch("henan-zhengzhou", 10, seed=31)
    second = make_batch("henan-zhengzhou", 10, seed=32)
    register(first)
    with session_scope() as s:
        add_enterprise(s, second.enterprise.model_copy(update={"name": "郑州第二测试厂",
                                                               "uscc": "91350100M000100Y43"}), "henan-zhengzhou")
    with session_scope() as s:
        assert import_roster(s, write_csv(tmp_path / "a.csv", first.retirees), first.enterprise.name).committed
    shared = first.retirees[3]
    people = second.retirees[:5] + [shared.model_copy(update={"former_employer": "郑州第二测试厂"})]
    with session_scope() as s:
        report = import_roster(s, write_csv(tmp_path / "b.csv", people), "郑州第二测试厂")
    assert not report.committed
    [dup] = report.errors
    assert dup.code == P.DUPLICATE_OTHER_ENTERPRISE and dup.row == 7
    assert first.enterprise.name in dup.message and "重复领取" in dup.message
    assert count() == 10


def test_reimporting_the_same_roster_updates_instead_of_duplicating(data_dir, tmp_path):
    b = make_batch("henan-zhengzhou", 12, seed=41)
    register(b)
    path = write_csv(tmp_path / "r.csv", b.retirees)
    with session_scope() as s:
        import_roster(s, path, b.enterprise.name)
    with session_scope() as s:
        report = import_roster(s, path, b.enterprise.name)
    assert report.committed and report.rows_updated == 12 and report.rows_imported == 0
    assert {p.code for p in report.problems} == {P.ALREADY_IMPORTED}
    assert count() == 12


def test_dry_run_checks_against_the_database_without_writing(data_dir, tmp_path):
    b = make_batch("henan-zhengzhou", 8, seed=42)
    register(b)
    with session_scope() as s:
        report = import_roster(s, write_csv(tmp_path / "r.csv", b.retirees), b.enterprise.name, dry_run=True)
    assert not report.committed and report.rows_valid == 8 and count() == 0


def test_per_person_override_after_import(data_dir, tmp_path):
    b = make_batch("henan-zhengzhou", 5, seed=43)
    register(b)
    with session_scope() as s:
        import_roster(s, write_csv(tmp_path / "r.csv", b.retirees), b.enterprise.name)
    target = Destination(county="中原区", street="建设路街道", community="棉纺路社区")
    with session_scope() as s:
        set_override(s, b.retirees[0].id_number, target, "本人申请转入户口所在地")
    with session_scope() as s:
        (r, a), *_ = retirees_of(s, b.enterprise.name)
    assert a.destination.label == target.label and "本人申请" in a.rule
    assert r.chosen_destination.community == "棉纺路社区"


def test_a_large_roster_streams_through(data_dir, tmp_path):
    b = make_batch("henan-zhengzhou", 20_000, communities=40, seed=44)
    register(b)
    seen = []
    with session_scope() as s:
        report = import_roster(s, write_csv(tmp_path / "big.csv", b.retirees, "gb18030"), b.enterprise.name,
                               progress=seen.append)
    assert report.committed and report.rows_imported == 20_000
    assert seen[-1] == 20_000 and len(seen) >= 20  # progress reported along the way
    assert count() == 20_000


def test_unreadable_file_changes_nothing(data_dir, tmp_path):
    b = make_batch("henan-zhengzhou", 3, seed=45)
    register(b)
    path = xlsx_from_rows(tmp_path / "x.xlsx", [["无关", "内容"]])
    with session_scope() as s:
        report = import_roster(s, path, b.enterprise.name)
    assert not report.committed and "没有找到表头" in report.errors[0].message
    assert count(ImportRow) == 0


def test_a_seventy_tick_the_birth_date_contradicts_is_a_warning_with_its_row(data_dir, tmp_path):
    """七十以上高龄 is computed from the birth date: a roster that ticks it for someone of 69, or leaves
    it out (with other statuses filled) for someone of 70, imports with a warning on that row."""
    import datetime as dt

    from handover import idnumber
    from handover.models import SpecialStatus

    today = dt.date(2026, 12, 4)
    b = make_batch("xianning", 6, seed=23)
    register(b, "xianning")

    def born(r, day, special):
        number = idnumber.make(r.id_number[:6], day, int(r.id_number[14:17]))
        return r.model_copy(update={"birth_date": day, "id_number": number, "retired_on": dt.date(day.year + 60, 1, 1),
                                    "special": frozenset(special), "political_status": "群众", "party_joined_on": None,
                                    "party_dues_paid_to": None, "party_letter_no": ""})

    young = born(b.retirees[1], dt.date(1956, 12, 5), {SpecialStatus.OVER_SEVENTY})  # 69 until tomorrow
    old = born(b.retirees[3], dt.date(1956, 12, 4), {SpecialStatus.MODEL_WORKER})  # 70 today, not ticked
    fine = born(b.retirees[4], dt.date(1956, 12, 4), {SpecialStatus.OVER_SEVENTY})
    people = [b.retirees[0], young, b.retirees[2], old, fine]
    with session_scope() as s:
        report = import_roster(s, write_xlsx(tmp_path / "r.xlsx", people, b.enterprise), b.enterprise.name,
                               today=today)
    assert report.committed and report.rows_imported == 5
    found = [p for p in report.problems if p.code == P.SPECIAL_AGE]
    assert [p.row for p in found] == [5, 7]  # title, 单位名称 and header rows above the first person
    assert all(not p.is_error and "特殊人员情况" in p.column for p in found)
    assert "69周岁" in found[0].message and "70周岁" in found[1].message


def _roster_changed_at(name: str):
    from handover.db import EnterpriseRow

    with session_scope() as s:
        return s.scalar(select(EnterpriseRow.roster_changed_at).where(EnterpriseRow.name == name))


def test_the_enterprises_roster_change_is_timed_by_import_and_override_not_by_a_dry_run(data_dir, tmp_path):
    """enterprises.roster_changed_at: what makes an earlier bundle 已过期 on the web's documents page."""
    b, other = make_batch("henan-zhengzhou", 5, seed=44), make_batch("henan-zhengzhou", 3, seed=45)
    register(b)
    register(other)
    path = write_csv(tmp_path / "r.csv", b.retirees)
    assert _roster_changed_at(b.enterprise.name) is None
    with session_scope() as s:
        import_roster(s, path, b.enterprise.name)
    imported = _roster_changed_at(b.enterprise.name)
    assert imported is not None
    with session_scope() as s:
        import_roster(s, path, b.enterprise.name, dry_run=True)
    assert _roster_changed_at(b.enterprise.name) == imported
    with session_scope() as s:
        import_roster(s, path, b.enterprise.name)  # the same file again: the people are updated
    again = _roster_changed_at(b.enterprise.name)
    assert again > imported
    with session_scope() as s:
        set_override(s, b.retirees[0].id_number, Destination(county="中原区", street="建设路街道",
                                                             community="棉纺路社区"), "本人申请")
    assert _roster_changed_at(b.enterprise.name) > again
    assert _roster_changed_at(other.enterprise.name) is None  # no other enterprise's
