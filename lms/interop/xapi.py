"""What participants do, as xAPI 1.0.3 statements for a Learning Record Store.

- ``completed`` an activity (when it was marked done) and a module (when its last required
  activity was done);
- ``answered`` each behaviour of a submitted self-assessment, the point of the scale as
  ``result.score`` (raw, min, max) and the phase as a context extension;
- ``responded`` to a reflection or workplace task with a written note (its text only when
  ``LMS_XAPI_INCLUDE_TEXT`` is set);
- ``reviewed``: a 360 rater gave feedback on a participant (the statement's object), by an
  actor that is the same anonymous rater for everyone, without points, group or time of day.

People are named by an account on this service (their id, never their e-mail address); the
cohort is the statement's registration and its grouping activity. Statement ids are UUIDv5
of what they record, so sending the same statements twice stores them once in an LRS.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from flask import current_app

from lms.cohorts.models import Cohort, Enrolment
from lms.core.db_types import UTCDateTime
from lms.core.extensions import db
from lms.curriculum.models import Activity, ActivityRecord, Module
from lms.curriculum.service import cohort_curriculum
from lms.feedback.models import FeedbackRater
from lms.framework.models import Behaviour
from lms.ratings.models import Assessment, Rating

XAPI_VERSION = "1.0.3"
VERBS = {
    "completed": "http://adlnet.gov/expapi/verbs/completed",
    "answered": "http://adlnet.gov/expapi/verbs/answered",
    "responded": "http://adlnet.gov/expapi/verbs/responded",
    "reviewed": "http://id.tincanapi.com/verb/reviewed",
}
#: Every 360 rater's statement has this actor: it names no one.
ANONYMOUS_RATER = "anonymous-360-rater"
ACTIVITY_TYPES = {
    "module": "http://adlnet.gov/expapi/activities/module",
    "activity": "http://adlnet.gov/expapi/activities/lesson",
    "behaviour": "http://adlnet.gov/expapi/activities/question",
    "cohort": "http://adlnet.gov/expapi/activities/course",
}
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:lms:xapi")
BATCH = 1000
NOTE_FIELDS = {"reflect": "reflection", "practise": "evidence"}


class Vocabulary:
    """The IRIs of this service, built once per export from ``LMS_BASE_URL``."""

    def __init__(self, base_url: str) -> None:
        self.base = base_url.rstrip("/")

    def iri(self, *parts: str) -> str:
        """An IRI under this service's xAPI namespace."""
        return "/".join([self.base, "xapi", *parts])

    def actor(self, user_id: int) -> dict[str, Any]:
        """A participant, by their account on this service."""
        return {"objectType": "Agent", "account": {"homePage": self.base, "name": str(user_id)}}

    def activity(self, kind: str, key: str, name: str) -> dict[str, Any]:
        """An xAPI activity object."""
        return {"objectType": "Activity", "id": self.iri(kind, key),
                "definition": {"type": ACTIVITY_TYPES[kind], "name": {"en-GB": name}}}

    def context(self, cohort: Cohort, phase: str | None = None) -> dict[str, Any]:
        """The cohort as registration and grouping; the phase as an extension."""
        context: dict[str, Any] = {
            "registration": str(uuid.uuid5(NAMESPACE, f"cohort:{cohort.id}")),
            "contextActivities": {"grouping": [
                self.activity("cohort", str(cohort.id), cohort.name)]},
            "platform": "lms",
        }
        if phase:
            context["extensions"] = {self.iri("extensions", "phase"): phase}
        return context


def verb(name: str) -> dict[str, Any]:
    """An ADL verb with its display."""
    return {"id": VERBS[name], "display": {"en-US": name}}


def timestamp(moment: dt.datetime) -> str:
    """An ISO 8601 UTC timestamp, as xAPI wants it."""
    moment = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def statement(kind: str, key: str, actor: dict, verb_name: str, obj: dict, when: dt.datetime,
              context: dict, result: dict | None = None) -> dict[str, Any]:
    """One statement with a stable id."""
    entry = {"id": str(uuid.uuid5(NAMESPACE, f"{kind}:{key}")), "actor": actor,
             "verb": verb(verb_name), "object": obj, "timestamp": timestamp(when),
             "context": context, "version": XAPI_VERSION}
    if result is not None:
        entry["result"] = result
    return entry


def participants(cohort: Cohort) -> sa.Select:
    """The ids of the cohort's participants."""
    return sa.select(Enrolment.user_id).where(Enrolment.cohort_id == cohort.id,
                                              Enrolment.role == "participant")


