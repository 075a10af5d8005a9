"""The bundle (manifest, hashes, zip), every region, the templates script and ``handover docs``."""

from __future__ import annotations

import hashlib
import json
import zipfile

import pytest
from click.testing import CliRunner
from docx import Document

from docgen.build_templates import build_all
from docgen.bundle import generate_bundle
from docgen.cli import docs_group
from handover.config import TEMPLATES_DIR
from handover.policy import load_profile
from handover.sample import make_batch


def test_manifest_hashes_rows_and_zip(bundle, routed):
    out, manifest = bundle
    data = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert data["transferred"] == len(routed) == manifest.transferred
    assert len(data["documents"]) == len(manifest.documents)
    types = {d["type"] for d in data["documents"]}
    assert {"transfer_agreement", "community_roster", "archive_transfer_roster", "basic_info_form",
            "destination_survey", "party_transfer_roster", "contact_card", "volume_catalog", "ledger",
            "contents_list", "note_sheet", "missing_statement", "missing_statement_list"} <= types
    for doc in data["documents"]:
        path = out / doc["path"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == doc["sha256"]
    (roster_total,) = [d for d in data["documents"] if d["type"] == "community_roster" and d["format"] == "xlsx"]
    assert roster_total["rows"] == len(routed)
    with zipfile.ZipFile(out / manifest.zip_path) as z:
        names = set(z.namelist())
        inner = json.loads(z.read("manifest.json").decode("utf-8"))
    assert {d["path"] for d in data["documents"]} <= names
    # both copies of the manifest name the bundle's zip, the one beside it and the one inside it
    assert manifest.zip_path.endswith("_移交材料.zip")
    assert data["zip_path"] == inner["zip_path"] == manifest.zip_path
    assert inner == data


@pytest.mark.parametrize("region", ["chongqing", "jieyang", "xianning", "kunming-jinning"])
def test_bundle_for_every_region(region, tmp_path):
    b = make_batch(region, 60, communities=3, seed=5)
    profile = load_profile(region)
    m = generate_bundle(b.enterprise, b.retirees, profile, tmp_path, pdf=False, per_person=False)
    assert m.transferred + m.excluded + m.unassigned == 60
    agreements = m.by_type("transfer_agreement", "docx")
    assert sum(a.rows for a in agreements) == m.transferred
    for doc_type in ("community_roster", "basic_info_form"):  # the per-community lists, where made
        if profile.makes(doc_type):
            assert sum(r.rows for r in m.by_type(doc_type, "docx")) == m.transferred
    if profile.makes("basic_info_form"):
        basic = Document(str(tmp_path / m.by_type("basic_info_form", "docx")[0].path))
        text = "\n".join(p.text for p in basic.paragraphs)
        assert ("退休人员本人签名" in text) == (region == "xianning")  # 咸宁: signed and sealed
    if m.excluded or m.unassigned:
        assert m.by_type("not_transferred", "xlsx")


def test_templates_script_is_rerunnable(tmp_path):
    built = build_all(tmp_path)
    assert {p.name for p in built} == {p.name for p in (TEMPLATES_DIR / "docx").glob("*.docx")}
    for path in built:
        Document(str(path))  # opens


@pytest.fixture()
def registry(tmp_path, monkeypatch):
    from handover import config
    from handover.db import session_scope
    from handover.registry import add_enterprise

    monkeypatch.setenv("HANDOVER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    config.settings.cache_clear()
    b = make_batch("henan-zhengzhou", 25, communities=2, seed=11)
    with session_scope() as session:
        add_enterprise(session, b.enterprise, "henan-zhengzhou")
    yield b
    config.settings.cache_clear()


def test_cli_generate(registry, tmp_path):
    from handover.roster.writer import write_xlsx

    roster = write_xlsx(tmp_path / "名册.xlsx", registry.retirees, registry.enterprise)
    out = tmp_path / "out"
    result = CliRunner().invoke(docs_group, ["generate", str(roster), "--enterprise", registry.enterprise.name,
                                             "--profile", "henan-zhengzhou", "--out", str(out), "--no-pdf"])
    assert result.exit_code == 0, result.output
    assert "已生成" in result.output
    data = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert data["retirees"] == 25
    assert not [d for d in data["documents"] if d["format"] == "pdf"]
    assert list(out.glob("*.zip"))


def test_cli_unknown_enterprise_is_a_chinese_error(registry, tmp_path):
    from handover.roster.writer import write_xlsx

    roster = write_xlsx(tmp_path / "名册.xlsx", registry.retirees, registry.enterprise)
    result = CliRunner().invoke(docs_group, ["generate", str(roster), "--enterprise", "不存在的企业",
                                             "--out", str(tmp_path / "o")])
    assert result.exit_code != 0
    assert "未登记的企业" in result.output


def test_docx_property_elements_in_schema_order(bundle):
    """Word rejects files whose tcPr/tblPr/rPr/pPr/sectPr children are out of order."""
    from docgen.ooxml import out_of_order

    out, manifest = bundle
    docs = [TEMPLATES_DIR / "docx" / p.name for p in (TEMPLATES_DIR / "docx").glob("*.docx")]
    for t in ("archive_transfer_roster", "community_roster", "transfer_agreement", "basic_info_form",
              "contents_list", "missing_statement", "contact_card", "note_sheet"):
        docs.append(out / manifest.by_type(t, "docx")[0].path)
    for path in docs:
        doc = Document(str(path))
        bad = out_of_order(doc.element) + out_of_order(doc.styles.element)
        for section in doc.sections:
            for part in (section.header, section.footer):
                bad += out_of_order(part._element)
        assert not bad, (path.name, bad[:3])
