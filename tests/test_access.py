"""Every route × every role (and anonymous), with the expected status.

A route that is not in the table fails `test_every_route_is_in_the_table`, so no new route can
ship without someone deciding who may use it.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from lms.core.extensions import db
from lms.feedback.models import FeedbackRater
from lms.feedback.service import link_token
from lms.messaging.compose import unsubscribe_serializer
from tests.worlds import World

ANON, PART, TUTOR, SPONSOR, ADMIN = "anonymous", "participant", "tutor", "sponsor", "admin"
CALLERS = (ANON, PART, TUTOR, SPONSOR, ADMIN)


def everyone(status: int) -> dict[str, int]:
    """The same answer for every caller, signed in or not."""
    return dict.fromkeys(CALLERS, status)


def signed_in(status: int) -> dict[str, int]:
    """``status`` for every signed-in caller, 401 for anonymous ones."""
    return {ANON: 401, PART: status, TUTOR: status, SPONSOR: status, ADMIN: status}


def only(allowed: dict[str, int], others: int = 403) -> dict[str, int]:
    """``allowed`` callers get their status, other signed-in callers ``others``, anonymous 401."""
    return {ANON: 401, **{c: others for c in CALLERS[1:]}, **allowed}


@dataclass
class Case:
    """One route, how to call it, and what each caller gets."""

    method: str
    rule: str
    expect: dict[str, int]
    url: Callable[[World, str], str] | None = None
    json: Callable[[World, str], Any] | None = None
    data: Callable[[World, str], Any] | None = None
    content_type: str | None = None
    #: Over a second to answer (a PDF to lay out): left to `make test`.
    slow: bool = False

    @property
    def key(self) -> tuple[str, str]:
        return (self.method, self.rule)


def page_only(allowed: dict[str, int], anonymous: int = 302) -> dict[str, int]:
    """A page: ``allowed`` callers get their status, other signed-in callers a 403 page, and
    anonymous visitors are sent to sign in (302), or refused a write without CSRF (400)."""
    return {ANON: anonymous, **{c: 403 for c in CALLERS[1:]}, **allowed}


def fixed(path: str) -> Callable[[World, str], str]:
    return lambda w, role: path


def cohort_path(suffix: str = "") -> Callable[[World, str], str]:
    return lambda w, role: f"/api/v1/cohorts/{w.cohort_id}{suffix}"


ROSTER = ("email,name,organisation,organisation_type,sector,leadership_level,role\n"
          "new.person@example.org,New Person,Northshire County Council,local_authority,"
          "commissioning,manager,participant\n")

CASES = [
    # Pages and documents anyone may read.
    Case("GET", "/", everyone(200), fixed("/")),
    Case("GET", "/healthz", everyone(200), fixed("/healthz")),
    Case("GET", "/static/<path:filename>", everyone(200), fixed("/static/lms.js")),
    Case("GET", "/api/v1/openapi.json", everyone(200), fixed("/api/v1/openapi.json")),
    Case("GET", "/api/v1/docs", everyone(200), fixed("/api/v1/docs")),
    # Sign-in pages. Token callers skip CSRF (a program, not a browser) and get the form back.
    Case("GET", "/sign-in", everyone(200), fixed("/sign-in")),
    Case("GET", "/language/<any(en, cy):code>", everyone(302), fixed("/language/cy?next=/")),
    Case("POST", "/sign-in", {**everyone(200), ANON: 400}, fixed("/sign-in"),
         data=lambda w, role: {"email": "x@example.org", "password": "wrong"}),
    Case("POST", "/sign-out", {**everyone(302), ANON: 400}, fixed("/sign-out")),
    Case("GET", "/set-password/<token>", everyone(200),
         lambda w, role: f"/set-password/{w.password_link}"),
    Case("POST", "/set-password/<token>", {**everyone(200), ANON: 400},
         lambda w, role: f"/set-password/{w.password_link}", data=lambda w, role: {}),
    # The framework is a published document: public.
    Case("GET", "/api/v1/framework", everyone(200), fixed("/api/v1/framework")),
    Case("GET", "/api/v1/themes", everyone(200), fixed("/api/v1/themes")),
    Case("GET", "/api/v1/themes/<code>", everyone(200), fixed("/api/v1/themes/SI")),
    Case("GET", "/api/v1/behaviours", everyone(200), fixed("/api/v1/behaviours")),
    Case("GET", "/api/v1/behaviours/<code>", everyone(200), fixed("/api/v1/behaviours/SI.1")),
    Case("GET", "/api/v1/framework/export/<any(case, moodle, canvas):fmt>", everyone(200),
         fixed("/api/v1/framework/export/case")),
    Case("GET", "/api/v1/framework/export/case/<string(maxlength=64):framework>",
         everyone(200), fixed("/api/v1/framework/export/case/nhs-lf")),
    # You and your tokens.
    Case("GET", "/api/v1/me", signed_in(200), fixed("/api/v1/me")),
    Case("GET", "/api/v1/me/tokens", signed_in(200), fixed("/api/v1/me/tokens")),
    Case("GET", "/api/v1/me/export", signed_in(200), fixed("/api/v1/me/export")),
    Case("POST", "/api/v1/me/tokens", signed_in(201), fixed("/api/v1/me/tokens"),
         json=lambda w, role: {"name": "script", "days": 7}),
    Case("DELETE", "/api/v1/me/tokens/<id:token_id>", signed_in(204),
         lambda w, role: f"/api/v1/me/tokens/{w.spare_token_ids.get(role, 1)}"),
    # Users: administrators only.
    Case("GET", "/api/v1/users", only({ADMIN: 200}), fixed("/api/v1/users")),
    Case("POST", "/api/v1/users", only({ADMIN: 201}), fixed("/api/v1/users"),
         json=lambda w, role: {"email": "someone.new@example.org", "display_name": "Someone",
                               "role": "participant"}),
    Case("GET", "/api/v1/users/<id:user_id>", only({ADMIN: 200}),
         lambda w, role: f"/api/v1/users/{w.user_ids[PART]}"),
    Case("PATCH", "/api/v1/users/<id:user_id>", only({ADMIN: 200}),
         lambda w, role: f"/api/v1/users/{w.user_ids[PART]}",
         json=lambda w, role: {"display_name": "Renamed"}),
    Case("POST", "/api/v1/users/<id:user_id>/password-link", only({ADMIN: 201}),
         lambda w, role: f"/api/v1/users/{w.user_ids[PART]}/password-link"),
    # Programmes: everyone with a part may read; administrators change.
    Case("GET", "/api/v1/programmes", signed_in(200), fixed("/api/v1/programmes")),
    Case("GET", "/api/v1/programmes/<id:programme_id>", signed_in(200),
         lambda w, role: f"/api/v1/programmes/{w.programme_id}"),
    Case("PATCH", "/api/v1/programmes/<id:programme_id>", only({ADMIN: 200}),
         lambda w, role: f"/api/v1/programmes/{w.programme_id}",
         json=lambda w, role: {"min_group_size": 6}),
    Case("GET", "/api/v1/programmes/<id:programme_id>/sponsors", only({ADMIN: 200}),
         lambda w, role: f"/api/v1/programmes/{w.programme_id}/sponsors"),
    Case("POST", "/api/v1/programmes/<id:programme_id>/sponsors", only({ADMIN: 201}),
         lambda w, role: f"/api/v1/programmes/{w.programme_id}/sponsors",
         json=lambda w, role: {"user_id": w.outsider_sponsor_id}),
    Case("DELETE", "/api/v1/programmes/<id:programme_id>/sponsors/<id:user_id>",
         only({ADMIN: 404}),  # nobody sponsors the whole programme in this world
         lambda w, role: f"/api/v1/programmes/{w.programme_id}/sponsors/{w.user_ids[SPONSOR]}"),
    # Organisations: administrators only.
    Case("GET", "/api/v1/organisations", only({ADMIN: 200}), fixed("/api/v1/organisations")),
    Case("POST", "/api/v1/organisations", only({ADMIN: 201}), fixed("/api/v1/organisations"),
         json=lambda w, role: {"name": "Harbour Home Care", "type": "independent_provider",
                               "sector": "providing"}),
    Case("GET", "/api/v1/organisations/<id:organisation_id>", only({ADMIN: 200}),
         lambda w, role: f"/api/v1/organisations/{w.organisation_id}"),
    Case("PATCH", "/api/v1/organisations/<id:organisation_id>", only({ADMIN: 200}),
         lambda w, role: f"/api/v1/organisations/{w.organisation_id}",
         json=lambda w, role: {"sector": "both"}),
    # Cohorts: anyone with a part sees it; tutors see its people; administrators change it.
    Case("GET", "/api/v1/cohorts", signed_in(200), fixed("/api/v1/cohorts")),
    Case("POST", "/api/v1/cohorts", only({ADMIN: 201}), fixed("/api/v1/cohorts"),
         json=lambda w, role: {"name": "Cohort C", "starts_on": "2027-01-10",
                               "ends_on": "2027-07-10", "programme_id": w.programme_id}),
    Case("GET", "/api/v1/cohorts/<id:cohort_id>", signed_in(200), cohort_path()),
    Case("PATCH", "/api/v1/cohorts/<id:cohort_id>", only({ADMIN: 200}), cohort_path(),
         json=lambda w, role: {"status": "finished"}),
    Case("GET", "/api/v1/cohorts/<id:cohort_id>/enrolments", only({ADMIN: 200, TUTOR: 200}),
         cohort_path("/enrolments")),
    Case("POST", "/api/v1/cohorts/<id:cohort_id>/enrolments", only({ADMIN: 201}),
         cohort_path("/enrolments"),
         json=lambda w, role: {"user_id": w.other_tutor_id, "role": "tutor"}),
    Case("DELETE", "/api/v1/cohorts/<id:cohort_id>/enrolments/<id:user_id>", only({ADMIN: 204}),
         lambda w, role: f"/api/v1/cohorts/{w.cohort_id}/enrolments/{w.user_ids[PART]}"),
    Case("GET", "/api/v1/cohorts/<id:cohort_id>/sponsors", only({ADMIN: 200}),
         cohort_path("/sponsors")),
    Case("POST", "/api/v1/cohorts/<id:cohort_id>/sponsors", only({ADMIN: 201}),
         cohort_path("/sponsors"), json=lambda w, role: {"user_id": w.outsider_sponsor_id}),
    Case("DELETE", "/api/v1/cohorts/<id:cohort_id>/sponsors/<id:user_id>", only({ADMIN: 204}),
         lambda w, role: f"/api/v1/cohorts/{w.cohort_id}/sponsors/{w.user_ids[SPONSOR]}"),
    Case("POST", "/api/v1/cohorts/<id:cohort_id>/roster", only({ADMIN: 200}),
         cohort_path("/roster"), data=lambda w, role: ROSTER.encode(),
         content_type="text/csv"),
    # Module content is programme material, not personal: public, like the framework.
    Case("GET", "/api/v1/modules", everyone(200), fixed("/api/v1/modules")),
    Case("GET", "/api/v1/modules/<slug>", everyone(200), fixed("/api/v1/modules/induction")),
    Case("GET", "/api/v1/framework/coverage", everyone(200), fixed("/api/v1/framework/coverage")),
    # Your own progress and work: only participants do activities.
    Case("GET", "/api/v1/me/progress", signed_in(200), fixed("/api/v1/me/progress")),
    Case("GET", "/api/v1/me/activities/<slug>/<key>", only({PART: 200}),
         fixed("/api/v1/me/activities/induction/three-ideas")),
    Case("PUT", "/api/v1/me/activities/<slug>/<key>", only({PART: 200}),
         fixed("/api/v1/me/activities/induction/three-ideas"),
         json=lambda w, role: {"done": True}),
    # A cohort's curriculum is seen by everyone in it; its progress and people's work only by
    # its tutors.
    Case("GET", "/api/v1/cohorts/<id:cohort_id>/modules", signed_in(200), cohort_path("/modules")),
    Case("PUT", "/api/v1/cohorts/<id:cohort_id>/modules", only({ADMIN: 200}),
         cohort_path("/modules"), json=lambda w, role: {"modules": [{"slug": "induction"}]}),
    Case("GET", "/api/v1/cohorts/<id:cohort_id>/progress", only({ADMIN: 200, TUTOR: 200}),
         cohort_path("/progress")),
    Case("GET", "/api/v1/cohorts/<id:cohort_id>/participants/<id:user_id>/work",
         only({ADMIN: 200, TUTOR: 200}),
         lambda w, role: f"/api/v1/cohorts/{w.cohort_id}/participants/{w.user_ids[PART]}/work"),
    # Self-ratings: participants rate themselves; tutors follow and reopen; admins import.
    Case("GET", "/api/v1/me/assessments", only({PART: 200}), fixed("/api/v1/me/assessments")),
    Case("GET", "/api/v1/me/assessments/<phase>", only({PART: 200}),
         fixed("/api/v1/me/assessments/pre")),
    Case("PUT", "/api/v1/me/assessments/<phase>", only({PART: 200}),
         fixed("/api/v1/me/assessments/pre"), json=lambda w, role: {"ratings": {"SI.1": 4}}),
    Case("POST", "/api/v1/me/assessments/<phase>/submit", only({PART: 200}),
         fixed("/api/v1/me/assessments/pre/submit")),
    Case("GET", "/api/v1/cohorts/<id:cohort_id>/assessments", only({ADMIN: 200, TUTOR: 200}),
         cohort_path("/assessments")),
    Case("GET", "/api/v1/cohorts/<id:cohort_id>/assessments/<id:user_id>/<phase>",
         only({ADMIN: 200, TUTOR: 200}),
         lambda w, role: f"/api/v1/cohorts/{w.cohort_id}/assessments/{w.user_ids[PART]}/pre"),
    Case("POST", "/api/v1/cohorts/<id:cohort_id>/assessments/<id:user_id>/<phase>/reopen",
         only({ADMIN: 200, TUTOR: 200}),
         lambda w, role: (f"/api/v1/cohorts/{w.cohort_id}/assessments/{w.user_ids[PART]}"
                          "/post/reopen"),
         json=lambda w, role: {"reason": "SI.3 was mistyped"}),
    Case("POST", "/api/v1/cohorts/<id:cohort_id>/ratings/import", only({ADMIN: 200}),
         cohort_path("/ratings/import"),
         data=lambda w, role: f"email,phase,behaviour,value\n{w.emails[PART]},post,SI.1,4\n"
         .encode(), content_type="text/csv"),
    # Outcomes: tutors and admins see their cohorts whole, sponsors under disclosure control,
    # participants only their own profile.
    Case("GET", "/api/v1/cohorts/<id:cohort_id>/outcomes",
         only({ADMIN: 200, TUTOR: 200, SPONSOR: 200}), cohort_path("/outcomes")),
    Case("GET", "/api/v1/cohorts/<id:cohort_id>/outcomes.csv",
         only({ADMIN: 200, TUTOR: 200, SPONSOR: 200}), cohort_path("/outcomes.csv")),
    Case("GET", "/api/v1/programmes/<id:programme_id>/outcomes",
         only({ADMIN: 200, TUTOR: 200, SPONSOR: 200}),
         lambda w, role: f"/api/v1/programmes/{w.programme_id}/outcomes"),
    Case("GET", "/api/v1/programmes/<id:programme_id>/outcomes.csv",
         only({ADMIN: 200, TUTOR: 200, SPONSOR: 200}),
         lambda w, role: f"/api/v1/programmes/{w.programme_id}/outcomes.csv"),
    # Engagement (who submitted and completed what) is guarded like the outcomes.
    Case("GET", "/api/v1/cohorts/<id:cohort_id>/engagement",
         only({ADMIN: 200, TUTOR: 200, SPONSOR: 200}), cohort_path("/engagement")),
    Case("GET", "/api/v1/programmes/<id:programme_id>/engagement",
         only({ADMIN: 200, TUTOR: 200, SPONSOR: 200}),
         lambda w, role: f"/api/v1/programmes/{w.programme_id}/engagement"),
    # The evaluation report holds the same figures: the same guard.
    Case("GET", "/api/v1/cohorts/<id:cohort_id>/report.pdf",
         only({ADMIN: 200, TUTOR: 200, SPONSOR: 200}), cohort_path("/report.pdf"), slow=True),
    Case("GET", "/api/v1/programmes/<id:programme_id>/report.pdf",
         only({ADMIN: 200, TUTOR: 200, SPONSOR: 200}),
         lambda w, role: f"/api/v1/programmes/{w.programme_id}/report.pdf", slow=True),
    Case("GET", "/api/v1/me/outcomes", only({PART: 200}), fixed("/api/v1/me/outcomes")),
    Case("GET", "/api/v1/me/outcomes.csv", only({PART: 200}), fixed("/api/v1/me/outcomes.csv")),
    # Charts are guarded like the numbers they draw; a sponsor's progress chart is engagement.
    Case("GET", "/api/v1/cohorts/<id:cohort_id>/charts/<name>.<any(png, svg, json):fmt>",
         only({ADMIN: 200, TUTOR: 200, SPONSOR: 200}), cohort_path("/charts/effects.json")),
    Case("GET", "/api/v1/programmes/<id:programme_id>/charts/<name>.<any(png, svg, json):fmt>",
         only({ADMIN: 200, TUTOR: 200, SPONSOR: 200}),
         lambda w, role: f"/api/v1/programmes/{w.programme_id}/charts/likert.json"),
    Case("GET", "/api/v1/me/charts/profile.<any(png, svg, json):fmt>", only({PART: 200}),
         fixed("/api/v1/me/charts/profile.json")),
    # The audit log: administrators only.
    Case("GET", "/api/v1/audit", only({ADMIN: 200}), fixed("/api/v1/audit")),
    # A cohort's activity as xAPI statements: about individuals, so its tutors only.
    Case("GET", "/api/v1/cohorts/<id:cohort_id>/xapi", only({ADMIN: 200, TUTOR: 200}),
         cohort_path("/xapi")),
    # --- Pages. Everyone has an account page; the rest belong to roles. -----------------------
    Case("GET", "/account", page_only(dict.fromkeys(CALLERS[1:], 200)), fixed("/account")),
    Case("POST", "/account/tokens", page_only(dict.fromkeys(CALLERS[1:], 200), 400),
         fixed("/account/tokens"), data=lambda w, role: {"name": "sheet", "days": "7"}),
    Case("POST", "/account/tokens/<id:token_id>/revoke",
         page_only(dict.fromkeys(CALLERS[1:], 302), 400),
         lambda w, role: f"/account/tokens/{w.spare_token_ids.get(role, 1)}/revoke"),
    # Participants' pages.
    Case("GET", "/modules/<slug>", page_only({PART: 200}), fixed("/modules/induction")),
    Case("POST", "/modules/<slug>", page_only({PART: 302}, 400), fixed("/modules/induction"),
         data=lambda w, role: {"three-ideas-shown": "y", "three-ideas-done": "y"}),
    Case("POST", "/modules/<slug>/<key>", page_only({PART: 302}, 400),
         fixed("/modules/induction/three-ideas"),
         data=lambda w, role: {"three-ideas-done": "y"}),
    Case("GET", "/assessments/<phase>", page_only({PART: 200}), fixed("/assessments/pre")),
    Case("GET", "/assessments/<phase>/themes/<code>", page_only({PART: 200}),
         fixed("/assessments/pre/themes/SI")),
    Case("POST", "/assessments/<phase>/themes/<code>", page_only({PART: 302}, 400),
         fixed("/assessments/pre/themes/SI"), data=lambda w, role: {"SI.1": "4"}),
    # The confirmation sends a participant who has not submitted back to the assessment.
    Case("GET", "/assessments/<phase>/submitted", page_only({PART: 302}),
         fixed("/assessments/pre/submitted")),
    Case("GET", "/assessments/<phase>/review", page_only({PART: 200}),
         fixed("/assessments/pre/review")),
    Case("POST", "/assessments/<phase>/submit", page_only({PART: 302}, 400),
         fixed("/assessments/pre/submit")),
    Case("GET", "/progress", page_only({PART: 200}), fixed("/progress")),
    # Tutors' pages (administrators see every cohort).
    Case("GET", "/cohorts", page_only({TUTOR: 200, ADMIN: 200}), fixed("/cohorts")),
    Case("GET", "/cohorts/<id:cohort_id>", page_only({TUTOR: 200, ADMIN: 200}),
         lambda w, role: f"/cohorts/{w.cohort_id}"),
    Case("GET", "/cohorts/<id:cohort_id>/progress.csv", page_only({TUTOR: 200, ADMIN: 200}),
         lambda w, role: f"/cohorts/{w.cohort_id}/progress.csv"),
    Case("GET", "/cohorts/<id:cohort_id>/assessments.csv", page_only({TUTOR: 200, ADMIN: 200}),
         lambda w, role: f"/cohorts/{w.cohort_id}/assessments.csv"),
    Case("GET", "/cohorts/<id:cohort_id>/participants/<id:user_id>",
         page_only({TUTOR: 200, ADMIN: 200}),
         lambda w, role: f"/cohorts/{w.cohort_id}/participants/{w.user_ids[PART]}"),
    Case("POST", "/cohorts/<id:cohort_id>/participants/<id:user_id>/reopen",
         page_only({TUTOR: 302, ADMIN: 302}, 400),
         lambda w, role: f"/cohorts/{w.cohort_id}/participants/{w.user_ids[PART]}/reopen",
         data=lambda w, role: {"phase": "post", "reason": "SI.3 was mistyped"}),
    # Outcomes: sponsors (aggregated), tutors and administrators.
    Case("GET", "/outcomes", page_only({SPONSOR: 200, TUTOR: 200, ADMIN: 200}),
         fixed("/outcomes")),
    Case("GET", "/outcomes/report", page_only({SPONSOR: 200, TUTOR: 200, ADMIN: 200}),
         fixed("/outcomes/report"), slow=True),
    # Administrators' pages.
    Case("GET", "/admin/cohorts/new", page_only({ADMIN: 200}), fixed("/admin/cohorts/new")),
    Case("POST", "/admin/cohorts/new", page_only({ADMIN: 302}, 400), fixed("/admin/cohorts/new"),
         data=lambda w, role: {"name": "Cohort C", "starts_on-day": "10",
                               "starts_on-month": "1", "starts_on-year": "2027",
                               "ends_on-day": "10", "ends_on-month": "7",
                               "ends_on-year": "2027"}),
    # Setting a cohort up: the matrix posts forms that do not validate (422 for the
    # administrator, who may; 403 for the rest, who may not even see the page).
    Case("GET", "/admin/cohorts/<id:cohort_id>/settings", page_only({ADMIN: 200}),
         lambda w, role: f"/admin/cohorts/{w.cohort_id}/settings"),
    Case("POST", "/admin/cohorts/<id:cohort_id>/settings", page_only({ADMIN: 422}, 400),
         lambda w, role: f"/admin/cohorts/{w.cohort_id}/settings",
         data=lambda w, role: {"name": ""}),
    Case("GET", "/admin/cohorts/<id:cohort_id>/modules", page_only({ADMIN: 200}),
         lambda w, role: f"/admin/cohorts/{w.cohort_id}/modules"),
    Case("POST", "/admin/cohorts/<id:cohort_id>/modules", page_only({ADMIN: 422}, 400),
         lambda w, role: f"/admin/cohorts/{w.cohort_id}/modules", data=lambda w, role: {}),
    Case("GET", "/admin/cohorts/<id:cohort_id>/people", page_only({ADMIN: 200}),
         lambda w, role: f"/admin/cohorts/{w.cohort_id}/people"),
    Case("POST", "/admin/cohorts/<id:cohort_id>/<any(tutor, sponsor):role>s",
         page_only({ADMIN: 302}, 400),
         lambda w, role: f"/admin/cohorts/{w.cohort_id}/sponsors",
         data=lambda w, role: {"sponsor-user_id": str(w.outsider_sponsor_id)}),
    Case("POST", "/admin/cohorts/<id:cohort_id>/<any(tutor, sponsor):role>s/<id:user_id>/remove",
         page_only({ADMIN: 302}, 400),
         lambda w, role: f"/admin/cohorts/{w.cohort_id}/tutors/{w.other_tutor_id}/remove"),
    # Feedback needs a note to comment on: the matrix's participant has none, so the cohort's
    # tutor and an administrator get the 404 page that says so.
    Case("POST", "/cohorts/<id:cohort_id>/participants/<id:user_id>/activities/"
                 "<id:activity_id>/feedback", page_only({TUTOR: 404, ADMIN: 404}, 400),
         lambda w, role: f"/cohorts/{w.cohort_id}/participants/{w.user_ids[PART]}"
                         "/activities/1/feedback", data=lambda w, role: {"body": "Good"}),
    Case("GET", "/admin/roster-template.csv", page_only({ADMIN: 200}),
         fixed("/admin/roster-template.csv")),
    Case("GET", "/admin/cohorts/<id:cohort_id>/roster", page_only({ADMIN: 200}),
         lambda w, role: f"/admin/cohorts/{w.cohort_id}/roster"),
    Case("POST", "/admin/cohorts/<id:cohort_id>/roster", page_only({ADMIN: 200}, 400),
         lambda w, role: f"/admin/cohorts/{w.cohort_id}/roster",
         data=lambda w, role: {"file": (io.BytesIO(ROSTER.encode()), "roster.csv")}),
    Case("GET", "/admin/users", page_only({ADMIN: 200}), fixed("/admin/users")),
    Case("POST", "/admin/users", page_only({ADMIN: 302}, 400), fixed("/admin/users"),
         data=lambda w, role: {"email": "new.one@example.org", "display_name": "New One",
                               "role": "participant"}),
    Case("POST", "/admin/users/<id:user_id>/password-link", page_only({ADMIN: 200}, 400),
         lambda w, role: f"/admin/users/{w.user_ids[PART]}/password-link"),
    Case("POST", "/admin/users/<id:user_id>/active", page_only({ADMIN: 302}, 400),
         lambda w, role: f"/admin/users/{w.other_participant_id}/active",
         data=lambda w, role: {"active": "no"}),
    Case("GET", "/admin/audit", page_only({ADMIN: 200}), fixed("/admin/audit")),
    Case("GET", "/admin/messages", page_only({ADMIN: 200}), fixed("/admin/messages")),
    # E-mail. Asking for a reset is for anyone (the same answer whoever asks, for whatever
    # address); unsubscribing needs only the signed link of a reminder; the outbox pages
    # exist in development only (these tests run as testing).
    Case("GET", "/forgot-password", everyone(200), fixed("/forgot-password")),
    Case("POST", "/forgot-password", {**everyone(200), ANON: 400}, fixed("/forgot-password"),
         data=lambda w, role: {"email": "someone@example.org"}),
    Case("GET", "/unsubscribe/<token>", everyone(200),
         lambda w, role: f"/unsubscribe/{unsubscribe_token(w.user_ids[PART])}"),
    Case("POST", "/unsubscribe/<token>", everyone(200),
         lambda w, role: f"/unsubscribe/{unsubscribe_token(w.user_ids[PART])}"),
    Case("GET", "/dev/outbox", page_only({ADMIN: 404}), fixed("/dev/outbox")),
    Case("GET", "/dev/outbox/<name>", page_only({ADMIN: 404}),
         fixed("/dev/outbox/20261203-080000-0000001-invitation.eml")),
    Case("GET", "/dev/outbox/<name>/html", page_only({ADMIN: 404}),
         fixed("/dev/outbox/20261203-080000-0000001-invitation.eml/html")),
    Case("GET", "/api/v1/messages", only({ADMIN: 200}), fixed("/api/v1/messages")),
    Case("GET", "/api/v1/cohorts/<id:cohort_id>/messages/audience",
         only({ADMIN: 200, TUTOR: 200}), cohort_path("/messages/audience?to=all")),
    Case("POST", "/api/v1/cohorts/<id:cohort_id>/messages", only({ADMIN: 201, TUTOR: 201}),
         cohort_path("/messages"),
         json=lambda w, role: {"subject": "Session moved", "body": "We meet at 10.",
                               "to": "all"}),
    Case("POST", "/cohorts/<id:cohort_id>/messages", page_only({TUTOR: 302, ADMIN: 302}, 400),
         lambda w, role: f"/cohorts/{w.cohort_id}/messages",
         data=lambda w, role: {"subject": "Session moved", "body": "We meet at 10.",
                               "to": "all"}),
    Case("PATCH", "/api/v1/me", signed_in(200), fixed("/api/v1/me"),
         json=lambda w, role: {"email_reminders": False}),
    Case("POST", "/account/preferences", page_only(dict.fromkeys(CALLERS[1:], 302), 400),
         fixed("/account/preferences"), data=lambda w, role: {"language": "cy"}),
    # Your own name and address (a new address needs the current password, as does a new
    # password: the matrix sends a wrong one, so every signed-in caller gets the form back).
    Case("POST", "/account/details", page_only(dict.fromkeys(CALLERS[1:], 302), 400),
         fixed("/account/details"),
         data=lambda w, role: {"display_name": f"Renamed {role}",
                               "email": w.emails.get(role, "nobody@example.org")}),
    Case("POST", "/account/password", page_only(dict.fromkeys(CALLERS[1:], 422), 400),
         fixed("/account/password"),
         data=lambda w, role: {"current_password": "not the password",
                               "password": "a new long passphrase", "confirm":
                               "a new long passphrase"}),
]


def feedback_path(suffix: str = "") -> Callable[[World, str], str]:
    """A path under the world's participant's 360 feedback, for their tutors."""
    return lambda w, role: (f"/api/v1/cohorts/{w.cohort_id}/participants/{w.user_ids[PART]}"
                            f"/feedback{suffix}")


def rater_link(prefix: str, suffix: str = "") -> Callable[[World, str], str]:
    """The world's rater's link (the token is their only credential)."""
    def url(w: World, role: str) -> str:
        rater = db.session.get(FeedbackRater, w.extra["rater_id"])
        token = link_token(rater)
        db.session.rollback()
        return f"{prefix}/feedback/{token}{suffix}"
    return url


NEW_RATER = {"name": "Pia Peer", "email": "pia.peer@example.org", "group": "peer",
             "phase": "pre"}
# 360 feedback: a participant's own raters and report; their tutors' (and administrators')
# view of them; a rater's link, which answers the same whoever holds it, signed in or not.
CASES += [
    Case("GET", "/api/v1/me/feedback/raters", only({PART: 200}),
         fixed("/api/v1/me/feedback/raters")),
    Case("POST", "/api/v1/me/feedback/raters", only({PART: 201}),
         fixed("/api/v1/me/feedback/raters"), json=lambda w, role: NEW_RATER),
    Case("DELETE", "/api/v1/me/feedback/raters/<id:rater_id>", only({PART: 204}),
         lambda w, role: f"/api/v1/me/feedback/raters/{w.extra['rater_id']}"),
    Case("GET", "/api/v1/me/feedback/report", only({PART: 200}),
         fixed("/api/v1/me/feedback/report?phase=pre")),
    # the world's rounds are open: no PDF yet (tests/feedback lays one out)
    Case("GET", "/api/v1/me/feedback/report.pdf", only({PART: 409}),
         fixed("/api/v1/me/feedback/report.pdf?phase=pre")),
    Case("GET", "/api/v1/cohorts/<id:cohort_id>/participants/<id:user_id>/feedback/"
                "report.pdf", only({TUTOR: 409, ADMIN: 409}), feedback_path("/report.pdf")),
    Case("GET", "/api/v1/cohorts/<id:cohort_id>/participants/<id:user_id>/feedback/raters",
         only({TUTOR: 200, ADMIN: 200}), feedback_path("/raters")),
    Case("POST", "/api/v1/cohorts/<id:cohort_id>/participants/<id:user_id>/feedback/raters",
         only({TUTOR: 201, ADMIN: 201}), feedback_path("/raters"),
         json=lambda w, role: NEW_RATER),
    Case("DELETE", "/api/v1/cohorts/<id:cohort_id>/participants/<id:user_id>/feedback/raters/"
                   "<id:rater_id>", only({TUTOR: 204, ADMIN: 204}),
         lambda w, role: feedback_path(f"/raters/{w.extra['rater_id']}")(w, role)),
    Case("GET", "/api/v1/cohorts/<id:cohort_id>/participants/<id:user_id>/feedback/report",
         only({TUTOR: 200, ADMIN: 200}), feedback_path("/report?phase=post")),
    Case("GET", "/api/v1/feedback/<token>", everyone(200), rater_link("/api/v1")),
    Case("PUT", "/api/v1/feedback/<token>", everyone(200), rater_link("/api/v1"),
         json=lambda w, role: {"ratings": {"SI.1": 4}}),
    Case("POST", "/api/v1/feedback/<token>/submit", everyone(422),  # nothing answered yet
         rater_link("/api/v1", "/submit")),
    Case("POST", "/api/v1/feedback/<token>/withdraw", everyone(204),
         rater_link("/api/v1", "/withdraw")),
    Case("GET", "/feedback/<token>", everyone(200), rater_link("")),
    Case("POST", "/feedback/<token>", {**everyone(302), ANON: 400}, rater_link(""),
         data=lambda w, role: {"SI.1": "4", "action": "save"}),
    Case("GET", "/my-feedback", page_only({PART: 200}), fixed("/my-feedback")),
    Case("GET", "/my-feedback/report/<phase>", page_only({PART: 200}),
         fixed("/my-feedback/report/pre")),
    Case("GET", "/cohorts/<id:cohort_id>/participants/<id:user_id>/feedback/report/<phase>",
         page_only({TUTOR: 200, ADMIN: 200}),
         lambda w, role: f"/cohorts/{w.cohort_id}/participants/{w.user_ids[PART]}"
                         "/feedback/report/post"),
    Case("POST", "/my-feedback", page_only({PART: 422}, 400), fixed("/my-feedback"),
         data=lambda w, role: {"name": ""}),
    Case("POST", "/my-feedback/raters/<id:rater_id>/revoke", page_only({PART: 302}, 400),
         lambda w, role: f"/my-feedback/raters/{w.extra['rater_id']}/revoke"),
    Case("GET", "/cohorts/<id:cohort_id>/participants/<id:user_id>/feedback",
         page_only({TUTOR: 200, ADMIN: 200}),
         lambda w, role: f"/cohorts/{w.cohort_id}/participants/{w.user_ids[PART]}/feedback"),
    Case("POST", "/cohorts/<id:cohort_id>/participants/<id:user_id>/feedback",
         page_only({TUTOR: 422, ADMIN: 422}, 400),
         lambda w, role: f"/cohorts/{w.cohort_id}/participants/{w.user_ids[PART]}/feedback",
         data=lambda w, role: {"name": ""}),
    Case("POST", "/cohorts/<id:cohort_id>/participants/<id:user_id>/feedback/raters/"
                 "<id:rater_id>/revoke", page_only({TUTOR: 302, ADMIN: 302}, 400),
         lambda w, role: f"/cohorts/{w.cohort_id}/participants/{w.user_ids[PART]}/feedback"
                         f"/raters/{w.extra['rater_id']}/revoke"),
]


def unsubscribe_token(user_id: int) -> str:
    """The signed part of a reminder's unsubscribe link for ``user_id``."""
    return unsubscribe_serializer().dumps(user_id)

