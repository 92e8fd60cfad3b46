"""Backups: every table the service owns in one versioned JSON document, and back.

The document names its format version and the database's migration revision; a restore
into a database at another revision is refused (migrate first). Rows are written in primary
key order and values in a fixed form, so exporting a restored database gives the same
document, whichever database (SQLite or PostgreSQL) it went through. A merge never brings
back a person listed in the erasure register (see ErasedRows).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from alembic.migration import MigrationContext

from lms.accounts.models import ErasedPerson, User
from lms.accounts.service import address_key
from lms.audit.models import AuditEvent
from lms.core.data_version import DataVersion
from lms.core.db_types import UTCDateTime
from lms.core.extensions import db
from lms.core.progress import Progress
from lms.core.seeding import SeedError

FORMAT = "lms-backup"
FORMAT_VERSION = 1


#: Tables a backup leaves out: the data versions, keys of cached answers rather than data (a
#: restore moves them), and the outcome counts kept ready, which follow from the ratings (a
#: restored cohort is counted from its ratings until the worker or `flask lms
#: rebuild-tallies` keeps it again).
DERIVED_TABLES = (DataVersion.__tablename__, "outcome_tally", "outcome_tally_state")


def tables() -> list[sa.Table]:
    """The service's tables, parents before children, but for DERIVED_TABLES."""
    return [t for t in db.metadata.sorted_tables if t.name not in DERIVED_TABLES]


def current_revision() -> str | None:
    """The migration revision the database is at."""
    return MigrationContext.configure(db.session.connection()).get_current_revision()


