"""Every list of the web front end at office scale: server time (p50/p95) and size of each page and
its API answer — the first page, a deep page and a filtered page — and the peak memory of the
streamed XLSX exports.

The archive is seeded once in a temporary data folder: an enterprise of 10,000 retirees over 50
communities (imported through the roster importer), 5,000 published volumes of them, 1,000
查阅/外借 requests, 20 intake batches with 600 held-back dossiers, 200 user accounts and 100,000
audit rows. Volumes, requests, dossiers and users are inserted as rows (no scans, no OCR); the
audit rows go through the ORM so that ``archive_store.audit_chain`` chains them as it chains every
row. Each URL is requested in-process (FastAPI TestClient: the time is the server's, no network),
signed in as the combined administrator (single-admin mode) or, for the 移交去向汇总, as the
enterprise's clerk. Each export's peak memory is the growth of the process's resident memory
while it runs (sampled every 20 ms), and for the 10,000-row summary also what tracemalloc sees
Python allocate; beside them the file's size.

    .venv/bin/python benchmarks/bench_web.py [--people 10000] [--volumes 5000] [--audit 100000] [--runs 20]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import hashlib
import io
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PASSWORD = "Passw0rd-基准"
LIMIT_MS, LIMIT_KB = 300, 300  # issue 20: every page under 300 ms (p95) and 300 KB


def seed(people: int, volumes: int, audit_rows: int) -> dict:
    """The seeded archive; returns what the URLs need (a place, a community id, a 档号, …)."""
    from sqlalchemy import select

    from archive_store.tables import PUBLISHED, AccessRequestRow, AuditRow, CommunityRow, VolumeRow
    from handover import clock
    from handover.communities import CONFIRMED, decide
    from handover.db import RetireeRow, session_scope
    from handover.registry import add_enterprise
    from handover.roster.importer import import_roster
    from handover.roster.writer import write_csv
    from handover.sample import invented_communities, make_batch
    from web.tables import UserRow
    from web.users import create_user
    from workers.tables import BatchRow, DossierRow

    rnd = random.Random(20)
    data = Path(os.environ["HANDOVER_DATA_DIR"])
    batch = make_batch("henan-zhengzhou", people, communities=50, seed=100)
    path = write_csv(data.parent / "roster.csv", batch.retirees, "utf-8")
    with session_scope() as s:
        ent = add_enterprise(s, batch.enterprise, "henan-zhengzhou")
        for county, street, name in sorted(invented_communities(batch.retirees)):
            decide(s, county, street, name, CONFIRMED, "bench")
        create_user(s, "admin", PASSWORD, "admin", display_name="管理员")
        create_user(s, "clerk", PASSWORD, "enterprise", display_name="经办人", enterprise_id=ent.id)
    t = time.perf_counter()
    with session_scope() as s:
        assert import_roster(s, path, batch.enterprise.name).rows_imported == people
    print(f"seeded: {people:,} retirees imported in {time.perf_counter() - t:.1f} s")

    t = time.perf_counter()
    now = clock.utcnow()
    with session_scope() as s:
        routed = list(s.execute(select(RetireeRow.id, RetireeRow.id_number, RetireeRow.name, RetireeRow.dest_county,
                                       RetireeRow.dest_street, RetireeRow.dest_community)
                                .where(RetireeRow.dest_county.is_not(None)).order_by(RetireeRow.id)))
        places = sorted({(r.dest_county, r.dest_street, r.dest_community) for r in routed})
        communities = {}
        for i, (county, street, name) in enumerate(places):
            row = CommunityRow(county=county, street=street, name=name, code=f"41{i:010d}")
            s.add(row)
            s.flush()
            communities[(county, street, name)] = row.id
        numbers: dict[int, int] = {}
        vols = []
        for r in routed[:volumes]:
            cid = communities[(r.dest_county, r.dest_street, r.dest_community)]
            numbers[cid] = numbers.get(cid, 0) + 1
            ref = f"Z001-{cid:03d}-{numbers[cid]:05d}"
            vols.append(VolumeRow(
                community_id=cid, volume_no=numbers[cid], ref_no=ref, fonds="Z001", status=PUBLISHED,
                prefix=f"volumes/{ref}", originals_sha256=hashlib.sha256(ref.encode()).hexdigest(),
                id_number=r.id_number, id_reversed=r.id_number[::-1], name=r.name,
                enterprise_name=batch.enterprise.name, retiree_id=r.id, engine="rapidocr",
                content_pages=rnd.randint(20, 90), materials=rnd.randint(8, 30),
                check_outcome=rnd.choice(("complete", "complete", "complete", "incomplete", "")),
                profile_region="henan-zhengzhou", created_by="bench",
                published_at=now - dt.timedelta(minutes=rnd.randint(0, 200 * 24 * 60))))
        s.add_all(vols)
        s.flush()
        for i in range(1000):
            v = vols[rnd.randrange(len(vols))]
            status = rnd.choice(("pending", "approved", "approved", "closed", "rejected"))
            s.add(AccessRequestRow(volume_id=v.id, kind=rnd.choice(("view", "loan")), requester=f"user{i % 200:03d}",
                                   organisation="某社区", reason="核实待遇", status=status,
                                   requested_at=now - dt.timedelta(days=rnd.randint(0, 120)),
                                   due_on=clock.today() + dt.timedelta(days=rnd.randint(-30, 30))))
        for i in range(200):
            s.add(UserRow(username=f"user{i:03d}", display_name=f"工作人员{i}", password_hash="-",
                          role="community_staff", community_id=list(communities.values())[i % len(communities)],
                          active=i % 10 != 0, last_login_at=now - dt.timedelta(hours=i)))
        batches = []
        for b in range(20):
            row = BatchRow(name=f"2026-第{b + 1}批", source_dir=f"/scan/{b}")
            s.add(row)
            s.flush()
            batches.append(row.id)
        stages = ("loading", "ocr", "checking", "publishing")
        for i, r in enumerate(routed[volumes:volumes + 1000]):
            held = i % 5 < 3
            stage = rnd.choice(stages)
            s.add(DossierRow(batch_id=batches[i % 20], entry=r.id_number, id_number=r.id_number,
                             name="" if i % 2 else r.name, source_path="/scan", source_sha256="0" * 64,
                             stage="quarantined" if held else "published",
                             quarantine_code="incomplete" if held else "",
                             quarantine_reason="完整性检查结论为退回。缺少退休审批表；第3页与第4页页号重复。" if held else "",
                             failures=[{"stage": stage, "reason": "退回"}] if held else [],
                             updated_at=now - dt.timedelta(minutes=i)))
    print(f"seeded: {volumes:,} volumes, 1,000 requests, 200 users, 1,000 dossiers in {time.perf_counter() - t:.1f} s")

    t = time.perf_counter()
    refs = [v.ref_no for v in vols]
    actions = (("view_page", 5), ("search", 2), ("login", 1), ("view_dossier", 2), ("download", 1), ("denied", 1))
    names = [a for a, w in actions for _ in range(w)]
    start = now - dt.timedelta(days=100)
    chunk = 5000
    for first in range(0, audit_rows, chunk):
        with session_scope() as s:  # the chain hook numbers and hashes the rows of each flush
            for i in range(first, min(first + chunk, audit_rows)):
                action = names[i % len(names)]
                ref = refs[rnd.randrange(len(refs))]
                target = {"view_page": f"{ref}/p{rnd.randint(1, 40)}", "view_dossier": ref, "download": ref,
                          "search": "退休审批", "login": "web", "denied": "/admin/users"}[action]
                s.add(AuditRow(at=start + dt.timedelta(seconds=i * 86), actor=f"user{rnd.randrange(200):03d}",
                               action=action, target=target, reason="", detail={"bench": True},
                               outcome="refused" if action == "denied" else "allowed"))
    print(f"seeded: {audit_rows:,} audit rows (hash-chained) in {time.perf_counter() - t:.1f} s")

    from handover import config
    from handover.db import engine_for

    engine_for(config.settings().db_url).dispose()
    mid = (start + dt.timedelta(days=50)).date()
    return {"place": places[0], "community": communities[places[0]], "ref": refs[len(refs) // 2],
            "batch": batches[3], "since": mid.isoformat(), "until": (mid + dt.timedelta(days=7)).isoformat(),
            "due_from": clock.today().isoformat()}


def lists(s: dict, people: int, volumes: int, audit_rows: int) -> list[tuple[str, str, str]]:
    """(who, list, url) for each list's page and API: first, deep and filtered."""
    county, street, community = s["place"]
    place = urlencode({"county": county, "street": street, "community": community})
    out = []
    for kind, page, api, deep, filtered in (
            ("移交去向汇总", "/roster/summary", "/api/roster/summary", f"offset={people - 50}", place),
            ("已入库案卷", "/catalogs", "/api/catalogs", f"offset={volumes - 50}",
             f"community={s['community']}&outcome=incomplete&sort=-published"),
            ("查阅外借申请", "/requests", "/api/requests", "offset=950",
             f"status=approved&due_from={s['due_from']}&sort=due"),
            ("待处理的档案", "/intake", "/api/intake/held", "offset=550", f"batch={s['batch']}&stage=checking"),
            ("用户", "/admin/users", "/api/users", "offset=150", "role=community_staff&active=1&sort=-last_login"),
    ):
        who = "clerk" if page == "/roster/summary" else "admin"
        for label, query in (("first", ""), ("deep", deep), ("filtered", filtered)):
            for url in (page, api):
                out.append((who, f"{kind} {label}", f"{url}?{query}" if query else url))
    audit_filter = urlencode({"since": s["since"], "until": s["until"], "subject": s["ref"]})
    for label, page_url, api_url in (
            ("first", "/admin/audit", "/api/audit?limit=100"),
            ("deep", f"/admin/audit?page={audit_rows // 200}", f"/api/audit?limit=100&offset={audit_rows // 2}"),
            ("filtered", f"/admin/audit?{audit_filter}", f"/api/audit?limit=100&{audit_filter}")):
        out += [("admin", f"审计日志 {label}", page_url), ("admin", f"审计日志 {label}", api_url)]
    return out


