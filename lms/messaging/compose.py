"""Writing a message: its subject, plain-text and HTML parts (lms/templates/email/), and its
headers, from the outbox row and what the database says at the moment it is sent (a link to
set a password is made then, so no secret ever waits in the outbox)."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr
from typing import Any

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale, format_date, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import URLSafeSerializer

from lms.accounts.models import ERASED_DOMAIN, User
from lms.accounts.service import issue_password_link
from lms.cohorts.models import Cohort, Programme
from lms.core.db_types import utcnow
from lms.core.extensions import db
from lms.core.i18n import in_reader_language
from lms.messaging.models import Message
from lms.ratings.models import Assessment

PHASE_NAMES = {"pre": _l("start-of-programme"), "then": _l("looking-back (“then”)"),
               "post": _l("end-of-programme")}
#: Kinds a person can turn off (the account page, or the link in each of them).
OPTIONAL_KINDS = ("reminder", "nudge")
#: Kinds written by a person rather than by the service (no Auto-Submitted header).
WRITTEN_BY_PEOPLE = ("cohort_message",)


class NotApplicable(Exception):
    """The message no longer applies (the person disabled, reminders off, phase submitted)."""


@dataclass
class Composed:
    """A message ready to send, and the name of its file when written to the outbox."""

    email: EmailMessage
    file_name: str


def base_url() -> str:
    """Where people reach the service (LMS_BASE_URL), without a trailing slash."""
    return current_app.config["LMS_BASE_URL"].rstrip("/")


def unsubscribe_serializer() -> URLSafeSerializer:
    """Signs the person id in an unsubscribe link, so the link needs no sign-in."""
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="lms-unsubscribe")


def unsubscribe_url(user: User) -> str:
    """The one-click link that turns reminders off for ``user``."""
    return f"{base_url()}/unsubscribe/{unsubscribe_serializer().dumps(user.id)}"


def message_id(message: Message) -> str:
    """The Message-ID: the same for every attempt at one message (its idempotency key)."""
    domain = parseaddr(current_app.config["LMS_MAIL_FROM"])[1].rpartition("@")[2]
    return f"<{hashlib.sha256(message.key.encode()).hexdigest()[:40]}@{domain}>"


def long_date(day: dt.date | str | None) -> str:
    """A date as people write it, in the language being written: "Friday 11 December 2026",
    "Dydd Gwener 11 Rhagfyr 2026"."""
    if day is None:
        return ""
    day = dt.date.fromisoformat(day) if isinstance(day, str) else day
    return format_date(day, "EEEE d MMMM y")


@dataclass
class Recipient:
    """Whom a message greets and goes to: a person's account, or a rater without one."""

    display_name: str
    email: str


#: Builders of messages to people without an account, by kind, each registered by its
#: feature (lms.feedback registers the raters'): message -> (recipient, context).
OUTSIDE_BUILDERS: dict[str, Callable[[Message], tuple[Recipient, dict[str, Any]]]] = {}
#: The language each outside kind's recipient is written to in: message -> "en" or "cy".
OUTSIDE_LANGUAGES: dict[str, Callable[[Message], str]] = {}


def register_outside_kind(kind: str,
                          builder: Callable[[Message], tuple[Recipient, dict[str, Any]]],
                          language_of: Callable[[Message], str]) -> None:
    """Let ``builder`` write the messages of ``kind`` (to people without an account), in
    the language ``language_of`` says."""
    OUTSIDE_BUILDERS[kind] = builder
    OUTSIDE_LANGUAGES[kind] = language_of


def recipient_and_context(message: Message) -> tuple[Recipient, dict[str, Any]]:
    """Whom ``message`` goes to and what its templates say; NotApplicable if it should no
    longer go."""
    if message.user_id is None:
        recipient, context = OUTSIDE_BUILDERS[message.kind](message)
        context.setdefault("unsubscribe_url", None)
        return recipient, {**context, "user": recipient}
    user = message.user
    if not user.active or user.email.endswith("@" + ERASED_DOMAIN):
        raise NotApplicable("the account is disabled or erased")
    if message.kind in OPTIONAL_KINDS and not user.email_reminders:
        raise NotApplicable("the person turned reminders off")
    context = CONTEXT_BUILDERS[message.kind](message, user)
    context.update(user=user, unsubscribe_url=unsubscribe_url(user)
                   if message.kind in OPTIONAL_KINDS else None)
    return Recipient(user.display_name, user.email), context


def recipient_language(message: Message) -> str:
    """The language a message is written in: its recipient's (a rater's is the one chosen
    for them by whoever asked them)."""
    if message.user_id is None:
        return OUTSIDE_LANGUAGES[message.kind](message)
    return message.user.language


def compose(message: Message) -> Composed:
    """The e-mail for ``message``, in its recipient's language; NotApplicable if it should
    no longer go."""
    with force_locale(recipient_language(message)):
        return compose_in_language(message)


