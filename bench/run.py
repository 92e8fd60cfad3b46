"""`make bench`: lms at national scale, measured against its limits in the same run.

Builds a programme of 20,000 synthetic participants in 20 cohorts in PostgreSQL
(LMS_BENCH_DATABASE_URL, emptied first; default: database lms_bench on 127.0.0.1, created if
missing), with Redis (LMS_BENCH_REDIS_URL, default database 15 on 127.0.0.1, emptied first) for
rate limits and the cache, as in production. Then measures every case of issue #10, each
beside what limits it, prints one Markdown table and writes it to bench/results/bench.md.

Latencies are whole requests through the app (Flask's test client: routing, authentication,
access checks, queries, serialisation), with no HTTP server in the way; throughput is measured
over HTTP, gunicorn (gunicorn.conf.py) against wrk. "Cold" runs empty the cache first, so they
show the work itself; "warm" runs are repeated questions with nothing changed, answered from
the cache under the data version.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lms import create_app  # noqa: E402
from lms.accounts.service import create_token, create_user, find_user_by_email  # noqa: E402
from lms.cohorts.models import Cohort  # noqa: E402
from lms.core.extensions import cache, db  # noqa: E402
from lms.core.serving import freeze_loaded_objects  # noqa: E402
from lms.outcomes import scales  # noqa: E402

DATABASE = os.environ.get("LMS_BENCH_DATABASE_URL",
                          "postgresql+psycopg://postgres@127.0.0.1:5432/lms_bench")
REDIS = os.environ.get("LMS_BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
BIN = Path(sys.executable).parent
RESULTS = ROOT / "bench" / "results"


@dataclass
class Result:
    """One line of the table."""

    case: str
    median: str
    p99: str
    limit: str
    ratio: str
    target: str
    met: bool | None


def ms(seconds: float) -> str:
    """Seconds as milliseconds for the table."""
    return f"{seconds * 1000:.1f} ms" if seconds < 10 else f"{seconds:.1f} s"


def p50_p99(times: list[float]) -> tuple[float, float]:
    """Median and 99th percentile."""
    return float(np.median(times)), float(np.percentile(times, 99))


def timed(action: Callable[[], object], runs: int,
          before: Callable[[], object] | None = None) -> list[float]:
    """Seconds per run of ``action`` (``before`` runs untimed before each)."""
    times = []
    for _ in range(runs):
        if before:
            before()
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return times


# --- the data -------------------------------------------------------------------------------

def ensure_database(url: str) -> None:
    """Create the PostgreSQL database if it does not exist, and empty it."""
    target = sa.engine.make_url(url)
    server = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        exists = connection.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                   {"n": target.database})
        if not exists:
            connection.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
    server.dispose()
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()


def flask_command(*args: str) -> str:
    """Run `flask lms …` (or `flask db …`) against the bench database; its output."""
    env = {**os.environ, "FLASK_APP": "lms", "LMS_ENV": "development",
           "LMS_DATABASE_URL": DATABASE, "LMS_REDIS_URL": REDIS}
    done = subprocess.run([str(BIN / "flask"), *args], cwd=ROOT, env=env, check=True,
                          capture_output=True, text=True)
    return done.stdout


def build(participants: int, cohorts: int) -> float:
    """Migrate, load the framework and modules, add the synthetic programme: seconds the
    demo-data command took."""
    flask_command("db", "upgrade")
    flask_command("lms", "seed")
    flask_command("lms", "load-modules")
    started = time.perf_counter()
    print(flask_command("lms", "demo-data", "--participants", str(participants),
                        "--cohorts", str(cohorts)).strip())
    return time.perf_counter() - started


def bench_app():
    """The app as production runs it (wsgi.py), but without throttling getting in the way."""
    app = create_app({"LMS_ENV": "testing", "SQLALCHEMY_DATABASE_URI": DATABASE,
                       "LMS_REDIS_URL": REDIS, "CACHE_TYPE": "RedisCache",
                       "CACHE_REDIS_URL": REDIS, "RATELIMIT_STORAGE_URI": REDIS,
                       "LMS_RATE_LIMIT": "100000000 per minute",
                       "LMS_WRITE_LIMIT": "100000000 per minute"})
    freeze_loaded_objects()
    return app


def admin_token(app) -> str:
    """An administrator's API token (administrators see everything, unprotected)."""
    with app.app_context():
        user = find_user_by_email("bench.admin@example.org") or \
            create_user("bench.admin@example.org", "Bench Admin", "admin")
        _token, secret = create_token(user, "bench", 1)
        db.session.commit()
    return secret


