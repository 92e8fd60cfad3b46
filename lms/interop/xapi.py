"""What participants do, as xAPI statements (xAPI 1.0.3) for a Learning Record Store.

- ``completed`` an activity (when it was marked done) and a module (when its last required
  activity was done);
- ``progressed`` through a module: one statement per required activity done, in the order
  they were done, with the share done as cmi5's ``progress`` extension (Open edX Aspects
  reads module progress from these);
- ``answered`` each behaviour of a submitted self-assessment, the point of the scale as
  ``result.score`` (raw, min, max and scaled) and the phase as a context extension;
- ``responded`` to a reflection or workplace task with a written note (its text only when
  ``LMS_XAPI_INCLUDE_TEXT`` is set);
- ``reviewed``: a 360 rater gave feedback on a participant (the statement's object), by an
  actor that is the same anonymous rater for everyone, without points, group or time of day.

People are named by an account on this service (their id, never their e-mail address). The
cohort is the statement's registration and its ``parent`` (a course, as LMSs and Aspects read
it); the programme is its ``grouping``.

A statement's id is a UUIDv5 of the fact it asserts (who, what, which activity, and the fact's
own identity: when a completion happened, which answer on which submission, which note), in
the deployment's namespace (``LMS_XAPI_NAMESPACE``, or one derived from ``LMS_BASE_URL``). The
same fact therefore always has the same id, a changed fact gets a new one, and two
deployments sending to one LRS never share an id. No ``version`` property is set: xAPI leaves
it to the LRS.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Iterator, Mapping
from itertools import groupby
from typing import Any

import sqlalchemy as sa
from flask import current_app

from lms.cohorts.models import Cohort, Enrolment
from lms.core.db_types import UTCDateTime
from lms.core.extensions import db
from lms.curriculum.models import Activity, ActivityNoteVersion, ActivityRecord, Module
from lms.curriculum.service import cohort_curriculum
from lms.feedback.models import FeedbackRater
from lms.framework.models import Behaviour
from lms.ratings.models import Assessment, Rating

#: The version of xAPI these statements follow (sent as the X-Experience-API-Version header).
XAPI_VERSION = "1.0.3"
VERBS = {
    "completed": "http://adlnet.gov/expapi/verbs/completed",
    "progressed": "http://adlnet.gov/expapi/verbs/progressed",
    "answered": "http://adlnet.gov/expapi/verbs/answered",
    "responded": "http://adlnet.gov/expapi/verbs/responded",
    "reviewed": "http://id.tincanapi.com/verb/reviewed",
    "voided": "http://adlnet.gov/expapi/verbs/voided",
}
#: cmi5's progress extension: a whole percentage (what Aspects reads).
PROGRESS = "https://w3id.org/xapi/cmi5/result/extensions/progress"
#: Every 360 rater's statement has this actor: it names no one.
ANONYMOUS_RATER = "anonymous-360-rater"
#: The account that voids statements this service no longer asserts.
SERVICE_ACCOUNT = "lms"
ACTIVITY_TYPES = {
    "module": "http://adlnet.gov/expapi/activities/module",
    "activity": "http://adlnet.gov/expapi/activities/lesson",
    "behaviour": "http://adlnet.gov/expapi/activities/question",
    "cohort": "http://adlnet.gov/expapi/activities/course",
    "programme": "http://adlnet.gov/expapi/activities/course",
}
BATCH = 1000
NOTE_FIELDS = {"reflect": "reflection", "practise": "evidence"}


def deployment_namespace(config: Mapping[str, Any]) -> uuid.UUID:
    """The namespace of this deployment's statement ids: ``LMS_XAPI_NAMESPACE`` (a UUID, or
    any text, hashed into one), otherwise one derived from ``LMS_BASE_URL``."""
    chosen = (config.get("LMS_XAPI_NAMESPACE") or "").strip()
    if chosen:
        try:
            return uuid.UUID(chosen)
        except ValueError:
            return uuid.uuid5(uuid.NAMESPACE_URL, chosen)
    return uuid.uuid5(uuid.NAMESPACE_URL, config["LMS_BASE_URL"].rstrip("/") + "/xapi")


class Vocabulary:
    """The IRIs and ids of this deployment, built once per export from its configuration."""

    def __init__(self, base_url: str, namespace: uuid.UUID) -> None:
        self.base = base_url.rstrip("/")
        self.namespace = namespace

    @classmethod
    def of_app(cls) -> Vocabulary:
        """The vocabulary of the running app's deployment."""
        config = current_app.config
        return cls(config["LMS_BASE_URL"], deployment_namespace(config))

    def statement_id(self, *fact: Any) -> str:
        """The id of the statement asserting ``fact`` (a tuple of plain values)."""
        return str(uuid.uuid5(self.namespace, json.dumps(fact, separators=(",", ":"))))

    def iri(self, *parts: str) -> str:
        """An IRI under this service's xAPI namespace."""
        return "/".join([self.base, "xapi", *parts])

    def actor(self, user_id: int | str) -> dict[str, Any]:
        """A participant, by their account on this service."""
        return {"objectType": "Agent", "account": {"homePage": self.base, "name": str(user_id)}}

    def activity(self, kind: str, key: str, name: str) -> dict[str, Any]:
        """An xAPI activity object."""
        return {"objectType": "Activity", "id": self.iri(kind, key),
                "definition": {"type": ACTIVITY_TYPES[kind], "name": {"en-GB": name}}}

    def context(self, cohort: Cohort, phase: str | None = None) -> dict[str, Any]:
        """The cohort as registration and parent, the programme as grouping; the phase as
        an extension."""
        programme = cohort.programme
        context: dict[str, Any] = {
            "registration": str(uuid.uuid5(self.namespace, f"cohort:{cohort.id}")),
            "contextActivities": {
                "parent": [self.activity("cohort", str(cohort.id), cohort.name)],
                "grouping": [self.activity("programme", programme.slug, programme.name)]},
            "platform": "lms",
        }
        if phase:
            context["extensions"] = {self.iri("extensions", "phase"): phase}
        return context

    def voiding(self, statement_id: str) -> dict[str, Any]:
        """The statement that voids ``statement_id``: sent when this service no longer
        asserts it. It has no timestamp, so sending it again is the same statement."""
        return {"id": self.statement_id("voids", statement_id),
                "actor": {"objectType": "Agent",
                          "account": {"homePage": self.base, "name": SERVICE_ACCOUNT}},
                "verb": verb("voided"),
                "object": {"objectType": "StatementRef", "id": statement_id}}


