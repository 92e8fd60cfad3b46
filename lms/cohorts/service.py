"""The programme, organisations, cohorts, enrolments and sponsorships.

Services flush but never commit; the request (or command) commits once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from lms.accounts.models import User
from lms.audit.service import record
from lms.cohorts.models import (
    COHORT_STATUSES,
    ORGANISATION_TYPES,
    SECTORS,
    Cohort,
    Enrolment,
    Organisation,
    Programme,
    Sponsorship,
)
from lms.core.errors import Conflict, Invalid, NotFound
from lms.core.extensions import db
from lms.framework.models import LeadershipLevel

#: Where the checks that fix a programme's rating scale are registered (app.extensions): the
#: ratings feature adds "a rating was given on it" (ratings.service.init_ratings), so this
#: feature, below ratings, never imports it.
SCALE_LOCKS = "lms_scale_locks"


def scale_in_use(programme_id: int) -> bool:
    """Whether a registered check says the programme's rating scale is in use (then it can no
    longer change); RuntimeError if no feature registered one (the app was not set up)."""
    checks = current_app.extensions.get(SCALE_LOCKS)
    if checks is None:
        raise RuntimeError("no rating-scale check is registered: create the app with create_app")
    return any(check(programme_id) for check in checks)


def one_of(value: str, allowed: tuple[str, ...], field: str) -> str:
    """``value`` if it is allowed; Invalid naming ``field`` otherwise."""
    if value not in allowed:
        raise Invalid(gettext("%(field)s %(value)s is not recognised.", field=field,
                              value=repr(value)),
                      errors={field: [gettext("Must be one of: %(choices)s.",
                                              choices=", ".join(allowed))]})
    return value


# --- the programme -------------------------------------------------------------------------

def default_programme() -> Programme:
    """The programme new cohorts join when none is named: the only one, or the first."""
    programme = db.session.scalar(sa.select(Programme).order_by(Programme.id).limit(1))
    if programme is None:
        raise Conflict(gettext("No programme exists yet; load it with `flask lms seed`."))
    return programme


def get_programme(programme_id: int | None) -> Programme:
    """A programme by id (None: the default one), or NotFound."""
    if programme_id is None:
        return default_programme()
    programme = db.session.get(Programme, programme_id)
    if programme is None:
        raise NotFound(gettext("There is no programme with id %(id)s.", id=programme_id))
    return programme


#: The Welsh each of a programme's English texts has.
WELSH_OF = {"name": "name_cy", "description": "description_cy", "rating_scale": "scale_labels_cy"}


def update_programme(programme: Programme, changes: dict[str, Any]) -> Programme:
    """Change a programme's name, description, scale or minimum group size.

    The rating scale cannot change once any rating uses it: old answers would change meaning.
    """
    if "reminder_days" in changes:
        changes = {**changes, "reminder_days": sorted(changes["reminder_days"], reverse=True)}
    applied = {k: v for k, v in changes.items() if getattr(programme, k) != v}
    if "rating_scale" in applied and scale_in_use(programme.id):
        raise Conflict(gettext("The rating scale cannot change: ratings have already been "
                               "given on it."))
    for key, value in applied.items():
        setattr(programme, key, value)
    # Welsh that said what the English said before it changed would now mislead: the pages
    # show the new English, marked as English, until the seed gives it Welsh again.
    for english, welsh in WELSH_OF.items():
        if english in applied:
            setattr(programme, welsh, None)
    if applied:
        record("programme.update", programme, **applied)
    return programme


# --- organisations -------------------------------------------------------------------------

def name_key(name: str) -> str:
    """The form of an organisation's name used to tell two organisations apart."""
    return " ".join(name.split()).casefold()


def find_organisation(name: str) -> Organisation | None:
    """The organisation with this name (ignoring case and spacing), or None."""
    return db.session.scalar(sa.select(Organisation).filter_by(name_key=name_key(name)))


def create_organisation(name: str, type_: str, sector: str) -> Organisation:
    """Create an organisation; Conflict if one of that name exists."""
    clean = " ".join(name.split())
    if not clean:
        raise Invalid(gettext("An organisation needs a name."),
                      errors={"name": [gettext("Required.")]})
    one_of(type_, ORGANISATION_TYPES, "type")
    one_of(sector, SECTORS, "sector")
    if find_organisation(clean) is not None:
        raise Conflict(organisation_exists(clean))
    organisation = Organisation(name=clean, name_key=name_key(clean), type=type_, sector=sector)
    db.session.add(organisation)
    db.session.flush()
    record("organisation.create", organisation, name=clean, type=type_, sector=sector)
    return organisation


