"""Unpacking an uploaded ZIP of a batch folder, refusing anything that could escape the target
folder or exhaust the disk: absolute or ``..`` paths (zip-slip), symbolic links, encrypted
members, too many members, a total size beyond the limit (zip bomb, counted while writing, not
trusted from the headers), nesting deeper than batch/entry/file, and files whose content is not
what the name says (the same magic-byte checks as a single upload)."""

from __future__ import annotations

import re
import shutil
import stat
import unicodedata
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from fastapi import HTTPException

from .intake import SCAN_TYPES
from .uploads import CHUNK

MAX_MEMBERS = 5000
MANIFESTS = ("manifest.csv", "清单.csv")
SINGLE_FILE = (".pdf", ".tif", ".tiff")  # a dossier as one file at the top of the batch
JUNK = re.compile(r"(^|/)(__MACOSX|\.DS_Store|Thumbs\.db|desktop\.ini)(/|$)", re.IGNORECASE)
SAFE_PART = re.compile(r"^[\w\u3400-\u9fff（）()\-. ]+$")
ID_LIKE = re.compile(r"\d{17}[\dXx]|\d{15}")  # a dossier folder, never a wrapping batch folder


def _refuse(member: str, why: str, status: int = 400) -> HTTPException:
    return HTTPException(status, f"压缩包中的“{member[:120]}”{why}")


def member_name(info: zipfile.ZipInfo) -> str:
    """The member's name; names without the UTF-8 flag (Windows zip tools) are read as GB18030."""
    name = info.filename
    if not info.flag_bits & 0x800:
        try:
            name = name.encode("cp437").decode("gb18030")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
    return unicodedata.normalize("NFC", name)


def _parts(name: str) -> list[str]:
    if "\\" in name or name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        raise _refuse(name, "使用了绝对路径或反斜杠路径，不允许")
    parts = [p for p in PurePosixPath(name).parts if p not in ("", ".")]
    if any(p == ".." for p in parts):
        raise _refuse(name, "的路径含“..”，可能指向批次文件夹以外，不允许")
    for p in parts:
        if not SAFE_PART.match(p) or p.startswith("."):
            raise _refuse(name, "的名称含有不允许的字符")
    return parts


def _plan(infos: list[zipfile.ZipInfo]) -> list[tuple[zipfile.ZipInfo, list[str]]]:
    """(member, relative path parts) of every file to write; the single top folder is dropped."""
    files = []
    for info in infos:
        name = member_name(info)
        if JUNK.search(name):
            continue
        if stat.S_ISLNK(info.external_attr >> 16):
            raise _refuse(name, "是符号链接，不允许")
        if info.flag_bits & 0x1:
            raise _refuse(name, "已加密，请上传未加密的压缩包")
        parts = _parts(name)
        if info.is_dir() or not parts:
            continue
        files.append((info, parts))
    tops = {parts[0] for _, parts in files}
    if len(tops) == 1 and all(len(p) > 1 for _, p in files) and not ID_LIKE.fullmatch(next(iter(tops))):
        files = [(info, parts[1:]) for info, parts in files]  # the zipped batch folder itself
    seen: set[str] = set()
    for info, parts in files:
        name = member_name(info)
        rel = "/".join(parts)
        suffix = Path(parts[-1]).suffix.lower()
        if len(parts) == 1 and parts[0] in MANIFESTS:
            pass
        elif len(parts) == 1 and suffix not in SINGLE_FILE:
            raise _refuse(name, "不是档案：批次顶层只能放每人一个文件夹、一个 PDF / TIFF 文件或 manifest.csv", 415)
        elif len(parts) == 2 and suffix not in SCAN_TYPES:
            raise _refuse(name, "不是扫描件：只能是 PDF、TIFF、JPEG 或 PNG 文件", 415)
        elif len(parts) > 2:
            raise _refuse(name, "层级过深：每人一个文件夹，页面图像直接放在其中")
        if rel.lower() in seen:
            raise _refuse(name, "重复出现")
        seen.add(rel.lower())
    return files


def _check_head(name: str, parts: list[str], head: bytes) -> None:
    suffix = Path(parts[-1]).suffix.lower()
    if parts[-1] in MANIFESTS:
        if b"\x00" in head or head.startswith((b"PK\x03\x04", b"%PDF")):
            raise _refuse(name, "不是 CSV 文本", 415)
    elif not head.startswith(SCAN_TYPES[suffix]):
        raise _refuse(name, f"的内容与扩展名 {suffix} 不符（可能是改了扩展名的其他文件）", 415)


def extract_batch(archive: Path, target: Path, max_total: int, max_members: int = MAX_MEMBERS) -> int:
    """Unpack ``archive`` into the new folder ``target``; returns the number of files written.

    Raises HTTPException with a Chinese message naming the offending member (and removes
    ``target`` again).
    """
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError):
        raise HTTPException(415, "上传的文件不是有效的 ZIP 压缩包") from None
    with zf:
        infos = zf.infolist()
        if len(infos) > max_members:
            raise HTTPException(400, f"压缩包中的文件过多（{len(infos)}个），一次最多{max_members}个")
        files = _plan(infos)
        if not files:
            raise HTTPException(400, "压缩包中没有扫描件")
        if sum(info.file_size for info, _ in files) > max_total:
            raise HTTPException(413, f"压缩包解压后超过{max(1, max_total // CHUNK)} MB，请分批上传")
        target.mkdir(parents=True, exist_ok=False)
        try:
            _write_all(zf, files, target, max_total)
        except BaseException:
            shutil.rmtree(target, ignore_errors=True)
            raise
    return len(files)


def _write_all(zf: zipfile.ZipFile, files: list[tuple[zipfile.ZipInfo, list[str]]], target: Path,
               max_total: int) -> None:
    root = target.resolve()
    written = 0
    for info, parts in files:
        name = member_name(info)
        path = target.joinpath(*parts)
        if not path.resolve().is_relative_to(root):
            raise _refuse(name, "指向批次文件夹以外，不允许")
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            written = _write_member(zf, info, name, parts, path, written, max_total)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError):
            raise _refuse(name, "已损坏或使用了不支持的压缩方式", 415) from None


def _write_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, parts: list[str], path: Path,
                  written: int, max_total: int) -> int:
    with zf.open(info) as src, path.open("xb") as out:
        head = src.read(8192)
        if not head:
            raise _refuse(name, "是空文件")
        _check_head(name, parts, head)
        out.write(head)
        written += len(head)
        while chunk := src.read(CHUNK):
            written += len(chunk)
            if written > max_total:  # the headers' sizes are not trusted
                raise HTTPException(413, f"压缩包解压后超过{max(1, max_total // CHUNK)} MB，请分批上传")
            out.write(chunk)
    return written
