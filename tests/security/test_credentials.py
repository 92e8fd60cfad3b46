"""Issue 19's review, rows 2, 7 and 9: what a stolen or stale credential can still do after
the person has moved on, and passwords built from what a guesser knows."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from lms import create_app
from lms.accounts.models import ApiToken
from lms.accounts.passwords import policy_problems
from lms.accounts.service import issue_password_link, set_password
from lms.core.config import ConfigError
from lms.core.extensions import db
from tests import builders as b

NEW_PASSWORD = "violet harbour seventeen lanterns"


def link_path(url: str) -> str:
    """The path of a password link (the base URL differs under test)."""
    return url[url.index("/set-password/"):]


def set_through(client, path: str, password: str = NEW_PASSWORD):
    """Set a password through a one-time link, as the form does."""
    page = client.get(path)
    if page.status_code != 200:
        return page
    return client.post(path, data={"password": password, "confirm": password,
                                   "csrf_token": b.csrf_from(page.get_data(as_text=True))})


@pytest.fixture
def person(app):
    user = b.make_user("participant", email="aisha.khan@example.org", name="Aisha Khan",
                       password=b.PASSWORD)
    db.session.commit()
    return user


def test_an_older_password_link_is_void_once_a_newer_one_set_the_password(client, person):
    first = link_path(issue_password_link(person))
    second = link_path(issue_password_link(person))
    db.session.commit()
    assert set_through(client, second).status_code == 302
    assert client.get(first).status_code == 410
    assert set_through(client, first, "another quiet meadow of owls").status_code == 410


def test_a_password_set_on_the_command_line_voids_every_link(app, person):
    link = link_path(issue_password_link(person))
    db.session.commit()
    result = app.test_cli_runner().invoke(
        args=["lms", "set-password", "aisha.khan@example.org"], input=NEW_PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert app.test_client().get(link).status_code == 410


def test_a_password_change_revokes_the_persons_api_tokens(app, person):
    headers = b.bearer(person)
    db.session.commit()
    assert app.test_client().get("/api/v1/me", headers=headers).status_code == 200
    set_password(person, NEW_PASSWORD)
    db.session.commit()
    assert app.test_client().get("/api/v1/me", headers=headers).status_code == 401
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken).where(
        ApiToken.user_id == person.id, ApiToken.revoked_at.is_(None))) == 0


def test_a_password_set_through_a_link_revokes_the_persons_api_tokens(app, person):
    headers = b.bearer(person)
    path = link_path(issue_password_link(person))
    db.session.commit()
    assert set_through(app.test_client(), path).status_code == 302
    assert app.test_client().get("/api/v1/me", headers=headers).status_code == 401


@pytest.mark.parametrize("password", ["aisha.khan@example.org!", "AishaKhan2026!!",
                                      "Khan-Aisha-1999", "HealthyCommunities2026!",
                                      "leadership-programme-2026"])
def test_a_password_built_from_the_persons_name_address_or_the_programme_is_refused(
        app, person, password):
    assert policy_problems(password, (person.email, person.display_name))


def test_a_password_of_unrelated_words_is_still_accepted(app, person):
    assert policy_problems(NEW_PASSWORD, (person.email, person.display_name)) == []


def test_signing_out_everywhere_revokes_the_persons_api_tokens(app, person):
    headers = b.bearer(person)
    db.session.commit()
    browser = app.test_client()
    b.sign_in(browser, "aisha.khan@example.org")
    account = browser.get("/account").get_data(as_text=True)
    assert "revokes every token you have" in account
    browser.post("/sign-out", data={"csrf_token": b.csrf_from(account)})
    assert app.test_client().get("/api/v1/me", headers=headers).status_code == 401


@pytest.mark.parametrize(("key", "says"), [("a", "is 1 bytes"),
                                           ("dev-only-insecure-key", "published in the code"),
                                           ("x" * 31, "at least 32")])
def test_production_refuses_a_short_or_published_secret_key(database_url, key, says):
    with pytest.raises(ConfigError, match=says):
        create_app({"LMS_ENV": "production", "SECRET_KEY": key,
                    "SQLALCHEMY_DATABASE_URI": database_url})
