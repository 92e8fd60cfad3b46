"""Scaling out: two gunicorn instances on different ports, one PostgreSQL and one Redis behind
them, and nothing that one instance knows is unknown to the other.

A person signed in through one instance is signed in on the other (sessions are signed
cookies), a rate-limit counter counts requests to both (it lives in Redis), and a chart drawn
by one is served from the shared cache by the other. Needs PostgreSQL and Redis on
127.0.0.1 (.ci/run starts them); without them this test fails, it never skips.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import secrets
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator

import flask_migrate
import pytest
import redis

from lms import create_app, synthetic
from lms.accounts.service import create_token
from lms.cohorts.seed import read_programme_file, sync_programme
from lms.core.extensions import db
from lms.framework.seed import read_seed_file, sync_framework
from tests import builders as b
from tests.external_services import (
    DATABASE,
    GUNICORN,
    free_port,
    fresh_database,
    wait_until_serving,
)
from tests.fixtures import PROJECT_ROOT

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.server]

REDIS_URL = "redis://127.0.0.1:6379/14"  # a database of its own: emptied by this test
API_LIMIT = 10


@pytest.fixture(scope="module")
def world() -> dict:
    """The shared database with a synthetic cohort, a tutor who can sign in, and two
    administrators' tokens; the shared Redis, empty."""
    try:
        redis.Redis.from_url(REDIS_URL).flushdb()
    except redis.exceptions.ConnectionError as exc:
        pytest.fail(f"Redis is needed on {REDIS_URL} (.ci/run starts it): {exc}")
    fresh_database()
    app = create_app({"LMS_ENV": "testing", "SQLALCHEMY_DATABASE_URI": DATABASE})
    with app.app_context():
        flask_migrate.upgrade()
        sync_framework(read_seed_file(PROJECT_ROOT / "seeds" / "framework.yaml"))
        sync_programme(read_programme_file(PROJECT_ROOT / "seeds" / "programme.yaml"))
        summary = synthetic.generate(40, 1, "not used here")
        tutor = b.make_user("tutor", email="tutor@example.org", password=b.PASSWORD,
                            name="Tamsin Scale")
        tokens = {name: create_token(b.make_user("admin"), name, 1)[1]
                  for name in ("counted", "charts")}
        email = tutor.email
        db.session.commit()
        db.engine.dispose()
    return {"cohort": summary.cohort_ids[0], "tutor": email, "tokens": tokens}


@pytest.fixture(scope="module")
def instances(world) -> Iterator[list[str]]:
    """Two gunicorn instances, with the repository's settings, on two ports."""
    env = {**os.environ, "LMS_ENV": "development", "LMS_SECRET_KEY": secrets.token_urlsafe(32),
           "LMS_DATABASE_URL": DATABASE, "LMS_REDIS_URL": REDIS_URL,
           "LMS_RATE_LIMIT": f"{API_LIMIT} per minute", "LMS_GUNICORN_WORKERS": "1",
           "LMS_GUNICORN_THREADS": "2", "LMS_GUNICORN_ACCESSLOG": "/dev/null"}
    ports = [free_port(), free_port()]
    processes = [subprocess.Popen(  # noqa: S603 - our own server, fixed arguments
        [str(GUNICORN), "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for port in ports]
    try:
        for port, process in zip(ports, processes, strict=True):
            wait_until_serving(port, process)
        yield [f"http://127.0.0.1:{port}" for port in ports]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
            process.stderr.close()


def fetch(opener, url: str, data: bytes | None = None, headers: dict | None = None):
    """(status, headers, body) of a request; 4xx and 5xx answers returned, not raised."""
    request = urllib.request.Request(url, data=data, headers=headers or {})  # noqa: S310
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers, error.read()


def test_a_session_started_on_one_instance_is_valid_on_the_other(world, instances):
    first, second = instances
    browser = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    _status, _headers, page = fetch(browser, f"{first}/sign-in")
    token = re.search(rb'name="csrf_token" value="([^"]+)"', page)
    form = urllib.parse.urlencode({"email": world["tutor"], "password": b.PASSWORD,
                                   "csrf_token": token.group(1).decode()}).encode()
    status, _headers, _body = fetch(browser, f"{first}/sign-in", data=form)
    assert status == 200  # redirected to the home page, signed in
    status, _headers, home = fetch(browser, f"{second}/account")
    assert status == 200 and b"Tamsin Scale" in home


def test_a_rate_limit_counts_requests_to_both_instances(world, instances):
    first, second = instances
    plain = urllib.request.build_opener()
    auth = {"Authorization": f"Bearer {world['tokens']['counted']}"}
    statuses = [fetch(plain, f"{first}/api/v1/me", headers=auth)[0] for _ in range(6)]
    statuses += [fetch(plain, f"{second}/api/v1/me", headers=auth)[0]
                 for _ in range(API_LIMIT - 6)]
    assert statuses == [200] * API_LIMIT
    status, headers, _body = fetch(plain, f"{second}/api/v1/me", headers=auth)
    assert status == 429 and int(headers["Retry-After"]) > 0


def test_a_chart_drawn_by_one_instance_is_served_from_the_cache_by_the_other(world,
                                                                             instances):
    first, second = instances
    plain = urllib.request.build_opener()
    auth = {"Authorization": f"Bearer {world['tokens']['charts']}"}
    path = f"/api/v1/cohorts/{world['cohort']}/charts/behaviours.png"
    status, drawn_headers, drawn = fetch(plain, first + path, headers=auth)
    assert status == 200 and drawn_headers["X-Cache"] == "miss"
    status, served_headers, served = fetch(plain, second + path, headers=auth)
    assert status == 200 and served_headers["X-Cache"] == "hit"
    assert served == drawn and served_headers["ETag"] == drawn_headers["ETag"]
    assert redis.Redis.from_url(REDIS_URL).keys("lms:cache:chart:*")


def test_a_redis_that_is_away_costs_sharing_not_the_service(database_url, seed_data):
    import copy

    away = "redis://127.0.0.1:9/0"  # the discard port: nothing listens there
    app = create_app({"LMS_ENV": "testing", "SQLALCHEMY_DATABASE_URI": database_url,
                      "LMS_REDIS_URL": away, "CACHE_TYPE": "RedisCache",
                      "CACHE_REDIS_URL": away, "RATELIMIT_STORAGE_URI": away,
                      "LMS_RATE_LIMIT": "3 per minute", "LMS_LOCAL_CACHE_SECONDS": 0})
    with app.app_context():
        sync_framework(copy.deepcopy(seed_data))
        db.session.commit()
    try:
        client = app.test_client()
        assert client.get("/api/v1/framework").status_code == 200  # built, not cached
        statuses = [client.get("/api/v1/themes").status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]  # counted in memory meanwhile
    finally:
        with app.app_context():
            from tests.fixtures import empty_tables

            empty_tables()
            db.engine.dispose()
