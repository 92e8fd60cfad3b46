"""The fixtures every test may use: a real database (SQLite by default, PostgreSQL with
LMS_TEST_DATABASE_URL), migrated once per run with the project's own migrations, emptied after
every test; one app per test process; snapshots of the states many tests start from.

tests/conftest.py loads this module in every process that runs tests."""

from __future__ import annotations

import atexit
import copy
import datetime as dt
import functools
import os
import re
import shutil
import sqlite3
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import flask_migrate
import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.serving import make_server

from lms import create_app
from lms.core.data_version import DataVersion
from lms.core.extensions import cache, db, limiter
from lms.framework.seed import read_seed_file, sync_framework
from lms.framework.welsh import read_welsh_file, sync_welsh

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SEED_FILE = PROJECT_ROOT / "seeds" / "framework.yaml"
WELSH_SEED_FILE = PROJECT_ROOT / "seeds" / "framework.cy.yaml"
POSTGRES_URL = os.environ.get("LMS_TEST_DATABASE_URL")
#: The access world (a person of every role in two cohorts), for every folder's tests.
pytest_plugins = ["tests.worlds"]
T = TypeVar("T")
#: Where test apps write e-mail when no SMTP server is set (emptied by each test that reads it).
OUTBOX_DIR = Path(tempfile.mkdtemp(prefix="lms-test-outbox-"))
atexit.register(shutil.rmtree, OUTBOX_DIR, ignore_errors=True)  # one per test run, not kept


#: Fixtures that bring a marker with them: whoever uses them needs what the marker names.
MARKED_FIXTURES = {"served": "server", "served_throttled": "server", "browser": "browser"}


def pytest_collection_modifyitems(items) -> None:
    """Mark the tests that use a fixture needing a server or the browser."""
    for item in items:
        for fixture in set(MARKED_FIXTURES) & set(getattr(item, "fixturenames", ())):
            item.add_marker(MARKED_FIXTURES[fixture])


def app_settings(database_url: str, **overrides) -> dict:
    """The settings every test app gets."""
    # No process-local window: every request asks for the framework's version, so a test
    # sees its own changes at once (tests/framework/test_api.py tests the window itself).
    # The job queue in this process's memory (tests run its jobs with run_pending, or start
    # a worker of their own); written-out e-mail in a folder of the run's, not instance/.
    # No charts drawn ahead, which tests running the queue for e-mail would draw
    # (tests/outcomes/test_ahead.py turns it on).
    return {"LMS_ENV": "testing", "SQLALCHEMY_DATABASE_URI": database_url,
            "LMS_LOCAL_CACHE_SECONDS": 0, "LMS_QUEUE": "memory", "LMS_CHARTS_AHEAD_SECONDS": 0,
            "LMS_OUTBOX_DIR": str(OUTBOX_DIR), **overrides}


def reset_postgres(url: str) -> None:
    """Drop everything in the PostgreSQL test database (an earlier run's kept states too);
    fail loudly if it is unreachable."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            kept = connection.scalars(sa.text(
                r"SELECT nspname FROM pg_namespace WHERE nspname LIKE 'snapshot\_%'")).all()
            for schema in kept:
                connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
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
def database_url(migrated_database) -> str:
    """The database this run tests against, empty and migrated to the newest revision."""
    return migrated_database.url


@pytest.fixture(scope="session")
def snapshots(migrated_database) -> DatabaseSnapshots:
    """This process's database snapshots, starting with the empty, migrated database."""
    return migrated_database


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory) -> DatabaseSnapshots:
    """The test database, migrated, with its snapshots (the first: empty, just migrated)."""
    if POSTGRES_URL:
        url = worker_database(POSTGRES_URL)
        reset_postgres(url)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'lms-test.sqlite'}"
    app = create_app(app_settings(url))
    kept = DatabaseSnapshots(url, tmp_path_factory.mktemp("snapshots"))
    with app.app_context():
        flask_migrate.upgrade()
        kept.keep_empty()
        db.engine.dispose()
    return kept


@pytest.fixture(scope="session")
def shared_app(database_url) -> Iterator[Flask]:
    """One application per test process, set back to how it was made before every test.

    Making an app registers ~100 routes and their OpenAPI description (about 0.15 s); a test
    that needs an app of its own (other settings, routes of its own) calls ``create_app``, or
    overrides ``app`` in its module.
    """
    app = create_app(app_settings(database_url))
    app.test_state_as_made = AppState.of(app)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def app(shared_app, snapshots) -> Iterator[Flask]:
    """The shared application as it was made, on an empty database; emptied again after."""
    shared_app.test_state_as_made.restore(shared_app)
    shared_app.extensions["lms_jobs"].huey.flush()  # no job left by an earlier test
    yield shared_app
    with shared_app.app_context():
        db.session.remove()
        if not snapshots.restore("empty"):
            empty_tables()
        db.engine.dispose()


