"""A tutor or administrator writing to a cohort: everyone, those at risk, or those who have
not submitted a phase. Each recipient gets their own copy (a Message)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from lms.accounts.models import User
from lms.audit.service import record
from lms.cohorts.models import Cohort, Enrolment
from lms.core.errors import Invalid
from lms.core.extensions import db
from lms.curriculum.progress import cohort_progress
from lms.messaging import outbox
from lms.messaging.models import CohortMessage
from lms.ratings.models import PHASES, Assessment

AUDIENCES = ("all", "at_risk", *(f"not_submitted:{phase}" for phase in PHASES))
AUDIENCE_NAMES = {"all": _l("everyone in the cohort"), "at_risk": _l("participants at risk"),
                  "not_submitted:pre": _l("those who have not submitted pre"),
                  "not_submitted:then": _l("those who have not submitted then"),
                  "not_submitted:post": _l("those who have not submitted post")}
MAX_SUBJECT = 200
MAX_BODY = 20_000


def check_audience(audience: str) -> str:
    """The audience if it is one; Invalid naming the field ``to`` otherwise."""
    if audience not in AUDIENCES:
        raise Invalid(gettext("Unknown audience %(audience)r.", audience=audience),
                      errors={"to": [gettext("Must be one of: %(choices)s.",
                                             choices=", ".join(AUDIENCES))]})
    return audience


def recipients(cohort: Cohort, audience: str, today: dt.date | None = None) -> list[User]:
    """The cohort's active participants that ``audience`` names, by name."""
    check_audience(audience)
    query = (sa.select(User).join(Enrolment, Enrolment.user_id == User.id)
             .where(Enrolment.cohort_id == cohort.id, Enrolment.role == "participant",
                    User.active.is_(True))
             .order_by(User.display_name, User.id))
    if audience == "at_risk":
        at_risk = [p.user_id for p in cohort_progress(cohort, today)["participants"]
                   if p.at_risk]
        query = query.where(User.id.in_(at_risk))
    elif audience.startswith("not_submitted:"):
        phase = audience.split(":", 1)[1]
        query = query.where(User.id.not_in(sa.select(Assessment.user_id).where(
            Assessment.cohort_id == cohort.id, Assessment.phase == phase,
            Assessment.status == "submitted")))
    return list(db.session.scalars(query))


def audience_counts(cohort: Cohort) -> dict[str, int]:
    """How many each audience would reach now (the form's preview): a fixed number of
    queries, whatever the cohort's size."""
    return {audience: len(recipients(cohort, audience)) for audience in AUDIENCES}


def checked_text(subject: str, body: str) -> tuple[str, str]:
    """The subject and body, trimmed; Invalid naming each field that is wrong."""
    errors: dict[str, list[str]] = {}
    subject = (subject or "").strip()
    # Forms send CRLF line ends; the message is kept with plain ones (paragraphs are "\n\n").
    body = (body or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if not subject:
        errors["subject"] = [gettext("Write a subject.")]
    elif "\r" in subject or "\n" in subject:
        errors["subject"] = [gettext("A subject is one line: remove the line breaks.")]
    elif len(subject) > MAX_SUBJECT:
        errors["subject"] = [gettext("Use at most %(most)s characters; this has %(count)s.",
                                     most=MAX_SUBJECT, count=len(subject))]
    if not body:
        errors["body"] = [gettext("Write the message.")]
    elif len(body) > MAX_BODY:
        errors["body"] = [gettext("Use at most %(most)s characters; this has %(count)s.",
                                  most=f"{MAX_BODY:,}", count=f"{len(body):,}")]
    if errors:
        raise Invalid(gettext("The message was not sent."), errors=errors)
    return subject, body


def send_to_cohort(cohort: Cohort, author: User, subject: str, body: str,
                   audience: str) -> CohortMessage:
    """Queue a copy of the message for each recipient; Invalid if there are none."""
    subject, body = checked_text(subject, body)
    people = recipients(cohort, audience)
    if not people:
        raise Invalid(gettext("Nobody would receive this message."),
                      errors={"to": [gettext("Nobody in %(cohort)s is in this group just now: "
                                             "%(audience)s.", cohort=cohort.name,
                                             audience=AUDIENCE_NAMES[audience])]})
    written = CohortMessage(cohort=cohort, author=author, audience=audience, subject=subject,
                            body=body)
    db.session.add(written)
    db.session.flush()
    for person in people:
        outbox.queue_message("cohort_message", person, f"cohort:{written.id}:{person.id}",
                             {"cohort_id": cohort.id}, cohort_message=written, known_new=True)
    # Who wrote to how many, never what they wrote.
    record("cohort.message", cohort, audience=audience, recipients=len(people))
    written.recipients = len(people)  # not a column: for the answer
    return written
