"""``handover receive PACKAGE``: a delivered package, accepted 合格 (its 验收 through
archive_store.acceptance), imported into another archive (its own database and storage) gives the
same catalogue, pages, image hashes and search hits; a package without a 合格 acceptance of exactly
its content, one changed after it, or one whose 档号 are taken imports nothing; ``--renumber``
numbers gap-free and writes the mapping; an interrupted receive resumes."""

from __future__ import annotations

import csv
import dataclasses

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from archive_store.catalog import volume_catalog
from archive_store.cli import receive_command
from archive_store.deliver import deliver
from archive_store.numbering import ref_no_to_filename
from archive_store.publish import publish_volume
from archive_store import acceptance as acc
from archive_store.receive import NumberConflict, receive
from archive_store.search import search
from archive_store.storage import open_storage
from archive_store.tables import (AuditRow, CommunityRow, MaterialRow, PageRow, PageTextRow, StoredObjectRow,
                                  VolumeRow)
from handover import config
from handover.config import Settings
from handover.db import session_scope

from tests.conftest import ON_POSTGRES, _forget_engine, new_pg_database, use_database

from .helpers import ERQI, JINSHUI
from .test_deliver import scanned_volume

PROFILE = "henan-zhengzhou"


@pytest.fixture
def archive_b(request, tmp_path):
    """A second archive: its own data folder, storage and database (SQLite there, or a database
    of its own on the test PostgreSQL server)."""
    url = ""
    if ON_POSTGRES:
        cluster, template = request.getfixturevalue("pg_cluster"), request.getfixturevalue("pg_schema")
        name, url = new_pg_database(cluster, template=template)
    # its incoming folder (the web acceptance's packages): tmp_path, where the tests' packages are written
    yield Settings(data_dir=tmp_path / "archive-b", database_url=url, storage="local", incoming_dir=tmp_path)
    if url:
        _forget_engine(url)
        cluster.drop_database(name)


@pytest.fixture
def archive_a(cfg, make_volume, tmp_path):
    """Archive A: 张建国 and 李秀英 in 纬五路社区, 王福来 in 五里堡社区, and a package of all three."""
    storage = open_storage(cfg)
    vols = [publish_volume(cfg, scanned_volume(make_volume, n), dest, PROFILE, "录入员", storage=storage)
            for n, dest in (("张建国", JINSHUI), ("李秀英", JINSHUI), ("王福来", ERQI))]
    pkg = deliver(cfg, tmp_path / "pkg", ref_nos=tuple(v.ref_no for v in vols), actor="移交员", storage=storage)
    assert pkg.report.ok
    return pkg.out, vols


def accept(cfg: Settings, pkg, *, passed: bool = True, conclude: bool = True) -> int:
    """The 验收 of ``pkg`` in archive ``cfg`` as the web page makes it: started (sample drawn), the
    四性检测 run, every sampled volume marked on every item (linkage failed unless ``passed``), concluded."""
    with session_scope(cfg) as s:
        aid = acc.start(s, cfg, pkg.name, "验收员", seed="t").id
    acc.run_checks(cfg, aid, "验收员")
    if conclude:
        with session_scope(cfg) as s:
            row = acc.get(s, aid)
            for ref_no in row.sample:
                for item in acc.ITEM_KEYS:
                    ok = passed or item != "linkage"
                    acc.mark(s, row, ref_no, item, ok, "" if ok else "第2页与目录不对应", "验收员")
            assert acc.conclude(s, row, "验收员") == (acc.PASS if passed else acc.FAIL)
    return aid


def snapshot(cfg: Settings) -> dict:
    """What the round trip must keep: 案卷目录 and 卷内目录 rows, pages, their texts and images' hashes."""
    with session_scope(cfg) as s:
        out = {"catalog": {}, "contents": {}, "pages": {}, "objects": {}}
        for community in s.scalars(select(CommunityRow).order_by(CommunityRow.code)):
            records = [dataclasses.replace(r, received_on=None) for r in volume_catalog(s, community.id)]
            out["catalog"][community.label] = records
        for vol in s.scalars(select(VolumeRow).order_by(VolumeRow.ref_no)):
            materials = s.scalars(select(MaterialRow).where(MaterialRow.volume_id == vol.id)
                                  .order_by(MaterialRow.ordinal)).all()
            ordinal = {m.id: m.ordinal for m in materials}
            out["contents"][vol.ref_no] = [(m.ordinal, m.seq, m.class_code, m.title, m.formed_on, m.pages,
                                            m.start_page, m.end_page, m.remarks) for m in materials]
            pages = s.scalars(select(PageRow).where(PageRow.volume_id == vol.id).order_by(PageRow.seq)).all()
            texts = {t.page_id: t.text for t in s.scalars(select(PageTextRow).where(
                PageTextRow.page_id.in_([p.id for p in pages])))}
            out["pages"][vol.ref_no] = [(p.seq, p.page_no, p.blank, p.duplicate_of, ordinal.get(p.material_id),
                                         p.image_key, texts.get(p.id)) for p in pages]
            out["objects"][vol.ref_no] = {o.key: o.sha256 for o in s.scalars(
                select(StoredObjectRow).where(StoredObjectRow.volume_id == vol.id))
                if o.key.startswith("pages/") or o.key == "volume.pdf"}
        return out