def verb(name: str) -> dict[str, Any]:
    """An xAPI verb with its display."""
    return {"id": VERBS[name], "display": {"en-US": name}}


def timestamp(moment: dt.datetime) -> str:
    """An ISO 8601 UTC timestamp, as xAPI wants it."""
    moment = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def statement(words: Vocabulary, fact: tuple, actor: dict, verb_name: str, obj: dict,
              when: dt.datetime, context: dict, result: dict | None = None) -> dict[str, Any]:
    """One statement, its id made from the fact it asserts."""
    entry = {"id": words.statement_id(*fact), "actor": actor, "verb": verb(verb_name),
             "object": obj, "timestamp": timestamp(when), "context": context}
    if result is not None:
        entry["result"] = result
    return entry


def digest(text: str) -> str:
    """A short fingerprint of a note: its statement changes when the note does."""
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def participants(cohort: Cohort) -> sa.Select:
    """The ids of the cohort's participants."""
    return sa.select(Enrolment.user_id).where(Enrolment.cohort_id == cohort.id,
                                              Enrolment.role == "participant")


def note_saved_at(cohort: Cohort) -> sa.Subquery:
    """When each of the cohort's records' current note was saved: its latest version."""
    records = sa.select(ActivityRecord.id).where(ActivityRecord.cohort_id == cohort.id)
    return (sa.select(ActivityNoteVersion.record_id,
                      sa.type_coerce(sa.func.max(ActivityNoteVersion.saved_at),
                                     UTCDateTime).label("saved_at"))
            .where(ActivityNoteVersion.record_id.in_(records))
            .group_by(ActivityNoteVersion.record_id).subquery())


def activity_statements(cohort: Cohort, words: Vocabulary) -> Iterator[dict[str, Any]]:
    """completed and responded, for the activities of the cohort's modules."""
    module_ids = [item.module.id for item in cohort_curriculum(cohort)]
    include_text = current_app.config["LMS_XAPI_INCLUDE_TEXT"]
    saved = note_saved_at(cohort)
    rows = db.session.execute(
        sa.select(ActivityRecord, Activity, Module.slug, saved.c.saved_at)
        .join(Activity, ActivityRecord.activity_id == Activity.id)
        .join(Module, Activity.module_id == Module.id)
        .outerjoin(saved, saved.c.record_id == ActivityRecord.id)
        .where(ActivityRecord.user_id.in_(participants(cohort)),
               ActivityRecord.cohort_id == cohort.id, Activity.module_id.in_(module_ids))
        .order_by(ActivityRecord.id).execution_options(yield_per=BATCH))
    context = words.context(cohort)
    # A reader that stops early (a refused push) still closes the server-side cursor.
    with rows:
        for record, activity, slug, saved_at in rows:
            obj = words.activity("activity", f"{slug}/{activity.key}", activity.title)
            actor = words.actor(record.user_id)
            if record.completed_at is not None:
                yield statement(words, ("completed", cohort.id, record.user_id, slug, activity.key,
                                        timestamp(record.completed_at)),
                                actor, "completed", obj, record.completed_at, context,
                                {"completion": True})
            note = getattr(record, NOTE_FIELDS.get(activity.kind, ""), None)
            if note:
                result = {"response": note} if include_text else {"extensions": {
                    words.iri("extensions", "note-length"): len(note)}}
                # The note's own time, not the record's: ticking "done" later is not a new note.
                yield statement(words, ("responded", cohort.id, record.user_id, slug, activity.key,
                                        digest(note)),
                                actor, "responded", obj, saved_at or record.updated_at, context,
                                result)


