"""360-degree feedback: raters, their answers and comments, and e-mail to people without an
account

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 03:00:00

A participant (or their tutor) nominates raters by name and address; each rater answers
through a link of their own, for one phase. The programme says how many of a rater group must
answer before the participant sees that group (3 unless changed, never under 2); a cohort may
give its 360 rounds dates of their own. A message now goes either to a person with an account
or to a rater, never both.
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

OLD_KINDS = ("'invitation', 'password_reset', 'reminder', 'nudge', 'reopen_notice', 'digest', "
             "'cohort_message'")
NEW_KINDS = OLD_KINDS + ", 'feedback_invitation', 'feedback_reminder'"
ROUND_DATES = ("feedback_pre_opens_on", "feedback_pre_closes_on", "feedback_post_opens_on",
               "feedback_post_closes_on")


def upgrade():
    op.create_table('feedback_rater',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=True),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('rater_group', sa.String(length=20), nullable=False),
    sa.Column('phase', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('token_digest', sa.String(length=64), nullable=False),
    sa.Column('nominated_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("phase IN ('pre', 'post')", name=op.f('ck_feedback_rater_phase')),
    sa.CheckConstraint("rater_group IN ('line_manager', 'peer', 'direct_report', 'person_supported', 'other')", name=op.f('ck_feedback_rater_rater_group')),
    sa.CheckConstraint("status IN ('invited', 'draft', 'submitted', 'withdrawn')", name=op.f('ck_feedback_rater_status')),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohort.id'], name=op.f('fk_feedback_rater_cohort_id_cohort'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['nominated_by_id'], ['user_account.id'], name=op.f('fk_feedback_rater_nominated_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['participant_id'], ['user_account.id'], name=op.f('fk_feedback_rater_participant_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_rater')),
    sa.UniqueConstraint('token_digest', name=op.f('uq_feedback_rater_token_digest'))
    )
    with op.batch_alter_table('feedback_rater', schema=None) as batch_op:
        batch_op.create_index('ix_feedback_rater_subject', ['cohort_id', 'participant_id', 'phase'], unique=False)
        batch_op.create_index(batch_op.f('ix_feedback_rater_nominated_by_id'), ['nominated_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_feedback_rater_participant_id'), ['participant_id'], unique=False)

    op.create_table('feedback_answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rater_id', sa.Integer(), nullable=False),
    sa.Column('behaviour_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['behaviour_id'], ['behaviour.id'], name=op.f('fk_feedback_answer_behaviour_id_behaviour'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['rater_id'], ['feedback_rater.id'], name=op.f('fk_feedback_answer_rater_id_feedback_rater'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_answer')),
    sa.UniqueConstraint('rater_id', 'behaviour_id', name=op.f('uq_feedback_answer_rater_id_behaviour_id'))
    )
    with op.batch_alter_table('feedback_answer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feedback_answer_behaviour_id'), ['behaviour_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_feedback_answer_rater_id'), ['rater_id'], unique=False)

    op.create_table('feedback_comment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rater_id', sa.Integer(), nullable=False),
    sa.Column('theme_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['rater_id'], ['feedback_rater.id'], name=op.f('fk_feedback_comment_rater_id_feedback_rater'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['theme_id'], ['theme.id'], name=op.f('fk_feedback_comment_theme_id_theme'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_comment')),
    sa.UniqueConstraint('rater_id', 'theme_id', name=op.f('uq_feedback_comment_rater_id_theme_id'))
    )
    with op.batch_alter_table('feedback_comment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feedback_comment_rater_id'), ['rater_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_feedback_comment_theme_id'), ['theme_id'], unique=False)

    with op.batch_alter_table('programme', schema=None) as batch_op:
        batch_op.add_column(sa.Column('feedback_min_group', sa.Integer(), nullable=False,
                                      server_default='3'))
        batch_op.create_check_constraint(op.f('ck_programme_feedback_min_group'),
                                         'feedback_min_group >= 2')

    with op.batch_alter_table('cohort', schema=None) as batch_op:
        for name in ROUND_DATES:
            batch_op.add_column(sa.Column(name, sa.Date(), nullable=True))
        batch_op.create_check_constraint(op.f('ck_cohort_feedback_pre_window'),
                                         'feedback_pre_closes_on >= feedback_pre_opens_on')
        batch_op.create_check_constraint(op.f('ck_cohort_feedback_post_window'),
                                         'feedback_post_closes_on >= feedback_post_opens_on')

    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.alter_column('user_id', existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column('feedback_rater_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_message_feedback_rater_id'), ['feedback_rater_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_message_feedback_rater_id_feedback_rater'), 'feedback_rater', ['feedback_rater_id'], ['id'], ondelete='CASCADE')
        batch_op.drop_constraint(op.f('ck_message_kind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_message_kind'), f"kind IN ({NEW_KINDS})")
        batch_op.create_check_constraint(op.f('ck_message_one_recipient'),
                                         '(user_id IS NULL) <> (feedback_rater_id IS NULL)')


def downgrade():
    op.execute("DELETE FROM message WHERE feedback_rater_id IS NOT NULL")
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_message_one_recipient'), type_='check')
        batch_op.drop_constraint(op.f('ck_message_kind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_message_kind'), f"kind IN ({OLD_KINDS})")
        batch_op.drop_constraint(op.f('fk_message_feedback_rater_id_feedback_rater'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_message_feedback_rater_id'))
        batch_op.drop_column('feedback_rater_id')
        batch_op.alter_column('user_id', existing_type=sa.Integer(), nullable=False)

    with op.batch_alter_table('cohort', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_cohort_feedback_post_window'), type_='check')
        batch_op.drop_constraint(op.f('ck_cohort_feedback_pre_window'), type_='check')
        for name in reversed(ROUND_DATES):
            batch_op.drop_column(name)

    with op.batch_alter_table('programme', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_programme_feedback_min_group'), type_='check')
        batch_op.drop_column('feedback_min_group')

    with op.batch_alter_table('feedback_comment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedback_comment_theme_id'))
        batch_op.drop_index(batch_op.f('ix_feedback_comment_rater_id'))
    op.drop_table('feedback_comment')
    with op.batch_alter_table('feedback_answer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedback_answer_rater_id'))
        batch_op.drop_index(batch_op.f('ix_feedback_answer_behaviour_id'))
    op.drop_table('feedback_answer')
    with op.batch_alter_table('feedback_rater', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedback_rater_participant_id'))
        batch_op.drop_index(batch_op.f('ix_feedback_rater_nominated_by_id'))
        batch_op.drop_index('ix_feedback_rater_subject')
    op.drop_table('feedback_rater')
