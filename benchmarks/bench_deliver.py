"""``handover deliver`` → ``handover check-package`` → ``handover receive``: throughput and peak memory.

For each N of ``--volumes`` (repeatable): publishes N sample volumes (``tests.support.sample_volume``,
made PDF/A with a text layer by ``tests.support.scanned_volume``; small page images, so the figures
show the per-volume and per-file costs, not JPEG decoding) into a throw-away archive A, delivers
them, runs the 四性检测 on the package, and receives it into a fresh archive B (its own data folder
and SQLite database; receive runs the 四性检测 again before importing). Each stage runs in a child
process whose peak RSS is read from ``resource.getrusage``: memory should stay flat as N grows
(everything is streamed but the catalogue records and the file list).

    .venv/bin/python benchmarks/bench_deliver.py [--volumes 100 [--volumes 400]] [--work DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

COMMUNITY = "纬五路社区"
PLACE = {"county": "金水区", "street": "经八路街道", "community": COMMUNITY}
PROFILE = "henan-zhengzhou"

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from handover.config import settings
what, arg, out = sys.argv[1], sys.argv[2], Path(sys.argv[3])
t = time.perf_counter()
if what == "deliver":
    from archive_store.deliver import deliver
    result = deliver(settings(), out, community=arg, actor="bench")
    ok, volumes, pages = result.report.ok, result.volumes, result.images
elif what == "check":
    from archive_store.four_checks import check_package
    report = check_package(out)
    ok, volumes, pages = report.ok, report.totals["volumes"], report.totals["images"]
else:  # accepted 合格 first, untimed (its 四性检测 is the check-package stage's); then the import
    from archive_store import acceptance as acc
    from archive_store.receive import receive
    from handover.db import session_scope
    with session_scope(settings()) as s:
        aid = acc.start(s, settings(), out.name, "bench").id
    acc.run_checks(settings(), aid, "bench")
    with session_scope(settings()) as s:
        row = acc.get(s, aid)
        for ref_no in row.sample:
            for item in acc.ITEM_KEYS:
                acc.mark(s, row, ref_no, item, True, "", "bench")
        acc.conclude(s, row, "bench")
    t = time.perf_counter()
    result = receive(settings(), out, profile=arg, actor="bench")
    ok, volumes, pages = result.imported == result.volumes, result.imported, result.pages
print(json.dumps({"seconds": time.perf_counter() - t, "ok": ok, "volumes": volumes, "pages": pages,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def publish(data: Path, n: int) -> None:
    from archive_store.publish import publish_volume
    from handover import config, idnumber
    from handover.models import Destination
    from tests.support.sample_volume import SamplePerson, write_sample_volume
    from tests.support.scanned_volume import make_scanned

    os.environ["HANDOVER_DATA_DIR"] = str(data)
    config.settings.cache_clear()
    dest = Destination(**PLACE)
    for i in range(n):
        birth = dt.date(1945 + i % 20, 1 + i % 12, 1 + i % 28)
        # birth dates repeat every 420 volumes: the sequence number keeps the ID numbers apart
        person = SamplePerson(idnumber.make("410105", birth, 2 * (i // 420) + 1), f"样例{i}")
        root = write_sample_volume(data.parent / "src" / f"v{i:05d}", person, seed=i, materials=5)
        make_scanned(root, f"样例{i}人事档案")
        publish_volume(None, root, dest, PROFILE, "bench")


def child(what: str, arg: str, out: Path, data: Path) -> dict:
    env = {**os.environ, "HANDOVER_DATA_DIR": str(data), "HANDOVER_INCOMING_DIR": str(out.parent),
           "PYTHONPATH": str(ROOT)}
    env.pop("HANDOVER_DATABASE_URL", None)  # each archive its own SQLite database
    run = subprocess.run([sys.executable, "-c", CHILD, what, arg, str(out)], env=env, capture_output=True,
                         text=True, check=True)
    return json.loads(run.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--volumes", type=int, action="append", help="package size (repeat for several; default 25)")
    ap.add_argument("--work", type=Path, default=None)
    args = ap.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-deliver-"))
    for n in args.volumes or [25]:
        base = work / f"n{n}"
        start = time.perf_counter()
        publish(base / "archive-a", n)
        print(f"published {n} volumes in {time.perf_counter() - start:.1f} s", flush=True)
        pkg = base / "pkg"
        stages = (("deliver", COMMUNITY, base / "archive-a"), ("check-package", "", base / "archive-a"),
                  ("receive", PROFILE, base / "archive-b"))
        for name, arg, data in stages:
            r = child(name.split("-")[0], arg, pkg, data)
            s = r["seconds"]
            print(f"{n:5d} volumes {name:13s} {s:7.1f} s  {r['volumes'] / s:6.2f} volumes/s  "
                  f"{r['pages'] / s:7.1f} pages/s  peak {r['peak_mb']:5.0f} MB  ({r['pages']} pages, ok: {r['ok']})",
                  flush=True)


if __name__ == "__main__":
    main()
