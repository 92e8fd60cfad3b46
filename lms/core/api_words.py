"""The API's words that come from its libraries, in the reader's language.

marshmallow and webargs write a field's errors ("Missing data for required field.") and
Werkzeug describes an HTTP status ("The requested URL was not found on the server…") in
English. The service's own refusals are translated where they are raised; these are said
again at the answer's edge: each library template is a message of our catalog, with its
``{placeholders}`` as ``%(placeholders)s``, and a text that matches no template is kept.
"""

from __future__ import annotations

import re
from functools import cache
from http import HTTPStatus
from typing import Any

from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import default_exceptions

#: marshmallow's and webargs' messages (their templates) and our catalog's words for them.
FIELD_MESSAGES = {
    "Missing data for required field.": _l("Missing data for required field."),
    "Unknown field.": _l("Unknown field."),
    "Field may not be null.": _l("Field may not be null."),
    "Invalid input type.": _l("Invalid input type."),
    "Invalid input.": _l("Invalid input."),
    "Invalid type.": _l("Invalid type."),
    "Invalid value.": _l("Invalid value."),
    "Invalid JSON body.": _l("Invalid JSON body."),
    "Not a valid string.": _l("Not a valid string."),
    "Not a valid integer.": _l("Not a valid integer."),
    "Not a valid number.": _l("Not a valid number."),
    "Not a valid boolean.": _l("Not a valid boolean."),
    "Not a valid date.": _l("Not a valid date."),
    "Not a valid datetime.": _l("Not a valid datetime."),
    "Not a valid email address.": _l("Not a valid email address."),
    "Not a valid list.": _l("Not a valid list."),
    "Not a valid mapping type.": _l("Not a valid mapping type."),
    "Not a valid URL.": _l("Not a valid URL."),
    "Not a valid UUID.": _l("Not a valid UUID."),
    "Number too large.": _l("Number too large."),
    "Special numeric values (nan or infinity) are not permitted.":
        _l("Special numeric values (nan or infinity) are not permitted."),
    "String does not match expected pattern.": _l("String does not match expected pattern."),
    '"{input}" cannot be formatted as a date.': _l('"%(input)s" cannot be formatted as a date.'),
    "Must be one of: {choices}.": _l("Must be one of: %(choices)s."),
    "Length must be between {min} and {max}.": _l("Length must be between %(min)s and "
                                                  "%(max)s."),
    "Length must be {equal}.": _l("Length must be %(equal)s."),
    "Longer than maximum length {max}.": _l("Longer than maximum length %(max)s."),
    "Shorter than minimum length {min}.": _l("Shorter than minimum length %(min)s."),
    "Must be greater than or equal to {min}.": _l("Must be greater than or equal to %(min)s."),
    "Must be greater than {min}.": _l("Must be greater than %(min)s."),
    "Must be less than or equal to {max}.": _l("Must be less than or equal to %(max)s."),
    "Must be less than {max}.": _l("Must be less than %(max)s."),
    "Must be greater than or equal to {min} and less than or equal to {max}.":
        _l("Must be greater than or equal to %(min)s and less than or equal to %(max)s."),
}

#: Werkzeug's descriptions of the statuses the API answers with (English as Werkzeug writes
#: them, so an English answer is unchanged).
STATUS_DESCRIPTIONS = {
    HTTPStatus.BAD_REQUEST: _l("The browser (or proxy) sent a request that this server could "
                               "not understand."),
    HTTPStatus.NOT_FOUND: _l("The requested URL was not found on the server. If you entered "
                             "the URL manually please check your spelling and try again."),
    HTTPStatus.METHOD_NOT_ALLOWED: _l("The method is not allowed for the requested URL."),
    HTTPStatus.NOT_ACCEPTABLE: _l("The resource identified by the request is only capable of "
                                  "generating response entities which have content "
                                  "characteristics not acceptable according to the accept "
                                  "headers sent in the request."),
    HTTPStatus.UNSUPPORTED_MEDIA_TYPE: _l("The server does not support the media type "
                                          "transmitted in the request."),
}


@cache
def patterns() -> list[tuple[re.Pattern[str], Any]]:
    """Each library template as a pattern whose named groups are its placeholders."""
    found = []
    for template, words in FIELD_MESSAGES.items():
        pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>.+?)", re.escape(template))
        found.append((re.compile(f"^{pattern}$"), words))
    return found


def said(text: str) -> str:
    """One library message in the reader's language (any other text as it is)."""
    for pattern, words in patterns():
        if match := pattern.match(text):
            return str(words) % match.groupdict() if match.groupdict() else str(words)
    return text


def said_all(errors: Any) -> Any:
    """Every message of an ``errors`` tree (dicts and lists of strings) said as ``said``."""
    if isinstance(errors, str):
        return said(errors)
    if isinstance(errors, dict):
        return {key: said_all(value) for key, value in errors.items()}
    if isinstance(errors, list | tuple):
        return [said_all(value) for value in errors]
    return errors


def status_description(status: int, message: str) -> str:
    """Werkzeug's description of ``status``, in the reader's language, if ``message`` is
    that description; else ``message``."""
    words = STATUS_DESCRIPTIONS.get(status)
    stock = default_exceptions.get(status)
    if words is not None and stock is not None and message == stock.description:
        return str(words)
    return message
