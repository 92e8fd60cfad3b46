"""Deciding to send: a message is a row written in the transaction that decided it, and it is
handed to the job queue only once that transaction commits. A request or command that rolls
back leaves no row and queues nothing; a hand-over that fails (the queue away) is picked up by
the worker's periodic sweep of the outbox (lms.messaging.delivery.deliver_due)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from flask import has_app_context
from sqlalchemy.orm import Session

from lms.accounts.models import User
from lms.core import jobs
from lms.core.extensions import db
from lms.messaging.models import CohortMessage, Message

log = logging.getLogger(__name__)

#: Where a session keeps the ids of the messages it wrote until it commits.
PENDING = "lms_outbox_pending"
#: The job that delivers a committed batch (lms.messaging.delivery.deliver).
DELIVER = "deliver"


def queue_message(kind: str, user: User, key: str, context: dict[str, Any] | None = None,
                  cohort_message: CohortMessage | None = None,
                  known_new: bool = False) -> Message | None:
    """Write one message to ``user`` unless one with ``key`` was already decided (then
    None): the key is what makes "never twice" hold. ``known_new`` skips the look-up for a
    caller that checked its keys in bulk (``taken_keys``); the unique key still holds."""
    if not known_new and (
            db.session.scalar(sa.select(Message.id).where(Message.key == key)) is not None
            or any(isinstance(obj, Message) and obj.key == key for obj in db.session.new)):
        return None
    message = Message(key=key, kind=kind, user=user, to_address=user.email,
                      context=context or {}, cohort_message=cohort_message)
    db.session.add(message)
    return message


def queue_to_rater(kind: str, rater: Any, key: str, context: dict[str, Any] | None = None
                   ) -> Message | None:
    """Write one message to a 360 rater (who has no account) unless ``key`` was decided
    already; as ``queue_message``."""
    if db.session.scalar(sa.select(Message.id).where(Message.key == key)) is not None:
        return None
    message = Message(key=key, kind=kind, feedback_rater_id=rater.id, to_address=rater.email,
                      context=context or {})
    db.session.add(message)
    return message


def delete_rater_messages(rater_ids: list[int]) -> None:
    """Delete every message to these raters (their address is in it); erasure's part."""
    db.session.execute(sa.delete(Message).where(Message.feedback_rater_id.in_(rater_ids)))


def taken_keys(keys: Iterable[str]) -> set[str]:
    """Which of ``keys`` already have a message (a query per thousand keys)."""
    wanted = list(keys)
    taken: set[str] = set()
    for start in range(0, len(wanted), 1000):
        chunk = wanted[start:start + 1000]
        taken.update(db.session.scalars(sa.select(Message.key).where(Message.key.in_(chunk))))
    return taken


def remember_new_messages(session: Session, _flush_context) -> None:
    """After a flush: note the messages it inserted, to hand over if the transaction commits."""
    new = [obj.id for obj in session.new if isinstance(obj, Message)]
    if new:
        session.info.setdefault(PENDING, []).extend(new)


def hand_over(session: Session) -> None:
    """After a commit: queue the delivery of the messages it wrote, as one batch."""
    ids = session.info.pop(PENDING, None)
    if not ids or not has_app_context():
        return
    try:
        jobs.queue().enqueue(DELIVER, sorted(set(ids)))
    except Exception:  # the queue away: the outbox keeps them, the worker's sweep sends them
        log.warning("could not queue %d messages; the outbox sweep will send them", len(ids),
                    exc_info=True)


def forget(session: Session, _transaction=None) -> None:
    """After a rollback: what was written is gone, so nothing is handed over."""
    session.info.pop(PENDING, None)


def watch(session_class: type[Session]) -> None:
    """Hand over committed messages from every session of ``session_class`` (idempotent)."""
    for name, handler in (("after_flush", remember_new_messages),
                          ("after_commit", hand_over), ("after_rollback", forget)):
        if not sa.event.contains(session_class, name, handler):
            sa.event.listen(session_class, name, handler)
