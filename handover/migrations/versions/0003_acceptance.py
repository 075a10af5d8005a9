"""the acceptance (验收) of received DA/T 31 packages: the acceptance with its 四性检测 and sample,
and the manual inspection marks per sampled volume (issue 17)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05
"""

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('acceptances',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('package', sa.String(length=255), nullable=False),
    sa.Column('vendor', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('volumes', sa.Integer(), nullable=False),
    sa.Column('images', sa.Integer(), nullable=False),
    sa.Column('checks_passed', sa.Boolean(), nullable=True),
    sa.Column('checks', sa.JSON(), nullable=True),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('seed', sa.String(length=64), nullable=False),
    sa.Column('share', sa.Float(), nullable=False),
    sa.Column('population', sa.Integer(), nullable=False),
    sa.Column('sample', sa.JSON(), nullable=False),
    sa.Column('started_by', sa.String(length=64), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('conclusion', sa.String(length=8), nullable=True),
    sa.Column('problems', sa.Text(), nullable=False),
    sa.Column('concluded_by', sa.String(length=64), nullable=True),
    sa.Column('concluded_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('acceptances', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_acceptances_package'), ['package'], unique=False)

    op.create_table('acceptance_marks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('acceptance_id', sa.Integer(), nullable=False),
    sa.Column('ref_no', sa.String(length=80), nullable=False),
    sa.Column('item', sa.String(length=32), nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=False),
    sa.Column('remark', sa.Text(), nullable=False),
    sa.Column('marked_by', sa.String(length=64), nullable=False),
    sa.Column('marked_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['acceptance_id'], ['acceptances.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('acceptance_id', 'ref_no', 'item', name='uq_acceptance_marks_item')
    )
    with op.batch_alter_table('acceptance_marks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_acceptance_marks_acceptance_id'), ['acceptance_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('acceptance_marks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_acceptance_marks_acceptance_id'))

    op.drop_table('acceptance_marks')
    with op.batch_alter_table('acceptances', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_acceptances_package'))

    op.drop_table('acceptances')
