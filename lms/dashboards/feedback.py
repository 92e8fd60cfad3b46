"""360 feedback pages: a rater's link (no account), a participant's raters and report, and
the same for their tutors."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from marshmallow import ValidationError

from lms import access
from lms.cohorts.service import participant_in
from lms.core.errors import Conflict, Gone, Invalid, NotFound
from lms.core.extensions import person_writes
from lms.core.i18n import HTML_LANG, LANGUAGES, NAMES, answer_in, current_language
from lms.dashboards.participant import radio_items
from lms.feedback import (
    mail,  # noqa: F401  (registers the raters' e-mails)
    report,
    service,
)
from lms.feedback.models import GROUP_TITLES, PHASES
from lms.feedback.schemas import RaterInputSchema
from lms.ratings.service import participant_enrolment
from lms.web.forms import is_whole_number, select_items
from lms.web.guards import page

bp = Blueprint("feedback_pages", __name__)

ROUND_NAMES = {"pre": _l("Start of the programme (pre)"),
               "post": _l("End of the programme (post)")}
STATE_TEXT = {"invited": _l("Asked"), "started": _l("Started"), "answered": _l("Answered"),
              "withdrawn": _l("Withdrew"), "revoked": _l("Taken back")}


# --- the rater's link ------------------------------------------------------------------------

def form_answers(form, behaviours) -> dict[str, Any]:
    """The radio answers sent: a whole number or "not_observed", as the service takes them."""
    answers: dict[str, Any] = {}
    for behaviour in behaviours:
        raw = form.get(behaviour.code)
        if raw:
            answers[behaviour.code] = int(raw) if is_whole_number(raw, max_digits=3) else raw
    return answers


def form_comments(form, themes) -> dict[str, str]:
    """The comments sent, by theme code."""
    return {theme.code: form.get(f"comment-{theme.code}", "") for theme, _items in themes}


def ended(exc: NotFound | Gone):
    """The page a link that does not (or no longer) work shows."""
    return render_template("feedback/ended.html", message=exc.message), exc.status


@bp.route("/feedback/<token>", methods=["GET", "POST"])
@person_writes
def rater_form(token: str):
    """A rater's questions about one participant: save, submit, or withdraw."""
    owner = service.link_owner(token)
    if owner is not None:  # an ended link too speaks the rater's language
        answer_in(owner.language)
    try:
        rater = service.working_link(owner)
    except (NotFound, Gone) as exc:
        return ended(exc)
    errors: list[dict[str, str]] = []
    status = 200
    view = service.rater_view(rater)
    if request.method == "POST":
        errors, status = act_on(rater, view, request.form)
        if not errors:
            if request.form.get("action") == "withdraw":
                return render_template("feedback/withdrawn.html", view=view)
            return redirect(url_for(".rater_form", token=token))
        view = service.rater_view(rater)
    if rater.status == "submitted":
        return render_template("feedback/thanks.html", view=view, token=token,
                               error_list=errors), status
    chosen = request.form if errors else view["ratings"]
    comments = request.form if errors else {f"comment-{k}": v
                                            for k, v in view["comments"].items()}
    questions = [(theme, [(b, radio_items(view["scale"], chosen.get(b.code),
                                          service.NOT_OBSERVED, gettext("I have not seen this")))
                          for b in items]) for theme, items in view["themes"]]
    return render_template("feedback/rater.html", view=view, questions=questions,
                           comments=comments, error_list=errors, token=token), status


def act_on(rater, view: dict[str, Any], form) -> tuple[list[dict[str, str]], int]:
    """Do what the rater asked (save, submit or withdraw); the errors to show, and the
    status."""
    action = form.get("action", "save")
    try:
        if action == "withdraw":
            service.withdraw(rater)
            return [], 200
        service.save(rater, form_answers(form, view["behaviours"]),
                     form_comments(form, view["themes"]))
        if action == "submit":
            service.submit(rater)
        else:
            flash(gettext("Your answers are saved. Use the link in your e-mail to come back to "
                          "them."))
    except Invalid as exc:
        problems = exc.errors or {}
        missing = problems.get("ratings", {}).get("missing") if isinstance(
            problems.get("ratings"), dict) else None
        if missing:
            return [{"text": gettext("Answer %(code)s (choose “I have not seen this” if you "
                                     "have not)", code=code), "href": f"#{code}"}
                    for code in missing], 422
        items = [{"text": f"{code}: {' '.join(msgs)}", "href": f"#{code}"}
                 for part in problems.values() if isinstance(part, dict)
                 for code, msgs in part.items()]
        return items or [{"text": exc.message}], 422
    except Conflict as exc:
        return [{"text": exc.message}], 409
    return [], 200


