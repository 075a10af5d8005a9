"""Times are stored as naive UTC on every database (handover.clock), also when the PostgreSQL
server runs in the office's time zone."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import create_engine, text

from handover.clock import utcnow
from handover.config import Settings
from handover.db import EnterpriseRow, session_scope


def test_server_side_defaults_are_utc_on_a_server_in_beijing_time(pg_url, tmp_path):
    admin = create_engine(pg_url)
    with admin.begin() as conn:
        database = conn.execute(text("SELECT current_database()")).scalar_one()
        conn.execute(text(f'ALTER DATABASE "{database}" SET timezone = \'Asia/Shanghai\''))
    admin.dispose()
    cfg = Settings(data_dir=tmp_path, database_url=pg_url)
    with session_scope(cfg) as s:
        s.add(EnterpriseRow(name="郑州第一纺织厂", uscc="91410100MA44XXXX1X", region="henan-zhengzhou",
                            location={}))
    with session_scope(cfg) as s:
        created = s.query(EnterpriseRow).one().created_at
    assert abs(created - utcnow()) < dt.timedelta(hours=1)  # Beijing time would be 8 hours ahead
