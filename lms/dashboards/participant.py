"""Participants' pages: home, modules and activities, the self-assessment, my progress."""

from __future__ import annotations

import datetime as dt
from itertools import groupby
from typing import Any

from babel.lists import format_list
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date, get_locale, gettext, ngettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from lms.core.errors import Conflict, Invalid, NotFound
from lms.core.extensions import person_writes
from lms.core.i18n import untranslated
from lms.curriculum import progress as progress_service
from lms.curriculum import service as curriculum
from lms.curriculum.feedback import feedback_on
from lms.dashboards.forms import ActivityForm
from lms.outcomes import chart_data, summary
from lms.outcomes import service as outcomes
from lms.outcomes.charts import DESCRIBE
from lms.ratings import service as ratings
from lms.ratings.models import PHASES
from lms.web.forms import field_errors, is_whole_number
from lms.web.guards import page

bp = Blueprint("participant", __name__)

PHASE_NAMES = {"pre": _l("Before the programme (pre)"),
               "then": _l("Looking back: before the programme, as you see it now (then)"),
               "post": _l("After the programme (post)")}
#: Which field of an activity record its note is, by the activity's kind.
NOTE_FIELDS = {"reflect": "reflection", "practise": "evidence"}
NOTE_LABELS = {"reflection": _l("Your reflection"), "evidence": _l("Your evidence note")}


#: A phase as a sentence names it ("Your pre self-assessment closes …").
PHASE_SHORT = {"pre": _l("pre"), "then": _l("looking-back (then)"), "post": _l("post")}


def home() -> str:
    """A participant's home: the next thing due first, then their modules and their
    self-assessment tasks."""
    today = dt.date.today()
    progress = progress_service.my_progress(current_user, today)
    try:
        tasks = ratings.my_assessments(current_user, today=today)
    except NotFound:
        tasks = None
    return render_template("participant/home.html", progress=progress, tasks=tasks,
                           phase_names=PHASE_NAMES, due=assessment_due(tasks, today),
                           when=lambda day: days_in_words(day, today))


def days_in_words(day: dt.date, today: dt.date) -> str:
    """When ``day`` is, as the end of a sentence: "today", "tomorrow", "in 5 days", or "on"
    the date itself (a whole phrase in each language)."""
    days = (day - today).days
    if days == 0:
        return gettext("today")
    if days == 1:
        return gettext("tomorrow")
    if 1 < days <= 21:
        return ngettext("in %(num)d day", "in %(num)d days", days)
    return gettext("on %(date)s", date=format_date(day, "d MMMM y"))


def assessment_due(tasks: dict[str, Any] | None, today: dt.date) -> dict[str, Any] | None:
    """The self-assessment to act on now: the open one that closes first and is not yet
    submitted (a reopened one with its tutor's reason), else the next to open."""
    if not tasks:
        return None
    phases = tasks["phases"]
    waiting = [p for p in phases if p["open"] and p["status"] != "submitted"]
    if waiting:
        phase = min(waiting, key=lambda p: p["closes_on"] or dt.date.max)
        return {"kind": "open", "phase": phase,
                "text": gettext("Your %(phase)s self-assessment closes %(when)s: "
                                "%(answered)d of %(required)d answered.",
                                phase=PHASE_SHORT[phase["phase"]],
                                when=days_in_words(phase["closes_on"], today),
                                answered=phase["answered"], required=phase["required"])}
    upcoming = [p for p in phases if p["opens_on"] and p["opens_on"] > today
                and p["status"] != "submitted"]
    if upcoming:
        phase = min(upcoming, key=lambda p: p["opens_on"])
        return {"kind": "upcoming", "phase": phase,
                "text": gettext("Your %(phase)s self-assessment opens %(when)s.",
                                phase=PHASE_SHORT[phase["phase"]],
                                when=days_in_words(phase["opens_on"], today))}
    return None


# --- modules -------------------------------------------------------------------------------

