"""Reminders and nudges, decided once a day by the worker (or `flask lms send-reminders`).

A participant with an open self-assessment phase they have not submitted is reminded on the
day the window opens and on each of the programme's ``reminder_days`` before it closes (7
and 2 unless set). Each run sends the latest of those days that has come, if that one has
not been sent: a run missed on the opening day still sends it the next, a second run the
same day sends nothing, and nobody gets the same phase's reminder for the same day twice.
A participant at risk (lms.curriculum.progress) gets one nudge per fourteen days of their
cohort. Both respect the person's "email_reminders".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import sqlalchemy as sa

from lms.accounts.models import User
from lms.cohorts.models import Cohort, Enrolment
from lms.core.extensions import db
from lms.curriculum.progress import INACTIVITY_DAYS, cohort_progress, due_modules
from lms.messaging import outbox
from lms.ratings.models import PHASES, Assessment
from lms.ratings.service import window

#: Days between two nudges of one person in one cohort.
NUDGE_DAYS = 14


@dataclass
class Planned:
    """A reminder or nudge that is due: to whom, about what, under which key."""

    kind: str
    user: User
    cohort: Cohort
    key: str
    context: dict = field(default_factory=dict)

    def describe(self) -> str:
        """One line for `send-reminders --dry-run`."""
        about = (f"{self.context['phase']} self-assessment, "
                 + ("window open" if self.context.get("days_left") is None
                    else f"{self.context['days_left']} days left")
                 if self.kind == "reminder" else "at risk: " + "; ".join(
                     self.context.get("reasons", [])))
        return f"{self.kind} to {self.user.email} ({self.cohort.name}): {about}"


def latest_milestone(opens: dt.date, closes: dt.date, days_before: list[int],
                     today: dt.date) -> tuple[dt.date, int | None] | None:
    """The latest reminder day of a window that has come by ``today``, with the days left
    then (None for the opening day); None before the window opens or after it closes."""
    if not opens <= today <= closes:
        return None
    days = [(opens, None)] + [(closes - dt.timedelta(days=n), n) for n in days_before
                              if opens <= closes - dt.timedelta(days=n)]
    return max((day for day in days if day[0] <= today), key=lambda day: day[0])


def open_phases(today: dt.date) -> list[tuple[Cohort, str, dt.date, dt.date]]:
    """Every cohort and phase whose window is open ``today``."""
    cohorts = db.session.scalars(sa.select(Cohort).where(
        Cohort.status.in_(("planned", "running")),
        sa.or_(sa.and_(Cohort.pre_opens_on <= today, Cohort.pre_closes_on >= today),
               sa.and_(Cohort.post_opens_on <= today, Cohort.post_closes_on >= today)))
        .order_by(Cohort.id))
    found = []
    for cohort in cohorts:
        for phase in PHASES:
            opens, closes = window(cohort, phase)
            if opens and closes and opens <= today <= closes:
                found.append((cohort, phase, opens, closes))
    return found


def unsubmitted(cohort: Cohort, phase: str) -> list[User]:
    """The cohort's active participants who want reminders and have not submitted
    ``phase``: one query."""
    submitted = sa.select(Assessment.user_id).where(
        Assessment.cohort_id == cohort.id, Assessment.phase == phase,
        Assessment.status == "submitted")
    return list(db.session.scalars(
        sa.select(User).join(Enrolment, Enrolment.user_id == User.id)
        .where(Enrolment.cohort_id == cohort.id, Enrolment.role == "participant",
               User.active.is_(True), User.email_reminders.is_(True),
               User.id.not_in(submitted))
        .order_by(User.id)))


def due_reminders(today: dt.date) -> list[Planned]:
    """Every reminder due ``today`` (sent or not)."""
    planned = []
    for cohort, phase, opens, closes in open_phases(today):
        milestone = latest_milestone(opens, closes, list(cohort.programme.reminder_days),
                                     today)
        if milestone is None:
            continue
        day, days_left = milestone
        for user in unsubmitted(cohort, phase):
            planned.append(Planned(
                "reminder", user, cohort, f"reminder:{user.id}:{cohort.id}:{phase}:{day}",
                {"cohort_id": cohort.id, "phase": phase, "days_left": days_left,
                 "closes_on": closes.isoformat()}))
    return planned


def due_nudges(today: dt.date) -> list[Planned]:
    """A nudge for each participant at risk in a running cohort, one per NUDGE_DAYS."""
    cohorts = db.session.scalars(sa.select(Cohort).where(
        Cohort.starts_on <= today, Cohort.ends_on >= today,
        Cohort.status.in_(("planned", "running"))).order_by(Cohort.id))
    planned = []
    for cohort in cohorts:
        progress = cohort_progress(cohort, today)
        at_risk = {p.user_id: p for p in progress["participants"] if p.at_risk}
        if not at_risk:
            continue
        due = due_modules(progress["curriculum"], cohort, today)
        period = (today - cohort.starts_on).days // NUDGE_DAYS
        people = db.session.scalars(sa.select(User).where(
            User.id.in_(at_risk), User.active.is_(True), User.email_reminders.is_(True))
            .order_by(User.id))
        for user in people:
            person = at_risk[user.id]
            planned.append(Planned(
                "nudge", user, cohort, f"nudge:{user.id}:{cohort.id}:{period}",
                {"cohort_id": cohort.id, "reasons": person.risk_reasons,
                 "quiet_days": INACTIVITY_DAYS if any(
                     reason.startswith("no activity") for reason in person.risk_reasons)
                 else None,
                 "behind": [m.title for m in person.modules
                            if m.slug in due and m.status != "complete"]}))
    return planned


def plan(today: dt.date) -> list[Planned]:
    """The reminders and nudges due ``today`` that have not been queued before."""
    due = due_reminders(today) + due_nudges(today)
    taken = outbox.taken_keys(item.key for item in due)
    return [item for item in due if item.key not in taken]


def send_reminders(today: dt.date | None = None, dry_run: bool = False) -> list[Planned]:
    """Queue what ``plan`` finds (unless ``dry_run``); what it found. The caller commits."""
    planned = plan(today or dt.date.today())
    if not dry_run:
        for item in planned:
            outbox.queue_message(item.kind, item.user, item.key, item.context, known_new=True)
    return planned


def daily_reminders() -> None:
    """The worker's daily job: queue today's reminders and nudges, and commit."""
    send_reminders()
    db.session.commit()


def weekly_digests(today: dt.date | None = None) -> int:
    """The worker's weekly job: queue a digest for every tutor who turned it on (one per
    tutor and week), and commit; how many."""
    today = today or dt.date.today()
    year, week, _day = today.isocalendar()
    tutors = list(db.session.scalars(sa.select(User).where(
        User.active.is_(True), User.weekly_digest.is_(True),
        User.id.in_(sa.select(Enrolment.user_id).where(Enrolment.role == "tutor")))
        .order_by(User.id)))
    queued = [outbox.queue_message("digest", tutor, f"digest:{tutor.id}:{year}-W{week:02d}",
                                   {"week_of": today.isoformat()}) for tutor in tutors]
    db.session.commit()
    return sum(1 for message in queued if message is not None)