class AppState:
    """What a test may change in the shared app: its settings, the lazily kept process-local
    answers in ``app.extensions``, the rate limiter's counters (and which storage the global
    limiter uses: an app made inside a test binds it to that app's) and the cache."""

    def __init__(self, config: dict, extensions: dict, limiter_state: dict) -> None:
        self.config, self.extensions, self.limiter_state = config, extensions, limiter_state

    @classmethod
    def of(cls, app: Flask) -> AppState:
        """The state of ``app`` now."""
        return cls(dict(app.config), dict(app.extensions),
                   {name: getattr(limiter, name) for name in LIMITER_BINDING})

    def restore(self, app: Flask) -> None:
        """Put ``app`` back as it was."""
        app.config.clear()
        app.config.update(self.config)
        app.extensions.clear()
        app.extensions.update(self.extensions)
        for name, value in self.limiter_state.items():
            setattr(limiter, name, value)
        with app.app_context():
            limiter.reset()
            cache.clear()


#: The attributes Flask-Limiter's ``init_app`` sets on the one global limiter.
LIMITER_BINDING = ("_storage", "_limiter", "_storage_dead")


class DatabaseSnapshots:
    """Copies of the SQLite test database in states many tests start from (empty, the
    framework loaded, the modules loaded, a fixture's people), restored with SQLite's backup
    API in milliseconds instead of being built row by row for every test.

    A state is only restored over the state it was built on: a test whose earlier fixtures
    already wrote rows of their own gets its state built on top of them, as it always did.
    On PostgreSQL a state is kept as a copy of every table in a schema of its own
    (``snapshot_<name>``) and restored by emptying the tables and copying the rows back.

    A restore is copied in when the next connection to the database opens, not at once: a
    chain of fixtures (empty, then seeded, then curriculum, then a world) that nothing reads
    in between costs one copy, not four. Until then the state is known without asking.
    """

    def __init__(self, database_url: str, directory: Path) -> None:
        url = sa.engine.make_url(database_url)
        self.url = database_url
        self.database = Path(url.database) if url.get_backend_name() == "sqlite" else None
        self.postgres = url.get_backend_name() == "postgresql"
        self.directory = directory
        self.kept: dict[str, Snapshot] = {}
        self.pending: str | None = None  # the snapshot the next connection copies in
        if self.database is not None:
            # Every engine, so an app a test makes for itself sees the restored state too.
            sa.event.listen(sa.engine.Engine, "connect", self.copy_in_pending, insert=True)

    def copy_in_pending(self, connection, _record) -> None:
        """Copy the pending snapshot into the test database through a connection just made
        to it (before the app's own connect hook sets its pragmas)."""
        if self.pending is None or not isinstance(connection, sqlite3.Connection):
            return
        files = {Path(row[2]) for row in connection.execute("PRAGMA database_list") if row[2]}
        if self.database.resolve() not in {path.resolve() for path in files}:
            return
        name, self.pending = self.pending, None
        with closing(sqlite3.connect(self.path(name))) as reading:
            reading.backup(connection)

    def path(self, name: str) -> Path:
        """Where the snapshot ``name`` is kept."""
        return self.directory / f"{name}.sqlite"

    def keep_empty(self) -> None:
        """Keep the database as it is now (empty and migrated) as the snapshot "empty"."""
        if self.postgres:  # "empty" is what emptying the tables leaves, as after every test
            empty_tables()
            self.kept["empty"] = Snapshot(base=None, fingerprint=fingerprint(), value=None)
            db.session.remove()
        if self.database is not None:
            self.kept["empty"] = Snapshot(base=None, fingerprint=fingerprint(), value=None)
            db.session.remove()
            db.engine.dispose()
            copy_sqlite(self.database, self.path("empty"))

    def restore(self, name: str) -> bool:
        """Put the snapshot ``name`` in place of the database (when it is next connected
        to); False if there is none."""
        if name not in self.kept or (self.database is None and not self.postgres):
            return False
        db.session.remove()
        if self.postgres:
            if name == "empty":
                empty_tables()
            else:
                copy_postgres_back(name)
            return True
        db.engine.dispose()
        self.pending = name
        return True

    def settle(self) -> None:
        """Copy in a pending restore now (before another process opens the file)."""
        if self.pending is not None:
            with closing(sqlite3.connect(self.database)) as connection:
                self.copy_in_pending(connection, None)

    def build_or_restore(self, app: Flask, name: str, base: str, build: Callable[[], T]) -> T:
        """The value ``build`` returns, with the database in the state it leaves, which is
        built on the state ``base``: restored from a snapshot when the database is in state
        ``base`` and ``name`` was built today, built (and kept, if on ``base``) otherwise."""
        with app.app_context():
            kept, on_base = self.kept.get(name), self.is_in_state(base)
            if kept and on_base and kept.built_on == dt.date.today() and self.restore(name):
                return copy.deepcopy(kept.value)  # a test may change what it was given
            value = build()
            db.session.commit()
            if on_base and self.postgres:
                db.session.remove()
                copy_postgres_aside(name)
                self.kept[name] = Snapshot(base, fingerprint(), copy.deepcopy(value))
            elif on_base and self.database is not None:
                db.session.remove()
                db.engine.dispose()
                self.settle()  # a build that read nothing leaves its base still pending
                copy_sqlite(self.database, self.path(name))
                self.kept[name] = Snapshot(base, fingerprint(), copy.deepcopy(value))
            return value

    def is_in_state(self, name: str) -> bool:
        """Whether the database holds what the snapshot ``name`` holds, going by the number
        of rows in each table and the data-version tokens (which every write changes)."""
        if self.database is None and not self.postgres:
            return False
        if self.pending is not None:
            return self.pending == name  # nothing has connected since it was restored
        kept = self.kept.get(name)
        return kept is not None and kept.fingerprint == fingerprint()


