"""Enterprise transfer documents: generate the docgen bundle in the background, download the zip
and single documents; other enterprises and other roles are refused."""

from __future__ import annotations

import io
import time
import zipfile

import pytest

from web.app import create_app

from .conftest import sign_in


@pytest.fixture
def app(seed):
    # The agreement's PDF through LibreOffice is docgen's business; DOCX is enough here.
    return create_app(seed.cfg, max_upload_bytes=2 * 1024 * 1024, bundle_text_pdf=False)


def wait_done(api, token, timeout=240):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = api.get(f"/api/documents/{token}").json()
        if state["status"] != "running":
            return state
        time.sleep(0.5)
    raise AssertionError("bundle did not finish")


def test_generate_and_download_the_bundle(app, seed):
    ent_b, ent_a = sign_in(app, "ent_b"), sign_in(app, "ent_a")
    assert ent_a.post("/api/documents").status_code == 400  # nothing imported yet
    r = ent_b.post("/api/documents")
    assert r.status_code == 202
    token = r.json()["token"]
    assert ent_a.get(f"/api/documents/{token}").status_code == 404  # as if it did not exist
    state = wait_done(ent_b, token)
    assert state["status"] == "done", state
    types = {d["type"] for d in state["documents"]}
    assert {"transfer_agreement", "community_roster", "archive_transfer_roster", "basic_info_form"} <= types
    z = ent_b.get(f"/documents/{token}/bundle.zip")
    assert z.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(z.content)).namelist()
    assert "manifest.json" in names and any(n.startswith("02_花名册/") for n in names)
    roster = next(d for d in state["documents"] if d["type"] == "community_roster" and d["format"] == "pdf")
    one = ent_b.get(f"/documents/{token}/files/{roster['index']}")
    assert one.status_code == 200 and one.content.startswith(b"%PDF")
    assert ent_b.get(f"/documents/{token}/files/9999").status_code == 404
    assert ent_b.get(f"/documents/{token}/files/-1").status_code == 404
    assert ent_a.get(f"/documents/{token}/bundle.zip").status_code == 404
    assert ent_a.get(f"/documents/{token}/files/0").status_code == 404
    for name in ("admin", "archivist", "comm_a"):
        assert sign_in(app, name).get(f"/documents/{token}/bundle.zip").status_code == 403
    html = ent_b.get("/documents", headers={"accept": "text/html"}).text
    assert "文书清单" in html and "下载全部（zip）" in html


def test_bundle_after_digitization_drafts_the_statement_the_enterprise_downloads(app, seed, tmp_path):
    """A published volume of one of the enterprise's retirees whose check found a 必要材料
    missing: the bundle holds that person's numbered 书面说明 and the street's list, the roster's
    备注 cites it, and the enterprise user downloads it."""
    from dataclasses import replace

    from docx import Document

    from archive_store.publish import publish_volume
    from completeness.check import check_volume
    from handover import volume_folder
    from handover.policy import load_profile
    from tests.support.sample_volume import SamplePerson, write_sample_volume

    from .conftest import JINSHUI, PROFILE

    r = seed.batch_b.retirees[0]
    person = SamplePerson(r.id_number, r.name, str(r.sex), r.birth_date, r.former_employer or "郑州第一纺织厂")
    folder = write_sample_volume(tmp_path / "v", person, seed=4, materials=3, check=None)
    report = check_volume(folder, None, load_profile(PROFILE), probe_images=False)
    assert report.missing_materials and report.provisional
    # archive staff waive the open 校对 items: the outcome is final, what is missing settled
    volume_folder.write(folder, replace(volume_folder.read_check(folder), waived=True, provisional=False))
    publish_volume(seed.cfg, folder, JINSHUI, PROFILE, "入库员")

    ent_b = sign_in(app, "ent_b")
    state = wait_done(ent_b, ent_b.post("/api/documents").json()["token"])
    assert state["status"] == "done", state
    statement = next(d for d in state["documents"] if d["type"] == "missing_statement")
    assert statement["path"].startswith("10_书面说明/") and r.name in statement["title"]
    assert any(d["type"] == "missing_statement_list" for d in state["documents"])
    got = ent_b.get(f"/documents/{state['token']}/files/{statement['index']}")
    assert got.status_code == 200
    doc = Document(io.BytesIO(got.content))
    cells = [c.text for row in doc.tables[0].rows for c in row.cells]
    assert r.id_number in cells and report.missing_materials[0] in cells
    rosters = [d for d in state["documents"] if d["type"] == "archive_transfer_roster" and d["format"] == "docx"]
    notes = [c.text for d in rosters
             for t in Document(io.BytesIO(ent_b.get(f"/documents/{state['token']}/files/{d['index']}").content)).tables
             for row in t.rows for c in row.cells]
    assert any(n.startswith(f"缺{report.missing_materials[0]}") and "见书面说明（编号" in n for n in notes)
    # the roster is now the receipt: the received pages for this person, the others 未接收
    from sqlalchemy import select

    from archive_store.tables import VolumeRow
    from handover.db import session_scope
    with session_scope(seed.cfg) as s:
        pages = s.scalar(select(VolumeRow.content_pages).where(VolumeRow.id_number == r.id_number))
    rows = [[c.text for c in row.cells] for d in rosters
            for t in Document(io.BytesIO(ent_b.get(f"/documents/{state['token']}/files/{d['index']}").content)).tables
            for row in t.rows]
    mine = next(row for row in rows if r.id_number in row)
    assert str(pages) in mine
    listed_others = [row for row in rows for x in seed.batch_b.retirees[1:] if x.id_number in row]
    assert listed_others and all("档案未接收" in row[-1] for row in listed_others)
    html = ent_b.get("/documents", headers={"accept": "text/html"}).text
    assert "档案材料缺失情况说明" in html and "档案材料缺失情况一览表" in html