def activity_statements(cohort: Cohort, words: Vocabulary) -> Iterator[dict[str, Any]]:
    """completed and responded, for the activities of the cohort's modules."""
    module_ids = [item.module.id for item in cohort_curriculum(cohort)]
    include_text = current_app.config["LMS_XAPI_INCLUDE_TEXT"]
    rows = db.session.execute(
        sa.select(ActivityRecord, Activity, Module.slug)
        .join(Activity, ActivityRecord.activity_id == Activity.id)
        .join(Module, Activity.module_id == Module.id)
        .where(ActivityRecord.user_id.in_(participants(cohort)),
               ActivityRecord.cohort_id == cohort.id, Activity.module_id.in_(module_ids))
        .order_by(ActivityRecord.id).execution_options(yield_per=BATCH))
    context = words.context(cohort)
    for record, activity, slug in rows:
        obj = words.activity("activity", f"{slug}/{activity.key}", activity.title)
        actor = words.actor(record.user_id)
        if record.completed_at is not None:
            yield statement("completed", f"{cohort.id}:{record.id}", actor, "completed", obj,
                            record.completed_at, context, {"completion": True})
        note = getattr(record, NOTE_FIELDS.get(activity.kind, ""), None)
        if note:
            result = {"response": note} if include_text else {"extensions": {
                words.iri("extensions", "note-length"): len(note)}}
            yield statement("responded", f"{cohort.id}:{record.id}:{record.updated_at}", actor,
                            "responded", obj, record.updated_at, context, result)


def module_statements(cohort: Cohort, words: Vocabulary) -> Iterator[dict[str, Any]]:
    """completed for each module whose required activities a participant has all done."""
    items = cohort_curriculum(cohort)
    required = dict(db.session.execute(
        sa.select(Activity.module_id, sa.func.count())
        .where(Activity.module_id.in_([i.module.id for i in items]),
               Activity.required.is_(True), Activity.retired_at.is_(None))
        .group_by(Activity.module_id)).all())
    finished = sa.func.max(ActivityRecord.completed_at)
    rows = db.session.execute(
        sa.select(ActivityRecord.user_id, Activity.module_id, sa.func.count(),
                  sa.type_coerce(finished, UTCDateTime))
        .join(Activity, ActivityRecord.activity_id == Activity.id)
        .where(ActivityRecord.user_id.in_(participants(cohort)),
               ActivityRecord.cohort_id == cohort.id,
               Activity.module_id.in_(list(required)), Activity.required.is_(True),
               Activity.retired_at.is_(None), ActivityRecord.completed_at.is_not(None))
        .group_by(ActivityRecord.user_id, Activity.module_id)
        .order_by(ActivityRecord.user_id, Activity.module_id))
    modules = {item.module.id: item.module for item in items}
    context = words.context(cohort)
    for user_id, module_id, done, last in rows:
        if done >= required[module_id]:
            module = modules[module_id]
            yield statement("module", f"{cohort.id}:{user_id}:{module_id}",
                            words.actor(user_id), "completed",
                            words.activity("module", module.slug, module.title), last,
                            context, {"completion": True})


def rating_statements(cohort: Cohort, words: Vocabulary) -> Iterator[dict[str, Any]]:
    """answered, for every rating of every submitted self-assessment."""
    scale = [point["value"] for point in cohort.programme.rating_scale]
    rows = db.session.execute(
        sa.select(Rating.id, Rating.value, Assessment.user_id, Assessment.phase,
                  Assessment.submitted_at, Behaviour.code, Behaviour.statement)
        .join(Assessment, Rating.assessment_id == Assessment.id)
        .join(Behaviour, Rating.behaviour_id == Behaviour.id)
        .where(Assessment.cohort_id == cohort.id, Assessment.status == "submitted")
        .order_by(Rating.id).execution_options(yield_per=BATCH))
    contexts = {}
    for rating_id, value, user_id, phase, submitted_at, code, text in rows:
        context = contexts.setdefault(phase, words.context(cohort, phase))
        result = ({"response": "not applicable"} if value is None else
                  {"response": str(value),
                   "score": {"raw": value, "min": scale[0], "max": scale[-1]}})
        yield statement("answered", f"{rating_id}:{submitted_at}", words.actor(user_id),
                        "answered", words.activity("behaviour", code, f"{code}: {text}"),
                        submitted_at, context, result)


def feedback_statements(cohort: Cohort, words: Vocabulary) -> Iterator[dict[str, Any]]:
    """reviewed, once per rater who submitted 360 feedback: the participant is the object;
    the actor is the same anonymous rater for everyone, and neither the rater's group nor
    their points are given, and only the day, so no statement can be traced to a rater."""
    rows = db.session.execute(
        sa.select(FeedbackRater.id, FeedbackRater.participant_id, FeedbackRater.phase,
                  FeedbackRater.submitted_at)
        .where(FeedbackRater.cohort_id == cohort.id, FeedbackRater.status == "submitted")
        .order_by(FeedbackRater.participant_id, FeedbackRater.phase, FeedbackRater.id))
    actor = {"objectType": "Agent",
             "account": {"homePage": words.base, "name": ANONYMOUS_RATER}}
    for rater_id, participant_id, phase, submitted_at in rows:
        day = dt.datetime.combine(submitted_at.date(), dt.time(), tzinfo=dt.UTC)
        yield statement("feedback", f"{cohort.id}:{rater_id}", actor, "reviewed",
                        words.actor(participant_id), day, words.context(cohort, phase))


def cohort_statements(cohort: Cohort) -> Iterator[dict[str, Any]]:
    """Every statement about a cohort's participants."""
    words = Vocabulary(current_app.config["LMS_BASE_URL"])
    yield from activity_statements(cohort, words)
    yield from module_statements(cohort, words)
    yield from rating_statements(cohort, words)
    yield from feedback_statements(cohort, words)
