"""The intake page's to-do list at scale: one line per held-back dossier — a name always (the
manifest's, else the roster's), the ID as the role may see it, batch, the stage it stopped at and
a short reason with the whole one on demand —, paged, filtered by batch and stage, the filters kept
in the links and the API's ``next``."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest

from handover import clock, idnumber
from handover.db import session_scope
from workers.tables import BatchRow, DossierRow

from .conftest import sign_in

HTML = {"accept": "text/html"}
LONG = ("完整性检查结论为退回。缺少退休审批表、职工履历表；第3页与第4页的页号重复，请核对原件后重新扫描。"
        "身份证号 {number} 与档案中的出生日期不一致。")


@pytest.fixture
def held(seed):
    """Batch "一" with 55 dossiers held at the check (names blank: some of the roster, the others unknown),
    batch "二" with 5 held at loading (a folder not named by an ID among them), one interrupted
    while reading (embedded, silent for a day) and one published."""
    roster = seed.batch_b.retirees
    known = len(roster) - 2  # the last two: the interrupted and the published dossier
    old = clock.utcnow() - dt.timedelta(days=1)
    with session_scope(seed.cfg) as s:
        one, two = BatchRow(name="一", source_dir="/scan/一"), BatchRow(name="二", source_dir="/scan/二")
        s.add_all([one, two])
        s.flush()
        for i in range(55):
            number = roster[i].id_number if i < known else idnumber.make("410105", dt.date(1950, 1, 1), 600 + i)
            s.add(DossierRow(batch_id=one.id, entry=number, id_number=number, source_path="/x", source_sha256="0" * 64,
                             stage="quarantined", quarantine_code="incomplete",
                             quarantine_reason=LONG.format(number=number),
                             failures=[{"stage": "loading", "reason": "旧的"}, {"stage": "checking", "reason": "退回"}],
                             updated_at=old + dt.timedelta(minutes=i)))
        for i in range(4):
            number = idnumber.make("410105", dt.date(1951, 2, 2), 700 + i)
            s.add(DossierRow(batch_id=two.id, entry=number, id_number=number, name=f"李{i}", source_path="/x",
                             source_sha256="0" * 64, stage="quarantined", quarantine_code="corrupt",
                             quarantine_reason="文件损坏", failures=[{"stage": "loading", "reason": "文件损坏"}]))
        s.add(DossierRow(batch_id=two.id, entry="张三扫描", id_number="", source_path="/x", source_sha256="0" * 64,
                         stage="quarantined", quarantine_code="bad_name", quarantine_reason="不是以有效的公民身份号码命名",
                         failures=[{"stage": "loading", "reason": "不是以有效的公民身份号码命名"}]))
        s.add(DossierRow(batch_id=two.id, entry="x1", id_number=roster[-1].id_number, source_path="/x",
                         source_sha256="0" * 64, stage="ocr", updated_at=old))
        s.add(DossierRow(batch_id=two.id, entry="x2", id_number=roster[-2].id_number, source_path="/x",
                         source_sha256="0" * 64, stage="published"))
        ids = one.id, two.id
    return {"one": ids[0], "two": ids[1], "roster": {r.id_number: r.name for r in roster}, "unknown": 55 - known}


def test_every_held_dossier_has_one_line_with_a_name_stage_and_short_reason(app, seed, held):
    api = sign_in(app, "archivist")
    answer = api.get("/api/intake/held").json()
    assert answer["total"] == 61 and len(answer["dossiers"]) == 50 and answer["next"]
    batches = {b["id"]: b["count"] for b in answer["batches"]}
    assert batches == {held["one"]: 55, held["two"]: 6}
    assert {s["stage"]: s["count"] for s in answer["stages"]} == {"loading": 5, "ocr": 1, "checking": 55}
    everyone = answer["dossiers"] + api.get(answer["next"]).json()["dossiers"]
    assert len({d["id"] for d in everyone}) == 61
    assert all(d["name"] for d in everyone)  # never blank
    by_number = {d["id_number"]: d for d in everyone}
    for number, name in held["roster"].items():
        if number in by_number:
            assert by_number[number]["name"] == name  # the roster's name where the manifest gave none
    assert sum(d["name"] == "姓名未登记" for d in everyone if d["id_number"]) == held["unknown"] > 0
    folder = next(d for d in everyone if not d["id_number"])
    assert folder["entry"] == "张三扫描" and folder["stage"] == "loading"
    stalled = next(d for d in everyone if d["stalled"])
    assert stalled["stage"] == "ocr" and "处理中断" in stalled["reason"]
    checked = next(d for d in everyone if d["stage"] == "checking")
    assert checked["stage_label"] == "完整性检查" and checked["reason_short"] == "完整性检查结论为退回"
    assert "页号重复" in checked["reason"]
    # archive staff work with whole numbers (archive_store.read_rule.disclosure)
    assert re.fullmatch(r"[0-9]{17}[0-9X]", checked["id_number"])


def test_filters_by_batch_and_stage_are_kept_in_the_page_links(app, seed, held):
    api = sign_in(app, "archivist")
    two = api.get(f"/api/intake/held?batch={held['two']}&stage=loading").json()
    assert two["total"] == 5 and two["next"] is None
    assert {d["batch_id"] for d in two["dossiers"]} == {held["two"]}
    first = api.get(f"/api/intake/held?batch={held['one']}&limit=20&sort=name").json()
    assert first["total"] == 55 and parse_qs(urlsplit(first["next"]).query) == {
        "batch": [str(held["one"])], "sort": ["name"], "limit": ["20"], "offset": ["20"]}
    html = unescape(api.get(f"/intake?stage=checking&batch={held['one']}", headers=HTML).text)
    todo = html[html.index('id="quarantined"'):]
    assert "待处理的档案（55）" in todo and todo.count('<tr class="err">') == 50
    nxt = re.search(r'<a class="button small" rel="next" href="([^"]+)"', todo).group(1)
    assert parse_qs(urlsplit(nxt).query) == {"batch": [str(held["one"])], "stage": ["checking"], "offset": ["50"]}
    # the whole reason on demand, the short one as its summary
    assert "<details><summary>完整性检查结论为退回</summary>" in todo and "页号重复" in todo
    assert api.get("/api/intake/held?stage=nowhere").status_code == 400
    assert api.get("/api/intake/held?batch=abc").status_code == 400
    assert api.get("/api/intake/held?sort=reason").status_code == 400


def test_the_list_is_archive_work(app, held):
    for who in ("comm_a", "ent_a"):
        assert sign_in(app, who).get("/api/intake/held").status_code == 403
