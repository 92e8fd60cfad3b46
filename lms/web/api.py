"""The API's blueprint class and what its routes share: the documented 404, and answers
tagged with an ETag (304 when the caller already holds it).

Reading JSON bodies: every body that cannot be read is a 400 that says why, never a 500.

webargs (under flask-smorest) reads bodies with ``json.loads``, which raises more than the
decoding errors webargs expects: RecursionError for arrays or objects nested thousands deep,
ValueError for an integer of more than 4,300 digits. Both escaped as 500s.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, NoReturn

import flask
from flask_smorest import Blueprint as SmorestBlueprint
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

from lms.core.errors import ServiceError


class UnreadableBody(ServiceError):
    """The body is not JSON that can be read."""


class JsonBodyParser(FlaskParser):
    """webargs' Flask parser, with every unreadable body answered 400 and explained."""

    def _raw_load_json(self, req: flask.Request) -> Any:
        """The body's JSON, or ``missing`` for a body that does not say it is JSON."""
        if not is_json_request(req):
            return core.missing
        try:
            return core.parse_json(req.get_data(cache=True))
        except json.JSONDecodeError as exc:
            raise UnreadableBody(f"The body is not valid JSON: {exc.msg} at line "
                                 f"{exc.lineno}, column {exc.colno}.") from None
        except RecursionError:
            raise UnreadableBody("The body is nested too deeply to read.") from None
        except ValueError as exc:  # e.g. an integer too long to convert
            raise UnreadableBody(f"The body cannot be read: {exc}.") from None

    def _handle_invalid_json_error(self, error, req, *args, **kwargs) -> NoReturn:
        """Not reached (``_raw_load_json`` raises first); kept for webargs' contract."""
        raise UnreadableBody("The body is not valid JSON.")


class Blueprint(SmorestBlueprint):
    """flask-smorest's Blueprint reading bodies with JsonBodyParser: every API module uses
    this one."""

    ARGUMENTS_PARSER = JsonBodyParser()


#: The 404 every route that looks one thing up by id documents (``alt_response(404, **…)``):
#: something that exists but is not the caller's is answered the same, so ids leak nothing.
NOT_FOUND = {"response": "DEFAULT_ERROR", "description": "Not found, or not yours to see."}


def tagged(etag: str, cache_control: str, answer: Callable[[], flask.Response]
           ) -> flask.Response:
    """``answer()`` with ``etag``, or an empty 304 (``answer`` not called, so nothing is
    built) when the request's If-None-Match already holds that tag."""
    if flask.request.if_none_match.contains(etag):
        response = flask.Response(status=304)
    else:
        response = answer()
    response.set_etag(etag)
    response.headers["Cache-Control"] = cache_control
    return response
