"""Progress through a cohort's curriculum. Queries aggregate in SQL and run a fixed number
of statements, whatever the cohort's size.

A module is ``not_started`` (no work recorded), ``in_progress``, or ``complete`` (every
required, current activity done). A participant's programme percentage is the share of the
required activities of their cohort's modules they have done.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from lms.accounts.models import User
from lms.cohorts.models import Cohort, Enrolment
from lms.cohorts.service import participant_in
from lms.core.extensions import db
from lms.curriculum.models import Activity, ActivityRecord
from lms.curriculum.service import (
    CurriculumItem,
    cohort_curriculum,
    current_activities,
    curriculum_pairs,
    is_open,
    participant_cohorts,
)

#: No recorded work for this long makes a participant at risk.
INACTIVITY_DAYS = 14


@dataclass
class ModuleProgress:
    """How far one participant is through one module."""

    slug: str
    title: str
    opens_on: dt.date | None
    required: int
    done: int
    any_work: bool
    last_activity_at: dt.datetime | None
    #: The first day work on it can be recorded, and when it should be finished.
    available_on: dt.date | None = None
    due_on: dt.date | None = None

    @property
    def status(self) -> str:
        """not_started, in_progress or complete."""
        if self.required and self.done >= self.required:
            return "complete"
        if not self.required and self.any_work:
            return "complete"
        return "in_progress" if self.any_work else "not_started"


@dataclass
class ParticipantProgress:
    """One participant across a cohort's curriculum."""

    user_id: int
    display_name: str
    email: str
    modules: list[ModuleProgress] = field(default_factory=list)
    at_risk: bool = False
    risk_reasons: list[str] = field(default_factory=list)
    #: The same reasons as facts, for pages that say them in the reader's language.
    quiet_days: int | None = None
    behind: list[str] = field(default_factory=list)

    @property
    def percentage(self) -> float:
        """Share of the curriculum's required activities done, 0–100, one decimal."""
        required = sum(m.required for m in self.modules)
        done = sum(min(m.done, m.required) for m in self.modules)
        return round(100 * done / required, 1) if required else 0.0

    @cached_property
    def last_activity_at(self) -> dt.datetime | None:
        """When they last recorded any work in the curriculum (read once modules are set)."""
        times = [m.last_activity_at for m in self.modules if m.last_activity_at]
        return max(times) if times else None


def required_counts(module_ids: list[int]) -> dict[int, int]:
    """Current required activities per module: one query."""
    rows = db.session.execute(
        sa.select(Activity.module_id, sa.func.count())
        .where(Activity.module_id.in_(module_ids), Activity.required.is_(True),
               Activity.retired_at.is_(None))
        .group_by(Activity.module_id))
    return dict(rows.all())


def work_by_user_and_module(user_ids: sa.Select | list[int], module_ids: list[int],
                            cohort_id: int) -> dict[tuple[int, int], tuple[int, bool, Any]]:
    """(required done, any work, last update) per (user, module) of the work done in one
    cohort: one aggregate query."""
    required_done = sa.func.sum(sa.case(
        (sa.and_(Activity.required.is_(True), Activity.retired_at.is_(None),
                 ActivityRecord.completed_at.is_not(None)), 1), else_=0))
    rows = db.session.execute(
        sa.select(ActivityRecord.user_id, Activity.module_id, required_done,
                  sa.func.count(), sa.func.max(ActivityRecord.updated_at))
        .join(Activity, ActivityRecord.activity_id == Activity.id)
        .where(ActivityRecord.user_id.in_(user_ids), ActivityRecord.cohort_id == cohort_id,
               Activity.module_id.in_(module_ids))
        .group_by(ActivityRecord.user_id, Activity.module_id))
    return {(user_id, module_id): (int(done or 0), count > 0, as_utc(last))
            for user_id, module_id, done, count, last in rows}


