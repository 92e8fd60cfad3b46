"""The e-mails raters get: the invitation with their link, and a reminder while they have
not answered. A rater has no account, so these go through the outbox's outside builders, in
the language the person who asked them chose for them."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext

from lms.core.extensions import db
from lms.core.i18n import in_reader_language
from lms.feedback import service
from lms.feedback.models import FeedbackRater
from lms.messaging.compose import NotApplicable, Recipient, base_url, register_outside_kind
from lms.messaging.models import Message


def rater_context(message: Message) -> tuple[Recipient, dict[str, Any]]:
    """Whom the invitation or reminder goes to, and what it says."""
    rater = db.session.get(FeedbackRater, message.feedback_rater_id)
    if rater is None or rater.email is None:
        raise NotApplicable("the rater is gone or erased")
    if rater.revoked_at is not None or rater.status in ("submitted", "withdrawn"):
        raise NotApplicable("the invitation was taken back, or the rater has answered")
    token = service.link_token(rater)
    if service.tokens.digest_of(token) != rater.token_digest:
        raise NotApplicable("the secret key changed since the rater was asked")
    opens, closes = service.round_window(rater.cohort, rater.phase)
    who = rater.participant.display_name
    reminder = message.kind == "feedback_reminder"
    subject = (gettext("A reminder: %(name)s would value your feedback", name=who) if reminder
               else gettext("%(name)s asks for your feedback", name=who))
    return Recipient(rater.name or "", rater.email), {
        "subject": subject, "rater": rater, "participant": who,
        "programme": in_reader_language(rater.cohort.programme.name), "phase": rater.phase,
        "asked_as": str(service.ASKED_AS[rater.rater_group]),
        "opens_on": service.long_date(opens), "closes_on": service.long_date(closes),
        "anonymity": service.anonymity_note(rater),
        "link": f"{base_url()}/feedback/{token}", "reminder": reminder}


def rater_language(message: Message) -> str:
    """The language the rater is written to in (chosen by whoever asked them)."""
    rater = db.session.get(FeedbackRater, message.feedback_rater_id)
    return rater.language if rater is not None else "en"


register_outside_kind("feedback_invitation", rater_context, rater_language)
register_outside_kind("feedback_reminder", rater_context, rater_language)
