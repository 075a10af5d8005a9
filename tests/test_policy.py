import datetime as dt

import pytest

from handover import config
from handover.policy import PolicyError, available_profiles, load_profile, load_profile_file

REGIONS = ["henan-zhengzhou", "jieyang", "chongqing", "xianning", "kunming-jinning"]


def test_the_five_seed_regions_are_shipped_and_valid():
    assert set(REGIONS) <= set(available_profiles())
    for region in REGIONS:
        profile = load_profile(region)
        assert profile.source_seed.endswith(".txt")
        assert profile.required_materials, region
        assert profile.agreement_duties["甲方"] and profile.agreement_duties["乙方"]


def test_fees_follow_the_seeds():
    henan = load_profile("henan-zhengzhou").fees[0]
    assert (henan.per_person, henan.basis) == (1000, "per_year")
    assert henan.total(301) == 301_000
    chongqing = load_profile("chongqing").fees[0]
    assert (chongqing.per_person, chongqing.basis, chongqing.payer) == (1020, "one_time", "移交企业")
    assert str(chongqing.valid_until) == "2020-12-31"
    assert load_profile("jieyang").fees[0].total(10) is None  # amount not set by the seed


def test_a_rate_is_in_force_only_within_its_dates():
    chongqing = load_profile("chongqing")
    assert chongqing.fees[0].in_force(dt.date(2020, 12, 31))
    assert not chongqing.fees[0].in_force(dt.date(2021, 1, 1))
    assert chongqing.fees[0].after == "2021年1月1日以后的移交费用标准另行研究制定"
    assert chongqing.fees_on(dt.date(2026, 12, 4)) == ([], chongqing.fees)


@pytest.mark.parametrize("region", REGIONS)
def test_every_region_words_its_own_agreement(region):
    """No region falls back on another's clauses: each states its archives and party rules."""
    profile = load_profile(region)
    clauses = profile.agreement
    assert clauses.archives and clauses.party
    if profile.routing.exclude_leadership_cadres:
        assert any("领导人员" in e or "省管干部" in e for e in clauses.exclusions)
    if profile.routing.exclude_deceased:
        assert any("死亡" in e for e in clauses.exclusions)
    if clauses.holders:
        assert len(clauses.holders) == profile.copies_of("transfer_agreement")


def test_exclusions_and_copies_follow_the_seeds():
    assert load_profile("jieyang").agreement.exclusions == []  # the 揭阳 seed names no one
    for region in ("xianning", "chongqing", "kunming-jinning", "henan-zhengzhou"):
        assert any("离休" in e for e in load_profile(region).agreement.exclusions), region
    xianning = load_profile("xianning")
    assert xianning.copies_of("basic_info_form") == 3 and xianning.copies_of("transfer_agreement") == 2
    assert not [d for d in load_profile("jieyang").deadlines if d.in_agreement]  # 2005 target


def _write_profile(folder, body: str) -> None:
    (folder / "test.toml").write_text(
        'name = "测试"\nprovince = "河南省"\nsource_seed = "t.txt"\ndocument_no = "1号"\n'
        'issuer = "测试办"\n' + body, encoding="utf-8")


def test_a_clause_naming_an_unknown_figure_is_refused(tmp_path):
    _write_profile(tmp_path, '[agreement]\nparty = ["{party_member}名党员"]\n')
    with pytest.raises(PolicyError, match="party_member"):
        load_profile_file(tmp_path / "test.toml")


def test_holders_must_match_the_agreement_copies(tmp_path):
    _write_profile(tmp_path, '[copies]\ntransfer_agreement = 3\n[agreement]\nholders = ["甲方", "乙方"]\n')
    with pytest.raises(PolicyError, match="份数"):
        load_profile_file(tmp_path / "test.toml")


def test_staffing_formulas():
    assert load_profile("henan-zhengzhou").staffing.transfer_staff(301) == 2  # 1 per 300, rounded up
    kunming = load_profile("kunming-jinning").staffing
    assert kunming.community_staff(3000) == (2, False)  # 1 per 1500
    assert kunming.community_staff(700) == (1, False)  # 500–1500: +1
    assert kunming.community_staff(120) == (0, True)  # <500: part-time
    assert kunming.archive_volumes_per_staff == 10000


def test_conditional_required_material_for_party_members():
    profile = load_profile("henan-zhengzhou")
    names = {m.name for m in profile.required_for(party_member=True)}
    assert "入党志愿书或党员登记表" in names
    assert "入党志愿书或党员登记表" not in {m.name for m in profile.required_for(party_member=False)}


def test_a_bureau_adds_a_region_by_writing_a_file(tmp_path, monkeypatch):
    folder = tmp_path / "policies"
    folder.mkdir()
    (folder / "luoyang.toml").write_text(
        'name = "河南省/洛阳市"\nprovince = "河南省"\nsource_seed = "local.txt"\n'
        'document_no = "洛政办〔2018〕1号"\nissuer = "洛阳市人民政府办公室"\n'
        '[[fees]]\nkind = "管理费用"\nper_person = 800\n', encoding="utf-8")
    monkeypatch.setenv("HANDOVER_POLICIES_DIR", str(folder))
    config.settings.cache_clear()
    try:
        assert "luoyang" in available_profiles()
        assert load_profile("luoyang").fees[0].total(3) == 2400
    finally:
        config.settings.cache_clear()


def test_broken_profile_file_is_reported_with_its_name(tmp_path, monkeypatch):
    folder = tmp_path / "policies"
    folder.mkdir()
    (folder / "broken.toml").write_text('name = "x"\n[routing\n', encoding="utf-8")
    monkeypatch.setenv("HANDOVER_POLICIES_DIR", str(folder))
    config.settings.cache_clear()
    try:
        with pytest.raises(PolicyError, match="broken.toml"):
            load_profile("broken")
        with pytest.raises(PolicyError, match="未找到地区政策配置"):
            load_profile("nowhere")
    finally:
        config.settings.cache_clear()
