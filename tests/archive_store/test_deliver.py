"""``handover deliver`` writes a DA/T 31 delivery package of published volumes, and the 四性检测
(``handover check-package``) passes it as written and names the file of every break;
``handover receive PACKAGE --dry-run`` checks a package and draws the reproducible ≥ 5% sample
(the import itself: test_receive.py)."""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import func, select

from archive_store import dat31_layout as L
from archive_store.cli import check_package_command, deliver_command, receive_command
from archive_store.deliver import DeliverError, deliver, write_catalogue_xlsx
from archive_store.four_checks import check_package
from archive_store.numbering import ref_no_to_filename
from archive_store.publish import publish_volume
from archive_store.sampling import draw
from archive_store.storage import open_storage
from archive_store.storage.base import sha256_file
from archive_store.tables import AuditRow, PageRow, VolumeRow
from handover.db import session_scope
from handover.errors import InputRefused, NotFound

from tests.support.scanned_volume import DPI, make_scanned

from .helpers import ERQI, JINSHUI


def scanned_volume(make_volume, name: str) -> Path:
    """A sample volume as the pipeline leaves it: images with their resolution, a PDF/A volume."""
    root, _ = make_volume(name)
    return make_scanned(root, f"{name}人事档案", DPI)


@pytest.fixture
def published(cfg, make_volume, tmp_path):
    """Two volumes in 纬五路社区 and one in 五里堡社区, published to local storage."""
    storage = open_storage(cfg)
    vols = [publish_volume(cfg, scanned_volume(make_volume, n), dest, "henan-zhengzhou", "录入员", storage=storage)
            for n, dest in (("张建国", JINSHUI), ("李秀英", JINSHUI), ("王福来", ERQI))]
    return storage, vols


@pytest.fixture
def package(cfg, published, tmp_path):
    storage, vols = published
    result = deliver(cfg, tmp_path / "pkg", community="纬五路社区", actor="移交员", storage=storage)
    return result.out, vols[:2]


def remanifest(pkg: Path, *, sheets: bool = True) -> None:
    """Seal the package anew, as a vendor would after changing a file: the XLSX catalogues (unless
    ``sheets`` is False), the 说明文件's totals of the volume folders and the manifest recomputed, so
    that only the change itself is left to find."""
    if sheets:
        write_catalogue_xlsx(pkg)
    readme = pkg / L.README
    files = [p for p in pkg.glob("*/*") if p.parent.name != L.SCHEMA_DIR and p.is_file() and not p.is_symlink()]
    text = readme.read_text(encoding="utf-8-sig")
    text = re.sub(r"文件数：\d+", f"文件数：{len(files)}", text)
    text = re.sub(r"字节数：\d+", f"字节数：{sum(p.stat().st_size for p in files)}", text)
    readme.write_text("\ufeff" + text, encoding="utf-8")
    lines = []
    for path in sorted(pkg.rglob("*")):
        rel = path.relative_to(pkg).as_posix()
        if path.is_file() and not path.is_symlink() and rel not in L.NOT_IN_MANIFEST:
            lines.append(L.manifest_line(sha256_file(path)[0], rel))
    (pkg / L.MANIFEST).write_text("".join(lines), encoding="utf-8")


def failing(report) -> dict[str, set[str]]:
    return {r.id: r.files() for r in report.failed()}


def folder_of(vol) -> str:
    return ref_no_to_filename(vol.ref_no)


def edit_xml(path: Path, change) -> None:
    doc = etree.parse(str(path))
    change(doc.getroot())
    doc.write(str(path), encoding="UTF-8", xml_declaration=True)


# ---------------------------------------------------------------- the package as delivered


