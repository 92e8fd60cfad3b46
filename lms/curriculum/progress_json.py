"""A cohort's progress as JSON, written out directly.

The same document ``CohortProgressSchema`` describes (and documents in OpenAPI); building it
by hand is several times faster for big cohorts, and tests/curriculum/test_progress.py checks
the two agree.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from lms.curriculum.progress import ModuleProgress, ParticipantProgress
from lms.curriculum.service import CurriculumItem


def iso(value: dt.date | dt.datetime | None) -> str | None:
    """ISO 8601, as marshmallow writes dates and times."""
    return None if value is None else value.isoformat()


def module_json(module: ModuleProgress) -> dict[str, Any]:
    """One module's progress for one participant."""
    return {"slug": module.slug, "title": module.title, "opens_on": iso(module.opens_on),
            "due_on": iso(module.due_on), "status": module.status,
            "required": module.required, "done": module.done,
            "last_activity_at": iso(module.last_activity_at)}


def participant_json(progress: ParticipantProgress) -> dict[str, Any]:
    """One participant across the curriculum."""
    return {"user_id": progress.user_id, "display_name": progress.display_name,
            "email": progress.email, "percentage": float(progress.percentage),
            "last_activity_at": iso(progress.last_activity_at), "at_risk": progress.at_risk,
            "risk_reasons": list(progress.risk_reasons),
            "modules": [module_json(m) for m in progress.modules]}


def item_json(item: CurriculumItem) -> dict[str, Any]:
    """A module of the cohort's curriculum."""
    return {"slug": item.module.slug, "title": item.module.title, "position": item.position,
            "opens_on": iso(item.opens_on), "due_on": iso(item.due_on),
            "available_on": iso(item.available_on)}


def progress_document(result: dict[str, Any]) -> dict[str, Any]:
    """``cohort_progress``'s result as the API answers it."""
    return {"cohort_id": result["cohort_id"], "as_of": iso(result["as_of"]),
            "curriculum": [item_json(i) for i in result["curriculum"]],
            "participants": [participant_json(p) for p in result["participants"]]}
