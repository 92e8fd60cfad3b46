"""Self-assessments: windows, drafts, submission, reopening, and the tutor's overview.

Services flush but never commit; the request commits once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask_babel import gettext
from sqlalchemy.orm import joinedload, selectinload

from lms.accounts.models import User
from lms.audit.service import record
from lms.cohorts.models import Cohort, Enrolment, Organisation, Programme
from lms.cohorts.service import SCALE_LOCKS, participant_in
from lms.core import data_version
from lms.core.db_types import utcnow
from lms.core.errors import Conflict, Invalid, NotFound
from lms.core.events import assessment_reopened, changing_answers
from lms.core.extensions import db
from lms.core.i18n import long_date
from lms.framework.models import Behaviour, Theme
from lms.ratings.models import PHASES, Assessment, Rating

NOT_APPLICABLE = "na"


# --- what a participant is asked -----------------------------------------------------------

def behaviours_for_sector(sector: str | None) -> list[Behaviour]:
    """The behaviours a participant from an organisation of ``sector`` rates, in order.

    Everyone rates the behaviours for all; DT.8 is for commissioners, DT.9 for providers,
    and an organisation that does both rates both.
    """
    kinds = {"all"} | ({"commissioning", "providing"} if sector == "both" else {sector or ""})
    return db.session.scalars(
        sa.select(Behaviour).join(Theme).where(Behaviour.applies_to.in_(kinds))
        .options(joinedload(Behaviour.theme))
        .order_by(Theme.position, Behaviour.position)).all()


def scale_values(programme: Programme) -> list[int]:
    """The points of a programme's rating scale, lowest first."""
    return [point["value"] for point in programme.rating_scale]


def window(cohort: Cohort, phase: str) -> tuple[dt.date | None, dt.date | None]:
    """The dates a phase is open (``then`` is collected with ``post``)."""
    if phase == "pre":
        return cohort.pre_opens_on, cohort.pre_closes_on
    return cohort.post_opens_on, cohort.post_closes_on


def last_day(cohort: Cohort, phase: str, assessment: Assessment | None) -> dt.date | None:
    """The last day a participant may change a phase: the window's, or later by a tutor's
    extension for them."""
    _opens, closes = window(cohort, phase)
    extended = assessment.extended_until if assessment is not None else None
    if extended is None:
        return closes
    return extended if closes is None else max(closes, extended)


def window_problem(cohort: Cohort, phase: str, today: dt.date,
                   assessment: Assessment | None = None) -> str | None:
    """Why a phase cannot be changed today, or None if its window is open (or a tutor's
    extension for this participant runs until today or later)."""
    extended = assessment.extended_until if assessment is not None else None
    if extended is not None and today <= extended:
        return None
    opens, closes = window(cohort, phase)
    label = gettext("retrospective (then)") if phase == "then" else phase
    if opens is None or closes is None:
        return gettext("The %(phase)s self-assessment of %(cohort)s has no dates set yet.",
                       phase=label, cohort=cohort.name)
    if not opens <= today <= closes:
        said = gettext("The %(phase)s self-assessment is open from %(opens)s to %(closes)s; "
                       "today it cannot be changed.", phase=label, opens=long_date(opens),
                       closes=long_date(closes))
        if extended is not None:
            said += " " + gettext("Your tutor's extension ended on %(date)s.",
                                  date=long_date(extended))
        return said
    return None


def check_phase(phase: str) -> str:
    """``phase`` if it is one of pre, then, post; NotFound otherwise (it is part of a path)."""
    if phase not in PHASES:
        raise NotFound(gettext("There is no phase %(phase)r; the phases are pre, then and "
                               "post.", phase=phase))
    return phase


# --- the participant's side ----------------------------------------------------------------

