"""Realistic, seeded sample data: enterprises and retiree rosters.

Tests, the demo and the benchmarks use these; nothing depends on files someone typed by hand.
Same seed, same output.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from stdnum.cn import uscc as uscc_mod

from . import gazetteer, idnumber
from .models import SEVENTY, Address, Destination, Enterprise, Retiree, Sex, SpecialStatus

# Surnames weighted roughly by frequency (王李张刘陈 first).
SURNAMES = ("王" * 9 + "李" * 9 + "张" * 8 + "刘" * 7 + "陈" * 6 + "杨" * 4 + "黄" * 3 + "赵" * 3
            + "吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢")
GIVEN_MALE = "建国建军建华国强国庆志强志刚振华德明德华文斌文华永胜永红长林长春海涛宏伟卫东卫国明亮学军保国家祥富贵荣生"
GIVEN_FEMALE = "秀英秀兰桂英桂兰玉兰玉珍凤英淑珍淑华丽华素芳翠花春梅红梅美玲金凤爱华彩霞慧敏婉如月娥雪梅"
ETHNIC = ["汉族"] * 46 + ["回族", "满族", "壮族", "土家族"]
POSITIONS = ["工人", "技术员", "班组长", "车间主任", "会计", "出纳", "仓库保管员", "司机", "工程师",
             "助理工程师", "科员", "统计员", "化验员", "电工", "钳工"]
EDUCATION = ["小学", "初中", "高中", "中专", "技校", "大专", "本科"]
HEALTH = ["良好", "良好", "良好", "一般", "较差"]
ROADS = ["建设路", "人民路", "解放路", "中山路", "文化路", "和平路", "新华路", "工人路", "胜利街", "东风路"]
INDUSTRY = [("纺织", "厂"), ("机械", "厂"), ("化工", "总厂"), ("煤炭", "集团有限公司"),
            ("有色金属", "有限公司"), ("建筑工程", "公司"), ("水泥", "厂"), ("运输", "公司")]


def _syllable(rng: random.Random, pool: str) -> str:
    i = rng.randrange(0, len(pool) // 2) * 2
    return pool[i:i + 2] if rng.random() < 0.7 else pool[i]


def person_name(rng: random.Random, sex: Sex) -> str:
    return rng.choice(SURNAMES) + _syllable(rng, GIVEN_MALE if sex is Sex.MALE else GIVEN_FEMALE)


def _uscc(rng: random.Random, county_code: str) -> str:
    body = "91" + county_code + "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(9))
    return body + uscc_mod.calc_check_digit(body)


@dataclass(frozen=True)
class SampleBatch:
    enterprise: Enterprise
    region: str
    retirees: list[Retiree]


def make_enterprise(region: str, seed: int = 1) -> Enterprise:
    rng = random.Random(f"enterprise:{region}:{seed}")
    place = rng.choice(gazetteer.places(region))
    trade, suffix = rng.choice(INDUSTRY)
    city = place.city.removesuffix("市")
    name = f"{city}{'第' + '一二三四五'[rng.randrange(5)] if suffix == '厂' else ''}{trade}{suffix}"
    location = Address(province=place.province, city=place.city, county=place.county,
                       street=place.street, community=place.community,
                       detail=f"{rng.choice(ROADS)}{rng.randint(1, 300)}号")
    return Enterprise(name=name, uscc=_uscc(rng, place.county_code), location=location,
                      insured_county=place.county, legal_representative=person_name(rng, Sex.MALE),
                      contact=person_name(rng, rng.choice(list(Sex))),
                      phone=f"0{rng.randint(300, 999)}-{rng.randint(6000000, 6999999)}")


def _address(rng: random.Random, place: gazetteer.Place) -> Address:
    return Address(province=place.province, city=place.city, county=place.county,
                   street=place.street, community=place.community,
                   detail=f"{rng.choice(ROADS)}{rng.randint(1, 200)}号{rng.randint(1, 12)}号楼"
                          f"{rng.randint(1, 6)}单元{rng.randint(1, 6)}0{rng.randint(1, 4)}室")


def make_retirees(region: str, n: int, communities: int | None = None, seed: int = 1,
                  enterprise: Enterprise | None = None, today: dt.date | None = None) -> list[Retiree]:
    """``n`` retirees of one enterprise living over ``communities`` communities of the region."""
    rng = random.Random(f"retirees:{region}:{n}:{seed}")
    today = today or dt.date(2026, 11, 1)
    enterprise = enterprise or make_enterprise(region, seed)
    local = list(gazetteer.places(region))
    if communities:
        if communities > len(local):
            local = _extend_places(local, communities)
        local = rng.sample(local, communities)
    elsewhere = list(gazetteer.places("elsewhere"))
    # The optional party columns draw from their own stream, so adding them left every other field
    # of a seed's roster as it was.
    party_rng = random.Random(f"party:{region}:{n}:{seed}")
    letters = 0
    used_ids: set[str] = set()
    out: list[Retiree] = []
    for i in range(n):
        sex = Sex.MALE if rng.random() < 0.55 else Sex.FEMALE
        birth = dt.date(rng.randint(1938, 1966), rng.randint(1, 12), rng.randint(1, 28))
        retire_age = 60 if sex is Sex.MALE else rng.choice([50, 55])
        retired = dt.date(birth.year + retire_age, birth.month, 1) + dt.timedelta(days=31)
        retired = retired.replace(day=1)
        if retired > today:
            birth = birth.replace(year=birth.year - 10)
            retired = retired.replace(year=retired.year - 10)
        residence = rng.choice(local)
        roll = rng.random()
        if roll < 0.08:
            hukou_place = rng.choice(elsewhere)  # out-of-province hukou
        elif roll < 0.30:
            hukou_place = rng.choice(local)  # hukou elsewhere in the region
        else:
            hukou_place = residence
        birth_area = hukou_place.county_code
        if region == "kunming-jinning" and rng.random() < 0.5 and hukou_place.county == "晋宁区":
            birth_area = "530122"  # 晋宁县, the code before 2016
        while True:
            seq = rng.randrange(1, 999)
            seq = seq - (seq % 2) + (1 if sex is Sex.MALE else 0)
            seq = min(max(seq, 1 if sex is Sex.MALE else 2), 999 if sex is Sex.MALE else 998)
            number = idnumber.make(birth_area, birth, seq)
            if number not in used_ids:
                used_ids.add(number)
                break
        special: set[SpecialStatus] = set()
        if today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day)) >= SEVENTY:
            special.add(SpecialStatus.OVER_SEVENTY)
        for flag, p in ((SpecialStatus.WIDOWED_ALONE, 0.03), (SpecialStatus.MODEL_WORKER, 0.02),
                        (SpecialStatus.EXTREME_HARDSHIP, 0.02), (SpecialStatus.SERIOUS_ILLNESS, 0.04)):
            if rng.random() < p:
                special.add(flag)
        party = rng.random() < 0.18
        dues_paid_to, letter_no = None, ""
        if party:
            # 党费缴至年月 given for about two members in three (paid up to within the last year),
            # 介绍信编号 for about one in three (the enterprise numbered the letter itself)
            months_behind, dues_given, letter_given = party_rng.randrange(12), party_rng.random(), party_rng.random()
            if dues_given < 0.65:
                month = today.year * 12 + today.month - 1 - months_behind
                dues_paid_to = dt.date(month // 12, month % 12 + 1, 1)
            if letter_given < 0.35:
                letters += 1
                letter_no = f"党介〔{today.year}〕{letters:03d}号"
        chosen = None
        if rng.random() < 0.05 and hukou_place in local and hukou_place != residence:
            chosen = Destination(county=hukou_place.county, street=hukou_place.street,
                                 community=hukou_place.community)
        out.append(Retiree(
            person_no=f"{local[0].county_code[:2]}{rng.randint(10**9, 10**10 - 1)}",
            name=person_name(rng, sex), sex=sex, ethnicity=rng.choice(ETHNIC), birth_date=birth,
            id_number=number, id_number_original=number, retired_on=retired,
            former_employer=enterprise.name, former_position=rng.choice(POSITIONS),
            political_status="中共党员" if party else "群众",
            party_joined_on=dt.date(birth.year + rng.randint(20, 40), rng.randint(1, 12), 1) if party else None,
            party_dues_paid_to=dues_paid_to, party_letter_no=letter_no,
            hukou=_address(rng, hukou_place), residence=_address(rng, residence),
            postcode=f"{rng.randint(400000, 679999)}", phone=f"1{rng.choice('3589')}{rng.randint(10**8, 10**9 - 1)}",
            special=frozenset(special), deceased=rng.random() < 0.005,
            health=rng.choice(HEALTH), education=rng.choice(EDUCATION),
            pension=f"{rng.randint(1800, 5200)}.{rng.randint(0, 99):02d}",
            chosen_destination=chosen,
            archive_volumes=1, archive_pages=rng.randint(18, 80),
        ))
    return out


def _extend_places(local: list[gazetteer.Place], wanted: int) -> list[gazetteer.Place]:
    """More communities than the gazetteer lists: add numbered ones in the same streets."""
    extended = list(local)
    i = 0
    while len(extended) < wanted:
        base = local[i % len(local)]
        k = len(extended) // len(local) + 1
        extended.append(gazetteer.Place(base.province, base.city, base.county, base.county_code,
                                        base.street, base.street_code,
                                        f"{base.community.removesuffix('社区')}{k}社区",
                                        base.community_index + 10 * k))
        i += 1
    return extended


def invented_communities(retirees: list[Retiree]) -> set[tuple[str, str, str]]:
    """The communities ``_extend_places`` made up for these retirees: not in the gazetteer, so a
    benchmark confirms them (as an admin would) before routing to them."""
    places = {(a.county, a.street, a.community) for r in retirees for a in (r.residence, r.hukou)}
    return {key for key in places if gazetteer.find(*key) is None}


def make_batch(region: str, n: int, communities: int | None = None, seed: int = 1) -> SampleBatch:
    enterprise = make_enterprise(region, seed)
    return SampleBatch(enterprise, region, make_retirees(region, n, communities, seed, enterprise))