def measure(clients: dict, urls: list[tuple[str, str, str]], runs: int) -> list[tuple]:
    rows = []
    for who, label, url in urls:
        client = clients[who]
        headers = {"accept": "application/json" if url.startswith("/api/") else "text/html"}
        times, size = [], 0
        for _ in range(runs):
            t = time.perf_counter()
            r = client.get(url, headers=headers)
            times.append(time.perf_counter() - t)
            assert r.status_code == 200, (url, r.status_code, r.text[:300])
            size = len(r.content)
        times.sort()
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        rows.append((label, url, statistics.median(times) * 1000, p95 * 1000, size / 1024))
    return rows


class PeakRss:
    """The process's resident memory sampled every 20 ms while a request runs: its growth over
    the level before is what the request held at its peak (Python objects, lxml, SQLite's cache)."""

    def __init__(self) -> None:
        import psutil

        self.proc, self.peak, self.stop = psutil.Process(), 0, threading.Event()

    def __enter__(self):
        self.base = self.proc.memory_info().rss
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()
        return self

    def _watch(self) -> None:
        while not self.stop.wait(0.02):
            self.peak = max(self.peak, self.proc.memory_info().rss)

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join()
        self.peak = max(self.peak, self.proc.memory_info().rss)

    @property
    def growth(self) -> float:
        return (self.peak - self.base) / 2**20


