"""The real services some tests need beside the suite's own database: a PostgreSQL database
of their own (lms_scale_out, on the server CI provides) and the gunicorn of this venv."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

SERVER = os.environ.get("LMS_TEST_DATABASE_URL_PG",
                        "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
DATABASE = str(sa.engine.make_url(SERVER).set(database="lms_scale_out"))
GUNICORN = Path(sys.executable).parent / "gunicorn"


def fresh_database() -> None:
    """An empty lms_scale_out database; fail (never skip) if PostgreSQL is not there."""
    admin = sa.create_engine(sa.engine.make_url(DATABASE).set(database="postgres"),
                             isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            if not connection.scalar(sa.text(
                    "SELECT 1 FROM pg_database WHERE datname = 'lms_scale_out'")):
                connection.execute(sa.text("CREATE DATABASE lms_scale_out"))
    except sa.exc.OperationalError as exc:
        pytest.fail(f"PostgreSQL is needed on {DATABASE} (.ci/run starts it): {exc}")
    finally:
        admin.dispose()
    engine = sa.create_engine(DATABASE)
    with engine.begin() as connection:
        connection.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
