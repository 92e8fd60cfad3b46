"""The language a 360 rater is written to in

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 22:20:00

A rater has no account, so the person who asks them says which language their invitation,
reminders and page are in (the Welsh Language Standards: the language of correspondence is
asked and recorded). Raters asked before this migration were written to in English.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('feedback_rater', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=2), server_default='en',
                                      nullable=False))
        batch_op.create_check_constraint(op.f('ck_feedback_rater_language'),
                                         "language IN ('en', 'cy')")


def downgrade():
    with op.batch_alter_table('feedback_rater', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_feedback_rater_language'), type_='check')
        batch_op.drop_column('language')
