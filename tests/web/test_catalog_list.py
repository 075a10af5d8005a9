"""The catalogs page's list of published volumes: paged, sorted and filtered in SQL, filters kept
in the links, and a community's staff never see another community's volumes."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

HTML = {"accept": "text/html"}


def _query(url: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def test_volumes_are_listed_within_scope_only(as_user, seed):
    everyone = as_user("archivist").get("/api/catalogs").json()
    assert everyone["total"] == 3 and {v["volume_id"] for v in everyone["volumes"]} == \
        {seed.volume_a, seed.volume_b, seed.volume_c}
    comm_a = as_user("comm_a")
    own = comm_a.get("/api/catalogs").json()
    assert own["total"] == 2 and {v["volume_id"] for v in own["volumes"]} == {seed.volume_a, seed.volume_c}
    # Asking for another community's volumes finds none, and the page does not name them.
    assert comm_a.get("/api/catalogs", params={"community": seed.community_b}).json()["volumes"] == []
    assert seed.person_b.name not in comm_a.get(f"/catalogs?community={seed.community_b}", headers=HTML).text
    assert as_user("ent_a").get("/api/catalogs").status_code == 403


def test_filters_sort_and_next_link(as_user, seed):
    staff = as_user("archivist")
    assert [v["volume_id"] for v in staff.get("/api/catalogs?outcome=incomplete").json()["volumes"]] == \
        [seed.volume_c]
    named = staff.get("/api/catalogs", params={"name": seed.person_b.name}).json()
    assert [v["volume_id"] for v in named["volumes"]] == [seed.volume_b]
    refs = sorted(v["ref_no"] for v in staff.get("/api/catalogs").json()["volumes"])
    ranged = staff.get("/api/catalogs", params={"ref_from": refs[1], "ref_to": refs[2]}).json()
    assert sorted(v["ref_no"] for v in ranged["volumes"]) == refs[1:]
    by_name = [v["name"] for v in staff.get("/api/catalogs?sort=-name").json()["volumes"]]
    assert by_name == sorted(by_name, reverse=True)
    tomorrow = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    assert staff.get("/api/catalogs", params={"since": tomorrow}).json()["total"] == 0
    assert staff.get("/api/catalogs", params={"until": tomorrow}).json()["total"] == 3

    flt = {"community": str(seed.community_a), "outcome": ""}
    first = staff.get("/api/catalogs", params={**flt, "limit": 1}).json()
    assert first["total"] == 2 and len(first["volumes"]) == 1
    assert _query(first["next"]) == {"community": str(seed.community_a), "limit": "1", "offset": "1"}
    second = staff.get(first["next"]).json()
    assert second["next"] is None and second["volumes"][0]["volume_id"] != first["volumes"][0]["volume_id"]
    html = staff.get("/catalogs", params={**flt, "limit": 1, "sort": "name"}, headers=HTML).text
    links = [unescape(h) for h in re.findall(r'href="(/catalogs\?[^"]*)"', html)]
    assert _query(next(h for h in links if "offset=1" in h)) == \
        {"community": str(seed.community_a), "sort": "name", "limit": "1", "offset": "1"}

    assert staff.get("/api/catalogs?since=yesterday").status_code == 400
    assert staff.get("/api/catalogs?outcome=perfect").status_code == 400
    assert staff.get("/api/catalogs?sort=id_number").status_code == 400


def test_the_export_is_the_filtered_list_within_scope(as_user, seed):
    import io

    from openpyxl import load_workbook

    def sheet(response) -> list[tuple]:
        assert response.status_code == 200, response.text
        return list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))

    staff, comm_a = as_user("archivist"), as_user("comm_a")
    html = staff.get("/catalogs", params={"outcome": "incomplete", "sort": "-name"}, headers=HTML).text
    link = unescape(re.search(r'id="export-xlsx" href="([^"]+)"', html).group(1))
    assert _query(link) == {"outcome": "incomplete", "sort": "-name"}
    lines = sheet(staff.get(link))
    incomplete = staff.get(f"/api/dossiers/{seed.volume_c}").json()["ref_no"]
    assert lines[1][0] == "档号" and [(line[0], line[6]) for line in lines[2:]] == [(incomplete, "不完整")]
    listed = [v["ref_no"] for v in staff.get("/api/catalogs?sort=-name").json()["volumes"]]
    assert [line[0] for line in sheet(staff.get("/catalogs.xlsx?sort=-name"))[2:]] == listed
    # community staff: their own community's volumes only, whatever the filter asks
    own = {v["ref_no"] for v in comm_a.get("/api/catalogs").json()["volumes"]}
    assert {line[0] for line in sheet(comm_a.get("/catalogs.xlsx"))[2:]} == own and len(own) == 2
    assert sheet(comm_a.get(f"/catalogs.xlsx?community={seed.community_b}"))[2:] == []
    assert as_user("ent_a").get("/catalogs.xlsx").status_code == 403
