"""The volume folder format (handover.volume_folder): each file through its record and back, the
version written, and folders written before the version existed read and migrated."""

from __future__ import annotations

import json

import pytest

from handover import volume_folder as vf

INFO = vf.VolumeInfo(id_number="410105196305066213", name="王振华", ref_no=None, engine="rapidocr",
                     content_pages=2, blank_pages=1, duplicate_pages=0,
                     warnings=(vf.VolumeWarning("low_dpi", 2, "第2页分辨率偏低"), vf.VolumeWarning("note", None, "整卷")),
                     created_at="2026-12-01T08:00:00+00:00", extra={"enterprise": "郑州第四水泥厂"})
PAGES = (vf.Page(index=1, page_no=1, text="职工登记表\n姓名 王振华", confidence=0.9731, dpi=300, width=2480,
                 height=3508, rotation=90, skew_degrees=-0.42, source="scan.pdf#1",
                 lines=(vf.Line("职工登记表", (100, 80, 900, 160), 0.99), vf.Line("姓名 王振华", (100, 200, 700, 260), 0.9)),
                 struck=((300, 180, 700, 260),)),
         vf.Page(index=2, page_no=None, blank=True, confidence=0.0, source="scan.pdf#2"),
         vf.Page(index=3, page_no=2, text="退休审批表", duplicate_of=None, source="scan.pdf#3"))
ROWS = (vf.ContentsRow("一-1", "一", "职工登记表", "1980-10-25", 1, 1, 1),
        vf.ContentsRow("九-1", "九", "退休审批表", None, 1, 2, 2, "缺页"))
CHECK = vf.CheckFile(
    outcome="incomplete", format=vf.CHECK_FORMAT, outcome_label="不完整", missing=("基本养老金核定表",),
    missing_materials=("基本养老金核定表",), needs_review=True, id_number=INFO.id_number, name="王振华",
    ref_no="J001-TX·410105001001-0007", region="henan-zhengzhou", party_member=False, declared_pages=2,
    content_pages=2, blank_pages=1, images=3, materials=ROWS, checked_at="2026-12-01T09:00:00+00:00",
    volume_dir="/data/v", counts={"error": 1, "warning": 0, "info": 0},
    findings=(vf.CheckFinding("missing_material", "error", None, "基本养老金核定表", "缺少基本养老金核定表", "缺少必要材料"),),
    review=(vf.CheckReviewItem("name:1", "name", "姓名", 1, "王振华", "手写姓名置信度低", (100, 200, 700, 260), "职工登记表"),),
    waived=False, provisional=True, acceptance={"accepted_by": "李娜", "statement_ref": "郑四水〔2026〕3号"})


def test_every_file_round_trips_through_its_record(tmp_path):
    ocr, contents = vf.OcrFile("rapidocr", PAGES), vf.ContentsFile(ROWS)
    vf.write_records(tmp_path, INFO, ocr, contents)
    vf.write(tmp_path, CHECK)
    assert vf.read_info(tmp_path) == INFO and vf.read_info(tmp_path).extra == INFO.extra
    assert vf.read_ocr(tmp_path) == ocr
    assert vf.read_contents(tmp_path) == contents
    assert vf.read_check(tmp_path) == CHECK and vf.read_check(tmp_path).counts == CHECK.counts
    assert sorted(p.name for p in tmp_path.iterdir()) == ["check.json", "contents.json", "ocr.json", "volume.json"]
    # What storage hands back is read the same way.
    assert vf.loads(vf.OCR_JSON, (tmp_path / "ocr.json").read_bytes()) == ocr
    assert vf.dumps(CHECK) == (tmp_path / "check.json").read_bytes()


def test_volume_json_carries_the_format_version(tmp_path):
    vf.write(tmp_path, INFO)
    data = json.loads((tmp_path / "volume.json").read_text("utf-8"))
    assert data["format_version"] == vf.FORMAT_VERSION == 1
    assert data["enterprise"] == "郑州第四水泥厂"  # keys this version does not define are kept


# What the code before the format version wrote, key for key: ocr.volume_files (volume.json,
# ocr.json, contents.json) and archive_store.sample_volume's outcome-only check.json.
OLD_VOLUME = {"id_number": "410105196305066213", "name": "王振华", "ref_no": None, "engine": "rapidocr",
              "content_pages": 1, "blank_pages": 1, "duplicate_pages": 0,
              "warnings": [{"code": "low_dpi", "page": 1, "message": "第1页分辨率偏低"}],
              "created_at": "2026-11-22T08:00:00+00:00"}
