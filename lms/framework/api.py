"""Read-only API of the framework: /api/v1/framework, /themes, /behaviours."""

import math
import time

from flask import Response, current_app
from marshmallow import RAISE

from lms.core import data_version
from lms.core.caching import cached
from lms.core.extensions import limiter
from lms.framework import service
from lms.framework.schemas import (
    BehaviourQuerySchema,
    BehaviourSchema,
    FrameworkSchema,
    ThemeSchema,
)
from lms.web.api import Blueprint, tagged
from lms.web.guards import throttled

blp = Blueprint(
    "framework",
    __name__,
    description="The framework's themes, key behaviours and links to other frameworks.",
)


def framework_document() -> tuple[str, str]:
    """(version, JSON) of the framework. Each process asks for the version at most once per
    LMS_LOCAL_CACHE_SECONDS and keeps the document it belongs to: the busiest public
    document then costs no round trip to the database or Redis (bench/: it had tripled the
    time per request), at the price of a change showing up to that many seconds late."""
    recent = current_app.extensions.setdefault("lms.framework", {"at": -math.inf})
    now = time.monotonic()
    if now - recent["at"] >= current_app.config["LMS_LOCAL_CACHE_SECONDS"]:
        version = data_version.current(data_version.FRAMEWORK)
        if version != recent.get("version"):
            recent["document"] = cached("framework", {"version": version},
                                        lambda: current_app.json.dumps(
                                            FrameworkSchema().dump(service.get_framework())))
            recent["version"] = version
        recent["at"] = now
    return recent["version"], recent["document"]


@blp.get("/framework")
# Not throttled: the framework is public, the same for everyone and answered from this
# process's memory, so a flood costs no more than it would against a static file (which a
# proxy in front should cap). Counting each request in Redis had cost more than the answer.
@limiter.exempt
@blp.response(200, FrameworkSchema)
@blp.alt_response(404, response="DEFAULT_ERROR", description="No framework is loaded yet.")
def get_framework():
    """The whole framework, nested: themes, their behaviours and links."""
    # The same document for everyone, read often and changed only by `flask lms seed`: kept
    # as JSON under the data version, and answered 304 when the caller already has it.
    version, document = framework_document()
    return tagged(f"framework-{version}", "no-cache",
                  lambda: Response(document, mimetype="application/json"))


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
@blp.alt_response(404, response="DEFAULT_ERROR", description="No theme has the code in `theme`.")
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
