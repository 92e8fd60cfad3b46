"""CSV files sent to the API: as the request body (text/csv) or as the form field ``file``."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

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


#: What an upload's refusals say, by the file's kind: too large, not in the form field, or
#: sent as another type (each a whole sentence).
REFUSALS = {
    "roster": (_l("The roster is larger than %(mb)d MB."),
               _l("Send the roster in the form field 'file'."),
               _l("Send the roster as text/csv or multipart/form-data.")),
    "ratings file": (_l("The ratings file is larger than %(mb)d MB."),
                     _l("Send the ratings file in the form field 'file'."),
                     _l("Send the ratings file as text/csv or multipart/form-data.")),
}


def uploaded_csv(what: str) -> bytes:
    """The CSV file (``what`` is its kind: "roster" or "ratings file") from the request body
    or the ``file`` form field; Invalid, naming the field, if it is missing, too large or of
    another type."""
    large, missing, wrong_type = REFUSALS[what]
    too_large = Invalid(str(large) % {"mb": MAX_UPLOAD_BYTES // (1024 * 1024)},
                        errors={"file": [gettext("Too large.")]})
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            raise Invalid(str(missing), errors={"file": [gettext("Missing.")]})
        data = upload.read(MAX_UPLOAD_BYTES + 1)
        if len(data) > MAX_UPLOAD_BYTES:
            raise too_large
        return data
    if request.mimetype not in CSV_TYPES:
        raise Invalid(str(wrong_type), errors={"content_type": [gettext(
            "%(type)s is not accepted.", type=request.mimetype or "none")]})
    data = request.get_data(cache=False)
    if len(data) > MAX_UPLOAD_BYTES:
        raise too_large
    return data
