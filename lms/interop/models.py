"""What has been sent to other systems: the xAPI statements each Learning Record Store has."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from lms.cohorts.models import in_list
from lms.core.db_types import UTCDateTime, utcnow
from lms.core.extensions import db

#: The states of a statement sent to an LRS: "sent" (a request carried it, and no answer
#: came back yet), "stored" (the LRS has it) and "voided" (the LRS has our voiding of it).
DELIVERY_STATES = ("sent", "stored", "voided")


class XapiDelivery(db.Model):
    """One statement about a cohort, as far as one LRS is concerned: so that a push sends only
    what is new and voids what this service no longer asserts."""

    __tablename__ = "xapi_delivery"
    __table_args__ = (
        sa.UniqueConstraint("lrs", "statement_id"),
        sa.CheckConstraint(in_list("state", DELIVERY_STATES), name="state"),
        sa.Index("ix_xapi_delivery_lrs_cohort", "lrs", "cohort_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The LRS's statements endpoint, as push normalises it.
    lrs: Mapped[str] = mapped_column(sa.String(500))
    statement_id: Mapped[str] = mapped_column(sa.String(36))
    cohort_id: Mapped[int] = mapped_column(sa.ForeignKey("cohort.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(sa.String(8))
    changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow,
                                                    onupdate=utcnow)
