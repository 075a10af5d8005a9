"""Precision and recall of the completeness checker over generated, OCR'd personnel files.

Builds ≥ 50 dossiers with ``ocr.sample_scans`` (some clean, others missing required materials,
missing a page, with a page scanned twice, another person's form or an unreadable page),
digitizes each with the real pipeline, checks it with ``completeness.check.check_volume`` and
compares the findings with the generator's ground truth (``completeness.evaluation``). Prints
per-code precision/recall, the overall figures, outcome accuracy and the seconds spent.

    .venv/bin/python benchmarks/bench_check.py [--dossiers 50] [--work DIR] [--jobs 2]

Scans and digitized volumes are kept under --work; a later run resumes where one stopped
(delete the folder to start over; --existing-only scores what is there).
OCR takes seconds per page: expect about half an hour for 50 dossiers on two cores.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from handover.policy import load_profile  # noqa: E402
from handover.sample import make_batch  # noqa: E402
from ocr.pipeline import digitize  # noqa: E402
from ocr.sample_scans import DossierFaults, SampleOptions, generate  # noqa: E402

from completeness.check import check_volume  # noqa: E402
from completeness.evaluation import Score, expected_findings, expected_outcome  # noqa: E402

REGION = "henan-zhengzhou"
DROP = ("基本养老金核定表", "招工审批表", "职工转正定级审批表", "企业职工退休审批表", "入党志愿书", "职工登记表")
FOREIGN = ("企业职工退休审批表", "职工登记表", "招工审批表", "基本养老金核定表")


def plan_a(n: int) -> dict[int, DossierFaults]:
    """Default scanning effects (blank backs, turned pages, a rescan) with one fault family each."""
    out = {}
    for i in range(n):
        kind, k = i % 6, i // 6
        if kind == 1:
            out[i] = DossierFaults(drop_materials=(DROP[k % len(DROP)],))
        elif kind == 2:
            out[i] = DossierFaults(repeat_pages=(1 + 2 * (k % 3),))
        elif kind == 3:
            out[i] = DossierFaults(foreign_form=FOREIGN[k % len(FOREIGN)])
        elif kind == 4:
            out[i] = DossierFaults(unreadable_page=2 + k % 4)
        elif kind == 5:
            out[i] = (DossierFaults(drop_materials=(DROP[k % 4],), unreadable_page=3) if k % 2 == 0
                      else DossierFaults(foreign_form=FOREIGN[k % 4], repeat_pages=(1,)))
    return out


def plan_b(n: int) -> dict[int, DossierFaults]:
    """No blank backs, so every planned position is a content page: drop one (or two) of them."""
    out = {}
    for i in range(n):
        drops = (2,) if i % 3 == 0 else (4,) if i % 3 == 1 else (2, 5)
        out[i] = DossierFaults(drop_pages=drops)
    return out


def build(work: Path, group: str, n: int, seed: int, options: SampleOptions, faults: dict[int, DossierFaults],
          jobs: int, dropped: bool, timings: dict, existing_only: bool = False) -> list[tuple[str, dict, Path, int]]:
    """Generate (once) and digitize (resuming where a previous run stopped) one group of dossiers."""
    gdir = work / group
    ids = [r.id_number for r in make_batch(REGION, max(n, 2), seed=seed).retirees[:n]]
    if not existing_only and not all((gdir / "scans" / f"{i}.json").exists() for i in ids):
        t = time.perf_counter()
        generate(gdir / "scans", dossiers=n, seed=seed, options=options, faults=faults)
        timings["generate"] += time.perf_counter() - t
    items = []
    for i, id_number in enumerate(ids):
        truth_path = gdir / "scans" / f"{id_number}.json"
        out = gdir / "volumes" / f"{i:03d}"
        if not truth_path.exists():
            continue
        truth = json.loads(truth_path.read_text(encoding="utf-8"))
        if not (out / "volume.json").exists():
            if existing_only:
                continue
            source = gdir / "scans" / id_number
            t = time.perf_counter()
            digitize(source, id_number, out, engine="rapidocr", jobs=jobs, name=truth["name"])
            timings["ocr"] += time.perf_counter() - t
            timings["pages"] += len(truth["pages"])
            print(f"  {group}{i:03d}: {len(truth['pages'])} 幅, {time.perf_counter() - t:.1f} s", flush=True)
        drop = len(truth["faults"]["drop_pages"]) if dropped else 0
        items.append((f"{group}{i:03d}", truth, out, drop))
    return items


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dossiers", type=int, default=50)
    ap.add_argument("--work", type=Path, default=Path("/tmp/handover-bench-check"))
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0, help="shift the generator's seeds (a held-out set)")
    ap.add_argument("--verbose", action="store_true", help="list every false alarm and miss")
    ap.add_argument("--existing-only", action="store_true",
                    help="score only the volumes already digitized under --work (no generation, no OCR)")
    args = ap.parse_args()
    n_b = max(1, round(args.dossiers * 0.28))
    n_a = max(1, args.dossiers - n_b)
    profile = load_profile(REGION)
    timings = {"generate": 0.0, "ocr": 0.0, "check": 0.0, "pages": 0}
    start = time.perf_counter()
    seed_a, seed_b = 101 + 1000 * args.seed, 202 + 1000 * args.seed
    items = build(args.work, "a", n_a, seed_a, SampleOptions(wage_changes=1), plan_a(n_a), args.jobs, False,
                  timings, args.existing_only)
    items += build(args.work, "b", n_b, seed_b, SampleOptions(wage_changes=1, blank_backs=False), plan_b(n_b),
                   args.jobs, True, timings, args.existing_only)
    score = Score()
    outcomes_right = 0
    for label, truth, volume, dropped in items:
        declared = sum(1 for p in truth["pages"] if p["page_no"]) + dropped
        expected = expected_findings(truth, profile, dropped)
        t = time.perf_counter()
        report = check_volume(volume, None, profile, declared)
        timings["check"] += time.perf_counter() - t
        score.add(label, expected, report.findings)
        outcomes_right += report.outcome == expected_outcome(expected)
    total = time.perf_counter() - start

    print(f"\n完整性检查基准：{len(items)} 份档案（{REGION}），期望发现 {sum(score.tp.values()) + sum(score.fn.values())} 项")
    print(f"{'code':28s} {'TP':>4s} {'FP':>4s} {'FN':>4s} {'precision':>10s} {'recall':>8s}")
    for code in score.codes():
        print(f"{code:28s} {score.tp[code]:4d} {score.fp[code]:4d} {score.fn[code]:4d} "
              f"{score.precision(code):10.3f} {score.recall(code):8.3f}")
    print(f"{'OVERALL':28s} {sum(score.tp.values()):4d} {sum(score.fp.values()):4d} {sum(score.fn.values()):4d} "
          f"{score.precision():10.3f} {score.recall():8.3f}")
    if score.notes:
        print("not scored (cataloguing notes): " + ", ".join(f"{c} {n}" for c, n in sorted(score.notes.items())))
    print(f"outcome accuracy: {outcomes_right}/{len(items)} = {outcomes_right / len(items):.3f}")
    print(f"seconds: total {total:.1f}, generate {timings['generate']:.1f}, ocr {timings['ocr']:.1f} "
          f"({timings['pages']} images), check {timings['check']:.1f} "
          f"({timings['check'] / len(items):.2f} s/volume)")
    if args.verbose or score.false_alarms or score.misses:
        for label, f in score.false_alarms[:40]:
            print(f"  FP {label}: {f.code} page={f.page} material={f.material} {f.message_zh[:60]}")
        for label, e in score.misses[:40]:
            print(f"  FN {label}: {e.code} page={e.page} material={e.material}")


if __name__ == "__main__":
    main()
