"""`make load`: many participants saving drafts and submitting at once while tutors read
progress, against gunicorn (gunicorn.conf.py) and PostgreSQL; then every accepted write is
checked in the database.

Builds a programme in its own PostgreSQL database (LMS_LOAD_DATABASE_URL, emptied first;
default lms_load on 127.0.0.1) with Redis (LMS_LOAD_REDIS_URL, default database 13, emptied)
for the cache and rate limits, as in production. Each participant, on a pool of client
threads: saves their pre self-assessment as a draft in four parts (the first part sent twice
at once, as a double click would), then submits twice at once. Tutors read their cohort's
progress and assessments in a loop until the participants are done.

Passes (exit 0) only if no answer was 5xx or a dropped connection, each double submission got
exactly one 200 and one 409, and the database holds, for every participant, one submitted
assessment with exactly the values of their accepted drafts and exactly one submission in the
audit log. Prints a Markdown table and writes it to bench/results/load.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import redis
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import ensure_database, free_port  # noqa: E402
from lms import create_app, synthetic  # noqa: E402
from lms.accounts.models import User  # noqa: E402
from lms.accounts.service import create_token  # noqa: E402
from lms.cohorts.seed import read_programme_file, sync_programme  # noqa: E402
from lms.core.extensions import db  # noqa: E402
from lms.framework.seed import read_seed_file, sync_framework  # noqa: E402
from lms.ratings.service import behaviours_for_sector  # noqa: E402

DATABASE = os.environ.get("LMS_LOAD_DATABASE_URL",
                          "postgresql+psycopg://postgres@127.0.0.1:5432/lms_load")
REDIS = os.environ.get("LMS_LOAD_REDIS_URL", "redis://127.0.0.1:6379/13")
BIN = Path(sys.executable).parent
RESULTS = ROOT / "bench" / "results"


@dataclass
class Participant:
    """One participant's credentials, what they are asked, and what the server accepted."""

    user_id: int
    cohort_id: int
    token: str
    codes: list[str]
    accepted: dict[str, int] = field(default_factory=dict)
    submits: list[int] = field(default_factory=list)


@dataclass
class Log:
    """Every request's kind, status (0 for a dropped connection) and seconds, thread-safe."""

    rows: list[tuple[str, int, float]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, status: int, seconds: float) -> None:
        """Note one request."""
        with self.lock:
            self.rows.append((kind, status, seconds))

    def times(self, kind: str) -> list[float]:
        """Seconds of every request of ``kind``."""
        return [seconds for k, _s, seconds in self.rows if k == kind]


