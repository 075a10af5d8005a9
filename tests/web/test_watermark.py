"""水印 on what the viewer serves (issue 21): a community clerk's page views and PDF downloads carry
the visible mark and an identifier that leads back to the audit row; the stored originals are
untouched; archive staff may be configured to work without the visible mark, never without the id."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import subprocess

import pikepdf
from PIL import Image, ImageChops
from sqlalchemy import select

from archive_store import audit
from archive_store.storage import open_storage
from archive_store.tables import PageRow, StoredObjectRow, VolumeRow
from archive_store.watermark import mark_in_text, read_mark
from handover.db import session_scope

from .conftest import sign_in
from .test_dossiers import audit_rows


def _approved_request(as_user, volume_id: int) -> int:
    r = as_user("comm_a").post(f"/api/dossiers/{volume_id}/requests",
                               json={"kind": "view", "reason": "核实出生日期", "organisation": "纬五路社区"})
    assert r.status_code == 201
    rid = r.json()["id"]
    assert as_user("archivist").post(f"/api/requests/{rid}/approve", json={"note": "同意"}).status_code == 200
    return rid


def _stored(seed, volume_id: int, key: str | None = None, seq: int = 1) -> tuple[bytes, str]:
    """The stored object's bytes and the SHA-256 the catalog recorded at publishing."""
    with session_scope(seed.cfg) as s:
        vol = s.get(VolumeRow, volume_id)
        key = key or s.scalar(select(PageRow.image_key).where(PageRow.volume_id == volume_id, PageRow.seq == seq))
        sha = s.scalar(select(StoredObjectRow.sha256).where(StoredObjectRow.volume_id == volume_id,
                                                            StoredObjectRow.key == key))
        return open_storage(seed.cfg).get(f"{vol.prefix}/{key}"), sha


def _pixels(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data)).convert("L")


def _streams(page) -> list:
    contents = page.obj.Contents
    return [contents] if isinstance(contents, pikepdf.Stream) else list(contents)


def _last(seed, action: str, actor: str):
    return audit_rows(seed, action=action, actor=actor)[-1]


