"""退回 from the dossier page: only archive staff, a reason is required, the volume disappears for
everyone else, the workers' dossier is quarantined and re-queueing files it again under its 档号."""

from __future__ import annotations

import io
import os

from openpyxl import load_workbook
from sqlalchemy import select

from archive_store.tables import AuditRow
from handover.db import session_scope
from workers.tables import DossierPageRow

from .conftest import JINSHUI, PLANTED, sign_in
from .test_intake import HTML, wait

REASON = "缺少入党志愿书原件，退回移交单位补充"


def catalog_refs(api, community_id: int) -> str:
    r = api.get(f"/catalogs/{community_id}.xlsx")
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.content)).worksheets[0]
    return " ".join(str(c.value) for row in ws.iter_rows() for c in row if c.value is not None)


def test_withdraw_is_for_archive_staff_with_a_reason(as_user, seed):
    url = f"/api/dossiers/{seed.volume_a}/withdraw"
    for name in ("comm_a", "ent_a"):
        assert as_user(name).post(url, json={"reason": REASON}).status_code == 403
        assert as_user(name).post(f"/dossiers/{seed.volume_a}/withdraw", data={"reason": REASON},
                                  headers=HTML).status_code == 403
    api = as_user("archivist")
    assert api.client.post(url, json={"reason": REASON}).status_code == 403  # no CSRF token
    r = api.post(url, json={"reason": "   "})
    assert r.status_code == 400 and "原因" in r.json()["detail"]
    assert api.post(url, json={}).status_code == 422
    assert api.post("/api/dossiers/999999/withdraw", json={"reason": REASON}).status_code == 404
    assert api.get(f"/api/dossiers/{seed.volume_a}").json()["status"] == "published"  # nothing happened
    assert '<details class="withdraw"' in api.get(f"/dossiers/{seed.volume_a}", headers=HTML).text
    assert '<details class="withdraw"' not in as_user("comm_a").get(f"/dossiers/{seed.volume_a}", headers=HTML).text


def test_a_withdrawn_volume_is_gone_for_everyone_but_archive_staff(as_user, seed):
    comm, archivist = as_user("comm_a"), as_user("archivist")
    query = {"q": PLANTED[2:8]}
    assert len(comm.get("/api/search", params=query).json()["hits"]) == 1
    r = comm.post(f"/api/dossiers/{seed.volume_a}/requests", json={"kind": "view", "reason": "核实出生日期"})
    assert r.status_code == 201, r.text
    ref_no = archivist.get(f"/api/dossiers/{seed.volume_a}").json()["ref_no"]
    assert ref_no in catalog_refs(comm, seed.community_a)

    r = archivist.post(f"/dossiers/{seed.volume_a}/withdraw", data={"reason": REASON, "csrf_token": archivist.csrf},
                       headers=HTML, follow_redirects=False)
    assert r.status_code == 303

    assert comm.get("/api/search", params=query).json()["hits"] == []
    assert comm.get("/api/search", params={"q": seed.person_a.name}).json()["hits"] == []
    assert comm.get(f"/api/dossiers/{seed.volume_a}").status_code == 404
    page = comm.get(f"/dossiers/{seed.volume_a}", headers=HTML)
    assert page.status_code == 404 and seed.person_a.name not in page.text and REASON not in page.text
    assert comm.get(f"/dossiers/{seed.volume_a}/pages/1/image").status_code == 404
    assert comm.get(f"/dossiers/{seed.volume_a}/volume.pdf").status_code == 404
    assert ref_no not in catalog_refs(comm, seed.community_a)
    assert all(row["volume_id"] != seed.volume_a for row in comm.get("/api/requests").json()["requests"])
    counts = {c["id"]: c["volumes"] for c in comm.get("/api/catalogs").json()["communities"]}
    assert counts[seed.community_a] == 1  # volume_c only
    assert as_user("ent_a").get(f"/api/dossiers/{seed.volume_a}").status_code == 403

    # Archive staff: not in search or catalogs either, but the dossier page shows why.
    assert all(h["volume_id"] != seed.volume_a for h in archivist.get("/api/search", params=query).json()["hits"])
    assert ref_no not in catalog_refs(archivist, seed.community_a)
    data = archivist.get(f"/api/dossiers/{seed.volume_a}").json()
    assert data["status"] == "withdrawn" and data["withdrawal"]["reason"] == REASON
    assert data["withdrawal"]["actor"] == "archivist" and data["ref_no"] == ref_no
    html = archivist.get(f"/dossiers/{seed.volume_a}", headers=HTML).text
    assert "本卷已退回" in html and REASON in html and '<details class="withdraw"' not in html
    assert archivist.get(f"/dossiers/{seed.volume_a}/pages/1/image").status_code == 200  # files are kept
    assert archivist.post(f"/api/dossiers/{seed.volume_a}/withdraw", json={"reason": REASON}).status_code == 404
    with session_scope(seed.cfg) as s:
        row = s.scalar(select(AuditRow).where(AuditRow.action == "withdraw"))
        assert (row.actor, row.target, row.reason) == ("archivist", ref_no, REASON)
    # Archive staff find it again in the list of withdrawn volumes; nobody else has that list.
    (listed,) = archivist.get("/api/withdrawn").json()
    assert (listed["ref_no"], listed["reason"], listed["volume_id"]) == (ref_no, REASON, seed.volume_a)
    assert seed.person_a.id_number not in str(listed) and listed["at"].endswith("+08:00")
    catalogs = archivist.get("/catalogs", headers=HTML).text
    assert "已退回的案卷" in catalogs and ref_no in catalogs and f"/dossiers/{seed.volume_a}" in catalogs
    assert comm.get("/api/withdrawn").status_code == 403
    assert "已退回的案卷" not in comm.get("/catalogs", headers=HTML).text


