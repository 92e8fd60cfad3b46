"""Reminding raters who have not answered, on the programme's reminder days before their
round closes. A reminder goes to one rater about their own link: it never says who else was
asked, nor who has answered."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from lms.cohorts.models import Cohort
from lms.core.extensions import db
from lms.feedback.models import FeedbackRater
from lms.feedback.service import round_window
from lms.messaging import outbox
from lms.messaging.reminders import latest_milestone


def due_reminders(today: dt.date) -> list[tuple[FeedbackRater, str, int]]:
    """Raters to remind today: (rater, the message's key, days left in their round)."""
    raters = db.session.scalars(
        sa.select(FeedbackRater)
        .where(FeedbackRater.status.in_(("invited", "draft")),
               FeedbackRater.revoked_at.is_(None), FeedbackRater.email.is_not(None))
        .options(joinedload(FeedbackRater.cohort).joinedload(Cohort.programme))
        .order_by(FeedbackRater.id)).all()
    due = []
    for rater in raters:
        opens, closes = round_window(rater.cohort, rater.phase)
        if opens is None or closes is None:
            continue
        milestone = latest_milestone(opens, closes, rater.cohort.programme.reminder_days, today)
        if milestone is None or milestone[1] is None:
            continue  # the invitation itself is the opening day's message
        day, days_left = milestone
        if day <= rater.created_at.date():
            continue  # asked on or after that reminder day: the invitation is enough
        due.append((rater, f"feedback_reminder:{rater.id}:{day.isoformat()}", days_left))
    return due


def remind_raters(today: dt.date | None = None, dry_run: bool = False) -> list[str]:
    """Queue today's reminders to raters (once per rater and reminder day); what was (or
    would be) queued, in words."""
    planned = []
    due = due_reminders(today or dt.date.today())
    taken = outbox.taken_keys(key for _rater, key, _days in due)
    for rater, key, days_left in due:
        if key in taken:
            continue
        planned.append(f"feedback_reminder to {rater.email} ({rater.cohort.name}, "
                       f"{rater.phase} round): {days_left} days left")
        if not dry_run:
            outbox.queue_to_rater("feedback_reminder", rater, key, {"days_left": days_left})
    return planned


def daily_feedback_reminders() -> None:
    """The worker's daily job: queue today's reminders to raters and commit."""
    remind_raters()
    db.session.commit()
