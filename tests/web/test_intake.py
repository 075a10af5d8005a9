"""Archive staff intake: upload a scanned dossier → workers batch → live status; refusals."""

from __future__ import annotations

import io
import time

from PIL import Image

from sqlalchemy import select

from archive_store.tables import AuditRow
from handover import idnumber
from handover.db import session_scope

HTML = {"accept": "text/html"}
STRANGER = idnumber.make("410102", __import__("datetime").date(1955, 3, 4), 17)


def jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (400, 560), (250, 250, 245)).save(buf, "JPEG")
    return buf.getvalue()


def wait(api, token, timeout=180):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = api.get(f"/api/intake/{token}").json()
        if state["done"]:
            return state
        time.sleep(0.5)
    raise AssertionError(f"intake not finished: {state}")


def test_upload_runs_through_the_workers_and_reports_status(as_user):
    api = as_user("archivist")
    r = api.post("/api/intake", files=[("files", ("0001.jpg", jpeg(), "image/jpeg"))],
                 data={"id_number": STRANGER, "profile": "henan-zhengzhou"})
    assert r.status_code == 202, r.text
    state = wait(api, r.json()["token"])
    dossier = state["batch"]["dossiers"][0]
    # Not in any roster and no receiving community given: the workers quarantine it, with the reason.
    assert dossier["stage"] == "quarantined" and "接收社区" in dossier["quarantine_reason"]
    assert dossier["id_number"] == idnumber.mask(STRANGER)
    html = api.get(f"/intake/{state['token']}", headers=HTML).text
    assert "已隔离" in html and 'http-equiv="refresh"' not in html
    assert "扫描件入库" in api.get("/intake", headers=HTML).text


def test_intake_refusals(as_user, seed):
    for name in ("comm_a", "ent_a"):
        r = as_user(name).post("/api/intake", files=[("files", ("0001.jpg", jpeg(), "image/jpeg"))],
                               data={"id_number": STRANGER})
        assert r.status_code == 403
    api = as_user("archivist")
    assert api.post("/api/intake", files=[("files", ("0001.jpg", jpeg(), "image/jpeg"))],
                    data={"id_number": "410102195503040000"}).status_code == 400  # bad check character
    assert api.post("/api/intake", files=[("files", ("a.exe", b"MZ\x90\x00", "application/octet-stream"))],
                    data={"id_number": STRANGER}).status_code == 415
    assert api.post("/api/intake", files=[("files", ("fake.pdf", jpeg(), "application/pdf"))],
                    data={"id_number": STRANGER}).status_code == 415
    assert api.post("/api/intake", files=[("files", ("0001.jpg", jpeg(), "image/jpeg"))],
                    data={"id_number": STRANGER, "county": "金水区"}).status_code == 400
    assert api.post("/api/intake", files=[("files", ("0001.jpg", jpeg(), "image/jpeg"))],
                    data={"id_number": STRANGER, "county": "..", "street": "a", "community": "b"}).status_code == 400
    assert api.client.post("/api/intake", files=[("files", ("0001.jpg", jpeg(), "image/jpeg"))],
                           data={"id_number": STRANGER}).status_code == 403  # no CSRF token
    assert api.get("/api/intake/" + "0" * 32).status_code == 404
    assert api.get("/api/intake/../../etc").status_code == 404
    assert api.get("/api/intake/not-a-token").status_code == 404
    with session_scope(seed.cfg) as s:  # guessed batches leave a trace
        guessed = s.scalars(select(AuditRow.target).where(AuditRow.action == "not_found")).all()
    assert {"intake/" + "0" * 32, "intake/not-a-token"} <= set(guessed)
