"""Cymraeg in a real browser: a participant switches to Welsh, walks the pages translated so
far, finds them in Welsh (lang="cy", nothing left in the catalog's English, axe clean), and
switches back to the same page in English."""

from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po
from playwright.sync_api import expect

from tests import builders as b
from tests.browser.conftest import assert_accessible
from tests.browser.test_accessibility import ROLES, pages_of
from tests.fixtures import PROJECT_ROOT
from tests.welsh import english_left


def catalog_english() -> list[str]:
    """The catalog's English sentences of more than two words, without placeholders."""
    path = PROJECT_ROOT / "lms" / "translations" / "cy" / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as file:
        ids = [m.id if isinstance(m.id, str) else m.id[0] for m in read_po(file) if m.id]
    return [msgid for msgid in ids if len(msgid.split()) > 2 and "%(" not in msgid]


def assert_welsh(page, english: list[str]) -> None:
    """The page says it is Welsh, reads as Welsh, and passes axe."""
    expect(page.locator("html")).to_have_attribute("lang", "cy")
    text = re.sub(r"\s+", " ", page.locator("body").inner_text())
    assert [msgid for msgid in english if msgid in text] == [], page.url
    assert_accessible(page)


def fill_and_submit_the_pre_assessment_in_welsh(page, english: list[str]) -> int:
    """The pre self-assessment, theme by theme, in Welsh; the themes seen."""
    page.get_by_role("link", name="Cyn y rhaglen (pre)", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cyn y rhaglen (pre)")
    assert_welsh(page, english)
    page.get_by_role("link", name="Strategic intent").click()
    themes = 0
    while "/themes/" in page.url:
        themes += 1
        assert_welsh(page, english)
        for group in page.locator("fieldset").all():
            group.get_by_label("4 – Often").check()
        page.get_by_role("button", name="Cadw a pharhau").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Gwiriwch eich atebion cyn cyflwyno")
    assert_welsh(page, english)
    page.get_by_role("button", name="Cyflwyno'r hunanasesiad").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hunanasesiad wedi'i gyflwyno")
    assert_welsh(page, english)
    page.get_by_role("link", name="Yn ôl i'ch rhaglen").click()
    return themes


def test_a_participant_switches_to_welsh_and_back(visit, programme):
    english = catalog_english()
    participant = visit()
    participant.sign_in(programme.emails["participant"])
    page = participant.page
    page.get_by_role("link", name="Cymraeg").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Eich rhaglen")
    assert_welsh(page, english)
    page.get_by_role("link", name="Leadership at every level: an induction").first.click()
    expect(page.get_by_role("heading", level=2, name="Gweithgareddau")).to_be_visible()
    assert_welsh(page, english)
    activity = page.locator("#three-ideas")
    activity.get_by_label("Rwyf wedi gwneud y gweithgaredd hwn").check()
    activity.get_by_role("button", name="Cadw").click()
    expect(page.get_by_role("status")).to_contain_text("Wedi cadw “")
    page.get_by_role("link", name="Hafan").click()
    themes = fill_and_submit_the_pre_assessment_in_welsh(page, english)
    assert themes == 4
    page.get_by_role("link", name="Leadership at every level: an induction").first.click()
    module_url = page.url.split("#")[0]
    page.get_by_role("link", name="English").click()
    assert page.url.split("#")[0] == module_url  # the same page, in English
    expect(page.locator("html")).to_have_attribute("lang", "en-GB")
    expect(page.get_by_role("heading", level=2, name="Activities")).to_be_visible()
    page.wait_for_load_state("load")  # its scripts and styles too, before the tab closes


#: Stored words the test programme shows (names of people, places and cohorts).
PROGRAMME_DATA = ("Leadership for Empowered and Healthy Communities", "Northshire County Council",
                  "Spring cohort", "Other cohort", "Pat Jones", "Someone Else", "Robin New",
                  "The Tutor", "The Sponsor", "The Admin")


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