def test_delivery_of_published_volumes_passes_every_check(cfg, package):
    pkg, vols = package
    report = check_package(pkg)
    assert report.ok, failing(report)
    assert len(report.results) == 15 and all(r.checked > 0 for r in report.results)
    written = json.loads((pkg / L.REPORT_JSON).read_text(encoding="utf-8"))
    assert written["passed"] is True and [c["id"] for c in written["checks"]] == [r.id for r in report.results]
    assert "全部通过" in (pkg / L.REPORT_HTML).read_text(encoding="utf-8")

    # one folder per volume named by 档号, images 档号-0001.jpg…, the PDF/A and the metadata
    assert sorted(p.name for p in pkg.iterdir() if p.is_dir()) == sorted([L.SCHEMA_DIR, *map(folder_of, vols)])
    folder = folder_of(vols[0])
    names = sorted(p.name for p in (pkg / folder).iterdir())
    images = [n for n in names if n.endswith(".jpg")]
    assert images[0] == f"{folder}-0001.jpg" and len(images) == int(re.search(
        r'数量="(\d+)"', (pkg / folder / f"{folder}.xml").read_text(encoding="utf-8"))[1])
    assert f"{folder}.pdf" in names and f"{folder}.xml" in names

    # the catalogue in XML and XLSX, the same rows
    catalog = etree.parse(str(pkg / L.VOLUME_CATALOG_XML)).getroot()
    assert [el.findtext("档号") for el in catalog.iter("案卷")] == [v.ref_no for v in vols]
    assert catalog.get("案卷数") == "2"
    ws = load_workbook(pkg / L.VOLUME_CATALOG_XLSX, read_only=True)["案卷目录"]
    xlsx_rows = list(ws.iter_rows(values_only=True))
    assert xlsx_rows[0][0] == "档号" and [r[0] for r in xlsx_rows[1:]] == [v.ref_no for v in vols]
    contents = etree.parse(str(pkg / L.CONTENTS_XML)).getroot()
    rows = list(contents.iter("条目"))
    assert rows and all(r.findtext("起始图像号") for r in rows)
    assert len(list(load_workbook(pkg / L.CONTENTS_XLSX, read_only=True)["卷内目录"].iter_rows())) == len(rows) + 1

    # the metadata records what the image is
    page = etree.parse(str(pkg / folder / f"{folder}.xml")).getroot().find("图像/页")
    assert (page.get("分辨率"), page.get("色彩模式"), page.get("压缩方式")) == (str(DPI), "彩色", "JPEG")

    # the manifest is one sha256sum reads
    check = subprocess.run(["sha256sum", "--strict", "-c", L.MANIFEST], cwd=pkg, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    readme = (pkg / L.README).read_text(encoding="utf-8-sig")
    assert "案卷数：2" in readme and "UTF-8" in readme


def test_ref_nos_deliver_volumes_of_several_communities(cfg, published, tmp_path):
    storage, vols = published
    result = deliver(cfg, tmp_path / "two", ref_nos=(vols[2].ref_no, vols[0].ref_no), storage=storage)
    assert result.report.ok, failing(result.report)
    catalog = etree.parse(str(result.out / L.VOLUME_CATALOG_XML)).getroot()
    assert [el.findtext("档号") for el in catalog.iter("案卷")] == [vols[2].ref_no, vols[0].ref_no]


def test_a_stored_object_altered_since_publishing_is_not_delivered(cfg, published, tmp_path):
    storage, vols = published
    key = next(o.key for o in storage.list(vols[0].prefix + "/pages/"))
    data = bytearray(storage.get(key))
    data[-10] ^= 0x01
    storage.put(key, bytes(data))
    with pytest.raises(DeliverError, match="SHA-256"):
        deliver(cfg, tmp_path / "pkg", community="纬五路社区", storage=storage)
    assert not (tmp_path / "pkg").exists() and not list(tmp_path.glob(".pkg.partial-*"))


def test_delivery_reads_the_objects_from_either_storage_backend(cfg, make_volume, storage, tmp_path):
    vol = publish_volume(cfg, scanned_volume(make_volume, "赵桂兰"), JINSHUI, "henan-zhengzhou", "录入员",
                         storage=storage)
    result = deliver(cfg, tmp_path / "pkg", ref_nos=(vol.ref_no,), storage=storage)
    assert result.report.ok, failing(result.report)
    folder = folder_of(vol)
    stored = storage.get(f"{vol.prefix}/volume.pdf")
    assert (result.out / folder / f"{folder}.pdf").read_bytes() == stored


def test_what_to_deliver_must_be_named_and_published(cfg, published, tmp_path):
    storage, vols = published
    with pytest.raises(InputRefused, match="--batch 之一"):
        deliver(cfg, tmp_path / "a", community="纬五路社区", ref_nos=(vols[0].ref_no,), storage=storage)
    with pytest.raises(NotFound, match="J410-TX·410105001001-0999"):
        deliver(cfg, tmp_path / "b", ref_nos=(vols[0].ref_no, "J410-TX·410105001001-0999"), storage=storage)
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_a_page_without_a_stored_image_is_not_delivered(cfg, published, tmp_path):
    storage, vols = published
    with session_scope(cfg) as s:
        page = s.scalar(select(PageRow).where(PageRow.volume_id == vols[1].volume_id, PageRow.seq == 2))
        page.image_key = ""
    with pytest.raises(DeliverError, match=f"{vols[1].ref_no} 第2幅图像"):
        deliver(cfg, tmp_path / "pkg", community="纬五路社区", storage=storage)
    assert not (tmp_path / "pkg").exists()

# ---------------------------------------------------------------- each check, broken on its own


def test_an_altered_byte_fails_fixity_naming_the_file(package):
    pkg, _ = package
    readme = pkg / L.README
    data = readme.read_bytes()
    readme.write_bytes(data.replace(f"格式版本：{L.FORMAT_VERSION}".encode(), "格式版本：9".encode()))
    assert failing(check_package(pkg)) == {"authenticity.fixity": {L.README}}


def test_a_package_without_its_manifest_fails_fixity_once(package):
    pkg, _ = package
    (pkg / L.MANIFEST).unlink()
    report = check_package(pkg)
    assert failing(report) == {"authenticity.fixity": {L.MANIFEST}}


def test_a_file_added_after_the_manifest_is_reported(package):
    pkg, vols = package
    extra = f"{folder_of(vols[0])}/说明.txt"
    (pkg / extra).write_text("后加的文件", encoding="utf-8")
    assert failing(check_package(pkg))["authenticity.unchanged"] == {extra}


def test_a_missing_page_image_is_reported_by_completeness(package):
    pkg, vols = package
    folder = folder_of(vols[0])
    gone = f"{folder}/{folder}-0002.jpg"
    (pkg / gone).unlink()
    fails = failing(check_package(pkg))
    assert gone in fails["completeness.totals"]  # listed in the manifest and the metadata, not there
    assert gone in fails["completeness.page_sequence"]
    assert "authenticity.fixity" not in fails


def test_a_duplicated_ref_no_is_reported(package):
    pkg, vols = package
    edit_xml(pkg / L.VOLUME_CATALOG_XML,
             lambda root: setattr(list(root.iter("案卷"))[1].find("档号"), "text", vols[0].ref_no))
    remanifest(pkg)
    result = check_package(pkg).result("authenticity.ref_no")
    assert not result.passed and L.VOLUME_CATALOG_XML in result.files()
    assert any("重复" in f.message and vols[0].ref_no in f.message for f in result.failures)


def test_a_malformed_ref_no_is_reported(package):
    pkg, vols = package
    edit_xml(pkg / L.VOLUME_CATALOG_XML, lambda root: setattr(next(root.iter("档号")), "text", "J410 TX/0001"))
    remanifest(pkg)
    result = check_package(pkg).result("authenticity.ref_no")
    assert any("DA/T 13" in f.message for f in result.failures)


def test_an_invalid_xml_fails_schema_validation_naming_the_file(package):
    pkg, _ = package
    edit_xml(pkg / L.VOLUME_CATALOG_XML, lambda root: etree.SubElement(next(root.iter("案卷")), "附加"))
    remanifest(pkg)
    assert failing(check_package(pkg)) == {"usability.xml_schema": {L.VOLUME_CATALOG_XML}}


def test_unparseable_metadata_is_reported(package):
    pkg, vols = package
    folder = folder_of(vols[1])
    meta = f"{folder}/{folder}.xml"
    (pkg / meta).write_bytes((pkg / meta).read_bytes()[:-40])
    remanifest(pkg)
    assert meta in failing(check_package(pkg))["usability.xml_schema"]


def test_a_damaged_or_differing_spreadsheet_is_reported(package):
    pkg, vols = package
    xlsx = pkg / L.CONTENTS_XLSX
    xlsx.write_bytes(xlsx.read_bytes()[:300])
    from openpyxl import Workbook
    wb = Workbook()
    wb.active.append(["档号", "案卷题名"])
    wb.active.append([vols[1].ref_no, "李秀英人事档案"])  # one of the two volumes only
    wb.save(pkg / L.VOLUME_CATALOG_XLSX)
    remanifest(pkg, sheets=False)
    result = check_package(pkg).result("usability.spreadsheets")
    assert result.files() == {L.CONTENTS_XLSX, L.VOLUME_CATALOG_XLSX}
    assert any("无法打开" in f.message for f in result.failures)

def test_a_150_dpi_page_image_fails_usability(package):
    pkg, vols = package
    folder = folder_of(vols[0])
    name = f"{folder}-0001.jpg"
    with Image.open(pkg / folder / name) as im:
        im.load()
        im.save(pkg / folder / name, "JPEG", quality=85, dpi=(150, 150))
    size = (pkg / folder / name).stat().st_size

    def stated_150(root):
        page = next(p for p in root.iter("页") if p.get("文件名") == name)
        page.set("分辨率", "150")
        page.set("字节数", str(size))
    edit_xml(pkg / folder / f"{folder}.xml", stated_150)
    remanifest(pkg)
    report = check_package(pkg)
    assert failing(report)["usability.images"] == {f"{folder}/{name}"}
    msg = report.result("usability.images").failures[0].message
    assert "150dpi" in msg and "200dpi" in msg


def test_an_image_whose_resolution_differs_from_its_metadata_is_reported(package):
    pkg, vols = package
    folder = folder_of(vols[1])
    name = f"{folder}-0001.jpg"
    with Image.open(pkg / folder / name) as im:
        im.load()
        im.convert("L").save(pkg / folder / name, "JPEG", dpi=(DPI, DPI))
    remanifest(pkg)
    result = check_package(pkg).result("usability.images")
    assert result.files() == {f"{folder}/{name}"} and any("灰度" in f.message for f in result.failures)


def test_a_catalogue_row_without_images_is_reported(package):
    pkg, vols = package
    folder = folder_of(vols[0])

    def add_row(parent_path: str):
        def change(root):
            parent = root if parent_path == "." else root.find(parent_path)
            template = [el for el in parent.iter("条目") if el.findtext("档号") == vols[0].ref_no][-1]
            row = copy.deepcopy(template)
            for tag, value in (("顺序号", "99"), ("序号", "十-9"), ("材料名称", "补充证明"), ("起始图像号", ""),
                               ("终止图像号", "")):
                row.find(tag).text = value
            template.addnext(row)
        return change
    edit_xml(pkg / L.CONTENTS_XML, add_row("."))
    edit_xml(pkg / folder / f"{folder}.xml", add_row("卷内目录"))
    remanifest(pkg)
    fails = failing(check_package(pkg))
    assert set(fails) == {"completeness.catalogue_links"}
    assert L.CONTENTS_XML in fails["completeness.catalogue_links"]


def test_an_image_linked_to_no_row_is_reported(package):
    pkg, vols = package
    folder = folder_of(vols[0])

    def unlink_first(root):
        page = next(p for p in root.iter("页") if p.get("类型") == L.CONTENT)
        del page.attrib["条目"]
    edit_xml(pkg / folder / f"{folder}.xml", unlink_first)
    remanifest(pkg)
    fails = failing(check_package(pkg))
    assert f"{folder}/{folder}-0001.jpg" in fails["completeness.catalogue_links"]


def test_a_blank_required_field_is_reported(package):
    pkg, _ = package
    edit_xml(pkg / L.VOLUME_CATALOG_XML, lambda root: setattr(next(root.iter("案卷题名")), "text", ""))
    remanifest(pkg)
    result = check_package(pkg).result("completeness.required_fields")
    assert result.files() == {L.VOLUME_CATALOG_XML} and "案卷题名" in result.failures[0].message


def test_a_pdf_that_is_not_pdfa_fails(package):
    pkg, vols = package
    folder = folder_of(vols[0])
    pdf = pkg / folder / f"{folder}.pdf"
    import pikepdf
    with pikepdf.open(pdf, allow_overwriting_input=True) as doc:
        del doc.Root.OutputIntents
        doc.save(pdf)
    size = pdf.stat().st_size
    edit_xml(pkg / folder / f"{folder}.xml", lambda root: root.find("PDF").set("字节数", str(size)))
    remanifest(pkg)
    fails = failing(check_package(pkg))
    assert fails["usability.pdfa"] == {f"{folder}/{folder}.pdf"}


def test_a_pdf_with_a_corrupt_stream_fails_the_structure_check(package):
    pkg, vols = package
    folder = folder_of(vols[0])
    pdf = pkg / folder / f"{folder}.pdf"
    data = bytearray(pdf.read_bytes())
    start = data.index(b"\xff\xd8\xff")  # the first page image's JPEG data
    data[start + 200:start + 260] = b"\x00" * 60
    pdf.write_bytes(bytes(data))
    remanifest(pkg)
    result = check_package(pkg).result("usability.pdfa")
    assert result.files() == {f"{folder}/{folder}.pdf"} and "结构" in result.failures[0].message
    assert str(pkg) not in result.failures[0].message  # no local path in a report handed on

def test_an_encrypted_pdf_is_reported(package):
    pkg, vols = package
    folder = folder_of(vols[0])
    pdf = pkg / folder / f"{folder}.pdf"
    import pikepdf
    with pikepdf.open(pdf, allow_overwriting_input=True) as doc:
        doc.save(pdf, encryption=pikepdf.Encryption(owner="o", user="", R=6))
    remanifest(pkg)
    assert f"{folder}/{folder}.pdf" in failing(check_package(pkg))["security.no_encryption"]


def test_executable_content_is_reported(package):
    pkg, vols = package
    folder = folder_of(vols[0])
    (pkg / folder / "tool.exe").write_bytes(b"MZ\x90\x00" + b"\x00" * 60)
    remanifest(pkg)
    result = check_package(pkg).result("security.no_active_content")
    assert result.files() == {f"{folder}/tool.exe"}


def test_links_and_path_escapes_are_reported_and_never_followed(package, tmp_path):
    pkg, vols = package
    folder = folder_of(vols[0])
    secret = tmp_path / "secret.jpg"
    secret.write_bytes(b"outside the package")
    os.symlink(secret, pkg / folder / f"{folder}-0099.jpg")
    lines = (pkg / L.MANIFEST).read_text(encoding="utf-8")
    (pkg / L.MANIFEST).write_text(lines + L.manifest_line("0" * 64, "../secret.jpg"), encoding="utf-8")
    result = check_package(pkg).result("security.paths")
    assert result.files() == {f"{folder}/{folder}-0099.jpg", L.MANIFEST}
    assert any("../secret.jpg" in f.message for f in result.failures)
    # the link's target was not hashed nor decoded: nothing else names it
    assert all(f"{folder}-0099.jpg" not in f.file for r in check_package(pkg).failed()
               if r.id != "security.paths" for f in r.failures)


# ---------------------------------------------------------------- the commands


def test_deliver_and_check_package_commands(cfg, published, tmp_path):
    storage, vols = published
    runner = CliRunner()
    out = tmp_path / "cli-pkg"
    result = runner.invoke(deliver_command, ["--community", "五里堡社区", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "已生成移交包" in result.output and "四性检测全部通过" in result.output
    ok = runner.invoke(check_package_command, [str(out)])
    assert ok.exit_code == 0 and "全部通过" in ok.output

    folder = folder_of(vols[2])
    (out / folder / f"{folder}-0001.jpg").write_bytes(b"\xff\xd8\xff broken")
    bad = runner.invoke(check_package_command, [str(out), "--json"])
    assert bad.exit_code == 1
    doc = json.loads(bad.output)
    fixity = next(c for c in doc["checks"] if c["id"] == "authenticity.fixity")
    assert not doc["passed"] and fixity["failures"][0]["file"] == f"{folder}/{folder}-0001.jpg"

    refused = runner.invoke(deliver_command, ["--community", "五里堡社区", "--out", str(out)])
    assert refused.exit_code != 0 and "不为空" in refused.output


# ---------------------------------------------------------------- receive (dry run) and the sample


def test_the_sample_is_at_least_five_percent_and_reproducible():
    refs = [f"J410-TX·410105001001-{n:04d}" for n in range(1, 41)]
    first = draw(refs, "a1b2")
    assert len(first.ref_nos) == 2 and first.population == 40  # 5% of 40
    assert set(draw(list(reversed(refs)), "a1b2").ref_nos) == set(first.ref_nos)  # whatever the catalogue order
    assert len(draw(refs[:21], "x").ref_nos) == 2  # 5% of 21 is 1.05: rounded up
    assert len(draw(refs[:1], "x").ref_nos) == 1
    assert len(draw(refs, "a1b2", share=0.5).ref_nos) == 20
    assert {draw(refs, str(seed)).ref_nos for seed in range(20)} != {first.ref_nos}  # the seed decides
    with pytest.raises(ValueError):
        draw(refs, "a1b2", share=0.01)


def test_receive_dry_run_checks_samples_and_records_the_seed(cfg, package):
    pkg, vols = package
    runner = CliRunner()
    with session_scope(cfg) as s:
        volumes_before = s.scalar(select(func.count()).select_from(VolumeRow))
    result = runner.invoke(receive_command, [str(pkg), "--dry-run", "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    sample = doc["sample"]
    assert doc["checks"]["passed"] and sample["population"] == 2 and len(sample["ref_nos"]) == 1
    assert sample["ref_nos"][0] in {v.ref_no for v in vols}

    again = runner.invoke(receive_command, [str(pkg), "--dry-run", "--seed", sample["seed"], "--json"])
    assert json.loads(again.output)["sample"]["ref_nos"] == sample["ref_nos"]
    with session_scope(cfg) as s:
        rows = s.scalars(select(AuditRow).where(AuditRow.action == "receive_check").order_by(AuditRow.id)).all()
        assert [r.detail["seed"] for r in rows] == [sample["seed"]] * 2
        assert rows[0].detail["ref_nos"] == sample["ref_nos"] and rows[0].detail["passed"] is True
        assert s.scalar(select(func.count()).select_from(VolumeRow)) == volumes_before  # nothing imported

    text = runner.invoke(receive_command, [str(pkg), "--dry-run", "--seed", sample["seed"]])
    assert f"种子 {sample['seed']}" in text.output and sample["ref_nos"][0] in text.output
    assert "未导入" in text.output


def test_receive_dry_run_fails_on_a_broken_package(cfg, package):
    pkg, _ = package
    runner = CliRunner()
    bare = runner.invoke(receive_command, [str(pkg)])  # an import needs this archive's numbering
    assert bare.exit_code == 2 and "--profile" in bare.output
    (pkg / L.README).write_bytes((pkg / L.README).read_bytes() + b"x")
    broken = runner.invoke(receive_command, [str(pkg), "--dry-run"])
    assert broken.exit_code == 1 and L.README in broken.output


def test_deliver_a_batch_delivers_the_volumes_its_dossiers_were_published_as(cfg, published, tmp_path):
    from handover_app.cli import main
    from workers.tables import BatchRow, DossierRow

    storage, vols = published
    with session_scope(cfg) as s:  # as the workers record an ingested folder: 张建国 and 王福来 in it
        batch = BatchRow(name="2026-11-扫描第3批", source_dir="/scans/3", profile_region="henan-zhengzhou")
        s.add(batch)
        s.flush()
        for n, vol in enumerate((vols[0], vols[2]), 1):
            s.add(DossierRow(batch_id=batch.id, entry=f"d{n}", id_number=f"x{n}", source_path="/scans/3",
                             source_sha256=f"{n:064d}", stage="published", ref_no=vol.ref_no, volume_id=vol.volume_id))
        s.add(BatchRow(name="其他批次", source_dir="/scans/4"))
    runner = CliRunner()
    out = tmp_path / "batch-pkg"
    result = runner.invoke(main, ["deliver", "--batch", "2026-11-扫描第3批", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert L.read_ref_nos(out) == [vols[0].ref_no, vols[2].ref_no]  # two communities, the batch's order
    assert "移交范围：批次 #" in (out / L.README).read_text(encoding="utf-8-sig")

    empty = runner.invoke(main, ["deliver", "--batch", "其他批次", "--out", str(tmp_path / "none")])
    assert empty.exit_code == 3 and "没有已入库的案卷" in empty.output
    both = runner.invoke(main, ["deliver", "--batch", "其他批次", "--community", "纬五路社区", "--out", str(tmp_path / "x")])
    assert both.exit_code == 2
