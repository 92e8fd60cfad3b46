"""`flask lms worker` in a process of its own, against the suite's database, a real queue
(Huey on SQLite, or on Redis) and a real SMTP server: every message arrives, and arrives once,
even when the worker is SIGKILLed in the middle of a batch and started again.

The SMTP server kills the worker itself, at the MAIL FROM of the message a test chooses: the
messages before it are recorded as sent, that one is claimed and half-sent, the rest wait.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa

from lms import create_app
from lms.cohorts import roster
from lms.core.extensions import db
from lms.messaging.models import Message
from tests import builders as b
from tests.fixtures import PROJECT_ROOT, app_settings
from tests.messaging.conftest import SmtpServer, smtp_settings

pytestmark = pytest.mark.worker
REDIS_URL = os.environ.get("LMS_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
HEADER = "email,name,organisation,organisation_type,sector,leadership_level,role\n"


def roster_of(prefix: str, count: int) -> bytes:
    """A roster of ``count`` new participants."""
    rows = [f"{prefix}{n}@example.org,Person {n},Northshire County Council,local_authority,"
            "commissioning,manager,participant\n" for n in range(count)]
    return (HEADER + "".join(rows)).encode()


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def queue_settings(request, tmp_path) -> Iterator[dict]:
    """The queue the test app and its worker share: an SQLite file, or Redis (a queue name
    of the test's own, deleted after)."""
    if request.param == "sqlite":
        yield {"LMS_QUEUE": "sqlite", "LMS_QUEUE_FILE": str(tmp_path / "queue.sqlite")}
        return
    name = f"lms-test-{uuid.uuid4().hex[:8]}"
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as exc:
        pytest.fail(f"Redis is needed at {REDIS_URL} (.ci/run starts it): {exc}")
    yield {"LMS_QUEUE": "redis", "LMS_REDIS_URL": REDIS_URL, "LMS_QUEUE_NAME": name}
    for key in client.scan_iter(f"*{name}*"):
        client.delete(key)


@pytest.fixture
def mail_app(seeded, database_url, queue_settings, smtp_server, tmp_path):
    """An app on the suite's database that queues where its worker looks, with a cohort."""
    settings = {**smtp_settings(smtp_server), **queue_settings,
                "LMS_MAIL_LEASE_SECONDS": 1.0}
    app = create_app(app_settings(database_url, **settings))
    with app.app_context():
        cohort = b.make_cohort(name="Spring cohort")
        db.session.commit()
        app.cohort_id = cohort.id
    app.worker_settings = settings
    app.worker_log = str(tmp_path / "worker.log")
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def environment(app, database_url: str) -> dict[str, str]:
    """The worker's environment: the same database, queue and SMTP server as the test's."""
    env = {**os.environ, "FLASK_APP": "lms", "LMS_ENV": "testing", "PYTHONUNBUFFERED": "1",
           "LMS_DATABASE_URL": database_url, "LMS_LOG_LEVEL": "WARNING"}
    for name, value in app.worker_settings.items():
        env[name] = "no" if value is False else str(value)
    return env


def start_worker(app, database_url: str) -> subprocess.Popen:
    """`flask lms worker` with one thread, in a process of its own; what it says goes to a
    log file (``log_of`` reads it)."""
    log = Path(app.worker_log)
    with log.open("ab") as out:
        return subprocess.Popen(  # noqa: S603 - our own command, fixed arguments
            [sys.executable, "-m", "flask", "lms", "worker", "--threads", "1"],
            cwd=PROJECT_ROOT, env=environment(app, database_url),
            stdout=out, stderr=subprocess.STDOUT)


def log_of(app) -> str:
    """What the test's workers have said (for a failure's message)."""
    return Path(app.worker_log).read_text(errors="replace")[-3000:]


def wait_for(condition: Callable[[], bool], what: str, seconds: float = 60,
             log=None) -> None:
    """Until ``condition`` holds; fail saying ``what`` did not happen (and what the
    workers of ``log``, an app, said)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    pytest.fail(f"{what} did not happen within {seconds} s" + (
        f"; the workers said:\n{log_of(log)}" if log is not None else ""))


def import_roster(app, data: bytes) -> None:
    """Import a roster and commit, as the roster page would: its invitations are queued."""
    with app.app_context():
        cohort = db.session.get(roster.Cohort, app.cohort_id)
        roster.import_roster(cohort, data)
        db.session.commit()


def states(app) -> dict[str, int]:
    """How many messages are in each state."""
    with app.app_context():
        counts = dict(db.session.execute(sa.select(Message.status, sa.func.count())
                                         .group_by(Message.status)).all())
        db.session.remove()
        return counts


def kill_at(server: SmtpServer, worker: subprocess.Popen, accepted: int) -> None:
    """SIGKILL the worker when it starts sending the message after ``accepted`` others."""
    def on_mail(count: int) -> None:
        if count == accepted and worker.poll() is None:
            os.kill(worker.pid, signal.SIGKILL)

    server.received.on_mail = on_mail


def stop(worker: subprocess.Popen) -> None:
    """Stop a worker that is still running, gracefully (SIGINT, as Ctrl-C)."""
    if worker.poll() is None:
        worker.send_signal(signal.SIGINT)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()


def delivered_once_each(server: SmtpServer, addresses: list[str]) -> None:
    """Every address got exactly one message, and nobody else got any."""
    received = server.received.by_recipient()
    counts = {address: len(received.get(address, [])) for address in addresses}
    assert counts == dict.fromkeys(addresses, 1)
    assert set(received) == set(addresses)


def test_a_worker_killed_mid_batch_and_restarted_delivers_each_message_once(
        mail_app, database_url, smtp_server):
    import_roster(mail_app, roster_of("batch", 30))  # one job: thirty invitations
    worker = start_worker(mail_app, database_url)
    kill_at(smtp_server, worker, accepted=12)
    try:
        assert worker.wait(timeout=90) == -signal.SIGKILL, log_of(mail_app)
        assert len(smtp_server.received.messages) == 12
        left = states(mail_app)
        assert left == {"sent": 12, "sending": 1, "queued": 17}
        smtp_server.received.on_mail = None
        time.sleep(1.2)  # the half-sent message's lease runs out
        worker = start_worker(mail_app, database_url)
        wait_for(lambda: states(mail_app) == {"sent": 30}, "all thirty sent", log=mail_app)
    finally:
        stop(worker)
    delivered_once_each(smtp_server, [f"batch{n}@example.org" for n in range(30)])


def test_a_worker_killed_as_its_next_job_starts_loses_nothing(
        mail_app, database_url, smtp_server):
    import_roster(mail_app, roster_of("first", 3))
    import_roster(mail_app, roster_of("second", 3))  # a second job on the queue
    worker = start_worker(mail_app, database_url)
    kill_at(smtp_server, worker, accepted=3)  # the first job done, the second begun
    try:
        assert worker.wait(timeout=90) == -signal.SIGKILL, log_of(mail_app)
        assert states(mail_app) == {"sent": 3, "sending": 1, "queued": 2}
        smtp_server.received.on_mail = None
        time.sleep(1.2)
        worker = start_worker(mail_app, database_url)
        wait_for(lambda: states(mail_app) == {"sent": 6}, "all six sent", log=mail_app)
        import_roster(mail_app, roster_of("second", 3))  # the same roster again: nobody new
        import_roster(mail_app, roster_of("third", 1))
        wait_for(lambda: states(mail_app) == {"sent": 7}, "the newcomer's invitation sent",
                 log=mail_app)
    finally:
        stop(worker)
    delivered_once_each(smtp_server, [f"{prefix}{n}@example.org"
                                      for prefix, count in (("first", 3), ("second", 3),
                                                            ("third", 1))
                                      for n in range(count)])


def test_the_worker_says_where_mail_goes_and_stops_on_sigint(mail_app, database_url):
    worker = start_worker(mail_app, database_url)
    wait_for(lambda: "Worker: 1 threads on the" in log_of(mail_app), "the worker's banner")
    time.sleep(1)  # the consumer takes over SIGINT as it starts, just after the banner
    assert worker.poll() is None, log_of(mail_app)
    worker.send_signal(signal.SIGINT)
    assert worker.wait(timeout=30) == 0, log_of(mail_app)
    assert f"mail goes to SMTP 127.0.0.1:{mail_app.worker_settings['LMS_SMTP_PORT']}" in \
        log_of(mail_app)
