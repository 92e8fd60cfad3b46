"""Self-ratings API: your assessments, and your cohorts' for tutors and administrators."""

from __future__ import annotations

from flask_login import current_user

from lms import access
from lms.core.extensions import person_writes
from lms.core.schemas import CohortQuerySchema
from lms.ratings import importer, service
from lms.ratings.schemas import (
    AnswersSchema,
    AssessmentSchema,
    CohortAssessmentsSchema,
    ImportResultSchema,
    MyAssessmentsSchema,
    ParticipantAssessmentSchema,
    ReopenSchema,
)
from lms.web.api import NOT_FOUND, Blueprint
from lms.web.guards import guard
from lms.web.uploads import csv_request_body, uploaded_csv

blp = Blueprint("ratings", __name__,
                description="Self-ratings before (pre), after (post) and looking back (then).")

CLOSED = {"response": "DEFAULT_ERROR",
          "description": "Outside the phase's window (the message gives its dates), or "
                         "already submitted."}


@blp.get("/me/assessments")
@guard(blp, "participant")
@blp.arguments(CohortQuerySchema, location="query")
@blp.response(200, MyAssessmentsSchema)
@blp.alt_response(404, **NOT_FOUND)
def list_my_assessments(query):
    """Every phase with its window, whether it is open, its status and progress."""
    return service.my_assessments(current_user, query.get("cohort"))


@blp.get("/me/assessments/<phase>")
@guard(blp, "participant")
@blp.arguments(CohortQuerySchema, location="query")
@blp.response(200, AssessmentSchema)
@blp.alt_response(404, **NOT_FOUND)
def get_my_assessment(query, phase: str):
    """One phase: the behaviours you are asked to rate, the scale, and your answers so far."""
    return service.assessment_view(current_user, phase, query.get("cohort"))


@blp.put("/me/assessments/<phase>")
@guard(blp, "participant")
@person_writes
@blp.arguments(CohortQuerySchema, location="query")
@blp.arguments(AnswersSchema)
@blp.response(200, AssessmentSchema)
@blp.alt_response(404, **NOT_FOUND)
@blp.alt_response(409, **CLOSED)
def put_my_assessment(query, body, phase: str):
    """Save any subset of your answers as a draft: a point of the scale, or "na"."""
    service.save_draft(current_user, phase, body["ratings"], query.get("cohort"))
    return service.assessment_view(current_user, phase, query.get("cohort"))


@blp.post("/me/assessments/<phase>/submit")
@guard(blp, "participant")
@blp.arguments(CohortQuerySchema, location="query")
@blp.response(200, AssessmentSchema)
@blp.alt_response(404, **NOT_FOUND)
@blp.alt_response(409, **CLOSED)
def submit_my_assessment(query, phase: str):
    """Submit your answers; every behaviour you are asked needs one. It is then locked."""
    service.submit(current_user, phase, query.get("cohort"))
    return service.assessment_view(current_user, phase, query.get("cohort"))


@blp.get("/cohorts/<id:cohort_id>/assessments")
@guard(blp)
@blp.response(200, CohortAssessmentsSchema)
@blp.alt_response(404, **NOT_FOUND)
def get_cohort_assessments(cohort_id: int):
    """Who has submitted which phase, who has a draft, and who has not started (tutors)."""
    return service.cohort_assessments(access.cohort_for(current_user, cohort_id, "individuals"))


@blp.get("/cohorts/<id:cohort_id>/assessments/<id:user_id>/<phase>")
@guard(blp)
@blp.response(200, ParticipantAssessmentSchema)
@blp.alt_response(404, **NOT_FOUND)
def get_participant_assessment(cohort_id: int, user_id: int, phase: str):
    """A participant's answers for one phase (tutors)."""
    cohort = access.cohort_for(current_user, cohort_id, "individuals")
    return service.participant_assessment(cohort, user_id, phase)


@blp.post("/cohorts/<id:cohort_id>/assessments/<id:user_id>/<phase>/reopen")
@guard(blp)
@blp.arguments(ReopenSchema)
@blp.response(200, ParticipantAssessmentSchema)
@blp.alt_response(404, **NOT_FOUND)
@blp.alt_response(409, response="DEFAULT_ERROR", description="It is not submitted.")
@blp.alt_response(422, response="DEFAULT_ERROR",
                  description="The window has closed and no closes_on was given, or "
                              "closes_on is in the past.")
def reopen_assessment(body, cohort_id: int, user_id: int, phase: str):
    """Reopen a submitted assessment so the participant can correct it, with a new closing
    date for them once the window has closed (tutors; audited; the participant is told)."""
    cohort = access.cohort_for(current_user, cohort_id, "individuals")
    service.reopen(cohort, user_id, phase, body["reason"], body["closes_on"])
    return service.participant_assessment(cohort, user_id, phase)


RATINGS_BODY = csv_request_body(
    "Ratings as CSV with the header `email,phase,behaviour,value` (`value` a point of the "
    "scale or `na`), as the body (text/csv) or the form field `file`.")


@blp.post("/cohorts/<id:cohort_id>/ratings/import")
@guard(blp)
@blp.doc(requestBody=RATINGS_BODY)
@blp.response(200, ImportResultSchema)
@blp.alt_response(404, **NOT_FOUND)
@blp.alt_response(422, response="DEFAULT_ERROR",
                  description="A bad row: errors.rows lists every one by number and reason.")
def import_ratings(cohort_id: int):
    """Import ratings collected elsewhere as submitted assessments: all rows or none
    (administrators; not bound by the windows)."""
    cohort = access.cohort_for(current_user, cohort_id, "manage")
    return importer.import_ratings(cohort, uploaded_csv("ratings file"))
