"""Judgement on handwritten personnel files: this pipeline beside an earlier one, same scans, same run.

Builds ≥ 50 scanned files whose filled-in values are drawn in real handwriting faces
(``ocr.sample_scans``, ``hand="mixed"``), about a third with nothing planted and the rest with one
planted defect each (a required material missing, another person's form whose name differs by one
character, another person's form, an unreadable first page of a material, pencilled page numbers
missing, a page scanned twice). Each file is digitized and checked by this checkout and by the
baseline (a git revision, run from its own worktree in a subprocess), and both are scored against
the generator's truth:

- material boundaries: a material's first image starts a 卷内目录 row (recall), a row starts on a
  material's first image (precision);
- false 缺少必要材料 and false 他人材料 on files with nothing planted (each is a wrong statement
  to an enterprise);
- planted-defect recall: the planted defect reported at the right page or material;
- values crossed out and corrected (划改): pages with one that the 校对 queue asks about
  (recall), and how many of its 划改 items are on such a page (precision);
- handwriting CER: the OCR text of pages with handwritten values against their truth text;
- pages per minute of digitization (same machine, same run; the two sides run one after the other).

    .venv/bin/python benchmarks/bench_check.py [--dossiers 50] [--baseline 6d552dd|none] [--jobs 2]

Scans and volumes are kept under --work and a later run resumes where one stopped (delete a side's
folder to run it again). Expect about half an hour per side for 50 files on two cores.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from completeness.check import CheckReport  # noqa: E402
from handover import volume_folder  # noqa: E402
from tests.support.evaluation import Score, expected_findings  # noqa: E402
from handover.policy import load_profile  # noqa: E402
from ocr.boundary_score import score_boundaries  # noqa: E402
from ocr.sample_scans import DossierFaults, SampleOptions, generate  # noqa: E402
from ocr.textnorm import bag_error, comparable, edit_distance  # noqa: E402

REGION = "henan-zhengzhou"
BASELINE = "6d552dd"  # main before the handwriting work (issue 13)
DROP = ("基本养老金核定表", "招工审批表", "职工转正定级审批表", "企业职工退休审批表", "职工登记表")
FORMS = ("企业职工退休审批表", "职工登记表", "招工审批表", "基本养老金核定表", "职工转正定级审批表")
KINDS = ("clean", "missing", "near_name", "clean", "unreadable_first", "unnumbered", "clean", "repeat", "foreign")

# Digitize and check one file with whatever code is first on sys.path (this checkout or a worktree).
RUNNER = r"""
import json, sys, time
from pathlib import Path
from ocr.pipeline import digitize
from completeness.check import check_volume
from handover.policy import load_profile
scans, out, jobs, region = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
profile = load_profile(region)
for truth_path in sorted(scans.glob("*.json")):
    truth = json.loads(truth_path.read_text(encoding="utf-8"))
    volume = out / truth_path.stem
    if not (volume / "volume.json").exists():
        t = time.perf_counter()
        digitize(scans / truth_path.stem, truth["id_number"], volume, engine="rapidocr", jobs=jobs, name=truth["name"])
        (volume / "seconds.txt").write_text(f"{time.perf_counter() - t:.3f}")
        print(f"  {truth['name']}: {len(truth['pages'])} 幅, {time.perf_counter() - t:.1f} s", flush=True)
    declared = sum(1 for p in truth["pages"] if p["page_no"])
    check_volume(volume, None, profile, declared)
