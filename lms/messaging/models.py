"""The outbox: every e-mail the service sends, written in the transaction that caused it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import User
from lms.cohorts.models import Cohort, in_list
from lms.core.db_types import UTCDateTime, utcnow
from lms.core.extensions import db

#: What a message is: each has its templates in lms/templates/email/.
KINDS = ("invitation", "password_reset", "reminder", "nudge", "reopen_notice", "digest",
         "cohort_message", "feedback_invitation", "feedback_reminder")
#: queued (waiting, or waiting to retry), sending (a worker holds it until lease_until),
#: sent (the SMTP server accepted it, or its .eml file is written), failed (for good),
#: cancelled (no longer applies when its turn came: the account disabled, reminders turned off,
#: the phase submitted meanwhile).
STATUSES = ("queued", "sending", "sent", "failed", "cancelled")
#: Kinds whose content is about one person's own circumstances: administrators see that
#: they were sent, never what they said.
PERSONAL_KINDS = ("reopen_notice", "cohort_message")


class Message(db.Model):
    """One e-mail to one person, from the moment it is decided until it is delivered.

    ``key`` is the idempotency key: what the message is about ("invitation:12",
    "reminder:12:3:pre:2026-12-04"). It is unique, so nothing is ever queued twice, and it is
    the Message-ID's local part, so a receiving system can tell a resend from a new message.
    """

    __tablename__ = "message"
    __table_args__ = (
        sa.CheckConstraint(in_list("kind", KINDS), name="kind"),
        sa.CheckConstraint(in_list("status", STATUSES), name="status"),
        sa.Index("ix_message_due", "status", "next_attempt_at"),
        # To a person with an account, or to a 360 rater (who has none).
        sa.CheckConstraint("(user_id IS NULL) <> (feedback_rater_id IS NULL)",
                           name="one_recipient"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(32))
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    #: A 360 rater's invitation or reminder (lms.feedback): the rater has no account.
    feedback_rater_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("feedback_rater.id", ondelete="CASCADE"), index=True)
    #: The address it goes (or went) to: the person's address when it was queued.
    to_address: Mapped[str] = mapped_column(sa.String(320))
    #: What the templates need beyond the person: ids, a phase, a date (never a secret).
    context: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    #: A message written by a tutor or administrator to a cohort.
    cohort_message_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("cohort_message.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(sa.String(16), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    lease_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: The last failure, as the SMTP server or the template said it.
    error: Mapped[str | None] = mapped_column(sa.String(500))

    user: Mapped[User | None] = relationship()
    cohort_message: Mapped[CohortMessage | None] = relationship()


class CohortMessage(db.Model):
    """What a tutor or administrator wrote to (part of) a cohort; each recipient's copy is a
    Message."""

    __tablename__ = "cohort_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(sa.ForeignKey("cohort.id", ondelete="CASCADE"),
                                           index=True)
    #: Who wrote it; None once they are erased.
    author_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True)
    audience: Mapped[str] = mapped_column(sa.String(32))
    subject: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    cohort: Mapped[Cohort] = relationship()
    author: Mapped[User | None] = relationship()
