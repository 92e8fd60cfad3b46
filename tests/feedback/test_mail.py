"""What raters are sent, read at a real SMTP server (aiosmtpd): the invitation with a link
that works without an account, and reminders that name nobody else."""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa

from lms.core import jobs
from lms.core.extensions import db
from lms.feedback.models import FeedbackRater
from lms.messaging.models import Message
from tests.feedback.conftest import token_of
from tests.feedback.test_raters import ME, answer_everything, ask
from tests.messaging.conftest import html_of, smtp_server, smtp_settings, text_of  # noqa: F401


def run_jobs(app) -> int:
    """Run what the app's queue holds, as a worker would."""
    return app.extensions[jobs.EXTENSION].run_pending()


def link_in(message) -> str:
    """The feedback link of an e-mail."""
    return re.search(r"http://\S+/feedback/[A-Za-z0-9_-]{43}", text_of(message)).group(0)


def test_each_rater_gets_an_invitation_whose_link_works_without_an_account(
        app, client, world, smtp_server):  # noqa: F811
    app.config.update(smtp_settings(smtp_server))
    ask(client, world["pat"])
    ask(client, world["pat"], name="Pia Peer", email="pia@example.org", group="peer")
    run_jobs(app)
    by_address = smtp_server.received.by_recipient()
    assert sorted(by_address) == ["lee@example.org", "pia@example.org"]
    [manager] = by_address["lee@example.org"]
    [peer] = by_address["pia@example.org"]
    assert manager["Subject"] == "Pat Participant asks for your feedback"
    assert manager["To"].addresses[0].display_name == "Lee Manager"
    assert "as their line manager" in text_of(manager)
    assert "not anonymous" in text_of(manager)
    assert "shown only when at least 3 of you answer" in text_of(peer)
    for message in (manager, peer):
        link = link_in(message)
        assert link in html_of(message)
        assert "Lee" not in text_of(peer) and "pia@" not in text_of(manager)
        path = link.split("://", 1)[1].split("/", 1)[1]
        form = client.get(f"/api/v1/{path}")
        assert form.status_code == 200 and form.json["participant"] == "Pat Participant"
    assert link_in(manager) != link_in(peer)
    # the outbox keeps no token: only the hash of it is stored
    token = link_in(manager).rsplit("/", 1)[1]
    stored = db.session.execute(sa.select(Message.context)).scalars().all()
    assert token not in str(stored)
    assert token not in str(db.session.execute(sa.select(FeedbackRater.__table__)).all())


def test_an_invitation_taken_back_before_it_went_is_not_sent(app, client, world,
                                                              smtp_server):  # noqa: F811
    app.config.update(smtp_settings(smtp_server))
    rater = ask(client, world["pat"]).json
    client.delete(f"{ME}/{rater['id']}", headers=world["pat"])
    run_jobs(app)
    assert smtp_server.received.messages == []
    assert db.session.scalar(sa.select(Message.status)) == "cancelled"


def test_raters_who_have_not_answered_are_reminded_once_before_the_round_closes(
        app, client, world, smtp_server):  # noqa: F811
    app.config.update(smtp_settings(smtp_server))
    waiting = ask(client, world["pat"]).json
    answered = ask(client, world["pat"], email="ann@example.org", group="peer").json
    revoked = ask(client, world["pat"], email="rev@example.org", group="peer").json
    run_jobs(app)
    smtp_server.received.messages.clear()
    token = token_of(answered["id"])
    answer_everything(client, token)
    client.post(f"/api/v1/feedback/{token}/submit")
    client.delete(f"{ME}/{revoked['id']}", headers=world["pat"])
    # they were asked a week ago; the pre window closes in 7 days: today is a reminder day
    db.session.execute(sa.update(FeedbackRater).values(
        created_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=7)))
    db.session.commit()
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["lms", "send-reminders", "--dry-run"])
    assert "feedback_reminder to lee@example.org" in dry.output
    assert "ann@example.org" not in dry.output and "rev@example.org" not in dry.output
    for _ in range(2):
        assert runner.invoke(args=["lms", "send-reminders"]).exit_code == 0
        run_jobs(app)
    [reminder] = [m for m in smtp_server.received.messages if "feedback" in m["Subject"]]
    assert reminder["To"].addresses[0].addr_spec == "lee@example.org"
    assert reminder["Subject"] == "A reminder: Pat Participant would value your feedback"
    assert "ann" not in text_of(reminder).lower() and "peer" not in text_of(reminder).lower()
    assert link_in(reminder).rsplit("/", 1)[1] == token_of(waiting["id"])


def test_a_rater_asked_in_welsh_is_written_to_and_answered_in_welsh(
        app, client, world, smtp_server):  # noqa: F811
    from tests.welsh import english_left

    app.config.update(smtp_settings(smtp_server))
    rater = ask(client, world["pat"], name="Lowri Manager", language="cy").json
    ask(client, world["pat"], name="Pia Peer", email="pia@example.org", group="peer")
    run_jobs(app)
    by_address = smtp_server.received.by_recipient()
    [welsh] = by_address["lee@example.org"]
    [english] = by_address["pia@example.org"]
    assert welsh["Subject"] == "Mae Pat Participant yn gofyn am eich adborth"
    assert english["Subject"] == "Pat Participant asks for your feedback"
    names = ("Pat Participant", "Lowri Manager", world_programme_name())
    assert '<html lang="cy">' in html_of(welsh)
    assert english_left(html_of(welsh), names) == []
    assert english_left(f"<body><pre>{text_of(welsh)}</pre></body>", names) == []
    assert "Gofynnwyd i chi fel eu rheolwr llinell." in text_of(welsh)
    # the link opens the rater's page in Welsh, and the language link still switches
    path = "/" + link_in(welsh).split("://", 1)[1].split("/", 1)[1]
    page = client.get(path)
    assert page.status_code == 200 and '<html lang="cy"' in page.text
    assert english_left(page.text, names) == []
    switched = client.get(f"/language/en?next={path}", follow_redirects=True)
    assert '<html lang="en-GB"' in switched.text and "Feedback for Pat Participant" in switched.text
    # taken back, the link says so in Welsh too (to a browser that has not chosen)
    client.delete(f"{ME}/{rater['id']}", headers=world["pat"])
    ended = app.test_client().get(path)
    assert ended.status_code == 410 and '<html lang="cy"' in ended.text
    assert english_left(ended.text, names) == []


def test_a_welsh_raters_reminder_is_in_welsh(app, client, world, smtp_server):  # noqa: F811
    app.config.update(smtp_settings(smtp_server))
    ask(client, world["pat"], language="cy")
    run_jobs(app)
    smtp_server.received.messages.clear()
    db.session.execute(sa.update(FeedbackRater).values(
        created_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=7)))
    db.session.commit()
    assert app.test_cli_runner().invoke(args=["lms", "send-reminders"]).exit_code == 0
    run_jobs(app)
    [reminder] = [m for m in smtp_server.received.messages
                  if m["To"].addresses[0].addr_spec == "lee@example.org"]
    assert reminder["Subject"] == ("Nodyn atgoffa: byddai Pat Participant yn gwerthfawrogi "
                                   "eich adborth")
    assert "beth amser yn ôl" in text_of(reminder)


def world_programme_name() -> str:
    """The name of the feedback world's programme (stored data, in no language)."""
    from lms.cohorts.models import Programme

    return db.session.scalar(sa.select(Programme.name))
