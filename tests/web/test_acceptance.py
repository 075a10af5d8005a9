"""数字化成果验收 in the web front end (web/routes/acceptance.py): packages listed from the incoming
folder, the 四性检测 run in the background, the sample marked item by item, the rates and the
conclusion, the 验收意见; archive staff only; no path from the user reaches the file system."""

from __future__ import annotations

import html
import io
import re
import shlex
import shutil
from pathlib import Path
from urllib.parse import quote

import pytest
from docx import Document
from sqlalchemy import select

from archive_store import dat31_layout as L
from archive_store.numbering import ref_no_to_filename
from archive_store.tables import AuditRow
from handover.db import session_scope

from tests.support.dat31_package import make_package
from web import background

PACKAGE = "数字化公司-2026-01"
ITEMS = ("linkage", "image_quality", "naming", "catalogue")


@pytest.fixture(scope="session")
def vendor_package(tmp_path_factory) -> Path:
    """A vendor's package of three scanned volumes (made once, copied into each test's incoming folder)."""
    work = tmp_path_factory.mktemp("vendor")
    return make_package(work, work / "pkg", volumes=3)


@pytest.fixture
def incoming(seed, vendor_package) -> Path:
    target = seed.cfg.incoming_root / PACKAGE
    shutil.copytree(vendor_package, target)
    return target


def finished(app, api, acceptance_id: int) -> dict:
    """The acceptance once its background 四性检测 is done."""
    background.wait(timeout=300)
    doc = api.get(f"/api/acceptance/{acceptance_id}").json()
    assert doc["status"] != "checking"
    return doc


def docx_text(content: bytes) -> str:
    doc = Document(io.BytesIO(content))
    return "\n".join([p.text for p in doc.paragraphs] + [c.text for t in doc.tables for r in t.rows for c in r.cells])


def actions(seed, acceptance_id: int) -> list[str]:
    with session_scope(seed.cfg) as s:
        rows = s.scalars(select(AuditRow).order_by(AuditRow.id)).all()
        return [r.action for r in rows if (r.detail or {}).get("acceptance") == acceptance_id]


def test_accept_a_vendors_package_through_the_api(app, as_user, seed, incoming):
    api = as_user("archivist")
    listing = api.get("/api/acceptance").json()
    assert [(p["name"], p["vendor"], p["volumes"]) for p in listing["incoming"]] == [(PACKAGE, "某数字化公司", 3)]

    r = api.post("/api/acceptance", json={"package": PACKAGE, "share": 0.5, "vendor": "甲数字化公司"})
    assert r.status_code == 201, r.text
    started = r.json()
    assert len(started["sample"]) == 2 and started["seed"]  # ⌈50% of 3⌉
    # one open acceptance per package
    assert api.post("/api/acceptance", json={"package": PACKAGE}).status_code == 409

    doc = finished(app, api, started["id"])
    assert doc["status"] == "inspecting" and doc["checks_passed"] is True and len(doc["checks"]) == 15
    assert doc["vendor"] == "甲数字化公司" and doc["seed"] == started["seed"] and doc["images"] > 0
    assert doc["provisional_conclusion"] is None and [r["met"] for r in doc["rates"]] == [None] * 4

    # the inspector's view of a sampled volume: its catalogue rows and its page images from the package
    first = doc["volumes_sampled"][0]["ref_no"]
    page = api.get(f"/acceptance/{started['id']}/volumes/1")
    assert page.status_code == 200 and first in page.text and "卷内目录" in page.text
    image = api.get(f"/acceptance/{started['id']}/volumes/1/images/1")
    folder = ref_no_to_filename(first)
    assert image.status_code == 200 and image.content == (incoming / folder / f"{folder}-0001.jpg").read_bytes()
    assert api.get(f"/acceptance/{started['id']}/volumes/1/images/999").status_code == 404
    assert api.get(f"/acceptance/{started['id']}/volumes/3").status_code == 404  # only two sampled

    # a failed item needs its remark; a volume outside the sample is refused
    r = api.put(f"/api/acceptance/{started['id']}/marks", json={"ref_no": first, "item": "naming", "passed": False})
    assert r.status_code == 400 and "写明问题" in r.json()["detail"]
    r = api.put(f"/api/acceptance/{started['id']}/marks", json={"ref_no": "X-1", "item": "naming", "passed": True})
    assert r.status_code == 400
    assert api.post(f"/api/acceptance/{started['id']}/conclude", json={}).status_code == 409  # not marked yet
    draft = docx_text(api.get(f"/acceptance/{started['id']}/opinion.docx").content)
    assert "尚未作出验收结论" in draft and "结论：□ 合格　　□ 不合格" in draft

    for v in doc["volumes_sampled"]:
        for item in ITEMS:
            r = api.put(f"/api/acceptance/{started['id']}/marks",
                        json={"ref_no": v["ref_no"], "item": item, "passed": True})
            assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["provisional_conclusion"] == "合格" and [r["rate"] for r in doc["rates"]] == [1.0] * 4

    r = api.post(f"/api/acceptance/{started['id']}/conclude", json={"problems": "个别图像边缘留白偏大"})
    assert r.status_code == 200 and r.json()["conclusion"] == "合格" and r.json()["status"] == "concluded"
    assert api.put(f"/api/acceptance/{started['id']}/marks",
                   json={"ref_no": first, "item": "naming", "passed": True}).status_code == 409

    opinion = api.get(f"/acceptance/{started['id']}/opinion.docx")
    assert opinion.status_code == 200
    text = docx_text(opinion.content)
    assert "结论：合格" in text and "甲数字化公司" in text and started["seed"] in text
    assert all(ref in text for ref in started["sample"]) and "个别图像边缘留白偏大" in text
    assert "验收人：李档案" in text and "审核人" in text and "尚未作出验收结论" not in text

    assert actions(seed, started["id"]) == (
        ["acceptance_start", "acceptance_checks", "acceptance_view"] + ["acceptance_view", "acceptance_image"]
        + ["acceptance_opinion"] + ["acceptance_mark"] * 8 + ["acceptance_conclude", "acceptance_opinion"])


