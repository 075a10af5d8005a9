"""Party members go where the profile's rule sends them: in 咸宁 and 揭阳 to the party organisation of
the street and community they live in, also when the 户籍 — and so the managing community — is
elsewhere; the 党费缴至年月 and 介绍信编号 come from the roster, else the letters are numbered."""

from __future__ import annotations

import datetime as dt

import pytest
from docx import Document

from docgen.bundle import generate_bundle
from handover.models import Address
from handover.policy import load_profile
from handover.roster import load_roster
from handover.roster.writer import write_xlsx
from handover.routing import route
from handover.sample import make_batch

from .conftest import pdftotext_pages

TODAY = dt.date(2026, 12, 4)


def _split_member(region):
    """A batch whose first party member lives in one community and has the 户籍 — and chose to be
    managed — in another (人户分离)."""
    profile = load_profile(region)
    b = make_batch(region, 30, communities=3, seed=11)
    routed = [(r, route(r, b.enterprise, profile).destination) for r in b.retirees]
    i, (member, home) = next((i, p) for i, p in enumerate(routed) if p[0].party_member and p[1])
    other = next(d for _, d in routed if d and d.community != home.community)
    hukou = Address(province=member.residence.province, city=member.residence.city, county=other.county,
                    street=other.street, community=other.community, detail="人民路1号")
    people = list(b.retirees)
    people[i] = member.model_copy(update={"hukou": hukou, "chosen_destination": other})
    return b, profile, people[i], home, other, people


def _cells(path) -> list[list[str]]:
    return [[c.text for c in row.cells] for t in Document(str(path)).tables for row in t.rows]


@pytest.mark.parametrize("region", ["xianning", "jieyang"])
def test_member_goes_to_the_party_organisation_where_they_live(region, tmp_path):
    b, profile, member, home, managed, people = _split_member(region)
    assert profile.party.goes_to == "residence"
    m = generate_bundle(b.enterprise, people, profile, tmp_path, pdf=False, per_person=False, today=TODAY)
    rows = [r for r in _cells(tmp_path / m.by_type("party_transfer_roster", "docx")[0].path) if member.id_number in r]
    assert len(rows) == 1
    assert f"{home.street}{home.community}党组织" in rows[0]
    assert not any(f"{managed.community}党组织" in c for c in rows[0])
    assert any(f"管理服务社区：{managed.street}{managed.community}" in c for c in rows[0])


def test_xianning_letter_addressed_and_filed_where_the_member_lives(tmp_path):
    b, profile, member, home, managed, people = _split_member("xianning")
    m = generate_bundle(b.enterprise, people, profile, tmp_path, per_person=False, text_pdf=False, today=TODAY)
    (entry,) = [e for e in m.by_type("party_letter", "pdf")
                if any(member.name in p for p in pdftotext_pages(tmp_path / e.path))]
    assert entry.community == home.label  # batched with the receiving party organisation's letters
    page = next("".join(p.split()) for p in pdftotext_pages(tmp_path / entry.path) if member.name in p)
    assert page.count(f"{home.street}{home.community}党组织") >= 2  # addressed to it, and 转入党组织
    assert f"{managed.community}党组织" not in page


def test_henan_member_stays_with_the_managing_community(tmp_path):
    b, profile, member, home, managed, people = _split_member("henan-zhengzhou")
    assert profile.party.goes_to == "management_community"
    m = generate_bundle(b.enterprise, people, profile, tmp_path, pdf=False, per_person=False, today=TODAY)
    rows = [r for r in _cells(tmp_path / m.by_type("party_transfer_roster", "docx")[0].path) if member.id_number in r]
    assert f"{managed.street}{managed.community}党组织" in rows[0]


def test_dues_and_letter_numbers_from_the_roster(tmp_path):
    b, profile, member, home, _, people = _split_member("xianning")
    members = [r for r in people if r.party_member]
    given = {members[0].id_number: "咸退-2026-017"}
    people = [r.model_copy(update={"party_dues_paid_to": dt.date(2026, 11, 1),
                                   "party_letter_no": given.get(r.id_number, "")}) if r.party_member else r
              for r in people]
    path = write_xlsx(tmp_path / "roster.xlsx", people, b.enterprise)  # through the roster, as a user does
    read = load_roster(path, today=TODAY)
    assert not read.errors
    by_id = {r.id_number: r for r in read.retirees}
    assert by_id[members[0].id_number].party_letter_no == "咸退-2026-017"
    assert all(by_id[r.id_number].party_dues_paid_to == dt.date(2026, 11, 1) for r in members)

    m = generate_bundle(b.enterprise, read.retirees, profile, tmp_path / "out", per_person=False,
                        text_pdf=False, today=TODAY)
    assert not any("党费缴至年月" in w for w in m.warnings)
    rows = [r for r in _cells(tmp_path / "out" / m.by_type("party_transfer_roster", "docx")[0].path)
            if any(r2.id_number in r for r2 in members)]
    assert len(rows) == len(members) and all("2026年11月" in r for r in rows)
    numbers = {next(c for c in r if c.startswith(("2026-", "咸退"))) for r in rows}
    assert "咸退-2026-017" in numbers and len(numbers) == len(members)  # the rest numbered, no repeats
    text = "".join("".join(p.split()) for e in m.by_type("party_letter", "pdf")
                   for p in pdftotext_pages(tmp_path / "out" / e.path))
    assert text.count("党费缴至2026年11月") == len(members) and "编号：咸退-2026-017" in text


def test_blank_dues_are_a_warning(tmp_path):
    b = make_batch("jieyang", 20, communities=2, seed=11)
    m = generate_bundle(b.enterprise, b.retirees, load_profile("jieyang"), tmp_path, pdf=False,
                        per_person=False, today=TODAY)
    unpaid = sum(r.party_member and r.party_dues_paid_to is None for r in b.retirees)
    assert unpaid and any(f"{unpaid}名党员的党费缴至年月" in w and "介绍信" not in w for w in m.warnings)