def test_a_community_clerks_page_carries_the_mark_and_the_stored_original_is_untouched(as_user, seed):
    rid = _approved_request(as_user, seed.volume_a)
    original, sha = _stored(seed, seed.volume_a)
    img = as_user("comm_a").get(f"/dossiers/{seed.volume_a}/pages/1/image")
    assert img.status_code == 200 and img.headers["content-type"] == "image/jpeg"
    assert img.headers["cache-control"] == "private, no-store"
    diff = ImageChops.difference(_pixels(original), _pixels(img.content)).point(lambda v: 255 if v > 12 else 0)
    w, h = diff.size
    halves = [diff.crop(box).getbbox() for box in ((0, 0, w, h // 2), (0, h // 2, w, h))]
    assert all(halves), "the mark covers the page, top and bottom"
    row = _last(seed, "view_page", "comm_a")
    assert read_mark(img.content) == row.detail["mark"] and row.detail["request_id"] == rid
    stored_after, _ = _stored(seed, seed.volume_a)
    assert stored_after == original and hashlib.sha256(stored_after).hexdigest() == sha


def test_the_pdf_download_is_valid_names_the_viewer_and_keeps_the_pages(as_user, seed, tmp_path):
    rid = _approved_request(as_user, seed.volume_a)
    original, sha = _stored(seed, seed.volume_a, "volume.pdf")
    r = as_user("comm_a").get(f"/dossiers/{seed.volume_a}/volume.pdf")
    assert r.status_code == 200 and r.headers["cache-control"] == "private, no-store"
    assert "attachment" in r.headers["content-disposition"]
    path = tmp_path / "download.pdf"
    path.write_bytes(r.content)
    check = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True).stdout
    assert "纬五路社区 刘社工（comm_a）" in text and f"申请第{rid}号" in text
    row = _last(seed, "download", "comm_a")
    assert mark_in_text(text) == read_mark(r.content) == row.detail["mark"]
    # The pages are the stored ones, each with the mark drawn over: their own content streams kept.
    with pikepdf.open(io.BytesIO(original)) as before, pikepdf.open(io.BytesIO(r.content)) as after:
        assert len(before.pages) == len(after.pages)
        for a, b in zip(before.pages, after.pages):
            assert b"".join(c.read_bytes() for c in _streams(a)) in b"".join(c.read_bytes() for c in _streams(b))
    stored_after, _ = _stored(seed, seed.volume_a, "volume.pdf")
    assert hashlib.sha256(stored_after).hexdigest() == sha


def test_each_download_has_its_own_id_and_the_audit_search_finds_it(as_user, seed):
    rid = _approved_request(as_user, seed.volume_a)
    comm_a = as_user("comm_a")
    ids = [read_mark(comm_a.get(f"/dossiers/{seed.volume_a}/volume.pdf").content) for _ in range(2)]
    ids.append(read_mark(comm_a.get(f"/dossiers/{seed.volume_a}/pages/2/image").content))
    assert len(set(ids)) == 3 and all(ids)
    with session_scope(seed.cfg) as s:
        found = audit.entries(s, audit.AuditFilter(subject=ids[0]))
        assert [(r.actor, r.action, r.detail["mark"]) for r in found] == [("comm_a", "download", ids[0])]
    # The admin's audit page answers the same search (a leaked copy's 水印编号 typed in).
    rows = as_user("admin").get("/api/audit", params={"subject": ids[2].upper()}).json()["entries"]
    assert [(r["actor"], r["action"], r["grounds"]) for r in rows] == [("comm_a", "view_page", f"查阅申请第 {rid} 号")]


def test_archive_staff_may_work_without_the_visible_mark_but_never_without_the_id(seed, app):
    from web.app import create_app

    original, _ = _stored(seed, seed.volume_a)
    marked = sign_in(app, "archivist").get(f"/dossiers/{seed.volume_a}/pages/1/image").content
    assert ImageChops.difference(_pixels(original), _pixels(marked)).getbbox() is not None  # on by default

    plain_app = create_app(dataclasses.replace(seed.cfg, watermark_custodians=False))
    archivist = sign_in(plain_app, "archivist")
    img = archivist.get(f"/dossiers/{seed.volume_a}/pages/1/image").content
    assert ImageChops.difference(_pixels(original), _pixels(img)).getbbox() is None
    assert read_mark(img) == _last(seed, "view_page", "archivist").detail["mark"]
    pdf = archivist.get(f"/dossiers/{seed.volume_a}/volume.pdf").content
    assert read_mark(pdf) == _last(seed, "download", "archivist").detail["mark"]


def test_handover_audit_trace_names_the_download_of_a_leaked_copy(as_user, seed, tmp_path):
    from click.testing import CliRunner

    from archive_store.cli import audit_command

    rid = _approved_request(as_user, seed.volume_a)
    leaked = tmp_path / "leaked.pdf"
    leaked.write_bytes(as_user("comm_a").get(f"/dossiers/{seed.volume_a}/volume.pdf").content)
    mark = read_mark(leaked.read_bytes())
    runner = CliRunner()
    by_file = runner.invoke(audit_command, ["trace", str(leaked)])
    assert by_file.exit_code == 0, by_file.output
    assert "comm_a" in by_file.output and f"申请第 {rid} 号" in by_file.output and "核实出生日期" in by_file.output
    by_id = runner.invoke(audit_command, ["trace", mark.upper(), "--json"])
    assert by_id.exit_code == 0, by_id.output
    assert '"actor": "comm_a"' in by_id.output and f'"request": {rid}' in by_id.output
    assert runner.invoke(audit_command, ["trace", "0" * 12]).exit_code == 3  # no such download
    assert runner.invoke(audit_command, ["trace", "不是编号"]).exit_code != 0
    clean = tmp_path / "clean.pdf"
    clean.write_bytes(_stored(seed, seed.volume_a, "volume.pdf")[0])
    refused = runner.invoke(audit_command, ["trace", str(clean)])
    assert refused.exit_code != 0 and "没有水印编号" in refused.output
    assert [r.target for r in audit_rows(seed, action="trace_mark")] == [mark, mark, "0" * 12]  # searches audited
