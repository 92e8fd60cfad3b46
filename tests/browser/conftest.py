"""Browser tests: the app served on 127.0.0.1 by a real HTTP server in a thread, driven by
Playwright in Debian's Chromium, every page scanned with axe-core.

Chromium must be installed (`.ci/ensure-chromium` installs it); without it these tests fail,
they never skip.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from lms.accounts.service import issue_password_link
from lms.core.extensions import db
from tests import builders as b

PROJECT_ROOT = Path(__file__).resolve().parents[2]
#: Where the tests save screenshots: the README's pictures when LMS_UPDATE_SCREENSHOTS=1,
#: otherwise a git-ignored folder to look at after a run.
SCREENSHOTS = (PROJECT_ROOT / "docs" / "screenshots" if os.environ.get("LMS_UPDATE_SCREENSHOTS")
               else Path(__file__).parent / "artifacts")
#: Chromium flags for a sandboxed machine with no network beyond this one.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-dev-shm-usage"]
#: The WCAG 2.2 AA rules of axe-core (and those of 2.0 and 2.1 it builds on).
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
SERIOUS = {"serious", "critical"}


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, for the whole run."""
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Chromium is not installed: run .ci/ensure-chromium (Debian's chromium "
                    "package); the browser tests never skip.")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Visitor:
    """One person's browser tab on the live server."""

    def __init__(self, browser: Browser, base_url: str, javascript: bool = True) -> None:
        self.context = browser.new_context(base_url=base_url, java_script_enabled=javascript,
                                           viewport={"width": 1200, "height": 900})
        self.context.set_default_timeout(15_000)
        self.page: Page = self.context.new_page()
        self.problems: list[str] = []
        # A page that fails to load a script, style or image (or logs an error) is broken
        # even when its HTML looks right.
        self.page.on("console", lambda m: m.type == "error" and self.problems.append(m.text))
        self.page.on("pageerror", lambda exc: self.problems.append(str(exc)))

    def sign_in(self, email: str, password: str = b.PASSWORD) -> None:
        """Sign in through the form, as a person would."""
        self.page.goto("/sign-in")
        self.page.get_by_label("Email address").fill(email)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_url("**/")

    def close(self) -> None:
        """End the session's browser context."""
        self.context.close()


@pytest.fixture
def visit(browser, served) -> Iterator:
    """Open a browser tab for a person; every tab is closed after the test."""
    visitors: list[Visitor] = []

    def open_tab(javascript: bool = True) -> Visitor:
        visitor = Visitor(browser, served, javascript)
        visitors.append(visitor)
        return visitor

    yield open_tab
    for visitor in visitors:
        visitor.close()


#: What Playwright says when a script ran on a document being replaced by the next one.
NAVIGATING = ("reading 'documentElement'", "Execution context was destroyed")


def serious_violations(page: Page) -> list[str]:
    """axe-core's serious and critical WCAG 2.2 AA violations on the page, described."""
    # A click that navigates returns once the new page has begun to load; axe run on a
    # document still being replaced fails with "documentElement of null" (seen in CI), or
    # its context is destroyed. Such a run says nothing about the page: wait and run again.
    options = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
    for attempt in (1, 2):
        page.wait_for_load_state("load")
        try:
            results = Axe().run(page, options=options)
            break
        except PlaywrightError as error:
            replaced = any(sign in str(error) for sign in NAVIGATING)
            if not replaced or attempt == 2:
                raise
    return [f"{v['id']} ({v['impact']}): {v['help']} at "
            f"{[node['target'] for node in v['nodes']][:3]}"
            for v in results.response["violations"] if v["impact"] in SERIOUS]


def assert_accessible(page: Page) -> None:
    """Fail with axe-core's findings if the page has a serious or critical violation."""
    found = serious_violations(page)
    assert not found, f"{page.url}: " + "; ".join(found)


def screenshot(page: Page, name: str) -> None:
    """Save what the page looks like (the README shows the role homes)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


@dataclass
class Programme:
    """The people and places of the browser tests."""

    cohort_id: int
    other_cohort_id: int
    participant_id: int
    emails: dict[str, str]
    password_link: str


@pytest.fixture
def programme(curriculum) -> Programme:
    """A running cohort whose pre self-assessment is open: Pat (who has done nothing yet),
    six colleagues who have rated all three phases, a tutor, a sponsor; an administrator;
    and another cohort with people of its own."""
    today = dt.date.today()
    programme = b.make_programme(name="Leadership for Empowered and Healthy Communities",
                                 min_group_size=5)
    cohort = b.make_cohort(programme, name="Spring cohort", starts_on=today - dt.timedelta(20),
                           ends_on=today + dt.timedelta(150))
    cohort.pre_opens_on, cohort.pre_closes_on = today - dt.timedelta(20), today + dt.timedelta(7)
    cohort.post_opens_on = today + dt.timedelta(140)
    cohort.post_closes_on = today + dt.timedelta(150)
    council = b.make_organisation("Northshire County Council", "local_authority", "commissioning")
    pat = b.make_user("participant", email="pat.jones@example.org", password=b.PASSWORD,
                      name="Pat Jones")
    b.enrol(pat, cohort, organisation=council)
    for number in range(6):
        colleague = b.make_user("participant", name=f"Colleague {number + 1}")
        b.enrol(colleague, cohort, level_code=("manager", "senior_leader")[number % 2])
        for phase, value in (("pre", 2 + number % 2), ("then", 2), ("post", 4)):
            b.assess(colleague, cohort, phase, values={"SI.1": value, "FC.2": value})
    people = {role: b.make_user(role, email=f"{role}@example.org", password=b.PASSWORD,
                                name=f"The {role.title()}")
              for role in ("tutor", "sponsor", "admin")}
    b.enrol(people["tutor"], cohort)
    b.sponsor(people["sponsor"], cohort=cohort)
    other = b.make_cohort(programme, name="Other cohort")
    b.enrol(b.make_user("participant", name="Someone Else"), other)
    link = issue_password_link(b.make_user("participant", name="Robin New"))
    db.session.commit()
    return Programme(cohort_id=cohort.id, other_cohort_id=other.id, participant_id=pat.id,
                     emails={"participant": pat.email, **{r: u.email for r, u in people.items()}},
                     password_link="/" + link.split("/", 3)[3])
