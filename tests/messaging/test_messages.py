"""What the service writes, and to whom: password resets without enumeration, reminders once
per phase and day, nudges, reopening notices, weekly digests, cohort messages and the bad
input they refuse, preferences, and the administrators' list. Delivered to a real SMTP server
(aiosmtpd) and read there."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from lms.accounts.models import User
from lms.cohorts.models import Cohort
from lms.core import jobs
from lms.core.extensions import db
from lms.messaging import reminders
from lms.messaging.models import Message
from lms.ratings import service as ratings
from tests import builders as b
from tests.messaging.conftest import html_of, smtp_settings, text_of

TODAY = dt.date.today()


def run_jobs(app) -> int:
    """Run what the app's queue holds, as a worker would."""
    return app.extensions[jobs.EXTENSION].run_pending()


def kinds() -> list[tuple[str, str]]:
    """(kind, address) of every message, oldest first; the read ends at once."""
    found = [tuple(row) for row in db.session.execute(
        sa.select(Message.kind, Message.to_address).order_by(Message.id))]
    db.session.rollback()
    return found


@pytest.fixture
def mailed(app, smtp_server):
    """The app sending to the test SMTP server; the server."""
    app.config.update(smtp_settings(smtp_server))
    return smtp_server


@pytest.fixture
def cohort_world(seeded):
    """A cohort whose pre window is open (closing in 7 days): Pia has submitted pre, Quinn
    has a draft, Ravi has not started and has turned reminders off, Sol has not started;
    a tutor and an administrator; ids and headers."""
    cohort = b.make_cohort(name="Autumn cohort", starts_on=TODAY - dt.timedelta(days=30),
                           ends_on=TODAY + dt.timedelta(days=150))
    cohort.pre_opens_on, cohort.pre_closes_on = TODAY - dt.timedelta(days=3), \
        TODAY + dt.timedelta(days=7)
    cohort.post_opens_on, cohort.post_closes_on = TODAY + dt.timedelta(days=120), \
        TODAY + dt.timedelta(days=140)
    people = {}
    for name in ("Pia", "Quinn", "Ravi", "Sol"):
        people[name] = b.make_user("participant", email=f"{name.lower()}@example.org",
                                   name=f"{name} Example", password=b.PASSWORD)
        b.enrol(people[name], cohort)
    people["Ravi"].email_reminders = False
    b.assess(people["Pia"], cohort, "pre", status="submitted")
    b.assess(people["Quinn"], cohort, "pre", status="draft")
    tutor = b.make_user("tutor", email="tess@example.org", name="Tess Tutor",
                        password=b.PASSWORD)
    b.enrol(tutor, cohort)
    admin = b.make_user("admin", email="ada@example.org", name="Ada Admin")
    sponsor = b.make_user("sponsor")
    b.sponsor(sponsor, cohort=cohort)
    world = {"cohort_id": cohort.id, "ids": {n: p.id for n, p in people.items()},
             "tutor": b.bearer(tutor), "tutor_id": tutor.id, "admin": b.bearer(admin),
             "sponsor": b.bearer(sponsor), "participant": b.bearer(people["Sol"])}
    db.session.commit()
    return world


# --- forgot your password ------------------------------------------------------------------

def same_page(html: str) -> str:
    """A page without what differs on every answer (the script nonce, the form token)."""
    return re.sub(r'(nonce|value)="[^"]*"', "", html)


def fields_refused(answer) -> set[str]:
    """The fields a 422 names, wherever the request carried them."""
    errors = answer.get_json()["errors"]
    return set(errors.get("json", {})) | set(errors) - {"json"}


def ask_for_reset(client, address: str):
    """Fill in /forgot-password as a browser would."""
    page = client.get("/forgot-password")
    return client.post("/forgot-password", data={
        "email": address, "csrf_token": b.csrf_from(page.text)})


