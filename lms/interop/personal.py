"""A person's data (UK GDPR rights of access and erasure).

``person_export`` gives everything held about a person: their account (without secrets),
tokens and password links (without their hashes), enrolments, sponsorships, activity records
with every saved version of their notes, self-assessments with ratings, and the audit events
they caused or that are about them, where anyone else who acted appears as a role ("an
administrator") without their address or network address; its ``about`` says so.

``erase_person`` removes what identifies them and keeps what the programme's aggregate
results are made of: the account is anonymised and disabled; tokens, password links,
sponsorships, note versions, tutors' feedback on their notes and the e-mails sent to them
are deleted; the names and addresses of the 360 raters they asked are removed (their answers
stay, anonymous) (feedback they gave stays for its reader, without its author) (messages they wrote
to a cohort stay for those who got them, without their author); notes and reopening reasons
are blanked; the audit log keeps its events with the person's address, name, network
address and any text they typed removed. The erasure register keeps their id and a keyed
hash of their address, so that ``import --merge`` of an older backup skips their rows
(lms.interop.backup).
Enrolments (cohort, organisation, level), completion and ratings stay, no longer linked to
anyone identifiable, so outcome reports and progress figures do not change.

``COVERAGE`` says, for every table that holds data about a person, how each does both;
a test fails if a table referring to a user is missing from it.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from lms.accounts.models import (
    ERASED_DOMAIN,
    ApiToken,
    ErasedPerson,
    PasswordLink,
    User,
    UserSession,
)
from lms.accounts.service import address_key
from lms.audit.models import AuditEvent
from lms.audit.service import record
from lms.cohorts.models import Cohort, Enrolment, Sponsorship
from lms.core import data_version
from lms.core.extensions import db
from lms.curriculum.models import ActivityFeedback, ActivityNoteVersion, ActivityRecord
from lms.feedback.models import FeedbackRater
from lms.feedback.report import feedback_report
from lms.feedback.service import erase_participant_raters, rater_json
from lms.interop.backup import to_json
from lms.messaging.models import CohortMessage, Message
from lms.outcomes.release_models import (
    OutcomeRelease,
    ReleasedAnswer,
    ReleasedCompletion,
    ReleasedFeedback,
    ReleasedPerson,
)
from lms.ratings.models import Assessment, Rating

#: Columns never given out, even to the person: they are credentials.
SECRETS = {"password_hash", "token_hash"}
ERASED = "erased person"
#: For every table holding data about a person: what the export gives and what erasure does.
COVERAGE = {
    "user_account": ("the account, without secrets", "anonymised and disabled"),
    "api_token": ("names, prefixes and dates", "deleted"),
    "password_link": ("dates", "deleted"),
    "user_session": ("when each signed-in session began", "deleted"),
    "enrolment": ("every enrolment", "kept: cohort, organisation and level count in results"),
    "sponsorship": ("every sponsorship", "deleted"),
    "activity_record": ("every record with its notes", "notes blanked, completion kept"),
    "activity_note_version": ("every saved version of the notes", "deleted"),
    "activity_feedback": ("tutors' feedback on their notes, and feedback they gave",
                          "feedback on their notes deleted; feedback they gave kept for its "
                          "reader, the author becomes unknown"),
    "assessment": ("every self-assessment", "kept for the results; reopening reason blanked"),
    "rating": ("every rating", "kept for the results"),
    "outcome_release": ("the releases of outcomes they published", "kept: the publisher "
                        "becomes unknown"),
    "released_person": ("their groups in every release", "kept for the released results"),
    "released_answer": ("their answers in every release", "kept for the released results"),
    "released_completion": ("the modules they had completed at every release",
                            "kept for the released results"),
    "released_feedback": ("their figures from 360 raters at every release (each the mean "
                          "their report shows)", "kept for the released results"),
    "audit_event": ("events they caused or that are about them",
                    "kept, without their address, name or network address"),
    "message": ("every e-mail sent or queued to them: kind, address, state, dates",
                "deleted"),
    "cohort_message": ("the messages they wrote to a cohort",
                       "kept for those who received them: the author becomes unknown"),
    "feedback_rater": ("the raters they asked for 360 feedback (name, address, group, "
                       "whether they answered, never what), and those they asked for others",
                       "raters' names and addresses removed, unanswered invitations taken "
                       "back, the e-mails to raters deleted; answers kept, anonymous"),
    "feedback_answer": ("raters' points on the person, only as the report shows them "
                        "(feedback_report), never one rater's", "kept, anonymous"),
    "feedback_comment": ("raters' comments on the person, only as the report shows them "
                         "(feedback_report)", "kept, anonymous"),
}
#: Given instead of a table's rows (one rater's answers are never given as theirs).
AS_THE_REPORT_SHOWS = "in feedback_report, as the report shows them"
#: What the export gives beyond the tables: others' answers only as the report shows them.
DERIVED = {"feedback_report": "each closed 360 round's report, as the person sees it"}


def as_dicts(rows: list[Any]) -> list[dict[str, Any]]:
    """ORM rows as plain dicts of their columns, secrets left out."""
    return [{column.name: to_json(getattr(row, column.key))
             for column in row.__table__.columns if column.name not in SECRETS}
            for row in rows]


def rows(model, *criteria) -> list[Any]:
    """The rows of ``model`` matching ``criteria``, by id (or primary key)."""
    order = model.__table__.primary_key.columns
    return db.session.scalars(sa.select(model).where(*criteria).order_by(*order)).all()


def audit_events_of(user: User) -> list[AuditEvent]:
    """Events the person caused, or that are about their account."""
    return rows(AuditEvent, sa.or_(
        AuditEvent.actor_id == user.id, AuditEvent.actor == user.email,
        sa.and_(AuditEvent.target_type == User.__tablename__, AuditEvent.target_id == user.id)))


#: Who did something to a person's data, as their export names them: a role, never a person.
ROLE_LABELS = {"admin": "an administrator", "tutor": "a tutor",
               "participant": "another participant", "sponsor": "a sponsor"}
ABOUT_THE_EXPORT = (
    "Everything this service holds about you, table by table. Where someone else did "
    "something to your data (an administrator sent you a password link, a tutor reopened "
    "your self-assessment), the audit_event table names their role, not who they are, and "
    "leaves out their network address; secrets (password and token hashes) are never given.")


def events_as_seen_by(user: User) -> list[dict[str, Any]]:
    """The person's audit events, with anyone else who acted shown only by role and without
    their network address (one query for those roles)."""
    events = audit_events_of(user)
    others = {event.actor_id for event in events if event.actor_id not in (None, user.id)}
    roles = dict(db.session.execute(sa.select(User.id, User.role).where(User.id.in_(others)))
                 .all()) if others else {}
    shown = as_dicts(events)
    for event, row in zip(events, shown, strict=True):
        if event.actor_id == user.id or event.actor.lower() == user.email.lower():
            continue
        if event.actor_id is not None:
            row["actor"] = ROLE_LABELS.get(roles.get(event.actor_id), "someone else")
        row["actor_id"] = row["ip"] = None
    return shown


def person_export(user: User) -> dict[str, Any]:
    """Everything held about ``user``, table by table (others who acted shown by role)."""
    records = rows(ActivityRecord, ActivityRecord.user_id == user.id)
    assessments = rows(Assessment, Assessment.user_id == user.id)
    return {
        "user_account": as_dicts([user]),
        "api_token": as_dicts(rows(ApiToken, ApiToken.user_id == user.id)),
        "password_link": as_dicts(rows(PasswordLink, PasswordLink.user_id == user.id)),
        "user_session": as_dicts(rows(UserSession, UserSession.user_id == user.id)),
        "enrolment": as_dicts(rows(Enrolment, Enrolment.user_id == user.id)),
        "sponsorship": as_dicts(rows(Sponsorship, Sponsorship.user_id == user.id)),
        "activity_record": as_dicts(records),
        "activity_note_version": as_dicts(rows(
            ActivityNoteVersion, ActivityNoteVersion.record_id.in_([r.id for r in records]))),
        "activity_feedback": as_dicts(rows(ActivityFeedback, sa.or_(
            ActivityFeedback.record_id.in_([r.id for r in records]),
            ActivityFeedback.author_id == user.id))),
        "assessment": as_dicts(assessments),
        "rating": as_dicts(rows(Rating, Rating.assessment_id.in_([a.id for a in assessments]))),
        "outcome_release": as_dicts(rows(OutcomeRelease, OutcomeRelease.created_by_id == user.id)),
        "released_person": as_dicts(rows(ReleasedPerson, ReleasedPerson.user_id == user.id)),
        "released_answer": as_dicts(rows(ReleasedAnswer, ReleasedAnswer.user_id == user.id)),
        "released_completion": as_dicts(rows(ReleasedCompletion,
                                             ReleasedCompletion.user_id == user.id)),
        "released_feedback": as_dicts(rows(ReleasedFeedback,
                                           ReleasedFeedback.user_id == user.id)),
        "audit_event": events_as_seen_by(user),
        "message": as_dicts(rows(Message, Message.user_id == user.id)),
        "cohort_message": as_dicts(rows(CohortMessage, CohortMessage.author_id == user.id)),
        "feedback_rater": raters_asked_by(user),
        "feedback_answer": AS_THE_REPORT_SHOWS,
        "feedback_comment": AS_THE_REPORT_SHOWS,
        "feedback_report": feedback_reports(user),
        "about": ABOUT_THE_EXPORT,
    }


def raters_asked_by(user: User) -> list[dict[str, Any]]:
    """The raters asked about the person (as their 360 page lists them), and for others
    those they asked: which participant, group and round, without the rater's name."""
    about = [{**to_json_dict(rater_json(rater)), "participant_id": rater.participant_id}
             for rater in rows(FeedbackRater, FeedbackRater.participant_id == user.id)]
    for_others = [{"id": rater.id, "participant_id": rater.participant_id,
                   "group": rater.rater_group, "phase": rater.phase}
                  for rater in rows(FeedbackRater, FeedbackRater.nominated_by_id == user.id,
                                    FeedbackRater.participant_id != user.id)]
    return about + for_others


