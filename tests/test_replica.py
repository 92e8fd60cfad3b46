"""Reports from a PostgreSQL read replica (LMS_DATABASE_REPLICA_URL): a real streaming replica,
made with pg_basebackup from a primary this test starts on a loopback port, serves the
outcome reads; the primary takes every write; the replica refuses writes.

It needs PostgreSQL's server programs (Debian's postgresql package) and root, to run them as
the postgres user; without them it fails, it never skips.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import flask_migrate
import pytest
import sqlalchemy as sa

from lms.app import create_app
from lms.core.extensions import db
from lms.core.replica import EXTENSION
from lms.framework.seed import read_seed_file, sync_framework
from tests import builders as b
from tests.external_services import free_port
from tests.fixtures import PROJECT_ROOT, app_settings

pytestmark = [pytest.mark.postgres]

BIN = Path("/usr/lib/postgresql")


def server_programs() -> Path:
    """The folder of PostgreSQL's server programs (initdb, pg_ctl, pg_basebackup)."""
    found = sorted(BIN.glob("*/bin/initdb"))
    if not found:
        pytest.fail("PostgreSQL's server programs are missing (Debian's postgresql package; "
                    ".ci/run installs it).")
    if os.geteuid() != 0:
        pytest.fail("Starting a PostgreSQL primary and replica needs root (to run them as "
                    "the postgres user).")
    return found[-1].parent


RUNUSER = shutil.which("runuser") or "/usr/sbin/runuser"


