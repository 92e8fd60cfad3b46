"""data versions: one row per kind of cached answer, whose token changes with its data

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 10:40:00

"""
import secrets

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table(
        'data_version',
        sa.Column('name', sa.String(length=16), nullable=False),
        sa.Column('token', sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_data_version')),
    )
    op.bulk_insert(table, [{'name': name, 'token': secrets.token_hex(16)}
                           for name in ('framework', 'outcomes', 'progress')])


def downgrade():
    op.drop_table('data_version')
