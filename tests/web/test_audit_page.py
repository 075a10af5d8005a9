"""The audit page, its export and API: filters by date, 档号 or person, user, action and outcome,
kept in the URL, paged; reads allowed by a 查阅/外借 request cite it."""

from __future__ import annotations

import datetime as dt
import io

from openpyxl import load_workbook
from sqlalchemy import select

from archive_store import audit
from archive_store.tables import AuditRow
from handover.db import session_scope

from .conftest import days_logged

HTML = {"accept": "text/html"}


def _xlsx(response) -> list[tuple]:
    assert response.status_code == 200, response.text
    return list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))


def test_page_views_and_downloads_allowed_by_a_request_cite_it(as_user, seed):
    comm_a, archivist, admin = as_user("comm_a"), as_user("archivist"), as_user("admin")
    rid = comm_a.post(f"/api/dossiers/{seed.volume_a}/requests",
                      json={"kind": "view", "reason": "核实出生日期"}).json()["id"]
    archivist.post(f"/api/requests/{rid}/approve", json={"note": "同意"})
    assert comm_a.get(f"/dossiers/{seed.volume_a}/pages/1/image").status_code == 200
    assert comm_a.get(f"/dossiers/{seed.volume_a}/volume.pdf").status_code == 200
    assert archivist.get(f"/dossiers/{seed.volume_a}/pages/1/image").status_code == 200  # a custodian: no request
    with session_scope(seed.cfg) as s:
        reads = s.scalars(select(AuditRow).where(AuditRow.action.in_(("view_page", "download")))
                          .order_by(AuditRow.id)).all()
        cited = [(r.actor, r.action, r.reason, r.detail.get("request_id"), r.detail.get("request_kind"))
                 for r in reads]
    assert cited == [("comm_a", "view_page", "核实出生日期", rid, "view"),
                     ("comm_a", "download", "核实出生日期", rid, "view"),
                     ("archivist", "view_page", "", None, None)]
    html = admin.get("/admin/audit", params={"actor": "comm_a"}, headers=HTML).text
    assert f"查阅申请第 {rid} 号" in html and "核实出生日期" in html
    api = admin.get("/api/audit", params={"actor": "comm_a", "action": "download"}).json()["entries"]
    assert [(r["grounds"], r["reason"]) for r in api] == [(f"查阅申请第 {rid} 号", "核实出生日期")]
    lines = _xlsx(admin.get("/admin/audit.xlsx", params={"actor": "comm_a", "action": "view_page"}))
    assert lines[0] == ("时间", "用户", "操作", "结果", "对象", "事由", "依据", "详情")
    assert [line[6] for line in lines[1:]] == [f"查阅申请第 {rid} 号"]


def test_filters_by_outcome_person_actor_and_date(as_user, seed):
    archivist, comm_b, admin = as_user("archivist"), as_user("comm_b"), as_user("admin")
    ref_a = archivist.get(f"/api/dossiers/{seed.volume_a}").json()["ref_no"]
    ref_b = archivist.get(f"/api/dossiers/{seed.volume_b}").json()["ref_no"]
    assert comm_b.get("/api/dossiers/987654").status_code == 404  # a guessed id
    assert comm_b.get(f"/api/dossiers/{seed.volume_a}").status_code == 404  # another community's: refused
    as_user("comm_a").get("/api/search", params={"q": seed.person_a.id_number})

    def api(**params):
        r = admin.get("/api/audit", params=params | {"limit": 200})
        assert r.status_code == 200, r.text
        return r.json()["entries"]

    assert {(r["actor"], r["action"], r["target"]) for r in api(outcome="not_found")} == {
        ("comm_b", "not_found", "volume/987654")}
    refused = api(outcome="refused", actor="comm_b")
    assert [(r["action"], r["target"]) for r in refused] == [("denied", ref_a)]
    assert {r["outcome"] for r in api(outcome="allowed")} == {"allowed"}

    # A person by name, by ID number (stored masked) or by 档号: the rows about their volume.
    by_name = api(subject=seed.person_a.name)
    assert by_name and all(ref_a in r["target"] or "*" in r["target"] for r in by_name)
    assert not any(ref_b in r["target"] for r in by_name)
    by_number = api(subject=seed.person_a.id_number)
    assert {r["id"] for r in by_number} >= {r["id"] for r in by_name if r["target"].startswith(ref_a)}
    assert any(r["action"] == "search" for r in by_number)  # the query held the number, masked
    assert {r["target"] for r in api(subject=ref_b)} == {ref_b}

    # The days the rows were written on (two when the test runs across the office's midnight).
    first, last = days_logged(seed.cfg)
    assert api(since=first.isoformat(), until=last.isoformat())
    assert api(since=(last + dt.timedelta(days=1)).isoformat()) == []
    assert api(until=(first - dt.timedelta(days=1)).isoformat()) == []
    bad = admin.get("/api/audit", params={"since": "2026-13-01"})
    assert bad.status_code == 400 and "不是日期" in bad.json()["detail"]
    assert admin.get("/api/audit", params={"since": "2026-02-01", "until": "2026-01-01"}).status_code == 400

    # The export follows the same filters.
    lines = _xlsx(admin.get("/admin/audit.xlsx", params={"outcome": "not_found"}))
    assert [(line[1], line[3], line[4]) for line in lines[1:]] == [("comm_b", "对象不存在", "volume/987654")]


def test_the_page_is_paged_in_a_stable_order_and_keeps_its_filters_in_the_url(as_user, seed):
    with session_scope(seed.cfg) as s:
        for i in range(130):
            audit.record(s, "批量", "search", f"查询{i:03d}", "")
    admin = as_user("admin")
    first = admin.get("/admin/audit", params={"actor": "批量"}, headers=HTML).text
    assert "共 130 条，第 1 / 2 页" in first
    assert "page=2" in first and "actor=%E6%89%B9%E9%87%8F" in first  # the next page keeps the filter
    assert 'href="/admin/audit.xlsx?actor=%E6%89%B9%E9%87%8F"' in first
    second = admin.get("/admin/audit", params={"actor": "批量", "page": 2}, headers=HTML).text
    assert "第 2 / 2 页" in second
    shown = [f"查询{i:03d}" for i in range(130) if f"查询{i:03d}<" in first + second]
    assert len(shown) == 130  # every row once, across the two pages
    assert first.index("查询129") < first.index("查询100") and "查询029" in second and "查询029" not in first
    last = admin.get("/api/audit", params={"actor": "批量", "offset": 120, "limit": 50}).json()
    assert [r["target"] for r in last["entries"]] == [f"查询{i:03d}" for i in range(9, -1, -1)]
    assert last["total"] == 130 and last["next"] is None
    # The API's pages: a total, and the next page's address keeping the filter, until the end.
    url, targets = "/api/audit?actor=批量&limit=40", []
    while url:
        answer = admin.get(url).json()
        targets += [r["target"] for r in answer["entries"]]
        url = answer["next"]
        assert url is None or ("actor=" in url and "limit=40" in url)
    assert targets == [f"查询{i:03d}" for i in range(129, -1, -1)]