def completed_modules(cohort_ids: list[int]) -> sa.Select:
    """(cohort, participant, module) for each module of a cohort's curriculum that one of its
    participants has completed, by ``ModuleProgress.status``'s rule (every required, current
    activity done; for a module without any, some work recorded): one statement, whatever
    the cohorts' size, for counting in SQL (engagement) or copying into a release."""
    required = (sa.select(Activity.module_id, sa.func.count().label("needed"))
                .where(Activity.required.is_(True), Activity.retired_at.is_(None))
                .group_by(Activity.module_id).subquery("required_activities"))
    done = sa.func.sum(sa.case(
        (sa.and_(Activity.required.is_(True), Activity.retired_at.is_(None),
                 ActivityRecord.completed_at.is_not(None)), 1), else_=0))
    work = (sa.select(ActivityRecord.cohort_id, ActivityRecord.user_id, Activity.module_id,
                      done.label("done"), sa.func.count().label("records"))
            .join(Activity, ActivityRecord.activity_id == Activity.id)
            .where(ActivityRecord.cohort_id.in_(cohort_ids))
            .group_by(ActivityRecord.cohort_id, ActivityRecord.user_id, Activity.module_id)
            .subquery("module_work"))
    needed = sa.func.coalesce(required.c.needed, 0)
    followed = curriculum_pairs(cohort_ids).subquery("followed")
    return (sa.select(work.c.cohort_id, work.c.user_id, work.c.module_id)
            .join(followed, sa.and_(followed.c[0] == work.c.cohort_id,
                                    followed.c[1] == work.c.module_id))
            .join(Enrolment, sa.and_(Enrolment.cohort_id == work.c.cohort_id,
                                     Enrolment.user_id == work.c.user_id,
                                     Enrolment.role == "participant"))
            .outerjoin(required, required.c.module_id == work.c.module_id)
            .where(sa.or_(sa.and_(needed > 0, work.c.done >= needed),
                          sa.and_(needed == 0, work.c.records > 0))))


def as_utc(value: Any) -> dt.datetime | None:
    """A timestamp from an aggregate (SQLite returns naive text-parsed values) as aware UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def build_progress(person: tuple[int, str, str], items: list[CurriculumItem],
                   required: dict[int, int], work: dict) -> ParticipantProgress:
    """One participant's progress from the aggregates."""
    return progress_of(person, module_facts(items, required), work)


def module_facts(items: list[CurriculumItem], required: dict[int, int]) -> list[tuple]:
    """(id, slug, title, opens on, required activities, available on, due on) per module,
    read once per request rather than once per participant."""
    return [(item.module.id, item.module.slug, item.module.title, item.opens_on,
             required.get(item.module.id, 0), item.available_on, item.due_on)
            for item in items]


def progress_of(person: tuple[int, str, str], modules: list[tuple], work: dict
                ) -> ParticipantProgress:
    """One participant's progress from the per-module facts and the aggregates."""
    user_id, name, email = person
    nothing = (0, False, None)
    return ParticipantProgress(
        user_id=user_id, display_name=name, email=email,
        modules=[ModuleProgress(slug=slug, title=title, opens_on=opens_on, required=needed,
                                done=done, any_work=any_work, last_activity_at=last,
                                available_on=available_on, due_on=due_on)
                 for module_id, slug, title, opens_on, needed, available_on, due_on in modules
                 for done, any_work, last in (work.get((user_id, module_id), nothing),)])


def due_modules(items: list[CurriculumItem], cohort: Cohort, today: dt.date) -> set[str]:
    """Modules that should be complete by ``today``: their due date has passed, or, without
    one, the next module has opened (for the last, the cohort has ended)."""
    due = set()
    for index, item in enumerate(items):
        following = items[index + 1].opens_on if index + 1 < len(items) else cohort.ends_on
        if item.due_on is not None:
            if item.due_on < today:
                due.add(item.module.slug)
        elif following is not None and following <= today:
            due.add(item.module.slug)
    return due


def flag_risk(progress: ParticipantProgress, cohort: Cohort, due: set[str],
              today: dt.date) -> None:
    """At risk: no work for INACTIVITY_DAYS (once the cohort has run that long), or behind."""
    now = dt.datetime.combine(today, dt.time.max, tzinfo=dt.UTC)
    last = progress.last_activity_at
    started_long_ago = cohort.starts_on <= today - dt.timedelta(days=INACTIVITY_DAYS)
    if started_long_ago and (last is None or now - last > dt.timedelta(days=INACTIVITY_DAYS)):
        progress.risk_reasons.append(f"no activity for {INACTIVITY_DAYS} days")
        progress.quiet_days = INACTIVITY_DAYS
    behind = [f"“{m.title}”" for m in progress.modules
              if m.slug in due and m.status != "complete"]
    progress.behind = [m.title for m in progress.modules
                       if m.slug in due and m.status != "complete"]
    if behind:
        progress.risk_reasons.append(f"behind schedule: {', '.join(behind)} not complete")
    progress.at_risk = bool(progress.risk_reasons)


