"""Recording audit events. Flushes nothing itself: the event commits with the change it records."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask import Flask, has_request_context, request
from flask_login import current_user

from lms.audit.models import AuditEvent
from lms.core.errors import AFTER_COMMIT, rollback_quietly
from lms.core.extensions import db

log = logging.getLogger(__name__)

if TYPE_CHECKING:  # only for the annotations: accounts imports this module
    from lms.accounts.models import User


def record(
    action: str,
    target: Any = None,
    *,
    actor: User | None = None,
    actor_label: str | None = None,
    **details: Any,
) -> AuditEvent:
    """Add an audit event for ``action`` on ``target`` by ``actor`` (default: the caller)."""
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user._get_current_object()
    event = AuditEvent(
        actor_id=actor.id if actor else None,
        actor=actor.email if actor else (actor_label or default_actor_label()),
        action=action,
        target_type=target.__tablename__ if target is not None else None,
        target_id=target.id if target is not None else None,
        details=details,
        ip=request.remote_addr if has_request_context() else None,
    )
    db.session.add(event)
    return event


def events_query(action: str | None = None, actor: str | None = None) -> sa.Select:
    """Audited events, newest first, of one action and one actor's address when given: for
    the API and the administrator's page alike."""
    query = sa.select(AuditEvent).order_by(AuditEvent.id.desc())
    if action:
        query = query.where(AuditEvent.action == action)
    if actor:
        query = query.where(AuditEvent.actor == actor.strip().lower())
    return query


def default_actor_label() -> str:
    """Who acted when no user is known: an anonymous request, or the server's command line."""
    return "anonymous" if has_request_context() else "command line"


AT_END = "lms.audit_at_end"


def record_at_end(action: str, **details: Any) -> None:
    """Record ``action`` when the request commits, not now: an event of a read (a sponsor's
    question) then takes the database's write lock only for the instant of its commit, not
    for the whole of a slow read such as drawing a chart (SQLite has one writer at a time)."""
    actor = current_user._get_current_object() if current_user.is_authenticated else None
    request.environ.setdefault(AT_END, []).append((action, actor, details))


def init_audit(app: Flask) -> None:
    """Have every request write, after its commit, the audit events its reads deferred."""
    callbacks = app.extensions.setdefault(AFTER_COMMIT, [])
    if commit_deferred_audit not in callbacks:
        callbacks.append(commit_deferred_audit)


def commit_deferred_audit() -> None:
    """Write the audit events a read deferred, in a transaction of their own after the
    request's: begun by the write, it waits its turn for SQLite's one writer instead of
    failing because the request's earlier reads saw an older database."""
    if not request.environ.get(AT_END):
        return
    try:
        write_recorded_at_end()
        db.session.commit()
    except sa.exc.SQLAlchemyError:
        rollback_quietly()
        log.exception("could not write the request's audit events")


def write_recorded_at_end() -> None:
    """Add the events this request deferred (called just before it commits)."""
    for action, actor, details in request.environ.pop(AT_END, []):
        record(action, actor=actor, **details)