def organisation_exists(name: str) -> str:
    """The refusal of a second organisation of the same name."""
    return gettext("An organisation called %(name)s already exists.", name=repr(name))


def get_organisation(organisation_id: int) -> Organisation:
    """An organisation by id, or NotFound."""
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound(gettext("There is no organisation with id %(id)s.", id=organisation_id))
    return organisation


def update_organisation(organisation: Organisation, changes: dict[str, Any]) -> Organisation:
    """Rename an organisation or correct its type or sector."""
    if "name" in changes:
        clean = " ".join(changes["name"].split())
        other = find_organisation(clean)
        if other is not None and other.id != organisation.id:
            raise Conflict(organisation_exists(clean))
        changes = {**changes, "name": clean}
        organisation.name_key = name_key(clean)
    if "type" in changes:
        one_of(changes["type"], ORGANISATION_TYPES, "type")
    if "sector" in changes:
        one_of(changes["sector"], SECTORS, "sector")
    for key, value in changes.items():
        setattr(organisation, key, value)
    record("organisation.update", organisation, **changes)
    return organisation


# --- cohorts -------------------------------------------------------------------------------

def check_dates(starts_on: dt.date, ends_on: dt.date) -> None:
    """A cohort ends on or after the day it starts."""
    if ends_on < starts_on:
        raise Invalid(gettext("A cohort cannot end before it starts."),
                      errors={"ends_on": [gettext("Must be on or after starts_on.")]})


#: Every window's dates: the self-assessments', then the 360 rounds' own.
WINDOWS = ("pre_opens_on", "pre_closes_on", "post_opens_on", "post_closes_on",
           "feedback_pre_opens_on", "feedback_pre_closes_on", "feedback_post_opens_on",
           "feedback_post_closes_on")


#: How a refusal names each window with dates.
WINDOW_NAMES = {"pre": _l("pre window"), "post": _l("post window"),
                "feedback_pre": _l("pre 360 round"), "feedback_post": _l("post 360 round")}


def check_windows(values: dict[str, Any], ends_on: dt.date | None = None) -> None:
    """Each self-assessment window (and 360 round with dates of its own) has both dates or
    none and closes on or after it opens;
    the post window opens after the pre window closes; no window closes after the cohort
    ends. Each refusal names its field."""
    for phase in ("pre", "post", "feedback_pre", "feedback_post"):
        opens, closes = values.get(f"{phase}_opens_on"), values.get(f"{phase}_closes_on")
        name = WINDOW_NAMES[phase]
        if (opens is None) != (closes is None):
            missing = f"{phase}_opens_on" if opens is None else f"{phase}_closes_on"
            raise Invalid(gettext("The %(window)s needs both dates, or neither.", window=name),
                          errors={missing: [gettext("Give both dates or neither.")]})
        if opens is not None and closes < opens:
            raise Invalid(gettext("The %(window)s closes before it opens.", window=name),
                          errors={f"{phase}_closes_on": [gettext(
                              "Must be on or after %(field)s.", field=f"{phase}_opens_on")]})
        if closes is not None and ends_on is not None and closes > ends_on:
            raise Invalid(gettext("The %(window)s closes after the cohort ends (%(date)s).",
                                  window=name, date=ends_on),
                          errors={f"{phase}_closes_on": [gettext("Must be on or before "
                                                                 "ends_on.")]})
    pre_closes, post_opens = values.get("pre_closes_on"), values.get("post_opens_on")
    if pre_closes is not None and post_opens is not None and post_opens <= pre_closes:
        raise Invalid(gettext("The post window must open after the pre window closes."),
                      errors={"post_opens_on": [gettext("Must be after pre_closes_on.")]})


def create_cohort(name: str, starts_on: dt.date, ends_on: dt.date,
                  programme_id: int | None = None, status: str = "planned",
                  **windows: dt.date | None) -> Cohort:
    """Create a cohort in a programme; Conflict if the programme has one of that name."""
    programme = get_programme(programme_id)
    clean = name.strip()
    if not clean:
        raise Invalid(gettext("A cohort needs a name."), errors={"name": [gettext("Required.")]})
    check_dates(starts_on, ends_on)
    check_windows(windows, ends_on)
    one_of(status, COHORT_STATUSES, "status")
    if db.session.scalar(sa.select(Cohort.id).filter_by(programme_id=programme.id, name=clean)):
        raise Conflict(gettext("The programme already has a cohort called %(name)r.",
                               name=clean))
    cohort = Cohort(programme=programme, name=clean, starts_on=starts_on, ends_on=ends_on,
                    status=status, **windows)
    db.session.add(cohort)
    db.session.flush()
    record("cohort.create", cohort, name=clean, starts_on=str(starts_on), ends_on=str(ends_on))
    return cohort


