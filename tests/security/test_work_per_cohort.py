"""Issue 19's review, row 6: work belongs to the cohort it was done in.

A participant of an older cohort writes reflections there, then is enrolled in a new cohort:
the new cohort's tutor must not read the old work (nor its xAPI statements), and the old
cohort's tutor still does. Migration 0010 gives existing work the cohort it was done in.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json

import pytest
import sqlalchemy as sa

from lms.core.extensions import db
from lms.curriculum.models import ActivityRecord
from lms.curriculum.service import record_activity
from tests import builders as b
from tests.fixtures import PROJECT_ROOT

TODAY = dt.date.today()
STARTING_POINT = ("induction", "your-starting-point")
NOTE = "What I noticed in the old cohort, in my own words"


@pytest.fixture
def two_cohorts(curriculum):
    """Pat did work in an older cohort and is now enrolled in a newer one too."""
    programme = b.make_programme()
    older = b.make_cohort(programme, name="Older cohort",
                          starts_on=TODAY - dt.timedelta(days=200),
                          ends_on=TODAY + dt.timedelta(days=20))
    newer = b.make_cohort(programme, name="Newer cohort", starts_on=TODAY - dt.timedelta(days=5),
                          ends_on=TODAY + dt.timedelta(days=200))
    pat = b.make_user("participant", email="pat@example.org")
    older_tutor, newer_tutor = b.make_user("tutor"), b.make_user("tutor")
    b.enrol(older_tutor, older)
    b.enrol(newer_tutor, newer)
    b.enrol(pat, older)
    record_activity(pat, *STARTING_POINT, {"reflection": NOTE, "done": True})
    record_activity(pat, "induction", "three-ideas", {"done": True})
    db.session.commit()
    b.enrol(pat, newer)
    headers = {"pat": b.bearer(pat), "older": b.bearer(older_tutor),
               "newer": b.bearer(newer_tutor)}
    db.session.commit()
    return {"older": older, "newer": newer, "pat": pat, "headers": headers}


def work_seen(client, cohort, pat, headers) -> list[dict]:
    """Every activity of Pat's that a tutor reads in ``cohort``, with its record."""
    answer = client.get(f"/api/v1/cohorts/{cohort.id}/participants/{pat.id}/work",
                        headers=headers)
    assert answer.status_code == 200
    return [activity["work"] for module in answer.get_json()["modules"]
            for activity in module["activities"]]


def test_a_tutor_of_a_new_cohort_does_not_read_work_done_in_an_older_one(client, two_cohorts):
    c, headers = two_cohorts, two_cohorts["headers"]
    newer = work_seen(client, c["newer"], c["pat"], headers["newer"])
    assert not any(a["done"] or a["reflection"] or a["evidence"] for a in newer)
    older = work_seen(client, c["older"], c["pat"], headers["older"])
    assert [a["reflection"] for a in older if a["reflection"]] == [NOTE]
    xapi = client.get(f"/api/v1/cohorts/{c['newer'].id}/xapi", headers=headers["newer"])
    assert xapi.status_code == 200
    statements = [json.loads(line) for line in xapi.get_data(as_text=True).splitlines() if line]
    assert not [s for s in statements if s["verb"]["id"].endswith(("completed", "responded"))]
    older_xapi = client.get(f"/api/v1/cohorts/{c['older'].id}/xapi", headers=headers["older"])
    assert "completed" in older_xapi.get_data(as_text=True)


def test_progress_counts_only_the_cohorts_own_work(client, two_cohorts):
    c, headers = two_cohorts, two_cohorts["headers"]

    def pats_percentage(cohort, who):
        body = client.get(f"/api/v1/cohorts/{cohort.id}/progress",
                          headers=headers[who]).get_json()
        return next(p["percentage"] for p in body["participants"] if p["user_id"] == c["pat"].id)

    assert pats_percentage(c["newer"], "newer") == 0
    assert pats_percentage(c["older"], "older") > 0


def test_new_work_goes_to_the_newest_cohort_and_the_old_stays_where_it_was(client, two_cohorts):
    c, headers = two_cohorts, two_cohorts["headers"]
    path = f"/api/v1/me/activities/{'/'.join(STARTING_POINT)}"
    fresh = client.get(path, headers=headers["pat"]).get_json()
    assert fresh["reflection"] is None  # the newest cohort's page starts empty
    saved = client.put(path, json={"reflection": "Starting again"}, headers=headers["pat"])
    assert saved.status_code == 200
    old = client.get(f"{path}?cohort={c['older'].id}", headers=headers["pat"]).get_json()
    assert old["reflection"] == NOTE
    by_cohort = dict(db.session.execute(sa.select(ActivityRecord.cohort_id,
                                                  ActivityRecord.reflection)
                                        .where(ActivityRecord.reflection.is_not(None))).all())
    assert by_cohort == {c["older"].id: NOTE, c["newer"].id: "Starting again"}
    other = client.get(f"{path}?cohort=999999", headers=headers["pat"])
    assert other.status_code == 404


def load_migration(name: str):
    """A migration module, to run one of its steps on the test database."""
    path = PROJECT_ROOT / "migrations" / "versions" / name
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_migration_gives_existing_work_the_cohort_it_was_done_in(two_cohorts):
    c = two_cohorts
    pat = c["pat"]
    during_older = dt.datetime.combine(TODAY - dt.timedelta(days=100), dt.time(9), dt.UTC)
    during_both = dt.datetime.combine(TODAY - dt.timedelta(days=1), dt.time(9), dt.UTC)
    records = db.session.scalars(sa.select(ActivityRecord).order_by(ActivityRecord.id)).all()
    records[0].updated_at, records[0].completed_at = during_older, during_older
    records[1].updated_at, records[1].completed_at = during_both, during_both
    db.session.commit()
    # As before the migration: no record knows its cohort.
    db.session.execute(sa.update(ActivityRecord).values(cohort_id=None))
    load_migration("0010_work_per_cohort.py").assign_cohorts(db.session.connection())
    db.session.commit()
    db.session.expire_all()
    homes = db.session.scalars(sa.select(ActivityRecord.cohort_id)
                               .order_by(ActivityRecord.id)).all()
    # Done while only the older cohort ran: that one. Done while both ran: the newer (the
    # latest to have started by then).
    assert homes == [c["older"].id, c["newer"].id]
    assert pat.id  # Pat is still who did it
