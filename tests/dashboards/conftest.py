"""A running cohort with a person of every role, and pages visited as a browser would:
signed in with the form, writing with the page's CSRF token."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from lms.core.extensions import db
from tests import builders as b


@dataclass
class Cohorts:
    """Ids and addresses the page tests use."""

    cohort_id: int
    other_cohort_id: int
    participant_id: int
    emails: dict[str, str]


@pytest.fixture
def cohorts(curriculum, snapshots) -> Cohorts:
    """Cohort A (pre self-assessment open) with Pat, a tutor and a sponsor; an administrator;
    cohort B with a tutor and a participant of its own."""
    return snapshots.build_or_restore(curriculum, "dashboards-cohorts", "curriculum", build_cohorts)


def build_cohorts() -> Cohorts:
    """Make the cohorts' rows in the current app's database and commit them."""
    today = dt.date.today()
    programme = b.make_programme(min_group_size=5)
    cohort = b.make_cohort(programme, name="Cohort A", starts_on=today - dt.timedelta(10),
                           ends_on=today + dt.timedelta(100))
    cohort.pre_opens_on, cohort.pre_closes_on = today - dt.timedelta(10), today + dt.timedelta(5)
    council = b.make_organisation("Northshire County Council", "local_authority", "commissioning")
    pat = b.make_user("participant", email="pat@example.org", password=b.PASSWORD,
                      name="Pat Jones")
    b.enrol(pat, cohort, organisation=council)
    people = {role: b.make_user(role, email=f"{role}@example.org", password=b.PASSWORD)
              for role in ("tutor", "sponsor", "admin")}
    b.enrol(people["tutor"], cohort)
    b.sponsor(people["sponsor"], cohort=cohort)
    other = b.make_cohort(programme, name="Cohort B")
    b.enrol(b.make_user("tutor", email="other.tutor@example.org", password=b.PASSWORD), other)
    b.enrol(b.make_user("participant", name="Sam Other"), other)
    db.session.commit()
    return Cohorts(cohort.id, other.id, pat.id,
                   {"participant": pat.email, **{r: u.email for r, u in people.items()}})


class Browser:
    """A test client used like a browser: signed in through the form, posting forms with the
    CSRF token the pages carry."""

    def __init__(self, client) -> None:
        self.client = client

    def sign_in(self, email: str) -> Browser:
        """Sign in; fail the test if it does not work."""
        assert b.sign_in(self.client, email).status_code == 302
        return self

    def get(self, path: str, **kwargs):
        """GET a page."""
        return self.client.get(path, **kwargs)

    def post(self, path: str, data: dict | None = None, csrf: bool = True, **kwargs):
        """POST a form, with the CSRF token of the account page unless told not to."""
        data = dict(data or {})
        if csrf:
            data["csrf_token"] = b.csrf_from(self.client.get("/account").text)
        return self.client.post(path, data=data, **kwargs)


@pytest.fixture
def browse(client):
    """Sign in as someone: ``browse("tutor@example.org")``."""
    return lambda email: Browser(client).sign_in(email)