TABLE = {case.key: case for case in CASES}


def test_every_route_is_in_the_table(app):
    routes = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    missing = sorted(routes - TABLE.keys())
    assert not missing, f"routes with no access decision in the table: {missing}"
    stale = sorted(TABLE.keys() - routes)
    assert not stale, f"table rows for routes that no longer exist: {stale}"


def call(client, world: World, case: Case, caller: str) -> tuple[int, str]:
    """Make the case's request as ``caller``; the status and the start of the body."""
    headers = {} if caller == ANON else dict(world.headers[caller])
    kwargs: dict[str, Any] = {"headers": headers}
    if case.json:
        kwargs["json"] = case.json(world, caller)
    if case.data:
        kwargs["data"] = case.data(world, caller)
    if case.content_type:
        kwargs["content_type"] = case.content_type
    response = client.open(case.url(world, caller), method=case.method, **kwargs)
    body = response.get_data()[:500].decode("utf-8", "replace")  # a PDF is not text
    response.close()  # static files are streamed from an open file
    return response.status_code, body


READS = [case for case in CASES if case.method == "GET"]
WRITES = [case for case in CASES if case.method != "GET"]


@pytest.mark.parametrize("case", [pytest.param(c, marks=pytest.mark.slow if c.slow else ())
                                  for c in READS], ids=[f"{c.method} {c.rule}" for c in READS])
def test_read_access(client, world, case):
    # Reading changes nothing, so every caller asks in the same world (one world per route
    # instead of five keeps the table quick to run).
    answers = {caller: call(client, world, case, caller) for caller in CALLERS}
    wrong = {caller: (status, body[:200]) for caller, (status, body) in answers.items()
             if status != case.expect[caller]}
    assert not wrong, f"expected {case.expect}; got {wrong}"


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("case", WRITES, ids=[f"{c.method} {c.rule}" for c in WRITES])
def test_write_access(client, world, case, caller):
    # A write may change what the next caller would see: each caller gets a fresh world.
    status, body = call(client, world, case, caller)
    assert status == case.expect[caller], body