OLD_OCR = {"engine": "rapidocr", "pages": [
    {"index": 1, "source": "a.jpg#1", "page_no": 1, "blank": False, "duplicate_of": None, "rotation": 0,
     "skew_degrees": 0.31, "dpi": 300, "width": 2480, "height": 3508, "confidence": 0.9512, "text": "职工登记表",
     "lines": [{"text": "职工登记表", "box": [100, 80, 900, 160], "confidence": 0.9512}]},
    {"index": 2, "source": "a.jpg#2", "page_no": None, "blank": True, "duplicate_of": None, "rotation": 0,
     "skew_degrees": 0.0, "dpi": 300, "width": 2480, "height": 3508, "confidence": 0.0, "text": "", "lines": []}]}
OLD_CONTENTS = {"rows": [{"seq": "一-1", "class_code": "一", "title": "职工登记表", "formed_on": "1980-10-25",
                          "pages": 1, "start_page": 1, "end_page": 1, "remarks": ""}]}


def write_old_folder(folder, check: dict | None = None):
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in (("volume.json", OLD_VOLUME), ("ocr.json", OLD_OCR), ("contents.json", OLD_CONTENTS),
                       ("check.json", check)):
        if data is not None:
            (folder / name).write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    return folder


def test_a_folder_from_before_the_version_is_read_and_migrated(tmp_path):
    folder = write_old_folder(tmp_path / "old", check={"outcome": "complete", "problems": []})
    info = vf.read_info(folder)
    assert (info.id_number, info.engine, info.content_pages, info.warnings) == (
        "410105196305066213", "rapidocr", 1, (vf.VolumeWarning("low_dpi", 1, "第1页分辨率偏低"),))
    assert info.extra == {}
    ocr = vf.read_ocr(folder)
    assert [(p.index, p.page_no, p.blank, p.source) for p in ocr.pages] == [(1, 1, False, "a.jpg#1"),
                                                                          (2, None, True, "a.jpg#2")]
    assert ocr.pages[0].lines == (vf.Line("职工登记表", (100, 80, 900, 160), 0.9512),)
    assert vf.read_contents(folder).rows[0].formed_date.isoformat() == "1980-10-25"
    check = vf.read_check(folder)
    assert (check.outcome, check.findings, check.is_report) == ("complete", (), False)
    # Written again, the folder is in the current version, and the JSON otherwise as it was.
    vf.write(folder, info)
    vf.write(folder, ocr)
    vf.write(folder, vf.read_contents(folder))
    assert json.loads((folder / "volume.json").read_text("utf-8")) == {**OLD_VOLUME, "format_version": 1}
    assert json.loads((folder / "ocr.json").read_text("utf-8")) == OLD_OCR
    assert json.loads((folder / "contents.json").read_text("utf-8")) == OLD_CONTENTS


def test_old_problem_lists_become_findings():
    check = vf.loads(vf.CHECK_JSON, json.dumps({"outcome": "incomplete", "problems": [
        {"code": "missing_material", "severity": "error", "message": "缺少退休审批表"}, "页码不连续"]}))
    assert check.findings == (vf.CheckFinding("missing_material", "error", None, None, "缺少退休审批表"),
                              vf.CheckFinding("", "", None, None, "页码不连续"))
    assert not check.is_report


def test_a_folder_from_a_newer_version_is_refused_not_misread(tmp_path):
    (tmp_path / "volume.json").write_text(json.dumps({**OLD_VOLUME, "format_version": 2}), encoding="utf-8")
    with pytest.raises(vf.VolumeFormatError, match="更新版本") as err:
        vf.read_info(tmp_path)
    assert err.value.name == "volume.json" and not err.value.missing


def test_missing_and_broken_files_name_the_file(tmp_path):
    with pytest.raises(vf.VolumeFormatError, match="ocr.json") as err:
        vf.read_ocr(tmp_path)
    assert err.value.missing
    (tmp_path / "contents.json").write_text('{"rows": [{"seq": "一-1"}]}', encoding="utf-8")
    with pytest.raises(vf.VolumeFormatError, match="contents.json 目录数据格式错误") as err:
        vf.read_contents(tmp_path)
    assert not err.value.missing
    (tmp_path / "ocr.json").write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(vf.VolumeFormatError, match="应为 JSON 对象"):
        vf.read_ocr(tmp_path)


def test_page_counts():
    assert vf.page_counts(PAGES) == (2, 1, 0)