@dataclass
class Snapshot:
    """What a kept state was built on, how to recognise it, and its fixture's value."""

    base: str | None
    fingerprint: tuple | None
    value: object
    built_on: dt.date = field(default_factory=dt.date.today)  # fixtures build from today


def fingerprint() -> tuple:
    """Row counts of every table, and the data-version tokens, in one query."""
    counts = sa.text(row_counts_sql(db.engine.dialect.name))
    tokens = sa.select(DataVersion.name, DataVersion.token).order_by(DataVersion.name)
    return tuple(db.session.execute(counts).one()), tuple(db.session.execute(tokens).all())


@functools.cache
def row_counts_sql(dialect: str) -> str:
    """One SELECT of every table's row count, as SQL text (made once: building the
    statement for ~40 tables each time cost more than running it)."""
    counts = sa.select(*(sa.select(sa.func.count()).select_from(table).scalar_subquery()
                         for table in db.metadata.sorted_tables))
    return str(counts.compile(dialect=db.engine.dialect))


def copy_sqlite(source: Path, target: Path) -> None:
    """Copy one SQLite database over another, page by page (safe with WAL files about)."""
    with closing(sqlite3.connect(source)) as reading, closing(sqlite3.connect(target)) as writing:
        reading.backup(writing)


def snapshot_schema(name: str) -> str:
    """The PostgreSQL schema that keeps the snapshot ``name``."""
    return "snapshot_" + re.sub(r"\W", "_", name)


def copy_postgres_aside(name: str) -> None:
    """Copy every table's rows into the snapshot's schema (made afresh)."""
    schema = snapshot_schema(name)
    with db.engine.begin() as connection:
        connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        for table in db.metadata.sorted_tables:
            connection.execute(sa.text(
                f'CREATE TABLE "{schema}"."{table.name}" AS TABLE public."{table.name}"'))


def copy_postgres_back(name: str) -> None:
    """Put the snapshot's rows in place of the tables', and each id sequence after them.
    Foreign keys and triggers are off while the rows go in (the copy is of a consistent
    state), so the order of the tables does not matter."""
    schema = snapshot_schema(name)
    empty_tables()
    # The names in these statements are our own tables' and columns' (no outside text).
    with db.engine.begin() as connection:
        connection.execute(sa.text("SET LOCAL session_replication_role = replica"))
        for table in db.metadata.sorted_tables:
            columns = ", ".join(f'"{column.name}"' for column in table.columns)
            connection.execute(sa.text(
                f'INSERT INTO public."{table.name}" ({columns}) '  # noqa: S608
                f'SELECT {columns} FROM "{schema}"."{table.name}"'))
            if "id" in table.columns and table.columns["id"].autoincrement is not False:
                connection.execute(sa.text(
                    f"SELECT setval(pg_get_serial_sequence('public.\"{table.name}\"', 'id'), "  # noqa: S608
                    f'(SELECT COALESCE(MAX(id), 0) + 1 FROM public."{table.name}"), false)'))


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


@pytest.fixture(scope="session")
def welsh_seed_data() -> dict:
    """The framework's real Welsh translation file, read and validated once per run."""
    return read_welsh_file(WELSH_SEED_FILE)


@pytest.fixture
def seeded(app, seed_data, welsh_seed_data, snapshots):
    """The app with the real framework seed file loaded, and its Welsh translation (as
    `flask lms seed` loads both)."""
    def build():
        sync_framework(copy.deepcopy(seed_data))
        sync_welsh(copy.deepcopy(welsh_seed_data))

    snapshots.build_or_restore(app, "seeded", "empty", build)
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
def curriculum(seeded, module_files, snapshots):
    """The app with the framework and the real modules loaded."""
    from lms.curriculum.seed import sync_modules

    snapshots.build_or_restore(seeded, "curriculum", "seeded",
                               lambda: sync_modules(copy.deepcopy(module_files)))
    return seeded
