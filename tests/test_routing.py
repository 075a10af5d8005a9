"""Routing for each of the five seed profiles (pure functions, no I/O)."""

import datetime as dt

import pytest

from handover.models import Address, Destination, Enterprise, Retiree
from handover.policy import load_profile
from handover.routing import group_by_community, group_by_street, route
from handover.sample import make_batch


def addr(province, county, street, community, city=""):
    return Address(province=province, city=city, county=county, street=street, community=community)


def person(residence=Address(), hukou=Address(), **kw):
    return Retiree(name="张三", sex="男", birth_date=dt.date(1950, 1, 1), id_number="11010519500101001X",
                   retired_on=dt.date(2010, 2, 1), residence=residence, hukou=hukou, **kw)


def enterprise(location, insured_county=""):
    return Enterprise(name="测试企业", uscc="91350100M000100Y43", location=location, insured_county=insured_county)


ZZ_ENT = enterprise(addr("河南省", "金水区", "经八路街道", "纬五路社区", "郑州市"))
ZZ_HOME = addr("河南省", "二七区", "建中街街道", "长江路社区", "郑州市")
ZZ_HUKOU = addr("河南省", "中原区", "林山寨街道", "伏牛路社区", "郑州市")
ANHUI = addr("安徽省", "颍州区", "鼓楼街道", "鼓楼社区", "阜阳市")


class TestHenan:
    profile = load_profile("henan-zhengzhou")

    def test_residence_is_preferred(self):
        a = route(person(ZZ_HOME, ZZ_HUKOU), ZZ_ENT, self.profile)
        assert a.destination.label == "二七区建中街街道长江路社区"
        assert a.rule == "常年居住地"
        assert a.destination.code == "410103002002"  # from the gazetteer

    def test_hukou_when_residence_is_incomplete(self):
        a = route(person(Address(county="二七区"), ZZ_HUKOU), ZZ_ENT, self.profile)
        assert (a.destination.community, a.rule) == ("伏牛路社区", "户口所在地")

    def test_out_of_province_hukou_goes_to_the_enterprise_location(self):
        a = route(person(ZZ_HOME, ANHUI), ZZ_ENT, self.profile)
        assert a.destination.label == "金水区经八路街道纬五路社区"
        assert "省外户籍" in a.rule

    def test_the_retirees_confirmed_choice_wins(self):
        chosen = Destination(county="中原区", street="建设路街道", community="棉纺路社区")
        a = route(person(ZZ_HOME, ANHUI, chosen_destination=chosen), ZZ_ENT, self.profile)
        assert a.destination.community == "棉纺路社区" and a.rule == "确认的移交地"

    def test_leadership_cadres_are_not_transferred(self):
        a = route(person(ZZ_HOME, ZZ_HUKOU, leadership_cadre=True), ZZ_ENT, self.profile)
        assert a.destination is None and "领导人员" in a.excluded


class TestJieyang:
    profile = load_profile("jieyang")
    ent = enterprise(addr("广东省", "榕城区", "榕华街道", "榕华社区", "揭阳市"))

    def test_residence_then_hukou(self):
        home = addr("广东省", "普宁市", "流沙东街道", "新坛社区", "揭阳市")
        hukou = addr("广东省", "揭东区", "曲溪街道", "曲溪社区", "揭阳市")
        assert route(person(home, hukou), self.ent, self.profile).destination.community == "新坛社区"
        assert route(person(Address(), hukou), self.ent, self.profile).destination.community == "曲溪社区"

    def test_living_outside_the_province_goes_to_the_enterprise(self):
        a = route(person(ANHUI, ANHUI), self.ent, self.profile)
        assert a.destination.community == "榕华社区"
        assert "不在辖区内" in a.rule


