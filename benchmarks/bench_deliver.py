"""``handover deliver`` and ``handover check-package``: seconds and peak memory at two package sizes.

Publishes N and 4·N sample volumes (``tests.support.sample_volume``, made PDF/A by
``tests.support.scanned_volume``; small page images, so the figures show the per-volume and
per-file costs, not JPEG decoding) into a throw-away data folder, then delivers each community and
runs the 四性检测 on the package, each in a child process whose peak RSS is read from
``resource.getrusage``. Memory should stay flat as N grows: everything is streamed but the
catalogue records and the file list.

    .venv/bin/python benchmarks/bench_deliver.py [--volumes 25] [--work DIR]
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

PLACES = {"纬五路社区": {"county": "金水区", "street": "经八路街道", "community": "纬五路社区"},
          "五里堡社区": {"county": "二七区", "street": "五里堡街道", "community": "五里堡社区"}}

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from handover.config import settings
what, arg, out = sys.argv[1], sys.argv[2], Path(sys.argv[3])
t = time.perf_counter()
if what == "deliver":
    from archive_store.deliver import deliver
    result = deliver(settings(), out, community=arg, actor="bench")
    ok, files = result.report.ok, result.files
else:
    from archive_store.four_checks import check_package
    report = check_package(out)
    ok, files = report.ok, report.totals["all_files"]
print(json.dumps({"seconds": time.perf_counter() - t, "ok": ok, "files": files,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def publish(data: Path, community: str, n: int) -> None:
    from archive_store.publish import publish_volume
    from handover import config, idnumber
    from handover.models import Destination
    from tests.support.sample_volume import SamplePerson, write_sample_volume
    from tests.support.scanned_volume import make_scanned

    os.environ["HANDOVER_DATA_DIR"] = str(data)
    config.settings.cache_clear()
    dest = Destination(**PLACES[community])
    for i in range(n):
        birth = dt.date(1945 + i % 20, 1 + i % 12, 1 + i % 28)
        person = SamplePerson(idnumber.make("410105", birth, 2 * (i + 1) + (0 if community.startswith("纬") else 500)),
                              f"样例{i}")
        root = write_sample_volume(data.parent / "src" / community / f"v{i:05d}", person, seed=i, materials=5)
        make_scanned(root, f"样例{i}人事档案")
        publish_volume(None, root, dest, "henan-zhengzhou", "bench")


def child(what: str, community: str, out: Path, data: Path) -> dict:
    env = {**os.environ, "HANDOVER_DATA_DIR": str(data), "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, "-c", CHILD, what, community, str(out)], env=env, capture_output=True,
                         text=True, check=True)
    return json.loads(run.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--volumes", type=int, default=25)
    ap.add_argument("--work", type=Path, default=None)
    args = ap.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-deliver-"))
    data = work / "data"
    sizes = {"纬五路社区": args.volumes, "五里堡社区": 4 * args.volumes}
    for community, n in sizes.items():
        start = time.perf_counter()
        publish(data, community, n)
        print(f"published {n} volumes to {community} in {time.perf_counter() - start:.1f} s")
    for community, n in sizes.items():
        out = work / f"pkg-{n}"
        d = child("deliver", community, out, data)
        c = child("check", community, out, data)
        print(f"{n:5d} volumes: deliver {d['seconds']:6.1f} s ({d['seconds'] / n * 1000:.0f} ms/volume), "
              f"peak {d['peak_mb']:.0f} MB, checks passed: {d['ok']}; check-package {c['seconds']:6.1f} s "
              f"({c['seconds'] / n * 1000:.0f} ms/volume), peak {c['peak_mb']:.0f} MB; {c['files']} files")


if __name__ == "__main__":
    main()