def synthetic_cohorts(app, run: int) -> list[tuple[int, int]]:
    """(cohort id, participants) of one demo-data run, in order."""
    with app.app_context():
        rows = db.session.execute(
            sa.text("SELECT c.id, count(e.id) FROM cohort c JOIN enrolment e ON "
                    "e.cohort_id = c.id AND e.role = 'participant' WHERE c.name LIKE :n "
                    "GROUP BY c.id ORDER BY c.id"), {"n": f"Synthetic {run}-%"}).all()
    return [(cohort_id, count) for cohort_id, count in rows]


# --- the cases ------------------------------------------------------------------------------

class Client:
    """Requests as the administrator, failing loudly on anything but the expected status."""

    def __init__(self, app, token: str) -> None:
        self.app, self.client = app, app.test_client()
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path: str, status: int = 200, **headers):
        """GET ``path``."""
        response = self.client.get(path, headers={**self.headers, **headers})
        if response.status_code != status:
            raise SystemExit(f"GET {path} answered {response.status_code}, not {status}: "
                             f"{response.get_data(as_text=True)[:300]}")
        return response

    def clear_cache(self) -> None:
        """Empty the cache: the next request is cold."""
        with self.app.app_context():
            cache.clear()


def latency_rows(name: str, cold: list[float], warm: list[float], limit: float | None,
                 limit_name: str, p50_target: float | None, p99_target: float | None,
                 ratio_target: float | None) -> list[Result]:
    """A cold and a warm line for one request, against its targets."""
    rows = []
    for kind, times in (("cold", cold), ("warm", warm)):
        p50, p99 = p50_p99(times)
        ratio = p50 / limit if limit else None
        checks = [p50 <= p50_target if p50_target else None,
                  p99 <= p99_target if p99_target else None,
                  ratio <= ratio_target if ratio_target and ratio is not None else None]
        checks = [c for c in checks if c is not None]
        target = ", ".join(t for t in (
            f"p50 ≤ {ms(p50_target)}" if p50_target else "",
            f"p99 ≤ {ms(p99_target)}" if p99_target else "",
            f"≤ {ratio_target:g}× {limit_name}" if ratio_target else "") if t)
        rows.append(Result(f"{name}, {kind} ({len(times)} runs)", ms(p50), ms(p99),
                           f"{limit_name} {ms(limit)}" if limit else "–",
                           f"{ratio:.2f}×" if ratio is not None else "–", target,
                           all(checks) if checks else None))
    return rows


def raw_paired_values(app, cohort_id: int) -> list[float]:
    """The database's floor: one raw query fetching every participant's pre, then and post
    answer to every behaviour of the cohort (the values a report pairs), run 15 times."""
    sql = ("SELECT a.user_id, r.behaviour_id, "
           "max(CASE WHEN a.phase = 'pre' THEN r.value END), "
           "max(CASE WHEN a.phase = 'then' THEN r.value END), "
           "max(CASE WHEN a.phase = 'post' THEN r.value END) "
           "FROM assessment a JOIN rating r ON r.assessment_id = a.id "
           "WHERE a.cohort_id = %s AND a.status = 'submitted' "
           "GROUP BY a.user_id, r.behaviour_id")
    with app.app_context():
        raw = db.engine.raw_connection()
        try:
            cursor = raw.cursor()
            times = timed(lambda: (cursor.execute(sql, (cohort_id,)), cursor.fetchall()), 15)
        finally:
            raw.close()
    return times


def cohort_outcomes(client: Client, app, cohort_id: int) -> list[Result]:
    """Cohort outcomes for 1,000 participants, every behaviour, against the raw query."""
    path = f"/api/v1/cohorts/{cohort_id}/outcomes?level=behaviour"
    floor = p50_p99(raw_paired_values(app, cohort_id))[0]
    cold = timed(lambda: client.get(path), 10, before=client.clear_cache)
    client.get(path)
    warm = timed(lambda: client.get(path), 60)
    return latency_rows("cohort outcomes, 1,000 participants × 37 behaviours", cold, warm,
                        floor, "raw query", 0.030, None, 1)