# --- raters and the report, for the participant and their tutors -----------------------

def nomination(form) -> tuple[dict[str, Any] | None, dict[str, list[str]]]:
    """The rater the form asks for, or the errors by field."""
    data = {name: form.get(name, "") for name in ("name", "email", "group", "phase")}
    data["language"] = form.get("language") or current_language()
    try:
        return RaterInputSchema().load(data), {}
    except ValidationError as exc:
        return None, {k: v if isinstance(v, list) else [str(v)]
                      for k, v in exc.messages.items()}


def raters_context(cohort, participant_id: int) -> dict[str, Any]:
    """The raters by round, each round's dates, state and answers so far, and the choices
    of the form."""
    raters = service.raters_of(cohort, participant_id)
    today = dt.date.today()
    rounds = {phase: {"window": service.round_window(cohort, phase),
                      "state": service.round_state(cohort, phase, today),
                      "progress": report.progress_of(cohort, participant_id, phase)}
              for phase in PHASES}
    return {"cohort": cohort, "raters": raters, "rounds": rounds,
            "min_group": cohort.programme.feedback_min_group,
            "round_names": ROUND_NAMES, "group_titles": GROUP_TITLES,
            "state_text": STATE_TEXT, "state_of": service.rater_state,
            "all_others": report.ALL_OTHERS, "group_items": group_items,
            "language_items": language_items}


def group_items(chosen: str) -> list[dict[str, Any]]:
    """The rater groups as the select component's items, ``chosen`` selected."""
    return [{"value": "", "text": gettext("Choose one")}] + select_items(GROUP_TITLES, chosen)


def language_items(chosen: str) -> list[dict[str, Any]]:
    """The languages a rater can be written to in, each named in itself (and marked so)."""
    return [{"value": code, "checked": code == chosen,
             "html": Markup('<span lang="{}">{}</span>').format(HTML_LANG[code], NAMES[code])}
            for code in LANGUAGES]


def nominate_from(cohort, participant_id: int, form) -> dict[str, list[str]]:
    """Ask the rater the form names; the errors by field (empty when done)."""
    body, errors = nomination(form)
    if errors:
        return errors
    try:
        service.nominate(cohort, participant_id, current_user._get_current_object(), **body)
    except Invalid as exc:
        return {k: list(v) for k, v in (exc.errors or {"email": [exc.message]}).items()}
    except Conflict as exc:
        return {"email": [exc.message]}
    flash(gettext("%(name)s is asked; their invitation is on its way to %(email)s.",
                  name=body["name"], email=body["email"]))
    return {}


def error_list(errors: dict[str, list[str]]) -> list[dict[str, str]]:
    """Field errors as the error summary's items."""
    return [{"text": " ".join(messages), "href": f"#rater-{field}"}
            for field, messages in errors.items()]


@bp.route("/my-feedback", methods=["GET", "POST"])
@page("participant")
@person_writes
def my_feedback():
    """The participant's raters by round, a form to ask another, and the reports."""
    cohort = participant_enrolment(current_user).cohort
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        errors = nominate_from(cohort, current_user.id, request.form)
        if not errors:
            return redirect(url_for(".my_feedback"))
    return render_template("feedback/raters.html", errors=errors, form=request.form,
                           error_list=error_list(errors), own=True,
                           participant_name=current_user.display_name,
                           revoke_url=lambda r: url_for(".my_revoke", rater_id=r.id),
                           report_url=lambda phase: url_for(".my_report", phase=phase),
                           **raters_context(cohort, current_user.id)), 422 if errors else 200


def phase_or_404(phase: str) -> str:
    """A round named in a path, or a 404 page."""
    if phase not in PHASES:
        abort(404)
    return phase


