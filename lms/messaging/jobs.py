"""The messaging feature's jobs for the worker (lms.core.jobs)."""

from lms.core.jobs import Job
from lms.messaging import delivery, reminders
from lms.messaging.outbox import DELIVER

JOBS = [
    Job(DELIVER, delivery.deliver),
    # Every minute, and whenever a worker starts: whatever a lost hand-over, a retry's
    # wait or a stopped worker left in the outbox.
    Job("deliver_due", delivery.deliver_due, schedule={"minute": "*"}, at_startup=True),
    Job("daily_reminders", reminders.daily_reminders, schedule={"hour": "7", "minute": "0"}),
    Job("weekly_digests", reminders.weekly_digests,
        schedule={"day_of_week": "1", "hour": "7", "minute": "30"}),
]
