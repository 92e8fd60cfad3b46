"""Assessments (one per participant, cohort and phase) and their ratings."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import User
from lms.cohorts.models import Cohort, in_list
from lms.core.db_types import UTCDateTime, utcnow
from lms.core.extensions import db
from lms.framework.models import Behaviour

#: pre: the baseline at the start; post: at the end; then: at the end, looking back at
#: where the participant was before the programme (the retrospective pre-rating).
PHASES = ("pre", "then", "post")
STATUSES = ("draft", "submitted")


class Assessment(db.Model):
    """A participant's self-assessment for one phase: a draft until submitted."""

    __tablename__ = "assessment"
    __table_args__ = (
        # At most one assessment per participant, cohort and phase, whatever races happen.
        sa.UniqueConstraint("cohort_id", "user_id", "phase"),
        sa.CheckConstraint(in_list("phase", PHASES), name="phase"),
        sa.CheckConstraint(in_list("status", STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(
        sa.ForeignKey("cohort.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    phase: Mapped[str] = mapped_column(sa.String(8))
    status: Mapped[str] = mapped_column(sa.String(16), default="draft")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: The last reopening by a tutor, and why (also in the audit log).
    reopened_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    reopen_reason: Mapped[str | None] = mapped_column(sa.Text)
    #: A tutor's extension for this person alone: the last day they may change and submit it,
    #: whatever the cohort's window says (set when a closed window's assessment is reopened).
    extended_until: Mapped[dt.date | None]
    #: "imported" when the answers came from a bulk import rather than the participant.
    source: Mapped[str] = mapped_column(sa.String(16), default="participant")

    cohort: Mapped[Cohort] = relationship()
    user: Mapped[User] = relationship()
    ratings: Mapped[list[Rating]] = relationship(back_populates="assessment",
                                                 cascade="all, delete-orphan")


class Rating(db.Model):
    """One answer: a point of the programme's scale, or "not applicable" (NULL)."""

    __tablename__ = "rating"
    __table_args__ = (sa.UniqueConstraint("assessment_id", "behaviour_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("assessment.id", ondelete="CASCADE"))
    behaviour_id: Mapped[int] = mapped_column(
        sa.ForeignKey("behaviour.id", ondelete="RESTRICT"), index=True)
    #: A point of the scale; NULL means the participant answered "not applicable".
    value: Mapped[int | None]

    assessment: Mapped[Assessment] = relationship(back_populates="ratings")
    behaviour: Mapped[Behaviour] = relationship()
