"""The database counts what the reference (pure Python, answer by answer) counts, and a
synthetic programme has what `flask lms demo-data` promises."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
import sqlalchemy as sa

from lms import synthetic
from lms.cohorts.models import ORGANISATION_TYPES, Cohort, Enrolment, Organisation
from lms.core.extensions import cache, db
from lms.framework.models import (
    Behaviour,
    ExternalFramework,
    ExternalHeading,
    LeadershipLevel,
    Theme,
    ThemeLink,
)
from lms.outcomes import service
from lms.outcomes.report import LEVELS, NA, PHASES, Answer, tally
from lms.ratings.models import Assessment, Rating
from tests import builders as b
from tests.fixtures import count_queries

TODAY = dt.date(2026, 11, 26)


@pytest.fixture
def synthetic_programme(curriculum, snapshots):
    """Three synthetic cohorts of 90 people in all, plus one person in two of them (so a
    person's scores pool over cohorts) and a draft that must not count."""
    return snapshots.build_or_restore(curriculum, "outcomes-synthetic", "curriculum",
                                      build_synthetic_programme)


def build_synthetic_programme():
    """Make the synthetic programme in the current app's database; what was made."""
    b.make_programme(slug="lehc", min_group_size=5)
    summary = synthetic.generate(90, 3, "a synthetic password", seed=5, today=TODAY)
    first, second = (db.session.get(Cohort, i) for i in summary.cohort_ids[:2])
    twice = b.make_user("participant")
    b.enrol(twice, first, level_code="manager")
    b.enrol(twice, second, level_code="front_line")
    b.assess(twice, first, "pre", values={"SI.1": 2, "SI.2": None})
    b.assess(twice, first, "post", values={"SI.1": 4, "SI.2": 3})
    b.assess(twice, second, "pre", values={"SI.1": 3})
    b.assess(twice, second, "post", values={"SI.1": 3})
    draft = b.make_user("participant")
    b.enrol(draft, first)
    b.assess(draft, first, "pre", values={"SI.1": 5}, status="draft")
    db.session.commit()
    return summary


def reference_answers(cohort_ids, breakdown) -> list[Answer]:
    """Every submitted answer, one per person, cohort and behaviour, as the pure report takes
    them."""
    rows = db.session.execute(
        sa.select(Assessment.user_id, Assessment.cohort_id, Behaviour.code, Theme.code,
                  Assessment.phase, Rating.value, LeadershipLevel.code, Organisation.type,
                  Organisation.sector)
        .join(Rating, Rating.assessment_id == Assessment.id)
        .join(Behaviour, Rating.behaviour_id == Behaviour.id).join(Theme)
        .join(Enrolment, sa.and_(Enrolment.cohort_id == Assessment.cohort_id,
                                 Enrolment.user_id == Assessment.user_id))
        .outerjoin(LeadershipLevel).outerjoin(Organisation)
        .where(Assessment.cohort_id.in_(cohort_ids), Assessment.status == "submitted")).all()
    merged: dict[tuple, dict] = {}
    for user, cohort, code, theme, phase, value, level, org_type, sector in rows:
        group = {None: None, "leadership_level": level, "organisation_type": org_type,
                 "sector": sector, "cohort": str(cohort)}[breakdown]
        entry = merged.setdefault((user, cohort, code), {"theme": theme, "group": group})
        entry[phase] = NA if value is None else value
    return [Answer(user, code, e["theme"], e["group"], e.get("pre"), e.get("then"),
                   e.get("post")) for (user, _cohort, code), e in merged.items()]


def as_headings(answers: list[Answer], linked: str) -> list[Answer]:
    """Each answer once per heading of ``linked`` its theme links to, the heading in place of
    the theme: a linked report is a theme report over headings."""
    headings = db.session.execute(
        sa.select(Theme.code, ExternalHeading.title).join(ThemeLink, ThemeLink.theme_id == Theme.id)
        .join(ExternalHeading).join(ExternalFramework)
        .where(ExternalFramework.code == linked)).all()
    return [replace(a, theme=title) for a in answers
            for theme, title in headings if theme == a.theme]


def level_and_breakdown(level: str, breakdown: str | None):
    """One case of the grid; the fast tier keeps every level whole and every breakdown at
    the behaviour level (the rest of the grid is ``slow``: ``make test`` runs it all)."""
    whole = breakdown is None or level == "behaviour"
    return pytest.param(level, breakdown, marks=() if whole else pytest.mark.slow)


@pytest.mark.parametrize(("level", "breakdown"), [
    *[level_and_breakdown(level, breakdown) for level in (*LEVELS[:3], "nhs-lf")
      for breakdown in (None, *service.BREAKDOWNS)],
    ("hay-ccg", None), ("lqf", "sector")])
def test_database_tallies_match_the_reference(curriculum, synthetic_programme, level,
                                              breakdown):
    with curriculum.app_context():
        ids = synthetic_programme.cohort_ids
        answers = reference_answers(ids, breakdown)
        if level in service.LINKED_FRAMEWORKS:
            found = service.tallies(ids, "linked", breakdown, level)
            answers, level = as_headings(answers, level), "theme"
        else:
            found = service.tallies(ids, level, breakdown)
        counted, people = found.rows, found.people
        expected = tally(answers, level)
        assert counted.keys() == expected.keys()
        for key, reference in expected.items():
            assert counted[key].pairs == reference.pairs, key
            assert counted[key].answers == reference.answers, key
            assert counted[key].respondents == reference.respondents, key
        assert people == len({a.user_id for a in answers})


@pytest.mark.parametrize(("level", "linked", "most"), [
    ("behaviour", None, 5), ("theme", None, 8), ("framework", None, 8),
    ("linked", "nhs-lf", 9)])
def test_a_report_takes_the_same_statements_whatever_its_size(curriculum, synthetic_programme,
                                                             level, linked, most):
    # Built, not cached: alpha and the flow's pairing ride in the report's one statement; the
    # flow's counts take one more, the programme's reliable-change thresholds three (their
    # data version, the programme's cohorts, their alpha), whatever the number of people.
    with curriculum.app_context():
        engine = db.engine
        counts = []
        for ids in (synthetic_programme.cohort_ids[:1], synthetic_programme.cohort_ids):
            cohorts = [db.session.get(Cohort, i) for i in ids]
            programme = cohorts[0].programme
            cache.clear()  # cold: the programme's reliable-change thresholds too
            with count_queries(engine) as queries:
                service.build_outcomes(cohorts, programme, level, "leadership_level",
                                       False, linked)
            counts.append(len([s for s in queries.statements if s != "BEGIN"]))
        # PostgreSQL's report transaction also sets its work_mem: one statement more.
        most += db.engine.dialect.name == "postgresql"
        assert counts[0] == counts[1] <= most, counts


def test_synthetic_programme_has_every_kind_of_participant(curriculum, synthetic_programme):
    with curriculum.app_context():
        ids = synthetic_programme.cohort_ids
        participants = sa.select(Enrolment).where(Enrolment.cohort_id.in_(ids),
                                                  Enrolment.role == "participant")
        enrolments = db.session.scalars(participants).all()
        assert len(enrolments) == 90 + 3  # one person in two cohorts, one with a draft
        assert {e.organisation.type for e in enrolments} == set(ORGANISATION_TYPES)
        assert {e.leadership_level.code for e in enrolments} == {
            "front_line", "manager", "senior_leader"}
        phases = db.session.execute(
            sa.select(Assessment.phase, sa.func.count()).where(Assessment.cohort_id.in_(ids))
            .group_by(Assessment.phase)).all()
        assert {phase for phase, _n in phases} == set(PHASES)
        values = dict(db.session.execute(
            sa.select(Rating.value, sa.func.count()).group_by(Rating.value)).all())
        assert set(values) >= {1, 2, 3, 4, 5}  # a spread, not one answer
        assert synthetic_programme.ratings > 90 * 36 * 2
        assert synthetic_programme.activity_records > 0


def test_demo_data_command_adds_a_programme_and_refuses_nonsense(curriculum):
    runner = curriculum.test_cli_runner()
    assert runner.invoke(args=["lms", "seed"]).exit_code == 0
    refused = runner.invoke(args=["lms", "demo-data", "--participants", "5", "--cohorts", "0"])
    assert refused.exit_code != 0 and "--cohorts must be between 1 and" in refused.output
    too_few = runner.invoke(args=["lms", "demo-data", "--participants", "2", "--cohorts", "3"])
    assert too_few.exit_code != 0 and "--participants must be between" in too_few.output
    with curriculum.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Cohort)) == 0
    made = runner.invoke(args=["lms", "demo-data", "--participants", "30", "--cohorts", "2"])
    assert made.exit_code == 0, made.output
    assert "Added 2 cohorts, 30 participants" in made.output
    again = runner.invoke(args=["lms", "demo-data", "--participants", "10", "--cohorts", "1"])
    assert again.exit_code == 0, again.output
    with curriculum.app_context():
        names = db.session.scalars(sa.select(Cohort.name).order_by(Cohort.name)).all()
        assert names == ["Synthetic 1-0001", "Synthetic 1-0002", "Synthetic 2-0001"]