def hits(cfg: Settings, query: str) -> set[tuple]:
    with session_scope(cfg) as s:
        return {(h.ref_no, h.page_seq, h.page_no, h.matched) for h in search(s, query, None, limit=100)}


def counts(cfg: Settings) -> tuple[int, int, int]:
    """(volumes, pages, stored objects): what an import would add to."""
    with session_scope(cfg) as s:
        return (s.scalar(select(func.count()).select_from(VolumeRow)),
                s.scalar(select(func.count()).select_from(PageRow)),
                s.scalar(select(func.count()).select_from(StoredObjectRow)))


def stored_files(cfg: Settings) -> int:
    root = cfg.data_dir / "objects"
    return sum(1 for p in root.rglob("*") if p.is_file()) if root.exists() else 0


def switch_to(monkeypatch, cfg: Settings) -> None:
    """Point the CLI's settings at ``cfg`` (the other archive)."""
    monkeypatch.setenv("HANDOVER_DATA_DIR", str(cfg.data_dir))
    use_database(monkeypatch, cfg.database_url)
    config.settings.cache_clear()


# ---------------------------------------------------------------- the round trip


def test_round_trip_into_a_fresh_archive_keeps_catalogue_pages_hashes_and_search(cfg, archive_a, archive_b,
                                                                                 monkeypatch):
    pkg, vols = archive_a
    before = snapshot(cfg)
    queries = ["张建国", "李秀英", "王福来", "姓名", "出生日期", "籍贯"]
    expected = {q: hits(cfg, q) for q in queries}

    aid = accept(archive_b, pkg)
    switch_to(monkeypatch, archive_b)
    result = CliRunner().invoke(receive_command, [str(pkg), "--profile", PROFILE])
    assert result.exit_code == 0, result.output
    assert "已导入移交包 pkg：3 卷" in result.output and "无文本层" not in result.output  # no re-OCR
    assert f"第 {aid} 号验收（合格）的人工抽检" in result.output

    after = snapshot(archive_b)
    assert after["catalog"] == before["catalog"] and set(after["catalog"]) == {JINSHUI.label, ERQI.label}
    assert after["contents"] == before["contents"]
    assert after["pages"] == before["pages"]  # 档号, page numbers, blanks, material links, texts
    assert after["objects"] == before["objects"]  # the same image and PDF bytes
    assert all(expected.values())  # every query finds something in A
    for q in queries:
        assert hits(archive_b, q) == expected[q], q

    with session_scope(archive_b) as s:
        row = s.scalars(select(AuditRow).where(AuditRow.action == "receive")).one()
        assert row.actor == "测试员" and row.target == "pkg"
        assert row.detail["imported"] == 3 and row.detail["pages"] == sum(len(p) for p in before["pages"].values())
        assert row.detail["acceptance"] == aid and row.detail["seed"] == "t" and len(row.detail["sample"]) == 1

    # a community's next volume here follows the kept numbers
    with session_scope(archive_b) as s:
        from archive_store.transactions import next_volume_no

        jinshui = s.scalar(select(CommunityRow).where(CommunityRow.name == JINSHUI.community))
        assert next_volume_no(s, jinshui.id) == 3

    again = CliRunner().invoke(receive_command, [str(pkg), "--profile", PROFILE, "--json"])
    assert again.exit_code == 0, again.output
    assert '"skipped": 3' in again.output and '"imported": 0' in again.output
    assert snapshot(archive_b) == after


# ---------------------------------------------------------------- 档号 that cannot be kept


