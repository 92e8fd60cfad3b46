"""The home page every role lands on, and "your account" (API tokens) for everyone."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from lms.accounts import service as accounts
from lms.dashboards import admin, participant, tutor
from lms.dashboards import outcomes as sponsor
from lms.dashboards.forms import PreferencesForm, TokenForm
from lms.web.forms import field_errors
from lms.web.guards import page

bp = Blueprint("dashboards", __name__)

ROLE_HOMES = {"participant": participant.home, "tutor": tutor.home,
              "sponsor": sponsor.home, "admin": admin.home}


@bp.get("/")
def home():
    """Each role's home; a start page with the way to sign in for everyone else."""
    if not current_user.is_authenticated:
        return render_template("index.html")
    return ROLE_HOMES[current_user.role]()


@bp.get("/account")
@page()
def account():
    """Your account: how you are written to, your API tokens, and a form to make one."""
    return render_account(TokenForm())


def render_account(form: TokenForm, new_token: str | None = None, status: int = 200):
    """The account page with ``form`` (and a token just made, shown once)."""
    preferences = PreferencesForm(obj=current_user)
    return render_template("account.html", form=form, new_token=new_token,
                           tokens=accounts.list_tokens(current_user), preferences=preferences,
                           error_list=field_errors(form)), status


@bp.post("/account/preferences")
@page()
def save_preferences():
    """Save how you want to be written to (as PATCH /api/v1/me does)."""
    form = PreferencesForm(request.form)
    if not form.validate():
        return render_account(TokenForm(), status=422)
    changes = {"email_reminders": form.email_reminders.data, "language": form.language.data}
    if current_user.role in ("tutor", "admin"):
        changes["weekly_digest"] = form.weekly_digest.data
    accounts.update_preferences(current_user, **changes)
    flash("Your email preferences are saved.")
    return redirect(url_for(".account"))


@bp.post("/account/tokens")
@page()
def create_token():
    """Make an API token; it is shown once, on the page that answers."""
    form = TokenForm(request.form)
    if not form.validate():
        return render_account(form, status=422)
    _token, secret = accounts.create_token(current_user, form.name.data, form.days.data)
    return render_account(TokenForm(), new_token=secret)


@bp.post("/account/tokens/<id:token_id>/revoke")
@page()
def revoke_token(token_id: int):
    """Revoke one of your tokens."""
    token = accounts.revoke_token(current_user, token_id)
    flash(f"The token “{token.name}” is revoked.")
    return redirect(url_for(".account"))