def cohort_theme_outcomes(client: Client, app, cohort_id: int) -> list[Result]:
    """The same cohort by theme: the rows that also carry alpha and reliable change. Cold
    runs empty the cache but keep the programme's reliable-change thresholds, which are kept
    under the baseline version (pre answers only) and measured on their own below."""
    path = f"/api/v1/cohorts/{cohort_id}/outcomes?level=theme"

    def cold_but_thresholds() -> None:
        client.clear_cache()
        with app.app_context():
            cohort = db.session.get(Cohort, cohort_id)
            scales.change_thresholds(cohort.programme, "theme", None)

    cold = timed(lambda: client.get(path), 10, before=cold_but_thresholds)
    return latency_rows("cohort outcomes by theme (alpha, reliable change), 1,000 "
                        "participants", cold, cold, None, "", 0.050, 0.100, None)[:1]


def reliable_change_thresholds(app, cohort_id: int, people: int) -> list[Result]:
    """The programme's reliable-change thresholds (SD and alpha of every pre answer), worked
    out afresh: paid once per baseline version, by the first scale report after a pre
    self-assessment changes."""
    rows = []
    with app.app_context():
        programme = db.session.get(Cohort, cohort_id).programme
        for level, linked in (("theme", None), ("linked", "nhs-lf")):
            times = timed(lambda lv=level, fw=linked: (
                db.session.rollback(), scales.compute_thresholds(programme, lv, fw)), 3)
            rows += latency_rows(f"reliable-change thresholds by {linked or level}, "
                                 f"{people:,} participants' pre answers", times, times, None,
                                 "", None, None, None)[:1]
    return rows


def kept_read(app, programme_id: int) -> float:
    """The limit of a programme report: reading and adding up its cohorts' kept tallies
    alone (median of 10)."""
    from lms.outcomes import kept

    with app.app_context():
        ids = list(db.session.scalars(sa.select(Cohort.id)
                                      .where(Cohort.programme_id == programme_id)))
        times = timed(lambda: kept.kept_rows(ids, "behaviour", None, False), 10)
        db.session.remove()
    return p50_p99(times)[0]


def programme_outcomes(client: Client, app, programme_id: int, people: int) -> list[Result]:
    """Programme outcomes over every cohort (PostgreSQL), beside the kept tallies' read."""
    path = f"/api/v1/programmes/{programme_id}/outcomes?level=behaviour"
    floor = kept_read(app, programme_id)
    cold = timed(lambda: client.get(path), 10, before=client.clear_cache)
    client.get(path)
    warm = timed(lambda: client.get(path), 30)
    return latency_rows(f"programme outcomes, {people:,} participants", cold, warm, floor,
                        "kept-tally read", 0.150, 0.300, None)


def cohort_progress(client: Client, cohort_id: int) -> list[Result]:
    """The tutor's progress table for 1,000 participants."""
    path = f"/api/v1/cohorts/{cohort_id}/progress"
    cold = timed(lambda: client.get(path), 15, before=client.clear_cache)
    client.get(path)
    warm = timed(lambda: client.get(path), 60)
    return latency_rows("cohort progress, 1,000 participants", cold, warm, None, "", None,
                        0.100, None)


def charts(client: Client, app, cohort_id: int) -> list[Result]:
    """The 37-behaviour chart drawn, and a 304 for it."""
    from lms.outcomes import chart_data
    from lms.outcomes import charts as drawing

    with app.app_context():
        cohort = db.session.get(Cohort, cohort_id)
        data = chart_data.behaviours_data([cohort], cohort.programme, False)
        render = timed(lambda: drawing.render(drawing.DRAW["behaviours"], data, 900, 600,
                                              "png"), 15)
    path = f"/api/v1/cohorts/{cohort_id}/charts/behaviours.png"
    tag = client.get(path).headers["ETag"]
    cached = timed(lambda: client.get(path), 100)
    not_modified = timed(lambda: client.get(path, status=304, **{"If-None-Match": tag}), 100)
    rows = []
    for name, times, p50_target, p99_target in (
            ("draw the 37-behaviour chart (PNG 900×600)", render, 0.150, 0.250),
            ("the chart from the cache (whole request)", cached, 0.005, None),
            ("answer 304 for it (whole request)", not_modified, 0.010, None)):
        p50, p99 = p50_p99(times)
        checks = [p50 <= p50_target] + ([p99 <= p99_target] if p99_target else [])
        target = f"p50 ≤ {ms(p50_target)}" + (f", p99 ≤ {ms(p99_target)}" if p99_target
                                               else "")
        rows.append(Result(f"{name} ({len(times)} runs)", ms(p50), ms(p99), "–", "–",
                           target, all(checks)))
    return rows


