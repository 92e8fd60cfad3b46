"""The submission storm of `make bench`: a post window closing on a national programme.

On the benchmark's programme (bench/run.py: 20,000 participants in 20 cohorts, PostgreSQL,
Redis), ``--people`` participants lose their post self-assessment and the post window opens
today. Then, against gunicorn (gunicorn.conf.py), they save their answers and submit, 20 a
second (``--rate``), while, on threads of their own and until the last submission:

- a programme lead reads the whole programme's live outcomes (every submission changes one
  cohort, so most of these answers are built afresh from the kept tallies);
- a sponsor reads the programme's released outcomes and the 37-behaviour chart;
- tutors read their cohorts' progress;

each reader pausing half a second between reads.

Afterwards it checks, as `make load` does, that every accepted submission is stored exactly
once (one submitted post self-assessment with the answers sent, one audit entry), and that the
kept tallies of three cohorts equal their counts made afresh from the ratings.
"""

from __future__ import annotations

import random
import secrets
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import sqlalchemy as sa

from bench.load import Log, call
from bench.run import (
    DATABASE,
    REDIS,
    Result,
    flask_command,
    ms,
    serve,
)
from lms.accounts.models import User
from lms.accounts.service import create_token, create_user
from lms.cohorts.models import Cohort, Sponsorship
from lms.core.extensions import db
from lms.outcomes import kept, releases
from lms.ratings.service import behaviours_for_sector

#: Seconds the storm lasts, and submissions a second.
SECONDS, RATE = 60, 20
#: How many cohorts are released to the sponsor before the storm.
RELEASED = 4
#: Seconds each reader waits between reads: four people reading, not four loops.
READER_PAUSE = 0.5


@dataclass
class Submitter:
    """One participant of the storm and what the server answered them."""

    user_id: int
    cohort_id: int
    token: str
    answers: dict[str, int]
    statuses: list[int] = field(default_factory=list)


