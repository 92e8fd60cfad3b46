"""outcome releases keep the one breakdown plan every level of their figures follows

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 14:10:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    # NULL for releases made before: their plan is worked out when first asked.
    with op.batch_alter_table('outcome_release') as batch:
        batch.add_column(sa.Column('plan', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('outcome_release') as batch:
        batch.drop_column('plan')
