"""The password policy, Argon2id hashing, and setting a password through a one-time link."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from lms.accounts import passwords
from lms.accounts.models import PasswordLink, User
from lms.accounts.service import issue_password_link
from lms.core.extensions import db
from tests import builders as b


@pytest.mark.parametrize("password", [
    "correct horse battery staple",
    "lantern-orchard-meadow-41",
    "My allotment grows 7 kinds of beans",
    "x" * 3 + "Qv9#mZ2!pL4&",
    "é" * 4 + " café crème brûlée",  # any characters, no composition rules
    "w" + "ord " * 31,  # long passphrases are welcome (128 characters)
])
def test_good_passwords_are_accepted(app, password):
    assert passwords.policy_problems(password[:128]) == []


@pytest.mark.parametrize(("password", "reason"), [
    ("short1!", "at least 12 characters"),
    ("x" * 129, "at most 128 characters"),
    ("password1234", "less common"),
    ("qwertyuiopasdf", "less common"),
    ("aaaaaaaaaaaaaaaa", "less common"),
    ("123456789012", "less common"),
    ("iloveyou1234", "less common"),
    ("abc\x00defghijklmnop", "NUL"),
])
def test_weak_passwords_are_refused_with_a_reason(app, password, reason):
    problems = passwords.policy_problems(password)
    assert len(problems) == 1
    assert reason in problems[0]


def test_a_password_made_of_the_persons_own_details_is_refused(app):
    assert passwords.policy_problems("hamidrahman2026") == []
    problems = passwords.policy_problems("hamidrahman2026",
                                         ("hamid.rahman@example.org", "Hamid Rahman"))
    assert problems


def test_hashes_are_argon2id_and_verify(app):
    stored = passwords.hash_password("lantern-orchard-meadow-41")
    assert stored.startswith("$argon2id$")
    assert passwords.verify_password(stored, "lantern-orchard-meadow-41")
    assert not passwords.verify_password(stored, "lantern-orchard-meadow-42")
    assert not passwords.verify_password(None, "anything at all")
    assert not passwords.verify_password("not a hash", "anything at all")


def test_weaker_hashes_are_upgraded_at_sign_in(app, client):
    from argon2 import PasswordHasher

    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(b.PASSWORD)
    user = b.make_user("tutor", email="old@example.org")
    user.password_hash = weak
    db.session.commit()
    assert b.sign_in(client, "old@example.org").status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).password_hash != weak


@pytest.fixture
def newcomer(app):
    """A user created without a password, and the secret of their one-time link."""
    user = b.make_user("participant", email="new@example.org", name="Nia Newcomer")
    link = issue_password_link(user)
    db.session.commit()
    assert link.startswith("http://127.0.0.1:5000/set-password/")
    return user, link.rsplit("/", 1)[1]


def post_password(client, secret, password, confirm=None):
    page = client.get(f"/set-password/{secret}")
    return client.post(f"/set-password/{secret}", data={
        "password": password, "confirm": password if confirm is None else confirm,
        "csrf_token": b.csrf_from(page.text)})


def test_the_one_time_link_sets_the_first_password(client, newcomer):
    user, secret = newcomer
    page = client.get(f"/set-password/{secret}")
    assert page.status_code == 200
    assert "Nia Newcomer" in page.text
    response = post_password(client, secret, "kettle-harbour-violet-88")
    assert response.status_code == 302
    assert b.sign_in(client, "new@example.org", "kettle-harbour-violet-88").status_code == 302
    # The link is spent.
    assert client.get(f"/set-password/{secret}").status_code == 410


def test_the_link_refuses_a_weak_or_mistyped_password(client, newcomer):
    _user, secret = newcomer
    weak = post_password(client, secret, "password1234")
    assert weak.status_code == 200
    assert "less common" in weak.text
    mistyped = post_password(client, secret, "kettle-harbour-violet-88", "kettle-harbour")
    assert "The two passwords are not the same." in mistyped.text
    assert db.session.scalar(sa.select(User.password_hash).filter_by(email="new@example.org")) \
        is None


def test_an_expired_or_unknown_link_is_410(client, newcomer):
    _user, secret = newcomer
    for link in db.session.scalars(sa.select(PasswordLink)):
        link.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    db.session.commit()
    assert client.get(f"/set-password/{secret}").status_code == 410
    assert client.get("/set-password/made-up-secret").status_code == 410
    assert "administrator" in client.get("/set-password/made-up-secret").text


def test_the_link_is_stored_only_as_a_hash(app, newcomer):
    _user, secret = newcomer
    stored = db.session.scalar(sa.select(PasswordLink.token_hash))
    assert secret not in stored and len(stored) == 64
