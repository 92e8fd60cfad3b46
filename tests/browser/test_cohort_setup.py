"""An administrator runs a new cohort from the pages alone, and its participant sees the
dates and what is due: the journey of issue 22, in Chromium, with axe on every page."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from playwright.sync_api import expect

from lms.cohorts.models import Cohort, Enrolment, Sponsorship
from lms.core.extensions import db
from lms.curriculum.models import CohortModule
from tests.browser.conftest import assert_accessible, screenshot

ROSTER = ("email,name,organisation,organisation_type,sector,leadership_level,role\n"
          "pat.jones@example.org,Pat Jones,Northshire County Council,local_authority,"
          "commissioning,manager,participant\n"
          "new.starter@example.org,New Starter,Harbour Home Care,independent_provider,"
          "providing,front_line,participant\n")


def type_date(page, legend: str, day: dt.date) -> None:
    """Fill the day, month and year boxes of the date input with ``legend``."""
    group = page.get_by_role("group", name=legend, exact=True)
    group.get_by_label("Day").fill(str(day.day))
    group.get_by_label("Month").fill(str(day.month))
    group.get_by_label("Year").fill(str(day.year))


def test_an_administrator_sets_a_cohort_up_in_the_pages_and_its_participant_sees_it(
        visit, programme):
    today = dt.date.today()
    starts, ends = today - dt.timedelta(days=1), today + dt.timedelta(days=180)
    admin = visit()
    admin.sign_in(programme.emails["admin"])
    page = admin.page

    page.goto("/admin/cohorts/new")
    page.get_by_label("Name").fill("Autumn cohort")
    type_date(page, "First day", starts)
    type_date(page, "Last day", ends)
    page.get_by_role("button", name="Add cohort").click()

    # Dates and windows: a post window that overlaps the pre window is refused on its field.
    expect(page.get_by_role("heading", level=1)).to_have_text("Dates and self-assessment windows")
    assert_accessible(page)
    type_date(page, "Pre self-assessment opens", starts)
    type_date(page, "Pre self-assessment closes", today + dt.timedelta(days=13))
    type_date(page, "Post self-assessment opens", today + dt.timedelta(days=5))
    type_date(page, "Post self-assessment closes", ends)
    page.get_by_role("button", name="Save dates and windows").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text(
        "The post window must open after the pre window closes.")
    assert_accessible(page)
    type_date(page, "Post self-assessment opens", ends - dt.timedelta(days=28))
    page.get_by_role("button", name="Save dates and windows").click()
    expect(page.get_by_role("status")).to_contain_text("are saved")

    # Modules with dates.
    page.get_by_role("link", name="Modules and their dates").click()
    assert_accessible(page)
    induction = page.locator("fieldset", has_text="Leadership at every level: an induction")
    type_date(induction, "Due", today + dt.timedelta(days=20))
    for title in ("Driving transformation", "Flexibility and openness", "Sustaining change"):
        page.locator("fieldset", has_text=title).get_by_label("Follows this module").uncheck()
    page.get_by_role("button", name="Save modules").click()
    expect(page.get_by_role("status")).to_contain_text("modules of Autumn cohort are saved")

    # A tutor and a sponsor.
    page.get_by_role("link", name="Tutors and sponsors").click()
    assert_accessible(page)
    page.get_by_label("Tutor to add").select_option(label="The Tutor (tutor@example.org)")
    page.get_by_role("button", name="Add tutor").click()
    page.get_by_label("Sponsor to add").select_option(label="The Sponsor (sponsor@example.org)")
    page.get_by_role("button", name="Add sponsor").click()
    expect(page.get_by_role("status")).to_contain_text("now a sponsor of Autumn cohort")

    # The roster, through its preview.
    page.get_by_role("link", name="Participants: import a roster").click()
    assert_accessible(page)
    page.locator("input[type=file][name=file]").set_input_files(files=[{
        "name": "roster.csv", "mimeType": "text/csv", "buffer": ROSTER.encode()}])
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check what the import will do")
    expect(page.locator("#plan-summary")).to_contain_text(
        "New people added and invited by email: 1")
    expect(page.locator("#plan-summary")).to_contain_text("Known people enrolled: 1")
    assert_accessible(page)
    screenshot(page, "admin-roster-preview")
    db.session.rollback()
    cohort = db.session.scalar(sa.select(Cohort).filter_by(name="Autumn cohort"))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Enrolment).filter_by(
        cohort_id=cohort.id, role="participant")) == 0  # nothing before confirming
    page.get_by_role("button", name="Import 2 rows").click()
    expect(page.get_by_role("status")).to_contain_text("Roster imported")

    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Enrolment).filter_by(
        cohort_id=cohort.id)) == 3  # two participants and the tutor
    assert db.session.scalar(sa.select(Sponsorship.id).filter_by(cohort_id=cohort.id))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CohortModule).filter_by(
        cohort_id=cohort.id)) == 3

    # The participant's home says what is due, with the cohort's dates.
    participant = visit()
    participant.sign_in(programme.emails["participant"])
    page = participant.page
    due = page.locator("#due-now")
    expect(due).to_contain_text("Your pre self-assessment closes in 13 days: 0 of 36 answered.")
    expect(page.get_by_role("heading", name="Autumn cohort")).to_be_visible()
    expect(page.get_by_role("table", name="Modules").first).to_contain_text(
        f"{today + dt.timedelta(days=20):%-d %B %Y}")
    assert_accessible(page)
    screenshot(page, "participant-home-due")
