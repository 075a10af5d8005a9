"""Objects in an S3-compatible bucket through the ``minio`` client (MinIO in production)."""

from __future__ import annotations

from contextlib import contextmanager
from typing import BinaryIO, Iterator
from urllib.parse import urlsplit

import urllib3
from minio import Minio
from minio.error import S3Error

from .base import (HashingReader, ObjectInfo, ObjectNotFound, Source, Storage, StorageAuthError,
                   StorageError, StorageUnavailable, as_stream, check_key)

PART_SIZE = 16 * 1024 * 1024
_AUTH_CODES = {"SignatureDoesNotMatch", "InvalidAccessKeyId", "AccessDenied", "InvalidToken",
               "ExpiredToken"}
_MISSING_CODES = {"NoSuchKey", "NoSuchObject", "ResourceNotFound"}
META_SHA256 = "sha256"


def _endpoint(endpoint: str, secure: bool) -> tuple[str, bool]:
    """Accept ``host:port`` or a URL (``http://host:port``)."""
    if "://" in endpoint:
        parts = urlsplit(endpoint)
        return parts.netloc, parts.scheme == "https"
    return endpoint, secure


class S3Storage(Storage):
    name = "s3"

    def __init__(self, endpoint: str, access_key: str, secret_key: str, bucket: str,
                 secure: bool = False, prefix: str = "", region: str = "us-east-1",
                 create_bucket: bool = True) -> None:
        if not endpoint:
            raise StorageError("未配置S3存储地址（s3_endpoint）")
        host, secure = _endpoint(endpoint, secure)
        http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=10, read=120),
            retries=urllib3.Retry(total=3, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504]),
            maxsize=8)
        self.client = Minio(host, access_key=access_key, secret_key=secret_key, secure=secure,
                            region=region, http_client=http)
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.endpoint = host
        if create_bucket:
            self._call(self._ensure_bucket)

    def __repr__(self) -> str:
        return f"S3Storage({self.endpoint!r}, bucket={self.bucket!r})"

    def _ensure_bucket(self) -> None:
        if not self.client.bucket_exists(self.bucket):
            self.client.make_bucket(self.bucket)

    def _call(self, fn, *args, key: str | None = None, **kwargs):
        try:
            return fn(*args, **kwargs)
        except S3Error as err:
            if err.code in _MISSING_CODES and key is not None:
                raise ObjectNotFound(key) from None
            if err.code in _AUTH_CODES:
                raise StorageAuthError(f"S3存储拒绝访问（{err.code}）：请检查访问密钥") from None
            raise StorageError(f"S3存储错误（{err.code}）：{err.message}") from None
        except urllib3.exceptions.HTTPError as err:
            raise StorageUnavailable(f"无法连接S3存储 {self.endpoint}：{type(err).__name__}") from None

    def _name(self, key: str) -> str:
        return self.prefix + check_key(key)

    def put(self, key: str, source: Source, *, sha256: str | None = None,
            content_type: str = "application/octet-stream") -> ObjectInfo:
        name = self._name(key)
        metadata = {META_SHA256: sha256} if sha256 else None
        with as_stream(source) as (stream, length):
            reader = HashingReader(stream)
            self._call(self.client.put_object, self.bucket, name, reader,
                       length if length is not None else -1, content_type=content_type,
                       metadata=metadata, part_size=PART_SIZE, key=key)
        return ObjectInfo(key, reader.size, reader.hash.hexdigest())

    @contextmanager
    def open(self, key: str) -> Iterator[BinaryIO]:
        response = self._call(self.client.get_object, self.bucket, self._name(key), key=key)
        try:
            yield response  # urllib3 response: read(n) streams
        finally:
            response.close()
            response.release_conn()

    def stat(self, key: str) -> ObjectInfo:
        st = self._call(self.client.stat_object, self.bucket, self._name(key), key=key)
        meta = st.metadata or {}
        sha = meta.get(f"x-amz-meta-{META_SHA256}") or meta.get(f"X-Amz-Meta-{META_SHA256}")
        return ObjectInfo(key, int(st.size or 0), sha)

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        objects = self._call(lambda: list(self.client.list_objects(
            self.bucket, prefix=self.prefix + prefix, recursive=True)))
        found = [ObjectInfo(o.object_name[len(self.prefix):], int(o.size or 0))
                 for o in objects if not o.is_dir]
        yield from sorted(found, key=lambda o: o.key)

    def delete(self, key: str) -> None:
        self._call(self.client.remove_object, self.bucket, self._name(key), key=key)
