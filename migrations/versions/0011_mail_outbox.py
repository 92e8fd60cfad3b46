"""e-mail outbox, cohort messages, people's mail preferences, reminder days

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 08:05:37

Every e-mail is a row of `message`, written in the transaction that decided it and handed to
the job queue once that commits. People gain their e-mail preferences (reminders on, the
weekly digest off, English) and programmes the days before a window closes on which
reminders go (7 and 2).
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('cohort_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('audience', sa.String(length=32), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], name=op.f('fk_cohort_message_author_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohort.id'], name=op.f('fk_cohort_message_cohort_id_cohort'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cohort_message'))
    )
    with op.batch_alter_table('cohort_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cohort_message_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cohort_message_cohort_id'), ['cohort_id'], unique=False)

    op.create_table('message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('to_address', sa.String(length=320), nullable=False),
    sa.Column('context', sa.JSON(), nullable=False),
    sa.Column('cohort_message_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.CheckConstraint("kind IN ('invitation', 'password_reset', 'reminder', 'nudge', 'reopen_notice', 'digest', 'cohort_message')", name=op.f('ck_message_kind')),
    sa.CheckConstraint("status IN ('queued', 'sending', 'sent', 'failed', 'cancelled')", name=op.f('ck_message_status')),
    sa.ForeignKeyConstraint(['cohort_message_id'], ['cohort_message.id'], name=op.f('fk_message_cohort_message_id_cohort_message'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_message_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message')),
    sa.UniqueConstraint('key', name=op.f('uq_message_key'))
    )
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_message_cohort_message_id'), ['cohort_message_id'], unique=False)
        batch_op.create_index('ix_message_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_message_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('programme', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reminder_days', sa.JSON(), server_default=sa.text("'[7, 2]'"), nullable=False))

    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_reminders', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('weekly_digest', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('language', sa.String(length=2), server_default='en', nullable=False))
        batch_op.create_check_constraint(op.f('ck_user_account_language'),
                                         "language IN ('en', 'cy')")



def downgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_user_account_language'), type_='check')
        batch_op.drop_column('language')
        batch_op.drop_column('weekly_digest')
        batch_op.drop_column('email_reminders')

    with op.batch_alter_table('programme', schema=None) as batch_op:
        batch_op.drop_column('reminder_days')

    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_message_user_id'))
        batch_op.drop_index('ix_message_due')
        batch_op.drop_index(batch_op.f('ix_message_cohort_message_id'))

    op.drop_table('message')
    with op.batch_alter_table('cohort_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cohort_message_cohort_id'))
        batch_op.drop_index(batch_op.f('ix_cohort_message_author_id'))

    op.drop_table('cohort_message')
