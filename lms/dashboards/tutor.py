"""Tutors' pages (administrators see them too): cohorts, a cohort's progress and
self-assessments, one participant's work and ratings, reopening, CSV exports."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from lms import access
from lms.cohorts import service as cohorts_service
from lms.cohorts.service import cohort_head_counts
from lms.core.errors import Conflict, Invalid, NotFound
from lms.core.extensions import db
from lms.core.i18n import in_reader_language
from lms.curriculum import feedback
from lms.curriculum import progress as progress_service
from lms.curriculum.feedback import feedback_on
from lms.dashboards.forms import COHORT_STATUSES, CohortMessageForm, FeedbackForm, ReopenForm
from lms.dashboards.participant import PHASE_NAMES
from lms.messaging import cohort_messages
from lms.outcomes import individual
from lms.outcomes.csv_export import table_csv
from lms.ratings import service as ratings
from lms.ratings.models import PHASES
from lms.web.forms import field_errors, select_items
from lms.web.guards import page

bp = Blueprint("tutor", __name__)

#: The words of the CSV downloads, in the reader's language (the English are the columns'
#: names as they have always been, so spreadsheets built on them keep working).
STATUS_WORDS = {"complete": _l("complete"), "in_progress": _l("in progress"),
                "not_started": _l("not started"), "submitted": _l("submitted"),
                "draft": _l("started, not submitted")}
PROGRESS_COLUMNS = (_l("name"), _l("email"), _l("percent_done"), _l("last_activity"),
                    _l("at_risk"), _l("why"))


def home() -> str:
    """A tutor's (or administrator's) cohorts with their head counts."""
    cohorts = db.session.scalars(access.visible_cohorts(current_user)).all()
    return render_template("tutor/home.html", cohorts=cohorts,
                           cohort_statuses=dict(COHORT_STATUSES),
                           counts=cohort_head_counts([c.id for c in cohorts]))


@bp.get("/cohorts")
@page("tutor", "admin")
def cohorts():
    """The same list as a tutor's home, at its own address."""
    return home()


#: Orders of the cohort table: (label, key); every key sorts ties by name.
SORTS = {
    "name": _l("Name"),
    "risk": _l("At risk first"),
    "progress": _l("Least progress first"),
    "last_activity": _l("Longest without activity first"),
}
NEVER = dt.datetime.min.replace(tzinfo=dt.UTC)
#: Who a cohort message can go to, as the form offers it.
AUDIENCES = {"all": _l("Everyone in the cohort"), "at_risk": _l("Participants at risk"),
             "not_submitted:pre": _l("Those who have not submitted pre"),
             "not_submitted:then": _l("Those who have not submitted then"),
             "not_submitted:post": _l("Those who have not submitted post")}


def sorted_people(people: list, needle: str, order: str) -> list:
    """The participants whose name or address contains ``needle``, in the chosen order."""
    folded = needle.casefold()
    chosen = [p for p in people if not folded or folded in p.display_name.casefold()
              or folded in (p.email or "").casefold()]
    keys = {
        "name": lambda p: (p.display_name.casefold(),),
        "risk": lambda p: (not p.at_risk, p.display_name.casefold()),
        "progress": lambda p: (p.percentage, p.display_name.casefold()),
        "last_activity": lambda p: (p.last_activity_at or NEVER, p.display_name.casefold()),
    }
    return sorted(chosen, key=keys[order])


def completion(assessments: dict[str, Any]) -> dict[str, dict[str, int]]:
    """How many participants have submitted, started or not started each phase."""
    counts = {phase: {"submitted": 0, "draft": 0, "not_started": 0} for phase in PHASES}
    for person in assessments["participants"]:
        for phase, state in person["phases"].items():
            counts[phase][state["status"]] += 1
    return counts


