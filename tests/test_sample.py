import datetime as dt
from collections import Counter

from handover import idnumber
from handover.models import SpecialStatus
from handover.sample import make_batch


def test_same_seed_same_roster_and_different_seed_differs():
    assert make_batch("xianning", 50, seed=9).retirees == make_batch("xianning", 50, seed=9).retirees
    assert make_batch("xianning", 50, seed=9).retirees != make_batch("xianning", 50, seed=10).retirees


def test_sample_people_are_realistic():
    batch = make_batch("henan-zhengzhou", 500, communities=12, seed=2)
    people = batch.retirees
    assert len({p.id_number for p in people}) == 500
    for p in people:
        idn = idnumber.parse(p.id_number)
        assert idn.sex == p.sex and idn.birth_date == p.birth_date
        assert 45 <= p.retired_on.year - p.birth_date.year <= 61
    assert 0.1 < sum(p.party_member for p in people) / 500 < 0.3
    flags = Counter(f for p in people for f in p.special)
    assert flags[SpecialStatus.OVER_SEVENTY] > 100 and flags[SpecialStatus.SERIOUS_ILLNESS] > 0
    assert len({(p.residence.street, p.residence.community) for p in people}) == 12
    assert any(p.hukou.province != "河南省" for p in people)  # some out-of-province hukou


def test_some_party_members_have_dues_and_letter_numbers():
    """The optional roster columns 党费缴至年月 and 介绍信编号 are filled for some party members, not all,
    so both the given and the blank paths run; the same seed gives the same values."""
    members = [p for p in make_batch("xianning", 300, seed=4).retirees if p.party_member]
    dues = [p.party_dues_paid_to for p in members]
    letters = [p.party_letter_no for p in members]
    assert 0 < sum(d is not None for d in dues) < len(members)
    assert 0 < sum(bool(n) for n in letters) < len(members)
    assert len({n for n in letters if n}) == sum(bool(n) for n in letters)  # no number twice
    assert all(d.day == 1 and dt.date(2025, 11, 1) <= d <= dt.date(2026, 11, 1) for d in dues if d)
    others = [p for p in make_batch("xianning", 300, seed=4).retirees if not p.party_member]
    assert not any(p.party_dues_paid_to or p.party_letter_no for p in others)
    again = [p for p in make_batch("xianning", 300, seed=4).retirees if p.party_member]
    assert [(p.party_dues_paid_to, p.party_letter_no) for p in again] == list(zip(dues, letters))
