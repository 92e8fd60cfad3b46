"""One row per audited event."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from lms.core.db_types import UTCDateTime, utcnow
from lms.core.extensions import db


class AuditEvent(db.Model):
    """Something done that an administrator may need to account for later."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    #: Who did it; kept as a label too, so the record survives the account being removed.
    actor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    actor: Mapped[str] = mapped_column(sa.String(320))
    #: Dotted verb, e.g. ``auth.sign_in``, ``token.revoke``, ``cohort.create``.
    action: Mapped[str] = mapped_column(sa.String(64), index=True)
    target_type: Mapped[str | None] = mapped_column(sa.String(32))
    target_id: Mapped[int | None]
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    #: Client address for requests; None for commands run at the server.
    ip: Mapped[str | None] = mapped_column(sa.String(64))
