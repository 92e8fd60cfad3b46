"""The programme and its cohorts, who is in them, and who sponsors them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import User
from lms.core.db_types import UTCDateTime, utcnow
from lms.core.extensions import db
from lms.core.i18n import register_welsh_source
from lms.framework.models import LeadershipLevel

ORGANISATION_TYPES = (
    "local_authority",
    "nhs_trust",
    "ccg",
    "independent_provider",
    "voluntary_community",
    "user_led",
    "other",
)
#: Each organisation type as people read it (in reports, charts and forms).
ORGANISATION_TYPE_TITLES = {
    "local_authority": "Local authority",
    "nhs_trust": "NHS trust",
    "ccg": "Clinical commissioning group (CCG)",
    "independent_provider": "Independent provider",
    "voluntary_community": "Voluntary and community organisation",
    "user_led": "User-led organisation",
    "other": "Other",
}
#: Whether an organisation commissions care, provides it, or both: it decides which of the
#: two organisation-specific behaviours (DT.8, DT.9) its participants rate.
SECTORS = ("commissioning", "providing", "both")
SECTOR_TITLES = {"commissioning": "Commissioning", "providing": "Providing",
                 "both": "Commissioning and providing"}
DEFAULT_REMINDER_DAYS = (7, 2)
COHORT_STATUSES = ("planned", "running", "finished", "cancelled")
ENROLMENT_ROLES = ("participant", "tutor")

DEFAULT_SCALE: list[dict[str, Any]] = [
    {"value": 1, "label": "Not yet"},
    {"value": 2, "label": "Rarely"},
    {"value": 3, "label": "Sometimes"},
    {"value": 4, "label": "Often"},
    {"value": 5, "label": "Consistently"},
]


def in_list(column: str, values: tuple[str, ...]) -> str:
    """SQL for a CHECK that ``column`` is one of ``values``."""
    quoted = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({quoted})"


class Programme(db.Model):
    """The programme: its rating scale and the smallest group a report may show."""

    __tablename__ = "programme"
    __table_args__ = (
        sa.CheckConstraint("min_group_size >= 1", name="min_group_size"),
        sa.CheckConstraint("feedback_min_group >= 2", name="feedback_min_group"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Natural key used by seeds/programme.yaml.
    slug: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(255))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    #: Points of the self-rating scale, each ``{"value": int, "label": str}``, lowest first.
    rating_scale: Mapped[list[dict[str, Any]]] = mapped_column(
        sa.JSON, default=lambda: [dict(point) for point in DEFAULT_SCALE]
    )
    #: Figures about fewer people than this are suppressed in sponsors' reports.
    min_group_size: Mapped[int] = mapped_column(default=5)
    #: Days before a self-assessment window closes on which those who have not submitted
    #: are reminded (besides the day it opens), most days first.
    reminder_days: Mapped[list[int]] = mapped_column(
        sa.JSON, default=lambda: list(DEFAULT_REMINDER_DAYS),
        server_default=sa.text("'[7, 2]'"))
    #: A 360 rater group's figures are shown to the participant only when at least this
    #: many of the group answered (never fewer than 2).
    feedback_min_group: Mapped[int] = mapped_column(default=3, server_default="3")
    #: The name, description and scale labels in Welsh (seeds/programme.yaml's ``_cy`` keys;
    #: the labels by the point's value, as text); None where there is no Welsh.
    name_cy: Mapped[str | None] = mapped_column(sa.String(255))
    description_cy: Mapped[str | None] = mapped_column(sa.Text)
    scale_labels_cy: Mapped[dict[str, str] | None] = mapped_column(sa.JSON)

    cohorts: Mapped[list[Cohort]] = relationship(back_populates="programme")

    def welsh_words(self) -> dict[str, str]:
        """This programme's Welsh by its English: name, description, scale labels."""
        found = {self.name: self.name_cy, self.description: self.description_cy}
        labels = self.scale_labels_cy or {}
        found.update({point["label"]: labels.get(str(point["value"]))
                      for point in self.rating_scale})
        return {english: welsh for english, welsh in found.items() if english and welsh}


def programme_welsh() -> dict[str, str]:
    """The Welsh of every programme's name, description and scale labels (one query)."""
    found: dict[str, str] = {}
    for programme in db.session.scalars(sa.select(Programme)):
        found.update(programme.welsh_words())
    return found


