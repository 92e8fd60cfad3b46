"""The messages that follow from what people do: an invitation when a person is created, a
password reset when one is asked for, a notice when a tutor reopens a self-assessment."""

from __future__ import annotations

import secrets

from flask import Flask, has_request_context
from flask_login import current_user

from lms.accounts.models import User
from lms.accounts.service import find_user_by_email
from lms.cohorts.models import Cohort
from lms.core.events import assessment_reopened, person_created
from lms.core.extensions import db
from lms.messaging import outbox
from lms.messaging.models import Message
from lms.ratings.models import Assessment
from lms.ratings.service import last_day


def acting_user() -> User | None:
    """The signed-in person of this request, if any (None at the command line)."""
    if has_request_context() and current_user.is_authenticated:
        return current_user._get_current_object()
    return None


def invite(user: User, cohort: Cohort | None = None, invite: bool = True) -> Message | None:
    """Queue the invitation of a newly created person (once per person, ever)."""
    if not invite:
        return None
    inviter = acting_user()
    return outbox.queue_message("invitation", user, f"invitation:{user.id}", {
        "inviter_id": inviter.id if inviter else None,
        "cohort_id": cohort.id if cohort else None})


def on_person_created(user: User, **details) -> None:
    """Invite every person created, whichever way (roster, command line, page, API)."""
    invite(user, details.get("cohort"), details.get("invite", True))


def request_password_reset(email: str) -> None:
    """Queue a password reset for the active account with this address; do nothing, and say
    nothing different, for any other address (the caller's answer is the same either way)."""
    user = find_user_by_email(email)
    if user is None or not user.active:
        return
    outbox.queue_message("password_reset", user,
                         f"reset:{user.id}:{secrets.token_hex(8)}")


def on_assessment_reopened(assessment: Assessment, **_details) -> None:
    """Tell the participant their self-assessment is open again, why, and until when."""
    cohort = db.session.get(Cohort, assessment.cohort_id)
    closes = last_day(cohort, assessment.phase, assessment)
    user = db.session.get(User, assessment.user_id)
    outbox.queue_message(
        "reopen_notice", user,
        f"reopen:{assessment.id}:{assessment.reopened_at.isoformat()}",
        {"cohort_id": cohort.id, "phase": assessment.phase,
         "closes_on": closes.isoformat() if closes else None})


def init_messaging(app: Flask) -> None:
    """Hand committed messages to the queue, and listen for what sends them."""
    outbox.watch(db.session.session_factory.class_)
    person_created.connect(on_person_created)
    assessment_reopened.connect(on_assessment_reopened)