def participant_enrolment(user: User, cohort_id: int | None = None) -> Enrolment:
    """The caller's enrolment as a participant: in ``cohort_id``, or their latest cohort."""
    query = (sa.select(Enrolment).join(Cohort)
             .where(Enrolment.user_id == user.id, Enrolment.role == "participant")
             .options(joinedload(Enrolment.cohort).joinedload(Cohort.programme),
                      joinedload(Enrolment.organisation))
             .order_by(Cohort.starts_on.desc(), Cohort.id.desc()))
    if cohort_id is not None:
        query = query.where(Enrolment.cohort_id == cohort_id)
    enrolment = db.session.scalars(query.limit(1)).first()
    if enrolment is None:
        raise NotFound(gettext("You are not a participant of that cohort.") if cohort_id
                       else gettext("You are not a participant of any cohort."))
    return enrolment


def find_assessment(cohort_id: int, user_id: int, phase: str) -> Assessment | None:
    """The assessment of one participant and phase, with its ratings, or None."""
    return db.session.scalar(
        sa.select(Assessment).filter_by(cohort_id=cohort_id, user_id=user_id, phase=phase)
        .options(selectinload(Assessment.ratings).joinedload(Rating.behaviour)))


def parse_answers(raw: dict[str, Any], asked: dict[str, Behaviour], values: list[int],
                  no_point: str = NOT_APPLICABLE
                  ) -> tuple[dict[int, int | None], dict[str, list[str]]]:
    """Answers by behaviour id, and the problems by behaviour code.

    An answer is a whole number on the scale, or ``no_point`` ("na" for a participant,
    "not_observed" for a 360 rater), stored as NULL. Booleans, floats, numeric strings,
    nulls and numbers off the scale are refused, each naming the behaviour.
    """
    answers: dict[int, int | None] = {}
    problems: dict[str, list[str]] = {}
    for code, value in raw.items():
        behaviour = asked.get(code.upper()) if isinstance(code, str) else None
        if behaviour is None:
            problems[str(code)] = [gettext("%(code)r is not a behaviour you are asked to rate",
                                           code=code)]
        elif value == no_point:
            answers[behaviour.id] = None
        elif isinstance(value, int) and not isinstance(value, bool) and value in values:
            answers[behaviour.id] = value
        else:
            problems[code] = [gettext("must be a whole number from %(low)d to %(high)d, or "
                                      "“%(none)s”; got %(value)s", low=values[0],
                                      high=values[-1], none=no_point,
                                      value=repr(value)[:100])]
    return answers, problems


def save_answers(assessment: Assessment, answers: dict[int, int | None]) -> None:
    """Add or change the given answers of an assessment; others are left as they are."""
    existing = {rating.behaviour_id: rating for rating in assessment.ratings}
    for behaviour_id, value in answers.items():
        if behaviour_id in existing:
            existing[behaviour_id].value = value
        else:
            assessment.ratings.append(Rating(behaviour_id=behaviour_id, value=value))
    assessment.updated_at = utcnow()


def save_draft(user: User, phase: str, raw: dict[str, Any], cohort_id: int | None = None,
               today: dt.date | None = None) -> Assessment:
    """Save any subset of a participant's answers for a phase (a draft to come back to)."""
    check_phase(phase)
    enrolment = participant_enrolment(user, cohort_id)
    cohort = enrolment.cohort
    assessment = find_assessment(cohort.id, user.id, phase)
    problem = window_problem(cohort, phase, today or dt.date.today(), assessment)
    if problem:
        raise Conflict(problem)
    asked = {b.code: b for b in behaviours_for_sector(sector_of(enrolment))}
    answers, problems = parse_answers(raw, asked, scale_values(cohort.programme))
    if problems:
        raise Invalid(gettext("Some answers cannot be saved; nothing was changed."),
                      errors={"ratings": problems})
    if assessment is None:
        assessment = Assessment(cohort=cohort, user=user, phase=phase)
        db.session.add(assessment)
    elif assessment.status == "submitted":
        raise Conflict(gettext("Your %(phase)s self-assessment is submitted and locked; ask "
                               "your tutor to reopen it if something needs changing.",
                               phase=phase))
    save_answers(assessment, answers)
    db.session.flush()
    return assessment


