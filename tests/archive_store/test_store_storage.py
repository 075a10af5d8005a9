"""One storage suite, run against the local folder and a real S3 server (SeaweedFS)."""

from __future__ import annotations

import hashlib
import io
import os

import pytest

from archive_store.storage import (ObjectNotFound, S3Storage, StorageAuthError, StorageError,
                                   open_storage)
from archive_store.storage.local import LocalStorage
from handover.config import Settings

from .helpers import S3_ACCESS_KEY, S3_SECRET_KEY


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_put_get_stat_sha256(storage):
    data = "退休审批表".encode() * 100
    info = storage.put("金水区/经八路街道/纬五路社区/J410-TX.410105001001-0001/ocr.json", data)
    assert (info.size, info.sha256) == (len(data), sha(data))
    key = info.key
    assert storage.get(key) == data
    assert storage.stat(key).size == len(data)
    assert storage.sha256(key) == (sha(data), len(data))
    assert storage.exists(key)


def test_put_from_path_and_from_unsized_stream(storage, tmp_path):
    path = tmp_path / "volume.pdf"
    path.write_bytes(b"%PDF-1.7\n" + os.urandom(5000))
    assert storage.put("a/volume.pdf", path).sha256 == sha(path.read_bytes())
    # A stream of unknown length bigger than one multipart part (16 MiB) on S3.
    big = os.urandom(17 * 1024 * 1024 + 123)

    class Unsized(io.RawIOBase):  # no len(), no seek: a real pipe-like stream
        def __init__(self):
            self._inner = io.BytesIO(big)

        def readable(self):
            return True

        def read(self, n=-1):
            return self._inner.read(n)

    info = storage.put("a/big.bin", Unsized())
    assert (info.size, info.sha256) == (len(big), sha(big))
    assert storage.sha256("a/big.bin") == (sha(big), len(big))
    with storage.open("a/big.bin") as fh:  # streaming read in chunks
        head = fh.read(1024)
    assert head == big[:1024]


def test_recorded_sha256_is_returned_by_stat(storage):
    data = b"manifest"
    storage.put("m/manifest.json", data, sha256=sha(data))
    recorded = storage.stat("m/manifest.json").sha256
    if isinstance(storage, S3Storage):
        assert recorded == sha(data)
    else:
        assert recorded is None  # the local backend keeps no metadata: callers re-hash


def test_overwrite_replaces_whole_object(storage):
    storage.put("x/obj", b"old contents")
    storage.put("x/obj", b"new")
    assert storage.get("x/obj") == b"new"


def test_list_by_prefix_sorted_and_chinese_keys(storage):
    keys = ["社区甲/J1/pages/J1-0002.jpg", "社区甲/J1/pages/J1-0001.jpg", "社区甲/J1/volume.pdf",
            "社区乙/J2/volume.pdf"]
    for k in keys:
        storage.put(k, k.encode())
    listed = list(storage.list("社区甲/"))
    assert [o.key for o in listed] == sorted(k for k in keys if k.startswith("社区甲/"))
    assert all(o.size == len(o.key.encode()) for o in listed)
    assert [o.key for o in storage.list("社区乙/")] == ["社区乙/J2/volume.pdf"]
    assert list(storage.list("社区丙/")) == []
    assert [o.key for o in storage.list("社区")] == sorted(keys)  # a prefix is not a folder
    assert [o.key for o in storage.list("社区甲/J1/pa")] == sorted(k for k in keys if "/pages/" in k)
    assert len(list(storage.list(""))) == len(keys)


def test_delete_and_missing_objects(storage):
    storage.put("d/one", b"1")
    storage.delete("d/one")
    assert not storage.exists("d/one")
    storage.delete("d/one")  # deleting a missing object is not an error
    with pytest.raises(ObjectNotFound):
        storage.get("d/one")
    with pytest.raises(ObjectNotFound):
        storage.stat("d/nothing")
    with pytest.raises(ObjectNotFound):
        storage.sha256("d/nothing")


@pytest.mark.parametrize("key", ["", "/abs", "a//b", "a/../b", "a/./b", "a\\b"])
def test_invalid_keys_are_refused(storage, key):
    with pytest.raises(StorageError):
        storage.put(key, b"x")


@pytest.mark.slow
def test_s3_wrong_secret_is_refused(s3_server):
    with pytest.raises(StorageAuthError) as err:
        S3Storage(s3_server, S3_ACCESS_KEY, "wrong-secret", "refused-bucket")
    assert "拒绝访问" in str(err.value)


def test_s3_unreachable_server_is_reported(tmp_path):
    from archive_store.storage import StorageUnavailable

    with pytest.raises(StorageUnavailable):
        S3Storage("127.0.0.1:9", "a", "b", "bucket")


def test_local_storage_keeps_no_partial_object(tmp_path):
    store = LocalStorage(tmp_path / "objects")

    class Failing(io.RawIOBase):
        def __init__(self):
            self.calls = 0

        def readable(self):
            return True

        def read(self, n=-1):
            self.calls += 1
            if self.calls > 2:
                raise OSError("disk unplugged")
            return b"x" * 1000

    store.put("k/obj", b"previous")
    with pytest.raises(OSError):
        store.put("k/obj", Failing())
    assert store.get("k/obj") == b"previous"
    assert [o.key for o in store.list("")] == ["k/obj"]  # no temp file visible


@pytest.mark.slow
def test_open_storage_picks_the_backend(tmp_path, s3_server):
    local = open_storage(Settings(data_dir=tmp_path))
    assert isinstance(local, LocalStorage) and local.root == (tmp_path / "objects").resolve()
    s3 = open_storage(Settings(data_dir=tmp_path, storage="s3", s3_endpoint=f"http://{s3_server}",
                               s3_access_key=S3_ACCESS_KEY, s3_secret_key=S3_SECRET_KEY,
                               s3_bucket="opened-by-settings"))
    s3.put("k", b"v")
    assert s3.get("k") == b"v"
    with pytest.raises(StorageError):
        open_storage(Settings(data_dir=tmp_path, storage="ftp"))
