"""The programme's name, description and rating scale in Welsh

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 22:40:00

Nullable: no value means English only (the pages mark it so). `flask lms seed` fills them from
the `_cy` keys of seeds/programme.yaml; changing the English through the API clears the Welsh,
which would no longer say the same.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None

COLUMNS = [('name_cy', sa.String(length=255)), ('description_cy', sa.Text()),
           ('scale_labels_cy', sa.JSON())]


def upgrade():
    # Nullable columns without defaults: SQLite adds them in place (no table rebuild).
    for name, kind in COLUMNS:
        op.add_column('programme', sa.Column(name, kind, nullable=True))


def downgrade():
    for name, _kind in reversed(COLUMNS):
        op.drop_column('programme', name)