def sector_of(enrolment: Enrolment) -> str | None:
    """Whether the participant's organisation commissions, provides, or both."""
    return enrolment.organisation.sector if enrolment.organisation else None


def submit(user: User, phase: str, cohort_id: int | None = None,
           today: dt.date | None = None) -> Assessment:
    """Submit a complete assessment; it is locked from then on.

    The status changes by one conditional UPDATE, so of two submissions at once exactly one
    succeeds and the other is answered 409.
    """
    check_phase(phase)
    enrolment = participant_enrolment(user, cohort_id)
    assessment = find_assessment(enrolment.cohort_id, user.id, phase)
    problem = window_problem(enrolment.cohort, phase, today or dt.date.today(), assessment)
    if problem:
        raise Conflict(problem)
    if assessment is not None and assessment.status == "submitted":
        raise Conflict(gettext("Your %(phase)s self-assessment is already submitted.",
                               phase=phase))
    asked = behaviours_for_sector(sector_of(enrolment))
    answered = {r.behaviour_id for r in assessment.ratings} if assessment else set()
    missing = [b.code for b in asked if b.id not in answered]
    if missing:
        shown = ", ".join(missing[:10]) + (" …" if len(missing) > 10 else "")
        raise Invalid(gettext("Answer every behaviour before submitting: %(count)d missing "
                              "(%(codes)s).", count=len(missing), codes=shown),
                      errors={"ratings": {"missing": missing}})
    now = utcnow()
    with changing_answers(enrolment.cohort_id, [user.id]):
        # Marked with its cohort and phase, so that only this cohort's answers (and, for a
        # pre one, the baseline) are renewed (lms.core.data_version).
        changed = db.session.execute(
            sa.update(Assessment).where(Assessment.id == assessment.id,
                                        Assessment.status == "draft")
            .values(status="submitted", submitted_at=now, updated_at=now),
            execution_options={data_version.COHORT_OPTION: enrolment.cohort_id,
                               data_version.PHASE_OPTION: phase}).rowcount
        if changed != 1:
            raise Conflict(gettext("Your %(phase)s self-assessment is already submitted.",
                                   phase=phase))
    db.session.refresh(assessment)
    record("assessment.submit", assessment, phase=phase)
    return assessment


def my_assessments(user: User, cohort_id: int | None = None,
                   today: dt.date | None = None) -> dict[str, Any]:
    """Every phase of the caller's self-assessment: window, open or not, status, progress."""
    today = today or dt.date.today()
    enrolment = participant_enrolment(user, cohort_id)
    cohort = enrolment.cohort
    required = len(behaviours_for_sector(sector_of(enrolment)))
    assessments = {a.phase: a for a in db.session.scalars(
        sa.select(Assessment).filter_by(cohort_id=cohort.id, user_id=user.id)
        .options(selectinload(Assessment.ratings)))}
    phases = []
    for phase in PHASES:
        opens, _closes = window(cohort, phase)
        assessment = assessments.get(phase)
        phases.append({
            "phase": phase, "opens_on": opens,
            "closes_on": last_day(cohort, phase, assessment),
            "open": window_problem(cohort, phase, today, assessment) is None,
            "reopen_reason": reopen_reason(assessment),
            "status": assessment.status if assessment else "not_started",
            "answered": len(assessment.ratings) if assessment else 0, "required": required,
            "submitted_at": assessment.submitted_at if assessment else None,
        })
    return {"cohort_id": cohort.id, "cohort_name": cohort.name, "phases": phases}


