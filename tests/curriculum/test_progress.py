"""Working through modules: marking done, notes and their history, progress and risk."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa

from lms.accounts.models import User
from lms.cohorts.models import Cohort, Enrolment
from lms.core.extensions import db
from lms.curriculum.models import ActivityRecord
from lms.curriculum.progress import cohort_progress
from lms.curriculum.schemas import CohortProgressSchema
from lms.curriculum.service import set_cohort_curriculum
from tests import builders as b
from tests.fixtures import count_queries


@pytest.fixture
def course(curriculum):
    """A running cohort with two participants and a tutor, and another cohort's tutor."""
    cohort = b.make_cohort(starts_on=dt.date.today() - dt.timedelta(days=30),
                           ends_on=dt.date.today() + dt.timedelta(days=150))
    pat, sam = b.make_user("participant"), b.make_user("participant")
    tutor, other_tutor, admin = b.make_user("tutor"), b.make_user("tutor"), b.make_user("admin")
    for person in (pat, sam, tutor):
        b.enrol(person, cohort)
    b.enrol(other_tutor, b.make_cohort())
    headers = {name: b.bearer(user) for name, user in
               [("pat", pat), ("sam", sam), ("tutor", tutor), ("other_tutor", other_tutor),
                ("admin", admin)]}
    db.session.commit()
    return {"cohort": cohort, "pat": pat, "sam": sam, "headers": headers}


def put(client, course, who, path, body):
    return client.put(f"/api/v1/me/activities/{path}", json=body, headers=course["headers"][who])


def my_progress(client, course, who="pat"):
    return client.get("/api/v1/me/progress", headers=course["headers"][who]).get_json()[0]


def status(progress, slug):
    return next(m["status"] for m in progress["modules"] if m["slug"] == slug)


def test_marking_a_reading_done(client, course):
    response = put(client, course, "pat", "induction/three-ideas", {"done": True})
    assert response.status_code == 200
    body = response.get_json()
    assert body["done"] is True and body["completed_at"]
    progress = my_progress(client, course)
    assert status(progress, "induction") == "in_progress"
    assert status(progress, "strategic-intent") == "not_started"
    assert progress["next_activity"]["key"] == "your-starting-point"


def test_a_reflection_needs_text_before_it_is_done(client, course):
    refused = put(client, course, "pat", "induction/your-starting-point", {"done": True})
    assert refused.status_code == 422
    assert "reflection" in refused.get_json()["errors"]
    blank = put(client, course, "pat", "induction/your-starting-point",
                {"done": True, "reflection": "   "})
    assert blank.status_code == 422
    done = put(client, course, "pat", "induction/your-starting-point",
               {"done": True, "reflection": "I lead from the middle."})
    assert done.status_code == 200


def test_a_workplace_task_needs_an_evidence_note(client, course):
    refused = put(client, course, "pat", "induction/network-map", {"done": True})
    assert refused.status_code == 422
    assert "evidence" in refused.get_json()["errors"]
    assert put(client, course, "pat", "induction/network-map",
               {"done": True, "evidence": "Mapped 23 links."}).status_code == 200


def test_notes_can_be_saved_in_part_edited_later_and_keep_their_history(client, course):
    path = "induction/your-starting-point"
    draft = put(client, course, "pat", path, {"reflection": "First thoughts."})
    assert draft.get_json()["done"] is False
    put(client, course, "pat", path, {"reflection": "Second thoughts.", "done": True})
    put(client, course, "pat", path, {"reflection": "Third thoughts."})
    record = db.session.scalar(sa.select(ActivityRecord))
    assert [v.reflection for v in record.versions] == [
        "First thoughts.", "Second thoughts.", "Third thoughts."]
    mine = client.get(f"/api/v1/me/activities/{path}", headers=course["headers"]["pat"])
    assert mine.get_json()["reflection"] == "Third thoughts."
    assert mine.get_json()["versions"] == 3
    assert mine.get_json()["done"] is True


def test_an_activity_can_be_undone_and_its_notes_stay(client, course):
    path = "induction/network-map"
    put(client, course, "pat", path, {"done": True, "evidence": "Mapped it."})
    undone = put(client, course, "pat", path, {"done": False})
    assert undone.get_json()["done"] is False
    assert undone.get_json()["evidence"] == "Mapped it."


def complete_module(client, course, slug, who="pat"):
    module = client.get(f"/api/v1/modules/{slug}").get_json()
    for activity in module["activities"]:
        if activity["required"]:
            body = {"done": True, "reflection": "Thoughts.", "evidence": "Did it."}
            assert put(client, course, who, f"{slug}/{activity['key']}", body).status_code == 200
    return module


def test_a_module_is_complete_when_its_required_activities_are_done(client, course):
    complete_module(client, course, "induction")
    progress = my_progress(client, course)
    assert status(progress, "induction") == "complete"
    required_total = sum(m["required"] for m in progress["modules"])
    induction = next(m for m in progress["modules"] if m["slug"] == "induction")
    assert progress["percentage"] == round(100 * induction["required"] / required_total, 1)
    assert progress["next_activity"]["module"] == "strategic-intent"


