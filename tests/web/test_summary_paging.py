"""移交去向汇总 of a large enterprise: one page of people at a time, counts from the whole roster,
filters kept in every link, a stable order across pages, and only the enterprise's own people."""

from __future__ import annotations

import io
import re
from collections import Counter
from html import unescape
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from sqlalchemy import select

from handover.communities import CONFIRMED, decide
from handover.db import EnterpriseRow, RetireeRow, session_scope
from handover.idnumber import mask
from handover.roster.importer import import_roster
from handover.roster.writer import write_csv
from handover.sample import invented_communities, make_retirees

from .conftest import PROFILE

PEOPLE = 2500


@pytest.fixture
def big(seed, tmp_path):
    """Enterprise A with 2,500 retirees over 50 communities, one invented community left unconfirmed
    (its people held); the stored rows as the test's own record of the truth."""
    retirees = make_retirees(PROFILE, PEOPLE, communities=50, seed=77, enterprise=seed.batch_a.enterprise)
    path = write_csv(tmp_path / "big.csv", retirees, "utf-8")
    invented = sorted(invented_communities(retirees))
    with session_scope(seed.cfg) as s:
        for county, street, name in invented[1:]:
            decide(s, county, street, name, CONFIRMED, "test")
    with session_scope(seed.cfg) as s:
        assert import_roster(s, path, seed.batch_a.enterprise.name).committed
    with session_scope(seed.cfg) as s:
        ent = s.scalar(select(EnterpriseRow).where(EnterpriseRow.name == seed.batch_a.enterprise.name))
        rows = [(r.name, r.id_number, r.dest_county, r.dest_street, r.dest_community, r.party_member)
                for r in s.scalars(select(RetireeRow).where(RetireeRow.enterprise_id == ent.id))]
    assert len(rows) == PEOPLE
    return rows


