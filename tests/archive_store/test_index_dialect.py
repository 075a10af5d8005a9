"""A database with no index backend gets a plain answer from search and indexing, not a SQL error.

SQLAlchemy's mock engine gives a real MySQL dialect without a server, which is all the check looks
at (nothing is executed).
"""

from __future__ import annotations

import pytest
from sqlalchemy import create_mock_engine
from sqlalchemy.orm import Session

from archive_store.index import IndexUnsupported, index_pages
from archive_store.search import search


def test_search_and_indexing_name_the_supported_databases():
    engine = create_mock_engine("mysql://", lambda *a, **k: pytest.fail("nothing may be executed"))
    with Session(bind=engine) as session:
        with pytest.raises(IndexUnsupported, match="SQLite 和 PostgreSQL"):
            search(session, "张三", None)
        with pytest.raises(IndexUnsupported, match="SQLite 和 PostgreSQL"):
            index_pages(session, [(1, "职工登记表", 1)])
