"""the erasure register: ids and keyed address hashes of erased people

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 20:00:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    # People erased before this revision are not listed (their address is gone, so it
    # cannot be hashed); their ids are, from the anonymised accounts they left.
    op.create_table(
        'erased_person',
        sa.Column('user_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('address_key', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('user_id', name=op.f('pk_erased_person')),
    )
    op.create_index(op.f('ix_erased_person_address_key'), 'erased_person', ['address_key'])
    op.execute("INSERT INTO erased_person (user_id, address_key) "
               "SELECT id, '' FROM user_account WHERE email LIKE 'erased-%@erased.invalid'")


def downgrade():
    op.drop_index(op.f('ix_erased_person_address_key'), table_name='erased_person')
    op.drop_table('erased_person')
