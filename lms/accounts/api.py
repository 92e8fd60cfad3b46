"""Accounts API: the caller's tokens, and users (for administrators). ``/me``, which names
the caller's cohorts too, is the cohorts API's."""

from __future__ import annotations

from flask_login import current_user

from lms.accounts import service
from lms.accounts.schemas import (
    PasswordLinkSchema,
    TokenCreatedSchema,
    TokenCreateSchema,
    TokenSchema,
    UserCreatedSchema,
    UserCreateSchema,
    UserPageSchema,
    UserQuerySchema,
    UserSchema,
    UserUpdateSchema,
)
from lms.core.schemas import page_of
from lms.web.api import Blueprint
from lms.web.guards import guard

blp = Blueprint("accounts", __name__, description="You, your API tokens, and user accounts.")


@blp.get("/me/tokens")
@guard(blp)
@blp.response(200, TokenSchema(many=True))
def list_my_tokens():
    """Your API tokens, newest first; their secrets are never shown again."""
    return service.list_tokens(current_user)


@blp.post("/me/tokens")
@guard(blp)
@blp.arguments(TokenCreateSchema, required=False)
@blp.response(201, TokenCreatedSchema)
def create_my_token(body):
    """Create an API token. The response holds its secret: this is the only time it is shown."""
    token, secret = service.create_token(current_user, body["name"], body["days"])
    token.token = secret  # not a column: carried to the response this once
    return token


@blp.delete("/me/tokens/<id:token_id>")
@guard(blp)
@blp.response(204)
@blp.alt_response(404, response="DEFAULT_ERROR", description="You have no such token.")
def revoke_my_token(token_id: int):
    """Revoke one of your tokens; it stops working at once."""
    service.revoke_token(current_user, token_id)


@blp.get("/users")
@guard(blp, "admin")
@blp.arguments(UserQuerySchema, location="query")
@blp.response(200, UserPageSchema)
def list_users(query):
    """Every user, by e-mail address, a page at a time."""
    return page_of(service.users_query(query.get("q"), query.get("role")), query["page"],
                   query["per_page"])


@blp.post("/users")
@guard(blp, "admin")
@blp.arguments(UserCreateSchema)
@blp.response(201, UserCreatedSchema)
@blp.alt_response(409, response="DEFAULT_ERROR", description="The e-mail address is taken.")
def create_user(body):
    """Create a user and e-mail them an invitation with a link to set their password."""
    user = service.create_user(body["email"], body["display_name"], body["role"])
    return {"user": user, "invitation": "queued"}


@blp.get("/users/<id:user_id>")
@guard(blp, "admin")
@blp.response(200, UserSchema)
@blp.alt_response(404, response="DEFAULT_ERROR", description="No user has that id.")
def get_user(user_id: int):
    """One user."""
    return service.get_user(user_id)


@blp.patch("/users/<id:user_id>")
@guard(blp, "admin")
@blp.arguments(UserUpdateSchema, required=False)
@blp.response(200, UserSchema)
@blp.alt_response(404, response="DEFAULT_ERROR", description="No user has that id.")
@blp.alt_response(409, response="DEFAULT_ERROR",
                  description="An administrator cannot disable their own account.")
def update_user(body, user_id: int):
    """Rename a user, change their role, or disable them (which ends their sessions)."""
    return service.update_user(service.get_user(user_id), **body,
                               actor=current_user._get_current_object())


@blp.post("/users/<id:user_id>/password-link")
@guard(blp, "admin")
@blp.response(201, PasswordLinkSchema)
@blp.alt_response(404, response="DEFAULT_ERROR", description="No user has that id.")
def create_password_link(user_id: int):
    """Issue a new one-time link for a user to set (or reset) their password."""
    return {"password_link": service.issue_password_link(service.get_user(user_id))}
