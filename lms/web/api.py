"""Reading JSON bodies: every body that cannot be read is a 400 that says why, never a 500.

webargs (under flask-smorest) reads bodies with ``json.loads``, which raises more than the
decoding errors webargs expects: RecursionError for arrays or objects nested thousands deep,
ValueError for an integer of more than 4,300 digits. Both escaped as 500s.
"""

from __future__ import annotations

import json
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
