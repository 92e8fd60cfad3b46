"""The load test of `make load` (bench/load.py), small enough for every run of the suite:
participants saving drafts and submitting at once (each twice at the same moment), tutors
reading, against gunicorn, PostgreSQL and Redis. Fails, never skips, without them."""

from __future__ import annotations

import pytest
import redis
import sqlalchemy as sa

from bench import load

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.server]


def test_concurrent_drafts_and_submissions_are_stored_exactly_once_and_never_5xx():
    server = sa.create_engine(sa.engine.make_url(load.DATABASE).set(database="postgres"))
    try:
        with redis.Redis.from_url(load.REDIS) as client:
            client.ping()
        server.connect().close()
    except (redis.exceptions.ConnectionError, sa.exc.OperationalError) as exc:
        pytest.fail(f"the load test needs PostgreSQL and Redis (.ci/run starts them): {exc}")
    finally:
        server.dispose()
    report, failures = load.run(participants=40, cohorts=2, concurrency=8)
    assert failures == [], report
    assert "submit POST | 80 | 200: 40, 409: 40" in report
