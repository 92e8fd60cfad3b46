"""Shared by the benchmark scripts: preparing a database and reporting results."""

from __future__ import annotations

import statistics
from pathlib import Path

import flask_migrate
import sqlalchemy as sa

from lms.cohorts.seed import read_programme_file, sync_programme
from lms.extensions import db
from lms.framework.seed import read_seed_file, sync_framework

ROOT = Path(__file__).resolve().parent.parent


def prepare_database() -> None:
    """Empty the database (PostgreSQL: the public schema), migrate, load the seeds."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as connection:
            connection.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    flask_migrate.upgrade()
    sync_framework(read_seed_file(ROOT / "seeds" / "framework.yaml"))
    sync_programme(read_programme_file(ROOT / "seeds" / "programme.yaml"))
    db.session.commit()


def report(name: str, dialect: str, cases: list[tuple[str, list[float], float]]) -> None:
    """Print a Markdown table of (case, seconds per run, target seconds) and write it to
    bench/results/<name>_<dialect>.md."""
    lines = ["| case | database | runs | median | p99 | target | median / target |",
             "|---|---|---|---|---|---|---|"]
    for case, times, target in cases:
        median = statistics.median(times)
        p99 = statistics.quantiles(times, n=100)[98] if len(times) > 1 else times[0]
        lines.append(f"| {case} | {dialect} | {len(times)} | {median * 1000:.1f} ms | "
                     f"{p99 * 1000:.1f} ms | {target * 1000:.0f} ms | {median / target:.2f} |")
    table = "\n".join(lines)
    print(table)
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / f"{name}_{dialect}.md").write_text(table + "\n")
