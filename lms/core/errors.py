"""Error types raised by services, and the one handler that turns any error into a response.

Under ``/api/`` every error is JSON shaped ``{"code", "status", "message", "errors"?}``
(``code`` the HTTP status, ``status`` its name), the shape flask-smorest documents; every other
path gets an HTML page.
"""

from __future__ import annotations

import logging
import math
import time
from http import HTTPStatus
from typing import Any

import sqlalchemy as sa
from flask import Flask, Response, current_app, jsonify, make_response, render_template, request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_limiter.errors import RateLimitExceeded
from werkzeug.exceptions import HTTPException, default_exceptions

from lms.core import api_words
from lms.core.extensions import db, limiter
from lms.core.i18n import current_language

log = logging.getLogger(__name__)

API_PREFIX = "/api/"
DATABASE_RETRY_AFTER_SECONDS = 5


class ServiceError(Exception):
    """A rule of the service refused an operation; carries the status that says why."""

    status = HTTPStatus.BAD_REQUEST
    headers: dict[str, str] = {}

    def __init__(self, message: str, errors: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors


class NotFound(ServiceError):
    """The thing asked for does not exist (or the caller may not know it does)."""

    status = HTTPStatus.NOT_FOUND


class Forbidden(ServiceError):
    """The caller may know the thing exists but may not do this to it."""

    status = HTTPStatus.FORBIDDEN


class Unauthorized(ServiceError):
    """The caller has not proved who they are (or their credentials no longer work)."""

    status = HTTPStatus.UNAUTHORIZED
    headers = {"WWW-Authenticate": 'Bearer realm="lms"'}


class Gone(ServiceError):
    """The thing existed but can no longer be used (an expired or spent one-time link)."""

    status = HTTPStatus.GONE


class Conflict(ServiceError):
    """The request clashes with the current state of what is stored."""

    status = HTTPStatus.CONFLICT


class Invalid(ServiceError):
    """The input is well-formed but breaks a rule; ``errors`` names the fields."""

    status = HTTPStatus.UNPROCESSABLE_ENTITY


def wants_json() -> bool:
    """Whether the current request is answered in the API's JSON error shape."""
    return request.path.startswith(API_PREFIX) or request.path == API_PREFIX.rstrip("/")


def error_response(
    status: int, message: str, errors: Any = None, headers: dict[str, str] | None = None
) -> tuple[Response | str, int, dict[str, str]]:
    """Render one error as JSON under /api/ and as an HTML page elsewhere."""
    name = HTTPStatus(status).phrase
    if wants_json():
        if current_language() != "en":  # the libraries' own words, said in Welsh too
            message = api_words.said(api_words.status_description(status, message))
            errors = api_words.said_all(errors)
        body: dict[str, Any] = {"code": status, "status": name, "message": message}
        if errors:
            body["errors"] = errors
        return jsonify(body), status, headers or {}
    page = render_template("errors/error.html", code=status,
                           name=PAGE_TITLES.get(status, name),
                           message=None if is_stock_text(status, message) else message)
    return page, status, headers or {}


#: Headings of the error pages people meet most, in the design system's plain words.
PAGE_TITLES = {
    HTTPStatus.NOT_FOUND: _l("Page not found"),
    HTTPStatus.FORBIDDEN: _l("You cannot see this page"),
    HTTPStatus.INTERNAL_SERVER_ERROR: _l("Sorry, there is a problem with the service"),
    HTTPStatus.SERVICE_UNAVAILABLE: _l("Sorry, the service is unavailable"),
}


def is_stock_text(status: int, message: str) -> bool:
    """Whether ``message`` is Werkzeug's own description of the status (which speaks of
    "the server" and "the requested URL"), not something this service said."""
    stock = default_exceptions.get(status)
    return stock is not None and message in (stock.description, HTTPStatus(status).phrase)


def rollback_quietly() -> None:
    """Roll the session back; a rollback that fails too (the database is gone) is only logged."""
    try:
        db.session.rollback()
    except sa.exc.SQLAlchemyError:
        log.warning("rollback failed after an error", exc_info=True)


def handle_http_exception(exc: HTTPException):
    """Answer an HTTP error raised by Flask, Werkzeug, webargs or a view."""
    rollback_quietly()
    status = exc.code or 500
    data = getattr(exc, "data", None) or {}
    # webargs puts the failing fields of a 422 in data["messages"]; smorest's abort() passes
    # a custom message in data["message"].
    errors = data.get("messages") or data.get("errors")
    message = data.get("message") or exc.description or HTTPStatus(status).phrase
    if status == HTTPStatus.UNPROCESSABLE_ENTITY and errors and "message" not in data:
        message = gettext("The request is invalid: see errors for the fields to correct.")
    headers = {
        key: value
        for key, value in exc.get_headers()
        if key.lower() not in ("content-type", "content-length")
    }
    headers.update(data.get("headers") or {})
    if status == HTTPStatus.REQUEST_ENTITY_TOO_LARGE:
        limit = current_app.config["MAX_CONTENT_LENGTH"]
        message = gettext("The request body is too large: this service accepts at most "
                          "%(mb)d MB.", mb=limit // (1024 * 1024))
    if isinstance(exc, RateLimitExceeded):
        headers["Retry-After"] = str(seconds_until_reset())
        message = gettext("Too many requests (%(limit)s); try again in %(seconds)s s.",
                          limit=exc.description, seconds=headers["Retry-After"])
    return error_response(status, message, errors, headers)


def seconds_until_reset() -> int:
    """Whole seconds until the breached rate limit's window ends (at least 1)."""
    current = limiter.current_limit
    if current is None:
        return 60
    return max(1, math.ceil(current.reset_at - time.time()))


def handle_service_error(exc: ServiceError):
    """Answer a rule the service enforced; nothing the request wrote is kept."""
    rollback_quietly()
    return error_response(int(exc.status), exc.message, exc.errors, dict(exc.headers))


CONFLICT_MESSAGE = _l("This clashes with a change saved at the same moment; reload and try "
                      "again.")


def handle_integrity_error(exc: sa.exc.IntegrityError):
    """Answer 409 when a constraint refuses a write another request raced us to."""
    log.info("write refused by a constraint: %s", exc.orig.__class__.__name__)
    rollback_quietly()
    return error_response(HTTPStatus.CONFLICT, str(CONFLICT_MESSAGE))


def handle_database_unavailable(exc: sa.exc.OperationalError):
    """Answer 503 when the database cannot be reached, so clients retry instead of failing."""
    log.error("database unavailable: %s", exc.__class__.__name__, exc_info=exc)
    rollback_quietly()
    return error_response(
        HTTPStatus.SERVICE_UNAVAILABLE,
        gettext("The database is unavailable just now; please try again shortly."),
        headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
    )


def handle_unexpected(exc: Exception):
    """Answer any other failure with a 500 that reveals nothing, and roll the session back."""
    log.exception("unhandled error on %s %s", request.method, request.path)
    rollback_quietly()
    return error_response(
        HTTPStatus.INTERNAL_SERVER_ERROR,
        gettext("Something went wrong on our side. It has been logged; please try again "
                "later."),
    )


def commit_request(response: Response) -> Response:
    """Commit what the request did, once, at its end (services only flush).

    A request answered with an error commits nothing: error handlers have already rolled
    back, and any other 4xx or 5xx answer is rolled back here. A write that lost a race to
    another request (a unique key taken meanwhile) is answered 409, never 500.
    """
    if not db.session.registry.has():
        return response  # the request never touched the database: nothing to commit
    if response.status_code >= 400:
        # A page that caught a refusal to show it in its form answers 4xx without passing
        # through the handlers above: what the refused operation had written goes too.
        rollback_quietly()
        return response
    try:
        db.session.commit()
    except sa.exc.IntegrityError as exc:
        return make_response(handle_integrity_error(exc))
    except sa.exc.OperationalError as exc:
        return make_response(handle_database_unavailable(exc))
    for after_commit in current_app.extensions.get(AFTER_COMMIT, ()):
        after_commit()
    return response


#: Where features register what runs after a request's commit (app.extensions): the audit
#: log writes the events a read deferred (lms.audit.service.init_audit).
AFTER_COMMIT = "lms_after_commit"


def register_error_handlers(app: Flask) -> None:
    """Install the handlers; called after flask-smorest so ours replace its JSON-only one."""
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(ServiceError, handle_service_error)
    app.register_error_handler(sa.exc.IntegrityError, handle_integrity_error)
    app.register_error_handler(sa.exc.OperationalError, handle_database_unavailable)
    app.register_error_handler(Exception, handle_unexpected)
