"""a tutor's feedback on a participant's reflection or evidence

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 15:00:00

Tutors comment on what a participant wrote for an activity; the participant reads the
comments on the module page. A comment goes with the activity record (erasing the
participant deletes it); erasing its author leaves it for the participant, without them.
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('activity_feedback',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], name=op.f('fk_activity_feedback_author_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['record_id'], ['activity_record.id'], name=op.f('fk_activity_feedback_record_id_activity_record'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activity_feedback'))
    )
    with op.batch_alter_table('activity_feedback', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_activity_feedback_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_activity_feedback_record_id'), ['record_id'], unique=False)


def downgrade():
    with op.batch_alter_table('activity_feedback', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_activity_feedback_record_id'))
        batch_op.drop_index(batch_op.f('ix_activity_feedback_author_id'))
    op.drop_table('activity_feedback')
