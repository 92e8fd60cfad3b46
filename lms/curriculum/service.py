"""Curricula: the modules, each cohort's plan of them, and the work participants record.

Progress through them (who is where, who is behind) is in ``lms.curriculum.progress``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import format_date, gettext
from sqlalchemy.orm import selectinload

from lms.accounts.models import User
from lms.audit.service import record
from lms.cohorts.models import Cohort, Enrolment
from lms.core.db_types import utcnow
from lms.core.errors import Conflict, Invalid, NotFound
from lms.core.extensions import db
from lms.core.i18n import in_reader_language
from lms.curriculum.models import (
    Activity,
    ActivityNoteVersion,
    ActivityRecord,
    CohortModule,
    Module,
)
from lms.framework.models import Behaviour, Theme

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
        raise NotFound(gettext("There is no module %(slug)r.", slug=slug))
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
    #: As set for the cohort (None: from the cohort's first day).
    opens_on: dt.date | None
    #: The day the cohort starts: no module opens for work before it.
    cohort_starts_on: dt.date | None = None
    #: When it should be finished (None: when the next opens, or the cohort ends).
    due_on: dt.date | None = None

    @property
    def available_on(self) -> dt.date | None:
        """The first day work on it can be recorded: its opening, never before the cohort
        starts."""
        days = [day for day in (self.opens_on, self.cohort_starts_on) if day is not None]
        return max(days) if days else None


def cohort_curriculum(cohort: Cohort) -> list[CurriculumItem]:
    """The modules a cohort follows, in order; every current module if none was chosen."""
    rows = db.session.execute(
        sa.select(CohortModule, Module).join(Module, CohortModule.module_id == Module.id)
        .where(CohortModule.cohort_id == cohort.id, Module.retired_at.is_(None))
        .order_by(CohortModule.position)
        .options(selectinload(Module.activities))
    ).all()
    if rows:
        return [CurriculumItem(m, cm.position, cm.opens_on, cohort.starts_on, cm.due_on)
                for cm, m in rows]
    return [CurriculumItem(m, m.position, None, cohort.starts_on) for m in current_modules()]


def curriculum_pairs(cohort_ids: list[int]) -> sa.Select:
    """(cohort, module) for every module each cohort follows, as ``cohort_curriculum``
    decides it (its chosen current modules, or every current module if none was chosen):
    one statement for many cohorts."""
    current = Module.retired_at.is_(None)
    chosen = (sa.select(CohortModule.cohort_id, CohortModule.module_id)
              .join(Module, CohortModule.module_id == Module.id)
              .where(CohortModule.cohort_id.in_(cohort_ids), current))
    has_chosen = (sa.select(CohortModule.cohort_id)
                  .join(Module, CohortModule.module_id == Module.id)
                  .where(CohortModule.cohort_id == Cohort.id, current).exists())
    every = (sa.select(Cohort.id, Module.id).join(Module, sa.true())
             .where(Cohort.id.in_(cohort_ids), current, ~has_chosen))
    return sa.union_all(chosen, every)


def module_date_problems(cohort: Cohort, items: list[dict[str, Any]],
                         name_of: Callable[[str], str] = str,
                         say_date: Callable[[dt.date], str] = str) -> dict[str, list[str]]:
    """Each module that opens or is due outside the cohort's dates, or is due before it
    opens: its slug and the sentences that say so, naming it with ``name_of`` (its slug for
    the API, its title for a page) and dates with ``say_date``."""
    problems: dict[str, list[str]] = {}
    starts, ends = say_date(cohort.starts_on), say_date(cohort.ends_on)
    for item in items:
        opens, due = item.get("opens_on"), item.get("due_on")
        said = {"module": name_of(item["slug"]), "starts": starts, "ends": ends,
                "opens": say_date(opens) if opens else "", "due": say_date(due) if due else ""}
        found = []
        if opens is not None and opens > cohort.ends_on:
            found.append(gettext("%(module)s opens on %(opens)s, after the cohort ends "
                                 "(%(ends)s).", **said))
        if due is not None and opens is not None and due < opens:
            found.append(gettext("%(module)s is due on %(due)s, before it opens (%(opens)s).",
                                 **said))
        if due is not None and due < cohort.starts_on:
            found.append(gettext("%(module)s is due on %(due)s, before the cohort starts "
                                 "(%(starts)s).", **said))
        if due is not None and due > cohort.ends_on:
            found.append(gettext("%(module)s is due on %(due)s, after the cohort ends "
                                 "(%(ends)s).", **said))
        if found:
            problems[item["slug"]] = found
    return problems


def check_module_dates(cohort: Cohort, items: list[dict[str, Any]]) -> None:
    """Each module opens and is due within the cohort's dates, and is due after it opens."""
    problems = module_date_problems(cohort, items)
    if problems:
        sentences = [sentence for found in problems.values() for sentence in found]
        raise Invalid(sentences[0], errors={"modules": sentences})


