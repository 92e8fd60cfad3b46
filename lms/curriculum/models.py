"""Modules and activities (loaded from modules/*.md), cohort curricula, and progress."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import User
from lms.cohorts.models import Cohort, in_list
from lms.core.db_types import UTCDateTime, utcnow
from lms.core.extensions import db
from lms.core.i18n import register_welsh_source
from lms.framework.models import Behaviour, Theme

#: read: reading; reflect: a written reflection; practise: a workplace task with an evidence
#: note; discuss: a cohort session; inquiry: an Appreciative Inquiry exercise.
ACTIVITY_KINDS = ("read", "reflect", "practise", "discuss", "inquiry")

module_behaviour = sa.Table(
    "module_behaviour",
    db.metadata,
    sa.Column("module_id", sa.ForeignKey("module.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("behaviour_id", sa.ForeignKey("behaviour.id", ondelete="RESTRICT"),
              primary_key=True),
)


class Module(db.Model):
    """A unit of learning, usually aligned with one theme of the framework."""

    __tablename__ = "module"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Natural key from the module file: progress survives renaming the file.
    slug: Mapped[str] = mapped_column(sa.String(64), unique=True)
    title: Mapped[str] = mapped_column(sa.String(255))
    #: None for programme-wide modules (the induction, the closing module).
    theme_id: Mapped[int | None] = mapped_column(sa.ForeignKey("theme.id", ondelete="RESTRICT"))
    position: Mapped[int]
    summary: Mapped[str] = mapped_column(sa.Text)
    hours: Mapped[float]
    #: The introduction as written (Markdown), and as rendered and sanitised at load time.
    introduction: Mapped[str] = mapped_column(sa.Text, default="")
    introduction_html: Mapped[str] = mapped_column(sa.Text, default="")
    # The Welsh edition (modules/cy/<file>), where one exists: None means English only.
    title_cy: Mapped[str | None] = mapped_column(sa.String(255))
    summary_cy: Mapped[str | None] = mapped_column(sa.Text)
    introduction_html_cy: Mapped[str | None] = mapped_column(sa.Text)
    #: Set when the module's file is removed; its records are kept.
    retired_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    theme: Mapped[Theme | None] = relationship()
    behaviours: Mapped[list[Behaviour]] = relationship(
        secondary=module_behaviour, order_by=Behaviour.id)
    activities: Mapped[list[Activity]] = relationship(
        back_populates="module", order_by="Activity.position")


class Activity(db.Model):
    """One thing to do in a module."""

    __tablename__ = "activity"
    __table_args__ = (
        sa.UniqueConstraint("module_id", "key"),
        sa.CheckConstraint(in_list("kind", ACTIVITY_KINDS), name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(sa.ForeignKey("module.id", ondelete="RESTRICT"))
    #: Natural key within the module, stable across edits of the file.
    key: Mapped[str] = mapped_column(sa.String(64))
    kind: Mapped[str] = mapped_column(sa.String(16))
    title: Mapped[str] = mapped_column(sa.String(255))
    required: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int]
    text: Mapped[str] = mapped_column(sa.Text, default="")
    text_html: Mapped[str] = mapped_column(sa.Text, default="")
    # From the module's Welsh edition, where it has this activity: None means English only.
    title_cy: Mapped[str | None] = mapped_column(sa.String(255))
    text_html_cy: Mapped[str | None] = mapped_column(sa.Text)
    #: Set when the activity is removed from its file; completions of it are kept.
    retired_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    module: Mapped[Module] = relationship(back_populates="activities")


class CohortModule(db.Model):
    """A module in a cohort's curriculum: its place in the order, when it opens and when it is
    due."""

    __tablename__ = "cohort_module"
    __table_args__ = (
        sa.CheckConstraint("due_on IS NULL OR opens_on IS NULL OR due_on >= opens_on",
                           name="due_after_opening"),
    )

    cohort_id: Mapped[int] = mapped_column(
        sa.ForeignKey("cohort.id", ondelete="CASCADE"), primary_key=True)
    module_id: Mapped[int] = mapped_column(
        sa.ForeignKey("module.id", ondelete="RESTRICT"), primary_key=True)
    position: Mapped[int]
    #: None: open from the start of the cohort.
    opens_on: Mapped[dt.date | None]
    #: When participants should have finished it: after it, an unfinished module puts them
    #: behind schedule (None: by the day the next module opens, or the cohort ends).
    due_on: Mapped[dt.date | None]

    cohort: Mapped[Cohort] = relationship()
    module: Mapped[Module] = relationship()


class ActivityRecord(db.Model):
    """A participant's work on an activity in one cohort: done or not, and their reflection
    or evidence. Work belongs to the cohort it was done in: only that cohort's tutors see
    it, and the same activity in another cohort is a record of its own."""

    __tablename__ = "activity_record"
    __table_args__ = (sa.UniqueConstraint("user_id", "cohort_id", "activity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    #: None only for work from before issue 19 that no enrolment of the person could claim
    #: (see migration 0010), or whose cohort was deleted: no tutor sees it.
    cohort_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("cohort.id", ondelete="SET NULL"), index=True)
    activity_id: Mapped[int] = mapped_column(
        sa.ForeignKey("activity.id", ondelete="RESTRICT"), index=True)
    #: None while not done (it can be undone; the notes stay).
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: Private to the participant and their cohort's tutors.
    reflection: Mapped[str | None] = mapped_column(sa.Text)
    evidence: Mapped[str | None] = mapped_column(sa.Text)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()
    activity: Mapped[Activity] = relationship()
    versions: Mapped[list[ActivityNoteVersion]] = relationship(
        order_by="ActivityNoteVersion.id", cascade="all, delete-orphan")


class ActivityNoteVersion(db.Model):
    """Each saved version of a reflection or evidence note: the history of edits."""

    __tablename__ = "activity_note_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(
        sa.ForeignKey("activity_record.id", ondelete="CASCADE"), index=True)
    saved_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    reflection: Mapped[str | None] = mapped_column(sa.Text)
    evidence: Mapped[str | None] = mapped_column(sa.Text)


class ActivityFeedback(db.Model):
    """A tutor's comment on a participant's reflection or evidence, which the participant
    reads beside their note. Erasing the participant deletes it; erasing its author keeps
    it for the participant, without the author."""

    __tablename__ = "activity_feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(
        sa.ForeignKey("activity_record.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True)
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    record: Mapped[ActivityRecord] = relationship()
    author: Mapped[User | None] = relationship()


def welsh_titles() -> dict[str, str]:
    """The Welsh of the modules' and activities' titles, by their English (two queries)."""
    found: dict[str, str] = {}
    for model in (Module, Activity):
        found.update(db.session.execute(sa.select(model.title, model.title_cy)
                                        .where(model.title_cy.is_not(None))).all())
    return found


register_welsh_source(welsh_titles)