def assessment_view(user: User, phase: str, cohort_id: int | None = None,
                    today: dt.date | None = None) -> dict[str, Any]:
    """One phase: the behaviours asked, the scale, and the answers so far."""
    check_phase(phase)
    enrolment = participant_enrolment(user, cohort_id)
    cohort = enrolment.cohort
    assessment = find_assessment(cohort.id, user.id, phase)
    opens, _closes = window(cohort, phase)
    return {
        "phase": phase, "cohort_id": cohort.id, "opens_on": opens,
        "closes_on": last_day(cohort, phase, assessment),
        "open": window_problem(cohort, phase, today or dt.date.today(), assessment) is None,
        "reopen_reason": reopen_reason(assessment),
        "status": assessment.status if assessment else "not_started",
        "submitted_at": assessment.submitted_at if assessment else None,
        "scale": cohort.programme.rating_scale,
        "sector": sector_of(enrolment),
        "organisation": enrolment.organisation.name if enrolment.organisation else None,
        "behaviours": behaviours_for_sector(sector_of(enrolment)),
        "ratings": answers_by_code(assessment),
    }


def reopen_reason(assessment: Assessment | None) -> str | None:
    """What the tutor wrote when they reopened a draft the participant is still to resubmit."""
    if assessment is None or assessment.status != "draft":
        return None
    return assessment.reopen_reason


def answers_by_code(assessment: Assessment | None) -> dict[str, int | str]:
    """An assessment's answers as ``{"SI.1": 4, "DT.8": "na"}``."""
    if assessment is None:
        return {}
    return {r.behaviour.code: NOT_APPLICABLE if r.value is None else r.value
            for r in sorted(assessment.ratings, key=lambda r: r.behaviour_id)}


# --- the tutor's side ----------------------------------------------------------------------

#: How far ahead a tutor may extend one person's window (a guard against mistyped years).
MAX_EXTENSION_DAYS = 366


def check_extension(cohort: Cohort, phase: str, closes_on: dt.date | None,
                    today: dt.date) -> None:
    """A closed (or undated) window needs a new last day, today or later, to reopen into."""
    _opens, closes = window(cohort, phase)
    window_closed = closes is None or closes < today
    if closes_on is None:
        if window_closed:
            said = (gettext("The %(phase)s self-assessment window closed on %(date)s: give "
                            "the participant a new closing date (closes_on) so they can "
                            "submit it again.", phase=phase, date=long_date(closes))
                    if closes is not None else
                    gettext("The %(phase)s self-assessment window has no dates set: give the "
                            "participant a new closing date (closes_on) so they can submit "
                            "it again.", phase=phase))
            raise Invalid(said, errors={"closes_on": [gettext("Required: the window has "
                                                              "closed.")]})
        return
    if closes_on < today:
        raise Invalid(gettext("The new closing date is in the past."),
                      errors={"closes_on": [gettext("Must be today (%(date)s) or later.",
                                                    date=long_date(today))]})
    if (closes_on - today).days > MAX_EXTENSION_DAYS:
        raise Invalid(gettext("The new closing date is more than a year away."),
                      errors={"closes_on": [gettext("Must be within a year of today.")]})


def reopen(cohort: Cohort, user_id: int, phase: str, reason: str,
           closes_on: dt.date | None = None, today: dt.date | None = None) -> Assessment:
    """Unlock a submitted assessment so the participant can correct and resubmit it; after
    its window has closed, only with a new closing date for that participant."""
    check_phase(phase)
    today = today or dt.date.today()
    assessment = find_assessment(cohort.id, user_id, phase)
    if assessment is None:
        raise NotFound(gettext("User %(id)s has no %(phase)s self-assessment in this cohort.",
                               id=user_id, phase=phase))
    if assessment.status != "submitted":
        raise Conflict(gettext("The %(phase)s self-assessment is not submitted, so it is "
                               "already open.", phase=phase))
    check_extension(cohort, phase, closes_on, today)
    with changing_answers(cohort.id, [user_id]):
        assessment.status = "draft"
        assessment.reopened_at = assessment.updated_at = utcnow()
        assessment.reopen_reason = reason
        if closes_on is not None:
            assessment.extended_until = closes_on
    # The reason is typed by the tutor: it stays on the assessment (which erasure blanks),
    # never in the audit log.
    extension = {"closes_on": closes_on.isoformat()} if closes_on is not None else {}
    record("assessment.reopen", assessment, user_id=user_id, phase=phase, **extension)
    db.session.flush()
    assessment_reopened.send(assessment)
    return assessment


