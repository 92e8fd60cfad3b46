"""Benchmark: importing 10,000 self-ratings from CSV (the issue's target: about a second).

Builds a cohort of 100 participants in a fresh database, then imports the same 10,000-row file
into a fresh copy of that cohort several times and reports the median and the slowest run.
Run with `make bench`; set LMS_BENCH_DATABASE_URL to measure on PostgreSQL (the database is
emptied). Prints a Markdown table and writes it to bench/results/import_ratings.md.
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
from lms.cohorts.roster import import_roster  # noqa: E402
from lms.cohorts.service import create_cohort  # noqa: E402
from lms.extensions import db  # noqa: E402
from lms.ratings.importer import import_ratings  # noqa: E402
from lms.ratings.service import behaviours_for_sector  # noqa: E402

PARTICIPANTS = 100
RUNS = 7
TARGET_SECONDS = 1.0


def roster(n: int) -> bytes:
    """A roster of n providers' participants."""
    lines = ["email,name,organisation,organisation_type,sector,leadership_level,role"]
    lines += [f"p{i}@example.org,Person {i},Bench Trust,nhs_trust,providing,manager,participant"
              for i in range(n)]
    return ("\n".join(lines) + "\n").encode()


def ratings_file(n: int, rows: int = 10_000) -> bytes:
    """Exactly ``rows`` ratings over n participants, three phases, 36 behaviours each."""
    codes = [b.code for b in behaviours_for_sector("providing")]
    lines = ["email,phase,behaviour,value"]
    for i in range(n):
        for phase in ("pre", "then", "post"):
            for j, code in enumerate(codes):
                lines.append(f"p{i}@example.org,{phase},{code},{1 + (i + j) % 5}")
    return ("\n".join(lines[: rows + 1]) + "\n").encode()


def main() -> None:
    """Measure, print and write the table."""
    url = os.environ.get("LMS_BENCH_DATABASE_URL")
    folder = tempfile.mkdtemp()
    url = url or f"sqlite:///{folder}/bench.sqlite"
    app = create_app({"LMS_ENV": "testing", "SQLALCHEMY_DATABASE_URI": url})
    timings = []
    with app.app_context():
        prepare_database()
        data = ratings_file(PARTICIPANTS)
        for run in range(RUNS):
            today = dt.date.today()
            cohort = create_cohort(f"Bench {run}", today, today)
            import_roster(cohort, roster(PARTICIPANTS))
            db.session.commit()
            started = time.perf_counter()
            import_ratings(cohort, data)
            db.session.commit()
            timings.append(time.perf_counter() - started)
        dialect = db.engine.dialect.name
    report("import_ratings", dialect,
           [("import 10,000 ratings", timings, TARGET_SECONDS)])

if __name__ == "__main__":
    main()