def module_context(slug: str) -> dict[str, Any]:
    """A module as this participant sees it: opening date, activities and their records."""
    cohort, item = curriculum.working_cohort(current_user, slug, dt.date.today())
    activities = curriculum.current_activities(item.module)
    records = progress_service.activity_records(current_user.id, [item.module.id], cohort.id)
    return {"module": item.module, "opens_on": item.available_on, "cohort": cohort,
            "due_on": item.due_on, "is_open": curriculum.is_open(item, dt.date.today()),
            "feedback": feedback_on([entry.id for entry in records.values()]),
            "activities": activities, "records": records,
            "note_fields": NOTE_FIELDS, "note_labels": NOTE_LABELS}


def form_for(activity, record) -> ActivityForm:
    """The form of one activity, filled from what is stored."""
    field = NOTE_FIELDS.get(activity.kind)
    return ActivityForm(prefix=activity.key, data={
        "done": bool(record and record.completed_at),
        "note": getattr(record, field) if record and field else None})


@bp.get("/modules/<slug>")
@page("participant")
def module(slug: str):
    """A module: its introduction and activities, each with its own form."""
    context = module_context(slug)
    forms = {a.key: form_for(a, context["records"].get(a.id)) for a in context["activities"]}
    return render_template("participant/module.html", forms=forms, **context)


def changes_of(activity, record, form: ActivityForm) -> dict[str, Any]:
    """What the posted form of one activity changes against what is stored (nothing when it
    says what is already saved)."""
    field = NOTE_FIELDS.get(activity.kind)
    changes: dict[str, Any] = {}
    if form.done.data != bool(record and record.completed_at):
        changes["done"] = form.done.data
    if field and (form.note.data or "").strip() != (getattr(record, field, None) or "").strip():
        changes[field] = form.note.data
    return changes


def posted_forms(activities) -> dict[str, ActivityForm]:
    """The forms of the activities the page posted (each marks itself with ``<key>-shown``)."""
    return {a.key: ActivityForm(request.form, prefix=a.key) for a in activities
            if request.form.get(f"{a.key}-shown") == "y"}


@bp.post("/modules/<slug>")
@page("participant")
@person_writes
def save_module(slug: str):
    """Save every activity of the module page whose note or tick changed, whichever Save
    button was pressed, so that nothing typed in another activity is lost; all or nothing."""
    context = module_context(slug)
    records = context["records"]
    posted = posted_forms(context["activities"])
    saved, failed = [], None
    for activity in context["activities"]:
        form = posted.get(activity.key)
        if form is None:
            continue
        if not form.validate():
            failed = failed or form
            continue
        changes = changes_of(activity, records.get(activity.id), form)
        if not changes:
            continue
        try:
            curriculum.record_activity(current_user, slug, activity.key, changes,
                                       cohort_id=context["cohort"].id)
        except Invalid as exc:
            form.note.errors = [exc.message]
            failed = failed or form
        except Conflict as exc:
            form.done.errors = [exc.message]
            failed = failed or form
        else:
            saved.append(activity.title)
    pressed = request.form.get("save", "")
    if failed is None:
        flash(saved_message(saved))
        anchor = pressed if pressed in {a.key for a in context["activities"]} else None
        return redirect(url_for(".module", slug=slug, _anchor=anchor))
    # Nothing is saved (the request rolls back); every activity shows what was typed.
    forms = {a.key: posted.get(a.key) or form_for(a, records.get(a.id))
             for a in context["activities"]}
    errors = [item for form in forms.values() for item in field_errors(form)]
    return render_template("participant/module.html", forms=forms, error_list=errors,
                           **context), 422


def saved_message(titles: list[str]) -> str:
    """What a save did, in a sentence: the activities it saved, or that nothing changed."""
    if not titles:
        return gettext("Nothing had changed since you last saved.")
    quoted = format_list([f"“{title}”" for title in titles], locale=str(get_locale()))
    return gettext("Saved %(activities)s.", activities=quoted)