def import_ratings(app) -> list[Result]:
    """10,000 ratings imported from CSV into a cohort of 100, five times."""
    from lms.cohorts.roster import import_roster
    from lms.cohorts.service import create_cohort
    from lms.ratings.importer import import_ratings as importer
    from lms.ratings.service import behaviours_for_sector

    times = []
    with app.app_context():
        codes = [b.code for b in behaviours_for_sector("providing")]
        for run in range(5):
            today = dt.date.today()
            cohort = create_cohort(f"Import bench {run}", today, today)
            people = [f"import{run}.{i}@bench.example.org" for i in range(100)]
            roster = ["email,name,organisation,organisation_type,sector,leadership_level,role"]
            roster += [f"{e},Person {i},Bench Trust,nhs_trust,providing,manager,participant"
                       for i, e in enumerate(people)]
            import_roster(cohort, ("\n".join(roster) + "\n").encode())
            db.session.commit()
            lines = ["email,phase,behaviour,value"] + [
                f"{e},{phase},{code},{1 + (i + j) % 5}" for i, e in enumerate(people)
                for phase in ("pre", "then", "post") for j, code in enumerate(codes)]
            data = ("\n".join(lines[:10_001]) + "\n").encode()
            started = time.perf_counter()
            importer(cohort, data)
            db.session.commit()
            times.append(time.perf_counter() - started)
    p50, p99 = p50_p99(times)
    return [Result("import 10,000 ratings from CSV (5 runs)", ms(p50), ms(p99), "–", "–",
                   "≤ 1 s", p99 <= 1.0)]


STATEMENT_PATHS = ("", "/enrolments", "/modules", "/progress", "/assessments", "/outcomes",
                   "/outcomes?breakdown=leadership_level", "/outcomes?level=theme",
                   "/outcomes.csv", "/charts/behaviours.json", "/charts/progress.json",
                   "/charts/likert.json", "/xapi")


def statements(client: Client, app, cohorts: dict[int, int]) -> list[Result]:
    """SQL statements per cohort endpoint (cold), at each cohort size."""
    from tests.fixtures import count_queries

    with app.app_context():
        engine = db.engine
    counts: dict[str, list[int]] = {}
    for path in STATEMENT_PATHS:
        for cohort_id in cohorts.values():
            client.clear_cache()
            client.get("/api/v1/me")  # a token records its use once a minute: not here
            with count_queries(engine) as queries:
                client.get(f"/api/v1/cohorts/{cohort_id}{path}")
            counts.setdefault(path, []).append(len(queries.statements))
    sizes = " / ".join(f"{size:,}" for size in cohorts)
    rows = []
    for path, found in counts.items():
        rows.append(Result(f"statements: GET /cohorts/{{id}}{path} at {sizes} participants",
                           " / ".join(map(str, found)), "–", "–", "–", "the same at every size",
                           len(set(found)) == 1))
    return rows


# --- throughput over HTTP -------------------------------------------------------------------

def free_port() -> int:
    """A port nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(app_path: str, env: dict[str, str]) -> tuple[subprocess.Popen, int]:
    """gunicorn with the repository's settings, serving ``app_path``; waits until it answers."""
    port = free_port()
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "--bind",
         f"127.0.0.1:{port}", app_path], cwd=ROOT,
        env={**os.environ, "LMS_GUNICORN_ACCESSLOG": "/dev/null", **env},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    # The port opens before the workers have imported the app: wait for an answer.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/framework",
                                        timeout=5) as response:
                if response.status == 200:
                    return process, port
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise SystemExit(f"gunicorn serving {app_path} did not start: "
                     f"{process.stderr.read().decode()[-2000:]}")


def wrk(port: int, seconds: int) -> tuple[float, float, int]:
    """Requests per second, p99 latency (s) and non-2xx answers for GET /api/v1/framework."""
    url = f"http://127.0.0.1:{port}/api/v1/framework"
    subprocess.run(["wrk", "-t1", "-c8", "-d2s", url], check=True, capture_output=True)
    done = subprocess.run(["wrk", "-t2", "-c32", f"-d{seconds}s", "--latency", url],
                          check=True, capture_output=True, text=True)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", done.stdout).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", done.stdout)
    scale = {"us": 1e-6, "ms": 1e-3, "s": 1.0}[p99.group(2)]
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", done.stdout)
    return rps, float(p99.group(1)) * scale, int(errors.group(1)) if errors else 0


