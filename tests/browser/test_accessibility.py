"""Every page, as each role sees it (errors included), has no serious or critical WCAG 2.2 AA
violation that axe-core finds; the role homes are photographed for the README."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, screenshot, serious_violations

ROLES = ("participant", "tutor", "sponsor", "admin")


def pages_of(role: str, programme) -> list[str]:
    """Every page a role uses, with the test programme's ids."""
    cohort, person = programme.cohort_id, programme.participant_id
    return {
        "participant": ["/", "/modules/induction", "/modules/strategic-intent",
                        "/assessments/pre", "/assessments/pre/themes/SI",
                        "/assessments/pre/review", "/assessments/post", "/progress",
                        "/my-feedback", "/my-feedback/report/pre", "/account"],
        "tutor": ["/", "/cohorts", f"/cohorts/{cohort}",
                  f"/cohorts/{cohort}/participants/{person}", "/outcomes",
                  f"/outcomes?scope={cohort}&comparison=post_then&breakdown=sector",
                  "/outcomes?source=others&level=behaviour&breakdown=sector",
                  f"/cohorts/{cohort}/participants/{person}/feedback", "/account"],
        "sponsor": ["/", "/outcomes?comparison=then_pre&breakdown=leadership_level",
                    "/outcomes?source=others", "/account"],
        "admin": ["/", "/admin/users", "/admin/users?q=colleague", "/admin/audit",
                  "/admin/messages", "/admin/messages?kind=invitation&status=sent",
                  "/admin/cohorts/new", f"/admin/cohorts/{cohort}/roster",
                  f"/admin/cohorts/{cohort}/settings", f"/admin/cohorts/{cohort}/modules",
                  f"/admin/cohorts/{cohort}/people", "/outcomes",
                  f"/cohorts/{cohort}", "/account", "/api/v1/docs"],
    }[role]


@pytest.mark.parametrize("role", ROLES)
def test_every_page_of_a_role_is_accessible(visit, programme, role):
    visitor = visit()
    visitor.sign_in(programme.emails[role])
    screenshot(visitor.page, f"{role}-home")
    for path in pages_of(role, programme):
        response = visitor.page.goto(path)
        assert response.status == 200, path
        assert_accessible(visitor.page)
    assert not visitor.problems, visitor.problems


def test_pages_anyone_sees_are_accessible(visit, programme):
    visitor = visit()
    for path in ("/", "/sign-in", "/api/v1/docs", "/no-such-page", programme.password_link,
                 "/set-password/not-a-real-link", "/forgot-password"):
        visitor.page.goto(path)
        assert_accessible(visitor.page)
    # "Forgotten your password?": the error, then the answer every address gets.
    visitor.page.goto("/sign-in")
    visitor.page.get_by_role("link", name="Forgotten your password?").click()
    visitor.page.get_by_role("button", name="Send the link").click()
    expect(visitor.page.locator(".nhsuk-error-summary")).to_contain_text(
        "Enter your email address")
    assert_accessible(visitor.page)
    visitor.page.get_by_label("Email address").fill("someone@example.org")
    visitor.page.get_by_role("button", name="Send the link").click()
    expect(visitor.page.get_by_role("heading", level=1)).to_have_text("Check your email")
    assert_accessible(visitor.page)
    # The first-password page with its errors.
    visitor.page.goto(programme.password_link)
    visitor.page.get_by_label("New password").fill("short")
    visitor.page.get_by_role("button", name="Set password").click()
    expect(visitor.page.locator(".nhsuk-error-summary")).to_be_visible()
    assert_accessible(visitor.page)
    # The sign-in form with its errors, in the NHS.UK error summary.
    visitor.page.goto("/sign-in")
    visitor.page.get_by_role("button", name="Sign in").click()
    summary = visitor.page.locator(".nhsuk-error-summary")
    expect(summary).to_contain_text("Enter your email address")
    expect(summary.get_by_role("link", name="Enter your password")).to_have_attribute(
        "href", "#password")
    assert_accessible(visitor.page)


def test_forms_with_errors_are_accessible(visit, programme):
    participant = visit()
    participant.sign_in(programme.emails["participant"])
    page = participant.page
    # Marking a reflection done without writing it.
    page.goto("/modules/induction")
    page.locator("#your-starting-point").get_by_label("I have done this activity").check()
    page.locator("#your-starting-point").get_by_role("button", name="Save").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Write your reflection")
    assert_accessible(page)
    # Submitting with answers missing: each missing behaviour is listed and linked.
    page.goto("/assessments/pre/review")
    page.get_by_role("button", name="Submit self-assessment").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Strategic intent: answer 7 more")
    assert_accessible(page)

    admin = visit()
    admin.sign_in(programme.emails["admin"])
    page = admin.page
    page.goto("/admin/cohorts/new")
    page.get_by_role("button", name="Add cohort").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Give the cohort a name")
    assert_accessible(page)
    page.goto(f"/admin/cohorts/{programme.cohort_id}/roster")
    page.locator("input[type=file][name=file]").set_input_files(files=[{
        "name": "roster.csv", "mimeType": "text/csv",
        "buffer": b"email,name,organisation,organisation_type,sector,leadership_level,role\n"
                  b"not-an-address,Someone,Northshire County Council,local_authority,"
                  b"commissioning,manager,participant\n"}])
    page.get_by_role("button", name="Check the file").click()
    expect(page.locator("#row-report")).to_contain_text("2")
    assert_accessible(page)
    # Writing to the cohort without a subject.
    page.goto(f"/cohorts/{programme.cohort_id}")
    page.get_by_label("Message").fill("See you on Thursday.")
    page.get_by_role("button", name="Send the message").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Write a subject.")
    assert_accessible(page)


def test_the_scan_does_find_violations(visit):
    """The check above can fail: a page with an unlabelled field and an image without text."""
    page = visit().page
    page.set_content('<html lang="en"><title>Broken</title><main><h1>Broken</h1>'
                     '<img src="data:,"><input type="text"></main></html>')
    found = serious_violations(page)
    assert any(v.startswith("image-alt") for v in found), found
    assert any(v.startswith("label") for v in found), found