@bp.post("/modules/<slug>/<key>")
@page("participant")
@person_writes
def save_activity(slug: str, key: str):
    """Save one activity's note and whether it is done; back to the module page."""
    context = module_context(slug)
    activity = next((a for a in context["activities"] if a.key == key), None)
    if activity is None:
        raise NotFound(gettext("Module %(module)s has no activity %(key)s.", module=repr(slug),
                               key=repr(key)))
    form = ActivityForm(request.form, prefix=key)
    field = NOTE_FIELDS.get(activity.kind)
    if form.validate():
        changes: dict[str, Any] = {"done": form.done.data}
        if field:
            changes[field] = form.note.data
        try:
            curriculum.record_activity(current_user, slug, key, changes,
                                       cohort_id=context["cohort"].id)
        except Invalid as exc:
            form.note.errors = [exc.message]
        except Conflict as exc:
            form.done.errors = [exc.message]
        else:
            flash(gettext("Saved %(activities)s.", activities=f"“{activity.title}”"))
            return redirect(url_for(".module", slug=slug, _anchor=key))
    forms = {a.key: form if a.key == key else form_for(a, context["records"].get(a.id))
             for a in context["activities"]}
    return render_template("participant/module.html", forms=forms,
                           error_list=field_errors(form), **context), 422


# --- the self-assessment -------------------------------------------------------------------

def phase_or_404(phase: str) -> str:
    """A phase named in a path, or a 404 page."""
    if phase not in PHASES:
        abort(404)
    return phase


def themes_of(view: dict[str, Any]) -> list[tuple[Any, list]]:
    """The behaviours a participant rates, grouped by theme in the framework's order."""
    return [(theme, list(behaviours))
            for theme, behaviours in groupby(view["behaviours"], key=lambda b: b.theme)]


def assessment_context(phase: str) -> dict[str, Any]:
    """Everything the assessment pages show about one phase."""
    view = ratings.assessment_view(current_user, phase_or_404(phase))
    themes = themes_of(view)
    return {"view": view, "themes": themes, "phase": phase, "phase_name": PHASE_NAMES[phase],
            "locked": view["status"] == "submitted" or not view["open"],
            "answered": sum(1 for b in view["behaviours"] if b.code in view["ratings"])}


@bp.get("/assessments/<phase>")
@page("participant")
def assessment(phase: str):
    """The phase's start page: its window, status, and one task per theme."""
    return render_template("participant/assessment.html", **assessment_context(phase))


def theme_or_404(context: dict[str, Any], code: str) -> tuple[Any, list, int]:
    """The theme ``code`` of the phase, its behaviours and its place in the list."""
    for index, (theme, behaviours) in enumerate(context["themes"]):
        if theme.code == code:
            return theme, behaviours, index
    abort(404)


def answers_from(form, behaviours) -> dict[str, Any]:
    """The radio answers sent for a theme: a whole number or "na", as the service takes them."""
    answers: dict[str, Any] = {}
    for behaviour in behaviours:
        raw = form.get(behaviour.code)
        if raw is None or raw == "":
            continue
        answers[behaviour.code] = int(raw) if is_whole_number(raw, max_digits=3) else raw
    return answers


def radio_items(scale: list[dict[str, Any]], chosen: Any, no_point: str = "na",
                no_point_text: str | None = None) -> list[dict[str, Any]]:
    """The radio buttons of one behaviour: each point of the scale, then the answer that
    gives no point ("not applicable" for a participant; a 360 rater's "not observed")."""
    chosen = "" if chosen is None else str(chosen)
    items: list[dict[str, Any]] = [
        {"html": Markup("{} – {}").format(point["value"], untranslated(point["label"])),
         "checked": chosen == str(point["value"]), "value": str(point["value"])}
        for point in scale]
    items.append({"divider": gettext("or")})
    items.append({"value": no_point, "text": no_point_text or gettext("Not applicable to my role"),
                  "checked": chosen == no_point})
    return items


