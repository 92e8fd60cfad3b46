"""Administrators' pages: cohorts, roster imports with the row-by-row report, users and
their one-time password links, and the audit log."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from lms import access
from lms.accounts import service as accounts
from lms.audit.service import events_query
from lms.cohorts import roster as rosters
from lms.cohorts import service as cohorts_service
from lms.core.errors import Conflict, Invalid
from lms.core.schemas import MAX_ID, page_of
from lms.dashboards import tutor
from lms.dashboards.forms import CohortForm, RosterForm, UserForm
from lms.messaging.models import KINDS, STATUSES
from lms.messaging.service import messages_query
from lms.web.forms import field_errors, is_whole_number
from lms.web.guards import page
from lms.web.uploads import MAX_UPLOAD_BYTES

bp = Blueprint("admin", __name__, url_prefix="/admin")

PER_PAGE = 50


def home() -> str:
    """An administrator's home: every cohort, with the links to manage them."""
    return tutor.home()


def page_number() -> int:
    """``?page=`` as a page number; a clear 422 for anything else."""
    raw = request.args.get("page", "1")
    if not is_whole_number(raw) or not 1 <= int(raw) <= MAX_ID:
        raise Invalid(f"The page number must be a whole number from 1; got {raw[:20]!r}.")
    return int(raw)


# --- cohorts -------------------------------------------------------------------------------

@bp.route("/cohorts/new", methods=["GET", "POST"])
@page("admin")
def new_cohort():
    """Add a cohort to the programme."""
    form = CohortForm(request.form)
    if request.method == "POST" and form.validate():
        try:
            cohort = cohorts_service.create_cohort(form.name.data, form.starts_on.data,
                                                   form.ends_on.data)
        except (Invalid, Conflict) as exc:
            form.name.errors = [exc.message]
        else:
            flash(f"The cohort “{cohort.name}” is added. Import its roster next.")
            return redirect(url_for(".roster", cohort_id=cohort.id))
    status = 422 if form.errors else 200
    return render_template("admin/new_cohort.html", form=form,
                           error_list=field_errors(form)), status


@bp.route("/cohorts/<id:cohort_id>/roster", methods=["GET", "POST"])
@page("admin")
def roster(cohort_id: int):
    """Import people into a cohort from CSV: all rows or none, every bad row reported."""
    cohort = access.cohort_for(current_user, cohort_id, "manage")
    form = RosterForm()
    result = rows_report = None
    status = 200
    if request.method == "POST":
        upload = request.files.get("file")
        data = upload.read(MAX_UPLOAD_BYTES + 1) if upload else b""
        try:
            if not data:
                raise rosters.file_error("Choose a CSV file to upload.")
            if len(data) > MAX_UPLOAD_BYTES:
                raise rosters.file_error("The file is larger than 5 MB.")
            result = rosters.import_roster(cohort, data)
        except Invalid as exc:
            rows_report = (exc.errors or {}).get("rows")
            form.file.errors = [exc.message if not rows_report else
                                f"The roster was not imported: {len(rows_report)} row"
                                f"{'s have' if len(rows_report) != 1 else ' has'} problems. "
                                "Nothing was changed."]
            status = 422
    return render_template("admin/roster.html", cohort=cohort, form=form, result=result,
                           rows_report=rows_report, roster_header=rosters.HEADER,
                           error_list=field_errors(form)), status


# --- users ---------------------------------------------------------------------------------

@bp.get("/users")
@page("admin")
def users():
    """Every user, a page at a time, searchable by name or e-mail address."""
    needle = request.args.get("q", "").strip()[:320]
    listing = page_of(accounts.users_query(needle), page_number(), PER_PAGE)
    return render_template("admin/users.html", listing=listing, q=needle, form=UserForm())


@bp.post("/users")
@page("admin")
def create_user():
    """Add a user, who is e-mailed an invitation to set their password."""
    form = UserForm(request.form)
    if form.validate():
        try:
            user = accounts.create_user(form.email.data, form.display_name.data, form.role.data)
        except (Invalid, Conflict) as exc:
            form.email.errors = [exc.message]
        else:
            flash(f"{user.display_name} ({user.email}) is added as a {user.role}. An "
                  "invitation to set their password is on its way to them.")
            return redirect(url_for(".users", q=user.email))
    listing = page_of(accounts.users_query(), 1, PER_PAGE)
    return render_template("admin/users.html", listing=listing, q="", form=form,
                           error_list=field_errors(form)), 422


@bp.post("/users/<id:user_id>/password-link")
@page("admin")
def password_link(user_id: int):
    """A new one-time password link for a user, shown once."""
    user = accounts.get_user(user_id)
    return render_template("admin/link.html", user=user, link=accounts.issue_password_link(user))


@bp.post("/users/<id:user_id>/active")
@page("admin")
def set_active(user_id: int):
    """Disable a user (ending their sessions) or enable them again."""
    user = accounts.get_user(user_id)
    accounts.update_user(user, active=request.form.get("active") == "yes",
                         actor=current_user._get_current_object())
    flash(f"{user.display_name} is {'enabled' if user.active else 'disabled'}.")
    return redirect(url_for(".users"))


# --- the audit log -------------------------------------------------------------------------

@bp.get("/audit")
@page("admin")
def audit():
    """Audited events, newest first, a page at a time, of one action and one person's
    address when asked (the API's filters)."""
    action = request.args.get("action", "").strip()[:64]
    actor = request.args.get("actor", "").strip()[:320]
    listing = page_of(events_query(action, actor), page_number(), PER_PAGE)
    return render_template("admin/audit.html", listing=listing, action=action, actor=actor)


# --- messages ------------------------------------------------------------------------------

@bp.get("/messages")
@page("admin")
def messages():
    """Every e-mail, newest first: to whom, what kind, its state and when (never what it
    says), of one kind and state when asked (the API's filters)."""
    kind = request.args.get("kind", "").strip()
    status = request.args.get("status", "").strip()
    listing = page_of(messages_query(kind if kind in KINDS else None,
                                     status if status in STATUSES else None),
                      page_number(), PER_PAGE)
    return render_template("admin/messages.html", listing=listing, kind=kind, status=status,
                           kinds=KINDS, statuses=STATUSES)
