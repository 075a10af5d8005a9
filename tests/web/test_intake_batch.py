"""Batches from the browser: a ZIP upload and a scanning-room folder, live status per dossier,
re-queueing a held-back dossier after the fix; refusals for every other role."""

from __future__ import annotations

import dataclasses
import io
import zipfile
from pathlib import Path

from handover import idnumber

from .conftest import JINSHUI, sign_in
from .test_intake import HTML, jpeg, wait

PLACE = f"{JINSHUI.county},{JINSHUI.street},{JINSHUI.community}"


def manifest(rows: list[tuple[str, str]]) -> bytes:
    lines = ["公民身份号码,姓名,接收区县,接收街道,接收社区"] + [f"{n},{name},{PLACE}" for n, name in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


def batch_zip(scans) -> bytes:
    (n1, name1, folder1), (n2, _, folder2) = scans
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for n, folder in ((n1, folder1), (n2, folder2)):
            for page in sorted(folder.glob("*.jpg")):
                zf.write(page, f"第一批/{n}/{page.name}")
        zf.writestr("第一批/12345/0001.jpg", jpeg())  # not an ID number
        zf.writestr("第一批/manifest.csv", manifest([(n1, name1)]))  # no receiving place for n2
    return buf.getvalue()


def snapshot(root: Path) -> dict[str, tuple]:
    """Every file with its size and modification time, every folder (its own mtime changes when we
    add the fixed manifest)."""
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns) if p.is_file() else ("folder",)
            for p in sorted(root.rglob("*"))}


def by_id_number(state: dict) -> dict[str, dict]:
    return {d["id_number"]: d for d in state["batch"]["dossiers"]}


def test_a_batch_zip_runs_every_dossier_and_reports_each(seed, scans):
    from web.app import create_app

    (n1, name1, _), (n2, _, _) = scans
    api = sign_in(create_app(seed.cfg, max_upload_bytes=40 * 1024 * 1024), "archivist")
    r = api.post("/api/intake/batch", files={"archive": ("第一批.zip", batch_zip(scans), "application/zip")},
                 data={"profile": "henan-zhengzhou"})
    assert r.status_code == 202, r.text
    assert r.json()["kind"] == "batch" and r.json()["files"] == 3 and r.json()["name"] == "第一批"
    state = wait(api, r.json()["token"], timeout=400)
    rows = by_id_number(state)
    published = rows[idnumber.mask(n1)]
    assert published["stage"] == "published" and published["volume_id"] and published["ref_no"]
    assert published["pages_done"] == published["pages_total"] > 0
    assert rows[idnumber.mask(n2)]["stage"] == "quarantined" and "接收社区" in rows[idnumber.mask(n2)]["quarantine_reason"]
    assert "身份号码" in rows[""]["quarantine_reason"]  # the folder "12345"
    assert state["batch"]["published"] == 1 and state["batch"]["quarantined"] == 2
    html = api.get(f"/intake/{state['token']}", headers=HTML).text
    assert "批次数字化进度" in html and "第一批" in html and 'http-equiv="refresh"' not in html
    assert html.count("修正后重新排队") == 2 and f'href="/dossiers/{published["volume_id"]}"' in html
    assert n1 not in html and n2 not in html  # ID numbers masked
    assert name1 in api.get(f"/api/dossiers/{published['volume_id']}").json()["name"]
    intake_html = api.get("/intake", headers=HTML).text
    assert "批次：第一批" in intake_html
    # Both held-back dossiers wait on the intake page's to-do list, linked to their batch page.
    todo = intake_html[intake_html.index('id="quarantined"'):]
    assert "待处理的档案（2）" in todo and todo.count(f"/intake/{state['token']}#dossier-") == 2
    assert n2 in todo  # archive staff work with whole numbers (archive_store.read_rule.disclosure)
    assert "<div class=\"stat-value\">2</div><div class=\"stat-label\">待处理的档案" in \
        api.get("/", headers=HTML).text