def update_cohort(cohort: Cohort, changes: dict[str, Any]) -> Cohort:
    """Change a cohort's name, dates or status."""
    ends_on = changes.get("ends_on", cohort.ends_on)
    check_dates(changes.get("starts_on", cohort.starts_on), ends_on)
    check_windows({name: changes.get(name, getattr(cohort, name)) for name in WINDOWS}, ends_on)
    if "status" in changes:
        one_of(changes["status"], COHORT_STATUSES, "status")
    if "name" in changes:
        clean = changes["name"].strip()
        clash = db.session.scalar(sa.select(Cohort.id).filter_by(
            programme_id=cohort.programme_id, name=clean))
        if clash is not None and clash != cohort.id:
            raise Conflict(gettext("The programme already has a cohort called %(name)r.",
                                   name=clean))
        changes = {**changes, "name": clean}
    for key, value in changes.items():
        setattr(cohort, key, value)
    record("cohort.update", cohort, **{k: str(v) for k, v in changes.items()})
    return cohort


def cohort_head_counts(cohort_ids: list[int]) -> dict[int, dict[str, int]]:
    """Participants and tutors per cohort, in one query."""
    rows = db.session.execute(
        sa.select(Enrolment.cohort_id, Enrolment.role, sa.func.count())
        .where(Enrolment.cohort_id.in_(cohort_ids))
        .group_by(Enrolment.cohort_id, Enrolment.role)
    )
    counts = {cid: {"participants": 0, "tutors": 0} for cid in cohort_ids}
    for cohort_id, role, count in rows:
        counts[cohort_id][f"{role}s"] = count
    return counts


# --- enrolments ----------------------------------------------------------------------------

def leadership_levels() -> list[LeadershipLevel]:
    """The framework's leadership levels, in order."""
    return db.session.scalars(sa.select(LeadershipLevel).order_by(LeadershipLevel.position)).all()


def leadership_level(code: str, field: str = "leadership_level") -> LeadershipLevel:
    """A leadership level by code; Invalid naming ``field`` otherwise."""
    level = db.session.scalar(sa.select(LeadershipLevel).filter_by(code=code))
    if level is None:
        known = ", ".join(db.session.scalars(
            sa.select(LeadershipLevel.code).order_by(LeadershipLevel.position)))
        raise Invalid(gettext("Unknown leadership level %(code)s.", code=repr(code)),
                      errors={field: [gettext("Must be one of: %(choices)s.", choices=known)
                                      if known else gettext("No levels are loaded yet.")]})
    return level


def enrolment_role_allowed(user: User, role: str) -> bool:
    """Participants enrol as participants; tutors (and admins) as tutors."""
    allowed = {"participant": {"participant"}, "tutor": {"tutor", "admin"}}
    return user.role in allowed[role]


def list_enrolments(cohort: Cohort) -> list[Enrolment]:
    """Everyone in a cohort with their organisation and level, tutors first, in one query."""
    return db.session.scalars(
        sa.select(Enrolment).where(Enrolment.cohort_id == cohort.id)
        .options(joinedload(Enrolment.user), joinedload(Enrolment.organisation),
                 joinedload(Enrolment.leadership_level))
        .join(Enrolment.user).order_by(Enrolment.role.desc(), User.display_name, User.id)
    ).all()


def enrolled_as(cohort: Cohort, user_id: int, role: str) -> Enrolment:
    """The person's enrolment in ``cohort`` as ``role``; NotFound if they are not one."""
    enrolment = db.session.scalar(sa.select(Enrolment).filter_by(
        cohort_id=cohort.id, user_id=user_id, role=role))
    if enrolment is None:
        raise NotFound(gettext("User %(id)s is not a %(role)s of this cohort.", id=user_id,
                               role=role))
    return enrolment


def participant_in(cohort: Cohort, user_id: int) -> Enrolment:
    """The enrolment of a participant of ``cohort``; NotFound if they are not one."""
    return enrolled_as(cohort, user_id, "participant")


def remove_tutor(cohort: Cohort, user_id: int) -> None:
    """Take a tutor off a cohort; NotFound for anyone who is not its tutor (a participant
    leaves a cohort by ``withdraw``, which the flow counts)."""
    enrolled_as(cohort, user_id, "tutor")
    withdraw(cohort, user_id)


