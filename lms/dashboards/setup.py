"""Administrators set a cohort up from the pages: its name, status, dates and self-assessment
windows; the modules it follows with their opening and due dates; its tutors and sponsors.
Each page calls the services the API calls, so a rule refused there is refused here with the
same reason, shown on the field it names."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from lms import access
from lms.accounts import service as accounts
from lms.accounts.models import User
from lms.cohorts import service as cohorts_service
from lms.cohorts.models import Cohort, Enrolment
from lms.core.errors import Conflict, Invalid, NotFound
from lms.core.extensions import db
from lms.core.i18n import in_reader_language, long_date
from lms.curriculum import service as curriculum
from lms.curriculum.models import CohortModule
from lms.dashboards.forms import CohortSettingsForm, ModuleDatesForm, StaffForm
from lms.web.forms import attach_refusal, field_errors
from lms.web.guards import page

bp = Blueprint("setup", __name__, url_prefix="/admin/cohorts")

SETTINGS_FIELDS = ("name", "status", "starts_on", "ends_on", "pre_opens_on", "pre_closes_on",
                   "post_opens_on", "post_closes_on")


def managed(cohort_id: int) -> Cohort:
    """The cohort, if the signed-in administrator may manage it (a 404 page otherwise)."""
    return access.cohort_for(current_user, cohort_id, "manage")


# --- name, status, dates and windows -------------------------------------------------------

@bp.route("/<id:cohort_id>/settings", methods=["GET", "POST"])
@page("admin")
def settings(cohort_id: int):
    """A cohort's name, status, dates and its pre and post self-assessment windows."""
    cohort = managed(cohort_id)
    form = (CohortSettingsForm(request.form) if request.method == "POST"
            else CohortSettingsForm(obj=cohort))
    if request.method == "POST" and form.validate():
        changes = {name: form[name].data for name in SETTINGS_FIELDS}
        try:
            cohorts_service.update_cohort(cohort, changes)
        except (Invalid, Conflict) as exc:
            attach_refusal(form, exc, "name")
        else:
            flash(gettext("The dates and windows of %(cohort)s are saved.", cohort=cohort.name))
            return redirect(url_for(".settings", cohort_id=cohort.id))
    return render_template("admin/cohort_settings.html", cohort=cohort, form=form,
                           error_list=field_errors(form)), 422 if form.errors else 200


# --- modules -------------------------------------------------------------------------------

def module_forms(cohort: Cohort, formdata=None) -> list[tuple[Any, ModuleDatesForm]]:
    """Every current module with its form: followed or not, and its dates for this cohort."""
    chosen = {item.module.slug: item for item in curriculum.cohort_curriculum(cohort)}
    has_own = db.session.scalar(sa.select(sa.exists().where(
        CohortModule.cohort_id == cohort.id)))
    forms = []
    for module in curriculum.current_modules():
        item = chosen.get(module.slug)
        data = {"follows": item is not None or not has_own,
                "opens_on": item.opens_on if item else None,
                "due_on": item.due_on if item else None}
        forms.append((module, ModuleDatesForm(formdata, prefix=module.slug, data=data)))
    return forms


@bp.route("/<id:cohort_id>/modules", methods=["GET", "POST"])
@page("admin")
def modules(cohort_id: int):
    """Which modules a cohort follows, in the programme's order, each with an opening and a
    due date (both optional)."""
    cohort = managed(cohort_id)
    forms = module_forms(cohort, request.form if request.method == "POST" else None)
    # Every module's form is checked (a list, not all()'s first failure), so that every
    # wrong date is shown at once.
    if request.method == "POST" and all([form.validate() for _module, form in forms]):
        items = [{"slug": module.slug, "opens_on": form.opens_on.data,
                  "due_on": form.due_on.data}
                 for module, form in forms if form.follows.data]
        titles = {module.slug: in_reader_language(module.title) for module, _form in forms}
        problems = curriculum.module_date_problems(cohort, items, titles.get, long_date)
        if not items:
            forms[0][1].follows.errors = [gettext("Choose at least one module.")]
        elif problems:
            for module, form in forms:
                form.due_on.errors = problems.get(module.slug, [])
        else:
            try:
                curriculum.set_cohort_curriculum(cohort, items)
            except Invalid as exc:  # a module retired meanwhile
                forms[0][1].follows.errors = [exc.message]
            else:
                flash(gettext("The modules of %(cohort)s are saved.", cohort=cohort.name))
                return redirect(url_for(".modules", cohort_id=cohort.id))
    for module, form in forms:  # "Opens must be a real date" says which module it is
        named = in_reader_language(module.title)
        for field in (form.opens_on, form.due_on):
            # The service's sentences name the module already (not always first, in Welsh).
            field.errors = [text if named in text else f"{named}: {text}"
                            for text in field.errors]
    errors = [item for _module, form in forms for item in field_errors(form)]
    return render_template("admin/cohort_modules.html", cohort=cohort, forms=forms,
                           error_list=errors), 422 if errors else 200


