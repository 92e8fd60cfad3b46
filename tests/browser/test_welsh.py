"""Cymraeg in a real browser: each role switches to Welsh, walks its pages, finds them in
Welsh (lang="cy", no English outside the parts marked as English, axe clean), and switches
back to the same page in English; a participant also does the pre self-assessment in Welsh."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests import builders as b
from tests.browser.conftest import assert_accessible
from tests.browser.test_accessibility import ROLES, pages_of
from tests.welsh import english_left

#: Stored words the test programme shows (names of people, places and cohorts).
PROGRAMME_DATA = ("Leadership for Empowered and Healthy Communities", "Northshire County Council",
                  "Spring cohort", "Other cohort", "Pat Jones", "Someone Else", "Robin New",
                  "The Tutor", "The Sponsor", "The Admin")


def assert_welsh(page) -> None:
    """The page says it is Welsh, reads as Welsh, and passes axe."""
    expect(page.locator("html")).to_have_attribute("lang", "cy")
    page.wait_for_load_state("load")
    assert english_left(page.content(), PROGRAMME_DATA) == [], page.url
    assert_accessible(page)


def fill_and_submit_the_pre_assessment_in_welsh(page) -> int:
    """The pre self-assessment, theme by theme, in Welsh; the themes seen."""
    page.get_by_role("link", name="Cyn y rhaglen (pre)", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cyn y rhaglen (pre)")
    assert_welsh(page)
    page.get_by_role("link", name="Bwriad strategol").click()  # seeds/framework.cy.yaml
    themes = 0
    while "/themes/" in page.url:
        themes += 1
        assert_welsh(page)
        for group in page.locator("fieldset").all():
            group.get_by_label("4 – Often").check()
        page.get_by_role("button", name="Cadw a pharhau").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Gwiriwch eich atebion cyn cyflwyno")
    assert_welsh(page)
    page.get_by_role("button", name="Cyflwyno'r hunanasesiad").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hunanasesiad wedi'i gyflwyno")
    assert_welsh(page)
    page.get_by_role("link", name="Yn ôl i'ch rhaglen").click()
    return themes


def test_a_participant_switches_to_welsh_and_back(visit, programme):
    participant = visit()
    participant.sign_in(programme.emails["participant"])
    page = participant.page
    page.get_by_role("link", name="Cymraeg").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Eich rhaglen")
    assert_welsh(page)
    # The induction has a Welsh edition (modules/cy/01-induction.md).
    page.get_by_role("link", name="Arwain ar bob lefel: cyflwyniad").first.click()
    expect(page.get_by_role("heading", level=2, name="Gweithgareddau")).to_be_visible()
    assert_welsh(page)
    activity = page.locator("#three-ideas")
    activity.get_by_label("Rwyf wedi gwneud y gweithgaredd hwn").check()
    activity.get_by_role("button", name="Cadw").click()
    expect(page.get_by_role("status")).to_contain_text("Wedi cadw “")
    page.get_by_role("link", name="Hafan").click()
    themes = fill_and_submit_the_pre_assessment_in_welsh(page)
    assert themes == 4
    page.get_by_role("link", name="Arwain ar bob lefel: cyflwyniad").first.click()
    module_url = page.url.split("#")[0]
    page.get_by_role("link", name="English").click()
    assert page.url.split("#")[0] == module_url  # the same page, in English
    expect(page.locator("html")).to_have_attribute("lang", "en-GB")
    expect(page.get_by_role("heading", level=2, name="Activities")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Leadership at every level: an induction")
    page.wait_for_load_state("load")  # its scripts and styles too, before the tab closes


@pytest.mark.parametrize("role", ROLES)
def test_every_page_of_a_role_reads_as_welsh(client, programme, role):
    assert b.sign_in(client, programme.emails[role]).status_code == 302
    client.get("/language/cy?next=/")
    left = {}
    for path in pages_of(role, programme):
        page = client.get(path)
        assert page.status_code == 200, path
        assert '<html lang="cy"' in page.text, path
        if english := english_left(page.text, PROGRAMME_DATA):
            left[path] = english
    assert left == {}, "\n".join(f"{path}: {text}" for path, texts in left.items()
                                    for text in texts)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_walks_its_pages_in_welsh_and_switches_back(visit, programme, role):
    visitor = visit()
    visitor.sign_in(programme.emails[role])
    page = visitor.page
    page.get_by_role("link", name="Cymraeg").click()
    for path in pages_of(role, programme):
        response = page.goto(path)
        assert response.status == 200, path
        assert_welsh(page)
    last = pages_of(role, programme)[-1]
    page.get_by_role("link", name="English").click()
    page.wait_for_load_state("load")
    assert page.url.endswith(last)  # the same page, in English
    expect(page.locator("html")).to_have_attribute("lang", "en-GB")
    assert not visitor.problems, visitor.problems


def test_the_evaluation_report_and_its_pdf_in_welsh(client, programme):
    from io import BytesIO

    from pypdf import PdfReader

    assert b.sign_in(client, programme.emails["tutor"]).status_code == 302
    client.get("/language/cy?next=/")
    page = client.get(f"/outcomes/report?scope={programme.cohort_id}")
    assert page.status_code == 200 and '<html lang="cy">' in page.text
    assert "Adroddiad gwerthuso" in page.text and "Geirfa" in page.text
    assert english_left(page.text, PROGRAMME_DATA) == []
    pdf = client.get(f"/api/v1/programmes/1/report.pdf?cohorts={programme.cohort_id}")
    assert pdf.status_code == 200, pdf.text[:300]
    reader = PdfReader(BytesIO(pdf.data))
    assert reader.trailer["/Root"]["/Lang"] == "cy"  # read aloud as Welsh
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "Adroddiad gwerthuso" in text and "Dulliau" in text


def test_a_chart_described_in_welsh_carries_the_same_figures(client, programme):
    assert b.sign_in(client, programme.emails["tutor"]).status_code == 302
    path = f"/api/v1/cohorts/{programme.cohort_id}/charts/effects.json"
    english = client.get(path).get_json()
    client.get("/language/cy?next=/")
    welsh = client.get(path).get_json()
    assert welsh["title"] != english["title"] and welsh["columns"] != english["columns"]
    # The same figures, row by row; each row named in Welsh (seeds/framework.cy.yaml).
    assert [row[1:] for row in welsh["rows"]] == [row[1:] for row in english["rows"]]
    assert english["rows"][0][0] == "SI Strategic intent"
    assert welsh["rows"][0][0] == "SI Bwriad strategol"
    assert "Meintiau effaith" in welsh["summary"]