def test_a_passed_acceptance_shows_the_import_command_until_the_package_changes(app, as_user, seed, incoming):
    api = as_user("archivist")
    started = api.post("/api/acceptance", json={"package": PACKAGE}).json()
    doc = finished(app, api, started["id"])
    assert doc["import"] is None and doc["manifest_sha256"]
    for item in ITEMS:
        api.put(f"/api/acceptance/{started['id']}/marks", json={"ref_no": started["sample"][0], "item": item,
                                                                 "passed": True})
    page = api.get(f"/acceptance/{started['id']}").text
    assert 'id="import"' not in page  # not before the conclusion
    api.post(f"/api/acceptance/{started['id']}/conclude", json={})
    page = api.get(f"/acceptance/{started['id']}").text
    command = re.search(r'<pre class="mono" id="import-command">(.*?)</pre>', page).group(1)
    assert shlex.split(html.unescape(command)) == ["handover", "receive", str(incoming), "--profile", "地区配置"]
    assert "henan-zhengzhou" in page
    assert doc["manifest_sha256"] in page

    (incoming / L.MANIFEST).write_bytes((incoming / L.MANIFEST).read_bytes() + b"\n")
    page = api.get(f"/acceptance/{started['id']}").text
    assert 'id="import-changed"' in page and "handover receive" not in page


def test_a_failed_check_makes_the_acceptance_fail_whatever_the_sample(app, as_user, seed, incoming):
    api = as_user("archivist")
    ref_nos = L.read_ref_nos(incoming)
    folder = ref_no_to_filename(ref_nos[-1])
    image = incoming / folder / f"{folder}-0002.jpg"
    image.write_bytes(image.read_bytes() + b"\0")  # an altered byte after the manifest was written

    started = api.post("/api/acceptance", json={"package": PACKAGE}).json()
    doc = finished(app, api, started["id"])
    assert doc["checks_passed"] is False
    failed = {c["id"]: [f["file"] for f in c["failures"]] for c in doc["checks"] if not c["passed"]}
    assert f"{folder}/{folder}-0002.jpg" in failed["authenticity.fixity"]
    assert doc["provisional_conclusion"] == "不合格"  # decided before any volume is looked at
    for item in ITEMS:  # the sample itself is fine
        api.put(f"/api/acceptance/{started['id']}/marks",
                json={"ref_no": started["sample"][0], "item": item, "passed": True})
    assert api.post(f"/api/acceptance/{started['id']}/conclude", json={}).json()["conclusion"] == "不合格"
    text = docx_text(api.get(f"/acceptance/{started['id']}/opinion.docx").content)
    assert "结论：不合格" in text and f"{folder}/{folder}-0002.jpg" in text

    # the page says so too, with the file
    page = api.get(f"/acceptance/{started['id']}").text
    assert "不合格" in page and f"{folder}-0002.jpg" in page


def test_a_failed_linkage_in_the_sample_fails_the_batch(app, as_user, seed, incoming):
    api = as_user("archivist")
    started = api.post("/api/acceptance", json={"package": PACKAGE}).json()
    finished(app, api, started["id"])
    r = api.put(f"/api/acceptance/{started['id']}/marks", json={
        "ref_no": started["sample"][0], "item": "linkage", "passed": False, "remark": "第3幅图像与目录不对应"})
    assert r.json()["provisional_conclusion"] == "不合格"
    assert [x["met"] for x in r.json()["rates"]][0] is False