def _query(url: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def test_the_summary_page_shows_one_page_of_people_and_counts_of_all(as_user, big):
    ent = as_user("ent_a")
    html = ent.get("/roster/summary").text
    people = html.split('id="summary-people"')[1].split("</table>")[0]
    assert people.count("<tr><td>") == 50
    assert "第 1–50 条，共 2500 条" in html
    assert re.search(r'rel="next" href="/roster/summary\?offset=50"', html)

    summary = ent.get("/api/roster/summary").json()
    assert summary["total"] == summary["imported"] == PEOPLE and len(summary["retirees"]) == 50
    assert summary["next"] == "/api/roster/summary?offset=50"
    routed = Counter((c, s, m) for _, _, c, s, m, _ in big if c)
    party = Counter((c, s, m) for _, _, c, s, m, p in big if c and p)
    assert {(c["county"], c["street"], c["community"]): (c["count"], c["party"]) for c in summary["communities"]} \
        == {k: (n, party[k]) for k, n in routed.items()}
    statuses = summary["statuses"]
    assert statuses["routed"] == sum(routed.values()) and statuses["held"] > 0
    assert sum(statuses.values()) == PEOPLE
    held = ent.get("/api/roster/summary?status=held&limit=200").json()
    assert held["total"] == statuses["held"] and all(p["status"] == "held" and not p["community"]
                                                     for p in held["retirees"])


def test_pages_follow_a_stable_order_without_repeats_and_only_the_enterprises_people(as_user, seed, big):
    ent = as_user("ent_a")
    seen, url = [], "/api/roster/summary?limit=200"
    while url:
        answer = ent.get(url).json()
        assert answer["total"] == PEOPLE and len(answer["retirees"]) <= 200
        seen += [(p["name"], p["id_number"]) for p in answer["retirees"]]
        url = answer["next"]
    assert len(seen) == len(set(seen)) == PEOPLE
    assert sorted(seen) == sorted((name, mask(number)) for name, number, *_ in big)
    others = {r.name for r in seed.batch_b.retirees} - {name for name, *_ in big}
    assert others and not others & {name for name, _ in seen}
    # Enterprise B's answer holds its own 8 people only.
    b = as_user("ent_b").get("/api/roster/summary?limit=200").json()
    assert b["total"] == b["imported"] == 8
    assert {(p["name"], p["id_number"]) for p in b["retirees"]} == \
        {(r.name, mask(r.id_number)) for r in seed.batch_b.retirees}


def test_a_community_filter_narrows_the_list_and_every_link_keeps_it(as_user, big):
    ent = as_user("ent_a")
    (county, street, community), count = Counter((c, s, m) for _, _, c, s, m, _ in big if c).most_common(1)[0]
    assert count > 50
    flt = {"county": county, "street": street, "community": community}
    answer = ent.get("/api/roster/summary", params=flt).json()
    assert answer["total"] == count and answer["filters"] == flt
    assert all((p["county"], p["street"], p["community"]) == (county, street, community) for p in answer["retirees"])
    assert _query(answer["next"]) == {**flt, "offset": "50"}
    second = ent.get(answer["next"]).json()
    assert second["total"] == count and second["offset"] == 50
    assert all(p["community"] == community for p in second["retirees"])

    html = ent.get("/roster/summary", params={**flt, "q": "", "sort": "name"}).text
    links = [unescape(h) for h in re.findall(r'href="(/roster/summary\?[^"]*)"', html)]
    nxt = next(h for h in links if "offset=50" in h)
    assert _query(nxt) == {**flt, "sort": "name", "offset": "50"}
    header = next(h for h in links if "sort=-name" in h)  # the name header turns the order round
    assert _query(header) == {**flt, "sort": "-name"}


def test_sorting_searching_and_refusals(as_user, big):
    ent = as_user("ent_a")
    by_name = ent.get("/api/roster/summary?sort=name&limit=200").json()["retirees"]
    assert [p["name"] for p in by_name] == sorted(n for n, *_ in big)[:200]
    latest = ent.get("/api/roster/summary?sort=-retired_on").json()["retirees"]
    dates = [p["retired_on"] for p in latest]
    assert dates == sorted(dates, reverse=True)
    surname = Counter(n[0] for n, *_ in big).most_common(1)[0][0]
    found = ent.get("/api/roster/summary", params={"q": surname, "limit": 200}).json()
    assert found["total"] == sum(surname in n for n, *_ in big)
    assert all(surname in p["name"] for p in found["retirees"])
    assert ent.get("/api/roster/summary?q=%25").json()["total"] == 0  # a wildcard is a character here
    assert ent.get("/api/roster/summary?sort=id_number").status_code == 400
    assert ent.get("/api/roster/summary?status=gone").status_code == 400
    assert len(ent.get("/api/roster/summary?limit=100000").json()["retirees"]) == 200


def _sheet(response) -> list[tuple]:
    from openpyxl import load_workbook

    assert response.status_code == 200, response.text
    wb = load_workbook(io.BytesIO(response.content))
    return list(wb.active.iter_rows(values_only=True))


def test_the_export_is_the_whole_filtered_list_in_the_pages_order(as_user, big):
    ent = as_user("ent_a")
    (county, street, community), count = Counter((c, s, m) for _, _, c, s, m, _ in big if c).most_common(1)[0]
    flt = {"county": county, "street": street, "community": community, "sort": "-name"}
    html = ent.get("/roster/summary", params=flt).text
    link = unescape(re.search(r'id="export-xlsx" href="([^"]+)"', html).group(1))
    assert link.startswith("/roster/summary.xlsx?") and _query(link) == flt  # no offset: every page
    lines = _sheet(ent.get(link))
    assert lines[0][0].endswith("移交去向汇总（人员明细）") and lines[1][:3] == ("姓名", "性别", "公民身份号码")
    listed, url = [], "/api/roster/summary?" + urlencode({**flt, "limit": 200})
    while url:
        answer = ent.get(url).json()
        listed += [(p["name"], p["id_number"]) for p in answer["retirees"]]
        url = answer["next"]
    assert [(line[0], line[2]) for line in lines[2:]] == listed and len(listed) == count
    assert all(line[4:7] == (county, street, community) for line in lines[2:])
    everyone = _sheet(ent.get("/roster/summary.xlsx"))
    assert len(everyone) - 2 == PEOPLE
    assert ent.get("/roster/summary.xlsx?status=gone").status_code == 400
