"""The sample generator: repeatable, with ground truth, and able to inject defects."""

from __future__ import annotations

import hashlib
import json

from click.testing import CliRunner

from ocr.cli import digitize_command, sample_scans_command
from ocr.sample_scans import DossierFaults, SampleOptions, generate

TINY = SampleOptions(materials=("招工审批表", "企业职工退休审批表"), blank_backs=False, rotations=False,
                     duplicates=False)


def _digest(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_same_seed_same_bytes(tmp_path):
    a = generate(tmp_path / "a", dossiers=1, seed=11, options=TINY)[0]
    b = generate(tmp_path / "b", dossiers=1, seed=11, options=TINY)[0]
    c = generate(tmp_path / "c", dossiers=1, seed=12, options=TINY)[0]
    assert _digest(a.path) == _digest(b.path)
    assert a.truth_path.read_bytes() == b.truth_path.read_bytes()
    assert _digest(a.path) != _digest(c.path)


def test_ground_truth_describes_the_pages(dossier):
    t = dossier.truth
    assert len(t["pages"]) == len(list(dossier.path.iterdir()))
    assert {m["title"] for m in t["materials"]} >= {"职工登记表", "招工审批表", "企业职工退休审批表", "基本养老金核定表",
                                                    "入党志愿书"}
    assert t["name"] in t["pages"][0]["text"]
    assert all(p["text"] == "" for p in t["pages"] if p["blank"])
    assert all(p["page_no"] is None for p in t["pages"] if p["blank"] or p["duplicate_of"])
    assert {p["rotation"] for p in t["pages"]} - {0}, "some pages arrive turned"
    assert max(abs(p["skew_degrees"]) for p in t["pages"]) > 0.5


def test_faults_are_injected_and_recorded(tmp_path):
    opts = SampleOptions(materials=("职工登记表", "招工审批表", "企业职工退休审批表", "基本养老金核定表"),
                         blank_backs=False, rotations=False, duplicates=False, fmt="jpg")
    faults = DossierFaults(drop_materials=("招工审批表",), repeat_pages=(1,), foreign_form="企业职工退休审批表",
                           unreadable_page=2)
    d = generate(tmp_path, dossiers=1, seed=4, options=opts, faults={0: faults})[0]
    titles = [m["title"] for m in d.truth["materials"]]
    assert "招工审批表" not in titles
    assert titles.count("企业职工退休审批表") == 2
    assert [m["foreign"] for m in d.truth["materials"]][-1] is True
    pages = d.truth["pages"]
    assert pages[1]["duplicate_of"] == 1 or pages[2]["duplicate_of"] == 1
    assert sum(p["unreadable"] for p in pages) == 1
    foreign = [p for p in pages if p["foreign"]]
    assert len(foreign) == 1 and d.truth["name"] not in foreign[0]["text"]
    assert d.truth["faults"]["drop_materials"] == ["招工审批表"]


def test_dropped_page_shortens_the_file(tmp_path):
    full = generate(tmp_path / "a", dossiers=1, seed=4, options=TINY)[0]
    short = generate(tmp_path / "b", dossiers=1, seed=4, options=TINY, faults={0: DossierFaults(drop_pages=(1,))})[0]
    assert len(short.truth["pages"]) == len(full.truth["pages"]) - 1
    assert short.truth["materials"][0]["title"] == "企业职工退休审批表"


def test_pdf_and_tiff_containers(tmp_path):
    pdf = generate(tmp_path / "p", dossiers=1, seed=2, options=SampleOptions(**{**TINY.__dict__, "fmt": "pdf"}))[0]
    tif = generate(tmp_path / "t", dossiers=1, seed=2, options=SampleOptions(**{**TINY.__dict__, "fmt": "tiff"}))[0]
    from ocr.loading import load

    assert [p.dpi for p in load(pdf.path).pages] == [300, 300]
    assert [(p.width, p.height, p.dpi) for p in load(tif.path).pages] == [(2480, 3508, 300)] * 2


def test_cli_commands(tmp_path, inputs):
    runner = CliRunner()
    made = runner.invoke(sample_scans_command, ["--dossiers", "1", "--out", str(tmp_path / "s"), "--seed", "3"])
    assert made.exit_code == 0 and "份扫描档案" in made.output.replace("\n", "")
    truth = json.loads(next((tmp_path / "s").glob("*.json")).read_text(encoding="utf-8"))
    assert truth["pages"]
    refused = runner.invoke(digitize_command, [str(inputs / "c02-22.pdf"), "--id", "410105194906111615",
                                               "--out", str(tmp_path / "v")])
    assert refused.exit_code == 1 and "150dpi" in refused.output and not (tmp_path / "v").exists()
    bad_engine = runner.invoke(digitize_command, [str(inputs / "linn.pdf"), "--id", "1", "--engine", "x",
                                                  "--out", str(tmp_path / "v")])
    assert bad_engine.exit_code == 2


def test_cli_digitize_follows_the_configuration(tmp_path, monkeypatch):
    import pikepdf

    from handover import config

    d = generate(tmp_path / "s", dossiers=1, seed=4, options=TINY)[0]
    monkeypatch.setenv("HANDOVER_PDFA", "0")
    monkeypatch.setenv("HANDOVER_OCR_ENGINE", "tesseract")
    config.settings.cache_clear()
    try:
        done = CliRunner().invoke(digitize_command, [str(d.path), "--id", d.truth["id_number"], "--jobs", "1",
                                                     "--out", str(tmp_path / "v")])
    finally:
        config.settings.cache_clear()
    assert done.exit_code == 0, done.output
    assert "已生成卷" in done.output and "引擎 tesseract" in done.output
    with pikepdf.open(tmp_path / "v" / "volume.pdf") as pdf:
        assert "/OutputIntents" not in pdf.Root  # HANDOVER_PDFA=0: a plain PDF
    assert json.loads((tmp_path / "v" / "volume.json").read_text(encoding="utf-8"))["engine"] == "tesseract"


def test_files_of_given_retirees(tmp_path):
    from handover.sample import make_batch

    batch = make_batch("henan-zhengzhou", 5, seed=9)
    chosen = list(batch.retirees[2:4])
    made = generate(tmp_path, dossiers=2, seed=9, options=TINY, people=chosen, employer="郑州第九纺织厂")
    assert [(d.truth["id_number"], d.truth["name"]) for d in made] == [(r.id_number, r.name) for r in chosen]
    assert [d.truth["party_member"] for d in made] == [r.party_member for r in chosen]  # not made up
    assert any("郑州第九纺织厂" in p["text"] for d in made for p in d.truth["pages"])
