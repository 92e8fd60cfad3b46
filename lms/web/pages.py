"""What every page shares: the navigation and the Jinja set-up.

Pages answer only the roles that may see them (``lms.web.guards.page``, the same role check
as the API's guard): an anonymous visitor is sent to the sign-in page, a signed-in person of
another role gets a 403 page. Object-level rules (which cohort, which person) are the same
functions the API uses, in ``lms.access``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, has_request_context, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from jinja2 import BytecodeCache, ChainableUndefined, ChoiceLoader, PackageLoader

from lms.web.forms import choice_items

SERVICE_NAME = _l("Leadership for Empowered and Healthy Communities")


class SharedBytecodeCache(BytecodeCache):
    """Compiled templates kept in memory for every app of the process.

    The design system's macros take a noticeable time to compile; a process that makes many
    apps (the test suite makes one per test) compiles each template once. Jinja keys each
    entry on the template's source checksum, so an edited template is compiled again.
    """

    def __init__(self) -> None:
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        """Fill the bucket from memory, if this template was compiled before."""
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket) -> None:
        """Keep a freshly compiled template."""
        self.compiled[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_CACHE = SharedBytecodeCache()


def escape_html_and_macros(template_name: str | None) -> bool:
    """Whether a template escapes what it prints: ours (.html), the design system's macros
    (.jinja, which mark their "html" parameters safe themselves) and templates from strings."""
    return template_name is None or template_name.endswith((".html", ".htm", ".xml", ".jinja"))


def init_pages(app: Flask) -> None:
    """Let templates use the NHS.UK design system's macros (nhsuk-frontend-jinja).

    Its macros expect chained lookups of missing parameters to be quietly empty, as in
    Nunjucks, hence ChainableUndefined.
    """
    # Extensions have already made the environment (Flask-WTF adds csrf_token to it), so it
    # is changed in place rather than through app.jinja_options.
    app.jinja_env.undefined = ChainableUndefined
    # Flask escapes only .html-like templates; the design system's macros are .jinja files
    # and print their "text" parameters (a person's name in the header, say) as given, so
    # without this a display name of "<script>…" went into every page as markup.
    app.jinja_env.autoescape = escape_html_and_macros
    app.jinja_env.bytecode_cache = TEMPLATE_CACHE
    app.jinja_env.loader = ChoiceLoader([app.jinja_env.loader,
                                         PackageLoader("nhsuk_frontend_jinja")])
    app.context_processor(page_context)
    app.add_template_filter(choice_items, "choice_items")


def no_store_for_people(response: Response) -> Response:
    """A page, download or API answer for a signed-in caller may hold personal data: no cache
    (the browser's, a proxy's) may keep it. A response that set its own caching headers
    (charts and the framework, revalidated by ETag) keeps them.

    It must run before the request's commit: afterwards the user is expired, and asking
    whether they are signed in would load them again in a new transaction.
    """
    if (current_user.is_authenticated and not request.path.startswith("/static/")
            and "Cache-Control" not in response.headers):
        response.headers["Cache-Control"] = "no-store"
    return response


#: The header's links for each role: (label, endpoint).
NAVIGATION: dict[str, list[tuple[Any, str]]] = {
    "participant": [(_l("Home"), "dashboards.home"),
                    (_l("My progress"), "participant.my_progress"),
                    (_l("360 feedback"), "feedback_pages.my_feedback")],
    "tutor": [(_l("My cohorts"), "dashboards.home"), (_l("Outcomes"), "outcome_pages.outcomes")],
    "sponsor": [(_l("Outcomes"), "dashboards.home")],
    "admin": [(_l("Cohorts"), "dashboards.home"), (_l("Users"), "admin.users"),
              (_l("Outcomes"), "outcome_pages.outcomes"), (_l("Messages"), "admin.messages"),
              (_l("Audit log"), "admin.audit")],
}
#: Each role's name, as the header shows it beside the person's.
ROLE_NAMES = {"participant": _l("participant"), "tutor": _l("tutor"),
              "sponsor": _l("sponsor"), "admin": _l("administrator")}


def navigation() -> list[dict[str, Any]]:
    """The header's navigation items for the signed-in person, the current one marked."""
    if not has_request_context() or not current_user.is_authenticated:
        return []  # an e-mail rendered by the worker: nobody is signed in
    items = []
    for label, endpoint in [*NAVIGATION.get(current_user.role, []),
                            (_l("Your account"), "dashboards.account")]:
        href = url_for(endpoint)
        current = request.path == href or (href != "/" and request.path.startswith(href))
        items.append({"text": str(label), "href": href, "current": current})
    return items


def safe_next(target: str | None) -> str:
    """Where to go back to (after signing in, after switching language): a path on this
    site, never another site."""
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("dashboards.home")


def page_context() -> dict[str, Any]:
    """Values every template may use."""
    return {"service_name": str(SERVICE_NAME), "navigation_items": navigation(),
            "role_names": ROLE_NAMES,
            "today": dt.date.today()}