def build(participants: int, cohorts: int) -> tuple[list[Participant], dict[int, str]]:
    """A fresh database: the framework, the programme, synthetic cohorts with their
    self-ratings removed and the pre window open today; a token per participant and tutor."""
    ensure_database(DATABASE)
    redis.Redis.from_url(REDIS).flushdb()
    env = {**os.environ, "FLASK_APP": "lms", "LMS_ENV": "development",
           "LMS_DATABASE_URL": DATABASE}
    subprocess.run([str(BIN / "flask"), "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    app = create_app({"LMS_ENV": "testing", "SQLALCHEMY_DATABASE_URI": DATABASE})
    with app.app_context():
        sync_framework(read_seed_file(ROOT / "seeds" / "framework.yaml"))
        sync_programme(read_programme_file(ROOT / "seeds" / "programme.yaml"))
        summary = synthetic.generate(participants, cohorts, "not used")
        db.session.execute(sa.text("DELETE FROM rating"))
        db.session.execute(sa.text("DELETE FROM assessment"))
        db.session.execute(sa.text(
            "UPDATE cohort SET pre_opens_on = CURRENT_DATE - 1, pre_closes_on = CURRENT_DATE + 1"
            " WHERE id IN :ids").bindparams(sa.bindparam("ids", expanding=True)),
            {"ids": summary.cohort_ids})
        rows = db.session.execute(sa.text(
            "SELECT e.user_id, e.cohort_id, e.role, o.sector FROM enrolment e "
            "LEFT JOIN organisation o ON o.id = e.organisation_id "
            "WHERE e.cohort_id IN :ids ORDER BY e.user_id").bindparams(
                sa.bindparam("ids", expanding=True)), {"ids": summary.cohort_ids}).all()
        codes = {sector: [b.code for b in behaviours_for_sector(sector)]
                 for sector in {row.sector for row in rows}}
        people, tutors = [], {}
        for row in rows:
            user = db.session.get(User, row.user_id)
            secret = create_token(user, "load", 1)[1]
            if row.role == "participant":
                people.append(Participant(row.user_id, row.cohort_id, secret, codes[row.sector]))
            else:
                tutors[row.cohort_id] = secret
        db.session.commit()
        db.engine.dispose()
    return people, tutors


def call(base: str, method: str, path: str, token: str, log: Log, kind: str,
         body: dict | None = None) -> int:
    """Send one request; log it; its status, or 0 if the connection dropped."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(  # noqa: S310 - our own server on 127.0.0.1
        base + path, data=data, method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
            response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        error.read()
        error.close()
        status = error.code
    except OSError:
        status = 0
    log.add(kind, status, time.perf_counter() - started)
    return status


def twice_at_once(send) -> list[int]:
    """Run ``send`` on two threads at the same moment; both statuses."""
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def go():
        barrier.wait()
        statuses.append(send())

    threads = [threading.Thread(target=go) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def participant_session(base: str, person: Participant, log: Log, rng: random.Random) -> None:
    """Save the pre self-assessment in four drafts (the first sent twice at once), then
    submit twice at once."""
    path = "/api/v1/me/assessments/pre"
    parts = [person.codes[i::4] for i in range(4)]
    for number, part in enumerate(parts):
        values = {code: rng.randint(1, 5) for code in part}

        def send(values=values):
            return call(base, "PUT", path, person.token, log, "draft PUT",
                        {"ratings": values})

        statuses = twice_at_once(send) if number == 0 else [send()]
        if 200 in statuses:
            person.accepted.update(values)
    person.submits = twice_at_once(
        lambda: call(base, "POST", f"{path}/submit", person.token, log, "submit POST"))


def tutor_reading(base: str, cohort_id: int, token: str, log: Log,
                  done: threading.Event) -> None:
    """Read the cohort's progress and assessments until the participants are done."""
    while not done.is_set():
        call(base, "GET", f"/api/v1/cohorts/{cohort_id}/progress", token, log,
             "tutor progress GET")
        call(base, "GET", f"/api/v1/cohorts/{cohort_id}/assessments", token, log,
             "tutor assessments GET")


def serve() -> tuple[subprocess.Popen, str]:
    """gunicorn with the repository's settings on the load database; its base URL."""
    port = free_port()
    env = {**os.environ, "LMS_ENV": "development", "LMS_DATABASE_URL": DATABASE,
           "LMS_REDIS_URL": REDIS, "LMS_SECRET_KEY": "load-test-" + "x" * 32,
           "LMS_RATE_LIMIT": "1000000 per minute", "LMS_WRITE_LIMIT": "1000000 per minute",
           "LMS_GUNICORN_ACCESSLOG": "/dev/null"}
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "--bind",
         f"127.0.0.1:{port}", "wsgi:app"], cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=5):  # noqa: S310
                return process, base
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise SystemExit(f"gunicorn did not start: {process.stderr.read().decode()[-2000:]}")


