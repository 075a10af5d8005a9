"""The throw-away PostgreSQL server the database tests run against (tests/support/pg_cluster.py)."""

from __future__ import annotations

from sqlalchemy import create_engine, text


def test_fresh_database_speaks_utf8_chinese(pg_url):
    engine = create_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (name text)"))
        conn.execute(text("INSERT INTO t VALUES (:n)"), {"n": "张建国·长江路社区"})
        assert conn.execute(text("SELECT name FROM t")).scalar_one() == "张建国·长江路社区"
        assert conn.execute(text("SHOW server_encoding")).scalar_one() == "UTF8"
    engine.dispose()


def test_each_test_gets_an_empty_database(pg_url):
    engine = create_engine(pg_url)
    with engine.connect() as conn:
        tables = conn.execute(text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")).scalar_one()
    engine.dispose()
    assert tables == 0
