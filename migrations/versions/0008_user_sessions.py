"""signed-in sessions are rows holding only the hash of their secret

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 19:30:00

The clear-text session token of every account is dropped, so every session and remember
cookie made before ends: everyone signs in once more, and from then on neither the database
nor a backup holds a secret that works as a cookie.
"""
import secrets

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'user_session',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'],
                                name=op.f('fk_user_session_user_id_user_account'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_user_session')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_user_session_token_hash')),
    )
    op.create_index(op.f('ix_user_session_user_id'), 'user_session', ['user_id'])
    with op.batch_alter_table('user_account') as batch:
        batch.drop_constraint(op.f('uq_user_account_session_token'), type_='unique')
        batch.drop_column('session_token')


def downgrade():
    # The old scheme kept one clear token per account: give each a fresh one (everyone
    # signs in again, as on the way up).
    with op.batch_alter_table('user_account') as batch:
        batch.add_column(sa.Column('session_token', sa.String(length=64), nullable=True))
    accounts = sa.table('user_account', sa.column('id', sa.Integer),
                        sa.column('session_token', sa.String))
    connection = op.get_bind()
    for (user_id,) in connection.execute(sa.select(accounts.c.id)).all():
        connection.execute(sa.update(accounts).where(accounts.c.id == user_id)
                           .values(session_token=secrets.token_urlsafe(32)))
    with op.batch_alter_table('user_account') as batch:
        batch.alter_column('session_token', existing_type=sa.String(length=64), nullable=False)
        batch.create_unique_constraint(op.f('uq_user_account_session_token'), ['session_token'])
    op.drop_index(op.f('ix_user_session_user_id'), table_name='user_session')
    op.drop_table('user_session')
