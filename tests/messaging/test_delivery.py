"""Sending what the outbox holds to a real SMTP server (aiosmtpd on loopback): invitations
whose links work, retries of transient failures, permanent failures recorded, nothing sent
for a rolled-back change, never twice, and .eml files when there is no server."""

from __future__ import annotations

import email
import email.policy
import ssl
import subprocess

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from lms import create_app
from lms.accounts import service as accounts
from lms.core import jobs
from lms.core.errors import Invalid
from lms.core.extensions import db
from lms.messaging import delivery, outbox
from lms.messaging.models import Message
from tests import builders as b
from tests.external_services import free_port
from tests.fixtures import app_settings
from tests.messaging.conftest import (
    Handler,
    Received,
    SmtpServer,
    html_of,
    smtp_settings,
    text_of,
)

ROSTER = ("email,name,organisation,organisation_type,sector,leadership_level,role\n"
          "amy.new@example.org,Amy New,Northshire County Council,local_authority,"
          "commissioning,manager,participant\n"
          "bo.new@example.org,Bo New,Northshire County Council,local_authority,"
          "commissioning,manager,participant\n"
          "cy.new@example.org,Cy New,Riverside NHS Foundation Trust,nhs_trust,providing,"
          "manager,participant\n")


@pytest.fixture
def admin(seeded):
    """An administrator's API headers, and a cohort to import into."""
    user = b.make_user("admin", name="Ada Admin")
    cohort = b.make_cohort(name="Spring cohort")
    headers = b.bearer(user)
    db.session.commit()
    return {"headers": headers, "cohort_id": cohort.id}


def run_jobs(app) -> int:
    """Run what the app's queue holds, as a worker would."""
    return app.extensions[jobs.EXTENSION].run_pending()


def messages() -> list[Message]:
    """Every message, oldest first, read afresh; the read ends at once, so it holds no lock
    while the jobs that follow write (after a POST, the test client leaves that request's
    context on, whose transactions take SQLite's write lock)."""
    db.session.expire_all()
    found = list(db.session.scalars(sa.select(Message).order_by(Message.id)))
    db.session.expunge_all()
    db.session.rollback()
    return found


def import_roster(client, admin, data: str = ROSTER):
    """POST the roster as the administrator."""
    return client.post(f"/api/v1/cohorts/{admin['cohort_id']}/roster",
                       data=data.encode(), headers={**admin["headers"],
                                                    "Content-Type": "text/csv"})


def test_a_roster_of_three_delivers_three_invitations_whose_links_work(
        app, client, admin, smtp_server):
    app.config.update(smtp_settings(smtp_server))
    assert import_roster(client, admin).status_code == 200
    run_jobs(app)
    received = smtp_server.received.by_recipient()
    assert sorted(received) == ["amy.new@example.org", "bo.new@example.org",
                                "cy.new@example.org"]
    invitation = received["amy.new@example.org"][0]
    assert invitation["Subject"] == "You are invited to the Test programme"
    assert invitation["Auto-Submitted"] == "auto-generated"
    assert invitation["List-Unsubscribe"] is None  # an invitation is not a reminder
    text = text_of(invitation)
    assert "Ada Admin has invited you" in text and "Spring cohort" in text
    assert "Ada Admin has invited you" in html_of(invitation)
    link = next(word for word in text.split() if "/set-password/" in word)
    page = client.get(link.removeprefix(app.config["LMS_BASE_URL"]))
    assert page.status_code == 200 and "Amy New" in page.text
    assert {m.status for m in messages()} == {"sent"}
    # The same roster again: nobody new, nothing sent.
    assert import_roster(client, admin).get_json()["created_users"] == []
    run_jobs(app)
    assert len(smtp_server.received.messages) == 3 and len(messages()) == 3


def test_a_request_that_fails_after_queueing_sends_nothing(database_url, smtp_server):
    failing = create_app(app_settings(database_url, **smtp_settings(smtp_server)))

    @failing.post("/api/make-and-fail")
    def make_and_fail():
        accounts.create_user("ghost@example.org", "Ghost", "participant")  # queues its invitation
        db.session.flush()
        raise Invalid("and then something was wrong")

    try:
        assert failing.test_client().post("/api/make-and-fail").status_code == 422
        with failing.app_context():
            assert run_jobs(failing) == 0  # nothing was handed to the queue
            assert db.session.scalar(sa.select(sa.func.count()).select_from(Message)) == 0
            assert accounts.find_user_by_email("ghost@example.org") is None
    finally:
        with failing.app_context():
            db.session.remove()
            db.engine.dispose()
    assert smtp_server.received.messages == []


def test_a_transient_refusal_is_retried_until_it_is_accepted(app, client, admin, smtp_server):
    app.config.update(smtp_settings(smtp_server))
    smtp_server.received.refusals = ["451 4.3.0 Try again later", "421 4.7.0 Busy"]
    import_roster(client, admin, ROSTER.splitlines(keepends=True)[0]
                  + ROSTER.splitlines(keepends=True)[1])
    run_jobs(app)
    [message] = messages()
    assert (message.status, message.attempts) == ("sent", 3)
    assert len(smtp_server.received.messages) == 1


def test_a_refused_connection_is_retried_then_given_up_and_shown(app, client, admin,
                                                                 smtp_server):
    from tests.external_services import free_port

    app.config.update({**smtp_settings(smtp_server), "LMS_SMTP_PORT": free_port(),
                       "LMS_MAIL_MAX_ATTEMPTS": 3})
    import_roster(client, admin, "\n".join(ROSTER.splitlines()[:2]) + "\n")
    run_jobs(app)
    [message] = messages()
    assert (message.status, message.attempts) == ("failed", 3)
    assert "gave up after 3 attempts" in message.error and "Connection" in message.error
    listed = client.get("/api/v1/messages?status=failed", headers=admin["headers"]).get_json()
    assert [m["to"] for m in listed["items"]] == ["amy.new@example.org"]


