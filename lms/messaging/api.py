"""The messaging API: what was sent (administrators) and writing to a cohort (its tutors and
administrators)."""

from __future__ import annotations

from flask_login import current_user

from lms import access
from lms.core.schemas import page_of, page_schema
from lms.messaging import cohort_messages
from lms.messaging.schemas import (
    AudienceQuerySchema,
    AudienceSchema,
    CohortMessageCreateSchema,
    CohortMessageSchema,
    MessageQuerySchema,
    MessageSchema,
)
from lms.messaging.service import messages_query
from lms.web.api import NOT_FOUND, Blueprint
from lms.web.guards import guard

blp = Blueprint("messaging", __name__,
                description="E-mail: what was sent, and messages to a cohort.")


@blp.get("/messages")
@guard(blp, "admin")
@blp.arguments(MessageQuerySchema, location="query")
@blp.response(200, page_schema(MessageSchema, "MessagePage"))
def list_messages(query):
    """Every message, newest first: to whom, what kind, its state and when (never what it
    says)."""
    return page_of(messages_query(query.get("kind"), query.get("status"), query.get("to")),
                   query["page"], query["per_page"])


@blp.get("/cohorts/<id:cohort_id>/messages/audience")
@guard(blp, "tutor", "admin")
@blp.arguments(AudienceQuerySchema, location="query")
@blp.response(200, AudienceSchema)
@blp.alt_response(404, **NOT_FOUND)
def count_audience(query, cohort_id: int):
    """How many people a message to this audience would reach now (the form's preview)."""
    cohort = access.cohort_for(current_user, cohort_id, "individuals")
    return {"to": query["to"],
            "recipients": len(cohort_messages.recipients(cohort, query["to"]))}


@blp.post("/cohorts/<id:cohort_id>/messages")
@guard(blp, "tutor", "admin")
@blp.arguments(CohortMessageCreateSchema)
@blp.response(201, CohortMessageSchema)
@blp.alt_response(404, **NOT_FOUND)
def send_cohort_message(body, cohort_id: int):
    """Write to the cohort's participants: all, those at risk, or those who have not
    submitted a phase (`not_submitted:pre`); each gets their own e-mail."""
    cohort = access.cohort_for(current_user, cohort_id, "individuals")
    return cohort_messages.send_to_cohort(cohort, current_user._get_current_object(),
                                          body["subject"], body["body"], body["to"])
