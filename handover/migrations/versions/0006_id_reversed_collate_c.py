"""the ID-suffix column compares bytewise on PostgreSQL whatever the database's collation

``volumes.id_reversed`` is searched by the range ``>= lo AND < lo || chr(127)``
(archive_store.search), which holds only under a bytewise order. A PostgreSQL database created
with a linguistic collation (zh_CN.UTF-8, ICU zh-CN) ignores chr(127), so every ID suffix found
nothing; the column's own collation "C" makes the range and its btree index bytewise everywhere.
SQLite's default (BINARY) is bytewise already.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":  # the index on the column is rebuilt with it
        op.execute('ALTER TABLE volumes ALTER COLUMN id_reversed TYPE VARCHAR(18) COLLATE "C"')


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute('ALTER TABLE volumes ALTER COLUMN id_reversed TYPE VARCHAR(18) COLLATE "default"')
