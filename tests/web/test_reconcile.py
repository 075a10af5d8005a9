"""档案接收核对 in the browser front end: the reconciliation page and its API (archive staff: every
enterprise; enterprise users: their own), the home page's lines, and the signed receipt's round
trip (upload, stored with its SHA-256, shown on the reconciliation and dossier pages, downloaded)."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pytest
from sqlalchemy import select

from archive_store.publish import publish_volume
from archive_store.tables import AuditRow
from handover import volume_folder as vf
from handover.db import EnterpriseRow, RetireeRow, session_scope
from handover.registry import retirees_of
from tests.support.sample_volume import SamplePerson, write_sample_volume

from .conftest import PROFILE


@pytest.fixture
def mismatch(seed, tmp_path):
    """Enterprise B's first person: the roster declares 1 卷 40 页, the published volume holds 38."""
    with session_scope(seed.cfg) as s:
        ent = s.scalar(select(EnterpriseRow).where(EnterpriseRow.name == seed.batch_b.enterprise.name))
        r, a = next((r, a) for r, a in retirees_of(s, ent.name) if a.destination)
        row = s.scalar(select(RetireeRow).where(RetireeRow.id_number == r.id_number))
        row.data = {**row.data, "archive_volumes": 1, "archive_pages": 40}
        ent_id = ent.id
    root = write_sample_volume(tmp_path / "vol", SamplePerson(r.id_number, r.name, "男", r.birth_date, ent.name),
                               seed=5, materials=3)
    vf.write(root, replace(vf.read(root, vf.VOLUME_JSON), content_pages=38))
    published = publish_volume(seed.cfg, root, a.destination, PROFILE, "入库员")
    return ent_id, r, a.destination, published.volume_id


def _person(doc: dict, name: str) -> dict:
    return next(p for s in doc["streets"] for p in s["persons"] if p["name"] == name)


def test_the_mismatch_on_the_page_and_the_api(as_user, seed, mismatch):
    ent_id, person, dest, volume_id = mismatch
    archivist = as_user("archivist")
    doc = archivist.get(f"/api/reconcile?enterprise_id={ent_id}").json()
    row = _person(doc, person.name)
    assert (row["declared_pages"], row["received_pages"], row["page_difference"]) == (40, 38, -2)
    assert row["outcome"] == "complete" and row["agrees"] is False
    assert row["id_number"] == person.id_number  # archive staff work with whole ID numbers
    assert row["volumes"][0]["volume_id"] == volume_id
    assert doc["totals"]["received"] == 1 and doc["totals"]["not_received"] == doc["totals"]["persons"] - 1
    assert doc["agrees"] is False

    html = archivist.get(f"/reconcile?enterprise={ent_id}").text
    assert person.name in html and "-2" in html and "未接收" in html and f"/dossiers/{volume_id}" in html
    overview = archivist.get("/reconcile").text
    assert seed.batch_b.enterprise.name in overview and dest.street in overview

    own = as_user("ent_b")
    mine = own.get("/api/reconcile").json()
    assert _person(mine, person.name)["page_difference"] == -2
    assert _person(mine, person.name)["id_number"] != person.id_number  # masked for the enterprise
    assert all(v["volume_id"] is None for v in _person(mine, person.name)["volumes"])  # no dossier links
    assert own.get(f"/reconcile?enterprise={ent_id}").status_code == 200
    home = own.get("/").text
    assert 'id="reconcile-dashboard"' in home and dest.street in home and 'href="/reconcile"' in home

    other = as_user("ent_a")
    assert other.get(f"/api/reconcile?enterprise_id={ent_id}").status_code == 404
    assert other.get("/api/reconcile").json()["totals"]["persons"] == 0
    assert as_user("comm_a").get("/api/reconcile").status_code == 403


def test_receipt_upload_round_trip(as_user, seed, mismatch):
    ent_id, person, dest, volume_id = mismatch
    archivist = as_user("archivist")
    scan = b"%PDF-1.4\n" + hashlib.sha256(b"signed").digest() * 500 + b"\n%%EOF\n"
    r = archivist.post("/api/reconcile/receipts", data={"enterprise_id": str(ent_id), "county": dest.county,
                                                        "street": dest.street},
                       files={"file": ("档案移交名册表-签章.pdf", scan, "application/pdf")})
    assert r.status_code == 200, r.text
    receipt = r.json()
    assert receipt["sha256"] == hashlib.sha256(scan).hexdigest() and receipt["size"] == len(scan)
    assert (seed.cfg.objects_dir / receipt["key"]).read_bytes() == scan  # in the object storage
    assert receipt["key"].startswith(f"{dest.county}/{dest.street}/")  # beside the street's volumes

    down = archivist.get(f"/reconcile/receipts/{receipt['id']}")
    assert down.status_code == 200 and down.content == scan
    assert down.headers["content-type"] == "application/pdf"

    street = next(s for s in archivist.get(f"/api/reconcile?enterprise_id={ent_id}").json()["streets"]
                  if s["street"] == dest.street)
    assert street["receipt"]["uploaded_by"] == "李档案" and street["receipt"]["sha256"] == receipt["sha256"]
    page = archivist.get(f"/reconcile?enterprise={ent_id}").text
    assert "接收手续已办结" in page and f"/reconcile/receipts/{receipt['id']}" in page
    dossier = archivist.get(f"/api/dossiers/{volume_id}").json()
    assert dossier["receipt"]["uploaded_by"] == "李档案"
    assert "接收手续已办结" in archivist.get(f"/dossiers/{volume_id}").text

    with session_scope(seed.cfg) as s:
        actions = set(s.scalars(select(AuditRow.action).where(AuditRow.action.in_(
            ("upload_receipt", "download_receipt")))))
    assert actions == {"upload_receipt", "download_receipt"}

    assert as_user("ent_b").get(f"/reconcile/receipts/{receipt['id']}").status_code == 403
    fake = archivist.post("/api/reconcile/receipts", data={"enterprise_id": str(ent_id), "county": dest.county,
                                                           "street": dest.street},
                          files={"file": ("名册表.pdf", b"PK\x03\x04 a zip", "application/pdf")})
    assert fake.status_code == 415
    elsewhere = archivist.post("/api/reconcile/receipts", data={"enterprise_id": str(ent_id), "county": dest.county,
                                                                "street": "没有这个街道"},
                               files={"file": ("名册表.pdf", scan, "application/pdf")})
    assert elsewhere.status_code == 400

    (seed.cfg.objects_dir / receipt["key"]).write_bytes(b"%PDF-1.4 altered")
    assert archivist.get(f"/reconcile/receipts/{receipt['id']}").status_code == 409
