"""The outcomes page: aggregates only for sponsors, every option checked."""

from __future__ import annotations

import html
import re

import sqlalchemy as sa

from lms.accounts.models import User
from lms.cohorts.models import Cohort
from lms.extensions import db
from tests import builders as b


def rate_colleagues(cohort_id: int, count: int = 6) -> list[str]:
    """``count`` more participants who rated all three phases; their names."""
    cohort = db.session.get(Cohort, cohort_id)
    names = []
    for number in range(count):
        person = b.make_user("participant", name=f"Colleague Number{number}")
        b.enrol(person, cohort, level_code=("manager", "front_line")[number % 2])
        for phase, value in (("pre", 2), ("then", 2), ("post", 4)):
            b.assess(person, cohort, phase, values={"SI.1": value + number % 2})
        names.append(person.display_name)
    db.session.commit()
    return names


def test_a_sponsor_sees_charts_tables_and_no_one_person(browse, cohorts):
    names = rate_colleagues(cohorts.cohort_id)
    page = browse(cohorts.emails["sponsor"]).get("/outcomes?breakdown=leadership_level")
    assert page.status_code == 200
    charts = re.findall(r'<img src="(/api/v1/programmes/\d+/charts/\w+\.png[^"]*)"', page.text)
    assert len(charts) == 3
    assert all("cohorts=" in src for src in charts)
    assert "Suppressed" in page.text  # three of each level: fewer than five
    assert "is not shown" in page.text  # the explanation of suppression
    everyone = db.session.scalars(sa.select(User)).all()
    for person in everyone:
        if person.role == "participant":
            assert person.display_name not in page.text and person.email not in page.text
    assert names  # (the colleagues exist, and none is named above)


def test_the_comparison_selector_changes_the_figures_and_chart(browse, cohorts):
    rate_colleagues(cohorts.cohort_id)
    page = browse(cohorts.emails["sponsor"]).get("/outcomes?comparison=then_pre")
    assert "Effect size: then − pre (the response shift)" in page.text
    assert "comparison=then_pre" in page.text  # the effects chart's address
    assert re.search(r'<option value="then_pre" selected\s*>', page.text)


def test_bad_options_are_answered_naming_them(browse, cohorts):
    sponsor = browse(cohorts.emails["sponsor"])
    for query, words in (("comparison=evil", "'comparison'"), ("breakdown=name", "'breakdown'"),
                         ("scope=abc", "'scope'"), ("scope=" + "9" * 40, "'scope'"),
                         ("scope=١", "'scope'")):
        page = sponsor.get(f"/outcomes?{query}")
        assert page.status_code == 422, query
        assert words in html.unescape(page.text), query
    # A cohort the sponsor does not sponsor looks like one that does not exist.
    assert sponsor.get(f"/outcomes?scope={cohorts.other_cohort_id}").status_code == 404


def test_a_tutor_sees_their_cohort_whole(browse, cohorts):
    rate_colleagues(cohorts.cohort_id, count=3)
    page = browse(cohorts.emails["tutor"]).get(f"/outcomes?scope={cohorts.cohort_id}")
    assert page.status_code == 200
    assert "Suppressed" not in page.text  # tutors are not under disclosure control
    assert "<h1>Outcomes: Cohort A</h1>" in page.text