def test_a_scanning_room_folder_is_ingested_in_place_and_requeued_after_the_fix(seed, scans, tmp_path):
    from web.app import create_app

    n2, name2, folder2 = scans[1]
    room = tmp_path / "scanning-room"
    batch = room / "2026-第3批"
    (batch / n2).mkdir(parents=True)
    for page in sorted(folder2.glob("*.jpg")):
        (batch / n2 / page.name).write_bytes(page.read_bytes())
    (room / ".partial").mkdir()
    (room / "说明.txt").write_text("扫描室")
    (room / "link").symlink_to(tmp_path)
    app = create_app(dataclasses.replace(seed.cfg, intake_root=room))
    api = sign_in(app, "archivist")
    assert api.get("/api/intake/folders").json() == [{"folder": "2026-第3批", "entries": 1}]
    page = api.get("/intake", headers=HTML).text
    assert '<option value="2026-第3批">' in page and 'value="link"' not in page and ".partial" not in page
    for bad in ("../scanning-room", str(batch), ".partial", "link", "2026-第3批/" + n2, ""):
        r = api.post("/api/intake/folder", json={"folder": bad})
        assert r.status_code == 400 and "从列表中选择" in r.json()["detail"], bad
    before = snapshot(room)

    r = api.post("/api/intake/folder", json={"folder": "2026-第3批", "profile": "henan-zhengzhou"})
    assert r.status_code == 202, r.text
    token = r.json()["token"]
    dossier = wait(api, token)["batch"]["dossiers"][0]
    assert dossier["stage"] == "quarantined" and "接收社区" in dossier["quarantine_reason"]
    assert snapshot(room) == before  # the workers only read the scanning room

    assert api.post(f"/api/intake/{token}/requeue/{dossier['id'] + 999}").status_code == 404
    (batch / "manifest.csv").write_bytes(manifest([(n2, name2)]))  # the fix: where the dossier goes
    r = api.post(f"/api/intake/{token}/requeue/{dossier['id']}")
    assert r.status_code == 202, r.text
    state = wait(api, token, timeout=400)
    done = state["batch"]["dossiers"][0]
    assert done["stage"] == "published" and done["volume_id"] and done["attempts"] == 2, done
    assert api.post(f"/api/intake/{token}/requeue/{dossier['id']}").status_code == 409  # published
    assert {k: v for k, v in snapshot(room).items() if k != "2026-第3批/manifest.csv"} == before


def test_batch_intake_refusals(app, as_user, seed):
    body = {"archive": ("b.zip", b"PK\x03\x04", "application/zip")}
    for name in ("comm_a", "ent_a"):
        api = as_user(name)
        assert api.post("/api/intake/batch", files=body).status_code == 403
        assert api.get("/api/intake/folders").status_code == 403
        assert api.post("/api/intake/folder", json={"folder": "x"}).status_code == 403
        assert api.post(f"/api/intake/{'0' * 32}/requeue/1").status_code == 403
        assert api.post("/intake/batch", files=body, headers=HTML).status_code == 403
    from fastapi.testclient import TestClient

    assert TestClient(app).get("/api/intake/folders").status_code == 401
    api = as_user("archivist")
    assert api.client.post("/api/intake/batch", files=body).status_code == 403  # no CSRF token
    assert api.get("/api/intake/folders").status_code == 404  # no scanning room configured
    assert 'action="/intake/folder"' not in api.get("/intake", headers=HTML).text
    assert api.post("/api/intake/folder", json={"folder": "x"}).status_code == 404
    r = api.post("/api/intake/batch", files={"archive": ("b.pdf", b"%PDF-1.4", "application/pdf")})
    assert r.status_code == 415
    r = api.post("/api/intake/batch", files={"archive": ("b.zip", b"%PDF-1.4", "application/zip")})
    assert r.status_code == 415
    evil = io.BytesIO()
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("410102195406183757/0001.jpg", jpeg())
        zf.writestr("../../../escape.pdf", b"%PDF-1.4")
    r = api.post("/api/intake/batch", files={"archive": ("b.zip", evil.getvalue(), "application/zip")})
    assert r.status_code == 400 and "../../../escape.pdf" in r.json()["detail"]
    intake_dir = seed.root / "web" / "intake"
    assert list(intake_dir.iterdir()) == []  # neither the upload nor a half-unpacked folder is left
    empty = io.BytesIO()
    with zipfile.ZipFile(empty, "w") as zf:
        zf.writestr("manifest.csv", "公民身份号码\n")
    r = api.post("/api/intake/batch", files={"archive": ("b.zip", empty.getvalue(), "application/zip")})
    assert r.status_code == 400 and "没有以身份证号命名" in r.json()["detail"]