@bp.route("/assessments/<phase>/themes/<code>", methods=["GET", "POST"])
@page("participant")
@person_writes
def assessment_theme(phase: str, code: str):
    """One theme of the assessment: a radio group per behaviour; save, then go on."""
    context = assessment_context(phase)
    theme, behaviours, index = theme_or_404(context, code)
    errors: list[dict[str, str]] = []
    status = 200
    if request.method == "POST":
        try:
            ratings.save_draft(current_user, phase, answers_from(request.form, behaviours))
        except Invalid as exc:
            problems = (exc.errors or {}).get("ratings", {})
            errors = [{"text": f"{code}: {' '.join(msgs)}", "href": f"#{code}"}
                      for code, msgs in problems.items()] or [{"text": exc.message}]
            status = 422
        except Conflict as exc:  # the window closed, or it was submitted meanwhile
            errors, status = [{"text": exc.message}], 409
        else:
            if request.form.get("action") == "later":
                flash(gettext("Your answers are saved. Come back to finish them whenever you "
                              "like."))
                return redirect(url_for("dashboards.home"))
            following = context["themes"][index + 1][0] if index + 1 < len(
                context["themes"]) else None
            target = (url_for(".assessment_theme", phase=phase, code=following.code)
                      if following else url_for(".review", phase=phase))
            return redirect(target)
    chosen = request.form if errors else context["view"]["ratings"]
    questions = [(b, radio_items(context["view"]["scale"], chosen.get(b.code)))
                 for b in behaviours]
    return render_template("participant/assessment_theme.html", theme=theme,
                           questions=questions, position=index + 1, error_list=errors,
                           **context), status


@bp.get("/assessments/<phase>/review")
@page("participant")
def review(phase: str):
    """Every answer of the phase, with links to change them, and the submit button."""
    return render_template("participant/review.html", **assessment_context(phase))


@bp.post("/assessments/<phase>/submit")
@page("participant")
def submit(phase: str):
    """Submit the phase; missing answers are listed, each linking to its question."""
    phase_or_404(phase)
    try:
        ratings.submit(current_user, phase)
    except Invalid as exc:
        context = assessment_context(phase)
        missing = set((exc.errors or {}).get("ratings", {}).get("missing", []))
        unanswered = [(theme, [b for b in behaviours if b.code in missing])
                      for theme, behaviours in context["themes"]]
        unanswered = [(theme, left) for theme, left in unanswered if left]
        errors = [{"text": ngettext("%(theme)s: answer %(num)d more behaviour",
                                    "%(theme)s: answer %(num)d more behaviours", len(left),
                                    theme=theme.title),
                   "href": url_for(".assessment_theme", phase=phase, code=theme.code,
                                   _anchor=left[0].code)}
                  for theme, left in unanswered]
        return render_template("participant/review.html", error_list=errors,
                               unanswered=unanswered, **context), 422
    return redirect(url_for(".submitted", phase=phase))


@bp.get("/assessments/<phase>/submitted")
@page("participant")
def submitted(phase: str):
    """The confirmation after submitting: what was sent and what happens next."""
    context = assessment_context(phase)
    if context["view"]["status"] != "submitted":
        return redirect(url_for(".assessment", phase=phase))
    return render_template("participant/submitted.html", **context)


# --- my progress ---------------------------------------------------------------------------

@bp.get("/progress")
@page("participant")
def my_progress():
    """My progress: modules done, and my profile chart with its text alternative."""
    progress = progress_service.my_progress(current_user)
    profile = description = themes = None
    try:
        enrolment = ratings.participant_enrolment(current_user)
    except NotFound:
        enrolment = None
    if enrolment is not None:
        profile = outcomes.my_profile(current_user.id, enrolment.cohort,
                                      ratings.sector_of(enrolment))
        description = DESCRIBE["profile"](chart_data.profile_data(profile, enrolment.cohort))
        themes = summary.my_themes(profile["behaviours"], chart_data.theme_titles())
    return render_template("participant/progress.html", progress=progress, profile=profile,
                           description=description, themes=themes)
