"""Charts drawn ahead (lms.outcomes.ahead): a change to a cohort's outcomes queues one drawing
of its page charts, which then come from the cache for tutors and sponsors alike."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from lms.cohorts.models import Sponsorship
from lms.core import jobs
from lms.core.errors import Conflict
from lms.core.extensions import cache, db
from lms.outcomes import ahead
from lms.ratings import service as ratings
from tests import builders as b

TODAY = dt.date(2026, 10, 1)
PAGE_CHART = "/api/v1/programmes/{programme}/charts/{name}.png?cohorts={cohort}{extra}"


@pytest.fixture
def cohort(seeded):
    """A cohort with its windows open on TODAY, two participants, a tutor and a sponsor."""
    seeded.config["LMS_CHARTS_AHEAD_SECONDS"] = 30
    cohort = b.make_cohort()
    cohort.pre_opens_on = cohort.post_opens_on = dt.date(2026, 9, 1)
    cohort.pre_closes_on = cohort.post_closes_on = dt.date(2026, 12, 31)
    for _ in range(2):
        b.enrol(b.make_user("participant"), cohort)
    b.enrol(b.make_user("tutor"), cohort)
    b.sponsor(b.make_user("sponsor"), cohort=cohort)
    db.session.commit()
    return cohort


def submit_someone(cohort, phase: str = "pre") -> None:
    """A participant of the cohort who has not yet submitted ``phase`` submits it."""
    for enrolment in cohort.enrolments:
        if enrolment.role != "participant":
            continue
        answers = {behaviour.code: 4 for behaviour in ratings.behaviours_for_sector(
            ratings.sector_of(enrolment))}
        try:
            ratings.save_draft(enrolment.user, phase, answers, cohort.id, today=TODAY)
            ratings.submit(enrolment.user, phase, cohort.id, today=TODAY)
        except Conflict:
            db.session.rollback()
            continue
        db.session.commit()
        return
    raise AssertionError("everyone has submitted")


def scheduled_drawings(app) -> list[tuple]:
    """The drawings waiting on the queue, by their arguments."""
    huey = app.extensions[jobs.EXTENSION].huey  # a delayed task waits with its time to run
    return [task.args for task in huey.pending() if task.name == ahead.JOB and task.eta]


def cache_state(client, cohort, role_headers, name: str, extra: str = "") -> str:
    """Whether the page's chart came from the cache ("hit") or was drawn ("miss")."""
    response = client.get(PAGE_CHART.format(programme=cohort.programme_id, name=name,
                                            cohort=cohort.id, extra=extra),
                          headers=role_headers)
    assert response.status_code == 200, response.text
    return response.headers["X-Cache"]


def headers_of(cohort, role: str) -> dict[str, str]:
    if role == "sponsor":
        user = db.session.scalar(sa.select(Sponsorship).filter_by(cohort_id=cohort.id)).user
    else:
        user = next(e.user for e in cohort.enrolments if e.role == role)
    return b.bearer(user)


@pytest.mark.slow  # draws eight charts
def test_a_submission_queues_one_drawing_and_the_page_charts_come_from_the_cache(app, client,
                                                                                  cohort):
    cache.clear()
    submit_someone(cohort)
    submit_someone(cohort)  # within the minute: no second drawing
    assert scheduled_drawings(app) == [(cohort.id,)]
    assert ahead.draw_ahead(cohort.id) == 2 * len(ahead.PAGE_CHARTS)
    tutor, sponsor = headers_of(cohort, "tutor"), headers_of(cohort, "sponsor")
    db.session.commit()
    for name, extra in (("behaviours", "&height=1400"), ("likert", ""),
                        ("effects", "&comparison=post_pre&level=theme"), ("engagement", "")):
        assert cache_state(client, cohort, tutor, name, extra) == "hit", name
        assert cache_state(client, cohort, sponsor, name, extra) == "hit", name
    assert ahead.draw_ahead(cohort.id) == 0  # nothing changed since


@pytest.mark.slow  # draws twelve charts
def test_a_change_after_the_drawing_is_drawn_again_and_a_sponsors_unchanged_charts_are_not(
        app, cohort):
    cache.clear()
    submit_someone(cohort)
    ahead.draw_ahead(cohort.id)
    cache.delete(f"charts-ahead:{cohort.id}")  # the minute has passed
    submit_someone(cohort, "post")
    assert scheduled_drawings(app)[-1] == (cohort.id,)
    # The tutor's four charts changed with the post submission; the sponsor's (releases
    # only) did not.
    assert ahead.draw_ahead(cohort.id) == len(ahead.PAGE_CHARTS)


def test_drawing_ahead_can_be_turned_off(app, cohort):
    app.config["LMS_CHARTS_AHEAD_SECONDS"] = 0
    submit_someone(cohort)
    assert scheduled_drawings(app) == []


def test_drawing_ahead_for_a_deleted_cohort_draws_nothing(app, seeded):
    assert ahead.draw_ahead(10**6) == 0