def set_cohort_curriculum(cohort: Cohort, items: list[dict[str, Any]]) -> list[CurriculumItem]:
    """Replace a cohort's curriculum with ``items`` (``slug``, optional ``opens_on`` and
    ``due_on``)."""
    slugs = [item["slug"] for item in items]
    if len(set(slugs)) != len(slugs):
        raise Invalid(gettext("A module appears twice."),
                      errors={"modules": [gettext("Each module once.")]})
    modules = {m.slug: m for m in db.session.scalars(
        sa.select(Module).where(Module.slug.in_(slugs), Module.retired_at.is_(None)))}
    unknown = [slug for slug in slugs if slug not in modules]
    if unknown:
        raise Invalid(gettext("Unknown modules: %(slugs)s.", slugs=", ".join(unknown)),
                      errors={"modules": [gettext("Unknown or retired: %(slugs)s.",
                                                  slugs=", ".join(unknown))]})
    check_module_dates(cohort, items)
    db.session.execute(sa.delete(CohortModule).where(CohortModule.cohort_id == cohort.id))
    for position, item in enumerate(items, start=1):
        db.session.add(CohortModule(cohort_id=cohort.id, module_id=modules[item["slug"]].id,
                                    position=position, opens_on=item.get("opens_on"),
                                    due_on=item.get("due_on")))
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
    """Whether a module of a cohort's curriculum has opened (and the cohort started) by
    ``today``."""
    return item.available_on is None or item.available_on <= today


def working_cohort(user: User, slug: str, today: dt.date,
                   cohort_id: int | None = None) -> tuple[Cohort, CurriculumItem]:
    """The cohort a participant's work on module ``slug`` belongs to, with the module as that
    cohort follows it: the cohort named (one of theirs that follows it), else their newest
    cohort where the module has opened, else their newest that follows it."""
    following = [(cohort, item) for cohort in participant_cohorts(user)
                 if cohort_id is None or cohort.id == cohort_id
                 for item in cohort_curriculum(cohort) if item.module.slug == slug]
    if not following:
        raise NotFound(gettext("Module %(slug)r is not part of your programme.", slug=slug)
                       if cohort_id is None else
                       gettext("Module %(slug)r is not part of your cohort %(id)s.", slug=slug,
                               id=cohort_id))
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
        raise NotFound(gettext("Module %(slug)r has no activity %(key)r.", slug=slug, key=key))
    if require_open and not is_open(item, today):
        raise Conflict(opening_problem(cohort, item))
    return activity, cohort


def opening_problem(cohort: Cohort, item: CurriculumItem) -> str:
    """Why work on a module cannot be recorded yet, with the day it can."""
    day = format_date(item.available_on, "d MMMM y")
    title = in_reader_language(item.module.title)
    if item.opens_on is None or item.opens_on <= cohort.starts_on:
        return gettext("%(cohort)s starts on %(date)s: work on “%(module)s” can be recorded "
                       "from then.", cohort=cohort.name, date=day, module=title)
    return gettext("Module “%(module)s” opens on %(date)s.", module=title, date=day)


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
        raise Invalid(gettext("Write your reflection before marking this activity done."),
                      errors={"reflection": [gettext("Required to mark a reflection done.")]})
    if activity.kind == "practise" and not entry.evidence:
        raise Invalid(gettext("Add a short evidence note before marking this activity done."),
                      errors={"evidence": [gettext("Required to mark a workplace task done.")]})


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
