"""Reliable change for one person or every person of a cohort, for their tutors: per theme
and for the whole framework, the pre and post scores (the mean of the points given), the
change, the reliable change index against the programme's threshold (lms.outcomes.scales)
and what it says. Never for sponsors: these are individuals."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from lms.cohorts.models import Cohort, Programme
from lms.core.extensions import db
from lms.framework.models import Behaviour, Theme
from lms.outcomes import scales
from lms.outcomes.reliability import classify, reliable_change_index
from lms.ratings.models import Assessment, Rating

WORDS = {"improved": _l("reliably improved"), "none": _l("no reliable change"),
         "declined": _l("reliably declined"), None: _l("not available")}


def thresholds(programme: Programme) -> dict[str, float | None]:
    """S_diff for every theme and the framework: two queries."""
    return {**scales.change_thresholds(programme, "theme", None),
            **scales.change_thresholds(programme, "framework", None)}


def verdict(code: str, pre: float | None, post: float | None,
            limits: dict[str, float | None]) -> dict[str, Any]:
    """One scale's change for one person, and what the reliable change index says of it."""
    change = None if pre is None or post is None else post - pre
    index = None if change is None else reliable_change_index(change, limits.get(code))
    category = classify(index)
    return {"code": code, "pre": pre, "post": post, "change": change, "rci": index,
            "reliable_change": category, "words": str(WORDS[category])}


def scores_by_person(cohort: Cohort, user_id: int | None = None
                     ) -> dict[int, dict[str, dict[str, float]]]:
    """Every participant's (or one's) submitted pre and post score per theme and for the
    framework (one statement: sums and counts of points per person, theme and phase)."""
    query = (
        sa.select(Assessment.user_id, Theme.code, Assessment.phase,
                  sa.func.sum(Rating.value), sa.func.count(Rating.value))
        .join(Rating, Rating.assessment_id == Assessment.id)
        .join(Behaviour, Rating.behaviour_id == Behaviour.id)
        .join(Theme, Behaviour.theme_id == Theme.id)
        .where(Assessment.cohort_id == cohort.id, Assessment.status == "submitted",
               Assessment.phase.in_(("pre", "post")))
        .group_by(Assessment.user_id, Theme.code, Assessment.phase))
    if user_id is not None:
        query = query.where(Assessment.user_id == user_id)
    sums: dict[int, dict[str, dict[str, list[int]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(lambda: [0, 0])))
    for person, theme, phase, total, count in db.session.execute(query):
        for unit in (theme, "framework"):
            sums[person][unit][phase][0] += int(total or 0)
            sums[person][unit][phase][1] += int(count)
    return {user: {unit: {phase: total / count for phase, (total, count) in phases.items()
                          if count}
                   for unit, phases in units.items()}
            for user, units in sums.items()}


def cohort_reliable_change(cohort: Cohort, user_id: int | None = None
                           ) -> dict[int, list[dict[str, Any]]]:
    """Per participant (or for one): a verdict per theme (in order) and for the framework."""
    limits = thresholds(cohort.programme)
    themes = db.session.scalars(sa.select(Theme.code).order_by(Theme.position)).all()
    scores = scores_by_person(cohort, user_id)
    return {user: [verdict(code, mine.get(code, {}).get("pre"),
                           mine.get(code, {}).get("post"), limits)
                   for code in (*themes, "framework")]
            for user, mine in scores.items()}


def participant_reliable_change(cohort: Cohort, user_id: int) -> list[dict[str, Any]]:
    """One participant's verdicts (every theme and the framework); empty before any
    submitted self-assessment."""
    return cohort_reliable_change(cohort, user_id).get(user_id, [])
