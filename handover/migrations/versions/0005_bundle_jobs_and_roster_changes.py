"""bundles built by the workers, and out of date after a roster change (issue 20): the Celery task
of a queued bundle and the heartbeat of one built in a web process (``web_bundles``), the time of
an enterprise's last roster change (``enterprises.roster_changed_at``)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("enterprises", schema=None) as batch_op:
        batch_op.add_column(sa.Column("roster_changed_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("web_bundles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("task_id", sa.String(length=64), server_default="", nullable=False))
        batch_op.add_column(sa.Column("heartbeat_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("web_bundles", schema=None) as batch_op:
        batch_op.drop_column("heartbeat_at")
        batch_op.drop_column("task_id")
    with op.batch_alter_table("enterprises", schema=None) as batch_op:
        batch_op.drop_column("roster_changed_at")
