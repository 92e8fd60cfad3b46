"""Faults against a real PostgreSQL: the database going away in the middle of a request, and
coming back. Needs PostgreSQL on 127.0.0.1 (.ci/run starts it); fails, never skips, without.
"""

from __future__ import annotations

import copy
import os
import signal
import subprocess
import threading
import time

import flask_migrate
import pytest
import sqlalchemy as sa

from lms import create_app
from lms.extensions import db
from lms.framework import service as framework_service
from lms.framework.seed import sync_framework
from tests.conftest import PROJECT_ROOT, app_settings
from tests.services import DATABASE, GUNICORN, fresh_database


@pytest.fixture
def postgres_app(seed_data):
    """An app on a PostgreSQL database of its own, with the framework loaded."""
    fresh_database()
    app = create_app(app_settings(DATABASE))
    with app.app_context():
        flask_migrate.upgrade()
        sync_framework(copy.deepcopy(seed_data))
        db.session.commit()
    yield app
    with app.app_context():
        db.engine.dispose()


def cut_off(after: float) -> threading.Thread:
    """In ``after`` seconds, end every other connection to the database (as a restart or a
    failover would)."""
    def terminate():
        time.sleep(after)
        admin = sa.create_engine(DATABASE)
        with admin.begin() as connection:
            connection.execute(sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
        admin.dispose()

    thread = threading.Thread(target=terminate)
    thread.start()
    return thread


def test_the_database_going_away_mid_request_is_503_then_the_service_recovers(postgres_app,
                                                                              monkeypatch):
    client = postgres_app.test_client()
    assert client.get("/api/v1/themes").status_code == 200

    original = framework_service.list_themes

    def slow_list_themes():
        db.session.execute(sa.text("SELECT pg_sleep(2)"))  # the connection is cut meanwhile
        return original()

    monkeypatch.setattr(framework_service, "list_themes", slow_list_themes)
    thread = cut_off(after=0.5)
    response = client.get("/api/v1/themes")
    thread.join()
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert "try again" in response.get_json()["message"]
    assert "pg_" not in response.get_data(as_text=True)

    monkeypatch.setattr(framework_service, "list_themes", original)
    # The pool's connections were all cut: each is checked before use and replaced.
    assert [client.get("/api/v1/themes").status_code for _ in range(3)] == [200] * 3
    assert client.get("/healthz").get_json() == {"status": "ok", "database": "reachable"}


def test_an_import_killed_halfway_leaves_nothing_behind(postgres_app, tmp_path):
    from lms import synthetic
    from lms.ratings.models import Assessment, Rating
    from lms.ratings.service import behaviours_for_sector

    with postgres_app.app_context():
        from lms.cohorts.seed import read_programme_file, sync_programme

        sync_programme(read_programme_file(PROJECT_ROOT / "seeds" / "programme.yaml"))
        summary = synthetic.generate(1000, 1, "not used")
        cohort_id = summary.cohort_ids[0]
        db.session.execute(sa.delete(Rating))  # keep the people, drop their answers
        db.session.execute(sa.delete(Assessment))
        db.session.commit()
        emails = db.session.scalars(sa.text(
            "SELECT u.email FROM user_account u JOIN enrolment e ON e.user_id = u.id "
            "WHERE e.role = 'participant' ORDER BY u.id")).all()
        sectors = dict(db.session.execute(sa.text(
            "SELECT u.email, o.sector FROM user_account u JOIN enrolment e ON e.user_id = u.id "
            "JOIN organisation o ON o.id = e.organisation_id")).all())
        codes = {sector: [b.code for b in behaviours_for_sector(sector)]
                 for sector in set(sectors.values())}
    lines = ["email,phase,behaviour,value"] + [
        f"{email},{phase},{code},3" for email in emails for phase in ("pre", "then", "post")
        for code in codes[sectors[email]]]
    path = tmp_path / "ratings.csv"
    path.write_text("\n".join(lines) + "\n")
    flask = GUNICORN.parent / "flask"
    env = {**os.environ, "FLASK_APP": "lms", "LMS_ENV": "development",
           "LMS_DATABASE_URL": DATABASE}
    process = subprocess.Popen(  # noqa: S603 - our own command, fixed arguments
        [str(flask), "lms", "import-ratings", str(path), "--cohort", str(cohort_id)],
        cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    admin = sa.create_engine(DATABASE)
    try:
        writing = False
        deadline = time.monotonic() + 60
        while not writing and time.monotonic() < deadline and process.poll() is None:
            with admin.connect() as connection:  # the import has begun writing
                writing = bool(connection.scalar(sa.text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL")))
            time.sleep(0.02)
        assert writing and process.poll() is None, "the import never began, or ended first"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        time.sleep(0.5)  # the server notices the dropped connection and rolls back
        with admin.connect() as connection:
            assert connection.scalar(sa.text("SELECT count(*) FROM rating")) == 0
            assert connection.scalar(sa.text("SELECT count(*) FROM assessment")) == 0
    finally:
        if process.poll() is None:
            process.kill()
        admin.dispose()
