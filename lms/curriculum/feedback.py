"""A tutor's feedback on what a participant wrote for an activity: given by the cohort's
tutors (and administrators), read by the participant on the module page, audited without its
text, in the participant's data export, and erased with them (lms.interop.personal)."""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.orm import joinedload

from lms.accounts.models import User
from lms.audit.service import record
from lms.cohorts.models import Cohort
from lms.cohorts.service import participant_in
from lms.core.errors import Invalid, NotFound
from lms.core.extensions import db
from lms.curriculum.models import ActivityFeedback, ActivityRecord

MAX_FEEDBACK = 5_000


def give_feedback(cohort: Cohort, author: User, user_id: int, activity_id: int,
                  body: str) -> ActivityFeedback:
    """Comment on a participant's reflection or evidence for one activity of this cohort;
    NotFound when they have written nothing for it here."""
    participant_in(cohort, user_id)
    entry = db.session.scalar(sa.select(ActivityRecord).filter_by(
        user_id=user_id, cohort_id=cohort.id, activity_id=activity_id))
    if entry is None or not (entry.reflection or entry.evidence):
        raise NotFound(gettext("They have written nothing for that activity in this cohort "
                               "yet."))
    text = (body or "").strip()
    if not text:
        raise Invalid(gettext("Write your feedback."), errors={"body": [gettext("Required.")]})
    if len(text) > MAX_FEEDBACK:
        raise Invalid(gettext("Feedback is at most %(most)s characters.",
                              most=f"{MAX_FEEDBACK:,}"),
                      errors={"body": [f"At most {MAX_FEEDBACK:,} characters."]})
    feedback = ActivityFeedback(record_id=entry.id, author_id=author.id, body=text)
    db.session.add(feedback)
    db.session.flush()
    # The text is the tutor's words about the participant's work: it stays on the row
    # (which erasure deletes), never in the audit log.
    record("feedback.create", feedback, user_id=user_id, cohort_id=cohort.id,
           activity_id=activity_id)
    return feedback


def feedback_on(record_ids: list[int]) -> dict[int, list[ActivityFeedback]]:
    """The feedback on each of these activity records, oldest first (one query)."""
    if not record_ids:
        return {}
    found: dict[int, list[ActivityFeedback]] = defaultdict(list)
    for feedback in db.session.scalars(
            sa.select(ActivityFeedback).where(ActivityFeedback.record_id.in_(record_ids))
            .options(joinedload(ActivityFeedback.author))
            .order_by(ActivityFeedback.created_at, ActivityFeedback.id)):
        found[feedback.record_id].append(feedback)
    return dict(found)
