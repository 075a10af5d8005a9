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
from web import background
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
    assert task_id and not background.running()  # queued, nothing runs in the web process

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


TOKENS = {"progress": "1" * 32, "refused": "2" * 32, "crashed": "3" * 32}


def test_the_page_shows_the_workers_progress_and_failure_from_the_result_backend(seed, redis_server):
    """What a worker reports (``update_state`` PROGRESS, a refusal) is written to the result backend;
    the page and the API read it there. The states are stored through the backend, as a worker
    stores them, for rows whose job no worker takes."""
    import uuid

    from handover.clock import utcnow
    from web.tables import UserRow
    from workers.app import app_for

    cfg = replace(seed.cfg, broker=redis_server.url(2))
    backend = app_for(cfg).backend
    with session_scope(seed.cfg) as s:
        user = s.scalar(select(UserRow).where(UserRow.username == "ent_b"))
        ids = {name: str(uuid.uuid4()) for name in ("refused", "crashed", "progress")}  # the newest last
        for name, task_id in ids.items():
            s.add(BundleRow(token=TOKENS[name], enterprise_id=user.enterprise_id, user_id=user.id,
                            status="running", label="排队中", created_at=utcnow(), task_id=task_id))
    backend.store_result(ids["progress"], {"done": 7, "total": 40, "label": "档案移交名册表"}, "PROGRESS")
    backend.store_result(ids["refused"], LookupError("企业“某厂”还没有导入退休人员名册"), "FAILURE")
    backend.store_result(ids["crashed"], RuntimeError("/data/410105195001010011 not found"), "FAILURE")

    ent_b = sign_in(create_app(cfg, bundle_text_pdf=False), "ent_b")
    state = ent_b.get(f"/api/documents/{TOKENS['progress']}").json()
    assert (state["status"], state["done"], state["total"], state["label"]) == ("running", 7, 40, "档案移交名册表")
    assert "正在生成：档案移交名册表（7/40）" in ent_b.get("/documents").text
    refused = ent_b.get(f"/api/documents/{TOKENS['refused']}").json()
    assert refused["status"] == "failed" and "还没有导入退休人员名册" in refused["error"]
    crashed = ent_b.get(f"/api/documents/{TOKENS['crashed']}").json()
    assert crashed["status"] == "failed" and "410105" not in crashed["error"] and "联系管理员" in crashed["error"]
