"""A server database (PostgreSQL) as the catalog: a dossier's steps go to the queue every worker
takes, so the machine that OCRs the pages also publishes, writing the catalog directly; and the
档号 of one community stay gap-free with publishers and workers writing at once."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from archive_store.audit import AuditFilter, entries
from archive_store.audit_chain import check_chain
from archive_store.tables import PUBLISHED, CommunityRow, VolumeRow
from archive_store.verify import verify
from handover import idnumber
from handover.config import Settings
from handover.db import init_db
from tests.support.sample_volume import SamplePerson, write_sample_volume
from workers.app import PAGES_QUEUE, QUEUE, dossier_queue, make_app
from workers.progress import reading

from .conftest import PLACE, REGION, make_batch, new_cluster, wait_for

REPO = Path(__file__).resolve().parents[2]
DESTINATION = dict(zip(("county", "street", "community"), PLACE))

PUBLISHER = """
import sys
from pathlib import Path
from archive_store.publish import publish_volume
from handover.models import Destination
destination = Destination(county=sys.argv[1], street=sys.argv[2], community=sys.argv[3])
for folder in sys.argv[4:]:
    result = publish_volume(None, Path(folder), destination, "henan-zhengzhou", "publisher")
    print(result.ref_no, int(result.created))
"""


def test_a_dossiers_steps_go_where_the_catalog_is_reachable():
    routes = {Settings(broker="redis://127.0.0.1:1/0"): QUEUE,
              Settings(broker="redis://127.0.0.1:1/0", database_url="postgresql+psycopg://db/handover"): PAGES_QUEUE}
    for cfg, queue in routes.items():
        assert dossier_queue(cfg) == queue
        conf = make_app(cfg).conf
        for task in ("handover.digitize_dossier", "handover.finish_dossier", "handover.dossier_failed"):
            assert conf.task_routes[task] == {"queue": queue}
        assert conf.task_routes["handover.ocr_page"] == {"queue": PAGES_QUEUE}
        assert conf.task_default_queue == QUEUE  # jobs that name a local path stay on the catalog machine


def _volumes(root: Path, first: int, count: int) -> list[Path]:
    out = []
    for n in range(first, first + count):
        birth = dt.date(1940 + n % 20, 1 + n % 12, 1 + n % 28)
        person = SamplePerson(idnumber.make("410105", birth, 2 * n + 1), f"样本{n}", "男", birth, "郑州第一纺织厂")
        out.append(write_sample_volume(root / f"v{n}", person, seed=n, materials=2))
    return out


@pytest.mark.slow
def test_publishers_and_workers_on_two_queues_number_one_community_without_gaps(
        redis_server, scans, tmp_path_factory, pg_url):
    """Two publisher processes, a worker on the catalog queue publishing folders and a worker on
    the page queue digitizing a batch — all into one community of a PostgreSQL catalog."""
    cluster = new_cluster(redis_server, tmp_path_factory, database_url=pg_url)
    init_db(cluster.cfg)  # the schema exists before the processes start (create_all is not race-safe)
    try:
        good = scans[:4]
        batch = make_batch(cluster.root, good)
        cluster.start("catalog", queues=QUEUE)
        cluster.start("pages", queues=PAGES_QUEUE)
        cluster.run("ingest", str(batch), "--profile", REGION)

        def published() -> int:
            with reading(cluster.cfg) as s:
                return s.scalar(select(func.count()).select_from(VolumeRow).where(VolumeRow.status == PUBLISHED))
        # Start the others once the page worker publishes, so that their writes meet its own.
        wait_for(published, 360, "the first digitized dossier to be published", interval=0.5)
        folders = _volumes(cluster.root / "folders", 100, 12)
        env = {**os.environ, **cluster.env, "PYTHONPATH": str(REPO)}
        publishers = [subprocess.Popen([sys.executable, "-c", PUBLISHER, *PLACE, *map(str, part)], cwd=REPO,
                                       env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                      for part in (folders[0:4], folders[4:8])]
        sender = make_app(cluster.cfg)
        tasks = [sender.send_task("handover.publish_volume", args=[str(f), DESTINATION, REGION, "worker"], queue=QUEUE)
                 for f in folders[8:12]]
        for proc in publishers:
            out, err = proc.communicate(timeout=300)
            assert proc.returncode == 0, err
            assert len(out.split()) == 8  # four "ref_no created" lines
        assert all(t.get(timeout=300)["created"] for t in tasks)
        final = cluster.wait_batch_done(timeout=420)
        assert (final["published"], final["quarantined"]) == (len(good), 0)

        with reading(cluster.cfg) as s:
            vols = list(s.scalars(select(VolumeRow)))
            community = s.scalar(select(CommunityRow).where(CommunityRow.name == PLACE[2]))
            publish_rows = [e.target for e in entries(s, AuditFilter(action="publish"))]
            assert check_chain(s).ok
        assert {v.community_id for v in vols} == {community.id}
        assert all(v.status == PUBLISHED for v in vols)
        assert sorted(v.volume_no for v in vols) == list(range(1, len(good) + 12 + 1))  # gap-free, none lost
        assert len({v.id_number for v in vols}) == len(vols)  # no person twice
        assert sorted(publish_rows) == sorted(v.ref_no for v in vols)  # one publishing transaction each
        assert {s.id_number for s in good} <= {v.id_number for v in vols}
        assert verify(cluster.cfg).ok
        # The page worker finished (and published) the dossiers itself; the catalog worker published
        # the folders sent to its queue.
        ran = {name: set(re.findall(r"Task (handover\.\w+)\[[^]]+\] succeeded", w.log()))
               for name, w in cluster.workers.items()}
        assert ran["pages"] == {"handover.digitize_dossier", "handover.ocr_page", "handover.finish_dossier"}
        assert ran["catalog"] == {"handover.publish_volume"}
    finally:
        cluster.stop()
