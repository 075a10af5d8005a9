"""acceptances record the SHA-256 of the package's manifest (issue 17: ``handover receive`` imports
only a package whose acceptance concluded 合格, found by this hash; acceptances made before this
revision have none and must be made again)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05
"""

from alembic import op
import sqlalchemy as sa


revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("acceptances", schema=None) as batch_op:
        batch_op.add_column(sa.Column("manifest_sha256", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_acceptances_manifest_sha256"), ["manifest_sha256"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("acceptances", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_acceptances_manifest_sha256"))
        batch_op.drop_column("manifest_sha256")
