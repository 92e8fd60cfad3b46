"""Sign-in throttling: per account and per client address, 429 with Retry-After, no lockout."""

from __future__ import annotations

import os

import pytest
import redis

from lms import create_app
from lms.core.extensions import db
from tests import builders as b
from tests.fixtures import app_settings

REDIS_URL = os.environ.get("LMS_TEST_REDIS_URL")
# Memory always; Redis too when CI provides one (.ci/run sets LMS_TEST_REDIS_URL). That Redis
# database is emptied before each test, so give the tests one of their own.
STORAGES = ["memory"] + ([pytest.param("redis", marks=pytest.mark.redis)] if REDIS_URL else [])


@pytest.fixture(params=STORAGES)
def throttled_app(request, database_url):
    """An app whose throttling counters live in memory or in (an emptied) Redis."""
    overrides = {}
    if request.param == "redis":
        redis.Redis.from_url(REDIS_URL).flushdb()
        overrides["LMS_REDIS_URL"] = REDIS_URL
    app = create_app(app_settings(database_url, **overrides))
    with app.app_context():
        b.make_user("participant", email="pat@example.org", password=b.PASSWORD)
        b.make_user("participant", email="sam@example.org", password=b.PASSWORD)
        db.session.commit()
    yield app
    with app.app_context():
        from tests.fixtures import empty_tables

        empty_tables()
        db.engine.dispose()


def test_counters_live_where_configured(throttled_app):
    client = throttled_app.test_client()
    b.sign_in(client, "pat@example.org", "wrong")
    if throttled_app.config["LMS_REDIS_URL"]:
        keys = redis.Redis.from_url(REDIS_URL).keys("*sign-in-account*")
        assert keys, "no throttling counter was written to Redis"
    else:
        assert throttled_app.config["RATELIMIT_STORAGE_URI"] == "memory://"


def test_the_sixth_bad_attempt_in_a_minute_is_refused(throttled_app):
    client = throttled_app.test_client()
    for attempt in range(5):
        response = b.sign_in(client, "pat@example.org", "wrong password number one")
        assert response.status_code == 200, f"attempt {attempt + 1}"
    refused = b.sign_in(client, "pat@example.org", "wrong password number one")
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert "Too Many Requests" in refused.text
    # Even the right password waits: the limit is on the account, not on being wrong.
    assert b.sign_in(client, "pat@example.org").status_code == 429


def test_the_account_limit_holds_across_client_addresses(throttled_app):
    for n in range(5):
        client = throttled_app.test_client()
        b.sign_in(client, "pat@example.org", "wrong", REMOTE_ADDR=f"10.1.0.{n}")
    response = b.sign_in(throttled_app.test_client(), "pat@example.org", "wrong",
                         REMOTE_ADDR="10.1.0.99")
    assert response.status_code == 429
    # Another account is not affected.
    other = b.sign_in(throttled_app.test_client(), "sam@example.org", REMOTE_ADDR="10.1.0.99")
    assert other.status_code == 302


def test_the_address_limit_holds_across_accounts(throttled_app):
    throttled_app.config["LMS_SIGN_IN_LIMIT_PER_ADDRESS"] = "3 per minute"
    client = throttled_app.test_client()
    for n in range(3):
        assert b.sign_in(client, f"nobody{n}@example.org", "wrong",
                         REMOTE_ADDR="10.2.0.1").status_code == 200
    assert b.sign_in(client, "sam@example.org", REMOTE_ADDR="10.2.0.1").status_code == 429
    assert b.sign_in(client, "sam@example.org", REMOTE_ADDR="10.2.0.2").status_code == 302


def test_successful_sign_ins_do_not_count(throttled_app):
    for _ in range(8):
        client = throttled_app.test_client()
        assert b.sign_in(client, "pat@example.org").status_code == 302


def test_there_is_no_permanent_lockout(throttled_app):
    throttled_app.config["LMS_SIGN_IN_LIMIT_PER_ACCOUNT"] = "2 per second"
    client = throttled_app.test_client()
    b.sign_in(client, "pat@example.org", "wrong")
    b.sign_in(client, "pat@example.org", "wrong")
    assert b.sign_in(client, "pat@example.org").status_code == 429
    import time

    time.sleep(1.1)  # the window passes; nothing needs an administrator to unlock it
    assert b.sign_in(client, "pat@example.org").status_code == 302


def test_every_route_has_a_per_caller_limit(throttled_app):
    throttled_app.config["LMS_RATE_LIMIT"] = "3 per minute"
    client = throttled_app.test_client()
    for _ in range(3):
        assert client.get("/api/v1/themes").status_code == 200
    refused = client.get("/api/v1/themes")
    assert refused.status_code == 429
    assert refused.get_json()["status"] == "Too Many Requests"
    assert int(refused.headers["Retry-After"]) > 0
    # Another address has its own allowance.
    other = client.get("/api/v1/themes", environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert other.status_code == 200
