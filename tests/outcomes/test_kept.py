"""Outcome tallies kept ready (lms.outcomes.kept): after every kind of write, each cohort's
kept counts equal the counts made afresh from its ratings, and every report reads the same
figures whether its cohorts are kept, stale or both."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from lms.cohorts.models import Cohort, Enrolment
from lms.core.errors import Conflict, NotFound
from lms.core.extensions import db
from lms.framework.models import Theme
from lms.interop.personal import erase_person
from lms.outcomes import kept, service
from lms.outcomes.kept import OutcomeTally, OutcomeTallyState
from lms.ratings import importer
from lms.ratings import service as ratings
from lms.ratings.models import Assessment
from tests import builders as b
from tests.fixtures import count_queries

TODAY = dt.date(2026, 10, 1)
WINDOWS = {"pre_opens_on": dt.date(2026, 9, 1), "pre_closes_on": dt.date(2026, 12, 31),
           "post_opens_on": dt.date(2026, 9, 1), "post_closes_on": dt.date(2026, 12, 31)}
POINTS = st.dictionaries(st.sampled_from(["SI.1", "SI.2", "DT.1", "FO.1"]),
                         st.one_of(st.none(), st.integers(1, 5)), max_size=4)


def windowed_cohort(programme=None) -> Cohort:
    """A cohort whose pre and post windows are open on TODAY."""
    cohort = b.make_cohort(programme)
    for name, day in WINDOWS.items():
        setattr(cohort, name, day)
    db.session.flush()
    return cohort


def kept_counts(cohort_id: int) -> dict:
    """A cohort's kept rows as {key: sums}."""
    t = OutcomeTally
    return {(v, k, u, p, k1, k2, k3, k4): (s1, s2, s3, n)
            for v, k, u, p, k1, k2, k3, k4, s1, s2, s3, n in db.session.execute(
                sa.select(t.variant, t.kind, t.unit, t.phase, t.k1, t.k2, t.k3, t.k4,
                          t.s1, t.s2, t.s3, t.n).where(t.cohort_id == cohort_id,
                                                       kept.live_rows()))}


def afresh(cohort_id: int) -> dict:
    """A cohort's counts made now from its ratings."""
    return dict(kept.counted_by_statement(cohort_id))


def live(cohort_ids, level: str, linked: str | None = None, breakdown: str | None = None):
    """A report's counts straight from the ratings (the statement alone)."""
    counted = service.Accumulator()
    counted.add_all(db.session.execute(service.tally_query(cohort_ids, level, breakdown,
                                                           linked)))
    return counted.result()


def same_counts(first, second) -> bool:
    """Whether two ``Counted`` hold the same figures."""
    def shape(counted):
        return ({key: (dict(t.pairs), dict(t.answers), dict(t.respondents))
                 for key, t in counted.rows.items()}, counted.people,
                dict(counted.alphas.items), dict(counted.alphas.totals),
                dict(counted.flow.attrition), counted.flow.paired)
    return shape(first) == shape(second)


class KeptTallies(RuleBasedStateMachine):
    """Participants of two cohorts submit, are imported, reopened, erased, moved between
    organisations and levels, while the framework changes and the worker rebuilds."""

    @initialize()
    def programme(self):
        programme = b.make_programme()
        self.cohorts = [windowed_cohort(programme) for _ in range(2)]
        self.people = []
        for cohort in self.cohorts:
            for _ in range(3):
                user = b.make_user("participant")
                b.enrol(user, cohort, organisation=b.make_organisation(
                    type_="nhs_trust", sector="providing"))
                self.people.append((user, cohort))
        self.tutor = b.make_user("tutor")
        db.session.commit()

    def person(self, index: int):
        return self.people[index % len(self.people)]

    @rule(index=st.integers(0, 5), phase=st.sampled_from(["pre", "post", "then"]),
          points=POINTS)
    def submit(self, index, phase, points):
        user, cohort = self.person(index)
        answers = {code: "na" if value is None else value for code, value in points.items()}
        enrolment = db.session.scalar(sa.select(Enrolment).filter_by(cohort_id=cohort.id,
                                                                     user_id=user.id))
        asked = ratings.behaviours_for_sector(ratings.sector_of(enrolment))
        every = {behaviour.code: 3 for behaviour in asked}
        try:
            ratings.save_draft(user, phase, every | answers, cohort.id, today=TODAY)
            ratings.submit(user, phase, cohort.id, today=TODAY)
            db.session.commit()
        except Conflict:  # already submitted: the API answers 409
            db.session.rollback()

    @rule(index=st.integers(0, 5), phase=st.sampled_from(["pre", "post"]),
          value=st.sampled_from(["1", "2", "4", "5", "na"]))
    def import_ratings(self, index, phase, value):
        user, cohort = self.person(index)
        other, _ = self.person(index + 3)
        rows = [f"{user.email},{phase},SI.1,{value}", f"{user.email},{phase},DT.2,3"]
        if other.id != user.id and any(c.id == cohort.id and u.id == other.id
                                       for u, c in self.people):
            rows.append(f"{other.email},{phase},FO.1,{value}")
        importer.import_ratings(cohort, ("email,phase,behaviour,value\n" + "\n".join(rows))
                                .encode())
        db.session.commit()

    @rule(index=st.integers(0, 5), phase=st.sampled_from(["pre", "post", "then"]))
    def reopen(self, index, phase):
        user, cohort = self.person(index)
        try:
            ratings.reopen(cohort, user.id, phase, "Please check SI.1", today=TODAY)
            db.session.commit()
        except (Conflict, NotFound):
            db.session.rollback()

    @rule(index=st.integers(0, 5))
    def erase(self, index):
        user, _cohort = self.person(index)
        erase_person(user)
        db.session.commit()

    @rule(index=st.integers(0, 5), level=st.sampled_from(["front_line", "senior_leader"]))
    def re_enrol(self, index, level):
        user, cohort = self.person(index)
        enrolment = db.session.scalar(sa.select(Enrolment).filter_by(cohort_id=cohort.id,
                                                                     user_id=user.id))
        enrolment.leadership_level = b.level(level)
        db.session.commit()

    @rule(index=st.integers(0, 5))
    def move_organisation(self, index):
        user, cohort = self.person(index)
        enrolment = db.session.scalar(sa.select(Enrolment).filter_by(cohort_id=cohort.id,
                                                                     user_id=user.id))
        enrolment.organisation = b.make_organisation(type_="local_authority",
                                                     sector="commissioning")
        enrolment.organisation.sector = "both"
        db.session.commit()

    @rule()
    def change_the_framework(self):
        theme = db.session.scalar(sa.select(Theme).order_by(Theme.position))
        theme.title = theme.title + " "
        db.session.commit()

    @rule()
    def worker_rebuilds(self):
        kept.rebuild_stale()
        db.session.commit()

    @invariant()
    def kept_counts_are_the_counts(self):
        fresh = kept.fresh_among([c.id for c in self.cohorts])
        for cohort in self.cohorts:
            if cohort.id in fresh:
                assert kept_counts(cohort.id) == afresh(cohort.id)

    @invariant()
    def reports_read_the_same_figures(self):
        ids = [c.id for c in self.cohorts]
        for level, linked in (("behaviour", None), ("theme", None), ("linked", "nhs-lf")):
            assert same_counts(service.tallies(ids, level, None, linked),
                               live(ids, level, linked))
        assert same_counts(service.tallies(ids, "framework", "cohort"),
                           live(ids, "framework", breakdown="cohort"))