@bp.get("/cohorts/<id:cohort_id>")
@page("tutor", "admin")
def cohort(cohort_id: int, message_form: CohortMessageForm | None = None, status: int = 200):
    """A cohort: participants × modules, self-assessment completion, who is at risk, and a
    form to write to them."""
    found = access.cohort_for(current_user, cohort_id, "individuals")
    progress = progress_service.cohort_progress(found)
    assessments = ratings.cohort_assessments(found)
    phases_by_user = {p["user_id"]: p["phases"] for p in assessments["participants"]}
    needle = request.args.get("q", "").strip()[:200]
    order = request.args.get("sort", "name")
    order = order if order in SORTS else "name"
    return render_template("tutor/cohort.html", cohort=found, progress=progress,
                           shown=sorted_people(progress["participants"], needle, order),
                           q=needle, sort_items=select_items(SORTS, order),
                           assessments=assessments, phases_by_user=phases_by_user,
                           completion=completion(assessments), phase_names=PHASE_NAMES,
                           at_risk=[p for p in progress["participants"] if p.at_risk],
                           message_form=message_form or message_form_for(found),
                           error_list=field_errors(message_form) if message_form else None), \
        status


def message_form_for(cohort, data=None) -> CohortMessageForm:
    """The cohort-message form, each audience shown with how many it reaches now."""
    form = CohortMessageForm(data)
    counts = cohort_messages.audience_counts(cohort)
    form.to.choices = [SelectChoice(audience, gettext("%(audience)s (%(count)d)",
                                                      audience=AUDIENCES[audience],
                                                      count=counts[audience]))
                       for audience in counts]
    return form


@bp.post("/cohorts/<id:cohort_id>/messages")
@page("tutor", "admin")
def send_message(cohort_id: int):
    """Write to the cohort (as POST /api/v1/cohorts/<id>/messages does)."""
    found = access.cohort_for(current_user, cohort_id, "individuals")
    form = message_form_for(found, request.form)
    if form.validate():
        try:
            written = cohort_messages.send_to_cohort(
                found, current_user._get_current_object(), form.subject.data,
                form.body.data, form.to.data)
        except Invalid as exc:
            for name, problems in (exc.errors or {}).items():
                getattr(form, name, form.to).errors = list(problems)
        else:
            flash(ngettext("Your message “%(subject)s” is on its way to %(num)d person.",
                           "Your message “%(subject)s” is on its way to %(num)d people.",
                           written.recipients, subject=written.subject))
            return redirect(url_for(".cohort", cohort_id=cohort_id))
    return cohort(cohort_id, message_form=form, status=422)


def csv_download(text: str, name: str) -> Response:
    """A CSV file to save."""
    return Response(text, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})


@bp.get("/cohorts/<id:cohort_id>/progress.csv")
@page("tutor", "admin")
def progress_csv(cohort_id: int):
    """The participants × modules table as CSV."""
    found = access.cohort_for(current_user, cohort_id, "individuals")
    progress = progress_service.cohort_progress(found)
    slugs = [item.module.slug for item in progress["curriculum"]]
    rows = [[p.display_name, p.email, p.percentage,
             p.last_activity_at.isoformat() if p.last_activity_at else "",
             gettext("yes") if p.at_risk else gettext("no"), risk_words(p),
             *[str(STATUS_WORDS[m.status]) for m in p.modules]]
            for p in progress["participants"]]
    header = [*map(str, PROGRESS_COLUMNS), *slugs]
    return csv_download(table_csv(header, rows), f"cohort-{cohort_id}-progress")


def risk_words(person) -> str:
    """Why a participant is at risk, as the cohort page says it, in the reader's language."""
    reasons = []
    if person.quiet_days:
        reasons.append(gettext("no activity for %(days)d days", days=person.quiet_days))
    if person.behind:
        modules = ", ".join(in_reader_language(title) for title in person.behind)
        reasons.append(gettext("behind schedule: not complete: %(modules)s", modules=modules))
    return "; ".join(reasons)


@bp.get("/cohorts/<id:cohort_id>/assessments.csv")
@page("tutor", "admin")
def assessments_csv(cohort_id: int):
    """Self-assessment completion per participant and phase, as CSV."""
    found = access.cohort_for(current_user, cohort_id, "individuals")
    assessments = ratings.cohort_assessments(found)
    verdicts = individual.cohort_reliable_change(found)
    scales = [v["code"] for v in next(iter(verdicts.values()), [])]
    rows = []
    for person in assessments["participants"]:
        row: list[Any] = [person["display_name"]]
        for phase in PHASES:
            state = person["phases"][phase]
            row += [str(STATUS_WORDS[state["status"]]), state["answered"], state["required"]]
        for verdict in verdicts.get(person["user_id"], [{}] * len(scales)):
            row += [rounded(verdict.get("change")), rounded(verdict.get("rci")),
                    verdict.get("words", str(individual.WORDS[None]))]
        rows.append(row)
    header = [gettext("name")]
    header += [column for phase in PHASES for column in (
        gettext("%(phase)s_status", phase=phase), gettext("%(phase)s_answered", phase=phase),
        gettext("%(phase)s_required", phase=phase))]
    header += [column for code in scales for column in (
        gettext("%(code)s_change", code=code), gettext("%(code)s_rci", code=code),
        gettext("%(code)s_reliable_change", code=code))]
    return csv_download(table_csv(header, rows), f"cohort-{cohort_id}-self-assessments")


