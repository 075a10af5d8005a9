"""community contacts: the 社区联系人 and 服务电话 of each registered community, printed on its
联系卡 (issue 15: the seed's 公示联系电话)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05
"""

from alembic import op
import sqlalchemy as sa


revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("community_contacts",
                    sa.Column("id", sa.Integer(), nullable=False),
                    sa.Column("county", sa.String(length=64), nullable=False),
                    sa.Column("street", sa.String(length=64), nullable=False),
                    sa.Column("name", sa.String(length=64), nullable=False),
                    sa.Column("liaison", sa.String(length=64), nullable=False),
                    sa.Column("phone", sa.String(length=64), nullable=False),
                    sa.Column("updated_by", sa.String(length=64), nullable=False),
                    sa.Column("updated_at", sa.DateTime(), nullable=False),
                    sa.PrimaryKeyConstraint("id"),
                    sa.UniqueConstraint("county", "street", "name", name="uq_community_contact_place"))


def downgrade() -> None:
    op.drop_table("community_contacts")
