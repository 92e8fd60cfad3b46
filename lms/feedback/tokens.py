"""A rater's link: ``/feedback/<token>``, the token a keyed hash of who the rater is.

The token is never stored: the database keeps its SHA-256 (``FeedbackRater.token_digest``),
and the invitation works the token out again from the application's secret key when it is
written, so no secret waits in the outbox and a copy of the database opens no link.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from flask import current_app

SALT = b"lms-feedback-link"
#: The longest a token may be (43 characters of base64url); anything longer is not one.
TOKEN_LENGTH = 43


def token_for(rater_id: int, cohort_id: int, participant_id: int, phase: str) -> str:
    """The rater's token: unguessable without the secret key, the same each time."""
    key = current_app.config["SECRET_KEY"].encode()
    message = f"{rater_id}:{cohort_id}:{participant_id}:{phase}".encode()
    mac = hmac.new(key, SALT + b"\0" + message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def digest_of(token: str) -> str:
    """What the database keeps of a token, and looks it up by."""
    return hashlib.sha256(token.encode()).hexdigest()


def well_formed(token: str) -> bool:
    """Whether ``token`` could be a token at all (43 base64url characters)."""
    return len(token) == TOKEN_LENGTH and all(
        c.isascii() and (c.isalnum() or c in "-_") for c in token)
