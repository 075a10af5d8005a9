"""Distributed digitization throughput: pages per minute with 1 and with 2 worker processes.

A throw-away Redis on 127.0.0.1 and real ``celery -A workers.app worker`` processes (one pool
process each, one OCR thread each) digitize, check and publish the same generated batch, each run
with its own data folder. The clock runs from ``python -m workers ingest`` to the last dossier
published, so it includes loading the OCR model in each worker, assembling the volumes, the
completeness check and publishing. The ratio is 2-worker over 1-worker throughput (ideal: 2.0 on
an idle machine with at least two cores).

    .venv/bin/python benchmarks/bench_workers.py [--dossiers 4] [--materials 3] [--repeat 1]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

REGION = "henan-zhengzhou"
MATERIALS = ("职工登记表", "自传", "招工审批表", "企业职工退休审批表", "基本养老金核定表")


def make_scans(root: Path, dossiers: int, materials: int, seed: int) -> tuple[Path, int]:
    from ocr.sample_scans import SampleOptions, generate

    opts = SampleOptions(materials=MATERIALS[:materials], blank_backs=False, rotations=False, duplicates=False)
    made = generate(root / "scans", dossiers=dossiers, seed=seed, options=opts)
    batch = root / "batch"
    batch.mkdir()
    lines = ["公民身份号码,姓名,接收区县,接收街道,接收社区"]
    for d in made:
        shutil.copytree(d.path, batch / d.truth["id_number"])
        lines.append(f"{d.truth['id_number']},{d.truth['name']},金水区,经八路街道,经七路社区")
    (batch / "manifest.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return batch, sum(len(d.truth["pages"]) for d in made)


def run(redis, db: int, workers: int, batch_src: Path, root: Path) -> tuple[float, int, int]:
    from handover.config import Settings
    from tests.support.local_cluster import WorkerProcess
    from workers.status import batch_status

    run_dir = root / f"run-{workers}"
    run_dir.parent.mkdir(parents=True, exist_ok=True)
    batch = run_dir / "batch"
    shutil.copytree(batch_src, batch)
    env = {"HANDOVER_DATA_DIR": str(run_dir / "data"), "HANDOVER_BROKER": redis.url(db), "HANDOVER_JOBS": "1"}
    cfg = Settings(data_dir=run_dir / "data", broker=redis.url(db))
    procs = [WorkerProcess(f"bench{i}", env, run_dir / f"bench{i}.log", cwd=run_dir).start() for i in range(workers)]
    try:
        for p in procs:
            p.wait_ready()
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "workers", "ingest", str(batch), "--profile", REGION],
                       env={**os.environ, **env}, cwd=run_dir, check=True, capture_output=True)
        while True:
            data = batch_status(None, cfg)
            if data and data[-1]["done"]:
                break
            time.sleep(0.25)
        elapsed = time.perf_counter() - start
        b = data[-1]
        return elapsed, b["pages_done"], b["published"]
    finally:
        for p in procs:
            p.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=4)
    parser.add_argument("--materials", type=int, default=3, help="materials (pages) per dossier, 1–5")
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument("--repeat", type=int, default=1, help="rounds of (1 worker, 2 workers); medians")
    args = parser.parse_args()
    from tests.support.local_cluster import RedisServer

    root = Path(tempfile.mkdtemp(prefix="bench-workers-"))
    try:
        batch, pages = make_scans(root, args.dossiers, max(1, min(5, args.materials)), args.seed)
        print(f"batch: {args.dossiers} dossiers, {pages} pages (300 dpi JPEG, RapidOCR, one thread per worker)")
        print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start")
        rates: dict[int, list[float]] = {1: [], 2: []}
        with RedisServer(root / "redis") as redis:
            db = 0
            for round_ in range(1, args.repeat + 1):  # interleaved, so load changes hit both alike
                for n in (1, 2):
                    db += 1
                    elapsed, done, published = run(redis, db % 16, n, batch, root / f"r{round_}")
                    rates[n].append(done / elapsed * 60)
                    print(f"{n} worker process{'es' if n > 1 else ''}: {done} pages, {published}/{args.dossiers} "
                          f"volumes published in {elapsed:.1f} s → {rates[n][-1]:.1f} pages/min "
                          f"(load average {os.getloadavg()[0]:.1f})")
        one, two = statistics.median(rates[1]), statistics.median(rates[2])
        label = "median " if args.repeat > 1 else ""
        print(f"{label}1 worker: {one:.1f} pages/min, 2 workers: {two:.1f} pages/min")
        print(f"scaling 2 workers / 1 worker: {two / one:.2f}× (ideal 2.00×; other load on the machine skews it)")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