# --- tutors and sponsors -------------------------------------------------------------------

def people_context(cohort: Cohort) -> dict[str, Any]:
    """The cohort's tutors and sponsors, and who else could be added as either."""
    tutors = db.session.scalars(
        sa.select(User).join(Enrolment, Enrolment.user_id == User.id)
        .where(Enrolment.cohort_id == cohort.id, Enrolment.role == "tutor")
        .order_by(User.display_name)).all()
    sponsors = [s.user for s in cohorts_service.list_sponsors(cohort=cohort)]
    return {"cohort": cohort, "tutors": tutors, "sponsors": sponsors,
            "tutor_form": staff_form("tutor", tutors),
            "sponsor_form": staff_form("sponsor", sponsors)}


def staff_form(role: str, present: list[User], formdata=None) -> StaffForm:
    """A choice of the active users with ``role`` not yet on the cohort."""
    form = StaffForm(formdata, prefix=role)
    form.user_id.label.text = f"{role.capitalize()} to add"
    taken = {user.id for user in present}
    people = db.session.scalars(accounts.users_query(role=role)).all()
    form.user_id.choices = [SelectChoice("", f"Choose a {role}"), *(
        SelectChoice(str(user.id), f"{user.display_name} ({user.email})")
        for user in people if user.id not in taken and user.active)]
    return form


@bp.get("/<id:cohort_id>/people")
@page("admin")
def people(cohort_id: int):
    """A cohort's tutors and sponsors, with forms to add and remove them."""
    return render_template("admin/cohort_people.html", **people_context(managed(cohort_id)))


@bp.post("/<id:cohort_id>/<any(tutor, sponsor):role>s")
@page("admin")
def add_person(cohort_id: int, role: str):
    """Add a tutor (enrolled as one) or a sponsor (of this cohort only)."""
    cohort = managed(cohort_id)
    context = people_context(cohort)
    form = staff_form(role, context[f"{role}s"], request.form)
    if form.validate():
        user = db.session.get(User, int(form.user_id.data))
        try:
            if role == "tutor":
                cohorts_service.enrol(cohort, user, "tutor")
            else:
                cohorts_service.add_sponsor(user, cohort=cohort)
        except (Invalid, Conflict) as exc:
            form.user_id.errors = [exc.message]
        else:
            flash(gettext("%(name)s is now a tutor of %(cohort)s.", name=user.display_name,
                          cohort=cohort.name) if role == "tutor" else
                  gettext("%(name)s is now a sponsor of %(cohort)s.", name=user.display_name,
                          cohort=cohort.name))
            return redirect(url_for(".people", cohort_id=cohort.id))
    context[f"{role}_form"] = form
    return render_template("admin/cohort_people.html", error_list=field_errors(form),
                           **context), 422


@bp.post("/<id:cohort_id>/<any(tutor, sponsor):role>s/<id:user_id>/remove")
@page("admin")
def remove_person(cohort_id: int, role: str, user_id: int):
    """Take a tutor off the cohort, or end a sponsor's sponsorship of it."""
    cohort = managed(cohort_id)
    user = db.session.get(User, user_id)
    try:
        if role == "tutor":
            cohorts_service.remove_tutor(cohort, user_id)
        else:
            cohorts_service.remove_sponsor(user_id, cohort=cohort)
    except NotFound:
        flash(gettext("That person is not a tutor of %(cohort)s.", cohort=cohort.name)
              if role == "tutor" else
              gettext("That person is not a sponsor of %(cohort)s.", cohort=cohort.name))
    else:
        flash(gettext("%(name)s is no longer a tutor of %(cohort)s.", name=user.display_name,
                      cohort=cohort.name) if role == "tutor" else
              gettext("%(name)s is no longer a sponsor of %(cohort)s.", name=user.display_name,
                      cohort=cohort.name))
    return redirect(url_for(".people", cohort_id=cohort.id))

