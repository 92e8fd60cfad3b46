"""outcome tallies kept ready

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 05:30:54

Each cohort's outcome counts, kept up to date as answers are submitted, reopened or imported
(lms.outcomes.kept), and whether they are current. Cohorts that exist when this runs have no
state row, so they count as stale: reports count them from the ratings, as before, until
`flask lms rebuild-tallies` (or the worker's rebuild job) keeps them.
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('outcome_tally',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('variant', sa.String(length=24), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('unit', sa.String(length=255), nullable=False),
    sa.Column('phase', sa.String(length=8), nullable=False),
    sa.Column('k1', sa.BigInteger(), nullable=False),
    sa.Column('k2', sa.BigInteger(), nullable=False),
    sa.Column('k3', sa.BigInteger(), nullable=False),
    sa.Column('k4', sa.BigInteger(), nullable=False),
    sa.Column('s1', sa.BigInteger(), nullable=False),
    sa.Column('s2', sa.BigInteger(), nullable=False),
    sa.Column('s3', sa.BigInteger(), nullable=False),
    sa.Column('n', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohort.id'], name=op.f('fk_outcome_tally_cohort_id_cohort'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outcome_tally')),
    sa.UniqueConstraint('variant', 'cohort_id', 'kind', 'unit', 'phase', 'k1', 'k2', 'k3', 'k4', name=op.f('uq_outcome_tally_variant_cohort_id_kind_unit_phase_k1_k2_k3_k4'))
    )
    with op.batch_alter_table('outcome_tally', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outcome_tally_cohort_id'), ['cohort_id'], unique=False)

    op.create_table('outcome_tally_state',
    sa.Column('cohort_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('fresh', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohort.id'], name=op.f('fk_outcome_tally_state_cohort_id_cohort'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('cohort_id', name=op.f('pk_outcome_tally_state'))
    )


def downgrade():
    op.drop_table('outcome_tally_state')
    with op.batch_alter_table('outcome_tally', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outcome_tally_cohort_id'))

    op.drop_table('outcome_tally')
