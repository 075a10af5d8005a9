"""Pure computations: Chinese numbers and money, fees, staff, volumes (no files)."""

from __future__ import annotations

import math

import pytest

from docgen.figures import agreement_figures, cn_date, cn_number, rmb_upper, volumes_and_pages
from handover.policy import load_profile


@pytest.mark.parametrize("amount, text", [
    (0, "零元整"), (1000, "壹仟元整"), (1020, "壹仟零贰拾元整"), (10200, "壹万零贰佰元整"),
    (100001, "壹拾万零壹元整"), (12340.5, "壹万贰仟叁佰肆拾元伍角整"), (244800, "贰拾肆万肆仟捌佰元整"),
    (1000000.05, "壹佰万元零伍分"), (100100, "壹拾万零壹佰元整")])
def test_rmb_upper(amount, text):
    assert rmb_upper(amount) == text


def test_cn_number_and_date():
    import datetime as dt
    assert [cn_number(i) for i in (1, 3, 4, 10, 12, 20, 21)] == ["一", "三", "四", "十", "十二", "二十", "二十一"]
    assert cn_date(dt.date(2024, 3, 5)) == "2024年3月5日"  # no leading zeros (GB/T 9704)


@pytest.mark.parametrize("region, per_person, staff_ratio", [
    ("henan-zhengzhou", 1000, 300), ("chongqing", 1020, None), ("jieyang", None, None),
    ("xianning", None, None), ("kunming-jinning", None, None)])
def test_fees_and_staff_follow_the_profile(region, per_person, staff_ratio, batch):
    profile = load_profile(region)
    people = batch.retirees[:137]
    dests = [("甲街道", "一社区"), ("甲街道", "二社区"), ("乙街道", "三社区")]
    f = agreement_figures("某区", people, dests, profile)
    assert f.retirees == 137
    assert f.party_members == sum(r.party_member for r in people)
    assert (f.streets, f.communities) == (2, 3)
    if per_person is None:
        assert all(line.total is None for line in f.fees)
    else:
        assert f.fees[0].per_person == per_person
        assert f.fees[0].total == per_person * 137
        assert f.fee_total == per_person * 137
    expected_staff = math.ceil(137 / staff_ratio) if staff_ratio else None
    assert f.transfer_staff == expected_staff
    assert f.copies == profile.copies_of("transfer_agreement", 4)


def test_digitized_volumes_win_over_the_roster(batch):
    people = batch.retirees[:5]
    roster_v, roster_p = volumes_and_pages(people)
    assert roster_v == 5 and roster_p == sum(r.archive_pages for r in people)
    override = {people[0].id_number: (2, 999)}
    v, p = volumes_and_pages(people, override)
    assert v == 6
    assert p == roster_p - people[0].archive_pages + 999