@pytest.mark.parametrize(("path", "status"), [
    ("induction/no-such-activity", 404),
    ("no-such-module/three-ideas", 404),
])
def test_unknown_modules_and_activities_are_404(client, course, path, status):
    assert put(client, course, "pat", path, {"done": True}).status_code == status


@pytest.mark.parametrize("body", [{}, {"done": "yes please"}, {"reflection": 5},
                                  {"reflection": "x" * 20_001}, {"evidence": "a\x00b"},
                                  {"done": True, "extra": 1}])
def test_malformed_bodies_are_422(client, course, body):
    response = put(client, course, "pat", "induction/your-starting-point", body)
    assert response.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ActivityRecord)) == 0


def test_only_participants_record_work(client, course):
    response = put(client, course, "tutor", "induction/three-ideas", {"done": True})
    assert response.status_code == 403


def test_a_module_that_has_not_opened_cannot_be_worked_on(client, course):
    opens = dt.date.today() + dt.timedelta(days=10)
    set_cohort_curriculum(course["cohort"], [{"slug": "induction"},
                                              {"slug": "strategic-intent", "opens_on": opens}])
    db.session.commit()
    refused = put(client, course, "pat", "strategic-intent/wider-determinants", {"done": True})
    assert refused.status_code == 409
    assert opens.strftime("%Y") in refused.get_json()["message"]
    readable = client.get("/api/v1/me/activities/strategic-intent/wider-determinants",
                          headers=course["headers"]["pat"])
    assert readable.status_code == 200
    not_followed = put(client, course, "pat", "flexibility-openness/small-changes",
                       {"done": True})
    assert not_followed.status_code == 404


def test_the_tutor_sees_every_participant_and_module(client, course):
    complete_module(client, course, "induction", who="sam")
    response = client.get(f"/api/v1/cohorts/{course['cohort'].id}/progress",
                          headers=course["headers"]["tutor"])
    assert response.status_code == 200
    body = response.get_json()
    assert len(body["curriculum"]) == 6
    people = {p["user_id"]: p for p in body["participants"]}
    sam, pat = people[course["sam"].id], people[course["pat"].id]
    assert sam["modules"][0]["status"] == "complete" and sam["percentage"] > 0
    assert sam["last_activity_at"] is not None
    assert pat["percentage"] == 0 and pat["last_activity_at"] is None
    # The cohort started 30 days ago: no work for 14 days makes Pat at risk, not Sam.
    assert pat["at_risk"] is True
    assert "no activity for 14 days" in pat["risk_reasons"]
    assert sam["at_risk"] is False
    # The document is written out by hand for speed; it is exactly what the documented
    # schema gives.
    progress = cohort_progress(db.session.get(Cohort, course["cohort"].id))
    assert body == json.loads(json.dumps(CohortProgressSchema().dump(progress)))


def test_behind_schedule_means_a_module_unfinished_after_the_next_one_opened(course):
    today = dt.date.today()
    set_cohort_curriculum(course["cohort"], [
        {"slug": "induction", "opens_on": today - dt.timedelta(days=30)},
        {"slug": "strategic-intent", "opens_on": today - dt.timedelta(days=2)},
        {"slug": "facilitative-collaborative", "opens_on": today + dt.timedelta(days=20)},
    ])
    db.session.commit()
    progress = cohort_progress(course["cohort"], today)
    reasons = {p.user_id: p.risk_reasons for p in progress["participants"]}
    assert ("behind schedule: “Leadership at every level: an induction” not complete"
            in reasons[course["pat"].id])


def test_a_due_date_decides_behind_schedule(course):
    today = dt.date.today()
    set_cohort_curriculum(course["cohort"], [
        {"slug": "induction", "due_on": today - dt.timedelta(days=1)},
        {"slug": "strategic-intent", "opens_on": today - dt.timedelta(days=20),
         "due_on": today + dt.timedelta(days=10)},
        {"slug": "facilitative-collaborative", "opens_on": today - dt.timedelta(days=2)},
    ])
    db.session.commit()
    progress = cohort_progress(course["cohort"], today)
    reasons = " ".join(next(p.risk_reasons for p in progress["participants"]
                            if p.user_id == course["pat"].id))
    # Induction's due date has passed; Strategic intent's has not, although the module
    # after it has opened (without a due date that would have made it late).
    assert "an induction" in reasons and "Strategic" not in reasons


SOON, EARLIER = (str(dt.date.today() + dt.timedelta(days=n)) for n in (10, 2))


@pytest.mark.parametrize(("item", "field_text"), [
    ({"slug": "induction", "opens_on": SOON, "due_on": EARLIER}, "before it opens"),
    ({"slug": "induction", "due_on": "2020-01-01"}, "before the cohort starts"),
    ({"slug": "induction", "due_on": "2099-01-01"}, "after the cohort ends"),
    ({"slug": "induction", "opens_on": "2099-01-01"}, "after the cohort ends"),
])
def test_module_dates_outside_the_cohort_are_refused(client, course, item, field_text):
    admin = course["headers"]["admin"]
    path = f"/api/v1/cohorts/{course['cohort'].id}/modules"
    before = client.get(path, headers=admin).get_json()
    response = client.put(path, json={"modules": [item]}, headers=admin)
    assert response.status_code == 422
    assert field_text in " ".join(response.get_json()["errors"]["modules"])
    assert client.get(path, headers=admin).get_json() == before


