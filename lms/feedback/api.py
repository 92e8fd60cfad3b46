"""360 feedback API: participants and tutors ask raters; a rater's link answers; the report."""

from __future__ import annotations

from flask import Response
from flask_login import current_user

from lms import access
from lms.core.schemas import CohortQuerySchema
from lms.feedback import (
    mail,  # noqa: F401  (registers the raters' e-mails)
    pdf,
    report,
    service,
)
from lms.feedback.schemas import (
    FeedbackAnswersSchema,
    FeedbackReportSchema,
    MyReportQuerySchema,
    RaterFormSchema,
    RaterInputSchema,
    RaterListSchema,
    RaterSchema,
    ReportQuerySchema,
)
from lms.ratings.service import participant_enrolment
from lms.web.api import NOT_FOUND, Blueprint
from lms.web.guards import guard, throttled

blp = Blueprint("feedback", __name__,
                description="360-degree feedback: raters, their answers, and the report.")

CLOSED = {"response": "DEFAULT_ERROR",
          "description": "The round is not open, or the answers are already submitted."}
GONE = {"response": "DEFAULT_ERROR",
        "description": "The link was taken back or withdrawn, or its round has closed."}


def rater_list(cohort, participant_id: int) -> dict:
    """Everyone asked about a participant, as the API gives them."""
    return {"cohort_id": cohort.id, "participant_id": participant_id,
            "raters": [service.rater_json(r) for r in service.raters_of(cohort, participant_id)]}


def my_cohort(query: dict):
    """The caller's cohort as a participant."""
    return participant_enrolment(current_user, query.get("cohort")).cohort


def tutors_cohort(cohort_id: int):
    """A cohort whose individuals the caller may see (its tutors, administrators)."""
    return access.cohort_for(current_user, cohort_id, "individuals")


# --- a participant's own raters ------------------------------------------------------------

@blp.get("/me/feedback/raters")
@guard(blp, "participant")
@blp.arguments(CohortQuerySchema, location="query")
@blp.response(200, RaterListSchema)
@blp.alt_response(404, **NOT_FOUND)
def list_my_raters(query):
    """Everyone you asked for feedback, and whether they have answered (never what)."""
    return rater_list(my_cohort(query), current_user.id)


@blp.post("/me/feedback/raters")
@guard(blp, "participant")
@blp.arguments(CohortQuerySchema, location="query")
@blp.arguments(RaterInputSchema)
@blp.response(201, RaterSchema)
@blp.alt_response(404, **NOT_FOUND)
@blp.alt_response(409, response="DEFAULT_ERROR",
                  description="Already asked, too many raters, or the round has closed.")
def add_my_rater(query, body):
    """Ask someone for feedback; they are sent an invitation with a link of their own."""
    rater = service.nominate(my_cohort(query), current_user.id, current_user, **body)
    return service.rater_json(rater)


@blp.delete("/me/feedback/raters/<id:rater_id>")
@guard(blp, "participant")
@blp.arguments(CohortQuerySchema, location="query")
@blp.response(204)
@blp.alt_response(404, **NOT_FOUND)
@blp.alt_response(409, response="DEFAULT_ERROR", description="They have already answered.")
def revoke_my_rater(query, rater_id: int):
    """Take an invitation back (before they answer): their link stops working."""
    service.revoke(my_cohort(query), current_user.id, rater_id, current_user)


@blp.get("/me/feedback/report")
@guard(blp, "participant")
@blp.arguments(MyReportQuerySchema, location="query")
@blp.response(200, FeedbackReportSchema)
@blp.alt_response(404, **NOT_FOUND)
def get_my_feedback_report(query):
    """Your 360 report for a round (once it has closed): yourself beside each group."""
    return report.feedback_report(my_cohort(query), current_user.id, query["phase"])


PDF_RESPONSE = {"200": {"description": "The 360 report as a tagged A4 PDF (PDF/UA-1).",
                        "content": {"application/pdf": {"schema": {"type": "string",
                                                                   "format": "binary"}}}}}


