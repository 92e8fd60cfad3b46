"""The audit log, read by administrators."""

from __future__ import annotations

from marshmallow import Schema, fields

from lms.audit.service import events_query
from lms.core.schemas import PageQuery, Text, page_of, page_schema
from lms.web.api import Blueprint
from lms.web.guards import guard

blp = Blueprint("audit", __name__, description="Who did what, when (administrators).")


class AuditEventSchema(Schema):
    """One audited event."""

    id = fields.Integer()
    at = fields.DateTime()
    actor_id = fields.Integer(allow_none=True)
    actor = fields.String()
    action = fields.String()
    target_type = fields.String(allow_none=True)
    target_id = fields.Integer(allow_none=True)
    details = fields.Dict()
    ip = fields.String(allow_none=True)


class AuditQuerySchema(PageQuery):
    """Filters for the audit log."""

    action = Text(max_length=64, metadata={"description": "e.g. auth.sign_in_failed"})
    actor = Text(max_length=320, metadata={"description": "An e-mail address."})


@blp.get("/audit")
@guard(blp, "admin")
@blp.arguments(AuditQuerySchema, location="query")
@blp.response(200, page_schema(AuditEventSchema, "AuditPage"))
def list_audit_events(query):
    """Audited events, newest first, a page at a time."""
    return page_of(events_query(query.get("action"), query.get("actor")), query["page"],
                   query["per_page"])
