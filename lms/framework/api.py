"""Read-only API of the framework: /api/v1/framework, /themes, /behaviours."""

from flask import Response, current_app, request
from flask_smorest import Blueprint
from marshmallow import RAISE

from lms import data_version
from lms.accounts.auth import throttled
from lms.caching import cached
from lms.framework import service
from lms.framework.schemas import (
    BehaviourQuerySchema,
    BehaviourSchema,
    FrameworkSchema,
    ThemeSchema,
)

blp = Blueprint(
    "framework",
    __name__,
    description="The framework's themes, key behaviours and links to other frameworks.",
)


@blp.get("/framework")
@throttled(blp)
@blp.response(200, FrameworkSchema)
@blp.alt_response(404, response="DEFAULT_ERROR", description="No framework is loaded yet.")
def get_framework():
    """The whole framework, nested: themes, their behaviours and links."""
    # The same document for everyone, read often and changed only by `flask lms seed`: kept
    # as JSON under the data version, and answered 304 when the caller already has it.
    version = data_version.current(data_version.FRAMEWORK)
    etag = f"framework-{version}"
    if request.if_none_match.contains(etag):
        response = Response(status=304)
    else:
        document = cached("framework", {"version": version},
                          lambda: current_app.json.dumps(
                              FrameworkSchema().dump(service.get_framework())))
        response = Response(document, mimetype="application/json")
    response.set_etag(etag)
    response.headers["Cache-Control"] = "no-cache"
    return response


@blp.get("/themes")
@throttled(blp)
@blp.response(200, ThemeSchema(many=True))
def list_themes():
    """The four themes, in the order the framework introduces them."""
    return service.list_themes()


@blp.get("/themes/<code>")
@throttled(blp)
@blp.response(200, ThemeSchema)
@blp.alt_response(404, response="DEFAULT_ERROR", description="No theme has that code.")
def get_theme(code: str):
    """One theme by its code (SI, FC, DT, FO)."""
    return service.get_theme(code)


@blp.get("/behaviours")
@throttled(blp)
# Unknown query parameters are refused, so a misspelt filter is not silently ignored.
@blp.arguments(BehaviourQuerySchema, location="query", unknown=RAISE, as_kwargs=True)
@blp.response(200, BehaviourSchema(many=True))
def list_behaviours(theme=None, applies_to=None):
    """Key behaviours, filtered by theme and by the kind of organisation they apply to."""
    return service.list_behaviours(theme=theme, applies_to=applies_to)


@blp.get("/behaviours/<code>")
@throttled(blp)
@blp.response(200, BehaviourSchema)
@blp.alt_response(404, response="DEFAULT_ERROR", description="No behaviour has that code.")
def get_behaviour(code: str):
    """One key behaviour by its code, e.g. DT.8."""
    return service.get_behaviour(code)
