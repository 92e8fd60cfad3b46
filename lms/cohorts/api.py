"""Programme and cohort API: programmes, organisations, cohorts, enrolments, sponsors, rosters."""

from __future__ import annotations

import sqlalchemy as sa
from flask import g
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from lms import access
from lms.accounts import service as accounts
from lms.accounts.schemas import MeSchema, PreferencesSchema
from lms.accounts.service import get_user
from lms.cohorts import roster, service
from lms.cohorts.models import Cohort, Organisation
from lms.cohorts.schemas import (
    CohortCreateSchema,
    CohortSchema,
    CohortUpdateSchema,
    EnrolmentCreateSchema,
    EnrolmentSchema,
    OrganisationSchema,
    OrganisationUpdateSchema,
    ProgrammeSchema,
    ProgrammeUpdateSchema,
    RosterResultSchema,
    SponsorCreateSchema,
    SponsorSchema,
)
from lms.core.extensions import db
from lms.web.api import NOT_FOUND, Blueprint
from lms.web.guards import guard
from lms.web.uploads import csv_request_body, uploaded_csv

blp = Blueprint("cohorts", __name__,
                description="The programme, organisations, cohorts, enrolments and sponsors.")

COHORT_FIELDS = ("id", "programme_id", "name", "starts_on", "ends_on", "status",
                 "pre_opens_on", "pre_closes_on", "post_opens_on", "post_closes_on",
                 "feedback_pre_opens_on", "feedback_pre_closes_on", "feedback_post_opens_on",
                 "feedback_post_closes_on")


def with_counts(cohorts: list[Cohort]) -> list[dict]:
    """Cohorts with their head counts, counted in one query."""
    counts = service.cohort_head_counts([c.id for c in cohorts])
    return [{**{name: getattr(c, name) for name in COHORT_FIELDS}, **counts[c.id]}
            for c in cohorts]


# --- you -----------------------------------------------------------------------------------

@blp.get("/me")
@guard(blp)
@blp.response(200, MeSchema)
def get_me():
    """Who you are, the cohorts you are in, what you sponsor, and your e-mail preferences."""
    return me_of(current_user._get_current_object())


@blp.patch("/me")
@guard(blp)
@blp.arguments(PreferencesSchema, required=False)
@blp.response(200, MeSchema)
def update_me(body):
    """Change your e-mail preferences: reminders on or off, the weekly digest (tutors), the
    language you want to be written to in."""
    user = current_user._get_current_object()
    accounts.update_preferences(user, **body)
    return me_of(user)


def me_of(user) -> dict:
    """The answer of /me for ``user``."""
    return {
        "id": user.id, "email": user.email, "display_name": user.display_name,
        "role": user.role, "email_reminders": user.email_reminders,
        "weekly_digest": user.weekly_digest, "language": user.language,
        "enrolments": service.enrolments_of(user),
        "sponsorships": service.sponsorships_of(user),
        "csrf_token": generate_csrf() if g.get("auth_method") == "session" else None,
    }


# --- programmes ----------------------------------------------------------------------------

@blp.get("/programmes")
@guard(blp)
@blp.response(200, ProgrammeSchema(many=True))
def list_programmes():
    """The programmes you have a part in."""
    return db.session.scalars(access.visible_programmes(current_user)).all()


@blp.get("/programmes/<id:programme_id>")
@guard(blp)
@blp.response(200, ProgrammeSchema)
@blp.alt_response(404, **NOT_FOUND)
def get_programme(programme_id: int):
    """One programme, with its rating scale and minimum group size."""
    return access.programme_for(current_user, programme_id)


@blp.patch("/programmes/<id:programme_id>")
@guard(blp, "admin")
@blp.arguments(ProgrammeUpdateSchema, required=False)
@blp.response(200, ProgrammeSchema)
@blp.alt_response(404, **NOT_FOUND)
def update_programme(body, programme_id: int):
    """Change the programme's name, description or minimum group size."""
    return service.update_programme(access.programme_for(current_user, programme_id, "manage"),
                                    body)