def verify(people: list[Participant]) -> list[str]:
    """Every way the database or the answers break the promise; empty when all holds."""
    problems = []
    engine = sa.create_engine(DATABASE)
    with engine.connect() as connection:
        stored = defaultdict(dict)
        for user_id, code, value in connection.execute(sa.text(
                "SELECT a.user_id, b.code, r.value FROM rating r "
                "JOIN assessment a ON a.id = r.assessment_id "
                "JOIN behaviour b ON b.id = r.behaviour_id WHERE a.phase = 'pre'")):
            stored[user_id][code] = value
        statuses = dict(connection.execute(sa.text(
            "SELECT user_id, status FROM assessment WHERE phase = 'pre'")).all())
        events = Counter(dict(connection.execute(sa.text(
            "SELECT a.user_id, count(*) FROM audit_event e "
            "JOIN assessment a ON e.target_type = 'assessment' AND e.target_id = a.id "
            "WHERE e.action = 'assessment.submit' GROUP BY a.user_id")).all()))
    engine.dispose()
    for person in people:
        who = f"participant {person.user_id}"
        if sorted(person.submits) != [200, 409]:
            problems.append(f"{who}: the two submissions were answered {person.submits}")
        if stored[person.user_id] != person.accepted:
            problems.append(f"{who}: stored answers differ from the accepted drafts")
        if statuses.get(person.user_id) != "submitted":
            problems.append(f"{who}: assessment is {statuses.get(person.user_id)}")
        if events[person.user_id] != 1:
            problems.append(f"{who}: {events[person.user_id]} submissions in the audit log")
    return problems


def table(log: Log, seconds: float, people: int, concurrency: int) -> str:
    """The run's figures as Markdown."""
    lines = [f"Load test: {people} participants on {concurrency} client threads, "
             f"{len(log.rows)} requests in {seconds:.1f} s "
             f"({len(log.rows) / seconds:.0f} requests/s), gunicorn.conf.py, PostgreSQL, "
             "Redis, 127.0.0.1.", "",
             "| requests | count | statuses | p50 | p95 | p99 |", "|---|---|---|---|---|---|"]
    kinds = sorted({kind for kind, _, _ in log.rows})
    for kind in kinds:
        rows = [(status, secs) for k, status, secs in log.rows if k == kind]
        times = np.array([secs for _, secs in rows]) * 1000
        statuses = ", ".join(f"{s}: {n}" for s, n in sorted(Counter(s for s, _ in rows).items()))
        p50, p95, p99 = np.percentile(times, [50, 95, 99])
        lines.append(f"| {kind} | {len(rows)} | {statuses} | {p50:.0f} ms | {p95:.0f} ms "
                     f"| {p99:.0f} ms |")
    return "\n".join(lines)


def run(participants: int, cohorts: int, concurrency: int) -> tuple[str, list[str]]:
    """Build, serve, load and verify: the report, and every broken promise (none if all held)."""
    people, tutors = build(participants, cohorts)
    server, base = serve()
    log, done = Log(), threading.Event()
    try:
        readers = [threading.Thread(target=tutor_reading, args=(base, cohort, token, log, done))
                   for cohort, token in tutors.items()]
        started = time.perf_counter()
        for reader in readers:
            reader.start()
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            for number, person in enumerate(people):
                pool.submit(participant_session, base, person, log,
                            random.Random(number))  # noqa: S311 - varied answers, not secrets
        done.set()
        for reader in readers:
            reader.join()
        seconds = time.perf_counter() - started
    finally:
        done.set()
        server.terminate()
        server.wait(timeout=60)
        server.stderr.close()
    failures = [f"{n} answers were {s or 'a dropped connection'}"
                for s, n in Counter(s for _, s, _ in log.rows).items() if s == 0 or s >= 500]
    failures += verify(people)
    return table(log, seconds, len(people), concurrency), failures


def main() -> None:
    """`make load`: run, print and write the report; exit 1 if any promise broke."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=300)
    parser.add_argument("--cohorts", type=int, default=6)
    parser.add_argument("--concurrency", type=int, default=24)
    args = parser.parse_args()
    print(f"building {args.participants} participants in {args.cohorts} cohorts …", flush=True)
    report, failures = run(args.participants, args.cohorts, args.concurrency)
    verdict = ("Every accepted write stored exactly once; no 5xx, no dropped connection."
               if not failures else "FAILED:\n- " + "\n- ".join(failures[:50]))
    output = f"{report}\n\n{verdict}\n"
    print(output)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "load.md").write_text(output)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
