"""Test set-up: a real database (SQLite by default, PostgreSQL with LMS_TEST_DATABASE_URL),
migrated once per run with the project's own migrations, emptied after every test."""

from __future__ import annotations

import copy
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import flask_migrate
import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from lms import create_app
from lms.extensions import db
from lms.framework.seed import read_seed_file, sync_framework

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SEED_FILE = PROJECT_ROOT / "seeds" / "framework.yaml"
POSTGRES_URL = os.environ.get("LMS_TEST_DATABASE_URL")


def app_settings(database_url: str, **overrides) -> dict:
    """The settings every test app gets."""
    # No process-local window: every request asks for the framework's version, so a test
    # sees its own changes at once (tests/framework/test_api.py tests the window itself).
    return {"LMS_ENV": "testing", "SQLALCHEMY_DATABASE_URI": database_url,
            "LMS_LOCAL_CACHE_SECONDS": 0, **overrides}


def reset_postgres(url: str) -> None:
    """Drop everything in the PostgreSQL test database; fail loudly if it is unreachable."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text("DROP SCHEMA public CASCADE"))
            connection.execute(sa.text("CREATE SCHEMA public"))
    except sa.exc.OperationalError as exc:
        pytest.exit(f"LMS_TEST_DATABASE_URL={url} is not reachable: {exc}", returncode=3)
    finally:
        engine.dispose()


def worker_database(url: str) -> str:
    """The PostgreSQL database of this pytest-xdist worker (``lms_test_gw0``…), created if
    missing; ``url`` itself when the suite runs in one process."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    target = sa.engine.make_url(url)
    target = target.set(database=f"{target.database}_{worker}")
    server = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as connection:
            if not connection.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                     {"n": target.database}):
                connection.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
    except sa.exc.OperationalError as exc:
        pytest.exit(f"LMS_TEST_DATABASE_URL={url} is not reachable: {exc}", returncode=3)
    finally:
        server.dispose()
    return target.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    """The database this run tests against, empty and migrated to the newest revision."""
    if POSTGRES_URL:
        url = worker_database(POSTGRES_URL)
        reset_postgres(url)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'lms-test.sqlite'}"
    app = create_app(app_settings(url))
    with app.app_context():
        flask_migrate.upgrade()
        db.engine.dispose()
    return url


@pytest.fixture
def app(database_url):
    """A fresh application on the shared test database; every table is emptied afterwards."""
    app = create_app(app_settings(database_url))
    yield app
    with app.app_context():
        db.session.remove()
        empty_tables()
        db.engine.dispose()


def empty_tables() -> None:
    """Delete every row, children first, so the next test starts from nothing."""
    tables = list(reversed(db.metadata.sorted_tables))
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            names = ", ".join(f'"{table.name}"' for table in tables)
            connection.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(table.delete())


@pytest.fixture(scope="session")
def seed_data() -> dict:
    """The real framework seed file, read and validated once per run."""
    return read_seed_file(SEED_FILE)


@pytest.fixture
def seeded(app, seed_data):
    """The app with the real framework seed file loaded."""
    with app.app_context():
        sync_framework(copy.deepcopy(seed_data))
        db.session.commit()
    return app


class QueryCounter:
    """Counts the SQL statements sent while it is active."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, _conn, _cursor, statement, *_args) -> None:
        self.statements.append(statement)

    @property
    def count(self) -> int:
        """How many statements were sent."""
        return len(self.statements)


@contextmanager
def count_queries(engine: sa.Engine) -> Iterator[QueryCounter]:
    """Count the statements ``engine`` executes inside the block."""
    counter = QueryCounter()
    sa.event.listen(engine, "before_cursor_execute", counter)
    try:
        yield counter
    finally:
        sa.event.remove(engine, "before_cursor_execute", counter)


@pytest.fixture
def served(app) -> Iterator[str]:
    """The app served over HTTP on a free port of 127.0.0.1, by a real server in a thread
    (requests run outside the test's context, as in production); its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def module_files() -> list:
    """The real module files, read and validated once per run."""
    from lms.curriculum.files import read_module_directory

    return read_module_directory(PROJECT_ROOT / "modules")


@pytest.fixture
def curriculum(seeded, module_files):
    """The app with the framework and the real modules loaded."""
    from lms.curriculum.loader import sync_modules

    with seeded.app_context():
        sync_modules(copy.deepcopy(module_files))
        db.session.commit()
    return seeded