def exports(clients: dict, s: dict, traced: bool) -> list[tuple]:
    """Each export's rows, time, peak memory and size; ``traced``: the summary's peak also as
    tracemalloc sees Python's allocations (slow: every allocation is recorded)."""
    from openpyxl import load_workbook

    out = []
    for who, url in (("clerk", "/roster/summary.xlsx"), ("admin", "/catalogs.xlsx"),
                     ("admin", f"/catalogs/{s['community']}.xlsx"), ("admin", "/admin/audit.xlsx")):
        gc.collect()
        with PeakRss() as rss:
            t = time.perf_counter()
            r = clients[who].get(url)
            took = time.perf_counter() - t
        assert r.status_code == 200, (url, r.text[:300])
        traced_peak = None
        if traced and url == "/roster/summary.xlsx":
            tracemalloc.start()
            clients[who].get(url)
            traced_peak = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
        heading = 1 if url == "/admin/audit.xlsx" else 2  # the audit sheet has no title row
        lines = sum(sum(1 for _ in ws.iter_rows()) - heading
                    for ws in load_workbook(io.BytesIO(r.content), read_only=True).worksheets)
        out.append((url, lines, took, rss.growth, traced_peak, len(r.content) / 2**20))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--volumes", type=int, default=5_000)
    parser.add_argument("--audit", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--no-trace", action="store_true", help="skip the tracemalloc run of the summary export")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.update(HANDOVER_DATA_DIR=str(Path(tmp) / "data"), HANDOVER_STORAGE="local",
                          HANDOVER_SECRET_KEY="bench-secret-key-for-web-lists")
        Path(tmp, "data").mkdir()
        seeded = seed(args.people, args.volumes, args.audit)
        from fastapi.testclient import TestClient

        from handover import config
        from web.app import create_app

        app = create_app(config.settings())
        clients = {}
        for who in ("admin", "clerk"):
            clients[who] = TestClient(app)
            r = clients[who].post("/api/session", json={"username": who, "password": PASSWORD})
            assert r.status_code == 200, r.text
        rows = measure(clients, lists(seeded, args.people, args.volumes, args.audit), args.runs)
        print(f"\n{'list':22s} {'url':72s} {'p50 ms':>7s} {'p95 ms':>7s} {'KB':>6s}")
        over = []
        for label, url, p50, p95, kb in rows:
            flag = " !" if p95 >= LIMIT_MS or kb >= LIMIT_KB else ""
            print(f"{label:22s} {url[:72]:72s} {p50:7.0f} {p95:7.0f} {kb:6.0f}{flag}")
            if flag:
                over.append(url)
        print(f"\n{len(rows) - len(over)} of {len(rows)} answers under {LIMIT_MS} ms (p95) and {LIMIT_KB} KB"
              + (f"; over: {', '.join(over)}" if over else ""))
        print(f"\n{'export':40s} {'rows':>7s} {'s':>6s} {'RSS+ MB':>8s} {'traced MB':>9s} {'file MB':>8s}")
        for url, lines, took, growth, traced, size in exports(clients, seeded, not args.no_trace):
            shown = f"{traced:9.1f}" if traced is not None else f"{'':9s}"
            print(f"{url:40s} {lines:7,d} {took:6.1f} {growth:8.1f} {shown} {size:8.1f}")


if __name__ == "__main__":
    main()
