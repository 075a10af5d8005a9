"""Shared fixtures of the docgen tests: one seeded batch and one generated bundle per session."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest

from docgen.bundle import generate_bundle
from docgen.records import MaterialEntry, MissingItem, VolumeRecord
from handover.policy import load_profile
from handover.routing import route
from handover.sample import make_batch

REGION = "henan-zhengzhou"


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} not installed")
    return path


def pdftotext_pages(pdf: Path) -> list[str]:
    text = subprocess.run([tool("pdftotext"), "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    pages = text.split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def pdfinfo_pages(pdf: Path) -> int:
    out = subprocess.run([tool("pdfinfo"), str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[1] for line in out.splitlines() if line.startswith("Pages:")))


@pytest.fixture(scope="session")
def batch():
    return make_batch(REGION, 240, communities=6, seed=7)


@pytest.fixture(scope="session")
def profile():
    return load_profile(REGION)


@pytest.fixture(scope="session")
def routed(batch, profile):
    pairs = [(r, route(r, batch.enterprise, profile)) for r in batch.retirees]
    return [(r, a.destination) for r, a in pairs if a.destination is not None]


def make_volumes(routed, n: int = 8) -> list[VolumeRecord]:
    vols = []
    for i, (r, d) in enumerate(routed[:n], 1):
        mats = [MaterialEntry("一", "职工登记表", dt.date(1978, 3, 2), 1, 4),
                MaterialEntry("九", "招工审批表", dt.date(1975, 6, 1), 1, 2),
                MaterialEntry("九", "退休审批表", r.retired_on, 1, 3),
                MaterialEntry("四-2", "专业技术职务评审表", dt.date(1990, 5, 1), 1, 2)]
        vols.append(VolumeRecord(
            ref_no=f"J410-TX·410105001001-{i:04d}", volume_no=i, name=r.name, sex=str(r.sex),
            birth_date=r.birth_date, id_number=r.id_number, former_employer=r.former_employer,
            community=d.label, pages=sum(m.pages for m in mats), materials=mats,
            received_on=dt.date(2026, 11, 2), storage_location="A区3柜2层"))
    return vols


@pytest.fixture(scope="session")
def volumes(routed):
    return make_volumes(routed)


@pytest.fixture(scope="session")
def missing(routed):
    r = routed[1][0]
    return [MissingItem(r.name, r.id_number, "转正定级表", "原始材料遗失，经多方查找无法补齐")]


@pytest.fixture(scope="session")
def bundle(batch, profile, volumes, missing, tmp_path_factory):
    """The whole bundle with DOCX, PDF (reportlab) and XLSX; LibreOffice is exercised separately."""
    out = tmp_path_factory.mktemp("bundle")
    manifest = generate_bundle(batch.enterprise, batch.retirees, profile, out, volumes=volumes,
                               missing=missing, text_pdf=False, per_person=True,
                               today=dt.date(2026, 11, 20))
    return out, manifest