def test_no_work_is_recorded_before_the_cohort_starts(client, curriculum):
    starts = dt.date.today() + dt.timedelta(days=90)
    cohort = b.make_cohort(starts_on=starts, ends_on=starts + dt.timedelta(days=180))
    early = b.make_user("participant")
    b.enrol(early, cohort)
    headers = b.bearer(early)
    db.session.commit()
    response = client.put("/api/v1/me/activities/induction/three-ideas", json={"done": True},
                          headers=headers)
    assert response.status_code == 409
    assert f"starts on {starts:%-d %B %Y}" in response.get_json()["message"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ActivityRecord)) == 0
    progress = client.get("/api/v1/me/progress", headers=headers).get_json()[0]
    assert progress["next_activity"] is None


@pytest.mark.parametrize(("who", "expected"), [("pat", 403), ("other_tutor", 404),
                                               ("admin", 200), ("tutor", 200)])
def test_cohort_progress_is_for_its_tutors(client, course, who, expected):
    response = client.get(f"/api/v1/cohorts/{course['cohort'].id}/progress",
                          headers=course["headers"][who])
    assert response.status_code == expected


def test_reflections_are_private_to_the_participant_and_their_tutors(client, course):
    put(client, course, "pat", "induction/your-starting-point",
        {"reflection": "Honest words.", "done": True})
    path = f"/api/v1/cohorts/{course['cohort'].id}/participants/{course['pat'].id}/work"
    tutor_view = client.get(path, headers=course["headers"]["tutor"]).get_json()
    work = tutor_view["modules"][0]["activities"][1]["work"]
    assert work["reflection"] == "Honest words."
    assert client.get(path, headers=course["headers"]["sam"]).status_code == 403
    assert client.get(path, headers=course["headers"]["other_tutor"]).status_code == 404
    theirs = client.get("/api/v1/me/activities/induction/your-starting-point",
                        headers=course["headers"]["sam"]).get_json()
    assert theirs["reflection"] is None  # Sam sees only Sam's own


def add_participants(cohort, count: int) -> None:
    """Bulk-add ``count`` participants with some work each (core inserts: fast)."""
    organisation = b.make_organisation()
    level = b.level("manager")
    first = db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(User.id), 0))) + 1
    db.session.execute(sa.insert(User), [
        {"id": first + n, "email": f"bulk{first + n}@example.org", "display_name": f"P {n}",
         "role": "participant"} for n in range(count)])
    db.session.execute(sa.insert(Enrolment), [
        {"cohort_id": cohort.id, "user_id": first + n, "role": "participant",
         "organisation_id": organisation.id, "leadership_level_id": level.id}
        for n in range(count)])
    activity_id = db.session.scalar(sa.text("SELECT id FROM activity WHERE key = 'three-ideas'"))
    db.session.execute(sa.insert(ActivityRecord), [
        {"user_id": first + n, "cohort_id": cohort.id, "activity_id": activity_id,
         "completed_at": dt.datetime.now(dt.UTC)} for n in range(0, count, 2)])
    db.session.commit()


def statements_for_progress(client, course, cohort) -> tuple[int, int]:
    headers = course["headers"]["admin"]
    client.get(f"/api/v1/cohorts/{cohort.id}/progress", headers=headers)  # token's write
    with count_queries(db.engine) as queries:
        response = client.get(f"/api/v1/cohorts/{cohort.id}/progress", headers=headers)
    return queries.count, len(response.get_json()["participants"])


def test_cohort_progress_takes_the_same_statements_for_10_or_1000_participants(client, course):
    small, large = b.make_cohort(), b.make_cohort()
    add_participants(small, 10)
    add_participants(large, 1000)
    small_count, small_people = statements_for_progress(client, course, small)
    large_count, large_people = statements_for_progress(client, course, large)
    assert (small_people, large_people) == (10, 1000)
    assert small_count == large_count
    assert large_count <= 12


def statements_for_a_tutor_read(client, course) -> int:
    """How many statements the tutor's next read of the progress table takes."""
    with count_queries(db.engine) as queries:
        response = client.get(f"/api/v1/cohorts/{course['cohort'].id}/progress",
                              headers=course["headers"]["tutor"])
    assert response.status_code == 200
    return queries.count


def test_a_submission_leaves_the_progress_table_cached_and_work_renews_it(client, course):
    """The table rests on the work through the modules, not the self-assessments: a closing
    window's submissions leave a tutor's reads cached (data_version.WORK)."""
    statements_for_a_tutor_read(client, course)  # the token's use is written once
    statements_for_a_tutor_read(client, course)
    cached = statements_for_a_tutor_read(client, course)
    b.assess(course["pat"], course["cohort"], "pre")
    db.session.commit()
    assert statements_for_a_tutor_read(client, course) == cached
    complete_module(client, course, "induction", who="sam")
    db.session.commit()
    assert statements_for_a_tutor_read(client, course) > cached