def enrolments_of(user: User) -> list[Enrolment]:
    """The person's enrolments, with their cohorts, in the order they were made."""
    return db.session.scalars(
        sa.select(Enrolment).filter_by(user_id=user.id).options(joinedload(Enrolment.cohort))
        .order_by(Enrolment.id)).all()


def sponsorships_of(user: User) -> list[Sponsorship]:
    """What the person sponsors, in the order it was granted."""
    return db.session.scalars(
        sa.select(Sponsorship).filter_by(user_id=user.id).order_by(Sponsorship.id)).all()


def enrol(cohort: Cohort, user: User, role: str, organisation: Organisation | None = None,
          level: LeadershipLevel | None = None) -> Enrolment:
    """Put a person in a cohort; Conflict if they are already in it."""
    one_of(role, ("participant", "tutor"), "role")
    if not enrolment_role_allowed(user, role):
        raise Invalid(gettext("%(email)s is a %(has)s and cannot be enrolled as a %(role)s.",
                              email=user.email, has=user.role, role=role),
                      errors={"role": [gettext("%(email)s has the role %(role)s.",
                                               email=user.email, role=user.role)]})
    if role == "participant" and (organisation is None or level is None):
        raise Invalid(gettext("A participant needs an organisation and a leadership level."),
                      errors={"organisation_id": [gettext("Required for participants.")],
                              "leadership_level": [gettext("Required for participants.")]})
    if db.session.scalar(sa.select(Enrolment.id).filter_by(cohort_id=cohort.id, user_id=user.id)):
        raise Conflict(gettext("%(email)s is already enrolled in this cohort.",
                               email=user.email))
    enrolment = Enrolment(cohort=cohort, user=user, role=role, organisation=organisation,
                          leadership_level=level)
    db.session.add(enrolment)
    db.session.flush()
    record("enrolment.create", enrolment, cohort_id=cohort.id, user_id=user.id, role=role)
    return enrolment


def withdraw(cohort: Cohort, user_id: int) -> None:
    """Take a person out of a cohort."""
    enrolment = db.session.scalar(
        sa.select(Enrolment).filter_by(cohort_id=cohort.id, user_id=user_id))
    if enrolment is None:
        raise NotFound(gettext("User %(id)s is not enrolled in this cohort.", id=user_id))
    record("enrolment.delete", enrolment, cohort_id=cohort.id, user_id=user_id)
    db.session.delete(enrolment)
    db.session.flush()


# --- sponsors ------------------------------------------------------------------------------

def add_sponsor(user: User, *, programme: Programme | None = None,
                cohort: Cohort | None = None) -> Sponsorship:
    """Make a sponsor a sponsor of a programme or of one cohort (no-op if already)."""
    if user.role != "sponsor":
        raise Invalid(gettext("%(email)s is a %(role)s, not a sponsor.", email=user.email,
                              role=user.role),
                      errors={"user_id": [gettext("Only users with the role sponsor can "
                                                  "sponsor.")]})
    scope = {"programme_id": programme.id} if programme else {"cohort_id": cohort.id}
    existing = db.session.scalar(sa.select(Sponsorship).filter_by(user_id=user.id, **scope))
    if existing is not None:
        return existing
    sponsorship = Sponsorship(user=user, programme=programme, cohort=cohort)
    db.session.add(sponsorship)
    db.session.flush()
    record("sponsorship.create", sponsorship, user_id=user.id, **scope)
    return sponsorship


def list_sponsors(*, programme: Programme | None = None,
                  cohort: Cohort | None = None) -> list[Sponsorship]:
    """The sponsorships of a programme or of a cohort."""
    scope = {"programme_id": programme.id} if programme else {"cohort_id": cohort.id}
    return db.session.scalars(
        sa.select(Sponsorship).filter_by(**scope).options(joinedload(Sponsorship.user))
        .order_by(Sponsorship.id)
    ).all()


def remove_sponsor(user_id: int, *, programme: Programme | None = None,
                   cohort: Cohort | None = None) -> None:
    """End a sponsorship of a programme or of a cohort."""
    scope = {"programme_id": programme.id} if programme else {"cohort_id": cohort.id}
    sponsorship = db.session.scalar(sa.select(Sponsorship).filter_by(user_id=user_id, **scope))
    if sponsorship is None:
        raise NotFound(gettext("User %(id)s does not sponsor this.", id=user_id))
    record("sponsorship.delete", sponsorship, user_id=user_id, **scope)
    db.session.delete(sponsorship)
    db.session.flush()
