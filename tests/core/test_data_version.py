"""Data versions move with the data behind them, and only with it."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from lms.accounts.models import User
from lms.cohorts.models import Cohort
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


def test_recorded_work_moves_progress_and_work_only(curriculum):
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
    assert moved(before) == {"progress", "work"}


def test_a_sign_in_moves_nothing_but_a_new_name_moves_progress(seeded,
                                                               cohort_with_participant):
    _cohort, person = cohort_with_participant
    before = versions()
    db.session.get(User, person.id).last_sign_in_at = dt.datetime.now(dt.UTC)
    db.session.commit()
    assert moved(before) == set()
    db.session.get(User, person.id).display_name = "A new name"
    db.session.commit()
    assert moved(before) == {"progress", "work"}


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


# --- per-cohort versions (issue 25) ---------------------------------------------------------

@pytest.fixture
def two_cohorts(seeded):
    """Two cohorts of one programme, each with a participant who submitted pre."""
    programme = b.make_programme()
    found = []
    for name in ("North", "South"):
        cohort = b.make_cohort(programme, name=name)
        person = b.make_user("participant")
        b.enrol(person, cohort)
        b.assess(person, cohort, "pre")
        found.append((cohort.id, person.id))
    db.session.commit()
    return found


def scoped_tokens(*names: str) -> dict[str, str]:
    """Each cohort's scoped token of ``names`` (North, South), and the programme's."""
    db.session.rollback()
    north, south = sorted(db.session.scalars(sa.select(Cohort.id)))[-2:]
    return {"north": data_version.scoped(names, [north]),
            "south": data_version.scoped(names, [south]),
            "both": data_version.scoped(names, [north, south])}


def changed(before: dict[str, str], *names: str) -> set[str]:
    after = scoped_tokens(*names)
    return {key for key in before if before[key] != after[key]}


def test_a_submission_in_one_cohort_leaves_the_others_answers(two_cohorts):
    (north, north_person), _south = two_cohorts
    before = scoped_tokens("outcomes", "progress")
    person = db.session.get(User, north_person)
    b.assess(person, db.session.get(Cohort, north), "post")
    db.session.commit()
    assert changed(before, "outcomes", "progress") == {"north", "both"}


@pytest.mark.parametrize("phase", ["post", "pre"])
def test_a_submission_through_the_service_moves_its_cohort_and_a_pre_one_the_baseline(
        two_cohorts, phase):
    """The service submits with one UPDATE statement, marked with its cohort and phase."""
    from lms.ratings import service as ratings

    (north, north_person), _south = two_cohorts
    cohort = db.session.get(Cohort, north)
    cohort.pre_opens_on = cohort.post_opens_on = dt.date(2026, 9, 1)
    cohort.pre_closes_on = cohort.post_closes_on = dt.date(2026, 12, 31)
    pre = db.session.scalar(sa.select(Assessment).filter_by(user_id=north_person, phase="pre"))
    pre.status = "draft"
    db.session.commit()
    before = scoped_tokens("outcomes", "progress")
    baseline = data_version.current("baseline")
    person = db.session.get(User, north_person)
    answers = {b_.code: 4 for b_ in ratings.behaviours_for_sector("providing")}
    ratings.save_draft(person, phase, answers, north, today=dt.date(2026, 10, 1))
    ratings.submit(person, phase, north, today=dt.date(2026, 10, 1))
    db.session.commit()
    assert changed(before, "outcomes", "progress") == {"north", "both"}
    assert (data_version.current("baseline") != baseline) == (phase == "pre")


def test_the_outcomes_key_of_another_cohort_stays_for_post_but_not_for_pre(two_cohorts):
    from lms.outcomes import service

    (north, north_person), (south, _person) = two_cohorts

    def key(cohort_id):
        db.session.rollback()
        cohort = db.session.get(Cohort, cohort_id)
        return service.report_key([cohort], cohort.programme, "theme", None, False)

    south_key = key(south)
    person = db.session.get(User, north_person)
    b.assess(person, db.session.get(Cohort, north), "post")
    db.session.commit()
    assert key(south) == south_key  # post: no cohort but North's figures can change
    pre = db.session.scalar(sa.select(Assessment).filter_by(user_id=north_person, phase="pre"))
    pre.status = "draft"  # North's baseline: every cohort's reliable-change thresholds
    db.session.commit()
    assert key(south) != south_key


@pytest.mark.parametrize("change", ["framework", "programme", "organisation", "bulk"])
def test_a_change_no_cohort_owns_moves_every_cohort(two_cohorts, change):
    from lms.cohorts.models import Organisation, Programme
    from lms.framework.models import Behaviour
    from lms.ratings.models import Rating

    before = scoped_tokens("outcomes")
    if change == "framework":
        db.session.scalars(sa.select(Behaviour)).first().statement += " "
    elif change == "programme":
        db.session.scalars(sa.select(Programme)).first().min_group_size = 7
    elif change == "organisation":
        db.session.scalars(sa.select(Organisation)).first().type = "local_authority"
    else:
        db.session.execute(sa.update(Rating).values(value=2))
    db.session.commit()
    assert changed(before, "outcomes") == {"north", "south", "both"}


def test_a_release_of_one_cohort_leaves_the_others_sponsors_answers(two_cohorts):
    (north, _p), _south = two_cohorts
    before = scoped_tokens("released")
    b.release(db.session.get(Cohort, north))
    db.session.commit()
    assert changed(before, "released") == {"north", "both"}


def test_a_cohorts_first_changes_in_one_transaction_write_one_token(two_cohorts):
    from lms.core.data_version import CohortDataVersion

    (north, north_person), _south = two_cohorts
    person = db.session.get(User, north_person)
    cohort = db.session.get(Cohort, north)
    b.assess(person, cohort, "post")
    b.assess(person, cohort, "then")
    db.session.commit()
    rows = db.session.scalars(sa.select(CohortDataVersion).where(
        CohortDataVersion.cohort_id == north, CohortDataVersion.name == "outcomes")).all()
    assert len(rows) == 1
