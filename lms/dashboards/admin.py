"""Administrators' pages: cohorts, roster imports with the row-by-row report, users and
their one-time password links, and the audit log."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from lms import access
from lms.accounts import service as accounts
from lms.audit.service import events_query
from lms.cohorts import roster as rosters
from lms.cohorts import service as cohorts_service
from lms.cohorts.models import ORGANISATION_TYPES, SECTORS
from lms.core.errors import Conflict, Invalid
from lms.core.schemas import MAX_ID, page_of
from lms.dashboards import tutor
from lms.dashboards.forms import ROLE_LABELS, CohortForm, RosterForm, UserForm
from lms.messaging.models import KINDS, STATUSES
from lms.messaging.service import messages_query
from lms.web.forms import attach_refusal, field_errors, is_whole_number
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
        raise Invalid(gettext("The page number must be a whole number from 1; got %(got)s.",
                              got=repr(raw[:20])))
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
            attach_refusal(form, exc, "name")
        else:
            flash(gettext("The cohort “%(cohort)s” is added. Set its self-assessment windows "
                          "next, then its modules, its tutors and sponsors, and its roster.",
                          cohort=cohort.name))
            return redirect(url_for("setup.settings", cohort_id=cohort.id))
    status = 422 if form.errors else 200
    return render_template("admin/new_cohort.html", form=form,
                           error_list=field_errors(form)), status


@bp.route("/cohorts/<id:cohort_id>/roster", methods=["GET", "POST"])
@page("admin")
def roster(cohort_id: int):
    """Import people into a cohort from CSV in two steps: the file is checked and the page
    says what importing it would do (nothing is written); confirming imports it, all rows or
    none, every bad row reported."""
    cohort = access.cohort_for(current_user, cohort_id, "manage")
    form = RosterForm()
    shown: dict[str, Any] = {"result": None, "rows_report": None, "plan": None,
                             "checked": None}
    status = 200
    if request.method == "POST":
        try:
            data = confirmed_file() if "checked" in request.form else uploaded_file()
            if "checked" in request.form:
                shown["result"] = rosters.import_roster(cohort, data)
            else:
                shown["plan"] = rosters.preview_roster(cohort, data)
                shown["checked"] = base64.b64encode(data).decode("ascii")
        except Invalid as exc:
            shown["rows_report"] = (exc.errors or {}).get("rows")
            form.file.errors = [exc.message if not shown["rows_report"] else
                                ngettext("The roster was not imported: %(num)d row has "
                                         "problems. Nothing was changed.",
                                         "The roster was not imported: %(num)d rows have "
                                         "problems. Nothing was changed.",
                                         len(shown["rows_report"]))]
            status = 422
    return render_template("admin/roster.html", cohort=cohort, form=form, **shown,
                           planned=PLANNED, roster_header=rosters.HEADER,
                           allowed=roster_values(), error_list=field_errors(form)), status


def uploaded_file() -> bytes:
    """The CSV file of the upload form; Invalid naming the file when there is none or it is
    too large."""
    upload = request.files.get("file")
    data = upload.read(MAX_UPLOAD_BYTES + 1) if upload else b""
    if not data:
        raise rosters.file_error(gettext("Choose a CSV file to upload."))
    if len(data) > MAX_UPLOAD_BYTES:
        raise rosters.file_error(gettext("The file is larger than 5 MB."))
    return data


#: The refusal of a confirmation whose file was damaged on its way back.
NOT_INTACT = _l("The checked file did not come back intact; upload it again.")


def confirmed_file() -> bytes:
    """The file the preview checked, carried back by the confirmation form."""
    try:
        data = base64.b64decode(request.form.get("checked", ""), validate=True)
    except binascii.Error:
        raise rosters.file_error(NOT_INTACT) from None
    if not data or len(data) > MAX_UPLOAD_BYTES:
        raise rosters.file_error(NOT_INTACT)
    return data


#: What importing a row would do, as the preview says it.
PLANNED = {"create": _l("New person: added, invited by email and enrolled"),
           "enrol": _l("Known person: enrolled in this cohort"),
           "update": _l("Already enrolled: organisation or leadership level updated"),
           "sponsor": _l("Added as a sponsor of this cohort"),
           "unchanged": _l("No change")}


def roster_values() -> list[tuple[str, str, list[str]]]:
    """Each column of the roster with what it means and the values it accepts."""
    levels = [level.code for level in cohorts_service.leadership_levels()]
    return [
        ("email", gettext("The person's work email address: how they sign in."), []),
        ("name", gettext("Their full name, as it should appear to tutors."), []),
        ("organisation", gettext("Their employer (participants only); a new name adds it."),
         []),
        ("organisation_type", gettext("The kind of employer, for a new organisation."),
         list(ORGANISATION_TYPES)),
        ("sector", gettext("Whether the organisation commissions care, provides it, or both: "
                           "it decides which organisation-specific behaviours they rate."),
         list(SECTORS)),
        ("leadership_level", gettext("Their level (participants only)."), levels),
        ("role", gettext("What they are in this cohort."), list(rosters.ROW_ROLES)),
    ]


@bp.get("/roster-template.csv")
@page("admin")
def roster_template() -> Response:
    """A roster file with the header and nothing else, to fill in a spreadsheet."""
    return Response(",".join(rosters.HEADER) + "\r\n", mimetype="text/csv", headers={
        "Content-Disposition": 'attachment; filename="roster-template.csv"'})


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
            flash(gettext("%(name)s (%(email)s) is added as: %(role)s. An invitation to set "
                          "their password is on its way to them.", name=user.display_name,
                          email=user.email, role=ROLE_LABELS[user.role].split(":")[0]))
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
    flash(gettext("%(name)s is enabled.", name=user.display_name) if user.active
          else gettext("%(name)s is disabled.", name=user.display_name))
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
