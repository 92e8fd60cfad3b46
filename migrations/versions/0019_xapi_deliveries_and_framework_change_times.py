"""xapi deliveries remembered, framework change times

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 16:18:40

What each Learning Record Store has been sent (lms.interop.delivery), and when the stored
framework and each linked framework last changed (CASE's lastChangeDateTime). Frameworks that
exist when this runs are stamped with the time of the migration: the first time the service
can vouch for what they hold.
"""
import datetime as dt

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

    # A constant default lets SQLite add the column in place (a non-constant one makes Alembic
    # rebuild the table, which the themes' foreign keys refuse); the rows then get the time of
    # the migration, set by hand.
    now = dt.datetime.now(dt.UTC)
    for name in ('external_framework', 'framework'):
        op.add_column(name, sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False,
                                      server_default='2000-01-01 00:00:00'))
        table = sa.table(name, sa.column('changed_at', sa.DateTime(timezone=True)))
        stamp = now.replace(tzinfo=None) if op.get_bind().dialect.name == 'sqlite' else now
        op.execute(table.update().values(changed_at=stamp))


def downgrade():
    # SQLite (3.35 and later) drops a column in place; a rebuild would trip the foreign keys.
    op.drop_column('framework', 'changed_at')
    op.drop_column('external_framework', 'changed_at')

    with op.batch_alter_table('xapi_delivery', schema=None) as batch_op:
        batch_op.drop_index('ix_xapi_delivery_lrs_cohort')

    op.drop_table('xapi_delivery')
