"""xapi deliveries remembered, framework change times

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 16:18:40

What each Learning Record Store has been sent (lms.interop.delivery), and when the stored
framework and each linked framework last changed (CASE's lastChangeDateTime). Frameworks that
exist when this runs are stamped with the time of the migration: the first time the service
can vouch for what they hold.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('xapi_delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lrs', sa.String(length=500), nullable=False),
    sa.Column('statement_id', sa.String(length=36), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=8), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("state IN ('sent', 'stored', 'voided')", name=op.f('ck_xapi_delivery_state')),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohort.id'], name=op.f('fk_xapi_delivery_cohort_id_cohort'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_xapi_delivery')),
    sa.UniqueConstraint('lrs', 'statement_id', name=op.f('uq_xapi_delivery_lrs_statement_id'))
    )
    with op.batch_alter_table('xapi_delivery', schema=None) as batch_op:
        batch_op.create_index('ix_xapi_delivery_lrs_cohort', ['lrs', 'cohort_id'], unique=False)

    with op.batch_alter_table('external_framework', schema=None) as batch_op:
        batch_op.add_column(sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False,
                                      server_default=sa.func.current_timestamp()))

    with op.batch_alter_table('framework', schema=None) as batch_op:
        batch_op.add_column(sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False,
                                      server_default=sa.func.current_timestamp()))



def downgrade():
    with op.batch_alter_table('framework', schema=None) as batch_op:
        batch_op.drop_column('changed_at')

    with op.batch_alter_table('external_framework', schema=None) as batch_op:
        batch_op.drop_column('changed_at')

    with op.batch_alter_table('xapi_delivery', schema=None) as batch_op:
        batch_op.drop_index('ix_xapi_delivery_lrs_cohort')

    op.drop_table('xapi_delivery')
