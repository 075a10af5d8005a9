"""Fixtures of the web tests: a seeded data folder (two enterprises, two communities with
published volumes, one user per role), a fresh copy per test, API clients signed in per role, and
a real uvicorn server on 127.0.0.1 for the browser tests.

On PostgreSQL (HANDOVER_TEST_DATABASE=postgresql, tests/conftest.py) the seed's catalog is a
database of its own, and each test gets a copy of it (CREATE DATABASE … TEMPLATE) beside its copy
of the folder (the object store)."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from archive_store.communities import resolve
from archive_store.publish import publish_volume
from archive_store.tables import AuditRow
from handover import clock, config, idnumber
from handover.config import Settings
from handover.db import engine_for, session_scope
from handover.models import Destination
from handover.registry import add_enterprise
from handover.roster.importer import import_roster
from handover.roster.writer import write_xlsx
from handover.sample import make_batch
from tests.conftest import ON_POSTGRES, new_pg_database, use_database
from tests.support.sample_volume import SamplePerson, write_sample_volume

PASSWORD = "Passw0rd-测试"
PLANTED = "经研究同意该同志办理退休审批手续，档案移交核验完毕。"
JINSHUI = Destination(county="金水区", street="经八路街道", community="纬五路社区")
ERQI = Destination(county="二七区", street="五里堡街道", community="五里堡社区")
PROFILE = "henan-zhengzhou"
ROLES = ("admin", "archivist", "comm_a", "comm_b", "ent_a", "ent_b")


@dataclass
class Seed:
    root: Path  # the data folder of this test
    cfg: Settings
    batch_a: object  # enterprise A (nothing imported yet)
    batch_b: object  # enterprise B (roster imported)
    community_a: int
    community_b: int
    volume_a: int  # 张建国, community A
    volume_b: int  # 王淑芬, community B
    volume_c: int  # 孙立平, community A, checked by the completeness package: incomplete
    person_a: SamplePerson
    person_b: SamplePerson


def _person(name: str, n: int, area: str) -> SamplePerson:
    birth = dt.date(1950 + n, 1 + n % 12, 10 + n)
    return SamplePerson(idnumber.make(area, birth, 2 * n + 1), name, "男", birth, "郑州第一纺织厂")


# The catalog database of each seeded folder made this session: "" for SQLite (a file inside the
# folder, copied with it), else the name of a PostgreSQL database, copied with ``seed_copy``.
_seed_databases: dict[Path, str] = {}


def seed_database(request, root: Path, copy_of: Path | None = None) -> str:
    """The database URL for the seeded folder ``root`` ("" for SQLite): on PostgreSQL a new
    database, empty or a copy of the one of the seeded folder ``copy_of``."""
    if not ON_POSTGRES:
        return ""
    cluster = request.getfixturevalue("pg_cluster")
    name, url = new_pg_database(cluster, template=_seed_databases[copy_of] if copy_of else None)
    _seed_databases[root] = name
    return url


def seed_copy(request, template: Path, root: Path, monkeypatch) -> str:
    """Copy the seeded folder ``template`` to ``root`` (and, on PostgreSQL, its database to a new
    one, dropped after the test); point the settings at the copy. Returns its database URL."""
    shutil.copytree(template / "data", root / "data")
    url = ""
    if ON_POSTGRES:
        cluster = request.getfixturevalue("pg_cluster")
        name, url = new_pg_database(cluster, template=_seed_databases[template])
        request.addfinalizer(lambda: cluster.drop_database(name))
    monkeypatch.setenv("HANDOVER_DATA_DIR", str(root / "data"))
    use_database(monkeypatch, url)
    return url


def _build(root: Path, database_url: str = "") -> dict:
    cfg = Settings(data_dir=root / "data", database_url=database_url, secret_key="test-secret-key-for-web-tests")
    batch_a = make_batch(PROFILE, 12, seed=31)
    batch_b = make_batch(PROFILE, 8, seed=32)
    person_a, person_b = _person("张建国", 1, "410105"), _person("王淑芬", 2, "410103")
    vol_a = write_sample_volume(root / "src" / "a", person_a, seed=1, materials=4, extra_texts={1: PLANTED})
    vol_b = write_sample_volume(root / "src" / "b", person_b, seed=2, materials=3, extra_texts={1: PLANTED})
    pa = publish_volume(cfg, vol_a, JINSHUI, PROFILE, "入库员")
    pb = publish_volume(cfg, vol_b, ERQI, PROFILE, "入库员")
    from completeness.check import check_volume
    from handover.policy import load_profile

    vol_c = write_sample_volume(root / "src" / "c", _person("孙立平", 3, "410105"), seed=3, materials=3, check=None)
    check_volume(vol_c, None, load_profile(PROFILE), probe_images=False)
    pc = publish_volume(cfg, vol_c, JINSHUI, PROFILE, "入库员")
    from web.users import create_user

    with session_scope(cfg) as s:
        ent_a = add_enterprise(s, batch_a.enterprise, PROFILE)
        ent_b = add_enterprise(s, batch_b.enterprise, PROFILE)
        ca, cb = resolve(s, "纬五路社区").id, resolve(s, "五里堡社区").id
        create_user(s, "admin", PASSWORD, "admin", display_name="系统管理员")
        create_user(s, "archivist", PASSWORD, "archive_staff", display_name="李档案")
        create_user(s, "comm_a", PASSWORD, "community_staff", display_name="纬五路社区 刘社工", community_id=ca)
        create_user(s, "comm_b", PASSWORD, "community_staff", display_name="五里堡社区 陈社工", community_id=cb)
        create_user(s, "ent_a", PASSWORD, "enterprise", display_name="周经办", enterprise_id=ent_a.id)
        create_user(s, "ent_b", PASSWORD, "enterprise", display_name="吴经办", enterprise_id=ent_b.id)
    roster_b = write_xlsx(root / "src" / "roster_b.xlsx", batch_b.retirees, batch_b.enterprise)
    with session_scope(cfg) as s:
        report = import_roster(s, roster_b, batch_b.enterprise.name)
        assert report.committed
    engine_for(cfg.db_url).dispose()  # checkpoint the WAL before the folder is copied
    return dict(batch_a=batch_a, batch_b=batch_b, community_a=ca, community_b=cb, volume_a=pa.volume_id,
                volume_b=pb.volume_id, volume_c=pc.volume_id, person_a=person_a, person_b=person_b)


THREE_ADMINS = {"sysadmin": ("sysadmin", "赵系统"), "secadmin": ("secadmin", "钱保密"), "auditor": ("auditor", "孙审计")}


def add_three_admins(cfg: Settings) -> None:
    """The 系统管理员, 安全保密管理员 and 安全审计员 (username = role). Not in the common seed:
    once the three are set up the combined ``admin`` loses its administrator duties
    (web.admin_duties), and the common seed is an installation still run by one ``admin``."""
    from web.users import create_user

    with session_scope(cfg) as s:
        for username, (role, name) in THREE_ADMINS.items():
            create_user(s, username, PASSWORD, role, display_name=name)
    engine_for(cfg.db_url).dispose()


@pytest.fixture(scope="session")
def seed_template(tmp_path_factory, request):
    root = tmp_path_factory.mktemp("web-seed")
    return root, _build(root, seed_database(request, root))


@pytest.fixture
def seed(seed_template, tmp_path, monkeypatch, request) -> Seed:
    template, info = seed_template
    seed_copy(request, template, tmp_path, monkeypatch)
    monkeypatch.setenv("HANDOVER_STORAGE", "local")
    monkeypatch.setenv("HANDOVER_SECRET_KEY", "test-secret-key-for-web-tests")
    config.settings.cache_clear()
    yield Seed(root=tmp_path / "data", cfg=config.settings(), **info)
    from web import background

    background.wait(300)  # a bundle, intake or check started by the test writes its row until it ends: the database must stay
    engine_for(config.settings().db_url).dispose()
    config.settings.cache_clear()


@pytest.fixture
def app(seed):
    from web.app import create_app

    return create_app(seed.cfg, max_upload_bytes=2 * 1024 * 1024)


class Api:
    """A TestClient signed in as one user, sending the CSRF header on every unsafe request."""

    def __init__(self, client: TestClient, csrf: str | None) -> None:
        self.client, self.csrf = client, csrf

    def _h(self, kw):
        headers = dict(kw.pop("headers", None) or {})
        if self.csrf:
            headers.setdefault("X-CSRF-Token", self.csrf)
        return headers

    def get(self, url, **kw):
        return self.client.get(url, **kw)

    def post(self, url, **kw):
        return self.client.post(url, headers=self._h(kw), **kw)

    def put(self, url, **kw):
        return self.client.put(url, headers=self._h(kw), **kw)

    def delete(self, url, **kw):
        return self.client.request("DELETE", url, headers=self._h(kw), **kw)


def sign_in(app, username: str, password: str = PASSWORD) -> Api:
    client = TestClient(app)
    r = client.post("/api/session", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return Api(client, r.json()["csrf_token"])


@pytest.fixture
def as_user(app):
    cache: dict[str, Api] = {}

    def get(username: str) -> Api:
        if username not in cache:
            cache[username] = sign_in(app, username)
        return cache[username]

    return get


@pytest.fixture(scope="session")
def scans(tmp_path_factory) -> list[tuple[str, str, Path]]:
    """Two generated scanned dossiers of two pages each: (ID number, name, folder of JPEG pages)."""
    from ocr.sample_scans import SampleOptions, generate

    small = SampleOptions(materials=("职工登记表", "自传"), blank_backs=False, rotations=False, duplicates=False)
    made = generate(tmp_path_factory.mktemp("scans"), dossiers=2, seed=21, options=small)
    return [(d.truth["id_number"], d.truth["name"], d.path) for d in made]


# ---------------------------------------------------------------- a real server for the browser

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def live_server(seed, tmp_path):
    port = free_port()
    env = dict(os.environ, HANDOVER_DATA_DIR=str(seed.root), HANDOVER_DATABASE_URL=seed.cfg.database_url,
               HANDOVER_STORAGE="local",
               HANDOVER_SECRET_KEY="test-secret-key-for-web-tests", HANDOVER_MAX_UPLOAD_MB="5")
    log = (tmp_path / "server.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "web.app:create_app", "--factory",
                             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
                            cwd=Path(__file__).resolve().parents[2], env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"uvicorn exited early: {(tmp_path / 'server.log').read_text()}")
            try:
                if httpx.get(url + "/login", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("uvicorn did not start")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()


def days_logged(cfg: Settings) -> tuple[dt.date, dt.date]:
    """The first and last office day of the audit log's rows: a date filter's bounds that hold
    whatever the hour the test runs at (clock.today() after the rows were written may already be
    the next day)."""
    with session_scope(cfg) as s:
        days = sorted({clock.local(at).date() for at in s.scalars(select(AuditRow.at))})
    return days[0], days[-1]
