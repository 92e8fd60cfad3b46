"""Curricula and progress. Queries aggregate in SQL and run a fixed number of statements.

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
from lms.audit.service import record
from lms.cohorts.models import Cohort, Enrolment
from lms.cohorts.service import participant_in
from lms.curriculum.models import (
    Activity,
    ActivityNoteVersion,
    ActivityRecord,
    CohortModule,
    Module,
)
from lms.db_types import utcnow
from lms.errors import Conflict, Invalid, NotFound
from lms.extensions import db
from lms.framework.models import Behaviour, Theme

#: No recorded work for this long makes a participant at risk.
INACTIVITY_DAYS = 14


# --- modules -------------------------------------------------------------------------------

def current_modules() -> list[Module]:
    """Modules that are not retired, in programme order, with activities and behaviours."""
    return db.session.scalars(
        sa.select(Module).where(Module.retired_at.is_(None)).order_by(Module.position)
        .options(selectinload(Module.activities), selectinload(Module.behaviours),
                 selectinload(Module.theme))
    ).all()


def get_module(slug: str) -> Module:
    """A module by slug (retired ones too: old links keep working), or NotFound."""
    module = db.session.scalar(
        sa.select(Module).filter_by(slug=slug)
        .options(selectinload(Module.activities), selectinload(Module.behaviours),
                 selectinload(Module.theme)))
    if module is None:
        raise NotFound(f"There is no module {slug!r}.")
    return module


def current_activities(module: Module) -> list[Activity]:
    """A module's activities that are not retired, in order."""
    return [a for a in module.activities if a.retired_at is None]


# --- a cohort's curriculum -----------------------------------------------------------------

@dataclass
class CurriculumItem:
    """A module as one cohort follows it."""

    module: Module
    position: int
    opens_on: dt.date | None


def cohort_curriculum(cohort: Cohort) -> list[CurriculumItem]:
    """The modules a cohort follows, in order; every current module if none was chosen."""
    rows = db.session.execute(
        sa.select(CohortModule, Module).join(Module, CohortModule.module_id == Module.id)
        .where(CohortModule.cohort_id == cohort.id, Module.retired_at.is_(None))
        .order_by(CohortModule.position)
        .options(selectinload(Module.activities))
    ).all()
    if rows:
        return [CurriculumItem(m, cm.position, cm.opens_on) for cm, m in rows]
    return [CurriculumItem(m, m.position, None) for m in current_modules()]


def set_cohort_curriculum(cohort: Cohort, items: list[dict[str, Any]]) -> list[CurriculumItem]:
    """Replace a cohort's curriculum with ``items`` (``slug`` and optional ``opens_on``)."""
    slugs = [item["slug"] for item in items]
    if len(set(slugs)) != len(slugs):
        raise Invalid("A module appears twice.", errors={"modules": ["Each module once."]})
    modules = {m.slug: m for m in db.session.scalars(
        sa.select(Module).where(Module.slug.in_(slugs), Module.retired_at.is_(None)))}
    unknown = [slug for slug in slugs if slug not in modules]
    if unknown:
        raise Invalid(f"Unknown modules: {', '.join(unknown)}.",
                      errors={"modules": [f"Unknown or retired: {', '.join(unknown)}."]})
    late = [i["slug"] for i in items if i.get("opens_on") and i["opens_on"] > cohort.ends_on]
    if late:
        raise Invalid("A module cannot open after the cohort ends.",
                      errors={"modules": [f"Opens after {cohort.ends_on}: {', '.join(late)}."]})
    db.session.execute(sa.delete(CohortModule).where(CohortModule.cohort_id == cohort.id))
    for position, item in enumerate(items, start=1):
        db.session.add(CohortModule(cohort_id=cohort.id, module_id=modules[item["slug"]].id,
                                    position=position, opens_on=item.get("opens_on")))
    db.session.flush()
    record("cohort.curriculum", cohort, modules=slugs)
    return cohort_curriculum(cohort)


# --- recording work ------------------------------------------------------------------------

def participant_cohorts(user: User) -> list[Cohort]:
    """The cohorts ``user`` is a participant of, newest first."""
    return db.session.scalars(
        sa.select(Cohort).join(Enrolment, Enrolment.cohort_id == Cohort.id)
        .where(Enrolment.user_id == user.id, Enrolment.role == "participant")
        .order_by(Cohort.starts_on.desc(), Cohort.id.desc())
    ).all()


def is_open(item: CurriculumItem, today: dt.date) -> bool:
    """Whether a module of a cohort's curriculum has opened by ``today``."""
    return item.opens_on is None or item.opens_on <= today


def working_cohort(user: User, slug: str, today: dt.date,
                   cohort_id: int | None = None) -> tuple[Cohort, CurriculumItem]:
    """The cohort a participant's work on module ``slug`` belongs to, with the module as that
    cohort follows it: the cohort named (one of theirs that follows it), else their newest
    cohort where the module has opened, else their newest that follows it."""
    following = [(cohort, item) for cohort in participant_cohorts(user)
                 if cohort_id is None or cohort.id == cohort_id
                 for item in cohort_curriculum(cohort) if item.module.slug == slug]
    if not following:
        where = "your programme" if cohort_id is None else f"your cohort {cohort_id}"
        raise NotFound(f"Module {slug!r} is not part of {where}.")
    opened = [pair for pair in following if is_open(pair[1], today)]
    return (opened or following)[0]


