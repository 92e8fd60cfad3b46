"""Who is asking: session cookies for people and bearer tokens for programs (the route
guards built on them are in ``lms.web.guards``).

A request that carries ``Authorization`` is authenticated by that token alone; any session
cookie it also carries is ignored. A cookie-authenticated request that changes something must
carry a CSRF token; a token-authenticated one need not (a browser never adds it on its own).
"""

from __future__ import annotations

import time

from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST, RFC_9106_LOW_MEMORY
from flask import Flask, current_app, g, redirect, request, session, url_for
from flask_login import current_user

from lms.accounts.models import User
from lms.accounts.service import user_for_session, user_for_token
from lms.core.errors import Unauthorized, wants_json
from lms.core.extensions import api, csrf, login_manager

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def init_auth(app: Flask) -> None:
    """Wire Flask-Login, CSRF and token authentication into the app."""
    profile = CHEAPEST if app.config["LMS_ENV"] == "testing" else RFC_9106_LOW_MEMORY
    app.extensions["lms_password_hasher"] = PasswordHasher.from_parameters(profile)
    login_manager.init_app(app)
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = "Please sign in to see that page."
    login_manager.user_loader(load_user)
    login_manager.unauthorized_handler(unauthorized)
    csrf.init_app(app)
    app.before_request(forget_previous_caller)
    app.before_request(authenticate_request)
    app.before_request(keep_session_alive)
    register_security_schemes()


def register_security_schemes() -> None:
    """Describe the two ways to authenticate in the OpenAPI document."""
    components = api.spec.components
    if "bearerAuth" not in components.security_schemes:
        components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
        components.security_scheme(
            "cookieAuth", {"type": "apiKey", "in": "cookie", "name": "lms_session"}
        )


def load_user(session_secret: str) -> User | None:
    """Flask-Login's loader: the active user of the session whose secret the cookie holds."""
    return user_for_session(session_secret)


def unauthorized():
    """Answer an anonymous caller: 401 JSON under /api/, the sign-in page elsewhere."""
    if wants_json():
        raise Unauthorized("Sign in, or send an API token as 'Authorization: Bearer <token>'.")
    return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))


def forget_previous_caller() -> None:
    """Start every request with no caller and no CSRF verdict.

    ``g`` lives in the application context, which a request reuses when one is already
    pushed (a script or a test that holds a context open): who called last time must never
    carry over to this request.
    """
    for key in ("_login_user", "auth_method", "csrf_valid",
                current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")):
        g.pop(key, None)


def authenticate_request() -> None:
    """Authenticate a bearer token if one is sent; otherwise require CSRF on cookie writes."""
    if request.routing_exception is not None:
        # No such route, or not with this method: the 404 or 405 (with Allow) says so to
        # anyone, whatever their credentials, and there is nothing to protect.
        return
    header = request.headers.get("Authorization")
    if header is not None:
        g.auth_method = "token"
        g._login_user = bearer_user(header)  # Flask-Login's slot: the session is not consulted
        return
    g.auth_method = "session"
    if request.method in SAFE_METHODS:
        return
    # Anonymous API writes have no session to ride on, so they get a plain 401 from the
    # route guard; pages (the sign-in form included) always need the CSRF token.
    if request.path.startswith(CSRF_FREE_PATHS):
        return
    if current_user.is_authenticated or not request.path.startswith("/api/"):
        csrf.protect()


#: Writes whose link carries its own signed authority: the one-click unsubscribe of RFC 8058,
#: which a mail program sends without any cookie or form token (and which only turns
#: reminders off).
CSRF_FREE_PATHS = ("/unsubscribe/",)


def keep_session_alive() -> None:
    """Re-sign a signed-in session's cookie at most once a minute while it is used, so the
    idle timeout (PERMANENT_SESSION_LIFETIME, the longest age a cookie's signature may have)
    counts from the last use, not from sign-in."""
    if g.get("auth_method") != "session" or "_user_id" not in session:
        return
    minute = int(time.time() // 60)
    if session.get("seen") != minute:
        session["seen"] = minute


def bearer_user(header: str) -> User:
    """The user of an ``Authorization: Bearer …`` header; Unauthorized if it does not work."""
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthorized("Send the token as 'Authorization: Bearer <token>'.")
    user = user_for_token(secret.strip())
    if user is None:
        raise Unauthorized("The API token is unknown, expired or revoked.")
    return user
