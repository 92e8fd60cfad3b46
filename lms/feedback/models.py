"""360-degree feedback: the raters a participant nominates, and what each of them answered.

A rater has no account. Their link (``/feedback/<token>``) is their only credential: the
database keeps a hash of it, never the token, which is worked out again from the
application's secret key when the invitation is written (lms.feedback.tokens).
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import User
from lms.cohorts.models import Cohort, in_list
from lms.core.db_types import UTCDateTime, utcnow
from lms.core.extensions import db
from lms.framework.models import Behaviour, Theme

#: Who a rater is to the participant. ``person_supported``: people who use services, carers
#: and community members (the framework's co-production).
GROUPS = ("line_manager", "peer", "direct_report", "person_supported", "other")
GROUP_TITLES = {"line_manager": _l("Line manager"), "peer": _l("Peers"),
                "direct_report": _l("Direct reports"),
                "person_supported": _l("People supported (who use services, carers, community)"),
                "other": _l("Others")}
#: A 360 round runs beside the pre and post self-assessments (there is no "then" round).
PHASES = ("pre", "post")
#: invited: the link is out, nothing saved; draft: answers saved; submitted: counted;
#: withdrawn: the rater took their answers back (they are deleted).
STATUSES = ("invited", "draft", "submitted", "withdrawn")


class FeedbackRater(db.Model):
    """One rater asked for feedback on one participant, for one phase."""

    __tablename__ = "feedback_rater"
    __table_args__ = (
        sa.CheckConstraint(in_list("rater_group", GROUPS), name="rater_group"),
        sa.CheckConstraint(in_list("phase", PHASES), name="phase"),
        sa.CheckConstraint(in_list("status", STATUSES), name="status"),
        sa.CheckConstraint("language IN ('en', 'cy')", name="language"),
        sa.Index("ix_feedback_rater_subject", "cohort_id", "participant_id", "phase"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(sa.ForeignKey("cohort.id", ondelete="CASCADE"))
    #: The participant the feedback is about.
    participant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    #: The rater's name and address: None once erased (their answers stay, anonymous).
    name: Mapped[str | None] = mapped_column(sa.String(200))
    email: Mapped[str | None] = mapped_column(sa.String(320))
    rater_group: Mapped[str] = mapped_column(sa.String(20))
    #: The language of their invitation, reminders and page, as the person who asked them
    #: chose it (a rater has no account to choose in).
    language: Mapped[str] = mapped_column(sa.String(2), default="en", server_default="en")
    phase: Mapped[str] = mapped_column(sa.String(8))
    status: Mapped[str] = mapped_column(sa.String(16), default="invited")
    #: SHA-256 of the link's token (hex): how a link finds its rater.
    token_digest: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: Who nominated them (the participant or a tutor); None once that person is erased.
    nominated_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: Set when the participant or a tutor took the invitation back: the link stops working.
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    cohort: Mapped[Cohort] = relationship()
    participant: Mapped[User] = relationship(foreign_keys=[participant_id])
    answers: Mapped[list[FeedbackAnswer]] = relationship(
        back_populates="rater", cascade="all, delete-orphan")
    comments: Mapped[list[FeedbackComment]] = relationship(
        back_populates="rater", cascade="all, delete-orphan")


class FeedbackAnswer(db.Model):
    """A rater's answer on one behaviour: a point of the scale, or "not observed" (NULL)."""

    __tablename__ = "feedback_answer"
    __table_args__ = (sa.UniqueConstraint("rater_id", "behaviour_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rater_id: Mapped[int] = mapped_column(
        sa.ForeignKey("feedback_rater.id", ondelete="CASCADE"), index=True)
    behaviour_id: Mapped[int] = mapped_column(
        sa.ForeignKey("behaviour.id", ondelete="RESTRICT"), index=True)
    value: Mapped[int | None]

    rater: Mapped[FeedbackRater] = relationship(back_populates="answers")
    behaviour: Mapped[Behaviour] = relationship()


class FeedbackComment(db.Model):
    """What a rater wrote about one theme."""

    __tablename__ = "feedback_comment"
    __table_args__ = (sa.UniqueConstraint("rater_id", "theme_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rater_id: Mapped[int] = mapped_column(
        sa.ForeignKey("feedback_rater.id", ondelete="CASCADE"), index=True)
    theme_id: Mapped[int] = mapped_column(sa.ForeignKey("theme.id", ondelete="RESTRICT"),
                                          index=True)
    body: Mapped[str] = mapped_column(sa.Text)

    rater: Mapped[FeedbackRater] = relationship(back_populates="comments")
    theme: Mapped[Theme] = relationship()