def test_taken_ref_nos_refuse_the_package_unless_renumbered_gap_free(cfg, archive_a, archive_b, make_volume,
                                                                    tmp_path):
    pkg, vols = archive_a
    storage_b = open_storage(archive_b)
    for name in ("赵一", "钱二"):  # B numbers 纬五路社区 0001, 0002 itself
        publish_volume(archive_b, scanned_volume(make_volume, name), JINSHUI, PROFILE, "乙馆", storage=storage_b)
    before, files = counts(archive_b), stored_files(archive_b)
    accept(archive_b, pkg)

    with pytest.raises(NumberConflict) as refused:
        receive(archive_b, pkg, profile=PROFILE, actor="乙馆")
    assert {r for r, _ in refused.value.conflicts} == {vols[0].ref_no, vols[1].ref_no}
    assert vols[0].ref_no in str(refused.value) and "--renumber" in str(refused.value)
    assert counts(archive_b) == before and stored_files(archive_b) == files  # nothing imported, not even 王福来

    mapping = tmp_path / "对照.csv"
    result = receive(archive_b, pkg, profile=PROFILE, renumber=True, mapping_file=mapping, actor="乙馆")
    assert result.imported == 3
    with session_scope(archive_b) as s:
        jinshui = s.scalar(select(CommunityRow).where(CommunityRow.name == JINSHUI.community))
        numbers = s.scalars(select(VolumeRow.volume_no).where(VolumeRow.community_id == jinshui.id)
                            .order_by(VolumeRow.volume_no)).all()
    assert numbers == [1, 2, 3, 4]  # gap-free after B's own
    with mapping.open(encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["原档号", "新档号"]
    new = dict(rows[1:])
    assert set(new) == {v.ref_no for v in vols}
    assert new[vols[0].ref_no].endswith("-0003") and new[vols[1].ref_no].endswith("-0004")
    assert new[vols[2].ref_no] == vols[2].ref_no  # 五里堡社区 is new to B: its first number is 0001 there too
    with session_scope(archive_b) as s:
        moved = s.scalar(select(VolumeRow).where(VolumeRow.ref_no == new[vols[0].ref_no]))
        assert moved.name == "张建国" and moved.source["received_ref_no"] == vols[0].ref_no
        folder = ref_no_to_filename(moved.ref_no)
        keys = set(s.scalars(select(StoredObjectRow.key).where(StoredObjectRow.volume_id == moved.id)))
        assert f"pages/{folder}-0001.jpg" in keys  # images named by the new 档号


def test_a_ref_no_outside_this_archives_numbering_is_a_conflict(cfg, archive_a, archive_b):
    pkg, vols = archive_a
    accept(archive_b, pkg)
    with pytest.raises(NumberConflict) as refused:
        receive(archive_b, pkg, profile="chongqing", actor="乙馆")  # another fonds
    assert len(refused.value.conflicts) == 3 and "全宗号" in refused.value.conflicts[0][1]
    assert counts(archive_b)[0] == 0


# ---------------------------------------------------------------- refusal and resume


def _refused(result, *said: str) -> None:
    """The CLI refused for want of a 合格 acceptance: exit 6, the message, nothing imported."""
    assert result.exit_code == 6, result.output
    text = result.output.replace("\n", "")
    assert "未导入任何案卷" in text and all(s in text for s in said), text


def test_a_package_is_imported_only_after_its_acceptance_concluded_passed(cfg, archive_a, archive_b, monkeypatch):
    pkg, vols = archive_a
    switch_to(monkeypatch, archive_b)
    run = lambda: CliRunner().invoke(receive_command, [str(pkg), "--profile", PROFILE])  # noqa: E731

    _refused(run(), "未经验收", "验收，结论为合格后才能导入")
    seeded = CliRunner().invoke(receive_command, [str(pkg), "--profile", PROFILE, "--seed", "x"])
    assert seeded.exit_code == 2 and "沿用验收时的抽样" in seeded.output  # the sample is the acceptance's
    first = accept(archive_b, pkg, conclude=False)
    _refused(run(), f"第 {first} 号验收尚未作出结论（人工抽检中）")
    with session_scope(archive_b) as s:  # the sample fails linkage: 不合格
        row = acc.get(s, first)
        acc.mark(s, row, row.sample[0], "linkage", False, "第3页与目录不对应", "验收员")
        assert acc.conclude(s, row, "验收员") == acc.FAIL
    _refused(run(), f"第 {first} 号验收的结论为不合格")
    assert counts(archive_b) == (0, 0, 0) and stored_files(archive_b) == 0
    with session_scope(archive_b) as s:
        refusals = s.scalars(select(AuditRow).where(AuditRow.action == "receive_refused").order_by(AuditRow.id)).all()
        assert [r.detail["state"] for r in refusals] == [acc.NONE, acc.OPEN, acc.REJECTED]

    second = accept(archive_b, pkg)  # inspected again (the vendor's explanation accepted): 合格
    result = run()
    assert result.exit_code == 0, result.output
    assert counts(archive_b)[0] == 3
    with session_scope(archive_b) as s:
        assert s.scalars(select(AuditRow).where(AuditRow.action == "receive")).one().detail["acceptance"] == second


def test_a_file_changed_after_the_acceptance_imports_nothing(cfg, archive_a, archive_b, monkeypatch):
    pkg, vols = archive_a
    aid = accept(archive_b, pkg)
    folder = ref_no_to_filename(vols[1].ref_no)
    image = pkg / folder / f"{folder}-0002.jpg"
    image.write_bytes(image.read_bytes()[:-10] + b"0123456789")  # one volume altered, the manifest not
    switch_to(monkeypatch, archive_b)
    result = CliRunner().invoke(receive_command, [str(pkg), "--profile", PROFILE])
    _refused(result, f"在第 {aid} 号验收合格之后被改动", "四性检测有", f"{folder}/{folder}-0002.jpg")
    assert counts(archive_b) == (0, 0, 0) and stored_files(archive_b) == 0
    with session_scope(archive_b) as s:
        row = s.scalars(select(AuditRow).where(AuditRow.action == "receive_refused")).one()
        assert row.detail["state"] == acc.CHANGED and "authenticity.fixity" in row.detail["failed"]

    # the manifest rewritten to match: another package than the one accepted
    from archive_store import dat31_layout as L
    from archive_store.storage import sha256_file

    manifest = pkg / L.MANIFEST
    lines = manifest.read_text(encoding="utf-8").splitlines(keepends=True)
    rel = f"{folder}/{folder}-0002.jpg"
    manifest.write_text("".join(L.manifest_line(sha256_file(image)[0], rel) if line.rstrip().endswith(rel) else line
                                for line in lines), encoding="utf-8")
    with pytest.raises(acc.NotAccepted) as refused:
        receive(archive_b, pkg, profile=PROFILE)
    assert refused.value.state == acc.CHANGED and "清单文件与验收时不同" in str(refused.value)
    assert counts(archive_b) == (0, 0, 0)


class _FailingStorage:
    """The real local storage, failing once after ``after`` writes: a receive interrupted mid-volume."""

    def __init__(self, inner, after: int) -> None:
        self.inner, self.left = inner, after

    def put(self, *args, **kwargs):
        if self.left == 0:
            raise OSError("磁盘已满（测试）")
        self.left -= 1
        return self.inner.put(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.inner, name)


def test_an_interrupted_receive_resumes_and_skips_volumes_already_in(cfg, archive_a, archive_b):
    pkg, vols = archive_a
    storage = open_storage(archive_b)
    per_volume = 3 + 2 + len(list((pkg / ref_no_to_filename(vols[0].ref_no)).glob("*.jpg"))) + 1
    accept(archive_b, pkg)
    with pytest.raises(OSError):  # the first volume in, the second halfway stored
        receive(archive_b, pkg, profile=PROFILE, storage=_FailingStorage(storage, per_volume + 3))
    with session_scope(archive_b) as s:
        states = dict(s.execute(select(VolumeRow.ref_no, VolumeRow.status)).all())
    assert states == {vols[0].ref_no: "published", vols[1].ref_no: "pending"}

    result = receive(archive_b, pkg, profile=PROFILE, storage=storage)
    assert (result.skipped, result.imported) == (1, 2)
    with session_scope(archive_b) as s:
        rows = s.execute(select(VolumeRow.ref_no, VolumeRow.status)).all()
    assert sorted(rows) == sorted((v.ref_no, "published") for v in vols)  # the reserved 档号 kept
    assert snapshot(archive_b)["objects"] == snapshot(cfg)["objects"]


# ---------------------------------------------------------------- text: the PDF's layer, else OCR


def test_page_text_comes_from_the_pdf_text_layer_and_only_pages_without_one_are_ocrd(cfg, make_volume, archive_b,
                                                                                     tmp_path):
    from ocr.pdf_text import text_layer
    from handover import volume_folder as vf
    from tests.support.scanned_volume import make_scanned

    with_layer = make_scanned(make_volume("张建国")[0], "张建国人事档案")
    ocr = vf.read_ocr(with_layer)
    layers = text_layer(with_layer / vf.VOLUME_PDF, [(p.width, p.height) for p in ocr.pages])
    for page, lines in zip(ocr.pages, layers):  # every line back, at its box (±1 px); a blank side has none
        assert (lines is None) == (not page.lines)
        assert [l.text for l in lines or []] == [l.text for l in page.lines]
        for got, line in zip(lines or [], page.lines):
            assert all(abs(a - b) <= 1 for a, b in zip(got.box, line.box))

    image_only = make_scanned(make_volume("李秀英")[0], "李秀英人事档案", text_layer=False)
    storage = open_storage(cfg)
    vol = publish_volume(cfg, image_only, JINSHUI, PROFILE, "录入员", storage=storage)
    pkg = deliver(cfg, tmp_path / "scan-pkg", ref_nos=(vol.ref_no,), storage=storage).out
    accept(archive_b, pkg)
    result = receive(archive_b, pkg, profile=PROFILE, engine_name="tesseract")
    content = sum(1 for p in vf.read_ocr(image_only).pages if p.page_no is not None)
    assert result.ocr_pages == content > 0  # each content page recognized, the blank side not


def test_ocr_on_request_recognizes_every_page_instead_of_reading_the_text_layer(cfg, make_volume, archive_b,
                                                                                monkeypatch, tmp_path):
    """``--ocr`` on a one-volume package whose PDF has a text layer: every page but the blank side is
    recognized here (tesseract in the test: rapidocr's models are not needed for this), the layer unused."""
    from handover import volume_folder as vf
    from tests.support.scanned_volume import make_scanned

    from PIL import Image, ImageDraw

    from ocr import fonts

    root = make_volume("张建国")[0]
    first = next(p for p in vf.read_ocr(root).pages if p.page_no is not None)
    page = Image.new("RGB", (900, 300), "white")  # the sample's pages are placeholders: one legible page
    ImageDraw.Draw(page).text((60, 110), "档案重新识别测试", font=fonts.font("sans", 64), fill="black")
    page.save(root / vf.PAGES / vf.page_image(first.index), "JPEG", quality=90)
    folder = make_scanned(root, "张建国人事档案")  # its PDF's text layer: the sample's text, not this
    vol = publish_volume(cfg, folder, JINSHUI, PROFILE, "录入员", storage=open_storage(cfg))
    pkg = deliver(cfg, tmp_path / "ocr-pkg", ref_nos=(vol.ref_no,), storage=open_storage(cfg)).out
    accept(archive_b, pkg)
    switch_to(monkeypatch, archive_b)
    monkeypatch.setenv("HANDOVER_OCR_ENGINE", "tesseract")
    config.settings.cache_clear()
    result = CliRunner().invoke(receive_command, [str(pkg), "--profile", PROFILE, "--ocr", "--json"])
    assert result.exit_code == 0, result.output
    pages = vf.read_ocr(folder).pages
    not_blank = sum(1 for p in pages if not p.blank)
    assert f'"ocr_pages": {not_blank}' in result.output and not_blank < len(pages)
    with session_scope(archive_b) as s:
        received = s.scalar(select(VolumeRow))
        assert received.engine == "tesseract"
        rows = s.scalars(select(PageRow).where(PageRow.volume_id == received.id).order_by(PageRow.seq)).all()
        recognized = [p for p in rows if not p.blank]
        assert all(p.confidence < 1.0 for p in recognized)  # the engine's, not the layer's certain 1.0
        legible = next(p for p in rows if p.seq == first.index)
        assert "重新识别" in s.get(PageTextRow, legible.id).text  # what the image says, read here
        audit = s.scalars(select(AuditRow).where(AuditRow.action == "receive")).one()
        assert audit.detail["ocr"] is True and audit.detail["ocr_pages"] == not_blank


def test_a_person_already_filed_here_is_a_conflict_even_when_renumbering(cfg, archive_a, archive_b, monkeypatch,
                                                                         tmp_path):
    from tests.support.sample_volume import SamplePerson, write_sample_volume
    from tests.support.scanned_volume import make_scanned

    pkg, vols = archive_a
    with session_scope(cfg) as s:
        id_number = s.scalar(select(VolumeRow.id_number).where(VolumeRow.ref_no == vols[0].ref_no))
    own = make_scanned(write_sample_volume(tmp_path / "own", SamplePerson(id_number, "张建国"), seed=99), "张建国")
    publish_volume(archive_b, own, ERQI, PROFILE, "乙馆", storage=open_storage(archive_b))
    before = counts(archive_b)
    accept(archive_b, pkg)
    switch_to(monkeypatch, archive_b)
    result = CliRunner().invoke(receive_command, [str(pkg), "--profile", PROFILE, "--renumber"])
    assert result.exit_code == 5
    said = result.output.replace("\n", "")
    assert vols[0].ref_no in said and "该人员在本馆已有案卷" in said and "未导入任何案卷" in said
    assert counts(archive_b) == before and not (tmp_path / "pkg-档号对照.csv").exists()
