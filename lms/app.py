"""The application factory: a recipe that reads top to bottom."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask, g, has_app_context, has_request_context, request
from werkzeug.middleware.proxy_fix import ProxyFix

from lms import cli
from lms.accounts import views as account_views
from lms.accounts.api import blp as accounts_api
from lms.accounts.auth import init_auth
from lms.audit.api import blp as audit_api
from lms.audit.service import init_audit
from lms.cohorts.api import blp as cohorts_api
from lms.core import config as settings
from lms.core import data_version, errors, jobs
from lms.core.extensions import api, cache, db, limiter, migrate
from lms.core.i18n import init_i18n
from lms.core.replica import init_replica, tune_postgres
from lms.core.schemas import MAX_ID, IdConverter
from lms.curriculum.api import blp as curriculum_api
from lms.dashboards import admin as admin_pages
from lms.dashboards import feedback as feedback_pages
from lms.dashboards import home as dashboards
from lms.dashboards import outcomes as outcome_pages
from lms.dashboards import participant as participant_pages
from lms.dashboards import setup as setup_pages
from lms.dashboards import tutor as tutor_pages
from lms.feedback.api import blp as feedback_api
from lms.feedback.jobs import JOBS as FEEDBACK_JOBS
from lms.framework.api import blp as framework_api
from lms.interop.api import blp as interop_api
from lms.messaging import views as messaging_views
from lms.messaging.api import blp as messaging_api
from lms.messaging.jobs import JOBS as MESSAGING_JOBS
from lms.messaging.notices import init_messaging
from lms.outcomes import ahead, kept
from lms.outcomes.api import blp as outcomes_api
from lms.outcomes.chart_api import blp as charts_api
from lms.ratings.api import blp as ratings_api
from lms.ratings.service import init_ratings
from lms.web import health, language
from lms.web.api_docs import docs_blueprint
from lms.web.pages import init_pages, no_store_for_people
from lms.web.security_headers import init_security


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Create and configure an lms application; ``config`` overrides the environment."""
    app = Flask(__name__, instance_relative_config=True)
    app.json.sort_keys = False  # keep fields in the order the schemas declare them
    configure(app, config)
    register_extensions(app)
    init_i18n(app)
    init_pages(app)
    init_ratings(app)
    init_audit(app)
    init_messaging(app)
    jobs.init_jobs(app, MESSAGING_JOBS + FEEDBACK_JOBS + kept.JOBS + ahead.JOBS)
    register_blueprints(app)
    errors.register_error_handlers(app)
    # After-request functions run last registered first: the commit, then the cache header
    # (which still sees the signed-in user as the request loaded them).
    app.after_request(errors.commit_request)
    app.after_request(no_store_for_people)
    init_security(app)
    register_commands(app)
    return app


def configure(app: Flask, overrides: Mapping[str, Any] | None) -> None:
    """Load settings from the environment, apply overrides, and refuse unsafe ones."""
    app.config.update(settings.FIXED_SETTINGS)
    app.config.update(settings.from_environment())
    if overrides:
        app.config.update(overrides)
    settings.check_config(app.config)
    derived = settings.derived_settings(app.config)
    app.config.update({k: v for k, v in derived.items() if k not in (overrides or {})})
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = settings.INSECURE_DEV_KEY
    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        sqlite_file = Path(app.instance_path) / "lms.sqlite"
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{sqlite_file}"
    app.config["TESTING"] = app.config["LMS_ENV"] == "testing" or app.config.get("TESTING", False)
    logging.basicConfig(level=app.config["LMS_LOG_LEVEL"])


def register_extensions(app: Flask) -> None:
    """Bind the database, migrations and the OpenAPI-documenting API to the app."""
    if app.config["LMS_TRUSTED_PROXIES"]:
        # Behind N reverse proxies, the client's address is the Nth from the right in
        # X-Forwarded-For; throttling and the audit log need the real one.
        hops = app.config["LMS_TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    db.init_app(app)
    init_replica(app)
    migrate.init_app(app, db, directory=str(settings.PROJECT_ROOT / "migrations"))
    app.url_map.converters["id"] = IdConverter
    api.init_app(app)
    api.register_converter(IdConverter, id_parameter_schema)
    init_auth(app)
    limiter.init_app(app)
    cache.init_app(app)
    data_version.watch(db.session.session_factory.class_)
    kept.watch(db.session.session_factory.class_)
    ahead.watch(db.session.session_factory.class_)
    with app.app_context():
        tune_sqlite(db.engine, app.config["LMS_SQLITE_BUSY_TIMEOUT_MS"])
        tune_postgres(db.engine)


def tune_sqlite(engine: sa.Engine, busy_timeout_ms: int) -> None:
    """Turn on foreign keys, WAL and a busy timeout for every new SQLite connection, and
    begin transactions ourselves (SQLAlchemy's recipe for pysqlite)."""
    if engine.dialect.name != "sqlite":
        return

    @sa.event.listens_for(engine, "begin")
    def on_begin(connection):
        # A request that may write takes the write lock when its transaction starts: SQLite
        # has one writer at a time, and a writer whose earlier reads went stale would
        # otherwise fail with "database is locked" instead of seeing the other's commit
        # (two submissions of one assessment must give one 200 and one 409).
        # A job of the worker that writes says so (lms.core.jobs), for the same reason.
        writing = ((has_request_context() and request.method not in ("GET", "HEAD", "OPTIONS"))
                   or (has_app_context() and g.get(jobs.WRITES, False)))
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")

    @sa.event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):  # pragma: no cover - exercised on connect
        # Let the "begin" listener above start transactions, not pysqlite's implicit BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # SQLite ignores foreign keys unless asked, per connection.
        cursor.execute("PRAGMA foreign_keys = ON")
        # WAL lets readers proceed while one writer writes; the busy timeout makes a second
        # writer wait for the lock instead of failing at once.
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.close()


def id_parameter_schema(_converter) -> dict:
    """How an ``<id:…>`` path parameter appears in the OpenAPI document."""
    return {"type": "integer", "minimum": 1, "maximum": MAX_ID}


def register_blueprints(app: Flask) -> None:
    """Mount the API blueprints (documented in OpenAPI) and the plain pages."""
    for blueprint in (framework_api, accounts_api, cohorts_api, curriculum_api, ratings_api,
                      outcomes_api, charts_api, audit_api, interop_api, messaging_api,
                      feedback_api):
        api.register_blueprint(blueprint, url_prefix="/api/v1")
    app.register_blueprint(account_views.bp)
    app.register_blueprint(language.bp)
    app.register_blueprint(messaging_views.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(docs_blueprint)
    for pages in (dashboards.bp, participant_pages.bp, tutor_pages.bp, outcome_pages.bp,
                  admin_pages.bp, setup_pages.bp, feedback_pages.bp):
        app.register_blueprint(pages)


def register_commands(app: Flask) -> None:
    """Add the ``flask lms …`` command group."""
    app.cli.add_command(cli.lms)