def test_a_permanent_refusal_fails_the_message_at_once(app, client, admin, smtp_server):
    app.config.update(smtp_settings(smtp_server))
    smtp_server.received.refusals = ["550 5.1.1 No such mailbox"]
    import_roster(client, admin, "\n".join(ROSTER.splitlines()[:2]) + "\n")
    run_jobs(app)
    [message] = messages()
    assert (message.status, message.attempts) == ("failed", 1)
    assert message.error == "550 5.1.1 No such mailbox"
    page = client.get("/admin/messages?status=failed", headers=admin["headers"])
    assert "550 5.1.1 No such mailbox" in page.text and "amy.new@example.org" in page.text


def test_a_message_that_cannot_be_composed_fails_visibly(app, admin, smtp_server):
    app.config.update(smtp_settings(smtp_server))
    with app.test_request_context():
        person = b.make_user("participant")
        broken = Message(key="reminder:broken", kind="reminder", user=person,
                         to_address=person.email, context={"cohort_id": admin["cohort_id"]})
        db.session.add(broken)
        db.session.commit()
        assert delivery.deliver([broken.id]) == {"failed": 1}
        db.session.refresh(broken)
        assert broken.status == "failed"
        assert broken.error.startswith("could not be composed: KeyError")
    assert smtp_server.received.messages == []


def test_a_message_is_sent_once_however_often_it_is_handed_over(app, client, admin,
                                                                 smtp_server):
    app.config.update(smtp_settings(smtp_server))
    import_roster(client, admin, "\n".join(ROSTER.splitlines()[:2]) + "\n")
    [message] = messages()
    queue = app.extensions[jobs.EXTENSION]
    for _ in range(3):
        queue.enqueue(outbox.DELIVER, [message.id])
    run_jobs(app)
    with app.app_context():
        assert delivery.deliver([message.id]) == {"skipped": 1}
        assert delivery.deliver_due() == {}
    assert len(smtp_server.received.messages) == 1


def test_without_an_smtp_server_messages_are_eml_files_shown_in_development(
        app, client, admin, tmp_path):
    app.config.update({"LMS_SMTP_HOST": None, "LMS_OUTBOX_DIR": str(tmp_path)})
    import_roster(client, admin)
    run_jobs(app)
    files = sorted(tmp_path.glob("*.eml"))
    assert len(files) == 3 and not list(tmp_path.glob("*.part"))
    parsed = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert parsed["To"].addresses[0].addr_spec == "amy.new@example.org"
    assert "/set-password/" in text_of(parsed)
    assert client.get("/dev/outbox", headers=admin["headers"]).status_code == 404
    app.config["LMS_ENV"] = "development"
    listing = client.get("/dev/outbox", headers=admin["headers"])
    assert listing.status_code == 200 and listing.text.count("You are invited") == 3
    one = client.get(f"/dev/outbox/{files[0].name}", headers=admin["headers"])
    assert one.status_code == 200 and "/set-password/" in one.text
    html = client.get(f"/dev/outbox/{files[0].name}/html", headers=admin["headers"])
    assert html.status_code == 200 and "Choose your password" in html.text
    assert html.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert client.get("/dev/outbox/..%2Flms.sqlite", headers=admin["headers"]).status_code \
        == 404


@pytest.fixture
def tls_files(tmp_path):
    """A self-signed certificate for 127.0.0.1 and its key (openssl)."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    command = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
               "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
               "-keyout", str(key), "-out", str(cert)]
    subprocess.run(command, check=True, capture_output=True)  # noqa: S603 - fixed arguments
    return cert, key


def test_starttls_and_login_carry_the_message(app, client, admin, tls_files, monkeypatch):
    cert, key = tls_files
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    logins = []

    def authenticate(_server, _session, _envelope, mechanism, credentials):
        logins.append((mechanism, credentials.login, credentials.password))
        return AuthResult(success=credentials.password == b"right-password", handled=False)

    received = Received()
    controller = Controller(Handler(received), hostname="127.0.0.1", port=free_port(),
                            tls_context=context, require_starttls=True,
                            authenticator=authenticate, auth_require_tls=True)
    controller.start()
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the test's own authority, trusted
    try:
        app.config.update({**smtp_settings(SmtpServer(controller.port, received)),
                           "LMS_SMTP_STARTTLS": True, "LMS_SMTP_USERNAME": "lms",
                           "LMS_SMTP_PASSWORD": "wrong-password", "LMS_MAIL_MAX_ATTEMPTS": 1})
        import_roster(client, admin, "\n".join(ROSTER.splitlines()[:2]) + "\n")
        run_jobs(app)
        [refused] = messages()
        assert refused.status == "failed" and "LMS_SMTP_PASSWORD" in refused.error
        app.config.update({"LMS_SMTP_PASSWORD": "right-password", "LMS_MAIL_MAX_ATTEMPTS": 8})
        import_roster(client, admin, ROSTER.splitlines()[0] + "\n" + ROSTER.splitlines()[2])
        run_jobs(app)
    finally:
        controller.stop()
    assert [m["To"].addresses[0].addr_spec for m in received.messages] == ["bo.new@example.org"]
    assert logins[-1] == ("PLAIN", b"lms", b"right-password")


def test_the_queue_keeps_no_job_results(app, client, admin, smtp_server):
    app.config.update(smtp_settings(smtp_server))
    import_roster(client, admin)
    run_jobs(app)
    assert app.extensions[jobs.EXTENSION].huey.result_count() == 0
