"""``handover db copy --to URL``: an SQLite archive with published volumes copied into the real
PostgreSQL server (and into another SQLite file), verified table by table, ids and 档号 counters
kept, sequences continuing after the copied ids."""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from archive_store import audit
from archive_store.audit_chain import check_chain
from archive_store.publish import publish_volume
from archive_store.search import search
from archive_store.index import unindex_pages
from archive_store.tables import CounterRow, PageRow, PageTextRow, VolumeRow
from archive_store.transactions import next_volume_no
from handover import config, idnumber
from handover.db import EnterpriseRow, engine_for, init_db, session_scope
from handover_app.cli import main
from handover_app.db_copy import compare_searches, sample_queries, table_digest, tables
from tests.archive_store.helpers import ERQI, JINSHUI
from tests.support.sample_volume import SamplePerson, write_sample_volume


@pytest.fixture
def archive(data_dir, tmp_path, monkeypatch):
    """The embedded SQLite archive of a small office: three volumes published in two communities."""
    monkeypatch.setenv("HANDOVER_STORAGE", "local")
    monkeypatch.setenv("COLUMNS", "400")
    config.settings.cache_clear()
    cfg = config.settings()
    people = [("张建国", JINSHUI), ("李秀英", JINSHUI), ("王淑珍", ERQI)]
    for n, (name, dest) in enumerate(people, 1):
        birth = dt.date(1950 + n, n, 10 + n)
        person = SamplePerson(idnumber.make("410105", birth, 2 * n + 1), name, "女", birth)
        folder = write_sample_volume(tmp_path / f"vol{n}", person, seed=n)
        publish_volume(cfg, folder, dest, "henan-zhengzhou", "测试员")
    with session_scope(cfg) as s:
        s.add(EnterpriseRow(name="郑州第一纺织厂", uscc="91410100MA40000001", region="henan-zhengzhou",
                            location={"county": "金水区", "详细地址": "纬五路 1 号"}))
        audit.record(s, "测试员", "export_catalog", "金水区/经八路街道/纬五路社区", "")
    yield cfg
    engine_for(cfg.db_url).dispose()


def _copy(url: str):
    return CliRunner().invoke(main, ["db", "copy", "--to", url, "--batch", "2"])  # several batches per table


def test_an_sqlite_archive_is_copied_into_postgresql_and_verified(archive, pg_url):
    result = _copy(pg_url)
    assert result.exit_code == 0, result.output
    assert "复制完成并已核对" in result.output and "档号计数器 2 个社区一致" in result.output
    assert "全文索引已在目标上重建：3 卷" in result.output
    assert "检索核对一致" in result.output

    source, target = init_db(archive), engine_for(pg_url)
    with source.connect() as src, target.connect() as dst:
        for table in tables():
            assert table_digest(src, table) == table_digest(dst, table), table.name
        assert dst.execute(select(VolumeRow.ref_no).order_by(VolumeRow.id)).scalars().all() == \
            src.execute(select(VolumeRow.ref_no).order_by(VolumeRow.id)).scalars().all()
    # The target goes on where the source stopped: new ids after the copied ones, the next 档号 of
    # each community, the audit chain continued.
    with Session(target) as s, s.begin():
        s.add(EnterpriseRow(name="郑州第二砂轮厂", uscc="91410100MA40000002", region="henan-zhengzhou",
                            location={}))
        s.flush()
        assert s.scalar(select(EnterpriseRow.id).where(EnterpriseRow.uscc.endswith("02"))) == 2
        jinshui = s.scalar(select(VolumeRow.community_id).where(VolumeRow.name == "张建国"))
        assert next_volume_no(s, jinshui) == 3
        audit.record(s, "测试员", "login", "测试员", "")
    with Session(target) as s:
        report = check_chain(s)
        assert report.ok and report.rows == report.last_seq
    target.dispose()


def test_a_difference_in_one_value_changes_the_table_digest(archive, pg_url):
    """What the verification rests on: the digest sees a single changed value on the other kind."""
    assert _copy(pg_url).exit_code == 0
    target = engine_for(pg_url)
    volumes = next(t for t in tables() if t.name == "volumes")
    with init_db(archive).connect() as src, target.begin() as dst:
        before = table_digest(dst, volumes)
        assert before == table_digest(src, volumes)
        dst.execute(text("UPDATE volumes SET name = '张建图' WHERE name = '张建国'"))
        assert table_digest(dst, volumes)[0] == before[0] and table_digest(dst, volumes)[1] != before[1]
    target.dispose()


def test_a_target_that_holds_data_is_refused(archive, pg_url):
    assert _copy(pg_url).exit_code == 0
    again = _copy(pg_url)
    assert again.exit_code == 5 and isinstance(again.exception, SystemExit)
    assert "目标数据库已有数据" in again.output
    with engine_for(pg_url).connect() as conn:  # nothing copied twice
        assert conn.execute(select(CounterRow.next_volume_no).order_by(CounterRow.community_id)).scalars().all() == [3, 2]
    engine_for(pg_url).dispose()


def test_a_copy_into_sqlite_rebuilds_the_full_text_index(archive, tmp_path):
    url = f"sqlite:///{tmp_path / 'moved.sqlite3'}"
    result = _copy(url)
    assert result.exit_code == 0, result.output
    assert "全文索引已在目标上重建：3 卷" in result.output
    with session_scope(archive) as s:
        wanted = [(h.ref_no, h.page_seq, h.snippet) for h in search(s, "纺织", None)]
    with Session(engine_for(url)) as s:
        assert [(h.ref_no, h.page_seq, h.snippet) for h in search(s, "纺织", None)] == wanted and wanted
    engine_for(url).dispose()


def test_the_search_check_sees_a_page_missing_from_the_targets_index(archive, pg_url):
    """The copy is verified by searching both archives for names, ID suffixes and words of the pages;
    a page the target's index lost is a difference, and comparing writes no audit row on either."""
    assert _copy(pg_url).exit_code == 0
    source, target = init_db(archive), engine_for(pg_url)
    queries = sample_queries(source)
    assert "张建国" in queries and any(len(q) == 4 and q.isdigit() for q in queries)
    with source.connect() as conn:
        audit_rows = conn.execute(text("SELECT count(*) FROM audit_log")).scalar()
    assert compare_searches(source, target, queries) == []
    with source.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_log")).scalar() == audit_rows
    word = next(q for q in queries if len(q) == 4 and not q.isdigit())  # a phrase of a page
    with Session(target) as s, s.begin():
        page = s.execute(select(PageRow.id, PageTextRow.text, VolumeRow.community_id)
                         .join(PageTextRow, PageTextRow.page_id == PageRow.id)
                         .join(VolumeRow, VolumeRow.id == PageRow.volume_id)
                         .where(PageTextRow.text.contains(word))).first()
        unindex_pages(s, [tuple(page)])
    assert word in compare_searches(source, target, queries)
    target.dispose()
