"""releases keep each participant's figures from others' (360) ratings

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 04:00:00

Sponsors' outcomes from others' ratings (source=others) come from a cohort's latest release,
like its self-ratings, so that they change only with a release, and a release whose change
in them rests on fewer than the minimum is refused.
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('released_feedback',
    sa.Column('release_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('phase', sa.String(length=8), nullable=False),
    sa.Column('behaviour_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['release_id'], ['outcome_release.id'], name=op.f('fk_released_feedback_release_id_outcome_release'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('release_id', 'user_id', 'phase', 'behaviour_id', name=op.f('pk_released_feedback'))
    )


def downgrade():
    op.drop_table('released_feedback')