def rounded(value: float | None) -> float | str:
    """A figure to three places for a spreadsheet, or an empty cell."""
    return "" if value is None else round(value, 3)


def participant_context(cohort_id: int, user_id: int) -> dict[str, Any]:
    """One participant's work and answers, for their cohort's tutors."""
    found = access.cohort_for(current_user, cohort_id, "individuals")
    work = progress_service.participant_work(found, user_id)
    answers = {phase: ratings.participant_assessment(found, user_id, phase)
               for phase in PHASES}
    behaviours = ratings.behaviours_for_sector(
        ratings.sector_of(cohorts_service.participant_in(found, user_id)))
    record_ids = [entry["record"].id for module in work["modules"]
                  for entry in module["activities"] if entry["record"] is not None]
    return {"cohort": found, "work": work, "answers": answers, "behaviours": behaviours,
            "phase_names": PHASE_NAMES, "feedback": feedback_on(record_ids),
            "feedback_form": FeedbackForm(),
            "reliable_change": individual.participant_reliable_change(found, user_id)}


@bp.get("/cohorts/<id:cohort_id>/participants/<id:user_id>")
@page("tutor", "admin")
def participant(cohort_id: int, user_id: int):
    """A participant's page: progress, reflections and evidence, ratings, reopening."""
    return render_template("tutor/participant.html", form=ReopenForm(),
                           **participant_context(cohort_id, user_id))


@bp.post("/cohorts/<id:cohort_id>/participants/<id:user_id>/activities/<id:activity_id>"
         "/feedback")
@page("tutor", "admin")
def give_feedback(cohort_id: int, user_id: int, activity_id: int):
    """Comment on a participant's reflection or evidence; they read it on the module page."""
    context = participant_context(cohort_id, user_id)
    form = FeedbackForm(request.form)
    if form.validate():
        try:
            feedback.give_feedback(context["cohort"], current_user._get_current_object(),
                                   user_id, activity_id, form.body.data)
        except Invalid as exc:
            form.body.errors = [exc.message]
        else:
            flash(gettext("Your feedback is saved; %(name)s reads it beside their note.",
                          name=context["work"]["display_name"]))
            return redirect(url_for(".participant", cohort_id=cohort_id, user_id=user_id,
                                    _anchor=f"activity-{activity_id}"))
    form.body.id = f"feedback-{activity_id}"
    context.update(feedback_form=form, feedback_for=activity_id)
    return render_template("tutor/participant.html", form=ReopenForm(),
                           error_list=field_errors(form), **context), 422


@bp.post("/cohorts/<id:cohort_id>/participants/<id:user_id>/reopen")
@page("tutor", "admin")
def reopen(cohort_id: int, user_id: int):
    """Reopen a submitted self-assessment, with the reason (audited)."""
    context = participant_context(cohort_id, user_id)
    form = ReopenForm(request.form)
    if form.validate():
        try:
            ratings.reopen(context["cohort"], user_id, form.phase.data, form.reason.data.strip(),
                           form.closes_on.data)
        except Invalid as exc:
            form.closes_on.errors = [exc.message]
        except (Conflict, NotFound) as exc:
            form.phase.errors = [exc.message]
        else:
            flash(gettext("%(name)s's self-assessment (%(phase)s) is reopened.",
                          name=context["work"]["display_name"],
                          phase=PHASE_NAMES[form.phase.data]))
            return redirect(url_for(".participant", cohort_id=cohort_id, user_id=user_id))
    return render_template("tutor/participant.html", form=form, error_list=field_errors(form),
                           **context), 422
