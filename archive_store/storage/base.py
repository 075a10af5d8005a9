"""The object-storage interface shared by the local-folder and the S3 backends."""

from __future__ import annotations

import hashlib
import io
from abc import ABC, abstractmethod
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterator, Union

from handover.errors import Unavailable

CHUNK = 1024 * 1024
Source = Union[bytes, bytearray, memoryview, Path, BinaryIO]


class StorageError(Unavailable):
    """A storage failure; ``str(err)`` is a Chinese message for the user."""


class ObjectNotFound(StorageError, KeyError):
    http_status = 404

    def __init__(self, key: str) -> None:
        super().__init__(f"对象不存在：{key}")
        self.key = key

    def __str__(self) -> str:  # KeyError would add quotes
        return self.args[0]


class StorageAuthError(StorageError):
    pass


class StorageUnavailable(StorageError):
    pass


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    sha256: str | None = None  # known when the object was just written, or recorded at upload


def check_key(key: str) -> str:
    """Keys are relative, "/"-separated, without empty, "." or ".." segments."""
    if not key or key.startswith("/") or "\\" in key or "\x00" in key:
        raise StorageError(f"对象名无效：{key!r}")
    if any(part in ("", ".", "..") for part in key.split("/")):
        raise StorageError(f"对象名无效：{key!r}")
    return key


class HashingReader(io.RawIOBase):
    """Wraps a stream, hashing (SHA-256) and counting what is read through it."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self.hash = hashlib.sha256()
        self.size = 0

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        data = self._raw.read(n)
        if data:
            self.hash.update(data)
            self.size += len(data)
        return data

    def readinto(self, buf) -> int:  # type: ignore[override]
        data = self.read(len(buf))
        buf[: len(data)] = data
        return len(data)


def sha256_stream(stream: BinaryIO) -> tuple[str, int]:
    h, size = hashlib.sha256(), 0
    while chunk := stream.read(CHUNK):
        h.update(chunk)
        size += len(chunk)
    return h.hexdigest(), size


def sha256_file(path: Path) -> tuple[str, int]:
    with path.open("rb") as fh:
        return sha256_stream(fh)


@contextmanager
def as_stream(source: Source) -> Iterator[tuple[BinaryIO, int | None]]:
    """(stream, length or None) for bytes, a Path or an open binary stream."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        yield io.BytesIO(bytes(source)), len(source)
    elif isinstance(source, Path):
        with source.open("rb") as fh:
            yield fh, source.stat().st_size
    else:
        yield source, None


class Storage(ABC):
    """Put/get/stat/list/delete objects by key, streaming, with SHA-256 fixity."""

    name = "storage"

    @abstractmethod
    def put(self, key: str, source: Source, *, sha256: str | None = None,
            content_type: str = "application/octet-stream") -> ObjectInfo:
        """Store atomically (readers see the old object or the whole new one). ``sha256`` is an
        optional known digest, recorded with the object; the returned digest is always computed
        from the bytes actually sent."""

    @abstractmethod
    @contextmanager
    def open(self, key: str) -> Iterator[BinaryIO]:
        """A readable stream of the object (raises ObjectNotFound)."""

    @abstractmethod
    def stat(self, key: str) -> ObjectInfo:
        """Size (and recorded SHA-256, if any); raises ObjectNotFound."""

    @abstractmethod
    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        """Objects whose key starts with ``prefix``, sorted by key."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove an object; removing a missing object is not an error."""

    def exists(self, key: str) -> bool:
        try:
            self.stat(key)
        except ObjectNotFound:
            return False
        return True

    def get(self, key: str) -> bytes:
        with self.open(key) as fh:
            return fh.read()

    def sha256(self, key: str) -> tuple[str, int]:
        """Re-read the stored bytes: (SHA-256, size)."""
        with self.open(key) as fh:
            return sha256_stream(fh)

    def get_to(self, key: str, path: Path) -> ObjectInfo:
        """Stream an object into a file."""
        h, size = hashlib.sha256(), 0
        path.parent.mkdir(parents=True, exist_ok=True)
        with self.open(key) as src, path.open("wb") as dst:
            while chunk := src.read(CHUNK):
                h.update(chunk)
                size += len(chunk)
                dst.write(chunk)
        return ObjectInfo(key, size, h.hexdigest())