def test_forgot_password_gives_the_same_page_for_known_and_unknown_addresses(
        app, client, mailed, cohort_world):
    known = ask_for_reset(client, "Pia@Example.org")
    unknown = ask_for_reset(client, "nobody@example.org")
    assert known.status_code == unknown.status_code == 200
    assert same_page(known.text.replace("Pia@Example.org", "X")) == \
        same_page(unknown.text.replace("nobody@example.org", "X"))
    run_jobs(app)
    [reset] = mailed.received.messages
    assert reset["To"].addresses[0].addr_spec == "pia@example.org"
    assert reset["Subject"] == "Reset your password"
    link = re.search(r"http://\S+/set-password/\S+", text_of(reset)).group(0)
    assert link in html_of(reset)


def test_a_reset_link_sets_the_password_and_ends_the_other_sessions(
        app, client, mailed, cohort_world):
    other_device = app.test_client()
    assert b.sign_in(other_device, "pia@example.org").status_code == 302
    assert other_device.get("/account").status_code == 200
    ask_for_reset(client, "pia@example.org")
    run_jobs(app)
    link = re.search(r"/set-password/\S+", text_of(mailed.received.messages[0])).group(0)
    page = client.get(link)
    chosen = client.post(link, data={"password": "copper-lantern-fjord-93",
                                     "confirm": "copper-lantern-fjord-93",
                                     "csrf_token": b.csrf_from(page.text)})
    assert chosen.status_code == 302
    assert other_device.get("/account").status_code == 302  # signed out there
    assert b.sign_in(client, "pia@example.org", "copper-lantern-fjord-93").status_code == 302
    assert client.get(link).status_code == 410  # used once


def test_resets_are_throttled_per_account_without_saying_so(app, client, mailed,
                                                             cohort_world):
    app.config["LMS_RESET_LIMIT_PER_ACCOUNT"] = "2 per hour"
    answers = [ask_for_reset(client, "sol@example.org") for _ in range(4)]
    assert {a.status_code for a in answers} == {200}
    assert len({same_page(a.text) for a in answers}) == 1
    run_jobs(app)
    assert len(mailed.received.messages) == 2


def test_a_disabled_account_gets_no_reset(app, client, mailed, cohort_world):
    db.session.get(User, cohort_world["ids"]["Sol"]).active = False
    db.session.commit()
    assert ask_for_reset(client, "sol@example.org").status_code == 200
    run_jobs(app)
    assert mailed.received.messages == []


def test_a_malformed_address_is_refused_naming_the_field(client):
    page = client.get("/forgot-password")
    answer = client.post("/forgot-password", data={"email": "",
                                                   "csrf_token": b.csrf_from(page.text)})
    assert answer.status_code == 422 and "Enter your email address." in answer.text
    malformed = client.post("/forgot-password", data={"email": "pia@", "csrf_token":
                                                      b.csrf_from(page.text)})
    assert malformed.status_code == 422 and "in the right format" in malformed.text
    assert 'href="#email"' in malformed.text  # the error summary names the field


# --- reminders and nudges ------------------------------------------------------------------

