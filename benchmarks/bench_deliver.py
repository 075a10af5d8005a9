"""``handover deliver`` → ``handover check-package`` → ``handover receive``: throughput and peak memory.

For each N of ``--volumes`` (repeatable): publishes N sample volumes (``tests.support.sample_volume``,
made PDF/A with a text layer by ``tests.support.scanned_volume``) into a throw-away archive A,
delivers them, runs the 四性检测 on the package, and receives it into a fresh archive B (its own data
folder and SQLite database; receive runs the 四性检测 again before importing). Each stage runs in a
child process whose peak RSS is read from ``resource.getrusage``: memory should stay flat as N grows
(everything is streamed but the catalogue records and the file list).

The sample's page images are small (the per-volume and per-file costs, not JPEG decoding); a
volume has ~8.5 pages unless ``--pages-per-volume P`` (12 materials of P/12 pages: 60 for the
issue's 1,000 volumes = 60,000 pages). ``--real-pages DIR`` gives every page one of the JPEGs in
DIR in turn, as they are (e.g. ``handover sample scans --dossiers 1 --out DIR``: 300 dpi A4 colour
scans of ~1 MB): the cost of decoding real pages in the checks — and ~1 MB per page in each of
archive A, the package and archive B.

    .venv/bin/python benchmarks/bench_deliver.py [--volumes 100 [--volumes 400]] [--work DIR]
        [--pages-per-volume 60] [--real-pages DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
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


def publish(data: Path, n: int, pages_per_volume: int | None = None, real_pages: list[Path] | None = None) -> None:
    from archive_store.publish import publish_volume
    from handover import config, idnumber
    from handover.models import Destination
    from tests.support.sample_volume import SamplePerson, write_sample_volume
    from handover import volume_folder as vf
    from tests.support.scanned_volume import make_scanned

    os.environ["HANDOVER_DATA_DIR"] = str(data)
    config.settings.cache_clear()
    dest = Destination(**PLACE)
    for i in range(n):
        birth = dt.date(1945 + i % 20, 1 + i % 12, 1 + i % 28)
        # birth dates repeat every 420 volumes: the sequence number keeps the ID numbers apart
        person = SamplePerson(idnumber.make("410105", birth, 2 * (i // 420) + 1), f"样例{i}")
        if pages_per_volume:
            per = max(1, pages_per_volume // 12)
            root = write_sample_volume(data.parent / "src" / f"v{i:05d}", person, seed=i, materials=12,
                                       pages_per_material=(per, per))
        else:
            root = write_sample_volume(data.parent / "src" / f"v{i:05d}", person, seed=i, materials=5)
        if real_pages:
            for k, page in enumerate(sorted((root / vf.PAGES).iterdir())):
                shutil.copyfile(real_pages[(i + k) % len(real_pages)], page)
        make_scanned(root, f"样例{i}人事档案", reencode=not real_pages)
        publish_volume(None, root, dest, PROFILE, "bench")
        shutil.rmtree(root)  # archive A holds it now: the disk holds three copies, not four


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
    ap.add_argument("--pages-per-volume", type=int, default=None, help="pages per volume (default: ~8.5)")
    ap.add_argument("--real-pages", type=Path, default=None, help="a folder of real page scans (JPEG)")
    args = ap.parse_args()
    real = sorted(args.real_pages.rglob("*.jpg")) if args.real_pages else None
    if args.real_pages and not real:
        ap.error(f"{args.real_pages} 中没有 JPEG 图像")
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-deliver-"))
    for n in args.volumes or [25]:
        base = work / f"n{n}"
        start = time.perf_counter()
        publish(base / "archive-a", n, args.pages_per_volume, real)
        print(f"published {n} volumes in {time.perf_counter() - start:.1f} s", flush=True)
        pkg = base / "pkg"
        stages = (("deliver", COMMUNITY, base / "archive-a"), ("check-package", "", base / "archive-a"),
                  ("receive", PROFILE, base / "archive-b"))
        for name, arg, data in stages:
            r = child(name.split("-")[0], arg, pkg, data)
            if name == "deliver":
                size = sum(f.stat().st_size for f in pkg.rglob("*") if f.is_file())
                print(f"package: {size / 2**30:.2f} GiB", flush=True)
            s = r["seconds"]
            print(f"{n:5d} volumes {name:13s} {s:7.1f} s  {r['volumes'] / s:6.2f} volumes/s  "
                  f"{r['pages'] / s:7.1f} pages/s  peak {r['peak_mb']:5.0f} MB  ({r['pages']} pages, ok: {r['ok']})",
                  flush=True)


if __name__ == "__main__":
    main()
