"""Charts drawn ahead: after a cohort's outcomes change, the worker draws the charts its
outcomes page shows, for its tutors and for its sponsors, so that whoever opens the page
next finds them in the cache instead of waiting for matplotlib.

A drawing is queued at most once per cohort in ``LMS_CHARTS_AHEAD_SECONDS`` (60 by default;
0 turns drawing ahead off), and runs that long after the first change: during a burst of
submissions a cohort is drawn about once a minute, and always once after the last change. A
request that arrives before the drawing draws the chart itself; either way each chart of a
data version is drawn once (``lms.core.caching.built_once``), and a chart already in the
cache (a sponsor's, which changes only with a release) is not drawn again.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy.orm import Session

from lms.cohorts.models import Cohort
from lms.core import data_version, jobs
from lms.core.extensions import cache, db
from lms.outcomes import kept

log = logging.getLogger(__name__)

JOB = "draw_charts_ahead"
#: The charts of a one-cohort outcomes page as it first opens (lms.dashboards.outcomes), with
#: the options it asks them with.
PAGE_CHARTS = (("effects", {"comparison": "post_pre", "level": "theme"}), ("likert", {}),
               ("behaviours", {"height": "1400"}), ("engagement", {}))
#: Tables whose bulk statements (a release's copies, marked with their cohort) change what
#: sponsors' charts show.
RELEASED_TABLES = ("released_answer", "released_person", "released_completion")


def note_releases(state) -> None:
    """do_orm_execute: a release's copies change its cohort's sponsor charts."""
    if not state.is_insert:
        return
    name = getattr(getattr(state.statement, "table", None), "name", None)
    cohort_id = state.execution_options.get(data_version.COHORT_OPTION)
    if name in RELEASED_TABLES and cohort_id is not None:
        state.session.info.setdefault(kept.CHANGED, set()).add(cohort_id)


def queue_drawing(session: Session) -> None:
    """after_commit: queue the drawing of each changed cohort's charts, unless one is already
    queued for it."""
    changed = session.info.pop(kept.CHANGED, None)
    if not changed or not has_app_context():
        return
    seconds = current_app.config.get("LMS_CHARTS_AHEAD_SECONDS", 0)
    if seconds <= 0:
        return
    for cohort_id in sorted(changed):
        try:
            if cache.add(f"charts-ahead:{cohort_id}", 1, timeout=seconds):
                jobs.queue().enqueue(JOB, cohort_id, delay=seconds)
        except Exception:  # the queue or cache away: requests draw their charts themselves
            log.warning("could not queue the drawing of cohort %s's charts", cohort_id,
                        exc_info=True)


def draw_ahead(cohort_id: int) -> int:
    """The worker's job: draw a cohort's page charts for tutors and sponsors that are not in
    the cache yet; how many were drawn."""
    from lms.outcomes import chart_api  # the pages' routes, which this draws for

    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None:
        return 0
    drawn = 0
    for protect in (False, True):
        for name, options in PAGE_CHARTS:
            try:
                if chart_api.draw_for_page(cohort, name, protect, options):
                    drawn += 1
            except Exception:  # one chart failing leaves the others; a request retries it
                log.exception("drawing the %s chart of cohort %s ahead failed", name,
                              cohort_id)
    db.session.rollback()
    return drawn


JOBS = [jobs.Job(JOB, draw_ahead)]


def watch(session_class: type[Session]) -> None:
    """Listen to every session of ``session_class`` (idempotent)."""
    for name, handler in (("do_orm_execute", note_releases), ("after_commit", queue_drawing)):
        if not sa.event.contains(session_class, name, handler):
            sa.event.listen(session_class, name, handler)
