"""The data version: a token that changes in every transaction that changes what reports,
charts and progress views are built from.

Expensive answers (outcome reports, drawn charts) are cached under keys that include the
token, and chart ETags are derived from it, so a change anywhere is seen at once by every
server process, and nothing has to be invalidated by hand. The token is a random string
stored in one row: a new one is written in the same transaction as the change (atomic with
it), and reading it is a single primary-key lookup.

Changes are noticed through the ORM session: objects of the watched tables flushed, and bulk
INSERT, UPDATE or DELETE statements on them sent through ``db.session.execute``. Code that
writes around the session (PostgreSQL COPY in lms.synthetic) calls ``mark_changed`` itself.
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from lms.extensions import db

#: Tables whose rows feed reports, charts and the framework document (audit, tokens and
#: accounts do not: a sign-in must not throw away every cached report).
WATCHED = frozenset({
    "programme", "cohort", "enrolment", "organisation", "sponsorship",
    "assessment", "rating", "framework", "theme", "behaviour", "leadership_level",
    "external_framework", "external_heading", "external_indicator", "theme_link",
    "theme_link_quote",
    "module", "activity", "cohort_module", "activity_record",
})
FLAG = "lms_data_changed"


class DataVersion(db.Model):
    """The single row holding the current data version."""

    __tablename__ = "data_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(sa.String(32))


def new_token() -> str:
    """A fresh, never-repeated version token."""
    return secrets.token_hex(16)


def current() -> str:
    """The current data version (one query). With no row yet (a database just emptied), a
    fresh token every time, so nothing cached under an old one can be served."""
    token = db.session.scalar(sa.select(DataVersion.token).where(DataVersion.id == 1))
    return token or new_token()


def mark_changed(session: Session | None = None) -> None:
    """Note that this transaction changed watched data (for writes made around the ORM)."""
    (session or db.session()).info[FLAG] = True


def note_flushed_objects(session: Session, _context, _instances) -> None:
    """before_flush: any new, changed or deleted object of a watched table."""
    for obj in (*session.new, *session.dirty, *session.deleted):
        if getattr(obj, "__tablename__", None) in WATCHED:
            session.info[FLAG] = True
            return


def note_bulk_statements(state) -> None:
    """do_orm_execute: an INSERT, UPDATE or DELETE statement on a watched table."""
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) in WATCHED:
            state.session.info[FLAG] = True


def write_new_version(session: Session) -> None:
    """before_commit: store a new token if this transaction changed watched data."""
    session.flush()
    if not session.info.pop(FLAG, False):
        return
    token = new_token()
    updated = session.execute(sa.update(DataVersion).where(DataVersion.id == 1)
                              .values(token=token))
    if updated.rowcount == 0:
        session.execute(sa.insert(DataVersion).values(id=1, token=token))


def forget_changes(session: Session, *_args) -> None:
    """after_rollback: nothing this transaction did was kept."""
    session.info.pop(FLAG, None)


def watch(session_class: type[Session]) -> None:
    """Listen to every session of ``session_class`` (idempotent)."""
    for name, handler in (("before_flush", note_flushed_objects),
                          ("do_orm_execute", note_bulk_statements),
                          ("before_commit", write_new_version),
                          ("after_rollback", forget_changes),
                          ("after_soft_rollback", forget_changes)):
        if not sa.event.contains(session_class, name, handler):
            sa.event.listen(session_class, name, handler)
