"""``handover receive PACKAGE``: a delivered package imported into another archive (its own database
and storage) gives the same catalogue, pages, image hashes and search hits; a package that fails
the 四性检测 or whose 档号 are taken imports nothing; ``--renumber`` numbers gap-free and writes the
mapping; an interrupted receive resumes."""

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
from archive_store.receive import NumberConflict, PackageRefused, receive
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
    yield Settings(data_dir=tmp_path / "archive-b", database_url=url, storage="local")
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

    switch_to(monkeypatch, archive_b)
    result = CliRunner().invoke(receive_command, [str(pkg), "--profile", PROFILE])
    assert result.exit_code == 0, result.output
    assert "已导入移交包 pkg：3 卷" in result.output and "无文本层" not in result.output  # no re-OCR

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
        assert row.detail["seed"] and len(row.detail["sample"]) == 1

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
    with pytest.raises(NumberConflict) as refused:
        receive(archive_b, pkg, profile="chongqing", actor="乙馆")  # another fonds
    assert len(refused.value.conflicts) == 3 and "全宗号" in refused.value.conflicts[0][1]
    assert counts(archive_b)[0] == 0


# ---------------------------------------------------------------- refusal and resume


def test_a_tampered_package_imports_nothing(cfg, archive_a, archive_b, monkeypatch):
    pkg, vols = archive_a
    folder = ref_no_to_filename(vols[1].ref_no)
    image = pkg / folder / f"{folder}-0002.jpg"
    image.write_bytes(image.read_bytes()[:-10] + b"0123456789")  # one volume altered, the manifest not
    switch_to(monkeypatch, archive_b)
    result = CliRunner().invoke(receive_command, [str(pkg), "--profile", PROFILE])
    assert result.exit_code == 1
    assert "四性检测有" in result.output and f"{folder}/{folder}-0002.jpg" in result.output
    assert "未导入任何案卷" in result.output
    assert counts(archive_b) == (0, 0, 0) and stored_files(archive_b) == 0
    with session_scope(archive_b) as s:
        row = s.scalars(select(AuditRow).where(AuditRow.action == "receive_refused")).one()
        assert "authenticity.fixity" in row.detail["failed"]
    with pytest.raises(PackageRefused):
        receive(archive_b, pkg, profile=PROFILE)


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
    result = receive(archive_b, pkg, profile=PROFILE, engine_name="tesseract")
    content = sum(1 for p in vf.read_ocr(image_only).pages if p.page_no is not None)
    assert result.ocr_pages == content > 0  # each content page recognized, the blank side not


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
    switch_to(monkeypatch, archive_b)
    result = CliRunner().invoke(receive_command, [str(pkg), "--profile", PROFILE, "--renumber"])
    assert result.exit_code == 5
    said = result.output.replace("\n", "")
    assert vols[0].ref_no in said and "该人员在本馆已有案卷" in said and "未导入任何案卷" in said
    assert counts(archive_b) == before and not (tmp_path / "pkg-档号对照.csv").exists()
