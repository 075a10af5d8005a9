"""The 校对 queue: archive staff confirm or correct what the completeness check was unsure of.

The volume used here is built so that the real check (``completeness.check.check_volume``) puts
items in the queue: a handwritten 姓名 OCR read one character off at low confidence (name), a
material date whose year lost a character, "一九五年三月八日" (formed_on), and a material whose
title was not read (title), which leaves the required 退休审批表 missing (outcome 不完整). Its
pages are rendered images, so the crops show the form around each value.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import func, select

from archive_store.tables import AuditRow, ReviewAnswerRow, StoredObjectRow, VolumeRow
from archive_store.watermark import read_mark
from handover import idnumber
from handover.db import session_scope

from .conftest import JINSHUI, PROFILE

HTML = {"accept": "text/html"}
NAME = "赵德明"
MISREAD = "赵德朋"  # OCR's reading of the handwritten name on image 3
ID_NUMBER = idnumber.make("410105", dt.date(1936, 3, 12), 7)
SANS = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
KAI = "/usr/share/fonts/truetype/arphic-gkai00mp/gkai00mp.ttf"
W, H = 1240, 1754

# (class code, title in the 卷内目录, formed_on, heading printed on the page or None, lines)
# A line is (text OCR read, box, confidence, what is drawn when it differs, handwritten).
MATERIALS = (
    ("一", "职工登记表", "1954-08-01", "职工登记表", [
        ("姓名", (120, 300, 220, 344), 0.99, None, False), (NAME, (250, 296, 420, 348), 0.97, None, True),
        ("性别", (560, 300, 660, 344), 0.99, None, False), ("男", (690, 296, 740, 348), 0.98, None, True),
        ("出生年月", (120, 390, 300, 434), 0.99, None, False), ("1936年3月", (330, 386, 560, 438), 0.96, None, True),
        ("公民身份号码", (120, 480, 380, 524), 0.99, None, False), (ID_NUMBER, (410, 476, 900, 528), 0.97, None, True),
        ("家庭出身工人，本人成分学生。", (120, 600, 800, 640), 0.95, None, False)]),
    ("九-2", "招工登记表", "1954-09-01", "招工登记表", [
        ("姓名", (120, 300, 220, 344), 0.99, None, False), (NAME, (250, 296, 420, 348), 0.96, None, True),
        ("经审查符合招工条件，同意录用为全民所有制固定工。", (120, 420, 1100, 460), 0.95, None, False),
        ("批准日期：1954年9月1日", (120, 520, 640, 560), 0.95, None, False)]),
    ("九-1", "转正定级审批表", "1955-09-01", "转正定级审批表", [
        ("姓名", (120, 300, 220, 344), 0.99, None, False), (MISREAD, (250, 292, 430, 352), 0.72, NAME, True),
        ("性别", (560, 300, 660, 344), 0.99, None, False), ("男", (690, 296, 740, 348), 0.98, None, True),
        ("出生年月", (120, 390, 300, 434), 0.99, None, False), ("1936年3月", (330, 386, 560, 438), 0.95, None, True),
        ("试用期满，同意转正定为二级工。", (120, 520, 800, 560), 0.95, None, False)]),
    ("九-1", "工资调整审批表", None, "工资调整审批表", [
        ("根据文件精神，调整工资，增加工资级别。", (120, 320, 1000, 360), 0.95, None, False),
        ("批准时间：", (120, 440, 330, 480), 0.98, None, False),
        ("一九五年三月八日", (340, 434, 700, 486), 0.93, "一九五八年三月八日", True)]),
    ("九", "未识别材料", "1996-03-01", None, [
        ("符合国家规定的退休条件，同意办理退休手续。", (120, 320, 1000, 360), 0.95, None, False),
        ("连续工龄四十二年。", (120, 400, 560, 440), 0.95, None, False)]),
    ("九", "基本养老金核定表", "1996-04-01", "基本养老金核定表", [
        ("基本养老金、缴费年限、个人账户储存额。", (120, 320, 1000, 360), 0.95, None, False)]),
)
# The items the check gives this volume (keys are "<field>:<image index>").
NAME_KEY, FORMED_KEY, TITLE_KEY = "name:3", "formed_on:4", "title:5"


def _draw(lines, heading: str | None) -> Image.Image:
    img = Image.new("RGB", (W, H), (252, 251, 246))
    d = ImageDraw.Draw(img)
    sans, kai = ImageFont.truetype(SANS, 34, index=2), ImageFont.truetype(KAI, 44)
    if heading:
        d.text((W // 2, 170), heading, font=ImageFont.truetype(SANS, 56, index=2), fill=(20, 20, 20), anchor="mm")
    d.rectangle((90, 270, W - 90, 700), outline=(60, 60, 60), width=3)
    d.ellipse((W - 420, H - 460, W - 160, H - 200), outline=(200, 30, 30), width=8)  # the unit's red seal
    d.text((W - 290, H - 330), "人事专用章", font=ImageFont.truetype(SANS, 34, index=2), fill=(200, 30, 30), anchor="mm")
    for text, box, _conf, drawn, hand in lines:
        d.text((box[0], box[1]), drawn or text, font=kai if hand else sans, fill=(30, 40, 120) if hand else (20, 20, 20))
    return img


def build_review_volume(root: Path, materials=MATERIALS, spans: tuple[int, ...] | None = None,
                        struck: dict[int, tuple[str, tuple[int, int, int, int], tuple[int, int, int, int]]] | None = None
                        ) -> Path:
    """A digitized volume folder (ocr package format), checked by the completeness package.

    One page per material; ``spans`` (pages per 卷内目录 row) makes rows of several pages, named
    after their first page's material — a catalogue split otherwise than the pages say.
    ``struck`` draws on image N a value crossed out (text, box) and records the alteration's place
    (box) in ocr.json as OCR does (``ocr.strikes``): the struck value is not among the lines."""
    from completeness.check import check_volume
    from handover.policy import load_profile
    from ocr.numbering import sequence_numbers

    root = Path(root)
    (root / "pages").mkdir(parents=True)
    (root / "originals").mkdir()
    pages, rows, images = [], [], []
    spans = spans or (1,) * len(materials)
    firsts = [sum(spans[:k]) for k in range(len(spans))]  # 0-based page of each row's first page
    seqs = iter(sequence_numbers([materials[f][0] for f in firsts]))
    for i, (code, title, formed, heading, lines) in enumerate(materials, 1):
        img = _draw(lines, heading)
        if struck and i in struck:
            text, (x0, y0, x1, y1), _ = struck[i]
            d = ImageDraw.Draw(img)
            d.text((x0, y0), text, font=ImageFont.truetype(KAI, 44), fill=(30, 40, 120))
            d.line((x0 - 6, (y0 + y1) // 2 + 4, x1 + 6, (y0 + y1) // 2), fill=(30, 40, 120), width=4)
        img.save(root / "pages" / f"{i:04d}.jpg", quality=80)
        img.save(root / "originals" / f"scan-{i:03d}.jpg", quality=80)
        images.append(img)
        ocr_lines = ([{"text": heading, "box": [W // 2 - 30 * len(heading), 140, W // 2 + 30 * len(heading), 200],
                       "confidence": 0.99}] if heading else [])
        ocr_lines += [{"text": t, "box": list(b), "confidence": c} for t, b, c, _d, _h in lines]
        pages.append({"index": i, "page_no": i, "blank": False, "duplicate_of": None, "confidence": 0.95,
                      "dpi": 300, "width": W, "height": H, "text": "\n".join(l["text"] for l in ocr_lines),
                      "lines": ocr_lines, "struck": [list(struck[i][2])] if struck and i in struck else []})
        if i - 1 in firsts:
            n = spans[firsts.index(i - 1)]
            rows.append({"seq": next(seqs), "class_code": code, "title": title, "formed_on": formed, "pages": n,
                         "start_page": i, "end_page": i + n - 1, "remarks": ""})
    images[0].save(root / "volume.pdf", save_all=True, append_images=images[1:])
    dump = lambda obj: json.dumps(obj, ensure_ascii=False, indent=1)  # noqa: E731
    (root / "ocr.json").write_text(dump({"engine": "sample", "pages": pages}), encoding="utf-8")
    (root / "contents.json").write_text(dump({"rows": rows}), encoding="utf-8")
    (root / "volume.json").write_text(dump({"id_number": ID_NUMBER, "name": NAME, "ref_no": None, "engine": "sample",
                                            "content_pages": len(pages), "blank_pages": 0, "duplicate_pages": 0,
                                            "warnings": []}), encoding="utf-8")
    check_volume(root, None, load_profile(PROFILE))
    return root


@pytest.fixture(scope="session")
def review_source(tmp_path_factory) -> Path:
    return build_review_volume(tmp_path_factory.mktemp("review") / "volume")


@pytest.fixture
def vol(seed, review_source) -> int:
    """The review volume published into this test's data folder (纬五路社区, as comm_a's)."""
    from archive_store.publish import publish_volume

    return publish_volume(seed.cfg, review_source, JINSHUI, PROFILE, "入库员").volume_id


def _queue(api, vol: int) -> dict:
    r = api.get(f"/api/dossiers/{vol}/review")
    assert r.status_code == 200, r.text
    return r.json()


def _state(seed, vol: int) -> tuple:
    """What a refused answer must leave alone: answers, audit rows, outcome, stored check.json."""
    with session_scope(seed.cfg) as s:
        return (s.scalar(select(func.count()).select_from(ReviewAnswerRow)),
                s.scalar(select(func.count()).select_from(AuditRow).where(AuditRow.action.in_(
                    ("review_answer", "review_waive", "edit_contents")))),
                s.get(VolumeRow, vol).check_outcome,
                s.scalar(select(StoredObjectRow.sha256).where(StoredObjectRow.volume_id == vol,
                                                              StoredObjectRow.key == "check.json")))


def _stored_check(seed, vol: int) -> dict:
    from archive_store.storage import open_storage

    with session_scope(seed.cfg) as s:
        prefix = s.get(VolumeRow, vol).prefix
    return json.loads(open_storage(seed.cfg).get(f"{prefix}/check.json"))


def test_the_queue_lists_each_item_beside_its_crop(as_user, seed, vol):
    archivist = as_user("archivist")
    q = _queue(archivist, vol)
    items = {i["key"]: i for i in q["open"]}
    assert {NAME_KEY, FORMED_KEY, TITLE_KEY} <= set(items)
    assert q["outcome"] == "incomplete" and q["provisional"] is True and q["waiver"] is None
    name = items[NAME_KEY]
    assert (name["label"], name["page"], name["page_no"], name["value"]) == ("姓名", 3, 3, MISREAD)
    assert name["material"] == "转正定级审批表" and "姓名" in name["reason_zh"]
    assert items[FORMED_KEY]["label"] == "材料形成时间" and "一九五年三月八日" in items[FORMED_KEY]["reason_zh"]
    assert items[TITLE_KEY]["value"] == "" and items[TITLE_KEY]["material"] == "未识别材料"

    html = archivist.get(f"/dossiers/{vol}/review", headers=HTML).text
    for key in (NAME_KEY, FORMED_KEY, TITLE_KEY):
        assert f'action="/dossiers/{vol}/review/{key}"' in html and f'src="/dossiers/{vol}/review/{key}/crop"' in html
    assert f'value="{MISREAD}"' in html and "autofocus" in html and 'name="csrf_token"' in html
    assert "待校对" in html and "全部放弃 / 确认现状" in html and "/static/review.js" in html

    # The dossier page links the queue with its count and marks the outcome provisional.
    page = archivist.get(f"/dossiers/{vol}", headers=HTML).text
    assert f'href="/dossiers/{vol}/review"' in page and f"进入校对（{len(q['open'])}）" in page
    assert 'id="outcome-provisional"' in page
    # Across dossiers: the home page count and the list it links to.
    pending = archivist.get("/api/review").json()
    assert vol in [p["volume_id"] for p in pending]
    assert next(p for p in pending if p["volume_id"] == vol)["open_count"] == len(q["open"])
    home = archivist.get("/", headers=HTML).text
    assert f"待校对 {len(pending)} 卷" in home and 'href="/review"' in home
    assert f'href="/dossiers/{vol}/review"' in archivist.get("/review", headers=HTML).text
    assert f"待校对 {len(pending)} 卷" in as_user("admin").get("/", headers=HTML).text

    # Community staff and enterprises have no queue (the outcome they see is still marked).
    comm = as_user("comm_a")
    assert comm.get(f"/dossiers/{vol}/review", headers=HTML).status_code == 403
    assert comm.get(f"/api/dossiers/{vol}/review").status_code == 403
    assert comm.get("/api/review").status_code == 403
    assert as_user("ent_a").get(f"/api/dossiers/{vol}/review").status_code == 403
    comm_page = comm.get(f"/dossiers/{vol}", headers=HTML).text
    assert f"/dossiers/{vol}/review" not in comm_page and 'id="outcome-provisional"' in comm_page
    assert "待校对" not in comm.get("/", headers=HTML).text


def test_the_crop_follows_the_page_image_rules(as_user, seed, vol):
    archivist = as_user("archivist")
    r = archivist.get(f"/dossiers/{vol}/review/{NAME_KEY}/crop")
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    with Image.open(io.BytesIO(r.content)) as img:
        assert img.width < W and img.height < H  # the part around the value, not the page
        assert img.height >= 352 - 292  # the value's box and some of the form around it
    with session_scope(seed.cfg) as s:
        row = s.scalar(select(AuditRow).where(AuditRow.action == "view_page").order_by(AuditRow.id.desc()))
        assert row.actor == "archivist" and row.target.endswith("/3") and row.detail["crop"] == NAME_KEY
    assert archivist.get(f"/dossiers/{vol}/review/name:99/crop").status_code == 404

    comm_a = as_user("comm_a")
    assert comm_a.get(f"/dossiers/{vol}/review/{NAME_KEY}/crop").status_code == 403  # no approved 查阅
    assert as_user("comm_b").get(f"/dossiers/{vol}/review/{NAME_KEY}/crop").status_code == 404  # other community
    assert as_user("ent_a").get(f"/dossiers/{vol}/review/{NAME_KEY}/crop").status_code == 403
    rid = comm_a.post(f"/api/dossiers/{vol}/requests", json={"kind": "view", "reason": "核实姓名"}).json()["id"]
    assert archivist.post(f"/api/requests/{rid}/approve", json={"note": "同意"}).status_code == 200
    crop = comm_a.get(f"/dossiers/{vol}/review/{NAME_KEY}/crop")
    assert crop.status_code == 200  # as for the page image, and marked like it (水印)
    assert crop.headers["cache-control"] == "private, no-store"
    with session_scope(seed.cfg) as s:
        row = s.scalar(select(AuditRow).where(AuditRow.action == "view_page").order_by(AuditRow.id.desc()))
        assert row.actor == "comm_a" and read_mark(crop.content) == row.detail["mark"]
        denied = s.scalars(select(AuditRow).where(AuditRow.action == "denied")).all()
        assert {"comm_a", "comm_b", "ent_a"} <= {d.actor for d in denied}


def test_a_correction_is_audited_and_the_recheck_changes_the_outcome(as_user, seed, vol):
    from archive_store.verify import verify

    archivist = as_user("archivist")
    r = archivist.put(f"/api/dossiers/{vol}/review/{TITLE_KEY}", json={"value": "退休审批表"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["answer"]["value"] == "退休审批表" and body["answer"]["confirmed"] is False
    assert body["outcome_before"] == "incomplete" and body["contents_row"] is not None
    q = body["queue"]
    assert q["outcome"] == "complete" and q["outcome_label"] == "完整"  # 退休审批表 is no longer missing
    assert TITLE_KEY not in {i["key"] for i in q["open"]} and q["provisional"] is True  # others still open

    # The re-check is stored with the volume: check.json, its hash, the volume row, the dossier.
    stored = _stored_check(seed, vol)
    assert stored["outcome"] == "complete" and stored["provisional"] is True
    assert TITLE_KEY not in {i["key"] for i in stored["review"]} and stored["missing"] == []
    with session_scope(seed.cfg) as s:
        assert s.get(VolumeRow, vol).check_outcome == "complete"
        answer = s.scalar(select(AuditRow).where(AuditRow.action == "review_answer"))
        assert answer.actor == "archivist" and answer.target.endswith(f"/{TITLE_KEY}")
        assert (answer.detail["before"], answer.detail["after"]) == ("", "退休审批表")
        assert (answer.detail["outcome_before"], answer.detail["outcome_after"]) == ("incomplete", "complete")
        contents = s.scalar(select(AuditRow).where(AuditRow.action == "edit_contents"))
        assert contents.detail["before"]["title"] == "未识别材料" and contents.detail["after"]["title"] == "退休审批表"
    d = archivist.get(f"/api/dossiers/{vol}").json()
    assert d["completeness"]["outcome"] == "complete" and "退休审批表" in [m["title"] for m in d["contents"]]
    assert verify(seed.cfg).ok  # stored-object hashes and the manifest follow the new check.json

    # Answering again with the same value changes nothing; another value is a new, audited answer.
    again = archivist.put(f"/api/dossiers/{vol}/review/{TITLE_KEY}", json={"value": "退休审批表"}).json()
    assert again["changed"] is False
    archivist.put(f"/api/dossiers/{vol}/review/{TITLE_KEY}", json={"value": "职工退休审批表"})
    with session_scope(seed.cfg) as s:
        rows = s.scalars(select(AuditRow).where(AuditRow.action == "review_answer").order_by(AuditRow.id)).all()
        assert [(a.detail["before"], a.detail["after"]) for a in rows] == [("", "退休审批表"), ("退休审批表", "职工退休审批表")]
    assert verify(seed.cfg).ok


def test_a_formed_on_correction_appears_in_the_contents_list(as_user, seed, vol):
    archivist = as_user("archivist")
    # The page form (no JavaScript): Enter posts it, the queue comes back at the next item.
    r = archivist.post(f"/dossiers/{vol}/review/{FORMED_KEY}", headers=HTML, follow_redirects=False,
                       data={"value": "1958年3月8日", "csrf_token": archivist.csrf})
    assert r.status_code == 303 and r.headers["location"] == f"/dossiers/{vol}/review"
    html = archivist.get(r.headers["location"], headers=HTML).text
    assert "已更正“材料形成时间”" in html and "1958-03-08" in html
    d = archivist.get(f"/api/dossiers/{vol}").json()
    row = next(m for m in d["contents"] if m["title"] == "工资调整审批表")
    assert row["formed_on"] == "1958-03-08"
    assert d["date_from"] == "1954-08-01" and d["date_to"] == "1996-04-01"  # 起止日期 recomputed
    page = archivist.get(f"/dossiers/{vol}", headers=HTML).text
    assert "1958-03-08" in page
    q = _queue(archivist, vol)
    answered = {a["key"]: a for a in q["answered"]}
    assert answered[FORMED_KEY]["machine_value"] == "" and answered[FORMED_KEY]["value"] == "1958-03-08"
    assert answered[FORMED_KEY]["actor"] == "archivist"
    assert FORMED_KEY not in {i["key"] for i in q["open"]}
    # The 形成时间 no longer reads as unknown to the check.
    assert "formed_on_missing" not in {f["code"] for f in _stored_check(seed, vol)["findings"]}


def test_a_name_correction_is_found_by_search(as_user, seed, vol):
    archivist = as_user("archivist")

    def pages(query: str) -> set[int]:
        hits = archivist.get("/api/search", params={"q": query}).json()["hits"]
        return {h["page_seq"] for h in hits if h["volume_id"] == vol and h["matched"] == "text"}

    assert 3 not in pages(NAME) and 3 in pages(MISREAD)
    doubts = {"identity_unconfirmed", "name_unread"}  # the check asks a person about the name on image 3
    assert any(f["code"] in doubts and f.get("page") == 3 for f in _stored_check(seed, vol)["findings"])
    r = archivist.put(f"/api/dossiers/{vol}/review/{NAME_KEY}", json={"value": f" {NAME} "})
    assert r.status_code == 200, r.text
    assert r.json()["answer"]["value"] == NAME
    assert 3 in pages(NAME) and 3 not in pages(MISREAD)  # the page's indexed text has the corrected name
    # The identity check takes the name as staff read it: the page is the person's own.
    assert not any(f["code"] in doubts and f.get("page") == 3 for f in _stored_check(seed, vol)["findings"])
    # Withdrawing the volume takes the corrected text out of the index again (the index stays consistent).
    from archive_store.withdraw import withdraw_volume

    with session_scope(seed.cfg) as s:
        withdraw_volume(s, s.get(VolumeRow, vol).ref_no, "archivist", "测试退回")
    assert pages(NAME) == set()


# Image 2 with an alteration: 车工 crossed out in the 工种 cell, 钳工 written above it over the
# cell's rule and read by OCR as 钳土.
ALTERED_MATERIALS = (MATERIALS[0], MATERIALS[1][:4] + (MATERIALS[1][4] + [
    ("工种", (560, 300, 660, 344), 0.99, None, False), ("钳土", (690, 232, 800, 286), 0.81, "钳工", True)],),
    *MATERIALS[2:])
ALTERED_KEY = "altered:2"


@pytest.fixture
def altered_vol(seed, tmp_path_factory) -> int:
    from archive_store.publish import publish_volume

    source = build_review_volume(tmp_path_factory.mktemp("altered") / "volume", ALTERED_MATERIALS,
                                 struck={2: ("车工", (690, 296, 790, 348), (690, 232, 800, 348))})
    return publish_volume(seed.cfg, source, JINSHUI, PROFILE, "入库员").volume_id


def test_a_crossed_out_value_is_shown_for_proofreading_and_its_correction_is_searched(as_user, seed, altered_vol):
    """A 划改 is a judgement OCR made about what the form says: it goes to the queue with the place
    and the correction as read; the corrected value is what search finds, and the answer is audited."""
    vol = altered_vol
    archivist = as_user("archivist")
    item = next(i for i in _queue(archivist, vol)["open"] if i["key"] == ALTERED_KEY)
    assert (item["label"], item["value"], item["material"], item["page"]) == ("划改处", "钳土", "招工登记表", 2)
    assert "划改" in item["reason_zh"] and "划去的字未计入识别文字" in item["reason_zh"]
    crop = archivist.get(f"/dossiers/{vol}/review/{ALTERED_KEY}/crop")
    assert crop.status_code == 200
    with Image.open(io.BytesIO(crop.content)) as img:  # the struck value and its correction, not the page
        assert 348 - 232 <= img.height < H and img.width < W
    assert "改正后的内容" in archivist.get(f"/dossiers/{vol}/review", headers=HTML).text  # what to type

    def pages(query: str) -> set[int]:
        hits = archivist.get("/api/search", params={"q": query}).json()["hits"]
        return {h["page_seq"] for h in hits if h["volume_id"] == vol and h["matched"] == "text"}

    assert 2 in pages("钳土") and 2 not in pages("钳工") and 2 not in pages("车工")
    r = archivist.put(f"/api/dossiers/{vol}/review/{ALTERED_KEY}", json={"value": "钳工"})
    assert r.status_code == 200, r.text
    assert ALTERED_KEY not in {i["key"] for i in r.json()["queue"]["open"]}
    assert 2 in pages("钳工") and 2 not in pages("钳土")
    with session_scope(seed.cfg) as s:
        row = s.scalar(select(AuditRow).where(AuditRow.action == "review_answer").order_by(AuditRow.id.desc()))
        assert row.target.endswith(f"/{ALTERED_KEY}") and (row.detail["before"], row.detail["after"]) == ("钳土", "钳工")
    # Struck out with nothing written instead: 无 takes the reading out of the indexed text.
    r = archivist.put(f"/api/dossiers/{vol}/review/{ALTERED_KEY}", json={"value": "无"})
    assert r.status_code == 200, r.text
    assert 2 not in pages("钳工") and 2 not in pages("钳土")


def test_waiving_the_rest_makes_the_outcome_final(as_user, seed, vol):
    archivist = as_user("archivist")
    before = _state(seed, vol)
    r = archivist.post(f"/api/dossiers/{vol}/review/waive", json={"reason": "  "})
    assert r.status_code == 400 and "原因" in r.json()["detail"]
    # The page form: a waiver without a reason is refused in Chinese on the queue page.
    form = archivist.post(f"/dossiers/{vol}/review/waive", headers=HTML,
                          data={"reason": "", "csrf_token": archivist.csrf})
    assert form.status_code == 400 and "必须填写原因" in form.text and 'id="waive" open' in form.text
    assert _state(seed, vol) == before
    pending_before = len(archivist.get("/api/review").json())

    r = archivist.post(f"/api/dossiers/{vol}/review/waive", json={"reason": "原件字迹无法辨认，按现状接收"})
    assert r.status_code == 200, r.text
    q = r.json()
    assert q["provisional"] is False and q["waiver"]["reason"] == "原件字迹无法辨认，按现状接收"
    assert q["waiver"]["open_items"] == len(q["open"]) >= 3 and q["outcome"] == "incomplete"
    stored = _stored_check(seed, vol)
    assert stored["waived"] is True and stored["provisional"] is False
    assert vol not in [p["volume_id"] for p in archivist.get("/api/review").json()]
    assert len(archivist.get("/api/review").json()) == pending_before - 1
    page = archivist.get(f"/dossiers/{vol}", headers=HTML).text
    assert 'id="outcome-provisional"' not in page and "已确认现状" in page
    with session_scope(seed.cfg) as s:
        row = s.scalar(select(AuditRow).where(AuditRow.action == "review_waive"))
        assert row.actor == "archivist" and row.reason == "原件字迹无法辨认，按现状接收"
        assert set(row.detail["keys"]) >= {NAME_KEY, FORMED_KEY, TITLE_KEY}
    again = archivist.post(f"/api/dossiers/{vol}/review/waive", json={"reason": "再次"})
    assert again.status_code == 409 and "已" in again.json()["detail"]
    # An item can still be answered after the waiver; the outcome stays final.
    r = archivist.put(f"/api/dossiers/{vol}/review/{TITLE_KEY}", json={"value": "退休审批表"})
    assert r.json()["queue"]["outcome"] == "complete" and r.json()["queue"]["provisional"] is False


# A catalogue split otherwise than the pages say: the 基本养老金核定表 (image 5, its title read)
# listed inside the 职工工资变动审批表 row before it, so the required 基本养老金核定表 is missing and
# the check asks whether a material starts on image 5 (boundary:5, the machine's answer 接续).
BOUNDARY_MATERIALS = (
    MATERIALS[0][:4] + ([l for l in MATERIALS[0][4] if not l[0].startswith("家庭")],),
    ("九-2", "招工登记表", "1954-09-01", "招工登记表", [
        ("经审查符合招工条件，同意录用为全民所有制固定工。", (120, 420, 1100, 460), 0.95, None, False)]),
    ("九-1", "转正定级审批表", "1955-09-01", "转正定级审批表", [
        ("试用期满，同意转正定为二级工。", (120, 520, 800, 560), 0.95, None, False)]),
    ("九-1", "职工工资变动审批表", "1985-10-01", "职工工资变动审批表", [
        ("根据文件精神，调整工资，增加工资级别。", (120, 320, 1000, 360), 0.95, None, False)]),
    ("九-1", "基本养老金核定表", "1996-04-01", "基本养老金核定表", [
        ("基本养老金、缴费年限、个人账户储存额。", (120, 320, 1000, 360), 0.95, None, False)]),
    ("九-2", "退休审批表", "1996-03-01", "退休审批表", [
        ("符合国家规定的退休条件，同意办理退休手续。", (120, 320, 1000, 360), 0.95, None, False)]),
)
BOUNDARY_KEY = "boundary:5"


@pytest.fixture(scope="session")
def boundary_source(tmp_path_factory) -> Path:
    return build_review_volume(tmp_path_factory.mktemp("boundary") / "volume", BOUNDARY_MATERIALS, (1, 1, 1, 2, 1))


def test_a_boundary_answer_splits_and_merges_the_contents_rows(as_user, seed, boundary_source):
    from archive_store.publish import publish_volume

    vol = publish_volume(seed.cfg, boundary_source, JINSHUI, PROFILE, "入库员").volume_id
    archivist = as_user("archivist")

    def contents() -> list[tuple]:
        d = archivist.get(f"/api/dossiers/{vol}").json()
        return [(m["seq"], m["class_code"], m["title"], m["pages"], m["start_page"], m["end_page"])
                for m in d["contents"]]

    def answer(key: str, value: str) -> dict:
        r = archivist.put(f"/api/dossiers/{vol}/review/{key}", json={"value": value})
        assert r.status_code == 200, r.text
        return r.json()

    machine = [("一-1", "一", "职工登记表", 1, 1, 1), ("九-2-1", "九-2", "招工登记表", 1, 2, 2),
               ("九-1-1", "九-1", "转正定级审批表", 1, 3, 3), ("九-1-2", "九-1", "职工工资变动审批表", 2, 4, 5),
               ("九-2-2", "九-2", "退休审批表", 1, 6, 6)]
    q = _queue(archivist, vol)
    item = next(i for i in q["open"] if i["key"] == BOUNDARY_KEY)
    assert (item["label"], item["value"], item["material"]) == ("材料起始页", "接续", "职工工资变动审批表")
    assert q["outcome"] == "incomplete" and _stored_check(seed, vol)["missing"] == ["基本养老金核定表"]
    assert contents() == machine

    # 接续 matches the rows as they stand: stored, nothing reshaped.
    body = answer(BOUNDARY_KEY, "接续")
    assert body["changed"] is True and body["contents_row"] is None and contents() == machine

    # 起始: the row is split at image 5; the new row is 未识别材料 of class 十 until it is named.
    body = answer(BOUNDARY_KEY, "起始")
    assert body["contents_row"] is not None
    split = machine[:3] + [("九-1-2", "九-1", "职工工资变动审批表", 1, 4, 4), ("十-1", "十", "未识别材料", 1, 5, 5),
                           machine[4]]
    assert contents() == split
    d = archivist.get(f"/api/dossiers/{vol}").json()
    assert [p["material"] for p in d["pages"] if p["seq"] >= 4] == ["职工工资变动审批表", "未识别材料", "退休审批表"]
    stored = _stored_check(seed, vol)  # the re-check saw the new rows, and asks for the new material's name
    assert [m["title"] for m in stored["materials"]] == [r[2] for r in split]
    assert stored["outcome"] == "incomplete" and "title:5" in {i["key"] for i in body["queue"]["open"]}

    # Named, it is the required 基本养老金核定表 (class 九-1, 序号 renumbered): the outcome follows.
    body = answer("title:5", "基本养老金核定表")
    assert (body["outcome_before"], body["queue"]["outcome"]) == ("incomplete", "complete")
    assert contents() == machine[:3] + [("九-1-2", "九-1", "职工工资变动审批表", 1, 4, 4),
                                        ("九-1-3", "九-1", "基本养老金核定表", 1, 5, 5), machine[4]]
    assert _stored_check(seed, vol)["missing"] == []
    with session_scope(seed.cfg) as s:
        audit = s.scalar(select(AuditRow).where(AuditRow.action == "split_contents"))
        assert audit.actor == "archivist" and audit.detail["image"] == 5 and "材料起始页" in audit.reason
        assert [r["title"] for r in audit.detail["after"]] == ["职工工资变动审批表", "未识别材料"]
        assert audit.detail["before"][0]["pages"] == 2

    # 接续 again: the row opening at image 5 goes back into the one before it.
    body = answer(BOUNDARY_KEY, "接续")
    merged = contents()
    assert [r[:4] for r in merged] == [r[:4] for r in machine] and merged[3][4:] == (4, 5)
    row = next(m for m in archivist.get(f"/api/dossiers/{vol}").json()["contents"] if m["seq"] == "九-1-2")
    assert "并入原“基本养老金核定表”" in row["remarks"]
    assert [m["title"] for m in _stored_check(seed, vol)["materials"]] == [r[2] for r in machine]
    with session_scope(seed.cfg) as s:
        audit = s.scalar(select(AuditRow).where(AuditRow.action == "merge_contents"))
        assert [r["title"] for r in audit.detail["before"]] == ["职工工资变动审批表", "基本养老金核定表"]


def test_bad_input_is_refused_in_chinese_and_changes_nothing(as_user, seed, vol):
    archivist = as_user("archivist")
    before = _state(seed, vol)
    cases = [
        (NAME_KEY, "", 400, "不能为空"),
        (NAME_KEY, "Zhao 1", 400, "姓名应为"),
        ("name:99", "赵德明", 404, "没有"),
        ("nonsense", "x", 404, "没有"),
        (FORMED_KEY, "1958-02-30", 400, "材料形成时间应为有效日期"),
        (FORMED_KEY, "一九五年三月", 400, "材料形成时间应为有效日期"),
        (FORMED_KEY, "2999-01-01", 400, "不晚于今天"),
        (TITLE_KEY, "   ", 400, "不能为空"),
    ]
    for key, value, status, message in cases:
        r = archivist.put(f"/api/dossiers/{vol}/review/{key}", json={"value": value})
        assert r.status_code == status and message in r.json()["detail"], (key, value, r.text)
    # The page form shows the error beside the item and keeps what was typed.
    r = archivist.post(f"/dossiers/{vol}/review/{FORMED_KEY}", headers=HTML,
                       data={"value": "1958年13月8日", "csrf_token": archivist.csrf})
    assert r.status_code == 400 and "材料形成时间应为有效日期" in r.text and 'value="1958年13月8日"' in r.text
    # Without the CSRF token, or as community staff: refused.
    assert archivist.client.put(f"/api/dossiers/{vol}/review/{NAME_KEY}", json={"value": NAME}).status_code == 403
    assert as_user("comm_a").put(f"/api/dossiers/{vol}/review/{NAME_KEY}", json={"value": NAME}).status_code == 403
    other = archivist.put(f"/api/dossiers/{seed.volume_b}/review/{NAME_KEY}", json={"value": NAME})
    assert other.status_code == 409 and "没有完整性检查报告" in other.json()["detail"]  # a volume without a check
    assert _state(seed, vol) == before
    assert {i["key"] for i in _queue(archivist, vol)["open"]} >= {NAME_KEY, FORMED_KEY, TITLE_KEY}


def test_values_are_normalised_per_field_and_id_numbers_masked_in_the_audit():
    from archive_store.review_values import ReviewError, clean_value, shown_value

    assert clean_value("id_number", "11010519491231002x") == "11010519491231002X"
    assert clean_value("id_number", "110105491231002") == "11010519491231002X"  # 15 digits upgraded
    with pytest.raises(ReviewError, match="身份证号码无效"):
        clean_value("id_number", "110105194912310021")
    assert shown_value("id_number", "11010519491231002X", full_ids=False) == "110105********002X"
    # A correction of a struck value is free text: an ID number in it is masked like any other.
    assert shown_value("altered", "身份证号11010519491231002X", full_ids=False) == "身份证号110105********002X"
    assert shown_value("altered", "身份证号11010519491231002X") == "身份证号11010519491231002X"
    assert clean_value("birth", "1952-3") == "1952年3月" and clean_value("birth", "1952年3月8日") == "1952年3月8日"
    assert clean_value("formed_on", "1985.10.1") == "1985-10-01" and clean_value("formed_on", "19851001") == "1985-10-01"
    assert clean_value("sex", "女性") == "女" and clean_value("page_no", "012") == "12"
    with pytest.raises(ReviewError, match="性别"):
        clean_value("sex", "M")
    with pytest.raises(ReviewError, match="起始"):
        clean_value("boundary", "是")


def test_the_review_api_is_described_in_openapi(app):
    from fastapi.testclient import TestClient

    paths = TestClient(app).get("/openapi.json").json()["paths"]
    assert "校对" in paths["/api/dossiers/{volume_id}/review"]["get"]["summary"]
    assert "更正" in paths["/api/dossiers/{volume_id}/review/{key}"]["put"]["summary"]
    assert "确认现状" in paths["/api/dossiers/{volume_id}/review/waive"]["post"]["summary"]
    assert "待校对" in paths["/api/review"]["get"]["summary"]
    assert "/dossiers/{volume_id}/review/{key}/crop" in paths
