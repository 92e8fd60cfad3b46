"""Reading the outbox: the administrators' list of messages."""

from __future__ import annotations

import sqlalchemy as sa

from lms.messaging.models import Message


def messages_query(kind: str | None = None, status: str | None = None,
                   to: str | None = None) -> sa.Select:
    """Messages, newest first, of one kind, status and address when given: for the API and
    the administrators' page alike."""
    query = sa.select(Message).order_by(Message.id.desc())
    if kind:
        query = query.where(Message.kind == kind)
    if status:
        query = query.where(Message.status == status)
    if to:
        query = query.where(Message.to_address == to.strip().lower())
    return query
