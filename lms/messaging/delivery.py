"""Sending what the outbox holds, at least once and, short of a crash in the instant between
the server's "accepted" and our record of it, exactly once.

A worker first *claims* a message (an UPDATE that only one worker can win, committed), so two
workers never send the same message at once; the claim is a lease, and a message whose
worker died is taken over once its lease has run out. The message's state is committed after
each step: claimed, composed (a set-password link made), then sent, retried or failed. A
worker killed before the server accepted a message leaves it claimed, and it goes again when
its lease ends; one killed after the server accepted it but before the commit sends it again
too (at-least-once), with the same Message-ID, so the receiving side can tell.
"""

from __future__ import annotations

import datetime as dt
import logging

import sqlalchemy as sa
from flask import current_app

from lms.audit.service import record
from lms.core import jobs
from lms.core.db_types import utcnow
from lms.core.extensions import db
from lms.messaging.compose import NotApplicable, compose
from lms.messaging.models import Message
from lms.messaging.outbox import DELIVER
from lms.messaging.transport import PermanentFailure, TransientFailure, Transport

log = logging.getLogger(__name__)

#: How many due messages one sweep sends (the next sweep takes the rest).
SWEEP_BATCH = 500
#: Who the audit log says acted when a message was sent or failed.
WORKER = "mail worker"
#: Retries never wait longer than this.
MAX_RETRY_SECONDS = 6 * 3600


def deliver(message_ids: list[int]) -> dict[str, int]:
    """Send these messages over one connection; how many ended in each state."""
    outcomes: dict[str, int] = {}
    with Transport.for_app() as transport:
        for message_id in message_ids:
            outcome = deliver_one(message_id, transport)
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


def is_due(now: dt.datetime) -> sa.ColumnElement[bool]:
    """A message waiting for its (next) attempt, or one whose worker's lease ran out."""
    return sa.or_(sa.and_(Message.status == "queued", Message.next_attempt_at <= now),
                  sa.and_(Message.status == "sending", Message.lease_until < now))


def due_query(now: dt.datetime) -> sa.Select:
    """The first SWEEP_BATCH due messages' ids."""
    return sa.select(Message.id).where(is_due(now)).order_by(Message.id).limit(SWEEP_BATCH)


def deliver_due() -> dict[str, int]:
    """Send what is due: the periodic sweep that picks up whatever a lost hand-over or a
    stopped worker left behind."""
    ids = list(db.session.scalars(due_query(utcnow())))
    db.session.rollback()  # end the read before the claims begin
    return deliver(ids) if ids else {}


def claim(message_id: int) -> bool:
    """Take the message for this worker until its lease ends; False if another has it, it
    is not yet due, or it is done."""
    now = utcnow()
    lease = dt.timedelta(seconds=current_app.config["LMS_MAIL_LEASE_SECONDS"])
    taken = db.session.execute(
        sa.update(Message).where(Message.id == message_id, is_due(now))
        .values(status="sending", lease_until=now + lease, attempts=Message.attempts + 1)
        .execution_options(synchronize_session=False))
    db.session.commit()
    return taken.rowcount == 1


def deliver_one(message_id: int, transport: Transport) -> str:
    """Claim, compose and send one message, committing its state after each step; the state
    it ends in ("skipped" when it was not this worker's to send)."""
    if not claim(message_id):
        return "skipped"
    message = db.session.get(Message, message_id)
    try:
        composed = compose(message)
    except NotApplicable as exc:
        return finish(message, "cancelled", str(exc))
    except sa.exc.OperationalError as exc:  # the database away: not the message's fault
        db.session.rollback()
        return retry_later(db.session.get(Message, message_id), f"database: {exc}")
    except Exception as exc:  # noqa: BLE001 - whatever it is, the message must show it
        # A broken template or context fails the message where administrators see it,
        # instead of leaving it half-claimed with the error only in a log.
        log.exception("message %s (%s) could not be composed", message.id, message.kind)
        db.session.rollback()
        message = db.session.get(Message, message_id)
        return finish(message, "failed", f"could not be composed: {type(exc).__name__}: {exc}")
    db.session.commit()  # a link in the message exists before the message does
    try:
        transport.send(composed.email, composed.file_name)
    except TransientFailure as exc:
        return retry_later(message, str(exc))
    except PermanentFailure as exc:
        return finish(message, "failed", str(exc))
    message.sent_at = utcnow()
    return finish(message, "sent", None)


def finish(message: Message, status: str, error: str | None) -> str:
    """Record the message's final state (and audit it); commit."""
    message.status, message.lease_until = status, None
    message.error = error[:500] if error else None
    record(f"message.{status}", message, actor_label=WORKER, kind=message.kind)
    db.session.commit()
    if status == "failed":
        log.error("message %s (%s) to user %s failed: %s", message.id, message.kind,
                  message.user_id, error)
    else:
        log.info("message %s (%s) to user %s: %s%s", message.id, message.kind,
                 message.user_id, status, f" ({error})" if error else "")
    return status


def retry_later(message: Message, error: str) -> str:
    """Put the message back with a longer wait each time; fail it after the last attempt."""
    config = current_app.config
    if message.attempts >= config["LMS_MAIL_MAX_ATTEMPTS"]:
        return finish(message, "failed", f"gave up after {message.attempts} attempts: {error}")
    wait = min(MAX_RETRY_SECONDS,
               config["LMS_MAIL_RETRY_SECONDS"] * 2 ** (message.attempts - 1))
    message.status, message.lease_until = "queued", None
    message.next_attempt_at = utcnow() + dt.timedelta(seconds=wait)
    message.error = error[:500]
    db.session.commit()
    log.warning("message %s will be tried again in %.0f s: %s", message.id, wait, error)
    try:
        jobs.queue().enqueue(DELIVER, [message.id], delay=wait)
    except Exception:  # the sweep will find it when it is due
        log.warning("could not schedule the retry of message %s", message.id, exc_info=True)
    return "queued"
