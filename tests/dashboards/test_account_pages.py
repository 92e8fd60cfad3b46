"""Your account page: name, e-mail address and password changed by the person themself."""

from __future__ import annotations

import re

import sqlalchemy as sa

from lms.accounts.models import ApiToken, User
from lms.audit.models import AuditEvent
from lms.core.extensions import db
from tests import builders as b
from tests.dashboards.conftest import Browser

NEW_PASSWORD = "quiet-harbour-lantern-72"


def test_changing_the_password_needs_the_current_one_and_ends_every_other_way_in(
        app, browse, cohorts):
    email = cohorts.emails["participant"]
    elsewhere = Browser(app.test_client()).sign_in(email)
    pat = browse(email)
    user = db.session.scalar(sa.select(User).filter_by(email=email))
    b.bearer(user)
    db.session.commit()
    wrong = pat.post("/account/password", {"current_password": "not-it", "password":
                                           NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert wrong.status_code == 422 and "Your current password is not right" in wrong.text
    assert 'href="#current_password"' in wrong.text
    mismatch = pat.post("/account/password", {"current_password": b.PASSWORD, "password":
                                              NEW_PASSWORD, "confirm": "something else"})
    assert mismatch.status_code == 422 and "not the same" in mismatch.text
    weak = pat.post("/account/password", {"current_password": b.PASSWORD, "password": "short",
                                          "confirm": "short"})
    assert weak.status_code == 422
    assert elsewhere.get("/account").status_code == 200  # nothing has changed yet

    changed = pat.post("/account/password", {"current_password": b.PASSWORD,
                                             "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert changed.status_code == 302
    assert "Your password is changed" in pat.get("/account").text  # still signed in here
    assert elsewhere.get("/account").status_code == 302  # signed out on the other device
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken).where(
        ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))) == 0
    fresh = app.test_client()
    assert b.sign_in(fresh, email, b.PASSWORD).status_code == 200  # the old one is refused
    assert b.sign_in(fresh, email, NEW_PASSWORD).status_code == 302


def test_a_person_renames_themself_and_changes_their_address_with_their_password(
        browse, cohorts):
    email = cohorts.emails["participant"]
    pat = browse(email)
    renamed = pat.post("/account/details", {"display_name": "Patricia Jones", "email": email})
    assert renamed.status_code == 302
    assert "Patricia Jones" in pat.get("/account").text
    unproven = pat.post("/account/details", {"display_name": "Patricia Jones",
                                             "email": "pat.new@example.org"})
    assert unproven.status_code == 422 and "to change your email address" in unproven.text
    taken = pat.post("/account/details", {"display_name": "Patricia Jones",
                                          "email": cohorts.emails["tutor"],
                                          "current_password": b.PASSWORD})
    assert taken.status_code == 422 and "already uses that email address" in taken.text
    bad = pat.post("/account/details", {"display_name": "Patricia Jones", "email": "nope",
                                        "current_password": b.PASSWORD})
    assert bad.status_code == 422 and "not a valid e-mail address" in bad.text
    moved = pat.post("/account/details", {"display_name": "Patricia Jones",
                                          "email": "Pat.New@Example.org",
                                          "current_password": b.PASSWORD})
    assert moved.status_code == 302
    db.session.expire_all()
    user = db.session.get(User, cohorts.participant_id)
    assert (user.display_name, user.email) == ("Patricia Jones", "pat.new@example.org")
    events = db.session.scalars(sa.select(AuditEvent).filter_by(action="user.update")).all()
    assert [e.details["fields"] for e in events] == [["display_name"], ["email"]]
    assert "pat.new" not in str([e.details for e in events])  # which fields, never values


def test_api_tokens_are_under_advanced_and_no_two_fields_share_an_id(browse, cohorts):
    page = browse(cohorts.emails["tutor"]).get("/account").text
    ids = re.findall(r'<input[^>]* id="([^"]+)"', page)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    assert page.index('id="advanced"') < page.index("A token lets")
    assert page.index('id="password"') < page.index('id="advanced"')
