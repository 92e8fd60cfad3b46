"""The home page every role lands on, and "your account" for everyone: name, e-mail address,
password, e-mail preferences, and (under Advanced) API tokens."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import force_locale, gettext
from flask_login import current_user, login_user

from lms.accounts import service as accounts
from lms.core.errors import Conflict, Invalid
from lms.core.extensions import limiter
from lms.dashboards import admin, participant, tutor
from lms.dashboards import outcomes as sponsor
from lms.dashboards.forms import DetailsForm, PasswordChangeForm, PreferencesForm, TokenForm
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


def render_account(form: TokenForm | None = None, new_token: str | None = None,
                   status: int = 200, details: DetailsForm | None = None,
                   password: PasswordChangeForm | None = None):
    """The account page, with the form that was posted (and its errors), and a token just
    made, shown once."""
    forms = {"form": form or TokenForm(),
             "details": details or DetailsForm(obj=current_user),
             "password": password or PasswordChangeForm(),
             "preferences": PreferencesForm(obj=current_user)}
    errors = [item for posted in (form, details, password) if posted is not None
              for item in field_errors(posted)]
    return render_template("account.html", new_token=new_token,
                           tokens=accounts.list_tokens(current_user), error_list=errors,
                           **forms), status


@bp.post("/account/details")
@page()
@limiter.limit("20 per hour", methods=["POST"])
def save_details():
    """Change your name, or your e-mail address (with your current password)."""
    form = DetailsForm(request.form)
    if form.validate():
        try:
            changed = accounts.change_own_details(current_user, form.display_name.data,
                                                  form.email.data, form.current_password.data)
        except Invalid as exc:
            target = next(iter(exc.errors or {}), "email")
            getattr(form, target, form.email).errors = [exc.message]
        except Conflict as exc:
            form.email.errors = [exc.message]
        else:
            flash(gettext("Your details are saved.") if changed
                  else gettext("Nothing had changed."))
            return redirect(url_for(".account"))
    return render_account(details=form, status=422)


@bp.post("/account/password")
@page()
@limiter.limit("20 per hour", methods=["POST"])
def change_password():
    """Change your password: the current one is needed; every other session and every API
    token ends, and this browser stays signed in with a new session."""
    form = PasswordChangeForm(request.form)
    if form.validate():
        user = current_user._get_current_object()
        try:
            accounts.change_own_password(user, form.current_password.data, form.password.data)
        except Invalid as exc:
            if "current_password" in (exc.errors or {}):
                form.current_password.errors = [exc.message]
            else:
                form.password.errors = list((exc.errors or {}).get("password", [exc.message]))
        else:
            session.clear()
            accounts.start_session(user)
            login_user(user)
            flash(gettext("Your password is changed. You are signed out everywhere else, and "
                          "your API tokens are revoked."))
            return redirect(url_for(".account"))
    return render_account(password=form, status=422)


@bp.post("/account/preferences")
@page()
def save_preferences():
    """Save how you want to be written to (as PATCH /api/v1/me does)."""
    form = PreferencesForm(request.form)
    if not form.validate():
        return render_account(status=422)
    changes = {"email_reminders": form.email_reminders.data, "language": form.language.data}
    if current_user.role in ("tutor", "admin"):
        changes["weekly_digest"] = form.weekly_digest.data
    accounts.update_preferences(current_user, **changes)
    session["language"] = form.language.data  # the pages follow from the next one on
    with force_locale(form.language.data):  # said in the language chosen, as the next page is
        flash(gettext("Your preferences are saved."))
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
    flash(gettext("The token “%(name)s” is revoked.", name=token.name))
    return redirect(url_for(".account"))
