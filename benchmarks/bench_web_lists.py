"""The enterprise's 移交去向汇总 at office scale: server time and size of /roster/summary and
/api/roster/summary for an enterprise of 10,000 retirees over 50 communities.

The data folder is built once with this tree's code (roster imported through the importer). Each
code tree measured — this one, and with ``--before DIR`` an older checkout (e.g. a worktree of
integ, ``git worktree add /tmp/before integ``) — runs in a child process of its own over a copy of
that folder, signed in as the enterprise, and requests each URL in-process (FastAPI TestClient:
the time is the server's, with no network). The paged tree is also asked for a deep page, a
community's page and a name search.

    .venv/bin/python benchmarks/bench_web_lists.py [--people 10000] [--runs 5] [--before DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PASSWORD = "Passw0rd-基准"

_CHILD = r"""
import json, statistics, sys, time
from fastapi.testclient import TestClient
from handover import config
from web.app import create_app

urls, runs, password = json.loads(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
client = TestClient(create_app(config.settings()))
r = client.post("/api/session", json={"username": "bench", "password": password})
assert r.status_code == 200, r.text
out = {}
for url in urls:
    times, size = [], 0
    for _ in range(runs):
        t = time.perf_counter()
        resp = client.get(url, headers={"accept": "text/html"})
        times.append(time.perf_counter() - t)
        assert resp.status_code == 200, (url, resp.status_code, resp.text[:300])
        size = len(resp.content)
    out[url] = (statistics.median(times), max(times), size)
print(json.dumps(out))
"""


def build(data: Path, people: int) -> tuple[str, str]:
    """A data folder with one enterprise of ``people`` retirees; returns (enterprise name, a community)."""
    os.environ["HANDOVER_DATA_DIR"] = str(data)
    from handover.communities import CONFIRMED, decide
    from handover.db import RetireeRow, engine_for, session_scope
    from handover.registry import add_enterprise
    from handover.roster.importer import import_roster
    from handover.roster.writer import write_csv
    from handover.sample import invented_communities, make_batch
    from sqlalchemy import func, select
    from web.users import create_user

    batch = make_batch("henan-zhengzhou", people, communities=50, seed=100)
    path = write_csv(data.parent / "roster.csv", batch.retirees, "utf-8")
    with session_scope() as s:
        ent = add_enterprise(s, batch.enterprise, "henan-zhengzhou")
        for county, street, name in sorted(invented_communities(batch.retirees)):
            decide(s, county, street, name, CONFIRMED, "bench")
        create_user(s, "bench", PASSWORD, "enterprise", display_name="基准", enterprise_id=ent.id)
    t = time.perf_counter()
    with session_scope() as s:
        report = import_roster(s, path, batch.enterprise.name)
    assert report.rows_imported == people, report.rows_imported
    print(f"imported {people:,} retirees in {time.perf_counter() - t:.1f} s")
    with session_scope() as s:
        place = s.execute(select(RetireeRow.dest_county, RetireeRow.dest_street, RetireeRow.dest_community)
                          .where(RetireeRow.dest_county.is_not(None))
                          .group_by(RetireeRow.dest_county, RetireeRow.dest_street, RetireeRow.dest_community)
                          .order_by(func.count().desc()).limit(1)).one()
    from handover import config

    engine_for(config.settings().db_url).dispose()  # checkpoint the WAL before the folder is copied
    return batch.retirees[0].name[0], place


def measure(tree: Path, data: Path, urls: list[str], runs: int) -> dict:
    env = dict(os.environ, PYTHONPATH=str(tree), HANDOVER_DATA_DIR=str(data), HANDOVER_STORAGE="local",
               HANDOVER_SECRET_KEY="bench-secret-key-for-web-lists")
    out = subprocess.run([sys.executable, "-c", _CHILD, json.dumps(urls), str(runs), PASSWORD], cwd=tree, env=env,
                         capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"{tree}: {out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def show(label: str, results: dict) -> None:
    for url, (p50, worst, size) in results.items():
        print(f"{label:7s} {url:70.70s} p50 {p50 * 1000:7.0f} ms  max {worst * 1000:7.0f} ms  {size / 1024:8.0f} KB")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--before", type=Path, help="an older checkout to measure on the same data")
    args = parser.parse_args()
    from urllib.parse import urlencode

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        surname, (county, street, community) = build(tmp / "built" / "data", args.people)
        place = urlencode({"county": county, "street": street, "community": community})
        plain = ["/roster/summary", "/api/roster/summary"]
        paged = plain + [f"/roster/summary?offset={args.people // 2}", f"/roster/summary?{place}",
                         f"/roster/summary?{urlencode({'q': surname})}&sort=name",
                         f"/api/roster/summary?{place}&limit=200"]
        results = {}
        for label, tree, urls in (("before", args.before, plain), ("after", ROOT, paged)):
            if tree is None:
                print("before: not measured (no --before checkout given)")
                continue
            copy = tmp / label / "data"
            shutil.copytree(tmp / "built" / "data", copy)
            results[label] = measure(tree.resolve(), copy, urls, args.runs)
            show(label, results[label])
        if "before" in results:
            for url in plain:
                b, a = results["before"][url], results["after"][url]
                print(f"{url}: {b[0] / a[0]:.0f}x faster, {b[2] / a[2]:.0f}x smaller")


if __name__ == "__main__":
    main()
