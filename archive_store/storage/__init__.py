"""Object storage: one interface (``Storage``), a local-folder and an S3 backend."""

from __future__ import annotations

from handover.config import Settings, settings

from .base import (ObjectInfo, ObjectNotFound, Storage, StorageAuthError, StorageError,
                   StorageUnavailable, sha256_file, sha256_stream)
from .local import LocalStorage
from .s3 import S3Storage

__all__ = ["LocalStorage", "ObjectInfo", "ObjectNotFound", "S3Storage", "Storage", "StorageAuthError",
           "StorageError", "StorageUnavailable", "open_storage", "sha256_file", "sha256_stream"]


def open_storage(cfg: Settings | None = None) -> Storage:
    """The configured backend: ``storage = "local"`` (objects_dir) or ``"s3"``."""
    cfg = cfg or settings()
    if cfg.storage == "local":
        return LocalStorage(cfg.objects_dir)
    if cfg.storage == "s3":
        return S3Storage(cfg.s3_endpoint, cfg.s3_access_key, cfg.s3_secret_key, cfg.s3_bucket,
                         cfg.s3_secure)
    raise StorageError(f"未知的存储类型“{cfg.storage}”（可选 local 或 s3）")