@pytest.mark.slow  # about 9 s
def test_kept_counts_hold_after_every_kind_of_write(seeded):
    run_state_machine_as_test(KeptTallies, settings=settings(
        max_examples=15, stateful_step_count=10, deadline=None,
        suppress_health_check=list(HealthCheck)))


@pytest.fixture
def cohort(seeded):
    """A kept cohort of two participants with pre and post submitted through the service."""
    cohort = windowed_cohort()
    for points in (2, 4):
        user = b.make_user("participant")
        b.enrol(user, cohort)
        for phase in ("pre", "post"):
            every = {b_.code: points for b_ in ratings.behaviours_for_sector("providing")}
            ratings.save_draft(user, phase, every, cohort.id, today=TODAY)
            ratings.submit(user, phase, cohort.id, today=TODAY)
            points += 1
    db.session.commit()
    return cohort


def test_a_new_cohort_is_kept_and_submissions_keep_it(cohort):
    assert kept.fresh_among([cohort.id]) == {cohort.id}
    assert kept_counts(cohort.id) == afresh(cohort.id) != {}


def test_a_change_outside_the_write_paths_marks_the_cohort_stale_and_reports_still_count_it(
        cohort):
    before = service.tallies([cohort.id], "behaviour", None)
    assessment = db.session.scalar(sa.select(Assessment).filter_by(cohort_id=cohort.id,
                                                                   phase="post"))
    assessment.ratings[0].value = 1  # as a repair by hand would
    db.session.commit()
    assert kept.fresh_among([cohort.id]) == set()
    after = service.tallies([cohort.id], "behaviour", None)
    assert not same_counts(before, after)
    assert same_counts(after, live([cohort.id], "behaviour"))
    assert kept.rebuild_stale() == 1
    db.session.commit()
    assert kept_counts(cohort.id) == afresh(cohort.id)


def test_a_draft_changes_nothing_kept(cohort):
    user = b.make_user("participant")
    b.enrol(user, cohort)
    ratings.save_draft(user, "pre", {"SI.1": 5}, cohort.id, today=TODAY)
    db.session.commit()
    assert kept.fresh_among([cohort.id]) == {cohort.id}


def test_a_kept_report_reads_the_kept_rows_not_the_ratings(cohort, app):
    cohort_id = cohort.id
    db.session.commit()
    with count_queries(db.engine) as counter:
        service.tallies([cohort_id], "behaviour", None)
    read = [statement for statement in counter.statements if statement != "BEGIN"]
    assert len(read) == 2, read  # which cohorts are kept; their rows
    assert "outcome_tally_state" in read[0] and "FROM outcome_tally " in read[1]
    assert not any("rating" in statement for statement in read)


def test_rebuild_tallies_counts_every_cohort_afresh(cohort, app):
    db.session.execute(sa.delete(OutcomeTally))
    db.session.execute(sa.update(OutcomeTallyState).values(fresh=False))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["lms", "rebuild-tallies"])
    assert result.exit_code == 0, result.output
    assert "Rebuilt the outcome tallies of" in result.output
    db.session.expire_all()
    assert kept.fresh_among([cohort.id]) == {cohort.id}
    assert kept_counts(cohort.id) == afresh(cohort.id)


def test_a_deleted_cohort_takes_its_kept_rows_with_it(cohort):
    cohort_id = cohort.id
    db.session.execute(sa.delete(Cohort).where(Cohort.id == cohort_id))
    db.session.commit()
    assert kept_counts(cohort_id) == {}


def test_a_starting_worker_rebuilds_whatever_is_stale(app):
    """After a migration or a restore every cohort is stale: a worker's start queues the
    rebuild."""
    from lms.core import jobs

    assert kept.REBUILD_JOB in app.extensions[jobs.EXTENSION].startup


def test_every_linked_framework_a_report_reads_is_kept():
    assert kept.LINKED_FRAMEWORKS == service.LINKED_FRAMEWORKS
