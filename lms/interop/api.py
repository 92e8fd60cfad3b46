"""Exports for other systems: the framework as a CASE package, Moodle CSV or Canvas CSV."""

from __future__ import annotations

from flask import Response
from flask_smorest import Blueprint

from lms.accounts.auth import throttled
from lms.interop.framework_export import FILE_NAMES, MIMETYPES, export_framework

blp = Blueprint("interop", __name__,
                description="The framework in the formats of other learning systems.")

EXPORT_RESPONSES = {
    "200": {"description": "The framework: a CASE 1.0 package (JSON), or a CSV file to import "
                           "into Moodle (competency frameworks) or Canvas (outcomes).",
            "content": {"application/json": {"schema": {"type": "object"}},
                        "text/csv": {"schema": {"type": "string"}}}},
}


@blp.get("/framework/export/<any(case, moodle, canvas):fmt>")
@throttled(blp)
@blp.doc(responses=EXPORT_RESPONSES)
@blp.alt_response(404, response="DEFAULT_ERROR", description="No framework is loaded yet.")
def get_framework_export(fmt: str):
    """The framework for another system: `case`, `moodle` or `canvas` (public, like the
    framework itself)."""
    return Response(export_framework(fmt), mimetype=MIMETYPES[fmt], headers={
        "Content-Disposition": f'attachment; filename="{FILE_NAMES[fmt]}"'})