def to_json_dict(values: dict[str, Any]) -> dict[str, Any]:
    """A dict's values as JSON takes them (dates as text)."""
    return {key: to_json(value) for key, value in values.items()}


def feedback_reports(user: User) -> list[dict[str, Any]]:
    """Each closed round's 360 report about the person: others' answers only as shown."""
    found = []
    rounds = db.session.execute(sa.select(FeedbackRater.cohort_id, FeedbackRater.phase)
                                .where(FeedbackRater.participant_id == user.id).distinct()
                                .order_by(FeedbackRater.cohort_id, FeedbackRater.phase))
    for cohort_id, phase in rounds:
        result = feedback_report(db.session.get(Cohort, cohort_id), user.id, phase)
        if result["available"]:
            found.append(json.loads(json.dumps(result, default=to_json)))
    return found


#: Audit details that held text a person typed before issue 19, by action (names, token
#: names, typed addresses, a tutor's reasons); events written since hold none.
TYPED_TEXT = {"user.create": {"email"}, "user.update": {"display_name"},
              "auth.sign_in_failed": {"email"}, "token.create": {"name"},
              "token.revoke": {"name"}, "assessment.reopen": {"reason"}}


def scrub(event: AuditEvent, identifying: set[str], key: str) -> dict[str, Any]:
    """An event's details with every value typed by a person, naming the person, or standing
    for their address (its keyed hash) replaced."""
    typed = TYPED_TEXT.get(event.action, set())

    def erased(name: str, value: Any) -> bool:
        if not isinstance(value, str):
            return False
        return name in typed or value == key or value.strip().lower() in identifying

    return {name: ERASED if erased(name, value) else value
            for name, value in (event.details or {}).items()}


