"""A participant's self-assessments: windows, drafts, submission, locking and reopening."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import sqlalchemy as sa

from lms.core.extensions import db
from lms.ratings.models import Assessment, Rating
from tests import builders as b

TODAY = dt.date.today()


@pytest.fixture
def course(seeded):
    """A cohort whose pre window is open today, a provider participant and a tutor."""
    cohort = b.make_cohort(starts_on=TODAY - dt.timedelta(days=3),
                           ends_on=TODAY + dt.timedelta(days=120))
    cohort.pre_opens_on = TODAY - dt.timedelta(days=3)
    cohort.pre_closes_on = TODAY + dt.timedelta(days=10)
    cohort.post_opens_on = TODAY + dt.timedelta(days=100)
    cohort.post_closes_on = TODAY + dt.timedelta(days=120)
    provider = b.make_organisation("Riverside NHS Trust", "nhs_trust", "providing")
    commissioner = b.make_organisation("Northshire Council", "local_authority", "commissioning")
    both = b.make_organisation("Voices Together", "user_led", "both")
    pat = b.make_user("participant")
    b.enrol(pat, cohort, organisation=provider)
    cal = b.make_user("participant")
    b.enrol(cal, cohort, organisation=commissioner)
    bo = b.make_user("participant")
    b.enrol(bo, cohort, organisation=both)
    tutor = b.make_user("tutor")
    b.enrol(tutor, cohort)
    headers = {name: b.bearer(user) for name, user in
               [("pat", pat), ("cal", cal), ("bo", bo), ("tutor", tutor)]}
    db.session.commit()
    return {"cohort": cohort, "pat": pat, "headers": headers}


def put(client, course, body, who="pat", phase="pre"):
    return client.put(f"/api/v1/me/assessments/{phase}", json=body,
                      headers=course["headers"][who])


def submit(client, course, who="pat", phase="pre"):
    return client.post(f"/api/v1/me/assessments/{phase}/submit", headers=course["headers"][who])


def every_answer(client, course, who="pat", value=3):
    asked = client.get("/api/v1/me/assessments/pre", headers=course["headers"][who]).get_json()
    return {b["code"]: value for b in asked["behaviours"]}


def test_a_draft_is_saved_in_part_and_resumed(client, course):
    response = put(client, course, {"ratings": {"SI.1": 4, "si.2": "na"}})
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "draft" and body["open"] is True
    assert body["ratings"] == {"SI.1": 4, "SI.2": "na"}
    again = put(client, course, {"ratings": {"SI.1": 5, "FC.1": 2}}).get_json()
    assert again["ratings"] == {"SI.1": 5, "SI.2": "na", "FC.1": 2}
    assert [p["label"] for p in again["scale"]][0] == "Not yet"


def test_the_overview_gives_every_phase_with_window_status_and_progress(client, course):
    put(client, course, {"ratings": {"SI.1": 4}})
    body = client.get("/api/v1/me/assessments", headers=course["headers"]["pat"]).get_json()
    phases = {p["phase"]: p for p in body["phases"]}
    assert list(phases) == ["pre", "then", "post"]
    assert (phases["pre"]["status"], phases["pre"]["answered"], phases["pre"]["required"]) == (
        "draft", 1, 36)
    assert phases["pre"]["open"] is True and phases["post"]["open"] is False
    assert phases["then"]["opens_on"] == phases["post"]["opens_on"]  # then goes with post


@pytest.mark.parametrize(("who", "asked", "not_asked"), [
    ("pat", {"DT.9"}, {"DT.8"}),
    ("cal", {"DT.8"}, {"DT.9"}),
    ("bo", {"DT.8", "DT.9"}, set()),
])
def test_the_organisation_specific_behaviours_follow_the_sector(client, course, who, asked,
                                                                not_asked):
    body = client.get("/api/v1/me/assessments/pre", headers=course["headers"][who]).get_json()
    codes = {b["code"] for b in body["behaviours"]}
    assert asked <= codes and not (not_asked & codes)
    assert len(codes) == 35 + len(asked)
    for code in not_asked:
        refused = put(client, course, {"ratings": {code: 3}}, who=who)
        assert refused.status_code == 422
        assert code in refused.get_json()["errors"]["ratings"]


def test_submitting_needs_every_behaviour_and_names_the_missing_ones(client, course):
    answers = every_answer(client, course)
    del answers["FC.3"], answers["DT.9"]
    put(client, course, {"ratings": answers})
    refused = submit(client, course)
    assert refused.status_code == 422
    assert refused.get_json()["errors"]["ratings"]["missing"] == ["FC.3", "DT.9"]
    assert "2 missing (FC.3, DT.9)" in refused.get_json()["message"]
    put(client, course, {"ratings": {"FC.3": 1, "DT.9": "na"}})
    accepted = submit(client, course)
    assert accepted.status_code == 200
    assert accepted.get_json()["status"] == "submitted"


def test_a_submitted_assessment_is_locked(client, course):
    put(client, course, {"ratings": every_answer(client, course)})
    submit(client, course)
    locked = put(client, course, {"ratings": {"SI.1": 1}})
    assert locked.status_code == 409
    assert "reopen" in locked.get_json()["message"]
    assert submit(client, course).status_code == 409
    assert db.session.scalar(sa.select(Rating.value).join(Assessment).where(
        Rating.behaviour_id == 1)) == 3


def test_outside_its_window_a_phase_cannot_change(client, course):
    refused = put(client, course, {"ratings": {"SI.1": 3}}, phase="post")
    assert refused.status_code == 409
    closes = (TODAY + dt.timedelta(days=120)).strftime("%-d %B %Y")
    assert closes in refused.get_json()["message"]
    assert put(client, course, {"ratings": {"SI.1": 3}}, phase="then").status_code == 409
    course["cohort"].pre_opens_on = course["cohort"].pre_closes_on = None
    db.session.commit()
    unset = put(client, course, {"ratings": {"SI.1": 3}})
    assert unset.status_code == 409
    assert "no dates set" in unset.get_json()["message"]


@pytest.mark.parametrize("value", ["4", 4.0, 3.5, None, True, 0, 6, -1, 10**40, "NA ", [],
                                   {"v": 1}, "n/a"])
def test_malformed_values_are_422_naming_the_behaviour(client, course, value):
    response = put(client, course, {"ratings": {"SI.1": 4, "FC.2": value}})
    assert response.status_code == 422
    assert list(response.get_json()["errors"]["ratings"]) == ["FC.2"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Rating)) == 0


@pytest.mark.parametrize("body", [{}, {"ratings": []}, {"ratings": "SI.1=4"},
                                  {"ratings": {"SI.1": 4}, "extra": True}, [1, 2]])
def test_malformed_bodies_are_422(client, course, body):
    assert put(client, course, body).status_code == 422


def test_unknown_behaviour_codes_and_phases(client, course):
    response = put(client, course, {"ratings": {"XX.1": 3}})
    assert response.status_code == 422
    assert "XX.1" in response.get_json()["errors"]["ratings"]
    assert put(client, course, {"ratings": {"SI.1": 3}}, phase="during").status_code == 404


def test_a_tutor_reopens_with_a_reason_and_the_participant_resubmits(client, course):
    put(client, course, {"ratings": every_answer(client, course)})
    submit(client, course)
    base = f"/api/v1/cohorts/{course['cohort'].id}/assessments/{course['pat'].id}/pre"
    no_reason = client.post(f"{base}/reopen", json={}, headers=course["headers"]["tutor"])
    assert no_reason.status_code == 422
    reopened = client.post(f"{base}/reopen", json={"reason": "SI.4 was a slip"},
                           headers=course["headers"]["tutor"])
    assert reopened.status_code == 200
    assert reopened.get_json()["status"] == "draft"
    assert reopened.get_json()["reopen_reason"] == "SI.4 was a slip"
    again = client.post(f"{base}/reopen", json={"reason": "twice"},
                        headers=course["headers"]["tutor"])
    assert again.status_code == 409
    assert put(client, course, {"ratings": {"SI.4": 5}}).status_code == 200
    assert submit(client, course).status_code == 200
    audit = client.get(base, headers=course["headers"]["tutor"]).get_json()
    assert audit["ratings"]["SI.4"] == 5 and audit["status"] == "submitted"
    from lms.audit.models import AuditEvent

    event = db.session.scalar(sa.select(AuditEvent).filter_by(action="assessment.reopen"))
    assert event.details == {"user_id": event.details["user_id"], "phase": "pre"}


def test_the_tutor_sees_who_has_submitted_drafted_or_not_started(client, course):
    put(client, course, {"ratings": every_answer(client, course)})
    submit(client, course)
    put(client, course, {"ratings": {"SI.1": 2}}, who="cal")
    body = client.get(f"/api/v1/cohorts/{course['cohort'].id}/assessments",
                      headers=course["headers"]["tutor"]).get_json()
    by_id = {p["user_id"]: p["phases"] for p in body["participants"]}
    assert by_id[course["pat"].id]["pre"]["status"] == "submitted"
    assert by_id[course["pat"].id]["pre"]["answered"] == 36
    assert by_id[course["pat"].id]["post"]["status"] == "not_started"
    statuses = sorted(p["phases"]["pre"]["status"] for p in body["participants"])
    assert statuses == ["draft", "not_started", "submitted"]
    assert len(body["participants"]) == 3
    assert body["windows"]["pre"]["closes_on"] == str(TODAY + dt.timedelta(days=10))


def test_the_overview_takes_the_same_statements_for_more_participants(client, course):
    from tests.fixtures import count_queries

    def statements():
        path = f"/api/v1/cohorts/{course['cohort'].id}/assessments"
        client.get(path, headers=course["headers"]["tutor"])
        with count_queries(db.engine) as queries:
            client.get(path, headers=course["headers"]["tutor"])
        return queries.count

    before = statements()
    for _ in range(15):
        person = b.make_user("participant")
        b.enrol(person, course["cohort"])
        b.assess(person, course["cohort"], "pre")
    db.session.commit()
    assert statements() == before


def test_two_submissions_at_once_store_one_and_answer_the_other_409(app, client, course):
    put(client, course, {"ratings": every_answer(client, course)})
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def submit_in_thread():
        own_client = app.test_client()  # its own app context, session and connection
        barrier.wait()
        statuses.append(submit(own_client, course).status_code)

    threads = [threading.Thread(target=submit_in_thread) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(statuses) == [200, 409]
    db.session.expire_all()
    assessments = db.session.scalars(sa.select(Assessment)).all()
    assert [(a.phase, a.status) for a in assessments] == [("pre", "submitted")]


def test_two_first_drafts_at_once_never_make_two_assessments(app, course):
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def save_in_thread(code):
        own_client = app.test_client()
        barrier.wait()
        statuses.append(put(own_client, course, {"ratings": {code: 4}}).status_code)

    threads = [threading.Thread(target=save_in_thread, args=(code,)) for code in ("SI.1", "SI.2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    # Either both land in one draft, or the loser of the race is told 409: never two rows.
    assert sorted(statuses) in ([200, 200], [200, 409])
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Assessment)) == 1


def test_the_scale_cannot_change_once_ratings_use_it(client, course):
    admin_headers = b.bearer(b.make_user("admin"))
    db.session.commit()
    path = f"/api/v1/programmes/{course['cohort'].programme_id}"
    scale = [{"value": v, "label": f"Point {v}"} for v in range(1, 8)]
    assert client.patch(path, json={"rating_scale": scale}, headers=admin_headers).status_code \
        == 200
    put(client, course, {"ratings": {"SI.1": 7}})
    refused = client.patch(path, json={"rating_scale": scale[:5]}, headers=admin_headers)
    assert refused.status_code == 409
    gappy = [{"value": 1, "label": "a"}, {"value": 3, "label": "b"}]
    assert client.patch(path, json={"rating_scale": gappy}, headers=admin_headers).status_code \
        == 422


def test_the_cohort_can_be_named_in_the_query_string(client, course):
    cohort_id = course["cohort"].id
    named = client.get(f"/api/v1/me/assessments?cohort={cohort_id}",
                       headers=course["headers"]["pat"])
    assert named.status_code == 200 and named.get_json()["cohort_id"] == cohort_id
    other = client.get("/api/v1/me/assessments?cohort=999999", headers=course["headers"]["pat"])
    assert other.status_code == 404
    assert client.get("/api/v1/me/assessments?cohort=x",
                      headers=course["headers"]["pat"]).status_code == 422


@pytest.fixture
def closed(seeded):
    """A cohort whose post window closed last week; three participants submitted pre and
    post, and their tutor."""
    cohort = b.make_cohort(starts_on=TODAY - dt.timedelta(days=200),
                           ends_on=TODAY - dt.timedelta(days=7))
    cohort.pre_opens_on, cohort.pre_closes_on = (TODAY - dt.timedelta(days=200),
                                                 TODAY - dt.timedelta(days=180))
    cohort.post_opens_on, cohort.post_closes_on = (TODAY - dt.timedelta(days=30),
                                                   TODAY - dt.timedelta(days=7))
    organisation = b.make_organisation("Riverside NHS Trust", "nhs_trust", "providing")
    people = [b.make_user("participant") for _ in range(3)]
    for person in people:
        b.enrol(person, cohort, organisation=organisation)
        for phase in ("pre", "post"):
            b.assess(person, cohort, phase)
    tutor = b.make_user("tutor")
    b.enrol(tutor, cohort)
    headers = {"tutor": b.bearer(tutor), "pat": b.bearer(people[0])}
    db.session.commit()
    return {"cohort": cohort, "pat": people[0], "headers": headers}


def flow_of(client, closed):
    return client.get(f"/api/v1/cohorts/{closed['cohort'].id}/outcomes",
                      headers=closed["headers"]["tutor"]).get_json()["flow"]["phases"]["post"]


def test_reopening_after_the_window_closed_needs_a_new_date_and_ends_in_a_submission(
        client, closed):
    from lms.audit.models import AuditEvent
    from lms.messaging.models import Message

    tutor, pat = closed["headers"]["tutor"], closed["headers"]["pat"]
    base = f"/api/v1/cohorts/{closed['cohort'].id}/assessments/{closed['pat'].id}/post"
    refused = client.post(f"{base}/reopen", json={"reason": "Two answers were swapped"},
                          headers=tutor)
    assert refused.status_code == 422
    assert "closed on" in refused.get_json()["message"]
    assert "closes_on" in refused.get_json()["errors"]
    past = client.post(f"{base}/reopen", json={"reason": "Two answers were swapped",
                                               "closes_on": str(TODAY - dt.timedelta(days=1))},
                       headers=tutor)
    assert past.status_code == 422 and "closes_on" in past.get_json()["errors"]
    assert client.get(base, headers=tutor).get_json()["status"] == "submitted"
    assert flow_of(client, closed) == {"started": 3, "submitted": 3, "reopened": 0}

    until = TODAY + dt.timedelta(days=7)
    reopened = client.post(f"{base}/reopen", json={"reason": "Two answers were swapped",
                                                   "closes_on": str(until)}, headers=tutor)
    assert reopened.status_code == 200
    assert reopened.get_json()["extended_until"] == str(until)
    event = db.session.scalar(sa.select(AuditEvent).filter_by(action="assessment.reopen"))
    assert event.details["closes_on"] == str(until)
    notice = db.session.scalar(sa.select(Message).filter_by(kind="reopen_notice"))
    assert notice.context["closes_on"] == str(until)
    # The flow says where the missing post answers went.
    assert flow_of(client, closed) == {"started": 3, "submitted": 2, "reopened": 1}

    mine = client.get("/api/v1/me/assessments", headers=pat).get_json()["phases"]
    post = next(p for p in mine if p["phase"] == "post")
    assert (post["open"], post["closes_on"], post["reopen_reason"]) == (
        True, str(until), "Two answers were swapped")
    assert client.put("/api/v1/me/assessments/post", json={"ratings": {"SI.1": 5}},
                      headers=pat).status_code == 200
    assert client.post("/api/v1/me/assessments/post/submit", headers=pat).status_code == 200
    assert flow_of(client, closed) == {"started": 3, "submitted": 3, "reopened": 0}
    # The extension is the participant's alone: the others' window stays closed.
    other = client.get("/api/v1/me/assessments", headers=pat).get_json()["phases"]
    assert next(p for p in other if p["phase"] == "then")["open"] is False


def test_an_extension_ends_on_its_date(closed):
    from lms.core.errors import Conflict
    from lms.ratings import service

    until = TODAY + dt.timedelta(days=3)
    service.reopen(closed["cohort"], closed["pat"].id, "post", "A slip", closes_on=until)
    db.session.commit()
    service.save_draft(closed["pat"], "post", {"SI.1": 4}, today=until)
    with pytest.raises(Conflict, match="extension ended on"):
        service.save_draft(closed["pat"], "post", {"SI.1": 2},
                           today=until + dt.timedelta(days=1))


def test_reopening_while_the_window_is_open_needs_no_date(client, course):
    every = every_answer(client, course)
    put(client, course, {"ratings": every})
    submit(client, course)
    base = f"/api/v1/cohorts/{course['cohort'].id}/assessments/{course['pat'].id}/pre"
    reopened = client.post(f"{base}/reopen", json={"reason": "A slip"},
                           headers=course["headers"]["tutor"])
    assert reopened.status_code == 200 and reopened.get_json()["extended_until"] is None
