"""Unpacking a batch ZIP: what is written, and every refusal with the member named."""

from __future__ import annotations

import stat
import zipfile

import pytest
from fastapi import HTTPException

from web.batch_zip import extract_batch

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 200
PDF = b"%PDF-1.4\n" + b"0" * 200
ID1, ID2 = "410102195406183757", "410104194501024832"


def make_zip(path, members: dict[str, bytes], infos: list[tuple[zipfile.ZipInfo, bytes]] = ()):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        for info, data in infos:
            zf.writestr(info, data)
    return path


def refused(tmp_path, members=None, infos=(), **kw) -> HTTPException:
    archive = make_zip(tmp_path / "b.zip", members or {}, infos)
    with pytest.raises(HTTPException) as err:
        extract_batch(archive, tmp_path / "out", kw.pop("max_total", 10**7), **kw)
    return err.value


def tree(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_a_zipped_batch_folder_is_unpacked_without_its_wrapping_folder(tmp_path):
    archive = make_zip(tmp_path / "b.zip", {
        f"第一批/{ID1}/0001.jpg": JPEG, f"第一批/{ID1}/0002.jpg": JPEG, f"第一批/{ID2}.pdf": PDF,
        "第一批/清单.csv": "公民身份号码,姓名\n".encode(), "__MACOSX/第一批/._x": b"junk", "第一批/.DS_Store": b"x"})
    assert extract_batch(archive, tmp_path / "out", 10**6) == 4
    assert tree(tmp_path / "out") == sorted([f"{ID1}/0001.jpg", f"{ID1}/0002.jpg", f"{ID2}.pdf", "清单.csv"])


def test_a_single_dossier_folder_is_not_unwrapped(tmp_path):
    archive = make_zip(tmp_path / "b.zip", {f"{ID1}/0001.jpg": JPEG, f"{ID1}/0002.jpg": JPEG})
    extract_batch(archive, tmp_path / "out", 10**6)
    assert tree(tmp_path / "out") == [f"{ID1}/0001.jpg", f"{ID1}/0002.jpg"]


def patch_bytes(path, old: bytes, new: bytes) -> None:
    """Rewrite raw bytes of the archive (names and flags zipfile will not write itself)."""
    data = path.read_bytes()
    assert data.count(old) == 2  # local header and central directory
    path.write_bytes(data.replace(old, new))


def test_names_from_windows_zip_tools_are_read_as_gb18030(tmp_path):
    archive = make_zip(tmp_path / "b.zip", {f"{ID1}/0001.jpg": JPEG, "XXXX.csv": "公民身份号码\n".encode()})
    patch_bytes(archive, b"XXXX.csv", "清单.csv".encode("gb18030"))  # no UTF-8 flag, GBK bytes
    extract_batch(archive, tmp_path / "out", 10**6)
    assert (tmp_path / "out" / "清单.csv").exists()


def test_path_escapes_are_refused(tmp_path):
    for name in ("../evil.pdf", f"{ID1}/../../evil.jpg", "/etc/evil.pdf", "C:/evil.pdf", f"{ID1}\\0001.jpg"):
        err = refused(tmp_path, {name: PDF if name.endswith("pdf") else JPEG})
        assert err.status_code == 400 and "不允许" in err.detail, (name, err.detail)
        assert not (tmp_path / "out").exists() and not (tmp_path / "evil.pdf").exists()


def test_symlinks_and_encrypted_members_are_refused(tmp_path):
    link = zipfile.ZipInfo(f"{ID1}/0001.jpg")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    err = refused(tmp_path, infos=[(link, b"/etc/passwd")])
    assert "符号链接" in err.detail and f"{ID1}/0001.jpg" in err.detail
    archive = make_zip(tmp_path / "b.zip", {f"{ID2}.pdf": PDF}, [])
    data = bytearray(archive.read_bytes())
    for sig, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):  # set the "encrypted" flag bit
        at = data.find(sig) + offset
        data[at] |= 0x1
    archive.write_bytes(bytes(data))
    with pytest.raises(HTTPException) as err:
        extract_batch(archive, tmp_path / "out", 10**6)
    assert "加密" in err.value.detail and f"{ID2}.pdf" in err.value.detail


def test_too_many_members_and_zip_bombs_are_refused(tmp_path):
    err = refused(tmp_path, {f"{ID1}/{i:04d}.jpg": JPEG for i in range(1, 12)}, max_members=10)
    assert err.status_code == 400 and "过多" in err.detail
    bomb = JPEG + b"\x00" * 5_000_000  # compresses to a few kB
    err = refused(tmp_path, {f"{ID1}/0001.jpg": bomb}, max_total=1_000_000)
    assert err.status_code == 413 and "解压后超过" in err.detail
    assert (tmp_path / "b.zip").stat().st_size < 100_000


def test_a_member_whose_declared_size_is_forged_is_refused(tmp_path):
    archive = make_zip(tmp_path / "b.zip", {f"{ID1}/0001.jpg": JPEG + b"\x00" * 3_000_000})
    data = bytearray(archive.read_bytes())
    central = data.rfind(b"PK\x01\x02")  # declare 100 bytes in the central directory
    data[central + 24:central + 28] = (100).to_bytes(4, "little")
    archive.write_bytes(bytes(data))
    with pytest.raises(HTTPException) as err:
        extract_batch(archive, tmp_path / "out", 1_000_000)
    assert err.value.status_code == 415 and "损坏" in err.value.detail and f"{ID1}/0001.jpg" in err.value.detail


def test_wrong_types_are_refused_with_the_member_named(tmp_path):
    err = refused(tmp_path, {f"{ID1}/0001.jpg": b"MZ\x90\x00 not an image"})
    assert err.status_code == 415 and f"{ID1}/0001.jpg" in err.detail and ".jpg" in err.detail
    err = refused(tmp_path, {f"{ID1}/run.exe": b"MZ"})
    assert err.status_code == 415 and "run.exe" in err.detail
    err = refused(tmp_path, {"0001.jpg": JPEG})
    assert err.status_code == 415 and "0001.jpg" in err.detail
    err = refused(tmp_path, {f"{ID2}.pdf": JPEG})
    assert "内容与扩展名 .pdf 不符" in err.detail
    err = refused(tmp_path, {"manifest.csv": PDF, f"{ID2}.pdf": PDF})
    assert "manifest.csv" in err.detail and "CSV" in err.detail
    assert "层级过深" in refused(tmp_path, {f"{ID1}/a/0001.jpg": JPEG, f"{ID2}.pdf": PDF}).detail
    assert "没有扫描件" in refused(tmp_path, {"__MACOSX/x": b"x"}).detail
    assert "不允许的字符" in refused(tmp_path, {f"{ID1}/0001;rm.jpg": JPEG}).detail


def test_not_a_zip(tmp_path):
    (tmp_path / "b.zip").write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(HTTPException) as err:
        extract_batch(tmp_path / "b.zip", tmp_path / "out", 10**6)
    assert err.value.status_code == 415 and "ZIP" in err.value.detail