def events_naming(user: User) -> list[AuditEvent]:
    """Events about something of the person's that name them by id in their details (an
    enrolment, a sponsorship, a reopened self-assessment)."""
    return rows(AuditEvent, AuditEvent.details["user_id"].as_integer() == user.id)


def failed_sign_ins_with(user: User, key: str) -> list[AuditEvent]:
    """Failed sign-ins that typed this person's address, whoever the event is about: by its
    keyed hash, or (events from before issue 19) by the address itself, in any case or
    spacing."""
    details = AuditEvent.details
    return rows(AuditEvent, AuditEvent.action == "auth.sign_in_failed", sa.or_(
        details["address"].as_string() == key,
        sa.func.lower(sa.func.trim(details["email"].as_string())) == user.email.lower()))


def scrub_audit(user: User, key: str) -> None:
    """Remove the person's address, name, network address and typed text from every event
    they caused, that is about them, or that typed their address."""
    identifying = {user.email.lower(), user.display_name.strip().lower()}
    events = {event.id: event for event in
              audit_events_of(user) + failed_sign_ins_with(user, key) + events_naming(user)}
    for event in events.values():
        if (event.actor_id == user.id or event.actor.strip().lower() in identifying
                or event.action == "auth.sign_in_failed"):
            event.actor, event.ip = ERASED, None
        event.details = scrub(event, identifying, key)


def erase_person(user: User) -> None:
    """Remove what identifies ``user``, keep what results are made of, and list them in the
    erasure register so that no restore brings them back; flush only."""
    key = address_key(user.email)
    scrub_audit(user, key)
    records = rows(ActivityRecord, ActivityRecord.user_id == user.id)
    for model in (ActivityNoteVersion, ActivityFeedback):
        db.session.execute(sa.delete(model).where(
            model.record_id.in_([r.id for r in records])))
    db.session.execute(sa.update(ActivityFeedback).where(ActivityFeedback.author_id == user.id)
                       .values(author_id=None))
    for entry in records:
        entry.reflection = entry.evidence = None
    for assessment in rows(Assessment, Assessment.user_id == user.id):
        assessment.reopen_reason = None
    for model in (ApiToken, PasswordLink, Sponsorship, Message):
        db.session.execute(sa.delete(model).where(model.user_id == user.id))
    db.session.execute(sa.update(CohortMessage).where(CohortMessage.author_id == user.id)
                       .values(author_id=None))
    erase_participant_raters(user.id)
    db.session.execute(sa.update(OutcomeRelease).where(OutcomeRelease.created_by_id == user.id)
                       .values(created_by_id=None))
    db.session.merge(ErasedPerson(user_id=user.id, address_key=key))
    user.email = f"erased-{user.id}@{ERASED_DOMAIN}"
    user.display_name = "Erased person"
    user.password_hash = None
    user.active = False
    user.last_sign_in_at = None
    user.end_all_sessions()
    # The participant flow counts erased people, so every outcomes answer must be rebuilt.
    data_version.mark_changed([data_version.OUTCOMES])
    db.session.flush()
    record("person.erase", user)