def required_by_sector() -> dict[str | None, int]:
    """How many behaviours a participant of each sector rates: one query."""
    counts = dict(db.session.execute(
        sa.select(Behaviour.applies_to, sa.func.count()).group_by(Behaviour.applies_to)).all())
    everyone = counts.get("all", 0)
    return {None: everyone, "commissioning": everyone + counts.get("commissioning", 0),
            "providing": everyone + counts.get("providing", 0),
            "both": everyone + counts.get("commissioning", 0) + counts.get("providing", 0)}


def cohort_assessments(cohort: Cohort) -> dict[str, Any]:
    """Who has submitted which phase, who has a draft, who has not started: four queries."""
    people = db.session.execute(
        sa.select(User.id, User.display_name, Organisation.sector)
        .join(Enrolment, Enrolment.user_id == User.id)
        .outerjoin(Organisation, Enrolment.organisation_id == Organisation.id)
        .where(Enrolment.cohort_id == cohort.id, Enrolment.role == "participant")
        .order_by(User.display_name, User.id)).all()
    rows = db.session.execute(
        sa.select(Assessment.user_id, Assessment.phase, Assessment.status,
                  Assessment.submitted_at, sa.func.count(Rating.id))
        .outerjoin(Rating, Rating.assessment_id == Assessment.id)
        .where(Assessment.cohort_id == cohort.id)
        .group_by(Assessment.id, Assessment.user_id, Assessment.phase, Assessment.status,
                  Assessment.submitted_at)).all()
    found = {(user_id, phase): (status, submitted_at, answered)
             for user_id, phase, status, submitted_at, answered in rows}
    required = required_by_sector()
    participants = []
    for user_id, name, sector in people:
        phases = {}
        for phase in PHASES:
            status, submitted_at, answered = found.get((user_id, phase), ("not_started", None, 0))
            phases[phase] = {"status": status, "answered": answered,
                             "required": required.get(sector, required[None]),
                             "submitted_at": submitted_at}
        participants.append({"user_id": user_id, "display_name": name, "phases": phases})
    windows = {phase: dict(zip(("opens_on", "closes_on"), window(cohort, phase), strict=True))
               for phase in PHASES}
    return {"cohort_id": cohort.id, "windows": windows, "participants": participants}


def participant_assessment(cohort: Cohort, user_id: int, phase: str) -> dict[str, Any]:
    """A participant's answers for one phase, as their tutor sees them."""
    check_phase(phase)
    participant_in(cohort, user_id)
    assessment = find_assessment(cohort.id, user_id, phase)
    return {"user_id": user_id, "phase": phase,
            "status": assessment.status if assessment else "not_started",
            "submitted_at": assessment.submitted_at if assessment else None,
            "reopened_at": assessment.reopened_at if assessment else None,
            "reopen_reason": assessment.reopen_reason if assessment else None,
            "extended_until": assessment.extended_until if assessment else None,
            "ratings": answers_by_code(assessment)}


def init_ratings(app: Flask) -> None:
    """Register what this feature adds to the ones below it: a programme's rating scale is
    fixed once any rating was given on it."""
    checks = app.extensions.setdefault(SCALE_LOCKS, [])
    if programme_has_ratings not in checks:
        checks.append(programme_has_ratings)


def programme_has_ratings(programme_id: int) -> bool:
    """Whether any rating was given in any cohort of the programme (the scale is then fixed)."""
    return bool(db.session.scalar(sa.select(sa.exists().where(
        Rating.assessment_id == Assessment.id, Assessment.cohort_id == Cohort.id,
        Cohort.programme_id == programme_id))))
