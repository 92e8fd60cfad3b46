"""What each role does, in a real browser against the served app."""

from __future__ import annotations

import re

import sqlalchemy as sa
from playwright.sync_api import expect

from lms.core.extensions import db
from lms.curriculum.models import Activity, ActivityRecord
from lms.ratings.models import Assessment
from tests.browser.conftest import assert_accessible

REFLECTION = "I noticed how much of my week is spent on relationships outside my own team."


def do_an_activity_with_a_reflection(page) -> None:
    """Open the induction, write a reflection on "Your starting point", mark it done."""
    page.get_by_role("link", name="Leadership at every level: an induction").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Leadership at every level: an induction")
    assert_accessible(page)
    activity = page.locator("#your-starting-point")
    activity.get_by_label("Your reflection").fill(REFLECTION)
    activity.get_by_label("I have done this activity").check()
    activity.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Saved “Your starting point”")
    expect(page.locator("#your-starting-point .nhsuk-tag--green")).to_have_text("Complete")


def fill_and_submit_the_pre_assessment(page) -> int:
    """Answer every behaviour, theme by theme, check the answers, submit; the themes seen."""
    page.get_by_role("link", name="Before the programme (pre)", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Before the programme (pre)")
    assert_accessible(page)
    page.get_by_role("link", name="Strategic intent").click()
    themes = 0
    while "/themes/" in page.url:
        themes += 1
        assert_accessible(page)
        for group in page.locator("fieldset").all():
            group.get_by_label("4 – Often").check()
        page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Check your answers before submitting")
    assert_accessible(page)
    expect(page.get_by_text("Not answered")).to_have_count(0)
    page.get_by_role("button", name="Submit self-assessment").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Self-assessment submitted")
    assert_accessible(page)
    page.get_by_role("link", name="Back to your programme").click()
    return themes


def test_a_participant_works_a_tutor_follows_and_a_sponsor_sees_outcomes(visit, programme):
    participant = visit()
    participant.sign_in(programme.emails["participant"])
    page = participant.page
    expect(page.get_by_role("heading", level=1)).to_have_text("Your programme")
    do_an_activity_with_a_reflection(page)
    page.get_by_role("link", name="Back to your programme").click()
    assert fill_and_submit_the_pre_assessment(page) == 4
    pre = page.locator(".nhsuk-task-list__item", has_text="Before the programme (pre)")
    expect(pre).to_contain_text("Submitted")
    expect(pre).to_contain_text("36 of 36 answered")  # a commissioner rates DT.8, not DT.9

    # What the browser did is what is stored.
    db.session.rollback()  # a new transaction sees what the server committed
    record = db.session.scalar(sa.select(ActivityRecord).join(Activity).where(
        ActivityRecord.user_id == programme.participant_id,
        Activity.key == "your-starting-point"))
    assert record.reflection == REFLECTION and record.completed_at is not None
    assessment = db.session.scalar(sa.select(Assessment).filter_by(
        user_id=programme.participant_id, phase="pre"))
    assert assessment.status == "submitted" and len(assessment.ratings) == 36
    assert {r.value for r in assessment.ratings} == {4}

    tutor = visit()
    tutor.sign_in(programme.emails["tutor"])
    page = tutor.page
    page.get_by_role("link", name="Spring cohort").click()
    row = page.locator(".lms-progress-table tr", has_text="Pat Jones")
    expect(row).to_contain_text("In progress")  # the induction: one activity done of four
    pre_column = page.locator("#assessments-caption").locator("xpath=..").locator(
        "tr", has_text="Pat Jones")
    expect(pre_column.locator("td").first).to_contain_text("Submitted")
    page.get_by_role("link", name="Pat Jones").first.click()
    expect(page.get_by_text(REFLECTION)).to_be_visible()
    assert_accessible(page)

    sponsor = visit()
    sponsor.sign_in(programme.emails["sponsor"])
    page = sponsor.page
    expect(page.get_by_role("heading", level=1)).to_have_text("Outcomes")
    charts = page.locator("figure.lms-chart img")
    expect(charts).to_have_count(4)  # effects, likert, behaviours, engagement
    for chart in charts.all():
        chart.scroll_into_view_if_needed()
        expect(chart).to_have_js_property("complete", True)
        assert chart.evaluate("img => img.naturalWidth") > 0, chart.get_attribute("src")
    expect(page.get_by_text("Pat Jones")).to_have_count(0)  # never an individual
    page.get_by_label("Comparison").select_option("then_pre")
    page.get_by_label("Break down by").select_option("leadership_level")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", name=re.compile("then − pre"))).to_be_visible()
    expect(page.get_by_text("Suppressed").first).to_be_visible()  # 3 a group: below 5
    assert_accessible(page)
    for visitor in (participant, tutor, sponsor):
        assert not visitor.problems, visitor.problems


def test_each_role_is_refused_the_others_pages(visit, programme):
    refused = {
        "participant": [f"/cohorts/{programme.cohort_id}", "/outcomes", "/admin/users"],
        "tutor": ["/assessments/pre", "/progress", "/admin/audit",
                  f"/cohorts/{programme.other_cohort_id}"],
        "sponsor": [f"/cohorts/{programme.cohort_id}",
                    f"/cohorts/{programme.cohort_id}/participants/{programme.participant_id}",
                    "/modules/induction", "/admin/cohorts/new"],
        "admin": ["/modules/induction", "/assessments/pre/review"],
    }
    for role, paths in refused.items():
        visitor = visit()
        visitor.sign_in(programme.emails[role])
        for path in paths:
            response = visitor.page.goto(path)
            assert response.status in (403, 404), (role, path, response.status)
            expect(visitor.page.get_by_role("heading", level=1)).to_have_text(
                re.compile("You cannot see this page|Page not found"))
            assert_accessible(visitor.page)
    anonymous = visit()
    anonymous.page.goto(f"/cohorts/{programme.cohort_id}")
    expect(anonymous.page).to_have_url(re.compile(r"/sign-in\?next="))


def test_pages_work_without_javascript(visit, programme):
    participant = visit(javascript=False)
    participant.sign_in(programme.emails["participant"])
    page = participant.page
    page.goto("/assessments/pre/themes/SI")
    page.locator("fieldset").first.get_by_label("Not applicable to my role").check()
    page.get_by_role("button", name="Save and come back later").click()
    expect(page.get_by_role("status")).to_contain_text("Your answers are saved")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_contain_text("You have signed out")
    assert page.goto("/progress").url.endswith("/sign-in?next=/progress")
    db.session.rollback()
    assessment = db.session.scalar(sa.select(Assessment).filter_by(
        user_id=programme.participant_id, phase="pre"))
    assert [r.value for r in assessment.ratings] == [None]  # "not applicable" is stored
