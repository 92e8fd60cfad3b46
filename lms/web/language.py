"""The "Cymraeg / English" switch: the same page in the other language, from now on."""

from __future__ import annotations

from flask import Blueprint, redirect, request, session
from flask_login import current_user

from lms.core.extensions import db
from lms.web.pages import safe_next

bp = Blueprint("language", __name__)


@bp.get("/language/<any(en, cy):code>")
def switch(code: str):
    """Speak ``code`` from now on, and go back to the page the person was on."""
    session["language"] = code
    if current_user.is_authenticated and current_user.language != code:
        current_user.language = code  # also the language of their e-mails
        db.session.commit()
    return redirect(safe_next(request.args.get("next")))