@blp.get("/programmes/<id:programme_id>/sponsors")
@guard(blp, "admin")
@blp.response(200, SponsorSchema(many=True))
@blp.alt_response(404, **NOT_FOUND)
def list_programme_sponsors(programme_id: int):
    """The sponsors of the whole programme."""
    return service.list_sponsors(programme=service.get_programme(programme_id))


@blp.post("/programmes/<id:programme_id>/sponsors")
@guard(blp, "admin")
@blp.arguments(SponsorCreateSchema)
@blp.response(201, SponsorSchema)
@blp.alt_response(404, **NOT_FOUND)
def add_programme_sponsor(body, programme_id: int):
    """Make a sponsor a sponsor of the whole programme (every cohort in it)."""
    programme = service.get_programme(programme_id)
    return service.add_sponsor(get_user(body["user_id"]), programme=programme)


@blp.delete("/programmes/<id:programme_id>/sponsors/<id:user_id>")
@guard(blp, "admin")
@blp.response(204)
@blp.alt_response(404, **NOT_FOUND)
def remove_programme_sponsor(programme_id: int, user_id: int):
    """End a sponsor's sponsorship of the programme."""
    service.remove_sponsor(user_id, programme=service.get_programme(programme_id))


# --- organisations -------------------------------------------------------------------------

@blp.get("/organisations")
@guard(blp, "admin")
@blp.response(200, OrganisationSchema(many=True))
def list_organisations():
    """Every organisation, by name."""
    return db.session.scalars(sa.select(Organisation).order_by(Organisation.name_key)).all()


@blp.post("/organisations")
@guard(blp, "admin")
@blp.arguments(OrganisationSchema)
@blp.response(201, OrganisationSchema)
@blp.alt_response(409, response="DEFAULT_ERROR", description="The name is taken.")
def create_organisation(body):
    """Add an organisation."""
    return service.create_organisation(body["name"], body["type"], body["sector"])


@blp.get("/organisations/<id:organisation_id>")
@guard(blp, "admin")
@blp.response(200, OrganisationSchema)
@blp.alt_response(404, **NOT_FOUND)
def get_organisation(organisation_id: int):
    """One organisation."""
    return service.get_organisation(organisation_id)


@blp.patch("/organisations/<id:organisation_id>")
@guard(blp, "admin")
@blp.arguments(OrganisationUpdateSchema, required=False)
@blp.response(200, OrganisationSchema)
@blp.alt_response(404, **NOT_FOUND)
@blp.alt_response(409, response="DEFAULT_ERROR", description="The name is taken.")
def update_organisation(body, organisation_id: int):
    """Rename an organisation or correct its type or sector."""
    return service.update_organisation(service.get_organisation(organisation_id), body)


# --- cohorts -------------------------------------------------------------------------------

@blp.get("/cohorts")
@guard(blp)
@blp.response(200, CohortSchema(many=True))
def list_cohorts():
    """The cohorts you have a part in (all of them, for administrators)."""
    return with_counts(db.session.scalars(access.visible_cohorts(current_user)).all())


@blp.post("/cohorts")
@guard(blp, "admin")
@blp.arguments(CohortCreateSchema)
@blp.response(201, CohortSchema)
@blp.alt_response(409, response="DEFAULT_ERROR", description="The name is taken.")
def create_cohort(body):
    """Create a cohort."""
    return with_counts([service.create_cohort(**body)])[0]


@blp.get("/cohorts/<id:cohort_id>")
@guard(blp)
@blp.response(200, CohortSchema)
@blp.alt_response(404, **NOT_FOUND)
def get_cohort(cohort_id: int):
    """One cohort, with how many participants and tutors it has."""
    return with_counts([access.cohort_for(current_user, cohort_id)])[0]


@blp.patch("/cohorts/<id:cohort_id>")
@guard(blp)
@blp.arguments(CohortUpdateSchema, required=False)
@blp.response(200, CohortSchema)
@blp.alt_response(404, **NOT_FOUND)
@blp.alt_response(409, response="DEFAULT_ERROR", description="The name is taken.")
def update_cohort(body, cohort_id: int):
    """Change a cohort's name, dates or status (administrators)."""
    cohort = access.cohort_for(current_user, cohort_id, "manage")
    return with_counts([service.update_cohort(cohort, body)])[0]