class TestChongqing:
    profile = load_profile("chongqing")
    ent = enterprise(addr("重庆市", "渝中区", "解放碑街道", "民生路社区", "重庆市"), insured_county="渝中区")

    def test_receiving_county_is_the_enterprise_insured_place(self):
        inside = addr("重庆市", "渝中区", "七星岗街道", "金汤街社区", "重庆市")
        a = route(person(inside), self.ent, self.profile)
        assert a.destination.label == "渝中区七星岗街道金汤街社区"
        assert a.rule.startswith("企业参保地渝中区")

    def test_people_living_in_another_county_go_to_the_enterprise_street(self):
        other = addr("重庆市", "江北区", "观音桥街道", "观音桥社区", "重庆市")
        a = route(person(other), self.ent, self.profile)
        assert a.destination.county == "渝中区"
        assert a.destination.community == "民生路社区"

    def test_insured_county_without_enterprise_street_needs_a_person_to_decide(self):
        ent = enterprise(addr("重庆市", "渝中区", "解放碑街道", "民生路社区", "重庆市"), insured_county="九龙坡区")
        other = addr("重庆市", "江北区", "观音桥街道", "观音桥社区", "重庆市")
        a = route(person(other), ent, self.profile)
        assert a.destination is None and "需由区县指定" in a.rule


class TestXianning:
    profile = load_profile("xianning")

    def test_long_term_residence(self):
        ent = enterprise(addr("湖北省", "咸安区", "温泉街道", "温泉社区", "咸宁市"))
        home = addr("湖北省", "赤壁市", "蒲圻街道", "沧湖社区", "咸宁市")
        hukou = addr("湖北省", "咸安区", "永安街道", "东门社区", "咸宁市")
        a = route(person(home, hukou), ent, self.profile)
        assert (a.destination.county, a.destination.community, a.rule) == ("赤壁市", "沧湖社区", "常年居住地")


class TestKunmingJinning:
    profile = load_profile("kunming-jinning")
    ent = enterprise(addr("云南省", "晋宁区", "昆阳街道", "昆阳社区", "昆明市"))

    def test_residence_inside_the_district(self):
        home = addr("云南省", "晋宁区", "宝峰街道", "大营社区", "昆明市")
        assert route(person(home), self.ent, self.profile).destination.community == "大营社区"

    def test_hukou_inside_when_residence_is_outside(self):
        home = addr("云南省", "西山区", "马街街道", "马街社区", "昆明市")
        hukou = addr("云南省", "晋宁区", "晋城街道", "福安社区", "昆明市")
        a = route(person(home, hukou), self.ent, self.profile)
        assert (a.destination.community, a.rule) == ("福安社区", "户口所在地")

    def test_both_outside_the_district_go_to_the_enterprise_registered_place(self):
        home = addr("云南省", "西山区", "马街街道", "马街社区", "昆明市")
        hukou = addr("云南省", "官渡区", "关上街道", "关上社区", "昆明市")
        a = route(person(home, hukou), self.ent, self.profile)
        assert a.destination.label == "晋宁区昆阳街道昆阳社区"
        assert "常年居住地、户口所在地不在辖区内" in a.rule

    def test_deceased_before_transfer_stays_with_the_enterprise(self):
        a = route(person(addr("云南省", "晋宁区", "宝峰街道", "大营社区"), deceased=True), self.ent, self.profile)
        assert a.destination is None and "仍由原企业保管" in a.excluded


@pytest.mark.parametrize("region", ["henan-zhengzhou", "jieyang", "chongqing", "xianning", "kunming-jinning"])
def test_every_sample_retiree_of_every_region_gets_a_destination_or_a_reason(region):
    batch = make_batch(region, 300, seed=5)
    profile = load_profile(region)
    pairs = [(r, route(r, batch.enterprise, profile)) for r in batch.retirees]
    for r, a in pairs:
        assert a.destination is not None or a.excluded or "需" in a.rule, (r.name, a)
    groups = group_by_community(pairs)
    assert sum(len(v) for v in groups.values()) == sum(a.destination is not None for _, a in pairs)
    assert list(groups) == sorted(groups, key=lambda d: (d.county, d.street, d.community))
    streets = group_by_street(pairs)
    assert sum(len(v) for v in streets.values()) == sum(len(v) for v in groups.values())
