"""work on activities belongs to the cohort it was done in

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 20:30:00

An activity record (done or not, its reflection or evidence, its note versions) now names
its cohort, and only that cohort's tutors see it. Existing records are given the cohort they
were done in: of the person's participant enrolments in a cohort that follows the module, the
one whose dates hold the record's last change, else the latest that had started by then,
else the earliest. A record of someone with no such enrolment keeps no cohort: no tutor sees
it; the person still does, in their data export.
"""
import datetime as dt

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

record = sa.table('activity_record', sa.column('id', sa.Integer),
                  sa.column('user_id', sa.Integer), sa.column('activity_id', sa.Integer),
                  sa.column('cohort_id', sa.Integer),
                  sa.column('completed_at', sa.DateTime(timezone=True)),
                  sa.column('updated_at', sa.DateTime(timezone=True)))
enrolment = sa.table('enrolment', sa.column('user_id', sa.Integer),
                     sa.column('cohort_id', sa.Integer), sa.column('role', sa.String))
cohort = sa.table('cohort', sa.column('id', sa.Integer), sa.column('starts_on', sa.Date),
                  sa.column('ends_on', sa.Date))
cohort_module = sa.table('cohort_module', sa.column('cohort_id', sa.Integer),
                         sa.column('module_id', sa.Integer))
activity = sa.table('activity', sa.column('id', sa.Integer), sa.column('module_id', sa.Integer))


def upgrade():
    with op.batch_alter_table('activity_record') as batch:
        batch.add_column(sa.Column('cohort_id', sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f('fk_activity_record_cohort_id_cohort'), 'cohort',
                                 ['cohort_id'], ['id'], ondelete='SET NULL')
        batch.drop_constraint('uq_activity_record_user_id_activity_id', type_='unique')
        batch.create_unique_constraint(
            op.f('uq_activity_record_user_id_cohort_id_activity_id'),
            ['user_id', 'cohort_id', 'activity_id'])
        batch.create_index(op.f('ix_activity_record_cohort_id'), ['cohort_id'])
    assign_cohorts(op.get_bind())


def as_date(value):
    """A stored timestamp (text on SQLite) as a date."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.date()


def assign_cohorts(connection):
    """Give every record the cohort it was done in (see the module's docstring)."""
    cohorts = {row.id: row for row in connection.execute(sa.select(cohort))}
    chosen = {}
    for row in connection.execute(sa.select(cohort_module)):
        chosen.setdefault(row.cohort_id, set()).add(row.module_id)
    module_of = dict(connection.execute(sa.select(activity.c.id, activity.c.module_id)).all())
    enrolled = {}
    for row in connection.execute(sa.select(enrolment).where(enrolment.c.role == 'participant')):
        enrolled.setdefault(row.user_id, []).append(cohorts[row.cohort_id])
    updates = []
    for entry in connection.execute(sa.select(record)):
        module_id = module_of[entry.activity_id]
        candidates = sorted((c for c in enrolled.get(entry.user_id, [])
                             if c.id not in chosen or module_id in chosen[c.id]),
                            key=lambda c: (c.starts_on, c.id))
        if not candidates:
            continue
        when = as_date(entry.completed_at or entry.updated_at)
        during = [c for c in candidates if c.starts_on <= when <= c.ends_on]
        started = [c for c in candidates if c.starts_on <= when]
        home = during[-1] if during else started[-1] if started else candidates[0]
        updates.append({'record_id': entry.id, 'home': home.id})
    if updates:
        connection.execute(sa.update(record).where(record.c.id == sa.bindparam('record_id'))
                           .values(cohort_id=sa.bindparam('home')), updates)


def downgrade():
    # One record per person and activity again: where work was done in several cohorts,
    # the most recently changed record is kept.
    connection = op.get_bind()
    latest = {}
    for entry in connection.execute(sa.select(record).order_by(record.c.updated_at,
                                                               record.c.id)):
        latest[(entry.user_id, entry.activity_id)] = entry.id
    keep = set(latest.values())
    stale = [entry.id for entry in connection.execute(sa.select(record.c.id))
             if entry.id not in keep]
    if stale:
        connection.execute(sa.delete(record).where(record.c.id.in_(stale)))
    with op.batch_alter_table('activity_record') as batch:
        batch.drop_index(op.f('ix_activity_record_cohort_id'))
        batch.drop_constraint(op.f('uq_activity_record_user_id_cohort_id_activity_id'),
                              type_='unique')
        batch.create_unique_constraint('uq_activity_record_user_id_activity_id',
                                       ['user_id', 'activity_id'])
        batch.drop_constraint(op.f('fk_activity_record_cohort_id_cohort'), type_='foreignkey')
        batch.drop_column('cohort_id')