def prepare(app, people: int) -> tuple[list[Submitter], dict[int, str], str, str, int]:
    """Take the post self-assessments of ``people`` participants spread over the cohorts
    away (around the app, as a restore would), open the post window today, and publish the
    first RELEASED cohorts for a sponsor of the programme; the submitters, a tutor token per cohort,
    a programme lead's and a sponsor's token, and the programme."""
    rng = random.Random(25)  # noqa: S311 - varied answers, not secrets
    with app.app_context():
        cohorts = list(db.session.scalars(sa.select(Cohort).order_by(Cohort.id)))
        programme_id = cohorts[0].programme_id
        rows = db.session.execute(sa.text(
            "SELECT e.user_id, e.cohort_id, e.role, o.sector FROM enrolment e "
            "LEFT JOIN organisation o ON o.id = e.organisation_id ORDER BY e.user_id")).all()
        participants = [row for row in rows if row.role == "participant"]
        chosen = participants[::max(1, len(participants) // people)][:people]
        ids = [row.user_id for row in chosen]
        db.session.execute(sa.text(
            "DELETE FROM rating WHERE assessment_id IN (SELECT id FROM assessment "
            "WHERE phase IN ('post', 'then') AND user_id IN :ids)").bindparams(
                sa.bindparam("ids", expanding=True)), {"ids": ids})
        db.session.execute(sa.text(
            "DELETE FROM assessment WHERE phase IN ('post', 'then') AND user_id IN :ids")
            .bindparams(sa.bindparam("ids", expanding=True)), {"ids": ids})
        db.session.execute(sa.text(
            "UPDATE cohort SET post_opens_on = CURRENT_DATE - 1, "
            "post_closes_on = GREATEST(CURRENT_DATE + 1, post_closes_on)"))
        codes = {sector: [b.code for b in behaviours_for_sector(sector)]
                 for sector in {row.sector for row in chosen}}
        submitters = [
            Submitter(row.user_id, row.cohort_id,
                      create_token(db.session.get(User, row.user_id), "storm", 1)[1],
                      {code: rng.randint(1, 5) for code in codes[row.sector]})
            for row in chosen]
        tutors = {row.cohort_id: create_token(db.session.get(User, row.user_id), "storm",
                                              1)[1]
                  for row in rows if row.role == "tutor"}
        lead = create_user(f"lead-{secrets.token_hex(4)}@storm.example", "Programme lead",
                           "admin", invite=False)
        sponsor = create_user(f"sponsor-{secrets.token_hex(4)}@storm.example", "Sponsor",
                              "sponsor", invite=False)
        db.session.add(Sponsorship(user=sponsor, programme_id=programme_id))
        db.session.flush()
        tokens = create_token(lead, "storm", 1)[1], create_token(sponsor, "storm", 1)[1]
        db.session.commit()
        # Releases take seconds each (every level's plan): four cohorts' are enough for a
        # sponsor's programme figures.
        for cohort in cohorts[:RELEASED]:
            releases.publish(cohort)
            db.session.commit()
        db.session.remove()
    return submitters, tutors, *tokens, programme_id


def submit(base: str, person: Submitter, log: Log) -> None:
    """Save the post answers, then submit them."""
    path = "/api/v1/me/assessments/post"
    saved = call(base, "PUT", path, person.token, log, "draft PUT", {"ratings": person.answers})
    person.statuses = [saved, call(base, "POST", f"{path}/submit", person.token, log,
                                   "submit POST")]


def reading(done: threading.Event, read) -> None:
    """Call ``read`` until the storm is over, pausing between reads as a person would
    between clicks (READER_PAUSE)."""
    while not done.is_set():
        read()
        done.wait(READER_PAUSE)


def storm(base: str, submitters: list[Submitter], tutors: dict[int, str], lead: str,
          sponsor: str, programme_id: int) -> tuple[Log, float]:
    """Submit at RATE a second while the readers read; the log and the seconds it took."""
    log, done = Log(), threading.Event()
    outcomes = f"/api/v1/programmes/{programme_id}/outcomes?level=behaviour"
    chart = f"/api/v1/programmes/{programme_id}/charts/behaviours.png"
    cohort_ids = sorted(tutors)
    turn = iter(range(10**9))

    def lead_reads():
        call(base, "GET", outcomes, lead, log, "programme outcomes GET (lead, live)")

    def sponsor_reads():
        call(base, "GET", outcomes, sponsor, log, "programme outcomes GET (sponsor)")
        call(base, "GET", chart, sponsor, log, "37-behaviour chart GET (sponsor)")

    def tutor_reads():
        cohort_id = cohort_ids[next(turn) % len(cohort_ids)]
        call(base, "GET", f"/api/v1/cohorts/{cohort_id}/progress", tutors[cohort_id], log,
             "cohort progress GET (tutor)")

    readers = [threading.Thread(target=reading, args=(done, read))
               for read in (lead_reads, sponsor_reads, tutor_reads, tutor_reads)]
    started = time.perf_counter()
    for reader in readers:
        reader.start()
    try:
        with ThreadPoolExecutor(max_workers=32) as pool:
            for number, person in enumerate(submitters):
                # Each submission at its moment: RATE a second, evenly spread.
                wait = started + number / RATE - time.perf_counter()
                if wait > 0:
                    time.sleep(wait)
                pool.submit(submit, base, person, log)
    finally:
        done.set()
        for reader in readers:
            reader.join()
    return log, time.perf_counter() - started


def verify(submitters: list[Submitter]) -> list[str]:
    """Every broken promise: each accepted submission stored exactly once, with its answers."""
    problems = []
    engine = sa.create_engine(DATABASE)
    ids = [person.user_id for person in submitters]
    with engine.connect() as connection:
        stored = defaultdict(dict)
        for user_id, code, value in connection.execute(sa.text(
                "SELECT a.user_id, b.code, r.value FROM rating r "
                "JOIN assessment a ON a.id = r.assessment_id "
                "JOIN behaviour b ON b.id = r.behaviour_id "
                "WHERE a.phase = 'post' AND a.user_id IN :ids").bindparams(
                    sa.bindparam("ids", expanding=True)), {"ids": ids}):
            stored[user_id][code] = value
        submitted = Counter(dict(connection.execute(sa.text(
            "SELECT user_id, count(*) FROM assessment WHERE phase = 'post' "
            "AND status = 'submitted' AND user_id IN :ids GROUP BY user_id").bindparams(
                sa.bindparam("ids", expanding=True)), {"ids": ids}).all()))
        events = Counter(dict(connection.execute(sa.text(
            "SELECT a.user_id, count(*) FROM audit_event e "
            "JOIN assessment a ON e.target_type = 'assessment' AND e.target_id = a.id "
            "WHERE e.action = 'assessment.submit' AND a.phase = 'post' "
            "AND a.user_id IN :ids GROUP BY a.user_id").bindparams(
                sa.bindparam("ids", expanding=True)), {"ids": ids}).all()))
    engine.dispose()
    for person in submitters:
        who = f"participant {person.user_id}"
        if person.statuses != [200, 200]:
            problems.append(f"{who}: answered {person.statuses}")
            continue
        if submitted[person.user_id] != 1 or events[person.user_id] != 1:
            problems.append(f"{who}: {submitted[person.user_id]} submitted post "
                            f"self-assessments, {events[person.user_id]} audit entries")
        if stored[person.user_id] != person.answers:
            problems.append(f"{who}: stored answers differ from those sent")
    return problems


def kept_tallies_hold(app, cohort_ids: list[int]) -> list[str]:
    """Cohorts whose kept tallies differ from their counts made afresh."""
    wrong = []
    with app.app_context():
        for cohort_id in cohort_ids:
            t = kept.OutcomeTally
            rows = {(v, k, u, p, k1, k2, k3, k4): (s1, s2, s3, n)
                    for v, k, u, p, k1, k2, k3, k4, s1, s2, s3, n in db.session.execute(
                        sa.select(t.variant, t.kind, t.unit, t.phase, t.k1, t.k2, t.k3, t.k4,
                                  t.s1, t.s2, t.s3, t.n).where(t.cohort_id == cohort_id,
                                                                 kept.live_rows()))}
            if not kept.fresh_among([cohort_id]) or rows != dict(
                    kept.counted_by_statement(cohort_id)):
                wrong.append(f"cohort {cohort_id}: kept tallies differ from a recount")
        db.session.remove()
    return wrong


def latency(log: Log, kind: str, p50_target: float | None, p99_target: float | None
            ) -> Result:
    """One line of the table for one kind of request during the storm."""
    times = log.times(kind)
    p50, p99 = float(np.median(times)), float(np.percentile(times, 99))
    checks = [p50 <= p50_target if p50_target else None,
              p99 <= p99_target if p99_target else None]
    checks = [check for check in checks if check is not None]
    target = ", ".join(part for part in (f"p50 ≤ {ms(p50_target)}" if p50_target else "",
                                         f"p99 ≤ {ms(p99_target)}" if p99_target else "")
                       if part)
    return Result(f"storm: {kind} ({len(times):,} requests)", ms(p50), ms(p99), "–", "–",
                  target or "–", all(checks) if checks else None)


def run(app, seconds: int = SECONDS, rate: int = RATE) -> list[Result]:
    """The storm's lines of the bench table."""
    people = seconds * rate
    submitters, tutors, lead, sponsor, programme_id = prepare(app, people)
    started = time.perf_counter()
    flask_command("lms", "rebuild-tallies")
    rebuilt = time.perf_counter() - started
    env = {"LMS_ENV": "production", "LMS_SECRET_KEY": secrets.token_urlsafe(32),
           "LMS_DATABASE_URL": DATABASE, "LMS_REDIS_URL": REDIS,
           "LMS_RATE_LIMIT": "100000000 per minute", "LMS_WRITE_LIMIT": "100000000 per minute",
           "LMS_BASE_URL": "http://127.0.0.1"}
    process, port = serve("wsgi:app", env)
    try:
        log, took = storm(f"http://127.0.0.1:{port}", submitters, tutors, lead, sponsor,
                          programme_id)
    finally:
        process.terminate()
        process.wait(timeout=60)
    errors = Counter(status for _k, status, _s in log.rows if status == 0 or status >= 500)
    problems = verify(submitters)
    cohorts = sorted({person.cohort_id for person in submitters})[:3]
    problems += kept_tallies_hold(app, cohorts)
    for problem in problems[:20]:
        print("storm:", problem)
    return [
        Result(f"flask lms rebuild-tallies, {len(tutors)} cohorts (whole command)",
               ms(rebuilt), "–", "–", "–", "–", None),
        latency(log, "submit POST", None, 0.300),
        latency(log, "draft PUT", None, None),
        latency(log, "programme outcomes GET (lead, live)", 0.200, 0.500),
        latency(log, "programme outcomes GET (sponsor)", 0.200, 0.500),
        latency(log, "37-behaviour chart GET (sponsor)", None, None),
        latency(log, "cohort progress GET (tutor)", None, 0.100),
        Result(f"storm: {len(submitters):,} submissions at {rate}/s over {took:.0f} s, "
               f"{len(log.rows):,} requests", f"{sum(errors.values())} 5xx or dropped", "–",
               "–", "–", "no 5xx; every accepted submission stored exactly once; kept "
               "tallies equal a recount", not errors and not problems),
    ]


if __name__ == "__main__":  # pragma: no cover - `make bench` runs it through bench/run.py
    raise SystemExit("Run `make bench` (bench/run.py calls the storm).")

