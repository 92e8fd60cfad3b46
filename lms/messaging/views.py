"""The pages of messaging: "forgot your password?", one-click unsubscribe, and, in
development, the outbox of written-out messages."""

from __future__ import annotations

import email
import email.policy
import re
from pathlib import Path

from flask import (
    Blueprint,
    abort,
    current_app,
    render_template,
    request,
    send_file,
)
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature
from werkzeug.exceptions import TooManyRequests
from wtforms import EmailField, Form
from wtforms.validators import DataRequired, Email, Length

from lms.accounts.models import User
from lms.accounts.throttle import password_reset_limits, reserve
from lms.audit.service import record
from lms.core.extensions import db
from lms.messaging.compose import unsubscribe_serializer
from lms.messaging.notices import request_password_reset
from lms.messaging.transport import outbox_dir
from lms.web.forms import field_errors
from lms.web.guards import page

bp = Blueprint("mail", __name__)


class ForgotPasswordForm(Form):
    """The address of the account."""

    email = EmailField(_l("Email address"), validators=[
        DataRequired(_l("Enter your email address.")), Length(max=320),
        Email(_l("Enter an email address in the right format, like name@example.org."),
              check_deliverability=False)])


@bp.route("/forgot-password", methods=["GET", "POST"])
def forgot_password():
    """Ask for a password reset link. The answer is the same whether or not the address has
    an account, and whether or not a limit held the e-mail back, so the page tells nobody
    which addresses exist."""
    form = ForgotPasswordForm(request.form)
    if request.method == "POST" and form.validate():
        address = form.email.data.strip()
        try:
            reserve(password_reset_limits(address))
        except TooManyRequests:
            pass  # the same answer; the limit keeps one mailbox from being flooded
        else:
            request_password_reset(address)
        return render_template("auth/reset_sent.html", address=address,
                               hours=current_app.config["LMS_PASSWORD_LINK_HOURS"])
    status = 422 if request.method == "POST" else 200
    return render_template("auth/forgot_password.html", form=form,
                           errors=field_errors(form)), status


def unsubscriber(token: str) -> User:
    """The person an unsubscribe link names; 404 for a link that is not one of ours."""
    try:
        user_id = unsubscribe_serializer().loads(token)
    except BadSignature:
        abort(404)
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None:
        abort(404)
    return user


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe(token: str):
    """Turn reminders off from the link in a reminder: the page asks first; a mail
    program's one-click POST (RFC 8058) does it at once."""
    user = unsubscriber(token)
    if request.method == "POST":
        if user.email_reminders:
            user.email_reminders = False
            record("user.preferences", user, actor=user, fields=["email_reminders"])
        return render_template("auth/unsubscribed.html")
    return render_template("auth/unsubscribe.html", already=not user.email_reminders)


#: Names of the files the outbox writes (lms.messaging.compose): nothing else is served.
EML_NAME = re.compile(r"^\d{8}-\d{6}-\d{7}-[a-z_]+\.eml$")


def development_only() -> None:
    """The outbox pages exist only in development (LMS_ENV=development)."""
    if current_app.config["LMS_ENV"] != "development":
        abort(404)


@bp.get("/dev/outbox")
@page("admin")
def outbox():
    """The messages written to instance/outbox/, newest first (development only)."""
    development_only()
    folder = outbox_dir()
    files = sorted((p for p in folder.glob("*.eml") if EML_NAME.match(p.name)),
                   key=lambda p: p.name, reverse=True)[:200] if folder.is_dir() else []
    return render_template("dev/outbox.html", messages=[read_eml(p) for p in files],
                           folder=folder)


@bp.get("/dev/outbox/<name>")
@page("admin")
def outbox_message(name: str):
    """One written-out message: its headers and plain-text part, and the file itself with
    ?download (development only)."""
    development_only()
    path = outbox_dir() / name
    if not EML_NAME.match(name) or not path.is_file():
        abort(404)
    if "download" in request.args:
        return send_file(path, mimetype="message/rfc822", as_attachment=True)
    return render_template("dev/outbox_message.html", message=read_eml(path))


#: The HTML part is shown as the mail program would: its own inline styles, nothing else
#: (no scripts, no requests anywhere).
MAIL_HTML_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


@bp.get("/dev/outbox/<name>/html")
@page("admin")
def outbox_html(name: str):
    """One written-out message's HTML part (development only)."""
    development_only()
    path = outbox_dir() / name
    if not EML_NAME.match(name) or not path.is_file():
        abort(404)
    parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    html = parsed.get_body(preferencelist=("html",))
    response = current_app.response_class(html.get_content() if html else "",
                                          mimetype="text/html")
    response.headers["Content-Security-Policy"] = MAIL_HTML_POLICY
    return response


def read_eml(path: Path) -> dict:
    """A written-out message's headers and plain-text part."""
    parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    text = parsed.get_body(preferencelist=("plain",))
    return {"name": path.name, "headers": list(parsed.items()),
            "subject": parsed["Subject"], "to": parsed["To"], "date": parsed["Date"],
            "text": text.get_content() if text else ""}
