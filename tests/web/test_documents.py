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
