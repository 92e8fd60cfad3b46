"""Pages for people: sign in, sign out, and set a password through a one-time link."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from lms.accounts import service
from lms.accounts.throttle import reserve_sign_in
from lms.audit.service import record
from lms.core.errors import Gone, Invalid
from lms.core.extensions import limiter
from lms.web.forms import field_errors
from lms.web.pages import safe_next

bp = Blueprint("auth", __name__)


class SignInForm(FlaskForm):
    """E-mail address and password."""

    email = EmailField(_l("Email address"), validators=[
        DataRequired(_l("Enter your email address.")), Length(max=320)])
    password = PasswordField(_l("Password"), validators=[
        DataRequired(_l("Enter your password.")), Length(max=1024)])
    remember = BooleanField(_l("Keep me signed in on this device for up to 30 days"))


class SetPasswordForm(FlaskForm):
    """A new password, typed twice."""

    password = PasswordField(_l("New password"), validators=[
        DataRequired(_l("Enter a new password.")), Length(max=1024)])
    confirm = PasswordField(_l("Type it again"), validators=[
        DataRequired(_l("Type the new password again.")),
        EqualTo("password", message=_l("The two passwords are not the same."))])


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    """Show the sign-in form, or sign the person in (throttled per account and per address
    by lms.accounts.throttle, before the password is checked)."""
    form = SignInForm()
    if request.method == "POST":
        # Every attempt takes its allowance first, so parallel attempts see the limit.
        reservation = reserve_sign_in(request.form.get("email", ""))
    if form.validate_on_submit():
        user = service.authenticate(form.email.data, form.password.data)
        if user is not None:
            reservation.give_back()  # a success does not count against the limits
            # A new session at sign-in: nothing planted in the old one survives (fixation).
            session.clear()
            service.start_session(user)
            login_user(user, remember=form.remember.data)
            return redirect(safe_next(request.args.get("next")))
        form.password.errors.append("The email address or password is not right.")
    return render_template("auth/sign_in.html", form=form, errors=field_errors(form),
                           idle=idle_description())


def idle_description() -> str:
    """The sign-in form's hint: how long a session may go unused, as a whole sentence."""
    minutes = int(current_app.permanent_session_lifetime.total_seconds() // 60)
    if minutes % 60:
        return ngettext("Without it, you are signed out after %(num)d minute without using "
                        "the service.", "Without it, you are signed out after %(num)d minutes "
                        "without using the service.", minutes)
    return ngettext("Without it, you are signed out after %(num)d hour without using the "
                    "service.", "Without it, you are signed out after %(num)d hours without "
                    "using the service.", minutes // 60)


@bp.post("/sign-out")
@login_required
def sign_out():
    """Sign out everywhere: every session, remember cookie, API token and unused password
    link of this person ends (the account page says so beside the tokens)."""
    user = current_user._get_current_object()
    service.end_access(user)
    record("auth.sign_out", user)
    session.clear()
    logout_user()  # after clear(): it leaves the note that deletes the remember cookie
    flash("You have signed out.")
    return redirect(url_for("auth.sign_in"))


@bp.route("/set-password/<token>", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
def set_password(token: str):
    """Set a password through a one-time link."""
    try:
        link = service.find_password_link(token)
    except Gone as exc:
        return render_template("errors/error.html", code=410, name="Link expired",
                               message=exc.message), 410
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            service.use_password_link(token, form.password.data)
        except Invalid as exc:
            form.password.errors.extend(exc.errors["password"])
        else:
            flash("Your password is set. Sign in with it now.")
            return redirect(url_for("auth.sign_in"))
    return render_template("auth/set_password.html", form=form, user=link.user,
                           errors=field_errors(form))
