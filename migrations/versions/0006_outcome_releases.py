"""outcome releases: frozen copies of a cohort's answers and participants' groups, from
which every figure sponsors and participants see is built

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 04:56:47

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('outcome_release',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('flow', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohort.id'], name=op.f('fk_outcome_release_cohort_id_cohort'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_outcome_release_created_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outcome_release')),
    sa.UniqueConstraint('cohort_id', 'number', name=op.f('uq_outcome_release_cohort_id_number'))
    )
    with op.batch_alter_table('outcome_release', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outcome_release_cohort_id'), ['cohort_id'], unique=False)

    op.create_table('released_answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('release_id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('phase', sa.String(length=8), nullable=False),
    sa.Column('behaviour_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['behaviour_id'], ['behaviour.id'], name=op.f('fk_released_answer_behaviour_id_behaviour'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['release_id'], ['outcome_release.id'], name=op.f('fk_released_answer_release_id_outcome_release'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_released_answer'))
    )
    with op.batch_alter_table('released_answer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_released_answer_release_id'), ['release_id'], unique=False)

    op.create_table('released_person',
    sa.Column('release_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('leadership_level', sa.String(length=32), nullable=True),
    sa.Column('organisation_type', sa.String(length=32), nullable=True),
    sa.Column('sector', sa.String(length=16), nullable=True),
    sa.ForeignKeyConstraint(['release_id'], ['outcome_release.id'], name=op.f('fk_released_person_release_id_outcome_release'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('release_id', 'user_id', name=op.f('pk_released_person'))
    )


def downgrade():
    op.drop_table('released_person')
    with op.batch_alter_table('released_answer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_released_answer_release_id'))

    op.drop_table('released_answer')
    with op.batch_alter_table('outcome_release', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outcome_release_cohort_id'))

    op.drop_table('outcome_release')
