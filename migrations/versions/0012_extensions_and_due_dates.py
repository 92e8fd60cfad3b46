"""a tutor's per-person extension of a self-assessment, and due dates of modules

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 14:30:00

Reopening a self-assessment whose window has closed now gives that one participant a new
last day (``assessment.extended_until``), so the reopened draft can be submitted. A module of
a cohort's curriculum may have a due date (``cohort_module.due_on``), which "behind schedule"
uses. Both start empty: existing cohorts keep their behaviour.
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('assessment') as batch:
        batch.add_column(sa.Column('extended_until', sa.Date(), nullable=True))
    with op.batch_alter_table('cohort_module') as batch:
        batch.add_column(sa.Column('due_on', sa.Date(), nullable=True))
        batch.create_check_constraint(op.f('ck_cohort_module_due_after_opening'),
                                      'due_on IS NULL OR opens_on IS NULL OR due_on >= opens_on')


def downgrade():
    with op.batch_alter_table('cohort_module') as batch:
        batch.drop_constraint(op.f('ck_cohort_module_due_after_opening'), type_='check')
        batch.drop_column('due_on')
    with op.batch_alter_table('assessment') as batch:
        batch.drop_column('extended_until')
