"""releases keep which modules each participant had completed

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 23:00:00

Sponsors' engagement figures (how many finished each module) are counted from a cohort's
latest release, like its outcomes, so that they too change only with a release. A release made
before this revision kept no completions: `keeps_completions` is false for it, and its module
figures read "not in this release" rather than zero.
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('released_completion',
    sa.Column('release_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('module_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['release_id'], ['outcome_release.id'], name=op.f('fk_released_completion_release_id_outcome_release'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('release_id', 'user_id', 'module_id', name=op.f('pk_released_completion'))
    )
    with op.batch_alter_table('outcome_release', schema=None) as batch_op:
        batch_op.add_column(sa.Column('keeps_completions', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('outcome_release', schema=None) as batch_op:
        batch_op.drop_column('keeps_completions')
    op.drop_table('released_completion')