register_welsh_source(programme_welsh)


class Organisation(db.Model):
    """An employer of participants, by kind and by whether it commissions or provides."""

    __tablename__ = "organisation"
    __table_args__ = (
        sa.CheckConstraint(in_list("type", ORGANISATION_TYPES), name="type"),
        sa.CheckConstraint(in_list("sector", SECTORS), name="sector"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(255))
    #: The name folded to lower case: two spellings of one name are one organisation.
    name_key: Mapped[str] = mapped_column(sa.String(255), unique=True)
    type: Mapped[str] = mapped_column(sa.String(32))
    sector: Mapped[str] = mapped_column(sa.String(16))


class Cohort(db.Model):
    """A group of participants who go through the programme together."""

    __tablename__ = "cohort"
    __table_args__ = (
        sa.UniqueConstraint("programme_id", "name"),
        sa.CheckConstraint("ends_on >= starts_on", name="dates"),
        sa.CheckConstraint(in_list("status", COHORT_STATUSES), name="status"),
        sa.CheckConstraint("pre_closes_on >= pre_opens_on", name="pre_window"),
        sa.CheckConstraint("post_closes_on >= post_opens_on", name="post_window"),
        sa.CheckConstraint("feedback_pre_closes_on >= feedback_pre_opens_on",
                           name="feedback_pre_window"),
        sa.CheckConstraint("feedback_post_closes_on >= feedback_post_opens_on",
                           name="feedback_post_window"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("programme.id", ondelete="RESTRICT"))
    name: Mapped[str] = mapped_column(sa.String(255))
    starts_on: Mapped[dt.date]
    ends_on: Mapped[dt.date]
    status: Mapped[str] = mapped_column(sa.String(16), default="planned")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: When participants give their baseline self-ratings (inclusive dates; None: not set).
    pre_opens_on: Mapped[dt.date | None]
    pre_closes_on: Mapped[dt.date | None]
    #: When they give their end ratings, and the retrospective "then" ratings beside them.
    post_opens_on: Mapped[dt.date | None]
    post_closes_on: Mapped[dt.date | None]
    #: The 360 rounds' own dates; None: a round runs in its phase's self-assessment window.
    feedback_pre_opens_on: Mapped[dt.date | None]
    feedback_pre_closes_on: Mapped[dt.date | None]
    feedback_post_opens_on: Mapped[dt.date | None]
    feedback_post_closes_on: Mapped[dt.date | None]

    programme: Mapped[Programme] = relationship(back_populates="cohorts")
    enrolments: Mapped[list[Enrolment]] = relationship(back_populates="cohort")


class Enrolment(db.Model):
    """A person in a cohort, as a participant or a tutor."""

    __tablename__ = "enrolment"
    __table_args__ = (
        sa.UniqueConstraint("cohort_id", "user_id"),
        sa.CheckConstraint(in_list("role", ENROLMENT_ROLES), name="role"),
        # A participant's organisation and level decide what they rate and how they are
        # reported, so neither may be missing.
        sa.CheckConstraint(
            "role = 'tutor' OR (organisation_id IS NOT NULL AND leadership_level_id IS NOT NULL)",
            name="participant_details",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(
        sa.ForeignKey("cohort.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(sa.String(16))
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="RESTRICT")
    )
    leadership_level_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("leadership_level.id", ondelete="RESTRICT")
    )
    enrolled_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    cohort: Mapped[Cohort] = relationship(back_populates="enrolments")
    user: Mapped[User] = relationship()
    organisation: Mapped[Organisation | None] = relationship()
    leadership_level: Mapped[LeadershipLevel | None] = relationship()


class Sponsorship(db.Model):
    """A sponsor's stake: the whole programme, or one cohort."""

    __tablename__ = "sponsorship"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "programme_id"),
        sa.UniqueConstraint("user_id", "cohort_id"),
        sa.CheckConstraint(
            "(programme_id IS NULL) <> (cohort_id IS NULL)", name="one_scope"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    programme_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("programme.id", ondelete="CASCADE")
    )
    cohort_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cohort.id", ondelete="CASCADE"))

    user: Mapped[User] = relationship()
    programme: Mapped[Programme | None] = relationship()
    cohort: Mapped[Cohort | None] = relationship()