def test_only_archive_staff_may_accept(app, as_user, seed, incoming):
    for who in ("comm_a", "ent_a"):
        api = as_user(who)
        assert api.get("/api/acceptance").status_code == 403
        assert api.get("/acceptance", headers={"accept": "text/html"}).status_code == 403
        assert api.post("/api/acceptance", json={"package": PACKAGE}).status_code == 403
    with session_scope(seed.cfg) as s:
        denied = s.scalars(select(AuditRow).where(AuditRow.action == "denied")).all()
        assert {r.actor for r in denied if "acceptance" in (r.detail or {}).get("path", "")} == {"comm_a", "ent_a"}
    assert as_user("admin").get("/api/acceptance").status_code == 200


def test_no_path_from_the_user_reaches_the_file_system(app, as_user, seed, incoming, tmp_path):
    api = as_user("archivist")
    outside = tmp_path / "outside"
    shutil.copytree(incoming, outside)
    (seed.cfg.incoming_root / "链接").symlink_to(outside)
    assert [p["name"] for p in api.get("/api/acceptance").json()["incoming"]] == [PACKAGE]
    for name in ("链接", "../outside", str(outside), f"{PACKAGE}/..", "..", ""):
        r = api.post("/api/acceptance", json={"package": name})
        assert r.status_code == 404, (name, r.text)


def test_the_page_starts_an_acceptance_and_marks_a_volume(app, as_user, seed, incoming):
    api = as_user("archivist")
    assert 'href="/acceptance"' in api.get("/").text  # the home page's tile and the menu
    assert 'href="/acceptance"' not in as_user("comm_a").get("/").text
    page = api.get("/acceptance")
    assert page.status_code == 200 and PACKAGE in page.text and "开始验收" in page.text
    r = api.post("/acceptance", data={"package": PACKAGE, "share": "5", "vendor": ""}, follow_redirects=False)
    assert r.status_code == 303
    acceptance_id = int(r.headers["location"].rsplit("/", 1)[1])
    finished(app, api, acceptance_id)
    # 不合格 without a remark: nothing of the form is kept, and the page says why
    form = {item: "pass" for item in ITEMS} | {"naming": "fail"}
    r = api.post(f"/acceptance/{acceptance_id}/volumes/1", data=form, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/acceptance/{acceptance_id}/volumes/1"
    assert "须写明问题" in api.get(r.headers["location"]).text
    assert api.get(f"/api/acceptance/{acceptance_id}").json()["rates"][0]["inspected"] == 0
    form["naming_remark"] = "档号与封面不符"
    r = api.post(f"/acceptance/{acceptance_id}/volumes/1", data=form, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/acceptance/{acceptance_id}"  # the last one
    doc = api.get(f"/api/acceptance/{acceptance_id}").json()
    assert doc["provisional_conclusion"] == "不合格"  # one volume sampled: 0% on 档号与命名
    assert doc["volumes_sampled"][0]["marks"][2] == {"item": "naming", "title": "档号与命名", "passed": False,
                                                      "remark": "档号与封面不符", "marked_by": "archivist"}


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")
def test_the_opinion_as_pdf(app, as_user, seed, incoming):
    import pikepdf

    api = as_user("archivist")
    started = api.post("/api/acceptance", json={"package": PACKAGE}).json()
    finished(app, api, started["id"])
    r = api.get(f"/acceptance/{started['id']}/opinion.pdf")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    with pikepdf.open(io.BytesIO(r.content)) as pdf:
        assert len(pdf.pages) >= 1
    assert quote(f"验收意见-{PACKAGE}.pdf") in r.headers["content-disposition"]


def test_a_check_stopped_with_the_server_can_be_run_again(app, as_user, seed, incoming):
    """A check that never ended (the server stopped while it ran) would keep the package's
    acceptance open for ever: 重新检测 runs it again, with the same sample."""
    from archive_store.tables import AcceptanceRow

    api = as_user("archivist")
    started = api.post("/api/acceptance", json={"package": PACKAGE}).json()
    finished(app, api, started["id"])
    assert api.post(f"/acceptance/{started['id']}/recheck", follow_redirects=False).status_code == 409
    with session_scope(seed.cfg) as s:
        row = s.get(AcceptanceRow, started["id"])
        row.status, row.checks, row.checks_passed = "checking", None, None
    assert "重新检测" in api.get(f"/acceptance/{started['id']}").text
    r = api.post(f"/acceptance/{started['id']}/recheck", follow_redirects=False)
    assert r.status_code == 303
    doc = finished(app, api, started["id"])
    assert doc["status"] == "inspecting" and doc["checks_passed"] is True and doc["seed"] == started["seed"]
    assert "acceptance_recheck" in actions(seed, started["id"])
