"""The outcomes page: aggregates only for sponsors, every option checked."""

from __future__ import annotations

import html
import re

import pytest
import sqlalchemy as sa

from lms.accounts.models import User
from lms.cohorts.models import Cohort
from lms.core.extensions import db
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
    assert len(charts) == 4  # effects, likert, behaviours, engagement
    assert all("cohorts=" in src for src in charts)
    assert "Suppressed" in page.text  # three of each level: fewer than five
    assert "is not shown" in page.text  # the explanation of suppression
    everyone = db.session.scalars(sa.select(User)).all()
    for person in everyone:
        if person.role == "participant":
            assert person.display_name not in page.text and person.email not in page.text
    assert names  # (the colleagues exist, and none is named above)


def test_the_suppression_notice_counts_what_the_page_shows(browse, cohorts):
    from lms.outcomes import releases

    rate_colleagues(cohorts.cohort_id)
    releases.publish(db.session.get(Cohort, cohorts.cohort_id))
    db.session.commit()
    page = browse(cohorts.emails["sponsor"]).get("/outcomes?breakdown=leadership_level").text
    shown = page.index("is not shown", page.index("These figures are aggregated"))
    notice = re.sub(r"\s+", " ", page[shown:page.index("</p>", shown)])
    start = page.index('id="figures-caption"')
    table = page[start:page.index("</table>", start)].count(
        '<strong class="nhsuk-tag nhsuk-tag--grey">Suppressed</strong>')
    assert f"On this page, suppressed: {table} of the table's figures" in notice
    # The commissioner-only behaviour DT.9 has no answers here, so the behaviours chart
    # shows at least one suppressed point, and the notice counts the charts' too.
    counted = int(re.search(r"and (\d+) of the charts", notice).group(1))
    assert counted > 0


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


def rate_a_programme(cohort_id: int, count: int = 24) -> list[int]:
    """``count`` participants with varied answers to every behaviour in every phase, so that
    alpha and reliable change can be worked out; their ids."""
    cohort = db.session.get(Cohort, cohort_id)
    ids = []
    for number in range(count):
        person = b.make_user("participant", name=f"Rated Person{number}")
        b.enrol(person, cohort, level_code=("manager", "front_line", "senior_leader")[number % 3])
        base = 1 + number % 4
        for phase, lift in (("pre", 0), ("then", 0), ("post", number % 3)):
            values = {code: min(5, base + lift + (index * number) % 2)
                      for index, code in enumerate(BEHAVIOUR_CODES)}
            b.assess(person, cohort, phase, values=values)
        ids.append(person.id)
    b.release(cohort)
    db.session.commit()
    return ids


BEHAVIOUR_CODES = [f"SI.{i}" for i in range(1, 8)] + [f"FC.{i}" for i in range(1, 13)] + [
    f"DT.{i}" for i in range(1, 12) if i not in (8, 9)] + [f"FO.{i}" for i in range(1, 8)]


@pytest.mark.slow
def test_the_page_shows_the_flow_sentences_and_reliability_with_their_meaning(browse, cohorts):
    rate_a_programme(cohorts.cohort_id)
    page = browse(cohorts.emails["sponsor"]).get("/outcomes")
    text = html.unescape(page.text)
    assert page.status_code == 200
    assert "Who is in these figures" in text and 'class="lms-flow"' in text
    assert "25</strong> enrolled" in text  # Pat and the 24 rated
    assert "24</strong> have both a pre and a post rating" in text
    assert re.search(r"SI Strategic intent</strong>: On average participants rated themselves "
                     r"[\d.]+ points? higher after the programme than before it \(95% interval",
                     text)
    assert "Cronbach's α per row and phase" in text
    assert "Reliably improved" in text  # 24 complete pre self-assessments: available
    assert text.count("What this means") >= 4
    assert "(exact)" in text  # 24 pairs: the exact signed-rank p
    assert "Rated Person" not in text


def test_the_framework_choice_reports_in_a_linked_frameworks_terms(browse, cohorts):
    rate_a_programme(cohorts.cohort_id, count=6)
    sponsor = browse(cohorts.emails["sponsor"])
    page = sponsor.get("/outcomes?framework=nhs-lf")
    text = html.unescape(page.text)
    assert page.status_code == 200
    assert "headings of the NHS Leadership Framework" in text
    assert "Creating the vision" in text and "(themes SI" in text
    assert "level=linked" in text and "framework=nhs-lf" in text  # the effects chart
    assert re.search(r'<option value="nhs-lf" selected\s*>', page.text)
    refused = sponsor.get("/outcomes?framework=mbti")
    assert refused.status_code == 422 and "'framework'" in html.unescape(refused.text)
    chart = sponsor.get(re.search(r'<img src="([^"]*effects[^"]*)"', page.text)
                        .group(1).replace("&amp;", "&"))
    assert chart.status_code == 200 and chart.mimetype == "image/png"


def test_a_tutor_sees_each_persons_reliable_change(browse, cohorts):
    ids = rate_a_programme(cohorts.cohort_id)
    tutor = browse(cohorts.emails["tutor"])
    page = tutor.get(f"/cohorts/{cohorts.cohort_id}/participants/{ids[2]}")
    text = html.unescape(page.text)
    assert "Reliable change, pre to post" in text
    assert "Whole framework" in text
    assert "reliably improved" in text  # person 2 rose by two points on every behaviour
    csv_text = tutor.get(f"/cohorts/{cohorts.cohort_id}/assessments.csv").text
    header = csv_text.splitlines()[0].split(",")
    assert {"SI_change", "SI_rci", "SI_reliable_change", "framework_reliable_change"} <= set(
        header)
    assert "reliably improved" in csv_text and "not available" in csv_text  # Pat: no ratings
    nobody = tutor.get(f"/cohorts/{cohorts.cohort_id}/participants/{cohorts.participant_id}")
    assert "Nothing to show until" in nobody.text