def compose_in_language(message: Message) -> Composed:
    """The e-mail for ``message`` in the language being spoken."""
    recipient, context = recipient_and_context(message)
    context.update(base_url=base_url(), kind=message.kind)
    subject = " ".join(context.pop("subject").split())
    email = EmailMessage()
    email["From"] = current_app.config["LMS_MAIL_FROM"]
    email["To"] = formataddr((recipient.display_name, recipient.email))
    email["Subject"] = subject
    email["Date"] = format_datetime(utcnow())
    email["Message-ID"] = message_id(message)
    if context.get("reply_to"):
        email["Reply-To"] = formataddr(context["reply_to"])
    if message.kind not in WRITTEN_BY_PEOPLE:
        email["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies
    if context["unsubscribe_url"]:
        email["List-Unsubscribe"] = f"<{context['unsubscribe_url']}>"
        email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"  # RFC 8058
    context["subject"] = subject
    email.set_content(render_template(f"email/{message.kind}.txt", **context))
    email.add_alternative(render_template(f"email/{message.kind}.html", **context),
                          subtype="html")
    stamp = message.created_at.strftime("%Y%m%d-%H%M%S")
    return Composed(email, f"{stamp}-{message.id:07d}-{message.kind}.eml")


def password_link_hours() -> int:
    """How long a set-password link works."""
    return current_app.config["LMS_PASSWORD_LINK_HOURS"]


def invitation(message: Message, user: User) -> dict[str, Any]:
    """Who invited them, to which cohort, and the link to set a first password."""
    if user.password_hash is not None:
        raise NotApplicable("the person has set a password already")
    inviter = db.session.get(User, message.context["inviter_id"]) if message.context.get(
        "inviter_id") else None
    cohort = db.session.get(Cohort, message.context["cohort_id"]) if message.context.get(
        "cohort_id") else None
    programme = cohort.programme.name if cohort else programme_name()
    return {"subject": _("You are invited to the %(programme)s", programme=programme),
            "inviter": inviter,
            "cohort": cohort, "programme": programme, "link": issue_password_link(user),
            "hours": password_link_hours()}


def programme_name() -> str:
    """The programme's name in the language being written (the first programme's: a
    deployment runs one)."""
    name = db.session.scalar(sa.select(Programme.name).order_by(Programme.id).limit(1))
    return in_reader_language(name or "Leadership for Empowered and Healthy Communities "
                                      "Programme")


def password_reset(_message: Message, user: User) -> dict[str, Any]:
    """A one-time link to choose a new password."""
    return {"subject": _("Reset your password"), "link": issue_password_link(user),
            "hours": password_link_hours()}


def assessment_context(message: Message, user: User) -> dict[str, Any]:
    """The cohort, phase and its dates a reminder or notice is about."""
    cohort = db.session.get(Cohort, message.context["cohort_id"])
    if cohort is None:
        raise NotApplicable("the cohort is gone")
    phase = message.context["phase"]
    assessment = db.session.scalar(sa.select(Assessment).filter_by(
        cohort_id=cohort.id, user_id=user.id, phase=phase))
    return {"cohort": cohort, "phase": phase, "phase_name": str(PHASE_NAMES[phase]),
            "assessment": assessment,
            "closes_on": long_date(message.context.get("closes_on")),
            "link": f"{base_url()}/assessments/{phase}"}


def reminder(message: Message, user: User) -> dict[str, Any]:
    """That a self-assessment is open, or closes in so many days."""
    context = assessment_context(message, user)
    if context["assessment"] is not None and context["assessment"].status == "submitted":
        raise NotApplicable("the phase was submitted meanwhile")
    days_left = message.context.get("days_left")
    context["days_left"] = days_left
    if days_left is None:
        subject = _("Your %(phase)s self-assessment is open", phase=context["phase_name"])
    else:
        subject = ngettext("Your %(phase)s self-assessment closes in %(num)d day",
                           "Your %(phase)s self-assessment closes in %(num)d days", days_left,
                           phase=context["phase_name"])
    return {**context, "subject": subject}


def nudge(message: Message, user: User) -> dict[str, Any]:
    """A friendly word to someone who has fallen behind."""
    cohort = db.session.get(Cohort, message.context["cohort_id"])
    if cohort is None:
        raise NotApplicable("the cohort is gone")
    return {"subject": _("Pick up where you left off"), "cohort": cohort,
            "quiet_days": message.context.get("quiet_days"),
            "behind": message.context.get("behind", []), "link": f"{base_url()}/"}


def reopen_notice(message: Message, user: User) -> dict[str, Any]:
    """That a tutor reopened their self-assessment, and why."""
    context = assessment_context(message, user)
    assessment = context["assessment"]
    if assessment is None or assessment.status == "submitted":
        raise NotApplicable("the self-assessment is submitted again")
    return {**context, "reason": assessment.reopen_reason or "",
            "subject": _("Your %(phase)s self-assessment is open again",
                         phase=context["phase_name"])}


def digest(message: Message, user: User) -> dict[str, Any]:
    """A tutor's week: who is at risk and who has submitted, cohort by cohort."""
    from lms.messaging.digest import digest_of

    if not user.weekly_digest:
        raise NotApplicable("the tutor turned the digest off")
    return {"subject": _("Your cohorts this week"),
            "cohorts": digest_of(user, dt.date.fromisoformat(message.context["week_of"])),
            "link": f"{base_url()}/cohorts"}


def cohort_message(message: Message, _user: User) -> dict[str, Any]:
    """What a tutor or administrator wrote, from them."""
    written = message.cohort_message
    author = written.author
    return {"subject": written.subject, "body": written.body, "author": author,
            "cohort": written.cohort,
            "reply_to": (author.display_name, author.email) if author and author.active
            else None}


CONTEXT_BUILDERS = {"invitation": invitation, "password_reset": password_reset,
                    "reminder": reminder, "nudge": nudge, "reopen_notice": reopen_notice,
                    "digest": digest, "cohort_message": cohort_message}
