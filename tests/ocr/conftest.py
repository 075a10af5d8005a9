"""Shared fixtures: a few small generated dossiers, digitized once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from ocr.pipeline import digitize
from ocr.sample_scans import DossierFaults, SampleOptions, generate

INPUTS = Path(__file__).resolve().parents[2].parent / "shared/external/ocr-inputs"


@pytest.fixture(scope="session")
def inputs() -> Path:
    if not (INPUTS / "README.md").exists():
        pytest.skip(f"OCRmyPDF test scans not found at {INPUTS} (shared/external/ocr-inputs)")
    return INPUTS


@pytest.fixture(scope="session")
def dossier(tmp_path_factory):
    """One complete personnel file (party member, all forms), with rotations, blanks, a rescan."""
    return generate(tmp_path_factory.mktemp("scans"), dossiers=1, seed=7)[0]


@pytest.fixture(scope="session")
def volume(dossier, tmp_path_factory):
    out = tmp_path_factory.mktemp("volumes") / "vol"
    result = digitize(dossier.path, dossier.truth["id_number"], out, engine="rapidocr", jobs=2,
                      name=dossier.truth["name"], ref_no="J001-TX·410105001001-0001")
    return result, out


@pytest.fixture(scope="session")
def small_dossier(tmp_path_factory):
    """Two pages: an illegible, water-stained sheet and a printed 自传."""
    opts = SampleOptions(materials=("自传",), blank_backs=False, rotations=False, duplicates=False)
    return generate(tmp_path_factory.mktemp("small"), dossiers=1, seed=5, options=opts,
                    faults={0: DossierFaults(unreadable_page=1)})[0]