def module_statements(cohort: Cohort, words: Vocabulary) -> Iterator[dict[str, Any]]:
    """progressed, once per required activity done (in the order they were done), and
    completed once every required activity of a module is."""
    items = cohort_curriculum(cohort)
    required = dict(db.session.execute(
        sa.select(Activity.module_id, sa.func.count())
        .where(Activity.module_id.in_([i.module.id for i in items]),
               Activity.required.is_(True), Activity.retired_at.is_(None))
        .group_by(Activity.module_id)).all())
    rows = db.session.execute(
        sa.select(ActivityRecord.user_id, Activity.module_id, ActivityRecord.completed_at)
        .join(Activity, ActivityRecord.activity_id == Activity.id)
        .where(ActivityRecord.user_id.in_(participants(cohort)),
               ActivityRecord.cohort_id == cohort.id,
               Activity.module_id.in_(list(required)), Activity.required.is_(True),
               Activity.retired_at.is_(None), ActivityRecord.completed_at.is_not(None))
        .order_by(ActivityRecord.user_id, Activity.module_id, ActivityRecord.completed_at,
                  ActivityRecord.id))
    modules = {item.module.id: item.module for item in items}
    context = words.context(cohort)
    for (user_id, module_id), done in groupby(rows, key=lambda row: (row[0], row[1])):
        module = modules[module_id]
        obj = words.activity("module", module.slug, module.title)
        yield from module_progress(words, cohort, user_id, module.slug, obj, context,
                                   [row[2] for row in done], required[module_id])


def module_progress(words: Vocabulary, cohort: Cohort, user_id: int, slug: str, obj: dict,
                    context: dict, times: list[dt.datetime], required: int
                    ) -> Iterator[dict[str, Any]]:
    """One participant's steps through one module: progressed at each required activity
    done, and completed at the last."""
    actor = words.actor(user_id)
    for step, moment in enumerate(times, start=1):
        percent = round(100 * step / required)
        result: dict[str, Any] = {"extensions": {PROGRESS: percent}}
        if step == required:
            result["completion"] = True
        yield statement(words, ("progressed", cohort.id, user_id, slug, step, required,
                                timestamp(moment)),
                        actor, "progressed", obj, moment, context, result)
    if len(times) >= required:
        yield statement(words, ("completed-module", cohort.id, user_id, slug,
                                timestamp(times[-1])),
                        actor, "completed", obj, times[-1], context, {"completion": True})


def rating_statements(cohort: Cohort, words: Vocabulary) -> Iterator[dict[str, Any]]:
    """answered, for every rating of every submitted self-assessment."""
    scale = [point["value"] for point in cohort.programme.rating_scale]
    low, high = scale[0], scale[-1]
    rows = db.session.execute(
        sa.select(Rating.value, Assessment.user_id, Assessment.phase,
                  Assessment.submitted_at, Behaviour.code, Behaviour.statement)
        .join(Assessment, Rating.assessment_id == Assessment.id)
        .join(Behaviour, Rating.behaviour_id == Behaviour.id)
        .where(Assessment.cohort_id == cohort.id, Assessment.status == "submitted")
        .order_by(Rating.id).execution_options(yield_per=BATCH))
    contexts = {}
    # A reader that stops early (a refused push) still closes the server-side cursor.
    with rows:
        for value, user_id, phase, submitted_at, code, text in rows:
            context = contexts.setdefault(phase, words.context(cohort, phase))
            result = ({"response": "not applicable"} if value is None else
                      {"response": str(value),
                       "score": {"scaled": round((value - low) / (high - low), 4) if high > low
                                 else 1.0, "raw": value, "min": low, "max": high}})
            yield statement(words, ("answered", cohort.id, user_id, phase, code, value,
                                    timestamp(submitted_at)),
                            words.actor(user_id), "answered",
                            words.activity("behaviour", code, f"{code}: {text}"),
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
        # The nomination is the fact's identity: two raters on one day are two reviews.
        context = words.context(cohort, phase)
        del context["platform"]  # xAPI Data 2.4.6.2: only for statements about an activity
        yield statement(words, ("reviewed", cohort.id, participant_id, phase, rater_id),
                        actor, "reviewed", words.actor(participant_id), day, context)


def cohort_statements(cohort: Cohort, words: Vocabulary | None = None
                      ) -> Iterator[dict[str, Any]]:
    """Every statement about a cohort's participants."""
    words = words or Vocabulary.of_app()
    yield from activity_statements(cohort, words)
    yield from module_statements(cohort, words)
    yield from rating_statements(cohort, words)
    yield from feedback_statements(cohort, words)
