"""CSV files sent to the API: as the request body (text/csv) or as the form field ``file``."""

from __future__ import annotations

from typing import Any

from flask import request

from lms.core.errors import Invalid

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
CSV_TYPES = ("text/csv", "text/plain", "application/csv")


def csv_request_body(description: str) -> dict[str, Any]:
    """The OpenAPI request body of a route that takes a CSV file either way."""
    return {
        "required": True,
        "description": description,
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "multipart/form-data": {
                "schema": {"type": "object", "properties": {"file": {"type": "string",
                                                                      "format": "binary"}}}
            },
        },
    }


def uploaded_csv(what: str) -> bytes:
    """The CSV file (``what`` names it in messages: "the roster") from the request body or
    the ``file`` form field; Invalid, naming the field, if it is missing, too large or of
    another type."""
    too_large = Invalid(f"The {what} is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB.",
                        errors={"file": ["Too large."]})
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            raise Invalid(f"Send the {what} in the form field 'file'.",
                          errors={"file": ["Missing."]})
        data = upload.read(MAX_UPLOAD_BYTES + 1)
        if len(data) > MAX_UPLOAD_BYTES:
            raise too_large
        return data
    if request.mimetype not in CSV_TYPES:
        raise Invalid(f"Send the {what} as text/csv or multipart/form-data.",
                      errors={"content_type": [f"{request.mimetype or 'none'} is not accepted."]})
    data = request.get_data(cache=False)
    if len(data) > MAX_UPLOAD_BYTES:
        raise too_large
    return data