@bp.get("/my-feedback/report/<phase>")
@page("participant")
def my_report(phase: str):
    """The participant's 360 report for one round."""
    cohort = participant_enrolment(current_user).cohort
    result = report.feedback_report(cohort, current_user.id, phase_or_404(phase))
    return render_template("feedback/report.html", result=result, own=True, cohort=cohort,
                           participant_name=current_user.display_name,
                           back_url=url_for(".my_feedback"),
                           pdf_url=url_for("feedback.get_my_feedback_report_pdf", phase=phase),
                           **REPORT_WORDS)


#: What the report pages need besides the report.
REPORT_WORDS = {"round_names": ROUND_NAMES, "all_others": report.ALL_OTHERS}


@bp.post("/my-feedback/raters/<id:rater_id>/revoke")
@page("participant")
def my_revoke(rater_id: int):
    """Take an invitation back."""
    cohort = participant_enrolment(current_user).cohort
    revoke_and_say(cohort, current_user.id, rater_id)
    return redirect(url_for(".my_feedback"))


def revoke_and_say(cohort, participant_id: int, rater_id: int) -> None:
    """Revoke, and say what happened."""
    try:
        service.revoke(cohort, participant_id, rater_id, current_user._get_current_object())
    except Conflict as exc:
        flash(exc.message)
    except NotFound:
        abort(404)
    else:
        flash(gettext("The invitation is taken back: its link no longer works."))


PARTICIPANT = "/cohorts/<id:cohort_id>/participants/<id:user_id>/feedback"


@bp.route(PARTICIPANT, methods=["GET", "POST"])
@page("tutor", "admin")
def participant_feedback(cohort_id: int, user_id: int):
    """A participant's raters and 360 reports, for their tutors."""
    cohort = access.cohort_for(current_user, cohort_id, "individuals")
    try:
        context = raters_context(cohort, user_id)
    except NotFound:
        abort(404)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        errors = nominate_from(cohort, user_id, request.form)
        if not errors:
            return redirect(url_for(".participant_feedback", cohort_id=cohort_id,
                                    user_id=user_id))
        context = raters_context(cohort, user_id)
    return render_template(
        "feedback/raters.html", errors=errors, form=request.form, own=False,
        error_list=error_list(errors), participant_name=name_of(cohort, user_id),
        participant_id=user_id,
        revoke_url=lambda r: url_for(".participant_revoke", cohort_id=cohort_id,
                                     user_id=user_id, rater_id=r.id),
        report_url=lambda phase: url_for(".participant_report", cohort_id=cohort_id,
                                         user_id=user_id, phase=phase),
        **context), 422 if errors else 200


def name_of(cohort, user_id: int) -> str:
    """A participant's name, or a 404 page for someone who is not one of ``cohort``."""
    try:
        return participant_in(cohort, user_id).user.display_name
    except NotFound:
        abort(404)


@bp.get(f"{PARTICIPANT}/report/<phase>")
@page("tutor", "admin")
def participant_report(cohort_id: int, user_id: int, phase: str):
    """A participant's 360 report for one round, for their tutors."""
    cohort = access.cohort_for(current_user, cohort_id, "individuals")
    name = name_of(cohort, user_id)
    result = report.feedback_report(cohort, user_id, phase_or_404(phase))
    return render_template("feedback/report.html", result=result, own=False, cohort=cohort,
                           participant_name=name,
                           back_url=url_for(".participant_feedback", cohort_id=cohort_id,
                                            user_id=user_id),
                           pdf_url=url_for("feedback.get_participant_feedback_report_pdf",
                                           cohort_id=cohort_id, user_id=user_id, phase=phase),
                           **REPORT_WORDS)


@bp.post(f"{PARTICIPANT}/raters/<id:rater_id>/revoke")
@page("tutor", "admin")
def participant_revoke(cohort_id: int, user_id: int, rater_id: int):
    """Take an invitation back, for a tutor."""
    cohort = access.cohort_for(current_user, cohort_id, "individuals")
    revoke_and_say(cohort, user_id, rater_id)
    return redirect(url_for(".participant_feedback", cohort_id=cohort_id, user_id=user_id))
