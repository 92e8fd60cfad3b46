"""Builders for test data: each makes one thing, with sensible defaults, and flushes it."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re

import sqlalchemy as sa

from lms.accounts import passwords
from lms.accounts.models import User
from lms.accounts.service import create_token
from lms.cohorts.models import Cohort, Enrolment, Organisation, Programme, Sponsorship
from lms.cohorts.service import name_key
from lms.core.extensions import db
from lms.framework.models import LeadershipLevel

PASSWORD = "lantern-orchard-meadow-41"  # noqa: S105 - a test password that meets the policy
_numbers = itertools.count(1)


def unique(prefix: str) -> str:
    """A string no other builder call returns."""
    return f"{prefix}{next(_numbers)}"


def make_user(role: str = "participant", email: str | None = None, password: str | None = None,
              active: bool = True, name: str | None = None) -> User:
    """A user of ``role``; with ``password`` they can sign in."""
    user = User(email=email or f"{unique(role)}@example.org", role=role, active=active,
                display_name=name or f"Test {role.title()}",
                password_hash=passwords.hash_password(password) if password else None)
    db.session.add(user)
    db.session.flush()
    return user


def make_programme(**values) -> Programme:
    """The programme (there is usually one)."""
    programme = Programme(slug=values.pop("slug", unique("programme")),
                          name=values.pop("name", "Test programme"), **values)
    db.session.add(programme)
    db.session.flush()
    return programme


def make_organisation(name: str | None = None, type_: str = "nhs_trust",
                      sector: str = "providing") -> Organisation:
    """An organisation participants work for."""
    name = name or unique("Organisation ")
    organisation = Organisation(name=name, name_key=name_key(name), type=type_, sector=sector)
    db.session.add(organisation)
    db.session.flush()
    return organisation


def level(code: str = "manager") -> LeadershipLevel:
    """A leadership level, creating the three of the framework if they are missing."""
    levels = {row.code: row for row in db.session.scalars(sa.select(LeadershipLevel))}
    if not levels:
        for position, (c, title) in enumerate(
            [("front_line", "Front-line staff"), ("manager", "Manager"),
             ("senior_leader", "Senior leader")], start=1):
            levels[c] = LeadershipLevel(code=c, title=title, position=position)
            db.session.add(levels[c])
        db.session.flush()
    return levels[code]


def make_cohort(programme: Programme | None = None, name: str | None = None,
                starts_on: dt.date = dt.date(2026, 9, 1), ends_on: dt.date = dt.date(2027, 3, 31),
                status: str = "running") -> Cohort:
    """A cohort in ``programme`` (a new programme if none is given)."""
    cohort = Cohort(programme=programme or make_programme(), name=name or unique("Cohort "),
                    starts_on=starts_on, ends_on=ends_on, status=status)
    db.session.add(cohort)
    db.session.flush()
    return cohort


def enrol(user: User, cohort: Cohort, role: str | None = None,
          organisation: Organisation | None = None, level_code: str = "manager") -> Enrolment:
    """Put ``user`` in ``cohort``; participants get an organisation and a level."""
    role = role or ("tutor" if user.role in ("tutor", "admin") else "participant")
    is_participant = role == "participant"
    enrolment = Enrolment(
        cohort=cohort, user=user, role=role,
        organisation=(organisation or make_organisation()) if is_participant else None,
        leadership_level=level(level_code) if is_participant else None,
    )
    db.session.add(enrolment)
    db.session.flush()
    return enrolment


def sponsor(user: User, *, cohort: Cohort | None = None,
            programme: Programme | None = None) -> Sponsorship:
    """Make ``user`` a sponsor of a cohort or programme."""
    sponsorship = Sponsorship(user=user, cohort=cohort, programme=programme)
    db.session.add(sponsorship)
    db.session.flush()
    return sponsorship


def bearer(user: User, days: int = 30) -> dict[str, str]:
    """An Authorization header with a new token of ``user``."""
    _token, secret = create_token(user, "test", days)
    return {"Authorization": f"Bearer {secret}"}


def csrf_from(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def sign_in(client, email: str, password: str = PASSWORD, remember: bool = False,
            **environ):
    """Sign in through the form, as a browser would; return the response."""
    page = client.get("/sign-in", environ_base=environ)
    form = {"email": email, "password": password, "csrf_token": csrf_from(page.text)}
    if remember:
        form["remember"] = "y"
    return client.post("/sign-in", data=form, environ_base=environ)


def assess(user: User, cohort: Cohort, phase: str, status: str = "submitted",
           values: dict[str, int | None] | None = None, sector: str = "providing"):
    """An assessment of ``user`` with an answer for every behaviour they are asked.

    ``values`` overrides answers by code (None is "not applicable"); the rest are 3.
    """
    from lms.ratings.models import Assessment, Rating
    from lms.ratings.service import behaviours_for_sector

    assessment = Assessment(cohort=cohort, user=user, phase=phase, status=status,
                            submitted_at=dt.datetime.now(dt.UTC) if status == "submitted"
                            else None)
    values = values or {}
    for behaviour in behaviours_for_sector(sector):
        assessment.ratings.append(Rating(behaviour_id=behaviour.id,
                                         value=values.get(behaviour.code, 3)))
    db.session.add(assessment)
    db.session.flush()
    return assessment


def complete_module(user: User, cohort: Cohort, slug: str, every: bool = True) -> None:
    """Record ``user``'s work on a module in ``cohort``: every required activity done, or
    all but the last (started, not finished)."""
    from lms.core.db_types import utcnow
    from lms.curriculum.models import Activity, ActivityRecord, Module

    activities = db.session.scalars(
        sa.select(Activity).join(Module).where(Module.slug == slug, Activity.required,
                                               Activity.retired_at.is_(None))
        .order_by(Activity.position)).all()
    for activity in activities if every else activities[:-1]:
        db.session.add(ActivityRecord(user_id=user.id, cohort_id=cohort.id,
                                      activity_id=activity.id, completed_at=utcnow()))
    db.session.flush()


def release(*cohorts: Cohort) -> None:
    """Release each cohort's outcomes to its sponsors and participants (as `flask lms
    publish-outcomes` does)."""
    from lms.outcomes import releases

    for cohort in cohorts:
        releases.publish(cohort)


def every_text_in_the_database() -> str:
    """Every row of every table, as lower-case text."""
    parts = []
    for table in db.metadata.sorted_tables:
        parts += [json.dumps([str(value) for value in row])
                  for row in db.session.execute(sa.select(table))]
    return "\n".join(parts).lower()
