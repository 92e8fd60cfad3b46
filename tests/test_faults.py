"""Faults against a real PostgreSQL: the database going away in the middle of a request, and
coming back. Needs PostgreSQL on 127.0.0.1 (.ci/run starts it); fails, never skips, without.
"""

from __future__ import annotations

import copy
import threading
import time

import flask_migrate
import pytest
import sqlalchemy as sa

from lms import create_app
from lms.extensions import db
from lms.framework import service as framework_service
from lms.framework.seed import sync_framework
from tests.conftest import app_settings
from tests.test_scale_out import DATABASE, fresh_database


@pytest.fixture
def postgres_app(seed_data):
    """An app on a PostgreSQL database of its own, with the framework loaded."""
    fresh_database()
    app = create_app(app_settings(DATABASE))
    with app.app_context():
        flask_migrate.upgrade()
        sync_framework(copy.deepcopy(seed_data))
        db.session.commit()
    yield app
    with app.app_context():
        db.engine.dispose()


def cut_off(after: float) -> threading.Thread:
    """In ``after`` seconds, end every other connection to the database (as a restart or a
    failover would)."""
    def terminate():
        time.sleep(after)
        admin = sa.create_engine(DATABASE)
        with admin.begin() as connection:
            connection.execute(sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
        admin.dispose()

    thread = threading.Thread(target=terminate)
    thread.start()
    return thread


def test_the_database_going_away_mid_request_is_503_then_the_service_recovers(postgres_app,
                                                                              monkeypatch):
    client = postgres_app.test_client()
    assert client.get("/api/v1/themes").status_code == 200

    original = framework_service.list_themes

    def slow_list_themes():
        db.session.execute(sa.text("SELECT pg_sleep(2)"))  # the connection is cut meanwhile
        return original()

    monkeypatch.setattr(framework_service, "list_themes", slow_list_themes)
    thread = cut_off(after=0.5)
    response = client.get("/api/v1/themes")
    thread.join()
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert "try again" in response.get_json()["message"]
    assert "pg_" not in response.get_data(as_text=True)

    monkeypatch.setattr(framework_service, "list_themes", original)
    # The pool's connections were all cut: each is checked before use and replaced.
    assert [client.get("/api/v1/themes").status_code for _ in range(3)] == [200] * 3
    assert client.get("/healthz").get_json() == {"status": "ok", "database": "reachable"}
