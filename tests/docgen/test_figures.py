"""Pure computations: Chinese numbers and money, fees, staff, volumes (no files)."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from docgen.figures import (agreement_figures, cn_date, cn_number, rmb_upper, rule_warnings,
                            volumes_and_pages)
from handover.policy import load_profile


@pytest.mark.parametrize("amount, text", [
    (0, "零元整"), (1000, "壹仟元整"), (1020, "壹仟零贰拾元整"), (10200, "壹万零贰佰元整"),
    (100001, "壹拾万零壹元整"), (12340.5, "壹万贰仟叁佰肆拾元伍角整"), (244800, "贰拾肆万肆仟捌佰元整"),
    (1000000.05, "壹佰万元零伍分"), (100100, "壹拾万零壹佰元整")])
def test_rmb_upper(amount, text):
    assert rmb_upper(amount) == text


def test_cn_number_and_date():
    assert [cn_number(i) for i in (1, 3, 4, 10, 12, 20, 21)] == ["一", "三", "四", "十", "十二", "二十", "二十一"]
    assert cn_date(dt.date(2024, 3, 5)) == "2024年3月5日"  # no leading zeros (GB/T 9704)


@pytest.mark.parametrize("region, per_person, staff_ratio", [
    ("henan-zhengzhou", 1000, 300), ("chongqing", 1020, None), ("jieyang", None, None),
    ("xianning", None, None), ("kunming-jinning", None, None)])
def test_fees_and_staff_follow_the_profile(region, per_person, staff_ratio, batch):
    profile = load_profile(region)
    people = batch.retirees[:137]
    dests = [("甲街道", "一社区"), ("甲街道", "二社区"), ("乙街道", "三社区")]
    f = agreement_figures("某区", people, dests, profile, dt.date(2020, 6, 1))  # 重庆's rate in force
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


def test_a_rate_past_its_validity_has_no_total_and_a_warning(batch):
    profile = load_profile("chongqing")
    people = batch.retirees[:10]
    during = agreement_figures("某区", people, [("甲街道", "一社区")], profile, dt.date(2020, 12, 31))
    assert during.fees[0].in_force and during.fee_total == 10_200
    assert rule_warnings(profile, dt.date(2020, 12, 31)) == []
    after = agreement_figures("某区", people, [("甲街道", "一社区")], profile, dt.date(2021, 1, 1))
    assert not after.fees[0].in_force and after.fee_total is None
    (warning,) = rule_warnings(profile, dt.date(2026, 12, 4))
    assert "1,020.00元/人" in warning and "2020年12月31日" in warning and "待定" in warning


def test_past_time_nodes_are_warned_and_region_targets_are_not():
    henan = load_profile("henan-zhengzhou")
    assert rule_warnings(henan, dt.date(2017, 3, 1)) == []
    (warning,) = rule_warnings(henan, dt.date(2026, 12, 4))
    assert "签订具体移交协议" in warning and "2017年6月30日" in warning
    assert rule_warnings(load_profile("jieyang"), dt.date(2026, 12, 4)) == []  # 2005 city-wide target
