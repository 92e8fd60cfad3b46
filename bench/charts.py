"""Benchmark: drawing the 37-behaviour chart, and answering 304 for it.

Targets from the charts issue, on this 2-core machine: the chart renders in under 250 ms,
a 304 answer takes under 10 ms. Uses a cohort of 30 participants with ratings in all three
phases, in a fresh SQLite database (or LMS_BENCH_DATABASE_URL, which is emptied). Prints a
Markdown table and writes it to bench/results/charts_<database>.md.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._common import prepare_database, report  # noqa: E402
from lms import create_app  # noqa: E402
from lms.accounts.service import create_token  # noqa: E402
from lms.cohorts.roster import import_roster  # noqa: E402
from lms.cohorts.service import create_cohort  # noqa: E402
from lms.extensions import db  # noqa: E402
from lms.outcomes import chart_data, charts  # noqa: E402
from lms.ratings.importer import import_ratings  # noqa: E402
from lms.ratings.service import behaviours_for_sector  # noqa: E402

PEOPLE = 30
RUNS = 15


def build(app) -> tuple[int, str]:
    """A cohort with ratings and a tutor's token."""
    with app.app_context():
        prepare_database()
        today = dt.date.today()
        cohort = create_cohort("Bench", today, today)
        lines = ["email,name,organisation,organisation_type,sector,leadership_level,role",
                 "tutor@example.org,Tutor,,,,,tutor"]
        lines += [f"p{i}@example.org,P {i},Trust,nhs_trust,providing,manager,participant"
                  for i in range(PEOPLE)]
        import_roster(cohort, ("\n".join(lines) + "\n").encode())
        codes = [b.code for b in behaviours_for_sector("providing")]
        rows = ["email,phase,behaviour,value"] + [
            f"p{i}@example.org,{phase},{code},{1 + (i + j + k) % 5}"
            for i in range(PEOPLE) for k, phase in enumerate(("pre", "then", "post"))
            for j, code in enumerate(codes)]
        import_ratings(cohort, ("\n".join(rows) + "\n").encode())
        from lms.accounts.service import find_user_by_email

        _token, secret = create_token(find_user_by_email("tutor@example.org"), "bench", 1)
        db.session.commit()
        return cohort.id, secret


def timed(action, runs=RUNS) -> list[float]:
    """Seconds per run."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    """Measure, print and write the table."""
    url = os.environ.get("LMS_BENCH_DATABASE_URL") or \
        f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite"
    app = create_app({"LMS_ENV": "testing", "SQLALCHEMY_DATABASE_URI": url,
                      "LMS_RATE_LIMIT": "100000 per minute"})
    cohort_id, token = build(app)
    with app.app_context():
        from lms.cohorts.models import Cohort

        cohort = db.session.get(Cohort, cohort_id)
        data = chart_data.behaviours_data([cohort], cohort.programme, False)
        render = timed(lambda: charts.render(charts.DRAW["behaviours"], data, 900, 600, "png"))
        dialect = db.engine.dialect.name
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    path = f"/api/v1/cohorts/{cohort_id}/charts/behaviours.png"
    tag = client.get(path, headers=headers).headers["ETag"]
    not_modified = timed(lambda: client.get(path, headers={**headers, "If-None-Match": tag}))
    cases = [("render the 37-behaviour chart (PNG, 900×600)", render, 0.250),
             ("answer 304 for it (whole request)", not_modified, 0.010)]
    report("charts", dialect, cases)

if __name__ == "__main__":
    main()