def as_postgres(*command: str) -> None:
    """Run one of PostgreSQL's programs as the postgres user; fail with its output."""
    done = subprocess.run([RUNUSER, "-u", "postgres", "--", *command],  # noqa: S603 - ours
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, f"{command[0]} failed: {done.stdout}{done.stderr}"


class Cluster:
    """A PostgreSQL server in a folder of its own, on a loopback port."""

    def __init__(self, programs: Path, directory: Path, port: int) -> None:
        self.programs, self.directory, self.port = programs, directory, port

    def start(self) -> None:
        as_postgres(str(self.programs / "pg_ctl"), "-D", str(self.directory), "-w",
                    "-l", f"{self.directory}.log", "-o",
                    f"-p {self.port} -k {self.directory.parent} "
                    "-c listen_addresses=127.0.0.1 -c fsync=off", "start")

    def stop(self) -> None:
        subprocess.run([RUNUSER, "-u", "postgres", "--",  # noqa: S603 - our own programs
                        str(self.programs / "pg_ctl"), "-D", str(self.directory), "-m",
                        "immediate", "stop"], capture_output=True, timeout=60, check=False)

    def url(self, database: str = "lms") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"


@pytest.fixture(scope="module")
def clusters() -> Iterator[tuple[Cluster, Cluster]]:
    """A primary with the database ``lms``, and its streaming replica."""
    programs = server_programs()
    # Not under pytest's own temporary folder, which the postgres user cannot enter.
    home = Path(tempfile.mkdtemp(prefix="lms-replication-"))
    shutil.chown(home, "postgres")
    primary = Cluster(programs, home / "primary", free_port())
    replica = Cluster(programs, home / "replica", free_port())
    as_postgres(str(programs / "initdb"), "-D", str(primary.directory), "-A", "trust",
                "-U", "postgres")
    with (primary.directory / "pg_hba.conf").open("a") as hba:
        hba.write("host replication all 127.0.0.1/32 trust\n")
    primary.start()
    try:
        engine = engine_for(primary.url("postgres"), isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(sa.text("CREATE DATABASE lms"))
        engine.dispose()
        as_postgres(str(programs / "pg_basebackup"), "-h", "127.0.0.1", "-p",
                    str(primary.port), "-U", "postgres", "-D", str(replica.directory), "-R",
                    "-X", "stream", "-c", "fast")  # a checkpoint now, not the next one
        replica.start()
        yield primary, replica
    finally:
        replica.stop()
        primary.stop()
        shutil.rmtree(home, ignore_errors=True)


def engine_for(url: str, **options) -> sa.Engine:
    """An engine that keeps no connection once one is closed (nothing left open)."""
    return sa.create_engine(url, poolclass=sa.pool.NullPool, **options)


def caught_up(primary: Cluster, replica: Cluster) -> None:
    """Wait until the replica has replayed everything the primary has written."""
    with engine_for(primary.url()).connect() as connection:
        written = connection.execute(sa.text("SELECT pg_current_wal_lsn()")).scalar()
    engine = engine_for(replica.url())
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with engine.connect() as connection:
            if connection.execute(sa.text("SELECT pg_last_wal_replay_lsn() >= :lsn"),
                                  {"lsn": written}).scalar():
                engine.dispose()
                return
        time.sleep(0.1)
    pytest.fail("The replica did not catch up within 30 s.")


class Statements:
    """The SQL one engine runs."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine, self.seen = engine, []
        sa.event.listen(engine, "before_cursor_execute", self.note)

    def note(self, _conn, _cursor, statement, *_args) -> None:
        self.seen.append(" ".join(statement.split()))

    def stop(self) -> None:
        sa.event.remove(self.engine, "before_cursor_execute", self.note)


def test_reports_come_from_the_replica_and_writes_from_the_primary(clusters):
    primary, replica = clusters
    app = create_app(app_settings(primary.url(), LMS_DATABASE_REPLICA_URL=replica.url()))
    with app.app_context():
        flask_migrate.upgrade()
        sync_framework(read_seed_file(PROJECT_ROOT / "seeds" / "framework.yaml"))
        cohort = b.make_cohort(name="Replicated cohort")
        tutor = b.make_user("tutor")
        b.enrol(tutor, cohort)
        people = []
        for number in range(6):
            person = b.make_user("participant", email=f"p{number}@example.org")
            b.enrol(person, cohort)
            b.assess(person, cohort, "pre", values={"SI.1": 2})
            b.assess(person, cohort, "post", values={"SI.1": 2 + number % 3})
            people.append(person)
        headers = b.bearer(tutor)
        cohort_id = db.session.get(type(cohort), cohort.id).id
        db.session.commit()
    caught_up(primary, replica)
    client = app.test_client()
    with app.app_context():
        on_replica = Statements(app.extensions[EXTENSION])
        on_primary = Statements(db.engine)
        answer = client.get(f"/api/v1/cohorts/{cohort_id}/outcomes?level=behaviour",
                            headers=headers)
        on_replica.stop()
        on_primary.stop()
    assert answer.status_code == 200, answer.json
    si1 = next(row for row in answer.json["rows"] if row["code"] == "SI.1")
    assert si1["post_pre"]["n"] == 6 and si1["post_pre"]["mean_change"] == pytest.approx(1.0)
    # the report's reads (the one counting statement, the data version) went to the replica
    assert any("FROM assessment" in s and "JOIN rating" in s for s in on_replica.seen)
    assert any("cohort_data_version" in s for s in on_replica.seen)
    # the primary saw only the caller's sign-in (its token) and nothing of the report
    assert not any("rating" in s or "data_version" in s for s in on_primary.seen), \
        on_primary.seen
    # a write goes to the primary, and the replica refuses one outright
    changed = client.patch("/api/v1/me", json={"email_reminders": False}, headers=headers)
    assert changed.status_code == 200, changed.json
    with engine_for(primary.url()).connect() as connection:
        assert connection.execute(sa.text(
            "SELECT email_reminders FROM user_account WHERE role = 'tutor'")).scalar() is False
    with pytest.raises(sa.exc.InternalError, match="read-only transaction"), \
            engine_for(replica.url()).begin() as connection:
        connection.execute(sa.text("UPDATE programme SET min_group_size = 9"))
    with app.app_context():
        app.extensions[EXTENSION].dispose()
        db.engine.dispose()
