"""Objects as files under a root folder (the embedded default)."""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Iterator

from .base import (CHUNK, HashingReader, ObjectInfo, ObjectNotFound, Source, Storage,
                   StorageError, as_stream, check_key)

_TMP = ".tmp-"


class LocalStorage(Storage):
    name = "local"

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def __repr__(self) -> str:
        return f"LocalStorage({str(self.root)!r})"

    def _path(self, key: str) -> Path:
        path = self.root.joinpath(*check_key(key).split("/"))
        if self.root not in path.parents:
            raise StorageError(f"对象名无效：{key!r}")
        if path.name.startswith(_TMP):
            raise StorageError(f"对象名不能以 {_TMP} 开头：{key!r}")
        return path

    def put(self, key: str, source: Source, *, sha256: str | None = None,
            content_type: str = "application/octet-stream") -> ObjectInfo:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{_TMP}{uuid.uuid4().hex}")
        try:
            with as_stream(source) as (stream, _length), tmp.open("wb") as out:
                reader = HashingReader(stream)
                while chunk := reader.read(CHUNK):
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)  # atomic: readers never see a partial object
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        try:  # make the rename durable
            fd = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError:
            pass
        return ObjectInfo(key, reader.size, reader.hash.hexdigest())

    @contextmanager
    def open(self, key: str) -> Iterator[BinaryIO]:
        path = self._path(key)
        try:
            fh = path.open("rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise ObjectNotFound(key) from None
        with fh:
            yield fh

    def stat(self, key: str) -> ObjectInfo:
        path = self._path(key)
        if not path.is_file():
            raise ObjectNotFound(key)
        return ObjectInfo(key, path.stat().st_size)

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        found: list[ObjectInfo] = []
        # Walk only the folder the prefix points into (not the whole archive).
        base = prefix.rsplit("/", 1)[0] if "/" in prefix else ""
        start = self.root.joinpath(*base.split("/")) if base else self.root
        if base and (any(part in ("", ".", "..") for part in base.split("/")) or not start.is_dir()):
            return
        for dirpath, _dirs, files in os.walk(start):
            for fname in files:
                if fname.startswith(_TMP):
                    continue
                full = Path(dirpath) / fname
                key = full.relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    found.append(ObjectInfo(key, full.stat().st_size))
        yield from sorted(found, key=lambda o: o.key)

    def delete(self, key: str) -> None:
        path = self._path(key)
        path.unlink(missing_ok=True)
        parent = path.parent
        while parent != self.root:  # tidy empty folders
            try:
                parent.rmdir()
            except OSError:
                break
            parent = parent.parent