def test_a_batch_dossier_of_a_person_already_filed_is_refused_and_goes_on_as_a_supplement(seed, scans, tmp_path):
    from archive_store.publish import publish_volume
    from tests.support.sample_volume import SamplePerson, write_sample_volume
    from web.app import create_app

    (n1, name1, folder1), (n2, name2, folder2) = scans
    first = publish_volume(seed.cfg, write_sample_volume(tmp_path / "first", SamplePerson(n1, name1)), JINSHUI,
                           "henan-zhengzhou", "入库员")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for n, folder in ((n1, folder1), (n2, folder2)):
            for page in sorted(folder.glob("*.jpg")):
                zf.write(page, f"第二批/{n}/{page.name}")
        zf.writestr("第二批/manifest.csv", manifest([(n1, name1), (n2, name2)]))
    api = sign_in(create_app(seed.cfg, max_upload_bytes=40 * 1024 * 1024), "archivist")
    assert "补充材料（同一人已有案卷）" in api.get("/intake", headers=HTML).text
    r = api.post("/api/intake/batch", files={"archive": ("第二批.zip", buf.getvalue(), "application/zip")},
                 data={"profile": "henan-zhengzhou"})
    assert r.status_code == 202, r.text
    token = r.json()["token"]
    rows = by_id_number(wait(api, token, timeout=400))
    held, other = rows[idnumber.mask(n1)], rows[idnumber.mask(n2)]
    assert other["stage"] == "published" and other["volume_id"]  # the rest of the batch went on
    assert held["stage"] == "quarantined" and held["quarantine_code"] == "second_volume"
    assert "已有入库案卷" in held["quarantine_reason"] and first.ref_no in held["quarantine_reason"]
    html = api.get(f"/intake/{token}", headers=HTML).text
    assert "已有入库案卷" in html and first.ref_no in html and "作为补充材料入库" in html and n1 not in html

    # Staff confirm it is 补充材料: the same dossier goes on, filed as the person's 卷号 2.
    done = api.post(f"/intake/{token}/requeue", data={"dossier_id": held["id"], "supplement": "1"},
                    headers=HTML, follow_redirects=False)
    assert done.status_code == 303
    rows = by_id_number(wait(api, token, timeout=400))
    sup = rows[idnumber.mask(n1)]
    assert sup["stage"] == "published" and sup["supplement"] and sup["ref_no"] != first.ref_no
    page = api.get(f"/dossiers/{sup['volume_id']}", headers=HTML).text
    assert "补充材料 第2卷" in page and f'href="/dossiers/{first.volume_id}"' in page
    assert f'href="/dossiers/{sup["volume_id"]}"' in api.get(f"/dossiers/{first.volume_id}", headers=HTML).text
    # Community staff of that community see both volumes of the person, linked, like any volume.
    comm = sign_in(create_app(seed.cfg), "comm_a")
    assert f'href="/dossiers/{first.volume_id}"' in comm.get(f"/dossiers/{sup['volume_id']}", headers=HTML).text
    assert {h["ref_no"] for h in comm.get("/api/search", params={"q": name1}).json()["hits"]} >= \
        {first.ref_no, sup["ref_no"]}
