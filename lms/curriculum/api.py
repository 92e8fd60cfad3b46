"""Curriculum API: modules, your progress and work, cohorts' curricula and progress."""

from __future__ import annotations

import datetime as dt

from flask import Response, current_app
from flask_login import current_user

from lms import access
from lms.core import data_version
from lms.core.caching import cached
from lms.core.extensions import person_writes
from lms.core.schemas import CohortQuerySchema
from lms.curriculum import progress, service
from lms.curriculum.progress_json import progress_document
from lms.curriculum.schemas import (
    ActivityWorkSchema,
    ActivityWorkUpdateSchema,
    CohortProgressSchema,
    CoverageSchema,
    CurriculumItemSchema,
    CurriculumUpdateSchema,
    ModuleSchema,
    ModuleSummarySchema,
    MyProgressSchema,
    ParticipantWorkSchema,
)
from lms.web.api import NOT_FOUND, Blueprint
from lms.web.guards import guard, throttled

blp = Blueprint("curriculum", __name__,
                description="Modules, activities, and participants' progress through them.")

@blp.get("/modules")
@throttled(blp)
@blp.response(200, ModuleSummarySchema(many=True))
def list_modules():
    """The programme's current modules, in order."""
    return service.current_modules()


@blp.get("/modules/<slug>")
@throttled(blp)
@blp.response(200, ModuleSchema)
@blp.alt_response(404, **NOT_FOUND)
def get_module(slug: str):
    """One module with its introduction and activities, as Markdown and as safe HTML."""
    return service.get_module(slug)


@blp.get("/framework/coverage")
@throttled(blp)
@blp.response(200, CoverageSchema)
def get_coverage():
    """Which modules develop each behaviour, and which behaviours no module develops."""
    return service.coverage()


@blp.get("/me/progress")
@guard(blp)
@blp.response(200, MyProgressSchema(many=True))
def get_my_progress():
    """Your progress in each cohort you take part in, and your next activity."""
    return progress.my_progress(current_user)


@blp.get("/me/activities/<slug>/<key>")
@guard(blp, "participant")
@blp.arguments(CohortQuerySchema, location="query")
@blp.response(200, ActivityWorkSchema)
@blp.alt_response(404, **NOT_FOUND)
def get_my_activity(query, slug: str, key: str):
    """What you have recorded for an activity in a cohort (nothing yet is a valid answer)."""
    activity, cohort = service.find_activity_for(current_user, slug, key, dt.date.today(),
                                                 require_open=False,
                                                 cohort_id=query.get("cohort"))
    return service.find_record(current_user, cohort.id, activity.id)


@blp.put("/me/activities/<slug>/<key>")
@guard(blp, "participant")
@person_writes
@blp.arguments(CohortQuerySchema, location="query")
@blp.arguments(ActivityWorkUpdateSchema)
@blp.response(200, ActivityWorkSchema)
@blp.alt_response(404, **NOT_FOUND)
@blp.alt_response(409, response="DEFAULT_ERROR", description="The module has not opened yet.")
def put_my_activity(query, body, slug: str, key: str):
    """Mark an activity done or not, and save your reflection or evidence note.

    A reflection activity needs a reflection, and a workplace task an evidence note, before it
    can be marked done. Notes can be edited later; the latest 50 saved versions are kept.
    Work belongs to one cohort (``cohort``; by default your newest cohort where the module
    has opened), and only that cohort's tutors see it.
    """
    return service.record_activity(current_user, slug, key, body,
                                   cohort_id=query.get("cohort"))


@blp.get("/cohorts/<id:cohort_id>/modules")
@guard(blp)
@blp.response(200, CurriculumItemSchema(many=True))
@blp.alt_response(404, **NOT_FOUND)
def get_cohort_curriculum(cohort_id: int):
    """The modules the cohort follows, in order, with their opening and due dates."""
    return service.cohort_curriculum(access.cohort_for(current_user, cohort_id))


@blp.put("/cohorts/<id:cohort_id>/modules")
@guard(blp)
@blp.arguments(CurriculumUpdateSchema)
@blp.response(200, CurriculumItemSchema(many=True))
@blp.alt_response(404, **NOT_FOUND)
def put_cohort_curriculum(body, cohort_id: int):
    """Set the modules the cohort follows, in order, each optionally with an opening and a
    due date within the cohort's dates."""
    cohort = access.cohort_for(current_user, cohort_id, "manage")
    return service.set_cohort_curriculum(cohort, body["modules"])


@blp.get("/cohorts/<id:cohort_id>/progress")
@guard(blp)
@blp.response(200, CohortProgressSchema)
@blp.alt_response(404, **NOT_FOUND)
def get_cohort_progress(cohort_id: int):
    """Every participant × module with status, percentage, last activity and at-risk flags.

    At risk: no recorded work for 14 days (once the cohort has run that long), or a module not
    complete although the next one has opened (or the cohort has ended).
    """
    cohort = access.cohort_for(current_user, cohort_id, "individuals")
    today = dt.date.today()
    # Written out as JSON directly (for a cohort of 1,000 the schema's dump took most of the
    # time; a test holds the two to the same output), and kept under the version of the
    # work through the modules (not the self-assessments: a window's submissions leave it
    # cached) and the day (at-risk flags depend on it) for ten minutes at most.
    parts = {"version": data_version.scoped((data_version.WORK,), [cohort.id]),
             "cohort": cohort.id,
             "today": today}
    document = cached("progress", parts, lambda: current_app.json.dumps(
        progress_document(progress.cohort_progress(cohort, today))), timeout=600)
    return Response(document, mimetype="application/json")


@blp.get("/cohorts/<id:cohort_id>/participants/<id:user_id>/work")
@guard(blp)
@blp.response(200, ParticipantWorkSchema)
@blp.alt_response(404, **NOT_FOUND)
def get_participant_work(cohort_id: int, user_id: int):
    """A participant's activities, reflections and evidence (the cohort's tutors only)."""
    cohort = access.cohort_for(current_user, cohort_id, "individuals")
    return progress.participant_work(cohort, user_id)
