"""PostgreSQL's full-text index is partitioned by community (HASH over 16 partitions)

A search in one community intersected every community's posting lists: EXPLAIN ANALYZE of 退休审批
in one community at 1.2 million pages spent 14 ms of its window in the GIN scan of the whole table
(446 index pages) for 38 heap blocks of hits. With the community as the partition key, a scoped
search scans only the partitions of its communities (archive_store.fts_postgres.match); the scope
lexeme stays in each page's tsvector for the communities sharing a partition.

HASH with a fixed count rather than LIST by community: the partitions exist from this revision on,
so no DDL (and no ACCESS EXCLUSIVE lock on the index) happens when a community is added while
publishers are writing. 16 is measured in ARCHITECTURE.md ("Full-text search on two databases").
The primary key carries community_id because a partitioned table's unique keys must hold its
partition key; page_id leads it, for the lookups by page and the newest-first windows.

SQLite's FTS5 index is unchanged.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

PARTITIONS = 16


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE page_fts RENAME TO page_fts_0007")
    op.execute("ALTER INDEX page_fts_doc RENAME TO page_fts_0007_doc")
    op.execute("ALTER INDEX page_fts_pkey RENAME TO page_fts_0007_pkey")
    op.execute("CREATE TABLE page_fts (page_id bigint NOT NULL, community_id integer NOT NULL, doc tsvector NOT NULL, "
               "PRIMARY KEY (page_id, community_id)) PARTITION BY HASH (community_id)")
    for r in range(PARTITIONS):
        op.execute(f"CREATE TABLE page_fts_p{r:02d} PARTITION OF page_fts "
                   f"FOR VALUES WITH (MODULUS {PARTITIONS}, REMAINDER {r})")
    # The community of each indexed page is its volume's (the one its scope lexeme was made from).
    op.execute("INSERT INTO page_fts (page_id, community_id, doc) "
               "SELECT f.page_id, v.community_id, f.doc FROM page_fts_0007 f "
               "JOIN pages p ON p.id = f.page_id JOIN volumes v ON v.id = p.volume_id")
    # GIN built once over the copied rows: a bulk build, not a pending-list merge per insert.
    op.execute("CREATE INDEX page_fts_doc ON page_fts USING gin (doc)")
    op.execute("DROP TABLE page_fts_0007")
    op.execute("ANALYZE page_fts")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE page_fts RENAME TO page_fts_0008")
    op.execute("CREATE TABLE page_fts_0007 (page_id bigint PRIMARY KEY, doc tsvector NOT NULL)")
    op.execute("INSERT INTO page_fts_0007 SELECT page_id, doc FROM page_fts_0008")
    op.execute("DROP TABLE page_fts_0008")
    op.execute("ALTER TABLE page_fts_0007 RENAME TO page_fts")
    op.execute("ALTER INDEX page_fts_0007_pkey RENAME TO page_fts_pkey")
    op.execute("CREATE INDEX page_fts_doc ON page_fts USING gin (doc)")
