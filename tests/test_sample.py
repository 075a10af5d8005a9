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
