"""Exports for other systems: the framework as a CASE package, Moodle CSV or Canvas CSV;
a cohort's activity as xAPI statements."""

from __future__ import annotations

import json

from flask import Response, stream_with_context
from flask_login import current_user
from marshmallow import Schema, fields

from lms import access
from lms.cohorts.models import Cohort
from lms.core.extensions import db
from lms.interop import personal, xapi
from lms.interop.framework_export import FILE_NAMES, MIMETYPES, export_framework
from lms.web.api import Blueprint
from lms.web.guards import guard, throttled

blp = Blueprint("interop", __name__,
                description="The framework in the formats of other learning systems.")

EXPORT_RESPONSES = {
    "200": {"description": "The framework: a CASE 1.0 package (JSON), or a CSV file to import "
                           "into Moodle (competency frameworks) or Canvas (outcomes).",
            "content": {"application/json": {"schema": {"type": "object"}},
                        "text/csv": {"schema": {"type": "string"}}}},
}


class ExportOptionsSchema(Schema):
    """What an administrator may choose about an export."""

    idnumber = fields.String(metadata={
        "description": "moodle: the framework's ID number (default: the slug and edition, "
                       "e.g. lehc-july-2012), so a later edition imports beside the first."})
    guid_prefix = fields.String(metadata={
        "description": "canvas: the start of every vendor GUID (default: the slug); a new "
                       "prefix imports as separate outcomes, e.g. into another sub-account."})


def attachment(text: str, fmt: str, name: str) -> Response:
    """An export as a file to save."""
    return Response(text, mimetype=MIMETYPES[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@blp.get("/framework/export/<any(case, moodle, canvas):fmt>")
@throttled(blp)
@blp.arguments(ExportOptionsSchema, location="query")
@blp.doc(responses=EXPORT_RESPONSES)
@blp.alt_response(404, response="DEFAULT_ERROR", description="No framework is loaded yet.")
def get_framework_export(options: dict, fmt: str):
    """The framework for another system: `case`, `moodle` or `canvas` (public, like the
    framework itself)."""
    text = export_framework(fmt, idnumber=options.get("idnumber"),
                            guid_prefix=options.get("guid_prefix"))
    return attachment(text, fmt, FILE_NAMES[fmt])


@blp.get("/framework/export/case/<string(maxlength=64):framework>")
@throttled(blp)
@blp.doc(responses=EXPORT_RESPONSES)
@blp.alt_response(404, response="DEFAULT_ERROR",
                  description="No framework is loaded yet, or none has this code.")
def get_linked_framework_case(framework: str):
    """A framework as its own CASE package: this framework by its slug, or a framework it
    links to by its code (`nhs-lf`, `lqf`, `hay-ccg`), whose headings the themes'
    associations point at."""
    return attachment(export_framework("case", which=framework), "case",
                      f"framework-{framework}-case.json")


@blp.get("/me/export")
@guard(blp)
@blp.doc(responses={"200": {"description": "Everything held about you, table by table.",
                            "content": {"application/json": {"schema": {"type": "object"}}}}})
def get_my_data():
    """Everything this service holds about you (your right of access), as JSON."""
    return Response(json.dumps(personal.person_export(current_user), ensure_ascii=False),
                    mimetype="application/json", headers={
                        "Cache-Control": "no-store",
                        "Content-Disposition": 'attachment; filename="my-data.json"'})


XAPI_RESPONSES = {
    "200": {"description": "xAPI 1.0.3 statements, one JSON object per line.",
            "content": {"application/x-ndjson": {"schema": {"type": "string"}}}},
}


@blp.get("/cohorts/<id:cohort_id>/xapi")
@guard(blp)
@blp.doc(responses=XAPI_RESPONSES)
@blp.alt_response(404, response="DEFAULT_ERROR", description="Not found, or not yours to see.")
def get_cohort_xapi(cohort_id: int):
    """What the cohort's participants did, as xAPI statements (tutors and administrators)."""
    access.cohort_for(current_user, cohort_id, "individuals")

    def lines():
        # Streamed after the view returns, when its session has been committed and closed:
        # the cohort is read again in the session the stream runs in.
        cohort = db.session.get(Cohort, cohort_id)
        for entry in xapi.cohort_statements(cohort):
            yield json.dumps(entry, separators=(",", ":")) + "\n"

    return Response(stream_with_context(lines()), mimetype="application/x-ndjson",
                    headers={"Cache-Control": "no-store"})
