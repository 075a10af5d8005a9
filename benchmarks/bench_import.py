"""Import a 100,000-row roster: rows/second and peak memory, for .xlsx and GB18030 .csv.

Each import runs in a fresh child process (its own data folder) so its peak RSS is its own.
For scale, the same .xlsx is also read row by row with openpyxl's read-only mode, the usual way
to stream a workbook in Python, and the ratio is printed.

    .venv/bin/python benchmarks/bench_import.py [--rows 100000]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _import_child(path: str, data_dir: str, enterprise_json: str, invented: list, queue) -> None:
    os.environ["HANDOVER_DATA_DIR"] = data_dir
    from handover.communities import CONFIRMED, decide
    from handover.db import session_scope
    from handover.models import Enterprise
    from handover.registry import add_enterprise
    from handover.roster.importer import import_roster

    enterprise = Enterprise.model_validate_json(enterprise_json)
    with session_scope() as s:
        add_enterprise(s, enterprise, "henan-zhengzhou")
        for county, street, name in invented:  # 50 communities: more than the gazetteer lists
            decide(s, county, street, name, CONFIRMED, "bench")
    start = time.perf_counter()
    with session_scope() as s:
        report = import_roster(s, Path(path), enterprise.name)
    elapsed = time.perf_counter() - start
    queue.put((elapsed, report.rows_imported, len(report.errors), peak_rss_mb()))


def peak_rss_mb() -> float:
    """This process's own high-water mark (ru_maxrss would carry the parent's over fork+exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _openpyxl_child(path: str, queue) -> None:
    from openpyxl import load_workbook

    start = time.perf_counter()
    wb = load_workbook(path, read_only=True, data_only=True)
    n = sum(1 for _ in wb.active.iter_rows(values_only=True))
    queue.put((time.perf_counter() - start, n))


def run_child(target, *args):
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=target, args=(*args, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    from handover.roster.writer import write_csv, write_xlsx
    from handover.sample import invented_communities, make_batch

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t = time.perf_counter()
        batch = make_batch("henan-zhengzhou", args.rows, communities=50, seed=100)
        xlsx = write_xlsx(tmp / "roster.xlsx", batch.retirees, batch.enterprise)
        csv = write_csv(tmp / "roster.csv", batch.retirees, "gb18030")
        print(f"generated {args.rows:,} retirees in {time.perf_counter() - t:.1f} s "
              f"(xlsx {xlsx.stat().st_size / 1e6:.1f} MB, csv {csv.stat().st_size / 1e6:.1f} MB)")
        ent = batch.enterprise.model_dump_json()
        invented = sorted(invented_communities(batch.retirees))
        results = {}
        for label, path in (("xlsx", xlsx), ("csv gb18030", csv)):
            elapsed, rows, errors, rss = run_child(_import_child, str(path), str(tmp / label.split()[0]), ent,
                                                  invented)
            assert rows == args.rows and errors == 0, (rows, errors)
            results[label] = elapsed
            print(f"import {label:12s}: {rows:,} rows in {elapsed:6.1f} s = {rows / elapsed:8,.0f} rows/s, "
                  f"peak memory {rss:,.0f} MB")
        peer, n = run_child(_openpyxl_child, str(xlsx))
        print(f"peer: openpyxl read-only, reading the xlsx alone (no validation, no database): {peer:.1f} s "
              f"for {n:,} rows; handover's full xlsx import takes {results['xlsx'] / peer:.2f}x that time")


if __name__ == "__main__":
    main()