def find_activity_for(user: User, slug: str, key: str, today: dt.date,
                      require_open: bool = True, cohort_id: int | None = None
                      ) -> tuple[Activity, Cohort]:
    """The activity and the cohort work on it is recorded in (working_cohort); Conflict when
    ``require_open`` and the module has not opened for that cohort."""
    cohort, item = working_cohort(user, slug, today, cohort_id)
    activity = next((a for a in item.module.activities if a.key == key), None)
    if activity is None or activity.retired_at is not None:
        raise NotFound(f"Module {slug!r} has no activity {key!r}.")
    if require_open and not is_open(item, today):
        raise Conflict(f"Module {item.module.title!r} opens on {item.opens_on:%-d %B %Y}.")
    return activity, cohort


def find_record(user: User, cohort_id: int, activity_id: int) -> ActivityRecord | None:
    """The person's record of an activity in one cohort, if they have one."""
    return db.session.scalar(sa.select(ActivityRecord).filter_by(
        user_id=user.id, cohort_id=cohort_id, activity_id=activity_id))


#: Saved versions kept per activity record; older ones are dropped as new ones are saved.
MAX_NOTE_VERSIONS = 50


def clean_note(value: str | None) -> str | None:
    """A note with surrounding space removed; None if nothing is left."""
    if value is None:
        return None
    value = value.strip()
    return value or None


def record_activity(user: User, slug: str, key: str, changes: dict[str, Any],
                    today: dt.date | None = None, cohort_id: int | None = None
                    ) -> ActivityRecord:
    """Mark an activity done or not, and save its reflection or evidence note, in the cohort
    named or the one working_cohort picks (the work belongs to that cohort).

    A ``reflect`` activity is done only with a reflection, a ``practise`` one only with an
    evidence note. Every saved change of a note is kept as a version, the latest
    MAX_NOTE_VERSIONS of them.
    """
    activity, cohort = find_activity_for(user, slug, key, today or dt.date.today(),
                                         cohort_id=cohort_id)
    entry = find_record(user, cohort.id, activity.id)
    if entry is None:
        entry = ActivityRecord(user=user, activity=activity, cohort_id=cohort.id)
        db.session.add(entry)
    notes_changed = False
    for name in ("reflection", "evidence"):
        if name in changes and clean_note(changes[name]) != getattr(entry, name):
            setattr(entry, name, clean_note(changes[name]))
            notes_changed = True
    done = changes.get("done", entry.completed_at is not None)
    check_done_needs(activity, entry, done)
    if done and entry.completed_at is None:
        entry.completed_at = utcnow()
    elif not done:
        entry.completed_at = None
    entry.updated_at = utcnow()
    if notes_changed:
        entry.versions.append(ActivityNoteVersion(reflection=entry.reflection,
                                                  evidence=entry.evidence))
        del entry.versions[:-MAX_NOTE_VERSIONS]  # the oldest go (delete-orphan)
    db.session.flush()
    return entry


def check_done_needs(activity: Activity, entry: ActivityRecord, done: bool) -> None:
    """A reflection or practice task is done only with its written part."""
    if not done:
        return
    if activity.kind == "reflect" and not entry.reflection:
        raise Invalid("Write your reflection before marking this activity done.",
                      errors={"reflection": ["Required to mark a reflection done."]})
    if activity.kind == "practise" and not entry.evidence:
        raise Invalid("Add a short evidence note before marking this activity done.",
                      errors={"evidence": ["Required to mark a workplace task done."]})


# --- progress ------------------------------------------------------------------------------

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


def module_facts(items: list[CurriculumItem],
                 required: dict[int, int]) -> list[tuple[int, str, str, dt.date | None, int]]:
    """(id, slug, title, opens on, required activities) per module, read once per request
    rather than once per participant."""
    return [(item.module.id, item.module.slug, item.module.title, item.opens_on,
             required.get(item.module.id, 0)) for item in items]


def progress_of(person: tuple[int, str, str], modules: list[tuple], work: dict
                ) -> ParticipantProgress:
    """One participant's progress from the per-module facts and the aggregates."""
    user_id, name, email = person
    nothing = (0, False, None)
    return ParticipantProgress(
        user_id=user_id, display_name=name, email=email,
        modules=[ModuleProgress(slug=slug, title=title, opens_on=opens_on, required=needed,
                                done=done, any_work=any_work, last_activity_at=last)
                 for module_id, slug, title, opens_on, needed in modules
                 for done, any_work, last in (work.get((user_id, module_id), nothing),)])


def due_modules(items: list[CurriculumItem], cohort: Cohort, today: dt.date) -> set[str]:
    """Modules that should be complete by ``today``: the next module has opened (or, for the
    last, the cohort has ended)."""
    due = set()
    for index, item in enumerate(items):
        following = items[index + 1].opens_on if index + 1 < len(items) else cohort.ends_on
        if following is not None and following <= today:
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
    behind = [m.slug for m in progress.modules if m.slug in due and m.status != "complete"]
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
        if item.opens_on and item.opens_on > today:
            continue
        for activity in current_activities(item.module):
            if activity.required and activity.id not in done_ids:
                return {"module": item.module.slug, "key": activity.key,
                        "title": activity.title, "kind": activity.kind}
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


# --- coverage ------------------------------------------------------------------------------

def coverage() -> dict[str, Any]:
    """Which current modules develop each behaviour, and which behaviours none does."""
    behaviours = db.session.scalars(
        sa.select(Behaviour).join(Theme).order_by(Theme.position, Behaviour.position)).all()
    modules = current_modules()
    by_behaviour: dict[int, list[str]] = {b.id: [] for b in behaviours}
    for module in modules:
        for behaviour in module.behaviours:
            by_behaviour.setdefault(behaviour.id, []).append(module.slug)
    rows = [{"behaviour": b.code, "modules": by_behaviour[b.id]} for b in behaviours]
    return {"behaviours": rows, "modules": [m.slug for m in modules],
            "uncovered": [row["behaviour"] for row in rows if not row["modules"]]}