"""


def plan(n: int) -> list[tuple[str, DossierFaults]]:
    out = []
    for i in range(n):
        kind, k = KINDS[i % len(KINDS)], i // len(KINDS)
        faults = {
            "clean": DossierFaults(),
            "missing": DossierFaults(drop_materials=(DROP[k % len(DROP)],)),
            "near_name": DossierFaults(near_name_foreign=FORMS[k % len(FORMS)]),
            "foreign": DossierFaults(foreign_form=FORMS[(k + 2) % len(FORMS)]),
            "unreadable_first": DossierFaults(unreadable_first_of=FORMS[(k + 1) % len(FORMS)]),
            "unnumbered": DossierFaults(unnumbered_pages=(2 + k % 3, 4 + k % 3)),
            "repeat": DossierFaults(repeat_pages=(1 + 2 * (k % 3),)),
        }[kind]
        out.append((kind, faults))
    return out


def make_scans(work: Path, n: int, seed: int) -> dict[str, str]:
    """Generate the scans once; returns id number → kind of file."""
    scans = work / "scans"
    kinds_path = work / "kinds.json"
    if kinds_path.exists() and len(json.loads(kinds_path.read_text())) == n:
        return json.loads(kinds_path.read_text())
    planned = plan(n)
    t = time.perf_counter()
    made = generate(scans, dossiers=n, seed=seed, faults={i: f for i, (_, f) in enumerate(planned)},
                    options=SampleOptions(wage_changes=1, hand="mixed"))
    kinds = {d.truth["id_number"]: kind for d, (kind, _) in zip(made, planned)}
    kinds_path.write_text(json.dumps(kinds, ensure_ascii=False))
    print(f"generated {n} files in {time.perf_counter() - t:.0f} s", flush=True)
    return kinds


def worktree(rev: str, work: Path) -> Path:
    path = work / f"baseline-{rev}"
    if not (path / "ocr").exists():
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "--force", str(path), rev],
                       check=True, capture_output=True)
    return path


def run_side(code_root: Path, work: Path, side: str, jobs: int) -> None:
    out = work / side
    out.mkdir(parents=True, exist_ok=True)
    env = {"PYTHONPATH": str(code_root), "PATH": "/usr/bin:/bin", "HOME": str(Path.home()),
           "OMP_THREAD_LIMIT": "1"}
    print(f"== {side}: digitize and check ({code_root})", flush=True)
    subprocess.run([sys.executable, "-c", RUNNER, str(work / "scans"), str(out), str(jobs), REGION],
                   cwd=code_root, env=env, check=True)


@dataclass
class Side:
    name: str
    boundaries: Counter = field(default_factory=Counter)
    false_missing_clean: int = 0
    false_foreign_clean: int = 0
    clean_files: int = 0
    clean_not_complete: int = 0
    planted: int = 0
    planted_found: int = 0
    missed: list[str] = field(default_factory=list)
    alarms: list[str] = field(default_factory=list)
    cer_errors: int = 0  # in reading order
    bag_errors: float = 0.0  # ignoring reading order: misread, missing and extra characters
    cer_chars: int = 0
    faces: Counter = field(default_factory=Counter)  # face → [bag errors, characters] as two keys
    seconds: float = 0.0
    images: int = 0
    false_gaps: int = 0  # 原件页号不连续 on files with nothing missing
    altered_pages: int = 0  # pages with a value crossed out (truth)
    altered_found: int = 0  # … of them with a 划改 item in the 校对 queue
    altered_items: int = 0  # 划改 items in the queue
    altered_true: int = 0  # … of them on a page with a value crossed out
    score: Score = field(default_factory=Score)  # every finding against the truth's expected ones


def planted(expected, kind: str):
    """The defect planted in a file of this kind (the scanning effects' own findings aside)."""
    codes = {"missing": "missing_material", "near_name": "foreign_form", "foreign": "foreign_form",
             "unreadable_first": "unreadable_page", "repeat": "duplicate_page"}
    code = codes.get(kind)
    return [e for e in expected if e.code == code]


def score_side(side: Side, work: Path, kinds: dict[str, str]) -> Side:
    profile = load_profile(REGION)
    for id_number, kind in kinds.items():
        truth = json.loads((work / "scans" / f"{id_number}.json").read_text(encoding="utf-8"))
        volume = work / side.name / id_number
        if not (volume / "check.json").exists():
            continue
        report = CheckReport.of(volume_folder.read_check(volume))
        ocr, contents = volume_folder.read_ocr(volume), volume_folder.read_contents(volume)
        side.seconds += float((volume / "seconds.txt").read_text()) if (volume / "seconds.txt").exists() else 0
        side.images += len(truth["pages"])
        side.boundaries.update(score_boundaries(truth, ocr, contents))
        expected = expected_findings(truth, profile)
        codes = Counter(f.code for f in report.findings)
        side.score.add(truth["name"], expected, report.findings)
        side.false_gaps += codes["page_number_gap"]
        if kind == "clean":
            side.clean_files += 1
            side.false_missing_clean += codes["missing_material"]
            side.false_foreign_clean += codes["foreign_form"]
            side.clean_not_complete += str(report.outcome) != "complete"
            side.alarms += [f"{truth['name']}: {f.code} {f.message_zh[:50]}" for f in report.findings
                            if f.code in ("missing_material", "foreign_form")]
        for e in planted(expected, kind):
            side.planted += 1
            if any(e.matches(f) for f in report.findings):
                side.planted_found += 1
            else:
                side.missed.append(f"{truth['name']} ({kind}): {e.code} page={e.page} material={e.material}")
        struck = {p["index"] for p in truth["pages"] if p.get("struck") and p["duplicate_of"] is None}
        flagged = {i.page for i in report.review if i.field == "altered"}
        side.altered_pages += len(struck)
        side.altered_found += len(struck & flagged)
        side.altered_items += len(flagged)
        side.altered_true += len(flagged & struck)
        pages = {p.index: p for p in ocr.pages}
        for p in truth["pages"]:
            if p.get("quality") in ("form", "handwriting") and p["text"] and p["index"] in pages:
                t, found = comparable(p["text"]), pages[p["index"]].text
                bag = bag_error(p["text"], found) * len(t)
                side.cer_errors += edit_distance(t, comparable(found))
                side.bag_errors += bag
                side.cer_chars += len(t)
                side.faces[(p.get("hand"), "errors")] += bag
                side.faces[(p.get("hand"), "chars")] += len(t)
    return side


def report(sides: list[Side]) -> None:
    def ratio(a, b):
        return a / b if b else float("nan")
    rows = [
        ("boundary recall", lambda s: f"{ratio(s.boundaries['hit'], s.boundaries['hit'] + s.boundaries['miss']):.3f}"),
        ("boundary precision", lambda s: f"{ratio(s.boundaries['hit'], s.boundaries['hit'] + s.boundaries['false']):.3f}"),
        ("false 缺少必要材料 (clean files)", lambda s: f"{s.false_missing_clean} in {s.clean_files}"),
        ("false 他人材料 (clean files)", lambda s: f"{s.false_foreign_clean} in {s.clean_files}"),
        ("clean files not 完整", lambda s: f"{s.clean_not_complete} in {s.clean_files}"),
        ("false 原件页号不连续 (all files)", lambda s: str(s.false_gaps)),
        ("all findings: precision / recall", lambda s: f"{s.score.precision():.3f} / {s.score.recall():.3f}"),
        ("planted-defect recall", lambda s: f"{ratio(s.planted_found, s.planted):.3f} ({s.planted_found}/{s.planted})"),
        ("划改 pages queued: recall", lambda s: f"{ratio(s.altered_found, s.altered_pages):.3f} "
                                              f"({s.altered_found}/{s.altered_pages})"),
        ("划改 items: precision", lambda s: f"{ratio(s.altered_true, s.altered_items):.3f} "
                                          f"({s.altered_true}/{s.altered_items})"),
        ("handwriting CER, reading order", lambda s: f"{100 * ratio(s.cer_errors, s.cer_chars):.2f}%"),
        ("handwriting CER, ignoring order", lambda s: f"{100 * ratio(s.bag_errors, s.cer_chars):.2f}%"),
        ("pages per minute", lambda s: f"{60 * ratio(s.images, s.seconds):.1f}"),
    ]
    print(f"\n{'':34s}" + "".join(f"{s.name:>22s}" for s in sides))
    for label, fn in rows:
        print(f"{label:34s}" + "".join(f"{fn(s):>22s}" for s in sides))
    faces = sorted({face for face, _ in sides[0].faces})
    for face in faces:
        print(f"{'  ' + str(face) + ', ignoring order':34s}" + "".join(
            f"{100 * ratio(s.faces[(face, 'errors')], s.faces[(face, 'chars')]):>21.2f}%" for s in sides))
    if len(sides) == 2 and sides[0].seconds and sides[1].seconds:
        a, b = sides[0], sides[1]
        print(f"time per image, {a.name} ÷ {b.name}: {(a.seconds / a.images) / (b.seconds / b.images):.2f}")
    for s in sides:
        for line in s.alarms[:20]:
            print(f"  [{s.name}] false alarm {line}")
        for line in s.missed[:20]:
            print(f"  [{s.name}] missed {line}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dossiers", type=int, default=54)
    ap.add_argument("--work", type=Path, default=Path("/tmp/handover-bench-check"))
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1301)
    ap.add_argument("--baseline", default=BASELINE, help="git revision to compare with, or 'none'")
    ap.add_argument("--score-only", action="store_true", help="score what is under --work, digitize nothing")
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    kinds = make_scans(args.work, args.dossiers, args.seed)
    sides = [("current", ROOT)]
    if args.baseline != "none":
        sides.append((f"baseline {args.baseline}", worktree(args.baseline, args.work)))
    for name, code in sides:
        folder = name.split()[0]
        if not args.score_only:
            run_side(code, args.work, folder, args.jobs)
    report([score_side(Side(name.split()[0]), args.work, kinds) for name, _ in sides])


if __name__ == "__main__":
    main()
