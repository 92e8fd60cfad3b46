"""The 360 feedback feature's jobs for the worker (lms.core.jobs)."""

from lms.core.jobs import Job
from lms.feedback.reminders import daily_feedback_reminders

JOBS = [
    Job("daily_feedback_reminders", daily_feedback_reminders,
        schedule={"hour": "7", "minute": "10"}),
]
