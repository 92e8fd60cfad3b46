"""A tutor's weekly digest: each of their cohorts' at-risk list and the week's submissions."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from lms.accounts.models import User
from lms.cohorts.models import Cohort, Enrolment
from lms.core.extensions import db
from lms.curriculum.progress import cohort_progress
from lms.ratings.models import Assessment


def taught_cohorts(user: User) -> list[Cohort]:
    """The cohorts ``user`` tutors, running or about to, by start date."""
    return list(db.session.scalars(
        sa.select(Cohort).join(Enrolment, Enrolment.cohort_id == Cohort.id)
        .where(Enrolment.user_id == user.id, Enrolment.role == "tutor",
               Cohort.status.in_(("planned", "running")))
        .order_by(Cohort.starts_on, Cohort.id)))


def digest_of(user: User, today: dt.date) -> list[dict[str, Any]]:
    """For each cohort the tutor teaches: who is at risk, and who submitted a
    self-assessment in the seven days before ``today``."""
    since = dt.datetime.combine(today - dt.timedelta(days=7), dt.time.min, tzinfo=dt.UTC)
    answer = []
    for cohort in taught_cohorts(user):
        progress = cohort_progress(cohort, today)
        submitted = db.session.execute(
            sa.select(User.display_name, Assessment.phase)
            .join(Assessment, Assessment.user_id == User.id)
            .where(Assessment.cohort_id == cohort.id, Assessment.status == "submitted",
                   Assessment.submitted_at >= since)
            .order_by(User.display_name, Assessment.phase)).all()
        answer.append({
            "cohort": cohort,
            "at_risk": [p.display_name for p in progress["participants"] if p.at_risk],
            "submitted": [f"{name} ({phase})" for name, phase in submitted]})
    return answer
