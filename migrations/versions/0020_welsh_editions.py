"""Welsh editions of the modules and a Welsh translation of the framework

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 19:40:00

Each column is nullable: no value means the text exists in English only, and the pages show
the English marked as such. `flask lms seed` fills them from modules/cy/ and
seeds/framework.cy.yaml.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

COLUMNS = {
    'module': [('title_cy', sa.String(length=255)), ('summary_cy', sa.Text()),
               ('introduction_html_cy', sa.Text())],
    'activity': [('title_cy', sa.String(length=255)), ('text_html_cy', sa.Text())],
    'theme': [('title_cy', sa.String(length=255)), ('tagline_cy', sa.String(length=255))],
    'behaviour': [('statement_cy', sa.Text())],
}


def upgrade():
    # Nullable columns without defaults: SQLite adds them in place (no table rebuild, which
    # the foreign keys would refuse).
    for table, columns in COLUMNS.items():
        for name, kind in columns:
            op.add_column(table, sa.Column(name, kind, nullable=True))


def downgrade():
    for table, columns in COLUMNS.items():
        for name, _kind in reversed(columns):
            op.drop_column(table, name)
