"""What the messaging API accepts and returns."""

from marshmallow import Schema, fields, validate

from lms.core.schemas import PageQuery, Text
from lms.messaging.cohort_messages import AUDIENCES, MAX_BODY, MAX_SUBJECT
from lms.messaging.models import KINDS, STATUSES


class MessageSchema(Schema):
    """One message sent (or to be sent) to one person: never what it says."""

    id = fields.Integer()
    to = fields.String(attribute="to_address")
    user_id = fields.Integer(allow_none=True, metadata={
        "description": "The person it goes to; null for a 360 rater, who has no account."})
    kind = fields.String(validate=validate.OneOf(KINDS))
    status = fields.String(validate=validate.OneOf(STATUSES))
    attempts = fields.Integer()
    created_at = fields.DateTime()
    sent_at = fields.DateTime(allow_none=True)
    next_attempt_at = fields.DateTime()
    error = fields.String(allow_none=True, metadata={
        "description": "Why the last attempt failed, as the server or the template said."})


class MessageQuerySchema(PageQuery):
    """Filters for the list of messages."""

    kind = fields.String(validate=validate.OneOf(KINDS))
    status = fields.String(validate=validate.OneOf(STATUSES))
    to = Text(max_length=320, metadata={"description": "An e-mail address."})


class CohortMessageCreateSchema(Schema):
    """A message to (part of) a cohort."""

    subject = Text(required=True, min_length=1, max_length=MAX_SUBJECT,
                   metadata={"description": "One line."})
    body = Text(required=True, min_length=1, max_length=MAX_BODY)
    to = fields.String(required=True, validate=validate.OneOf(AUDIENCES))


class AudienceQuerySchema(Schema):
    """Whom a cohort message would go to."""

    to = fields.String(required=True, validate=validate.OneOf(AUDIENCES))


class AudienceSchema(Schema):
    """How many people an audience is now."""

    to = fields.String()
    recipients = fields.Integer()


class CohortMessageSchema(Schema):
    """A message written to a cohort, and how many it went to."""

    id = fields.Integer()
    cohort_id = fields.Integer()
    to = fields.String(attribute="audience")
    subject = fields.String()
    created_at = fields.DateTime()
    recipients = fields.Integer()
