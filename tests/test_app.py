"""The application factory, its configuration, SQLite tuning and the health check."""

import os
import subprocess
import sys

import pytest
import sqlalchemy as sa

from lms import create_app
from lms.core.config import ConfigError, from_environment
from lms.core.extensions import db
from tests.fixtures import PROJECT_ROOT, app_settings


def test_production_refuses_to_start_without_a_secret_key(database_url):
    with pytest.raises(ConfigError, match="LMS_SECRET_KEY is not set"):
        create_app({"LMS_ENV": "production", "SECRET_KEY": None,
                    "SQLALCHEMY_DATABASE_URI": database_url})


def test_production_starts_with_a_secret_key(database_url):
    app = create_app({"LMS_ENV": "production", "SECRET_KEY": "s" * 48,
                      "SQLALCHEMY_DATABASE_URI": database_url})
    assert app.config["SECRET_KEY"] == "s" * 48
    assert not app.testing


def test_an_unknown_environment_is_refused(database_url):
    with pytest.raises(ConfigError, match="LMS_ENV must be one of"):
        create_app({"LMS_ENV": "staging", "SQLALCHEMY_DATABASE_URI": database_url})


@pytest.mark.parametrize(("settings", "message"), [
    ({"LMS_MAIL_FROM": "programme at example.org"}, "LMS_MAIL_FROM must be an address"),
    ({"LMS_MAIL_FROM": "Programme <a@example.org>\r\nBcc: x@example.org"},
     "LMS_MAIL_FROM must be"),
    ({"LMS_QUEUE": "rabbit"}, "LMS_QUEUE must be one of sqlite, redis, memory"),
    ({"LMS_QUEUE": "redis"}, "LMS_QUEUE=redis needs LMS_REDIS_URL"),
])
def test_mail_settings_that_cannot_work_are_refused(database_url, settings, message):
    with pytest.raises(ConfigError, match=message):
        create_app({"LMS_ENV": "testing", "SQLALCHEMY_DATABASE_URI": database_url, **settings})


def test_yes_no_settings_say_what_they_accept():
    assert from_environment({"LMS_SMTP_STARTTLS": "yes"})["LMS_SMTP_PORT"] == 587
    with pytest.raises(ConfigError, match="LMS_SMTP_STARTTLS must be yes or no"):
        from_environment({"LMS_SMTP_STARTTLS": "perhaps"})


def test_development_gets_safe_defaults(tmp_path):
    settings = from_environment({"LMS_ENV": "development"})
    assert settings["SECRET_KEY"] is None  # filled with a development-only key by create_app
    assert settings["SQLALCHEMY_DATABASE_URI"] is None  # the instance folder's SQLite file
    app = create_app({**settings, "LMS_ENV": "development"})
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("instance/lms.sqlite")
    assert app.config["SECRET_KEY"]


def test_environment_variables_are_read():
    settings = from_environment({
        "LMS_ENV": "Production",
        "LMS_SECRET_KEY": "k",
        "LMS_DATABASE_URL": "postgresql+psycopg://u@h/db",
    })
    assert settings["LMS_ENV"] == "production"
    assert settings["SECRET_KEY"] == "k"
    assert settings["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"


def test_sqlite_connections_enforce_foreign_keys_wal_and_a_busy_timeout(tmp_path):
    app = create_app(app_settings(f"sqlite:///{tmp_path / 'pragmas.sqlite'}"))
    with app.app_context(), db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
    with app.app_context():
        db.engine.dispose()


def test_health_reports_a_reachable_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "reachable"}


@pytest.fixture
def unreachable_app(tmp_path):
    """An app whose database cannot be opened (its folder does not exist)."""
    url = f"sqlite:///{tmp_path / 'missing-folder' / 'lms.sqlite'}"
    app = create_app(app_settings(url))
    yield app
    with app.app_context():
        db.engine.dispose()


def test_health_reports_an_unreachable_database_as_503(unreachable_app):
    response = unreachable_app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "database": "unreachable"}
    assert response.headers["Retry-After"]


def test_api_answers_503_with_retry_after_when_the_database_is_gone(unreachable_app):
    response = unreachable_app.test_client().get("/api/v1/themes")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "Service Unavailable"
    assert "try again" in body["message"]
    assert response.headers["Retry-After"] == "5"
    assert "sqlite" not in response.get_data(as_text=True).lower()


def test_the_postgres_test_database_is_really_used_when_configured(app, database_url):
    # Guards against a CI run that silently fell back to SQLite.
    with app.app_context():
        assert db.engine.url.render_as_string() == sa.make_url(database_url).render_as_string()


def test_the_wsgi_entry_point_freezes_what_it_loaded(tmp_path):
    """A server process hides its startup objects from the collector (lms.core.serving)."""
    script = "import gc, wsgi; print(wsgi.app.name, gc.get_freeze_count())"
    env = {**os.environ, "LMS_ENV": "development",
           "LMS_DATABASE_URL": f"sqlite:///{tmp_path / 'wsgi.sqlite'}"}
    done = subprocess.run(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", script], cwd=PROJECT_ROOT, env=env, capture_output=True,
        text=True, timeout=120, check=True)
    name, frozen = done.stdout.split()
    assert name == "lms.app" and int(frozen) > 10_000
