"""Who may reach a route: one role check, under the API's guard and the pages' guard alike.

``guard`` (API routes) and ``page`` (pages) differ only in how they answer: an anonymous
caller gets a 401 JSON answer under /api/ and the sign-in page elsewhere (Flask-Login's
``unauthorized``, set up in ``lms.accounts.auth``); a caller of another role gets a 403.
Object-level rules (which cohort, which person) are in ``lms.access``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from flask_login import current_user

from lms.core.errors import Forbidden
from lms.core.extensions import login_manager

SECURITY = [{"bearerAuth": []}, {"cookieAuth": []}]
ROLE_NAMES = {"participant": "participants", "tutor": "tutors", "sponsor": "sponsors",
              "admin": "administrators"}


def require_role(user, roles: tuple[str, ...], refusal: str) -> None:
    """Forbidden (saying ``refusal``) unless ``user`` holds one of ``roles``; any role passes
    when none is named."""
    if roles and user.role not in roles:
        raise Forbidden(refusal)


def signed_in(roles: tuple[str, ...], refusal: str) -> Callable:
    """A decorator letting through a signed-in caller of one of ``roles`` (of any role, if
    none); the view then runs, and ``lms_roles`` on it says who may (the access matrix
    test reads it)."""

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            require_role(current_user, roles, refusal)
            return view(*args, **kwargs)

        wrapper.lms_roles = roles
        return wrapper

    return decorator


def page(*roles: str) -> Callable:
    """Require a signed-in person (of one of ``roles``, if given) to see a page."""
    names = " and ".join(ROLE_NAMES[role] for role in roles)
    return signed_in(roles, f"This page is for {names}.")


def throttled(blp) -> Callable:
    """Document the 429 every route may answer when its caller goes over the rate limit."""
    return blp.alt_response(429, response="DEFAULT_ERROR",
                            description="Too many requests; wait for the Retry-After seconds.")


def guard(blp, *roles: str) -> Callable:
    """Require a signed-in caller (of one of ``roles``, if given) of an API route, and
    document it.

    Put it under the route decorator and above ``@blp.arguments``, so that who is asking is
    checked before what they sent.
    """
    check = signed_in(roles, f"This needs the role {' or '.join(roles)}.")

    def decorator(view: Callable) -> Callable:
        wrapper = blp.doc(security=SECURITY)(check(view))
        wrapper = blp.alt_response(401, response="DEFAULT_ERROR",
                                   description="Not signed in, or the token does not work.")(
            wrapper)
        wrapper = blp.alt_response(403, response="DEFAULT_ERROR",
                                   description="Signed in, but not allowed to do this.")(wrapper)
        return throttled(blp)(wrapper)

    return decorator
