"""the retirees' list indexes: the 移交去向汇总's counts per place and its page of people in roster
order, in SQL at office scale (issue 20; benchmarks/bench_web.py measured 90–104 → 16–27 ms)

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_retirees_enterprise_place", "retirees",
                    ["enterprise_id", "dest_county", "dest_street", "dest_community", "party_member"])
    op.create_index("ix_retirees_enterprise_roster", "retirees", ["enterprise_id", "import_id", "source_row"])


def downgrade() -> None:
    op.drop_index("ix_retirees_enterprise_roster", table_name="retirees")
    op.drop_index("ix_retirees_enterprise_place", table_name="retirees")
