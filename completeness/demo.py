"""For ``handover demo``: one complete and one incomplete sample dossier, scanned, digitized,
checked, with the incomplete one's 书面说明 and 备考表 (about a minute of OCR on two cores)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from handover.models import Retiree
from handover.policy import load_profile

from .check import CheckReport, check_volume
from .documents import write_documents
from .report import write_html

DEMO_MISSING = "基本养老金核定表"


@dataclass
class DemoVolume:
    report: CheckReport
    volume_dir: Path
    html: Path
    documents: dict[str, Path]


def run_demo(out_dir: Path, region: str = "henan-zhengzhou", seed: int = 3, enterprise: str = "",
             progress: Callable[[str], None] | None = None, people: Sequence[Retiree] | None = None
             ) -> list[DemoVolume]:
    """``people``: two retirees (e.g. of the demo's imported roster) whose files are drawn."""
    from ocr.pipeline import digitize
    from ocr.sample_scans import ALL_MATERIALS, DossierFaults, SampleOptions, generate

    out_dir = Path(out_dir)
    profile = load_profile(region)
    say = progress or (lambda _msg: None)
    # Filled in by hand, as real files are, in a neat pen hand: the demo shows one complete and one
    # incomplete file, not a queue of scrawls (``handover sample scans`` draws every hand).
    opts = SampleOptions(materials=tuple(m for m in ALL_MATERIALS if m != "自传"), wage_changes=1, blank_backs=False,
                         hand="long-cang")
    say("生成两份样例扫描档案……")
    dossiers = generate(out_dir / "scans", dossiers=2, seed=seed, region=region, options=opts,
                        faults={1: DossierFaults(drop_materials=(DEMO_MISSING,))}, people=people,
                        employer=enterprise)
    out = []
    for i, d in enumerate(dossiers):
        vol = out_dir / "volumes" / d.truth["id_number"]
        say(f"数字化第{i + 1}份档案（OCR）……")
        digitize(d.path, d.truth["id_number"], vol, name=d.truth["name"], jobs=2)
        report = check_volume(vol, None, profile, sum(1 for p in d.truth["pages"] if p["page_no"]))
        html = write_html(report, vol / "check.html")
        docs = write_documents(report, vol / "documents", enterprise=enterprise)
        out.append(DemoVolume(report, vol, html, docs))
    return out
