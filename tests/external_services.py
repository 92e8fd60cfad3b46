"""The real services some tests need beside the suite's own database: PostgreSQL databases
of their own (lms_scale_out for tests/test_scale_out.py, lms_faults for tests/test_faults.py,
on the server CI provides) and the gunicorn of this venv. pytest-xdist runs each test file
on one worker (`--dist loadfile`), so no two tests share one of these at the same moment."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import sqlalchemy as sa

SERVER = os.environ.get("LMS_TEST_DATABASE_URL_PG",
                        "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
GUNICORN = Path(sys.executable).parent / "gunicorn"


def database_named(name: str) -> str:
    """The address of database ``name`` on the test PostgreSQL server."""
    return sa.engine.make_url(SERVER).set(database=name).render_as_string(hide_password=False)


DATABASE = database_named("lms_scale_out")


def fresh_database(url: str = DATABASE) -> None:
    """An empty database at ``url``, created if missing; fail (never skip) if PostgreSQL is
    not there."""
    name = sa.engine.make_url(url).database
    admin = sa.create_engine(sa.engine.make_url(url).set(database="postgres"),
                             isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            if not connection.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                     {"n": name}):
                connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        pytest.fail(f"PostgreSQL is needed on {url} (.ci/run starts it): {exc}")
    finally:
        admin.dispose()
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()


def free_port() -> int:
    """A port nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_serving(port: int, process: subprocess.Popen) -> None:
    """Until the workers answer (they import the app after the port opens)."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn on {port} exited: {process.stderr.read().decode()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5):
                return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"gunicorn on {port} did not answer within 90 s")
