"""Generated personnel files, digitized by the real OCR pipeline once per test session.

Three small dossiers cover the faults of issue 5 (blank backs off so every planned position is a
content page and a dropped position is a known page):

0. complete (turned pages and a rescan, as scanned in practice)
1. lacks the 基本养老金核定表 and the 自传's page (declared page count from the clean file)
2. an illegible, water-stained page inserted at position 2, a page scanned twice and another
   person's 退休审批表 slipped in at the end
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

FAULTS = {
    1: dict(drop_materials=("基本养老金核定表",), drop_pages=(2,)),
    2: dict(repeat_pages=(3,), foreign_form="企业职工退休审批表", unreadable_page=2),
}


@dataclass
class Digitized:
    truth: dict
    volume: Path
    declared_pages: int  # what the enterprise's archive roster declares (before pages went missing)


@pytest.fixture(scope="session")
def digitized(tmp_path_factory) -> list[Digitized]:
    from ocr.pipeline import digitize
    from ocr.sample_scans import DossierFaults, SampleOptions, generate

    root = tmp_path_factory.mktemp("completeness-e2e")
    opts = SampleOptions(wage_changes=1, blank_backs=False)
    faults = {i: DossierFaults(**kw) for i, kw in FAULTS.items()}
    out = []
    for i, d in enumerate(generate(root / "scans", dossiers=3, seed=23, options=opts, faults=faults)):
        vol = root / f"vol{i}"
        digitize(d.path, d.truth["id_number"], vol, engine="rapidocr", jobs=2, name=d.truth["name"])
        # The enterprise counted the sheets it handed over (a slipped-in form included).
        own = sum(1 for p in d.truth["pages"] if p["page_no"])
        dropped = len(FAULTS.get(i, {}).get("drop_pages", ()))
        out.append(Digitized(d.truth, vol, own + dropped))
    return out