def cohort_progress(cohort: Cohort, today: dt.date | None = None) -> dict[str, Any]:
    """Every participant × module of a cohort, with at-risk flags: five statements in all."""
    today = today or dt.date.today()
    items = cohort_curriculum(cohort)
    module_ids = [item.module.id for item in items]
    people = db.session.execute(
        sa.select(User.id, User.display_name, User.email)
        .join(Enrolment, Enrolment.user_id == User.id)
        .where(Enrolment.cohort_id == cohort.id, Enrolment.role == "participant")
        .order_by(User.display_name, User.id)).all()
    participant_ids = sa.select(Enrolment.user_id).where(
        Enrolment.cohort_id == cohort.id, Enrolment.role == "participant")
    required = required_counts(module_ids)
    work = work_by_user_and_module(participant_ids, module_ids, cohort.id)
    due = due_modules(items, cohort, today)
    participants = []
    modules = module_facts(items, required)
    for person in people:
        progress = progress_of(tuple(person), modules, work)
        flag_risk(progress, cohort, due, today)
        participants.append(progress)
    return {"cohort_id": cohort.id, "as_of": today, "curriculum": items,
            "participants": participants}


def my_progress(user: User, today: dt.date | None = None) -> list[dict[str, Any]]:
    """The caller's progress in each cohort they take part in, with their next activity."""
    today = today or dt.date.today()
    answers = []
    for cohort in participant_cohorts(user):
        items = cohort_curriculum(cohort)
        module_ids = [item.module.id for item in items]
        work = work_by_user_and_module([user.id], module_ids, cohort.id)
        progress = build_progress((user.id, user.display_name, user.email), items,
                                  required_counts(module_ids), work)
        answers.append({"cohort_id": cohort.id, "cohort_name": cohort.name,
                        "starts_on": cohort.starts_on, "ends_on": cohort.ends_on,
                        "percentage": progress.percentage, "modules": progress.modules,
                        "next_activity": next_activity(user, cohort, items, today)})
    return answers


def next_activity(user: User, cohort: Cohort, items: list[CurriculumItem],
                  today: dt.date) -> dict[str, Any] | None:
    """The first required activity not yet done in this cohort, in a module that is open."""
    done_ids = set(db.session.scalars(
        sa.select(ActivityRecord.activity_id).where(ActivityRecord.user_id == user.id,
                                                    ActivityRecord.cohort_id == cohort.id,
                                                    ActivityRecord.completed_at.is_not(None))))
    for item in items:
        if not is_open(item, today):
            continue
        for activity in current_activities(item.module):
            if activity.required and activity.id not in done_ids:
                return {"module": item.module.slug, "key": activity.key,
                        "title": activity.title, "kind": activity.kind,
                        "module_title": item.module.title, "due_on": item.due_on}
    return None


def activity_records(user_id: int, module_ids: list[int],
                     cohort_id: int) -> dict[int, ActivityRecord]:
    """A participant's records in one cohort for the given modules' activities, by activity
    id."""
    rows = db.session.scalars(
        sa.select(ActivityRecord).join(Activity)
        .where(ActivityRecord.user_id == user_id, ActivityRecord.cohort_id == cohort_id,
               Activity.module_id.in_(module_ids))
        .options(selectinload(ActivityRecord.versions)))
    return {entry.activity_id: entry for entry in rows}


def participant_work(cohort: Cohort, user_id: int) -> dict[str, Any]:
    """A participant's work in a cohort, reflections included (for the cohort's tutors)."""
    enrolment = participant_in(cohort, user_id)
    items = cohort_curriculum(cohort)
    records = activity_records(user_id, [item.module.id for item in items], cohort.id)
    modules = [{"slug": item.module.slug, "title": item.module.title,
                "activities": [{"activity": a, "record": records.get(a.id)}
                               for a in current_activities(item.module)]}
               for item in items]
    return {"user_id": user_id, "display_name": enrolment.user.display_name, "modules": modules}