def test_withdrawing_a_worker_published_dossier_quarantines_it_and_requeue_keeps_the_number(seed, scans):
    from web.app import create_app

    number, name, folder = scans[0]
    api = sign_in(create_app(seed.cfg, max_upload_bytes=40 * 1024 * 1024), "archivist")
    pages = [("files", (p.name, p.read_bytes(), "image/jpeg")) for p in sorted(folder.glob("*.jpg"))]
    r = api.post("/api/intake", files=pages, data={
        "id_number": number, "name": name, "county": JINSHUI.county, "street": JINSHUI.street,
        "community": JINSHUI.community, "profile": "henan-zhengzhou"})
    assert r.status_code == 202, r.text
    token = r.json()["token"]
    first = wait(api, token, timeout=400)["batch"]["dossiers"][0]
    assert first["stage"] == "published", first
    with session_scope(seed.cfg) as s:  # the pages were OCR'd in a child process, not in the web server
        workers = set(s.scalars(select(DossierPageRow.worker).where(DossierPageRow.dossier_id == first["id"])))
    assert workers and all(w.startswith("embedded@") and w != f"embedded@{os.getpid()}" for w in workers), workers

    r = api.post(f"/api/dossiers/{first['volume_id']}/withdraw", json={"reason": REASON})
    assert r.status_code == 200, r.text
    assert r.json() == {"ref_no": first["ref_no"], "status": "withdrawn", "reason": REASON, "dossier": first["id"]}
    held = api.get(f"/api/intake/{token}").json()["batch"]["dossiers"][0]
    assert held["stage"] == "quarantined" and held["quarantine_code"] == "withdrawn"
    assert REASON in held["quarantine_reason"] and held["volume_id"] is None
    assert "修正后重新排队" in api.get(f"/intake/{token}", headers=HTML).text

    # The enterprise supplied the material (here: the same files) and the dossier is re-queued.
    assert api.post(f"/api/intake/{token}/requeue/{first['id']}").status_code == 202
    again = wait(api, token, timeout=400)["batch"]["dossiers"][0]
    assert again["stage"] == "published", again
    assert (again["ref_no"], again["volume_id"]) == (first["ref_no"], first["volume_id"])
    assert api.get(f"/api/dossiers/{first['volume_id']}").json()["status"] == "published"