def test_send_reminders_reminds_each_open_unsubmitted_phase_once(app, mailed, cohort_world):
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["lms", "send-reminders", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "reminder to quinn@example.org" in dry.output
    assert "reminder to sol@example.org" in dry.output
    assert "reminder to pia@example.org" not in dry.output  # submitted
    assert "ravi@example.org" not in dry.output  # turned reminders off
    assert kinds() == []  # a dry run queues nothing
    first = runner.invoke(args=["lms", "send-reminders"])
    assert first.exit_code == 0, first.output
    run_jobs(app)
    by_person = reminders_by_person(mailed)
    assert sorted(by_person) == ["quinn@example.org", "sol@example.org"]
    reminder = by_person["sol@example.org"][0]
    # Day 3 of a window closing in 7 days: the 7-days-left reminder is the latest due.
    assert reminder["Subject"] == \
        "Your start-of-programme self-assessment closes in 7 days"
    assert reminder["List-Unsubscribe"].strip().startswith("<http://127.0.0.1:5000/unsubscribe/")
    assert reminder["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "You have started it" in text_of(by_person["quinn@example.org"][0])
    second = runner.invoke(args=["lms", "send-reminders"])
    assert "0 reminders and nudges queued" in second.output
    run_jobs(app)
    assert sum(len(got) for got in reminders_by_person(mailed).values()) == 2


def reminders_by_person(server) -> dict[str, list]:
    """The self-assessment reminders the server received (not the nudges), by address."""
    return {to: [m for m in got if "self-assessment" in m["Subject"]]
            for to, got in server.received.by_recipient().items()
            if any("self-assessment" in m["Subject"] for m in got)}


def test_the_latest_reminder_day_that_has_come_is_the_one_sent():
    opens, closes = dt.date(2027, 1, 1), dt.date(2027, 1, 20)
    at = lambda day: reminders.latest_milestone(opens, closes, [7, 2], day)  # noqa: E731
    assert at(dt.date(2026, 12, 31)) is None
    assert at(opens) == (opens, None)
    assert at(dt.date(2027, 1, 12)) == (opens, None)
    assert at(dt.date(2027, 1, 13)) == (dt.date(2027, 1, 13), 7)
    assert at(dt.date(2027, 1, 19)) == (dt.date(2027, 1, 18), 2)
    assert at(closes) == (dt.date(2027, 1, 18), 2)
    assert at(dt.date(2027, 1, 21)) is None
    # A window shorter than the reminder days: only the days inside it.
    assert reminders.latest_milestone(opens, dt.date(2027, 1, 4), [7, 2],
                                      dt.date(2027, 1, 4)) == (dt.date(2027, 1, 2), 2)


def test_a_later_reminder_day_sends_again_and_the_one_click_unsubscribe_stops_them(
        app, client, mailed, cohort_world):
    reminders.send_reminders(TODAY)
    db.session.commit()
    run_jobs(app)
    unsubscribe = re.search(r"<(http://\S+)>",
                            mailed.received.by_recipient()["sol@example.org"][0]
                            ["List-Unsubscribe"]).group(1).removeprefix("http://127.0.0.1:5000")
    assert client.get(unsubscribe).status_code == 200
    assert client.post(unsubscribe).status_code == 200  # RFC 8058: no cookie, no form token
    planned = reminders.send_reminders(TODAY + dt.timedelta(days=5))  # two days left
    db.session.commit()
    assert [(p.user.email, p.context["days_left"]) for p in planned] == \
        [("quinn@example.org", 2)]
    assert client.get("/unsubscribe/not-a-real-token").status_code == 404


def test_a_participant_at_risk_gets_one_nudge_per_fortnight(app, mailed, cohort_world):
    planned = reminders.send_reminders(TODAY)
    db.session.commit()
    nudged = sorted(p.user.email for p in planned if p.kind == "nudge")
    # Nobody has recorded any work in a cohort that started 30 days ago; Ravi said no.
    assert nudged == ["pia@example.org", "quinn@example.org", "sol@example.org"]
    again = reminders.send_reminders(TODAY + dt.timedelta(days=3))
    assert [p for p in again if p.kind == "nudge"] == []
    later = reminders.send_reminders(TODAY + dt.timedelta(days=14))
    assert len([p for p in later if p.kind == "nudge"]) == 3
    run_jobs(app)
    nudge = next(m for m in mailed.received.messages if m["Subject"] ==
                 "Pick up where you left off")
    assert "for 14 days or more" in text_of(nudge)
    assert "Modules that are due" not in text_of(nudge)  # none is due yet in this cohort


# --- notices -------------------------------------------------------------------------------

def test_reopening_tells_the_participant_why(app, client, mailed, cohort_world):
    cohort_id, pia = cohort_world["cohort_id"], cohort_world["ids"]["Pia"]
    reopened = client.post(f"/api/v1/cohorts/{cohort_id}/assessments/{pia}/pre/reopen",
                           json={"reason": "SI.3 was mistyped"},
                           headers=cohort_world["tutor"])
    assert reopened.status_code == 200
    run_jobs(app)
    [notice] = mailed.received.messages
    assert notice["Subject"] == "Your start-of-programme self-assessment is open again"
    assert "SI.3 was mistyped" in text_of(notice) and "SI.3 was mistyped" in html_of(notice)
    closes = TODAY + dt.timedelta(days=7)
    assert f"{closes:%A} {closes.day} {closes:%B %Y}" in text_of(notice)


def test_a_notice_for_a_phase_submitted_again_before_it_went_is_not_sent(
        app, mailed, cohort_world):
    with app.test_request_context():
        cohort = db.session.get(Cohort, cohort_world["cohort_id"])
        assessment = ratings.reopen(cohort, cohort_world["ids"]["Pia"], "pre", "typo")
        assessment.status = "submitted"
        db.session.commit()
    run_jobs(app)
    assert mailed.received.messages == []
    assert db.session.scalar(sa.select(Message.status)) == "cancelled"


def test_a_tutor_who_turned_the_digest_on_gets_it_once_a_week(app, client, mailed,
                                                              cohort_world):
    assert reminders.weekly_digests(TODAY) == 0  # off by default
    turned = client.patch("/api/v1/me", json={"weekly_digest": True},
                          headers=cohort_world["tutor"])
    assert turned.status_code == 200 and turned.get_json()["weekly_digest"] is True
    assert reminders.weekly_digests(TODAY) == 1
    assert reminders.weekly_digests(TODAY) == 0  # the same week
    run_jobs(app)
    [digest] = mailed.received.messages
    text = text_of(digest)
    assert digest["Subject"] == "Your cohorts this week" and "Autumn cohort" in text
    assert "Pia Example (pre)" in text  # submitted this week
    assert "At risk (4)" in text


# --- messages to a cohort ------------------------------------------------------------------

def write(client, world, headers, **body):
    """POST a cohort message."""
    return client.post(f"/api/v1/cohorts/{world['cohort_id']}/messages",
                       json={"subject": "Session moved", "body": "We meet at 10 instead.",
                             "to": "all", **body}, headers=headers)


def test_a_tutor_writes_to_those_who_have_not_submitted(app, client, mailed, cohort_world):
    count = client.get(f"/api/v1/cohorts/{cohort_world['cohort_id']}/messages/audience"
                       "?to=not_submitted:pre", headers=cohort_world["tutor"])
    assert count.get_json() == {"to": "not_submitted:pre", "recipients": 3}
    sent = write(client, cohort_world, cohort_world["tutor"], to="not_submitted:pre",
                 body="Please submit by Friday.\n\nThank you.")
    assert sent.status_code == 201 and sent.get_json()["recipients"] == 3
    run_jobs(app)
    by_person = mailed.received.by_recipient()
    assert sorted(by_person) == ["quinn@example.org", "ravi@example.org", "sol@example.org"]
    message = by_person["sol@example.org"][0]
    assert message["Subject"] == "Session moved"
    assert message["Reply-To"].addresses[0].addr_spec == "tess@example.org"
    assert message["Auto-Submitted"] is None  # written by a person
    text = text_of(message)
    assert text.startswith("Please submit by Friday.\n\nThank you.")  # as written, no "Dear"
    assert "Tess Tutor wrote this to members of Autumn cohort" in text
    assert "<p" in html_of(message) and "Thank you." in html_of(message)
    # Administrators see that it went, never what it said.
    listed = client.get("/api/v1/messages?kind=cohort_message", headers=cohort_world["admin"])
    assert listed.get_json()["total"] == 3
    assert "Friday" not in listed.text and "Session moved" not in listed.text


@pytest.mark.parametrize(("body", "field"), [
    ({"subject": "Hello\r\nBcc: everyone@example.org"}, "subject"),
    ({"subject": "Hello\nthere"}, "subject"),
    ({"body": "x" * 20_001}, "body"),
    ({"body": ""}, "body"),
    ({"to": "everyone"}, "to"),
    ({"subject": "x" * 201}, "subject"),
])
def test_bad_cohort_messages_are_refused_naming_the_field(client, cohort_world, body, field):
    answer = write(client, cohort_world, cohort_world["tutor"], **body)
    assert answer.status_code == 422, answer.get_json()
    assert field in fields_refused(answer)
    assert kinds() == []


def test_a_message_to_nobody_is_refused(client, cohort_world):
    answer = write(client, cohort_world, cohort_world["tutor"], to="not_submitted:post",
                   subject="x")
    assert answer.status_code == 201  # nobody has submitted post: everyone gets it
    nobody = write(client, cohort_world, cohort_world["tutor"], to="at_risk")
    assert nobody.status_code == 201
    answer = client.post(f"/api/v1/cohorts/{cohort_world['cohort_id']}/messages",
                         json={"subject": "x", "body": "y", "to": "not_submitted:pre"},
                         headers=cohort_world["tutor"])
    assert answer.status_code == 201
    for name in ("Quinn", "Ravi", "Sol"):
        db.session.get(User, cohort_world["ids"][name]).active = False
    db.session.commit()
    empty = write(client, cohort_world, cohort_world["tutor"], to="not_submitted:pre")
    assert empty.status_code == 422
    assert "Nobody in Autumn cohort" in empty.get_json()["errors"]["to"][0]


def test_sponsors_and_participants_cannot_write_to_a_cohort(client, cohort_world):
    assert write(client, cohort_world, cohort_world["sponsor"]).status_code == 403
    assert write(client, cohort_world, cohort_world["participant"]).status_code == 403
    assert kinds() == []


def test_the_cohort_page_form_previews_counts_and_sends(app, client, mailed, cohort_world):
    b.sign_in(client, "tess@example.org")
    page = client.get(f"/cohorts/{cohort_world['cohort_id']}")
    assert "Everyone in the cohort (4)" in page.text
    assert "Those who have not submitted pre (3)" in page.text
    bad = client.post(f"/cohorts/{cohort_world['cohort_id']}/messages", data={
        "to": "all", "subject": "", "body": "Hello", "csrf_token": b.csrf_from(page.text)})
    assert bad.status_code == 422 and "Write a subject." in bad.text
    sent = client.post(f"/cohorts/{cohort_world['cohort_id']}/messages", data={
        "to": "all", "subject": "Welcome", "body": "Hello all,\r\n\r\nsee you <b>soon</b>",
        "csrf_token": b.csrf_from(page.text)})
    assert sent.status_code == 302
    assert "is on its way to 4 people" in client.get(sent.headers["Location"]).text
    run_jobs(app)
    assert len(mailed.received.messages) == 4
    html = html_of(mailed.received.messages[0])
    assert "Hello all,</p>" in html and "see you &lt;b&gt;soon&lt;/b&gt;</p>" in html


# --- preferences ---------------------------------------------------------------------------

def test_preferences_are_read_and_changed_through_me(client, cohort_world):
    me = client.get("/api/v1/me", headers=cohort_world["participant"]).get_json()
    assert (me["email_reminders"], me["weekly_digest"], me["language"]) == (True, False, "en")
    changed = client.patch("/api/v1/me", json={"email_reminders": False, "language": "cy"},
                           headers=cohort_world["participant"])
    assert changed.status_code == 200
    assert (changed.get_json()["email_reminders"], changed.get_json()["language"]) == \
        (False, "cy")
    bad = client.patch("/api/v1/me", json={"language": "fr"},
                       headers=cohort_world["participant"])
    assert bad.status_code == 422 and "language" in fields_refused(bad)
    not_bool = client.patch("/api/v1/me", json={"email_reminders": "maybe"},
                            headers=cohort_world["participant"])
    assert not_bool.status_code == 422 and "email_reminders" in fields_refused(not_bool)


def test_the_account_page_saves_preferences(client, cohort_world):
    b.sign_in(client, "sol@example.org")
    page = client.get("/account")
    assert "Email me reminders" in page.text
    saved = client.post("/account/preferences", data={
        "language": "en", "csrf_token": b.csrf_from(page.text)})  # the box left unticked
    assert saved.status_code == 302
    assert db.session.get(User, cohort_world["ids"]["Sol"]).email_reminders is False


def test_reminder_days_are_set_per_programme(app, client, cohort_world):
    programme_id = db.session.get(Cohort, cohort_world["cohort_id"]).programme_id
    path = f"/api/v1/programmes/{programme_id}"
    changed = client.patch(path, json={"reminder_days": [3, 10]}, headers=cohort_world["admin"])
    assert changed.status_code == 200 and changed.get_json()["reminder_days"] == [10, 3]
    for bad in ([0], [3, 3], [1, 2, 3, 4, 5, 6], ["7"]):
        refused = client.patch(path, json={"reminder_days": bad}, headers=cohort_world["admin"])
        assert refused.status_code == 422 and "reminder_days" in fields_refused(refused), bad
    planned = reminders.send_reminders(TODAY)  # 7 days left: no reminder day today
    assert [p for p in planned if p.kind == "reminder"][0].context["days_left"] is None
    assert [p.context["days_left"] for p in reminders.send_reminders(TODAY + dt.timedelta(
        days=4)) if p.kind == "reminder"] == [3, 3]


def test_a_person_whose_language_is_welsh_gets_their_e_mail_in_welsh(
        app, client, mailed, cohort_world):
    pia = db.session.scalar(sa.select(User).filter_by(email="pia@example.org"))
    pia.language = "cy"
    db.session.commit()
    ask_for_reset(client, "pia@example.org")  # asked from an English page: the e-mail
    ask_for_reset(client, "sol@example.org")  # follows each recipient's own language
    run_jobs(app)
    welsh, english = sorted(mailed.received.messages, key=lambda m: m["To"].addresses[0].username)
    assert welsh["Subject"] == "Ailosod eich cyfrinair"
    text, html = text_of(welsh), html_of(welsh)
    assert text.startswith("Annwyl Pia")
    assert "Mae'n gweithio unwaith, am 72 awr." in text
    assert "Anfonwyd y neges hon gan wasanaeth y rhaglen" in text
    assert '<html lang="cy">' in html and "Dewis cyfrinair newydd" in html
    assert "Reset" not in text and "password" not in text.replace("set-password", "")
    assert english["Subject"] == "Reset your password"
    assert '<html lang="en-GB">' in html_of(english)
    assert "It works once, for 72 hours." in text_of(english)


def test_every_e_mail_to_a_welsh_reader_is_in_welsh(app, curriculum, cohort_world):
    from lms.messaging.compose import compose
    from lms.messaging.models import CohortMessage
    from lms.messaging.outbox import queue_message
    from tests.welsh import english_left

    sol = db.session.get(User, cohort_world["ids"]["Sol"])
    tutor = db.session.get(User, cohort_world["tutor_id"])
    for person in (sol, tutor):
        person.language, person.password_hash, person.weekly_digest = "cy", None, True
    cohort = db.session.get(Cohort, cohort_world["cohort_id"])
    written = CohortMessage(cohort=cohort, author=tutor, subject="Sesiwn dydd Iau",
                            body="Welwn ni chi yno.", audience="all")
    db.session.add(written)
    db.session.flush()
    context = {"cohort_id": cohort.id, "phase": "pre", "closes_on": str(cohort.pre_closes_on)}
    queued = [queue_message("invitation", sol, "w-1", {"cohort_id": cohort.id}),
              queue_message("reminder", sol, "w-2", {**context, "days_left": 3}),
              queue_message("nudge", sol, "w-3", {"cohort_id": cohort.id, "quiet_days": 14,
                                                  "behind": ["Leadership at every level: "
                                                             "an induction"]}),
              queue_message("digest", tutor, "w-4", {"week_of": str(TODAY)})]
    message = queue_message("cohort_message", sol, "w-5", {})
    message.cohort_message = written
    queued.append(message)
    db.session.flush()
    data = ("Autumn cohort", "Sol Example", "Tess Tutor", "Leadership for Empowered and Healthy "
            "Communities Programme", "Sesiwn dydd Iau", "Welwn ni chi yno.")
    for message in queued:
        email = compose(message).email
        html = email.get_body(("html",)).get_content()
        assert '<html lang="cy">' in html, message.kind
        assert english_left(html, data) == [], message.kind
        assert english_left(f"<body><p>{email['Subject']}</p></body>", data) == [], message.kind
    nudge = compose(queued[2]).email.get_body(("plain",)).get_content()
    assert "Nid ydym wedi eich gweld ar y rhaglen (Autumn cohort) ers 14 diwrnod" in nudge
    assert "Arwain ar bob lefel: cyflwyniad" in nudge  # the module's Welsh title
    reminder = compose(queued[1]).email
    assert reminder["Subject"] == "Mae eich hunanasesiad dechrau'r rhaglen yn cau ymhen 3 diwrnod"