def pdf_answer(cohort, user_id: int, phase: str, own: bool) -> Response:
    """A report's PDF as a download."""
    result = report.feedback_report(cohort, user_id, phase)
    response = Response(pdf.report_pdf(result, cohort, own), mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="360-report-{user_id}-{phase}.pdf"')
    return response


@blp.get("/me/feedback/report.pdf")
@guard(blp, "participant")
@blp.arguments(MyReportQuerySchema, location="query")
@blp.doc(responses=PDF_RESPONSE)
@blp.alt_response(404, **NOT_FOUND)
@blp.alt_response(409, response="DEFAULT_ERROR", description="The round has not closed.")
def get_my_feedback_report_pdf(query):
    """Your 360 report for a closed round, as a PDF."""
    return pdf_answer(my_cohort(query), current_user.id, query["phase"], own=True)


# --- a tutor's view of a participant's raters --------------------------------------------

PARTICIPANT = "/cohorts/<id:cohort_id>/participants/<id:user_id>/feedback"


@blp.get(f"{PARTICIPANT}/raters")
@guard(blp)
@blp.response(200, RaterListSchema)
@blp.alt_response(404, **NOT_FOUND)
def list_participant_raters(cohort_id: int, user_id: int):
    """Everyone asked about a participant (their tutors and administrators)."""
    return rater_list(tutors_cohort(cohort_id), user_id)


@blp.post(f"{PARTICIPANT}/raters")
@guard(blp)
@blp.arguments(RaterInputSchema)
@blp.response(201, RaterSchema)
@blp.alt_response(404, **NOT_FOUND)
@blp.alt_response(409, response="DEFAULT_ERROR",
                  description="Already asked, too many raters, or the round has closed.")
def add_participant_rater(body, cohort_id: int, user_id: int):
    """Ask someone for feedback on a participant (their tutors and administrators)."""
    rater = service.nominate(tutors_cohort(cohort_id), user_id, current_user, **body)
    return service.rater_json(rater)


@blp.delete(f"{PARTICIPANT}/raters/<id:rater_id>")
@guard(blp)
@blp.response(204)
@blp.alt_response(404, **NOT_FOUND)
@blp.alt_response(409, response="DEFAULT_ERROR", description="They have already answered.")
def revoke_participant_rater(cohort_id: int, user_id: int, rater_id: int):
    """Take an invitation back before the rater answers."""
    service.revoke(tutors_cohort(cohort_id), user_id, rater_id, current_user)


@blp.get(f"{PARTICIPANT}/report")
@guard(blp)
@blp.arguments(ReportQuerySchema, location="query")
@blp.response(200, FeedbackReportSchema)
@blp.alt_response(404, **NOT_FOUND)
def get_participant_feedback_report(query, cohort_id: int, user_id: int):
    """A participant's 360 report for a round (their tutors and administrators)."""
    return report.feedback_report(tutors_cohort(cohort_id), user_id, query["phase"])


@blp.get(f"{PARTICIPANT}/report.pdf")
@guard(blp)
@blp.arguments(ReportQuerySchema, location="query")
@blp.doc(responses=PDF_RESPONSE)
@blp.alt_response(404, **NOT_FOUND)
@blp.alt_response(409, response="DEFAULT_ERROR", description="The round has not closed.")
def get_participant_feedback_report_pdf(query, cohort_id: int, user_id: int):
    """A participant's 360 report for a closed round, as a PDF (their tutors)."""
    return pdf_answer(tutors_cohort(cohort_id), user_id, query["phase"], own=False)


# --- a rater's link: the token is the only credential ------------------------------------

TOKEN = "/feedback/<token>"  # noqa: S105  (a route, not a password)


@blp.get(TOKEN)
@throttled(blp)
@blp.doc(security=[])
@blp.response(200, RaterFormSchema)
@blp.alt_response(404, **NOT_FOUND)
@blp.alt_response(410, **GONE)
def get_feedback_form(token: str):
    """What the rater is asked, and their answers so far (none once submitted)."""
    return service.rater_view(service.rater_by_token(token))


@blp.put(TOKEN)
@throttled(blp)
@blp.doc(security=[])
@blp.arguments(FeedbackAnswersSchema)
@blp.response(200, RaterFormSchema)
@blp.alt_response(404, **NOT_FOUND)
@blp.alt_response(409, **CLOSED)
@blp.alt_response(410, **GONE)
def put_feedback(body, token: str):
    """Save any of the rater's answers and comments as a draft."""
    rater = service.rater_by_token(token)
    service.save(rater, body["ratings"], body["comments"])
    return service.rater_view(rater)


@blp.post(f"{TOKEN}/submit")
@throttled(blp)
@blp.doc(security=[])
@blp.response(200, RaterFormSchema)
@blp.alt_response(404, **NOT_FOUND)
@blp.alt_response(409, **CLOSED)
@blp.alt_response(410, **GONE)
def submit_feedback(token: str):
    """Submit the rater's answers (each behaviour a point or "not_observed"), once."""
    rater = service.rater_by_token(token)
    service.submit(rater)
    return service.rater_view(rater)


@blp.post(f"{TOKEN}/withdraw")
@throttled(blp)
@blp.doc(security=[])
@blp.response(204)
@blp.alt_response(404, **NOT_FOUND)
@blp.alt_response(409, **CLOSED)
@blp.alt_response(410, **GONE)
def withdraw_feedback(token: str):
    """Withdraw everything the rater gave, while the round is open; the link then ends."""
    service.withdraw(service.rater_by_token(token))
