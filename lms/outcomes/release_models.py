"""Releases of a cohort's outcomes: what sponsors and participants are shown, frozen.

A release copies a cohort's submitted answers and each participant's groups at one moment;
every protected figure is worked out from the cohort's latest release, never from the live
answers, so a submission, a late import, a reopening, a withdrawal or an erasure changes
nothing a sponsor sees until a new release, and a new release is refused while the change
since the last rests on fewer than the minimum (lms.outcomes.releases).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from lms.core.db_types import UTCDateTime, utcnow
from lms.core.extensions import db


class OutcomeRelease(db.Model):
    """One release of one cohort's outcomes (numbered from 1 per cohort)."""

    __tablename__ = "outcome_release"
    __table_args__ = (sa.UniqueConstraint("cohort_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(
        sa.ForeignKey("cohort.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Who published it (None: the command line).
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    #: The participant flow's counts at the moment of release.
    flow: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    #: The breakdowns its figures publish at every level, and the minimum they were chosen
    #: for (lms.outcomes.publication.CohortPlan.as_json); None for a release made before
    #: plans were kept, whose plan is worked out when asked.
    plan: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON, default=None)
    #: Whether it copied the modules its participants had completed (ReleasedCompletion);
    #: False for a release made before releases kept them.
    keeps_completions: Mapped[bool] = mapped_column(default=True, server_default=sa.false())


class ReleasedPerson(db.Model):
    """A participant of a release, with their groups as they were."""

    __tablename__ = "released_person"

    release_id: Mapped[int] = mapped_column(
        sa.ForeignKey("outcome_release.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(primary_key=True)
    leadership_level: Mapped[str | None] = mapped_column(sa.String(32))
    organisation_type: Mapped[str | None] = mapped_column(sa.String(32))
    sector: Mapped[str | None] = mapped_column(sa.String(16))


class ReleasedCompletion(db.Model):
    """A module a participant of a release had completed then (sponsors' engagement
    figures are counted from these, so they too change only with a release)."""

    __tablename__ = "released_completion"

    release_id: Mapped[int] = mapped_column(
        sa.ForeignKey("outcome_release.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(primary_key=True)
    #: Kept as a number, like the assessment of an answer: the release outlives the module.
    module_id: Mapped[int] = mapped_column(primary_key=True)


class ReleasedAnswer(db.Model):
    """One answer of a submitted self-assessment, as released."""

    __tablename__ = "released_answer"

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(
        sa.ForeignKey("outcome_release.id", ondelete="CASCADE"), index=True)
    #: The self-assessment it came from (kept as a number: the release outlives it).
    assessment_id: Mapped[int]
    user_id: Mapped[int]
    phase: Mapped[str] = mapped_column(sa.String(8))
    behaviour_id: Mapped[int] = mapped_column(
        sa.ForeignKey("behaviour.id", ondelete="RESTRICT"))
    #: A point of the scale, or None for "not applicable".
    value: Mapped[int | None]


class ReleasedFeedback(db.Model):
    """A participant's "all others" figure on one behaviour in one 360 round at a release:
    the mean of their raters' points that their own report shows (lms.outcomes.others)."""

    __tablename__ = "released_feedback"

    release_id: Mapped[int] = mapped_column(
        sa.ForeignKey("outcome_release.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(primary_key=True)
    phase: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    behaviour_id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[float] = mapped_column(sa.Float)
