"""Nominating raters, and what a rater's link may and may not do."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from lms.audit.models import AuditEvent
from lms.core.extensions import db
from lms.feedback.models import FeedbackRater
from lms.messaging.models import Message
from tests.feedback.conftest import TODAY, close_round, token_of

ME = "/api/v1/me/feedback/raters"


def ask(client, headers, path=ME, headers_language=None, **fields):
    """Nominate a rater with sensible defaults (``headers_language``: the request's
    Accept-Language)."""
    body = {"name": "Lee Manager", "email": "lee@example.org", "group": "line_manager",
            "phase": "pre", **fields}
    if headers_language:
        headers = {**headers, "Accept-Language": headers_language}
    return client.post(path, json=body, headers=headers)


def tutor_path(world, user_id=None) -> str:
    return (f"/api/v1/cohorts/{world['cohort_id']}/participants/"
            f"{user_id or world['pat_id']}/feedback/raters")


def test_a_participant_asks_a_rater_who_is_sent_an_invitation(client, world):
    answer = ask(client, world["pat"])
    assert answer.status_code == 201, answer.json
    rater = answer.json
    assert rater["status"] == "invited" and rater["group"] == "line_manager"
    listed = client.get(ME, headers=world["pat"]).json["raters"]
    assert [r["email"] for r in listed] == ["lee@example.org"]
    message = db.session.scalar(sa.select(Message).where(Message.kind == "feedback_invitation"))
    assert message.to_address == "lee@example.org" and message.user_id is None
    assert message.feedback_rater_id == rater["id"]
    event = db.session.scalar(sa.select(AuditEvent).where(
        AuditEvent.action == "feedback.nominate"))
    assert "lee@example.org" not in str(event.details)  # the log keeps no rater's address


@pytest.mark.parametrize(("fields", "field"), [
    ({"name": ""}, "name"), ({"email": "not an address"}, "email"),
    ({"group": "friend"}, "group"), ({"phase": "then"}, "phase"),
    ({"email": "pat@example.org"}, "email"), ({"name": "x" * 201}, "name"),
    ({"language": "fr"}, "language"), ({"language": ""}, "language"),
])
def test_bad_nominations_are_refused_naming_the_field(client, world, fields, field):
    answer = ask(client, world["pat"], **fields)
    assert answer.status_code == 422
    errors = answer.json["errors"]
    assert field in errors.get("json", errors), answer.json
    assert client.get(ME, headers=world["pat"]).json["raters"] == []


def test_a_raters_language_is_asked_and_kept(client, world):
    """Asked in Welsh, or by default in the language of the request."""
    welsh = ask(client, world["pat"], language="cy").json
    by_request = ask(client, world["pat"], email="ann@example.org", group="peer",
                     headers_language="cy")
    plain = ask(client, world["pat"], email="bob@example.org", group="peer").json
    assert welsh["language"] == "cy" and plain["language"] == "en"
    assert by_request.json["language"] == "cy"
    assert by_request.headers["Content-Language"] == "cy"


def test_the_same_address_twice_in_a_round_is_a_conflict(client, world):
    assert ask(client, world["pat"]).status_code == 201
    again = ask(client, world["pat"], name="Lee again")
    assert again.status_code == 409 and "already been asked" in again.json["message"]
    assert ask(client, world["pat"], phase="post").status_code == 201


def test_nobody_can_be_asked_once_the_round_has_closed(client, world):
    close_round(world["cohort_id"])
    answer = ask(client, world["pat"])
    assert answer.status_code == 409 and "closed" in answer.json["message"]


def test_a_tutor_asks_for_their_participant_and_others_cannot(client, world):
    assert ask(client, world["tutor"], tutor_path(world)).status_code == 201
    assert client.get(tutor_path(world), headers=world["admin"]).json["raters"][0][
        "email"] == "lee@example.org"
    assert ask(client, world["outsider"], tutor_path(world)).status_code == 404
    assert ask(client, world["sponsor"], tutor_path(world)).status_code == 403
    assert ask(client, world["quin"], tutor_path(world)).status_code == 403
    assert client.get(tutor_path(world), headers=world["sponsor"]).status_code == 403
    # a tutor cannot ask about someone who is not a participant of the cohort
    assert ask(client, world["tutor"], tutor_path(world, 999_999)).status_code == 404


def test_taking_an_invitation_back_ends_its_link(client, world):
    rater = ask(client, world["pat"]).json
    token = token_of(rater["id"])
    assert client.get(f"/api/v1/feedback/{token}").status_code == 200
    assert client.delete(f"{ME}/{rater['id']}", headers=world["pat"]).status_code == 204
    gone = client.get(f"/api/v1/feedback/{token}")
    assert gone.status_code == 410 and "withdrawn" in gone.json["message"]
    assert client.get(ME, headers=world["pat"]).json["raters"][0]["status"] == "revoked"


def test_nobody_takes_back_another_participants_rater(client, world):
    rater = ask(client, world["pat"]).json
    assert client.delete(f"{ME}/{rater['id']}", headers=world["quin"]).status_code == 404
    outsider = client.delete(f"{tutor_path(world)}/{rater['id']}", headers=world["outsider"])
    assert outsider.status_code == 404
    assert client.get(ME, headers=world["pat"]).json["raters"][0]["status"] == "invited"


def answer_everything(client, token: str, value=3) -> dict:
    """Answer every behaviour asked with ``value``; the form afterwards."""
    form = client.get(f"/api/v1/feedback/{token}").json
    ratings = {b["code"]: value for b in form["behaviours"]}
    saved = client.put(f"/api/v1/feedback/{token}", json={"ratings": ratings})
    assert saved.status_code == 200, saved.json
    return saved.json


def test_a_rater_saves_a_draft_then_submits_once(client, world):
    rater = ask(client, world["pat"]).json
    token = token_of(rater["id"])
    form = client.get(f"/api/v1/feedback/{token}").json
    assert form["participant"] == "Pat Participant" and form["open"]
    assert "not anonymous" in form["anonymity"]
    assert len(form["behaviours"]) == 36  # a provider: DT.8 is for commissioners
    partial = client.put(f"/api/v1/feedback/{token}", json={
        "ratings": {"SI.1": 4, "SI.2": "not_observed"}, "comments": {"SI": "Listens well."}})
    assert partial.json["ratings"] == {"SI.1": 4, "SI.2": "not_observed"}
    assert partial.json["comments"] == {"SI": "Listens well."}
    early = client.post(f"/api/v1/feedback/{token}/submit")
    assert early.status_code == 422 and len(early.json["errors"]["ratings"]["missing"]) == 34
    answer_everything(client, token)
    done = client.post(f"/api/v1/feedback/{token}/submit")
    assert done.status_code == 200 and done.json["status"] == "submitted"
    # a used link shows nothing of what was said and changes nothing
    assert done.json["ratings"] == {} and done.json["comments"] == {}
    assert client.get(f"/api/v1/feedback/{token}").json["ratings"] == {}
    assert client.put(f"/api/v1/feedback/{token}",
                      json={"ratings": {"SI.1": 1}}).status_code == 409
    assert client.post(f"/api/v1/feedback/{token}/submit").status_code == 409
    assert client.delete(f"{ME}/{rater['id']}", headers=world["pat"]).status_code == 409


@pytest.mark.parametrize(("body", "where"), [
    ({"ratings": {"SI.1": 9}}, "ratings"), ({"ratings": {"SI.1": True}}, "ratings"),
    ({"ratings": {"SI.1": "na"}}, "ratings"), ({"ratings": {"DT.8": 3}}, "ratings"),
    ({"ratings": {"XX.1": 3}}, "ratings"), ({"comments": {"ZZ": "hello"}}, "comments"),
    ({"comments": {"SI": "x" * 4001}}, "comments"), ({"comments": {"SI": 5}}, "comments"),
])
def test_bad_answers_are_refused_naming_the_behaviour_and_nothing_is_saved(client, world,
                                                                          body, where):
    token = token_of(ask(client, world["pat"]).json["id"])
    client.put(f"/api/v1/feedback/{token}", json={"ratings": {"SI.3": 2}})
    refused = client.put(f"/api/v1/feedback/{token}",
                         json={"ratings": {"SI.4": 5, **body.get("ratings", {})},
                               "comments": body.get("comments", {})})
    assert refused.status_code == 422 and where in refused.json["errors"]
    assert client.get(f"/api/v1/feedback/{token}").json["ratings"] == {"SI.3": 2}


@pytest.mark.parametrize("token", ["short", "x" * 43, "A" * 43, "../../me/feedback/raters",
                                   "x" * 500])
def test_a_made_up_link_finds_nothing(client, world, token):
    ask(client, world["pat"])
    assert client.get(f"/api/v1/feedback/{token}").status_code == 404
    assert client.put(f"/api/v1/feedback/{token}",
                      json={"ratings": {"SI.1": 3}}).status_code in (404, 405)


def test_a_link_reaches_only_its_own_participant_and_round(client, world):
    pats = token_of(ask(client, world["pat"]).json["id"])
    quins = token_of(ask(client, world["quin"], email="kim@example.org").json["id"])
    assert client.get(f"/api/v1/feedback/{pats}").json["participant"] == "Pat Participant"
    assert client.get(f"/api/v1/feedback/{quins}").json["participant"] == "Quin Participant"
    # Pat's rater's link answers for Pat's pre round only, whatever else is sent
    client.put(f"/api/v1/feedback/{pats}?phase=post&participant={world['quin_id']}",
               json={"ratings": {"SI.1": 5}})
    assert client.get(f"/api/v1/feedback/{quins}").json["ratings"] == {}
    assert client.get(f"/api/v1/feedback/{pats}").json["phase"] == "pre"
    # a link is no sign-in: it opens none of the participant's own routes
    for path in ("/api/v1/me/feedback/raters", "/api/v1/me/feedback/report", "/api/v1/me"):
        assert client.get(path, headers={"Authorization": f"Bearer {pats}"}
                          ).status_code == 401
    # one token's character changed is another, unknown, token
    other = pats[:-1] + ("A" if pats[-1] != "A" else "B")
    assert client.get(f"/api/v1/feedback/{other}").status_code == 404


def test_a_link_expires_with_its_round(client, world):
    token = token_of(ask(client, world["pat"]).json["id"])
    close_round(world["cohort_id"])
    for answer in (client.get(f"/api/v1/feedback/{token}"),
                   client.put(f"/api/v1/feedback/{token}", json={"ratings": {"SI.1": 3}}),
                   client.post(f"/api/v1/feedback/{token}/submit")):
        assert answer.status_code == 410 and "closed" in answer.json["message"]


def test_a_rater_withdraws_while_the_round_is_open(client, world):
    rater = ask(client, world["pat"]).json
    token = token_of(rater["id"])
    answer_everything(client, token)
    assert client.post(f"/api/v1/feedback/{token}/submit").status_code == 200
    assert client.post(f"/api/v1/feedback/{token}/withdraw").status_code == 204
    assert client.get(f"/api/v1/feedback/{token}").status_code == 410
    from lms.feedback.models import FeedbackAnswer
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FeedbackAnswer)) == 0
    assert client.get(ME, headers=world["pat"]).json["raters"][0]["status"] == "withdrawn"


# --- personal data -------------------------------------------------------------------------

def test_erasing_a_rater_keeps_their_answers_anonymous(app, client, world):
    from tests.feedback.conftest import close_round

    rater = ask(client, world["pat"]).json
    token = token_of(rater["id"])
    answer_everything(client, token, value=4)
    client.post(f"/api/v1/feedback/{token}/submit")
    pending = ask(client, world["pat"], email="lee@example.org", phase="post").json
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["lms", "erase-rater", "lee@example.org"])
    assert refused.exit_code != 0 and "--yes" in refused.output
    unknown = runner.invoke(args=["lms", "erase-rater", "nobody@example.org", "--yes"])
    assert unknown.exit_code != 0 and "No 360 feedback request" in unknown.output
    done = runner.invoke(args=["lms", "erase-rater", "LEE@example.org", "--yes"])
    assert done.exit_code == 0 and "2 feedback requests" in done.output, done.output
    listed = client.get(ME, headers=world["pat"]).json["raters"]
    assert {(r["name"], r["email"]) for r in listed} == {(None, None)}
    assert {r["status"] for r in listed} == {"answered", "revoked"}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Message)) == 0
    assert client.get(f"/api/v1/feedback/{token_of(pending['id'])}").status_code == 410
    close_round(world["cohort_id"])
    report = client.get("/api/v1/me/feedback/report", headers=world["pat"]).json
    assert report["groups"][0]["answered"] == 1
    si1 = report["themes"][0]["behaviours"][0]
    assert si1["figures"]["line_manager"]["mean"] == 4
    assert "lee" not in str(db.session.execute(sa.select(AuditEvent.details)).all()).lower()


def test_a_participants_export_and_erasure_cover_their_raters(app, client, world):
    from lms.accounts.models import User
    from lms.interop.personal import erase_person, person_export
    from tests.feedback.conftest import close_round

    for number, group in enumerate(("peer", "peer", "peer", "line_manager")):
        rater = ask(client, world["pat"], email=f"r{number}@example.org", group=group).json
        token = token_of(rater["id"])
        answer_everything(client, token, value=2 + number % 2)
        client.put(f"/api/v1/feedback/{token}", json={"comments": {"SI": f"note {number}"}})
        client.post(f"/api/v1/feedback/{token}/submit")
    waiting = ask(client, world["pat"], email="late@example.org", group="other").json
    close_round(world["cohort_id"])
    pat = db.session.get(User, world["pat_id"])
    exported = person_export(pat)
    assert {r["email"] for r in exported["feedback_rater"]} == {
        "r0@example.org", "r1@example.org", "r2@example.org", "r3@example.org",
        "late@example.org"}
    [report] = exported["feedback_report"]
    assert report["phase"] == "pre" and report["shown_groups"] == ["line_manager", "peer"]
    text = str(exported)
    assert "note 1" in text  # comments as the report shows them
    assert "token" not in str(exported["feedback_rater"])
    erase_person(pat)
    db.session.commit()
    raters = db.session.scalars(sa.select(FeedbackRater)).all()
    assert {(r.name, r.email) for r in raters} == {(None, None)}
    assert db.session.get(FeedbackRater, waiting["id"]).revoked_at is not None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Message).where(
        Message.feedback_rater_id.is_not(None))) == 0
    assert len(db.session.get(FeedbackRater, raters[0].id).answers) == 36


# --- settings ------------------------------------------------------------------------------

def test_the_minimum_is_set_per_programme_and_never_below_two(client, world):
    from lms.cohorts.models import Cohort

    programme_id = db.session.get(Cohort, world["cohort_id"]).programme_id
    path = f"/api/v1/programmes/{programme_id}"
    refused = client.patch(path, json={"feedback_min_group": 1}, headers=world["admin"])
    assert refused.status_code == 422 and "feedback_min_group" in refused.json["errors"]["json"]
    assert client.patch(path, json={"feedback_min_group": 4},
                        headers=world["tutor"]).status_code == 403
    changed = client.patch(path, json={"feedback_min_group": 2}, headers=world["admin"])
    assert changed.status_code == 200 and changed.json["feedback_min_group"] == 2


def test_a_round_gets_dates_of_its_own_checked_like_the_windows(client, world):
    path = f"/api/v1/cohorts/{world['cohort_id']}"
    half = client.patch(path, json={"feedback_post_opens_on": "2027-01-10"},
                        headers=world["admin"])
    assert half.status_code == 422 and "feedback_post_closes_on" in half.json["errors"]
    backwards = client.patch(path, json={"feedback_post_opens_on": "2027-01-10",
                                         "feedback_post_closes_on": "2027-01-01"},
                             headers=world["admin"])
    assert backwards.status_code == 422 and "feedback_post_closes_on" in backwards.json["errors"]
    opens = (TODAY + dt.timedelta(days=20)).isoformat()
    closes = (TODAY + dt.timedelta(days=30)).isoformat()
    ok = client.patch(path, json={"feedback_pre_opens_on": opens,
                                  "feedback_pre_closes_on": closes}, headers=world["admin"])
    assert ok.status_code == 200 and ok.json["feedback_pre_closes_on"] == closes
    # the pre round now opens later than the pre window: a rater's link waits for it
    token = token_of(ask(client, world["pat"]).json["id"])
    form = client.get(f"/api/v1/feedback/{token}").json
    assert form["open"] is False and form["opens_on"] == opens
    assert client.put(f"/api/v1/feedback/{token}",
                      json={"ratings": {"SI.1": 3}}).status_code == 409