@blp.get("/cohorts/<id:cohort_id>/enrolments")
@guard(blp)
@blp.response(200, EnrolmentSchema(many=True))
@blp.alt_response(404, **NOT_FOUND)
def list_enrolments(cohort_id: int):
    """The cohort's tutors and participants (its tutors and administrators only)."""
    return service.list_enrolments(access.cohort_for(current_user, cohort_id, "individuals"))


@blp.post("/cohorts/<id:cohort_id>/enrolments")
@guard(blp)
@blp.arguments(EnrolmentCreateSchema)
@blp.response(201, EnrolmentSchema)
@blp.alt_response(404, **NOT_FOUND)
@blp.alt_response(409, response="DEFAULT_ERROR", description="Already enrolled.")
def create_enrolment(body, cohort_id: int):
    """Enrol an existing user as a participant or tutor (administrators)."""
    cohort = access.cohort_for(current_user, cohort_id, "manage")
    organisation = (service.get_organisation(body["organisation_id"])
                    if body["organisation_id"] else None)
    level = service.leadership_level(body["leadership_level"]) if body["leadership_level"] else None
    return service.enrol(cohort, get_user(body["user_id"]), body["role"], organisation, level)


@blp.delete("/cohorts/<id:cohort_id>/enrolments/<id:user_id>")
@guard(blp)
@blp.response(204)
@blp.alt_response(404, **NOT_FOUND)
def delete_enrolment(cohort_id: int, user_id: int):
    """Take a person out of the cohort (administrators)."""
    service.withdraw(access.cohort_for(current_user, cohort_id, "manage"), user_id)


@blp.get("/cohorts/<id:cohort_id>/sponsors")
@guard(blp)
@blp.response(200, SponsorSchema(many=True))
@blp.alt_response(404, **NOT_FOUND)
def list_cohort_sponsors(cohort_id: int):
    """The sponsors of this cohort alone (not those of the whole programme)."""
    return service.list_sponsors(cohort=access.cohort_for(current_user, cohort_id, "manage"))


@blp.post("/cohorts/<id:cohort_id>/sponsors")
@guard(blp)
@blp.arguments(SponsorCreateSchema)
@blp.response(201, SponsorSchema)
@blp.alt_response(404, **NOT_FOUND)
def add_cohort_sponsor(body, cohort_id: int):
    """Make a sponsor a sponsor of this cohort (administrators)."""
    cohort = access.cohort_for(current_user, cohort_id, "manage")
    return service.add_sponsor(get_user(body["user_id"]), cohort=cohort)


@blp.delete("/cohorts/<id:cohort_id>/sponsors/<id:user_id>")
@guard(blp)
@blp.response(204)
@blp.alt_response(404, **NOT_FOUND)
def remove_cohort_sponsor(cohort_id: int, user_id: int):
    """End a sponsor's sponsorship of this cohort (administrators)."""
    service.remove_sponsor(user_id, cohort=access.cohort_for(current_user, cohort_id, "manage"))


ROSTER_BODY = csv_request_body(
    "The roster as CSV with the header `" + ",".join(roster.HEADER) + "`, sent as the body "
    "(text/csv) or as the form field `file` (multipart/form-data).")


@blp.post("/cohorts/<id:cohort_id>/roster")
@guard(blp)
@blp.doc(requestBody=ROSTER_BODY)
@blp.response(200, RosterResultSchema)
@blp.alt_response(404, **NOT_FOUND)
@blp.alt_response(422, response="DEFAULT_ERROR",
                  description="A bad row: errors.rows lists every one by number and reason.")
def import_roster(cohort_id: int):
    """Import people into the cohort from CSV: all rows or none (administrators). Each new
    person is e-mailed an invitation; importing the same file again sends nothing."""
    cohort = access.cohort_for(current_user, cohort_id, "manage")
    result = roster.import_roster(cohort, uploaded_csv("roster"))
    return {
        "created_users": [user for user, _link in result.created_users],
        "enrolled": result.enrolled, "updated": result.updated, "unchanged": result.unchanged,
        "sponsors_added": result.sponsors_added,
        "organisations_created": result.organisations_created,
    }
