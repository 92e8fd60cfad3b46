"""Faults against a real PostgreSQL: the database going away in the middle of a request, and
coming back. Needs PostgreSQL on 127.0.0.1 (.ci/run starts it); fails, never skips, without.
"""

from __future__ import annotations

import copy
import datetime as dt
import os
import secrets
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request

import flask_migrate
import pytest
import sqlalchemy as sa

from lms import create_app
from lms.core.extensions import db
from lms.framework import service as framework_service
from lms.framework.seed import sync_framework
from tests import builders as b
from tests.external_services import (
    GUNICORN,
    database_named,
    free_port,
    fresh_database,
    wait_until_serving,
)
from tests.fixtures import PROJECT_ROOT, app_settings

pytestmark = [pytest.mark.postgres, pytest.mark.server]

DATABASE = database_named("lms_faults")


@pytest.fixture
def postgres_app(seed_data):
    """An app on a PostgreSQL database of its own, with the framework loaded."""
    fresh_database(DATABASE)
    app = create_app(app_settings(DATABASE))
    with app.app_context():
        flask_migrate.upgrade()
        sync_framework(copy.deepcopy(seed_data))
        db.session.commit()
    yield app
    with app.app_context():
        db.engine.dispose()


def test_connections_compile_nothing_just_in_time_and_aggregate_in_memory(postgres_app):
    """PostgreSQL's JIT is off on the app's connections (lms.core.replica.tune_postgres):
    compiling a programme's flow statement cost more than it saved; and a statement may
    hash in 16 MB, where adding up a programme's kept tallies spilled a sort to disk."""
    with postgres_app.app_context():
        assert db.session.execute(sa.text("SHOW jit")).scalar() == "off"
        assert db.session.execute(sa.text("SHOW work_mem")).scalar() == "16MB"


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


def submit_over_http(url: str, headers: dict, outcome: dict) -> None:
    """POST a submission; record its status, or the connection error if the worker died."""
    request = urllib.request.Request(url, data=b"", method="POST", headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            outcome["status"] = response.status
    except urllib.error.HTTPError as error:
        outcome["status"] = error.code
    except OSError as error:  # the worker was killed: no answer at all
        outcome["error"] = error


def submission_state(engine: sa.Engine, assessment_id: int) -> tuple[str, bool, int]:
    """(status, has a submitted_at, submission events in the audit log) of an assessment."""
    with engine.connect() as connection:
        status, submitted_at = connection.execute(sa.text(
            "SELECT status, submitted_at FROM assessment WHERE id = :id"),
            {"id": assessment_id}).one()
        events = connection.scalar(sa.text(
            "SELECT count(*) FROM audit_event WHERE action = 'assessment.submit'"))
    return status, submitted_at is not None, events


def test_a_worker_killed_during_a_submission_leaves_a_draft_not_half_a_submission(
        postgres_app):
    today = dt.date.today()
    with postgres_app.app_context():
        cohort = b.make_cohort(starts_on=today - dt.timedelta(days=5),
                               ends_on=today + dt.timedelta(days=100))
        cohort.pre_opens_on, cohort.pre_closes_on = today - dt.timedelta(days=5), today
        participant = b.make_user("participant")
        b.enrol(participant, cohort)
        assessment_id = b.assess(participant, cohort, "pre", status="draft").id
        headers = b.bearer(participant)
        db.session.commit()
    port = free_port()
    env = {**os.environ, "LMS_ENV": "development", "LMS_SECRET_KEY": secrets.token_urlsafe(32),
           "LMS_DATABASE_URL": DATABASE, "LMS_GUNICORN_WORKERS": "1",
           "LMS_GUNICORN_THREADS": "1", "LMS_GUNICORN_ACCESSLOG": "/dev/null"}
    server = subprocess.Popen(  # noqa: S603 - our own server, fixed arguments
        [str(GUNICORN), "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    engine = sa.create_engine(DATABASE)
    url = f"http://127.0.0.1:{port}/api/v1/me/assessments/pre/submit"
    try:
        wait_until_serving(port, server)
        # Hold the audit log so the submission stops after its status UPDATE, before its
        # audit row: the worker is then in the middle of the transaction, and is killed.
        with engine.connect() as holder:
            holder.execute(sa.text("LOCK TABLE audit_event IN EXCLUSIVE MODE"))
            outcome: dict = {}
            request = threading.Thread(target=submit_over_http, args=(url, headers, outcome))
            request.start()
            assert wait_for_a_blocked_writer(engine), "the submission never reached the lock"
            worker_pids = subprocess.run(["pgrep", "-P", str(server.pid)],  # noqa: S603,S607
                                         capture_output=True, text=True, check=True)
            for pid in worker_pids.stdout.split():
                os.kill(int(pid), signal.SIGKILL)
            request.join(timeout=60)
            holder.rollback()  # the lock goes; the dead worker's transaction cannot commit
        assert "error" in outcome, f"the killed worker answered: {outcome}"
        time.sleep(1)
        assert submission_state(engine, assessment_id) == ("draft", False, 0)
        # gunicorn starts a new worker; the participant submits again, exactly once.
        wait_until_serving(port, server)
        again: dict = {}
        submit_over_http(url, headers, again)
        assert again == {"status": 200}
        assert submission_state(engine, assessment_id) == ("submitted", True, 1)
        submit_over_http(url, headers, again)
        assert again == {"status": 409}
        assert submission_state(engine, assessment_id) == ("submitted", True, 1)
    finally:
        server.terminate()
        server.wait(timeout=30)
        server.stderr.close()
        engine.dispose()


def wait_for_a_blocked_writer(engine: sa.Engine, seconds: float = 30) -> bool:
    """Whether, within ``seconds``, another session waits on a lock inside a transaction that
    has already written (the submission, stopped after its UPDATE)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with engine.connect() as connection:
            if connection.scalar(sa.text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock' AND backend_xid IS NOT NULL")):
                return True
        time.sleep(0.05)
    return False