def test_documents_page_names_the_regions_own_documents(app, seed):
    """The page says what the bundle will hold, from the enterprise's region profile: 河南's
    移交地调查表 is named for a 河南 enterprise and not once its region is 咸宁."""
    from sqlalchemy import select

    from handover.db import EnterpriseRow, session_scope

    ent_b = sign_in(app, "ent_b")
    html = ent_b.get("/documents", headers={"accept": "text/html"}).text
    assert "按本地区政策包括：" in html and "移交地调查表" in html and "社会化管理服务申请" in html
    with session_scope(seed.cfg) as s:
        for row in s.scalars(select(EnterpriseRow)):
            row.region = "xianning"
    html = ent_b.get("/documents", headers={"accept": "text/html"}).text
    assert "按本地区政策包括：" in html and "介绍信" in html
    assert "移交地调查表" not in html


def _newest_token(seed) -> str:
    from sqlalchemy import select

    from handover.db import session_scope
    from web.tables import BundleRow

    with session_scope(seed.cfg) as s:
        return s.scalar(select(BundleRow.token).order_by(BundleRow.id.desc()).limit(1))


def test_a_bundle_built_before_the_roster_changed_is_out_of_date_until_regenerated(app, seed, tmp_path):
    """Fresh after generation; 已过期 with the date of the change once the roster is imported
    again; the page's one button generates a new one, which is fresh."""
    from handover.roster.writer import write_xlsx

    ent_b = sign_in(app, "ent_b")
    first = wait_done(ent_b, ent_b.post("/api/documents").json()["token"])
    assert first["status"] == "done" and first["stale"] is False
    imported_at = first["roster_changed_at"]
    assert imported_at and imported_at <= first["created_at"]  # the seed's import, before the bundle
    assert "已过期" not in ent_b.get("/documents").text

    path = write_xlsx(tmp_path / "名册.xlsx", seed.batch_b.retirees, seed.batch_b.enterprise)
    with path.open("rb") as fh:
        upload = ent_b.post("/api/roster/uploads", files={"file": (path.name, fh, "application/octet-stream")})
    r = ent_b.post(f"/api/roster/uploads/{upload.json()['token']}/import", json={"mode": "all"})
    assert r.json()["report"]["rows_updated"] == 8

    state = ent_b.get(f"/api/documents/{first['token']}").json()
    assert state["status"] == "done" and state["stale"] is True
    assert state["roster_changed_at"] >= first["created_at"] and state["roster_changed_at"] != imported_at
    html = ent_b.get("/documents").text
    assert "已过期" in html and 'id="bundle-regenerate"' in html
    assert state["roster_changed_at"][:10] in html  # the date of the change
    assert ent_b.get(f"/documents/{first['token']}/bundle.zip").status_code == 200  # still there to compare

    assert ent_b.post("/documents/generate", follow_redirects=False).status_code == 303
    token = _newest_token(seed)
    assert token != first["token"]
    second = wait_done(ent_b, token)
    assert second["status"] == "done" and second["stale"] is False
    assert ent_b.get(f"/api/documents/{first['token']}").json()["stale"] is True
    assert "已过期" not in ent_b.get("/documents").text


def test_a_bundle_whose_web_process_ended_is_interrupted_and_may_be_generated_again(app, seed):
    """Without workers a bundle runs in a thread of a web process; when that process ends (a
    restart) its heartbeat stops: the row is shown 已中断 instead of running for ever, and a new
    generation is accepted. One whose heartbeat is recent still counts as running."""
    import datetime as dt

    from handover.clock import utcnow
    from handover.db import session_scope
    from web.bundles import LOST_AFTER
    from web.tables import BundleRow, UserRow
    from sqlalchemy import select

    def left_running(token: str, heartbeat: dt.datetime) -> None:
        with session_scope(seed.cfg) as s:
            user = s.scalar(select(UserRow).where(UserRow.username == "ent_b"))
            s.add(BundleRow(token=token, enterprise_id=user.enterprise_id, user_id=user.id, status="running",
                            label="社区花名册", done=3, total=40, created_at=heartbeat, heartbeat_at=heartbeat))

    ent_b = sign_in(app, "ent_b")
    left_running("a" * 32, utcnow() - 2 * LOST_AFTER)
    state = ent_b.get(f"/api/documents/{'a' * 32}").json()
    assert state["status"] == "interrupted" and "中断" in state["error"]
    assert "已中断" in ent_b.get("/documents").text
    new = ent_b.post("/api/documents").json()
    assert new["token"] != "a" * 32
    assert wait_done(ent_b, new["token"])["status"] == "done"

    left_running("b" * 32, utcnow())
    assert ent_b.get(f"/api/documents/{'b' * 32}").json()["status"] == "running"
    assert ent_b.post("/api/documents").json()["token"] == "b" * 32  # one at a time per enterprise
