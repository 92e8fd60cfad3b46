"""Data versions move with the data behind them, and only with it."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from lms.accounts.models import User
from lms.core import data_version
from lms.core.extensions import db
from lms.ratings.models import Assessment
from tests import builders as b


def versions() -> dict[str, str]:
    """Every version's token now."""
    db.session.rollback()
    return {name: data_version.current(name) for name in data_version.NAMES}


def moved(before: dict[str, str]) -> set[str]:
    """Which versions changed since ``before``."""
    after = versions()
    return {name for name in data_version.NAMES if after[name] != before[name]}


@pytest.fixture
def cohort_with_participant(seeded):
    """A cohort with one participant."""
    cohort = b.make_cohort()
    person = b.make_user("participant")
    b.enrol(person, cohort)
    db.session.commit()
    return cohort, person


def test_a_draft_moves_nothing_and_a_submission_moves_outcomes(seeded, cohort_with_participant):
    cohort, person = cohort_with_participant
    before = versions()
    b.assess(person, cohort, "pre", status="draft")
    db.session.commit()
    assert moved(before) == set()
    before = versions()
    assessment = db.session.scalar(sa.select(Assessment).filter_by(user_id=person.id))
    assessment.ratings[0].value = 4  # still a draft
    db.session.commit()
    assert moved(before) == set()
    before = versions()
    db.session.execute(sa.update(Assessment).where(Assessment.id == assessment.id)
                       .values(status="submitted"))
    db.session.commit()
    assert moved(before) == {"outcomes", "progress", "baseline"}  # a pre: the baseline too


def test_a_post_submission_leaves_the_baseline(seeded, cohort_with_participant):
    cohort, person = cohort_with_participant
    b.assess(person, cohort, "pre")
    db.session.commit()
    before = versions()
    b.assess(person, cohort, "post", status="draft")
    db.session.commit()
    post = db.session.scalar(sa.select(Assessment).filter_by(user_id=person.id, phase="post"))
    post.ratings[0].value = 2
    post.status = "submitted"
    db.session.commit()
    assert moved(before) == {"outcomes", "progress"}
    before = versions()
    pre = db.session.scalar(sa.select(Assessment).filter_by(user_id=person.id, phase="pre"))
    pre.status = "draft"  # reopened: the baseline changes
    db.session.commit()
    assert moved(before) == {"outcomes", "progress", "baseline"}


def test_recorded_work_moves_progress_only(curriculum):
    from lms.curriculum.models import Activity, ActivityRecord

    cohort = b.make_cohort()
    person = b.make_user("participant")
    b.enrol(person, cohort)
    db.session.commit()
    before = versions()
    activity = db.session.scalar(sa.select(Activity).limit(1))
    db.session.add(ActivityRecord(user=person, activity=activity,
                                  completed_at=dt.datetime.now(dt.UTC)))
    db.session.commit()
    assert moved(before) == {"progress"}


def test_a_sign_in_moves_nothing_but_a_new_name_moves_progress(seeded,
                                                               cohort_with_participant):
    _cohort, person = cohort_with_participant
    before = versions()
    db.session.get(User, person.id).last_sign_in_at = dt.datetime.now(dt.UTC)
    db.session.commit()
    assert moved(before) == set()
    db.session.get(User, person.id).display_name = "A new name"
    db.session.commit()
    assert moved(before) == {"progress"}


def test_a_rolled_back_change_moves_nothing(seeded, cohort_with_participant):
    cohort, person = cohort_with_participant
    before = versions()
    b.assess(person, cohort, "pre")
    db.session.rollback()
    db.session.commit()
    assert moved(before) == set()


def test_a_framework_change_moves_everything(seeded):
    from lms.framework.models import Behaviour

    before = versions()
    db.session.scalar(sa.select(Behaviour).filter_by(code="SI.1")).statement = "Changed."
    db.session.commit()
    assert moved(before) == set(data_version.NAMES)


def test_an_emptied_database_never_serves_an_old_token(seeded):
    with db.engine.begin() as connection:
        connection.execute(sa.delete(data_version.DataVersion))
    db.session.rollback()
    assert data_version.current("outcomes") != data_version.current("outcomes")


def test_the_reliable_change_thresholds_outlive_a_post_submission(seeded,
                                                                  cohort_with_participant):
    from lms.core.extensions import cache
    from lms.outcomes import scales
    from tests.fixtures import count_queries

    cohort, person = cohort_with_participant
    b.assess(person, cohort, "pre")
    db.session.commit()
    cache.clear()
    scales.change_thresholds(cohort.programme, "theme", None)
    b.assess(person, cohort, "post")
    db.session.commit()
    programme = cohort.programme
    with count_queries(db.engine) as queries:
        scales.change_thresholds(programme, "theme", None)
    # The baseline version only: the thresholds were not worked out again.
    statements = [s for s in queries.statements if s != "BEGIN"]
    assert len(statements) == 1 and "FROM data_version" in statements[0]
