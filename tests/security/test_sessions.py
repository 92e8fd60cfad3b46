"""Issue 19's review, rows 5 and 8: what a database read, a backup or an old cookie yields.

Cookies are forged here the way the review did: signed with the app's own key (the attacker
of row 5 has the published development key), holding a value taken from the database.
"""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
import sqlalchemy as sa
from itsdangerous import TimestampSigner

from lms.accounts.models import UserSession
from lms.core.extensions import db
from lms.interop.backup import export_document
from tests import builders as b

AN_HOUR = 3600


@pytest.fixture
def admin(app):
    user = b.make_user("admin", email="root@example.org", password=b.PASSWORD)
    db.session.commit()
    return user


def session_cookie(app, content: dict, seconds_ago: float = 0) -> str:
    """A session cookie holding ``content``, signed with the app's key ``seconds_ago``."""

    class Dated(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time() - seconds_ago)

    serializer = app.session_interface.get_signing_serializer(app)
    serializer.signer = Dated
    return serializer.dumps(content)


def me_with(app, cookie: str):
    """GET /api/v1/me carrying only ``cookie`` as the session."""
    client = app.test_client()
    client.set_cookie("lms_session", cookie)
    return client.get("/api/v1/me")


def signed_in_secret(app) -> tuple[object, str]:
    """A client signed in as root, and the session secret its cookie holds."""
    client = app.test_client()
    assert b.sign_in(client, "root@example.org").status_code == 302
    with client.session_transaction() as session:
        return client, session["_user_id"]


def test_a_forged_cookie_works_with_the_real_secret(app, admin):
    # The control: forging itself works, so the refusals below are the hashing's doing.
    _, secret = signed_in_secret(app)
    answer = me_with(app, session_cookie(app, {"_user_id": secret, "_fresh": True}))
    assert answer.status_code == 200
    assert answer.get_json()["email"] == "root@example.org"


def test_nothing_in_a_backup_forges_a_session(app, admin):
    signed_in_secret(app)
    backup = export_document()
    text = json.dumps(backup)
    sessions = backup["tables"]["user_session"]
    assert len(sessions["rows"]) == 1
    assert "session_token" not in backup["tables"]["user_account"]["columns"]
    # Every value the backup holds about the person, tried as the session's id.
    account = dict(zip(backup["tables"]["user_account"]["columns"],
                       backup["tables"]["user_account"]["rows"][0], strict=True))
    stored = dict(zip(sessions["columns"], sessions["rows"][0], strict=True))
    for value in (*account.values(), *stored.values()):
        answer = me_with(app, session_cookie(app, {"_user_id": str(value), "_fresh": True}))
        assert answer.status_code == 401, value
    assert stored["token_hash"] in text  # only the hash was there to find


def test_signing_out_ends_the_session_row(app, admin):
    client, secret = signed_in_secret(app)
    client.post("/sign-out", data={"csrf_token": b.csrf_from(client.get("/").text)})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(UserSession)) == 0
    answer = me_with(app, session_cookie(app, {"_user_id": secret, "_fresh": True}))
    assert answer.status_code == 401


def test_each_device_has_its_own_session(app, admin):
    _, first = signed_in_secret(app)
    _, second = signed_in_secret(app)
    assert first != second
    for secret in (first, second):  # signing in on a second device keeps the first
        answer = me_with(app, session_cookie(app, {"_user_id": secret, "_fresh": True}))
        assert answer.status_code == 200


def test_a_session_idle_past_the_limit_is_refused(app, admin):
    assert app.config["PERMANENT_SESSION_LIFETIME"] == dt.timedelta(hours=8)
    _, secret = signed_in_secret(app)
    content = {"_user_id": secret, "_fresh": True}
    assert me_with(app, session_cookie(app, content, seconds_ago=7 * AN_HOUR)).status_code == 200
    assert me_with(app, session_cookie(app, content, seconds_ago=9 * AN_HOUR)).status_code == 401
    # The review's cookie, re-signed 30 days back.
    assert me_with(app, session_cookie(app, content, seconds_ago=30 * 24 * AN_HOUR)
                   ).status_code == 401


def test_a_session_in_use_is_re_signed_so_idle_counts_from_the_last_use(app, admin):
    client, secret = signed_in_secret(app)
    client.set_cookie("lms_session", session_cookie(
        app, {"_user_id": secret, "_fresh": True, "seen": 0}, seconds_ago=7 * AN_HOUR))
    answer = client.get("/api/v1/me")
    assert answer.status_code == 200
    renewed = client.get_cookie("lms_session").value
    serializer = app.session_interface.get_signing_serializer(app)
    _, signed_at = serializer.loads(renewed, return_timestamp=True)
    assert time.time() - signed_at.timestamp() < 60


def test_keep_me_signed_in_outlasts_the_idle_limit_until_its_own_end(app, admin):
    client = app.test_client()
    assert b.sign_in(client, "root@example.org", remember=True).status_code == 302
    with client.session_transaction() as session:
        secret = session["_user_id"]
    # The session cookie has idled out; the remember cookie brings the person back.
    client.set_cookie("lms_session", session_cookie(
        app, {"_user_id": secret, "_fresh": True}, seconds_ago=9 * AN_HOUR))
    assert client.get("/api/v1/me").status_code == 200
    # Past the absolute limit (30 days after sign-in) it does not.
    db.session.execute(sa.update(UserSession).values(
        created_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=31)))
    db.session.commit()
    client.delete_cookie("lms_session")
    assert client.get("/api/v1/me").status_code == 401


def test_the_idle_limit_is_read_from_the_environment(monkeypatch):
    from lms.core.config import ConfigError, from_environment

    assert from_environment({"LMS_IDLE_MINUTES": "30"})["PERMANENT_SESSION_LIFETIME"] == \
        dt.timedelta(minutes=30)
    with pytest.raises(ConfigError, match="LMS_IDLE_MINUTES"):
        from_environment({"LMS_IDLE_MINUTES": "0"})


def test_the_sign_in_page_says_when_a_session_ends(client):
    page = client.get("/sign-in").text
    assert "for up to 30 days" in page
    assert "signed out after 8 hours without using the service" in page


def test_a_person_keeps_at_most_twenty_sessions_the_oldest_ending(app, admin):
    from lms.accounts.service import MAX_SESSIONS

    secrets_in_order = [signed_in_secret(app)[1] for _ in range(MAX_SESSIONS + 2)]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(UserSession)) == 20
    oldest, newest = secrets_in_order[0], secrets_in_order[-1]
    assert me_with(app, session_cookie(app, {"_user_id": oldest})).status_code == 401
    assert me_with(app, session_cookie(app, {"_user_id": newest})).status_code == 200