def throughput(seconds: int) -> list[Result]:
    """The framework document over HTTP, against a bare Flask app under the same server."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk); make bench "
                         "installs it when it can.")
    lms_env = {"LMS_ENV": "production", "LMS_SECRET_KEY": secrets.token_urlsafe(32),
               "LMS_DATABASE_URL": DATABASE, "LMS_REDIS_URL": REDIS,
               "LMS_RATE_LIMIT": "100000000 per minute", "LMS_WRITE_LIMIT": "100000000 per minute"}
    measured = {}
    for name, app_path, env in (("bare Flask", "bench.bare_app:app", {}),
                                ("lms", "wsgi:app", lms_env)):
        process, port = serve(app_path, env)
        try:
            measured[name] = wrk(port, seconds)
        finally:
            process.terminate()
            process.wait(timeout=30)
    (bare, bare_p99, _e), (ours, our_p99, errors) = measured["bare Flask"], measured["lms"]
    return [Result(f"GET /api/v1/framework over HTTP, gunicorn, wrk 32 connections "
                   f"({seconds} s)", f"{ours:,.0f} req/s", ms(our_p99),
                   f"bare Flask {bare:,.0f} req/s (p99 {ms(bare_p99)})", f"{ours / bare:.2f}×",
                   "≥ 0.5× bare Flask, no errors", ours / bare >= 0.5 and errors == 0)]


# --- the report -----------------------------------------------------------------------------

def table(results: list[Result], header: str) -> str:
    """The Markdown table."""
    lines = [header, "", "| case | median | p99 | limit | ratio | target | met |",
             "|---|---|---|---|---|---|---|"]
    marks = {True: "yes", False: "**no**", None: "–"}
    lines += [f"| {r.case} | {r.median} | {r.p99} | {r.limit} | {r.ratio} | {r.target} | "
              f"{marks[r.met]} |" for r in results]
    return "\n".join(lines) + "\n"


def main() -> None:
    """Build, measure, print and write the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=20_000)
    parser.add_argument("--cohorts", type=int, default=20)
    parser.add_argument("--http-seconds", type=int, default=10)
    parser.add_argument("--only", choices=("all", "outcomes", "storm"), default="all",
                        help="outcomes: build the programme and measure only the outcome "
                             "reports (a few minutes less); storm: only the submission storm")
    options = parser.parse_args()
    import redis

    redis.Redis.from_url(REDIS).flushdb()
    ensure_database(DATABASE)
    load = build(options.participants, options.cohorts)
    results = [Result(f"flask lms demo-data --participants {options.participants:,} "
                      f"--cohorts {options.cohorts} (whole command)", ms(load), "–", "–", "–",
                      "≤ 2 min", load <= 120)]
    app = bench_app()
    client = Client(app, admin_token(app))
    cohorts = synthetic_cohorts(app, 1)
    first, people = cohorts[0]
    with app.app_context():
        programme_id = db.session.get(Cohort, first).programme_id
    if options.only == "storm":
        from bench import storm
        finish(results + storm.run(app))
        return
    if options.only == "all":
        results += throughput(options.http_seconds)
    results += cohort_outcomes(client, app, first)
    results += cohort_theme_outcomes(client, app, first)
    results += programme_outcomes(client, app, programme_id, sum(n for _c, n in cohorts))
    results += reliable_change_thresholds(app, first, sum(n for _c, n in cohorts))
    if options.only == "outcomes":
        finish(results)
        return
    results += cohort_progress(client, first)
    results += charts(client, app, first)
    results += import_ratings(app)
    flask_command("lms", "demo-data", "--participants", "10", "--cohorts", "1")
    flask_command("lms", "demo-data", "--participants", "100", "--cohorts", "1")
    sized = {10: synthetic_cohorts(app, 2)[0][0], 100: synthetic_cohorts(app, 3)[0][0],
             people: first}
    results += statements(client, app, sized)
    from bench import storm  # it builds on this module
    results += storm.run(app)
    finish(results)


def finish(results: list[Result]) -> None:
    """Print the table, write it to bench/results/bench.md, and name any target missed."""
    header = (f"lms benchmarks, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, postgresql, "
              f"{os.cpu_count()} cores (`make bench`)")
    report = table(results, header)
    print(report)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bench.md").write_text(report)
    missed = [r.case for r in results if r.met is False]
    if missed:
        print(f"{len(missed)} target(s) missed: see the table.")


if __name__ == "__main__":
    main()
