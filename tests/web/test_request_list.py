"""The 查阅/外借 requests list: paged, filtered by status and 归还日期, sorted, filters kept in the
links; a requester sees only their own requests."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

from handover import clock

HTML = {"accept": "text/html"}


def _query(url: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def _file(api, volume_id: int, kind: str, days: int | None = None) -> int:
    body = {"kind": kind, "reason": "核对待遇"}
    if days is not None:
        body["due_on"] = (clock.today() + dt.timedelta(days=days)).isoformat()
    r = api.post(f"/api/dossiers/{volume_id}/requests", json=body)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_requests_are_paged_filtered_and_sorted(as_user, seed):
    comm_a, archivist = as_user("comm_a"), as_user("archivist")
    loans = [_file(comm_a, seed.volume_a, "loan", days) for days in (30, 10, 20)]
    views = [_file(comm_a, seed.volume_c, "view") for _ in range(2)]
    archivist.post(f"/api/requests/{views[0]}/approve", json={"note": "同意"})

    everything = archivist.get("/api/requests").json()
    assert everything["total"] == 5 and everything["next"] is None
    # The to-do first: pending requests, newest first, then the decided one.
    assert [r["id"] for r in everything["requests"]] == [views[1], *reversed(loans), views[0]]

    first = archivist.get("/api/requests", params={"status": "pending", "limit": 2}).json()
    assert first["total"] == 4 and len(first["requests"]) == 2
    assert _query(first["next"]) == {"status": "pending", "limit": "2", "offset": "2"}
    rest = archivist.get(first["next"]).json()["requests"]
    assert {r["id"] for r in first["requests"] + rest} == {views[1], *loans}

    soon = (clock.today() + dt.timedelta(days=15)).isoformat()
    due = archivist.get("/api/requests", params={"due_to": soon}).json()["requests"]
    assert [r["id"] for r in due] == [loans[1]]
    by_due = archivist.get("/api/requests", params={"due_from": clock.today().isoformat(), "sort": "-due"}).json()
    assert [r["id"] for r in by_due["requests"]] == [loans[0], loans[2], loans[1]]

    html = archivist.get("/requests", params={"status": "pending", "limit": 2, "sort": "requested"},
                         headers=HTML).text
    links = [unescape(h) for h in re.findall(r'href="(/requests\?[^"]*)"', html)]
    assert _query(next(h for h in links if "offset=2" in h)) == \
        {"status": "pending", "sort": "requested", "limit": "2", "offset": "2"}

    assert as_user("comm_b").get("/api/requests").json()["total"] == 0
    assert archivist.get("/api/requests?due_from=soon").status_code == 400
    assert archivist.get("/api/requests?status=lost").status_code == 400
