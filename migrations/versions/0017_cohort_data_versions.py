"""data versions per cohort

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 05:00:00

A submission, an enrolment or a release in one cohort now moves that cohort's own token, and
an answer about other cohorts stays cached (lms.core.data_version). Tokens are kept by cohort
id without a foreign key, so that they outlive a deleted cohort whose id could come back.
"""
import secrets

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

PER_COHORT = ("outcomes", "progress", "released", "feedback")


def upgrade():
    op.create_table('cohort_data_version',
    sa.Column('cohort_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('name', sa.String(length=16), nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('cohort_id', 'name', name=op.f('pk_cohort_data_version'))
    )
    # The unscoped tokens start now, so that answers are cached from the first request
    # (unless a change already wrote one).
    for name in PER_COHORT:
        op.execute(sa.text(
            "INSERT INTO data_version (name, token) SELECT :name, :token "
            "WHERE NOT EXISTS (SELECT 1 FROM data_version WHERE name = :name)")
            .bindparams(name=f"{name}/g", token=secrets.token_hex(16)))


def downgrade():
    op.execute("DELETE FROM data_version WHERE name LIKE '%/g'")
    op.drop_table('cohort_data_version')