def to_json(value: Any) -> Any:
    """A column value in the document's fixed form."""
    if isinstance(value, dt.datetime):
        value = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC).isoformat(timespec="microseconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def from_json(column: sa.Column, value: Any) -> Any:
    """A value from the document, as the column takes it."""
    if value is None:
        return None
    if isinstance(column.type, UTCDateTime | sa.DateTime):
        return dt.datetime.fromisoformat(value)
    if isinstance(column.type, sa.Date):
        return dt.date.fromisoformat(value)
    return value


def export_document(progress: Progress | None = None) -> dict[str, Any]:
    """Every row of every table, in primary-key order."""
    progress = progress or Progress()
    content = {}
    progress.start(len(tables()))
    for table in tables():
        columns = [column.name for column in table.columns]
        rows = db.session.execute(sa.select(table).order_by(*table.primary_key.columns))
        content[table.name] = {"columns": columns,
                               "rows": [[to_json(value) for value in row] for row in rows]}
        progress.advance()
    progress.finish()
    return {"format": FORMAT, "version": FORMAT_VERSION, "revision": current_revision(),
            "tables": content}


def export_json(progress: Progress | None = None) -> str:
    """The backup as JSON text."""
    return json.dumps(export_document(progress), ensure_ascii=False, indent=1,
                      sort_keys=False) + "\n"


def is_empty() -> bool:
    """Whether no table holds a row."""
    return not any(db.session.scalar(sa.select(sa.exists().select_from(table)))
                   for table in tables())


def check_document(document: Any, source: str) -> dict[str, sa.Table]:
    """The tables a document fills; SeedError naming what does not fit this database."""
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise SeedError(source, [f"not an lms backup (its \"format\" is not {FORMAT!r})"])
    if document.get("version") != FORMAT_VERSION:
        raise SeedError(source, [f"backup format version {document.get('version')!r}; this "
                                 f"lms reads version {FORMAT_VERSION}"])
    if document.get("revision") != current_revision():
        raise SeedError(source, [f"made at migration revision {document.get('revision')!r}, "
                                 f"but the database is at {current_revision()!r}: run "
                                 "`flask db upgrade` (or restore into a matching version)"])
    known = {table.name: table for table in tables()}
    problems = []
    for name, content in (document.get("tables") or {}).items():
        table = known.get(name)
        if table is None:
            problems.append(f"tables.{name}: not a table of this service")
        elif content.get("columns") != [column.name for column in table.columns]:
            problems.append(f"tables.{name}.columns: do not match the table's columns")
        elif any(len(row) != len(table.columns) for row in content.get("rows", [])):
            problems.append(f"tables.{name}.rows: a row has the wrong number of values")
    if problems:
        raise SeedError(source, problems)
    return known


@dataclass
class Restored:
    """What a restore wrote, and what it left out because it belongs to an erased person."""

    written: int
    skipped_erased: int = 0


def import_document(document: Any, source: str = "the backup", merge: bool = False,
                    progress: Progress | None = None) -> Restored:
    """Restore a backup; refused into a non-empty database unless ``merge`` (then rows whose
    primary key is already taken are kept as they are, and rows of anyone in the erasure
    register are skipped). Flushes; the caller commits."""
    known = check_document(document, source)
    if not merge and not is_empty():
        raise SeedError(source, ["the database is not empty: restore into an empty database, "
                                 "or pass --merge to add only the rows it does not have"])
    written = 0
    erased = ErasedRows() if merge else None
    progress = progress or Progress()
    progress.start(len(tables()))
    for table in tables():
        progress.advance()
        content = document["tables"].get(table.name)
        if not content or not content["rows"]:
            continue
        rows = [{column.name: from_json(column, value)
                 for column, value in zip(table.columns, row, strict=True)}
                for row in content["rows"]]
        if erased is not None:
            rows = erased.without(table, missing_rows(table, rows))
        if rows:
            db.session.execute(sa.insert(table), rows)
            written += len(rows)
    db.session.flush()
    reset_sequences(known)
    progress.finish()
    return Restored(written, erased.skipped if erased else 0)


class ErasedRows:
    """Finds the rows of a backup that belong to someone in the erasure register.

    A row belongs to an erased person when it refers to their account, or to a row that
    belongs to them (a note version of their activity record), whether that row is in the
    backup or still in the database; an account in the backup is theirs by its id or by the
    keyed hash of its address; an audit event is theirs when it is about their account or
    names their address as its actor.
    """

    def __init__(self) -> None:
        register = db.session.execute(sa.select(ErasedPerson.user_id, ErasedPerson.address_key))
        self.user_ids: set[int] = set()
        self.keys: set[str] = set()
        for user_id, key in register:
            self.user_ids.add(user_id)
            if key:
                self.keys.add(key)
        #: Per table, the ids of rows that belong to an erased person.
        self.owned: dict[str, set[int]] = {User.__tablename__: self.user_ids}
        self.skipped = 0

    def without(self, table: sa.Table, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """``rows`` of ``table`` less those of erased people (counted in ``skipped``)."""
        if table.name == User.__tablename__:
            self.user_ids.update(row["id"] for row in rows
                                 if address_key(row["email"]) in self.keys)
        links = [(fk.parent.name, self.owned[fk.column.table.name])
                 for fk in table.foreign_keys if fk.column.table.name in self.owned]
        owned = self.owned_in_database(table, links)
        kept = []
        for row in rows:
            if self.belongs(table, row, links):
                self.skipped += 1
                if "id" in row:
                    owned.add(row["id"])
            else:
                kept.append(row)
        if table.name != User.__tablename__ and "id" in table.columns:
            self.owned[table.name] = owned
        return kept

    def owned_in_database(self, table: sa.Table, links: list) -> set[int]:
        """Ids of stored rows of ``table`` that refer to rows of erased people."""
        if "id" not in table.columns or not any(ids for _, ids in links):
            return set()
        return set(db.session.scalars(sa.select(table.columns["id"]).where(sa.or_(
            *(table.columns[column].in_(ids) for column, ids in links if ids)))))

    def belongs(self, table: sa.Table, row: dict[str, Any], links: list) -> bool:
        """Whether one row of the backup is an erased person's."""
        if table.name == User.__tablename__:
            return row["id"] in self.user_ids
        if any(row[column] in ids for column, ids in links):
            return True
        if table.name == AuditEvent.__tablename__:
            return ((row["target_type"] == User.__tablename__
                     and row["target_id"] in self.user_ids)
                    or address_key(row["actor"] or "") in self.keys)
        return False


def missing_rows(table: sa.Table, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows whose primary key the table does not hold yet."""
    keys = [column.name for column in table.primary_key.columns]
    present = {tuple(row) for row in db.session.execute(
        sa.select(*table.primary_key.columns))}
    return [row for row in rows if tuple(row[key] for key in keys) not in present]


def reset_sequences(known: dict[str, sa.Table]) -> None:
    """On PostgreSQL, move each id sequence past the restored ids (SQLite needs nothing)."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for table in known.values():
        if "id" in table.columns and table.columns["id"].autoincrement is not False:
            db.session.execute(sa.text(
                f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "  # noqa: S608
                f"COALESCE((SELECT MAX(id) FROM \"{table.name}\"), 0) + 1, false)"))
