"""Writing many rows at once: PostgreSQL COPY, or one executemany elsewhere.

psycopg's executemany sends one statement per row, and SQLAlchemy's multi-row INSERTs make
psycopg parse a placeholder per value: for 10,000 ratings both took over half a second of a
2-core machine, where COPY takes a few tens of milliseconds. COPY goes around the ORM
session, so callers must make sure the data version moves (lms.core.data_version.mark_changed).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence

import sqlalchemy as sa

from lms.core.extensions import db

#: Flush the COPY buffer to the server every megabyte.
CHUNK = 1 << 20


def bulk_insert(table: sa.Table, columns: Sequence[str], rows: Iterable[tuple]) -> None:
    """Insert many rows in the session's transaction: COPY on PostgreSQL, executemany
    elsewhere. Values must be ints, text without tabs or newlines, booleans, aware times or
    None."""
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        cursor = connection.connection.driver_connection.cursor()
        with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            buffer = io.StringIO()
            for row in rows:
                buffer.write("\t".join(copy_text(value) for value in row))
                buffer.write("\n")
                if buffer.tell() > CHUNK:
                    copy.write(buffer.getvalue())
                    buffer = io.StringIO()
            copy.write(buffer.getvalue())
        return
    values = [dict(zip(columns, row, strict=True)) for row in rows]
    if values:
        connection.execute(table.insert(), values)


def copy_text(value) -> str:
    """A value in COPY's text format."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dt.datetime):
        return value.isoformat()
    text = str(value)
    if any(c in text for c in "\t\n\r\\"):
        raise ValueError(f"bulk_insert cannot copy {text!r}: tabs, newlines and backslashes "
                         "need escaping")
    return text
