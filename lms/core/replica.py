"""Reads that tolerate a second of staleness may go to a PostgreSQL read replica.

With ``LMS_DATABASE_REPLICA_URL`` set, the views marked ``reads_from_replica`` (outcome
reports, charts, engagement, the evaluation report) send their SELECTs to the replica; every
write, and every read outside those views (signing in, submitting, anything that must see its
own writes), goes to the primary. A replica in hot standby refuses writes, so nothing can be
written there by mistake. An answer built from the replica is cached under the data version
read from the replica too, so its key and its figures always agree.

Without the setting (SQLite, a single PostgreSQL host), nothing changes.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app, g, has_app_context
from flask_sqlalchemy.session import Session

EXTENSION = "lms_replica"
FLAG = "lms_read_replica"


def init_replica(app: Flask) -> None:
    """Make the replica's engine when one is configured."""
    url = app.config.get("LMS_DATABASE_REPLICA_URL")
    if url:
        engine = sa.create_engine(url, pool_pre_ping=True)
        tune_postgres(engine)
        app.extensions[EXTENSION] = engine


#: Memory a sort or hash step of one statement may use before spilling to disk. The default
#: (4 MB) made a programme report add its cohorts' kept tallies up by sorting on disk (102
#: ms); with 16 MB PostgreSQL hashes them in memory (31 ms), measured with EXPLAIN ANALYZE on
#: the benchmark's 20 cohorts.
WORK_MEM = "16MB"


def tune_postgres(engine: sa.Engine) -> None:
    """Set every connection of ``engine`` for the service's statements: no JIT compilation
    (they take milliseconds, and compiling the larger ones, a programme's participant flow,
    cost more than it saved: 27 ms of 150) and room to aggregate in memory (WORK_MEM)."""
    if engine.dialect.name != "postgresql":
        return

    @sa.event.listens_for(engine, "connect")
    def on_connect(connection, _record):
        with connection.cursor() as cursor:
            cursor.execute("SET jit = off")
            cursor.execute(f"SET work_mem = '{WORK_MEM}'")
        connection.commit()


def reads_from_replica(view: Callable[..., Any]) -> Callable[..., Any]:
    """Let a view's reads go to the replica (its writes still go to the primary)."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        g.setdefault(FLAG, True)
        return view(*args, **kwargs)

    return wrapper


def replica_engine() -> sa.Engine | None:
    """The replica's engine if this request's reads may go there."""
    if not has_app_context() or not g.get(FLAG):
        return None
    return current_app.extensions.get(EXTENSION)


class RoutingSession(Session):
    """Flask-SQLAlchemy's session, sending the reads of a replica view to the replica."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        """The replica for anything a replica view runs but a flush or an INSERT, UPDATE or
        DELETE; otherwise as usual. (SQLAlchemy names no clause for some selects, such as a
        union of ORM columns, and a ``SET LOCAL`` must reach the connection its query runs
        on: so every statement but the writes goes there, and a write hidden in text
        would be refused by the replica, not made somewhere unseen.)"""
        if bind is None and not self._flushing and not getattr(clause, "is_dml", False):
            engine = replica_engine()
            if engine is not None:
                return engine
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)
