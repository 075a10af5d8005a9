"""With workers configured (a broker), the enterprise's bundle is built by a real Celery worker,
not by the web process, and its outcome reaches the page even through a web restart."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from sqlalchemy import select

from handover.config import to_env
from handover.db import session_scope
from tests.support.local_cluster import RedisServer, WorkerProcess
from web import bundles
from web.app import create_app
from web.tables import BundleRow

from .conftest import sign_in
from .test_documents import wait_done


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture
def worker(seed, redis_server, tmp_path):
    """One worker on the catalog queue, with the web app's settings (database, data folder)."""
    cfg = replace(seed.cfg, broker=redis_server.url(1))
    proc = WorkerProcess("bundles", to_env(cfg), tmp_path / "worker.log", queues="handover").start()
    try:
        proc.wait_ready()
        yield cfg, proc
    finally:
        proc.stop()


def test_the_bundle_is_built_by_a_worker_and_its_outcome_survives_a_web_restart(seed, worker):
    cfg, proc = worker
    app = create_app(cfg, bundle_text_pdf=False)
    ent_b = sign_in(app, "ent_b")
    r = ent_b.post("/api/documents")
    assert r.status_code == 202 and r.json()["status"] == "running"
    token = r.json()["token"]
    with session_scope(seed.cfg) as s:
        task_id = s.scalar(select(BundleRow.task_id).where(BundleRow.token == token))
    assert task_id and not bundles._threads  # queued, nothing runs in the web process

    # The web process restarts: a new app reads the job's state from the workers' result backend.
    restarted = sign_in(create_app(cfg, bundle_text_pdf=False), "ent_b")
    state = wait_done(restarted, token)
    assert state["status"] == "done" and state["stale"] is False, state
    types = {d["type"] for d in state["documents"]}
    assert {"transfer_agreement", "community_roster", "archive_transfer_roster"} <= types
    assert restarted.get(f"/documents/{token}/bundle.zip").status_code == 200
    assert re.search(rf"Task handover\.generate_bundle\[{task_id}\] succeeded", proc.log())
    html = restarted.get("/documents").text
    assert "下载全部（zip）" in html and "正在生成" not in html
