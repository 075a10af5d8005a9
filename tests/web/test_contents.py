"""Archive staff correct the 卷内目录 of a published volume; everyone else may not."""

from __future__ import annotations

from sqlalchemy import select

from archive_store.tables import AuditRow
from handover.db import session_scope

HTML = {"accept": "text/html"}


def test_archive_staff_correct_a_contents_row_and_the_catalog_follows(as_user, seed):
    archivist = as_user("archivist")
    d = archivist.get(f"/api/dossiers/{seed.volume_a}").json()
    first, *_ = d["contents"]
    assert f"/dossiers/{seed.volume_a}/contents/{first['id']}" in archivist.get(f"/dossiers/{seed.volume_a}",
                                                                            headers=HTML).text
    form = archivist.get(f"/dossiers/{seed.volume_a}/contents/{first['id']}", headers=HTML).text
    assert "更正卷内目录" in form and first["title"] in form

    new_class = "九-1" if first["class_code"] != "九-1" else "一"
    r = archivist.put(f"/api/dossiers/{seed.volume_a}/contents/{first['id']}",
                      json={"title": "职工工资变动审批表", "class_code": new_class, "formed_on": "1985-10-01",
                            "remarks": "核对原件更正", "reason": "名称识别有误"})
    assert r.status_code == 200, r.text
    assert r.json()["seq"] == f"{new_class}-1" and r.json()["class_code"] == new_class
    after = archivist.get(f"/api/dossiers/{seed.volume_a}").json()
    row = next(m for m in after["contents"] if m["id"] == first["id"])
    assert (row["title"], row["formed_on"], row["remarks"]) == ("职工工资变动审批表", "1985-10-01", "核对原件更正")
    assert len({m["seq"] for m in after["contents"]}) == len(after["contents"])  # 序号 renumbered, still unique
    assert after["date_from"] <= "1985-10-01" <= after["date_to"]
    # The class filter of search follows the correction.
    hits = archivist.get("/api/search", params={"q": seed.person_a.name, "class": new_class}).json()["hits"]
    assert any(h["volume_id"] == seed.volume_a for h in hits)
    with session_scope(seed.cfg) as s:
        audit = s.scalar(select(AuditRow).where(AuditRow.action == "edit_contents"))
        assert audit.actor == "archivist" and audit.reason == "名称识别有误"
        assert audit.detail["before"]["title"] == first["title"] and audit.detail["after"]["class_code"] == new_class


def test_contents_corrections_are_checked_and_for_archive_staff_only(as_user, seed):
    archivist = as_user("archivist")
    first = archivist.get(f"/api/dossiers/{seed.volume_a}").json()["contents"][0]
    url = f"/api/dossiers/{seed.volume_a}/contents/{first['id']}"
    body = {"title": "自传", "class_code": "二", "formed_on": None}
    assert archivist.put(url, json={**body, "class_code": "十一"}).status_code == 400
    assert archivist.put(url, json={**body, "title": "  "}).status_code == 400
    assert archivist.put(url, json={**body, "formed_on": "2999-01-01"}).status_code == 400
    other = archivist.get(f"/api/dossiers/{seed.volume_b}").json()["contents"][0]
    assert archivist.put(f"/api/dossiers/{seed.volume_a}/contents/{other['id']}", json=body).status_code == 404
    assert as_user("comm_a").put(url, json=body).status_code == 403
    assert as_user("ent_a").put(url, json=body).status_code == 403
    html = as_user("comm_a").get(f"/dossiers/{seed.volume_a}", headers=HTML).text
    assert "/contents/" not in html  # no 更正 buttons for community staff
    bad = archivist.post(f"/dossiers/{seed.volume_a}/contents/{first['id']}", headers=HTML,
                         data={"title": "自传", "class_code": "二", "formed_on": "1985年", "csrf_token": archivist.csrf})
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.text
    # The page form works and comes back to the dossier.
    r = archivist.post(f"/dossiers/{seed.volume_a}/contents/{first['id']}", headers=HTML, follow_redirects=False,
                       data={"title": "自传", "class_code": "二", "formed_on": "", "csrf_token": archivist.csrf})
    assert r.status_code == 303 and r.headers["location"] == f"/dossiers/{seed.volume_a}#contents"
    assert archivist.get(f"/api/dossiers/{seed.volume_a}").json()["contents"][0]["title"] == "自传"


def test_the_contents_list_prints_as_it_stands_now(as_user, seed, tmp_path):
    import io
    import subprocess

    from docx import Document

    archivist = as_user("archivist")
    first = archivist.get(f"/api/dossiers/{seed.volume_a}").json()["contents"][0]
    archivist.put(f"/api/dossiers/{seed.volume_a}/contents/{first['id']}",
                  json={"title": "招工登记表（更正后）", "class_code": first["class_code"], "formed_on": None})
    pdf = archivist.get(f"/dossiers/{seed.volume_a}/contents.pdf")
    assert pdf.status_code == 200 and pdf.content[:5] == b"%PDF-"
    (tmp_path / "c.pdf").write_bytes(pdf.content)
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(tmp_path / "c.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    compact = "".join(text.split())
    ref_no = archivist.get(f"/api/dossiers/{seed.volume_a}").json()["ref_no"]
    assert f"档号：{ref_no}" in compact and "材料名称" in compact and "招工登记表（更正后）" in compact
    docx = archivist.get(f"/dossiers/{seed.volume_a}/contents.docx")
    cells = [c.text for t in Document(io.BytesIO(docx.content)).tables for r in t.rows for c in r.cells]
    assert "招工登记表（更正后）" in cells
    # Community staff print their own community's; not another's; enterprises not at all.
    assert as_user("comm_a").get(f"/dossiers/{seed.volume_a}/contents.pdf").status_code == 200
    assert as_user("comm_b").get(f"/dossiers/{seed.volume_a}/contents.pdf").status_code == 404
    assert as_user("ent_a").get(f"/dossiers/{seed.volume_a}/contents.pdf").status_code == 403
    assert archivist.get(f"/dossiers/{seed.volume_a}/contents.txt").status_code == 404
