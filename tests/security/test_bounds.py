"""Issue 19's review, row 11: what one participant can make the service store or redraw.

Forty saves of a 20,000-character reflection kept 42 versions, and the profile chart at
2400×3000 was redrawn on every request.
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from lms.core.extensions import db
from lms.curriculum.models import ActivityNoteVersion, ActivityRecord
from lms.curriculum.service import MAX_NOTE_VERSIONS, record_activity
from tests import builders as b

REFLECTION = "induction", "your-starting-point"


@pytest.fixture
def pat(curriculum):
    """A participant of a running cohort."""
    cohort = b.make_cohort(starts_on=dt.date.today() - dt.timedelta(days=30),
                           ends_on=dt.date.today() + dt.timedelta(days=150))
    person = b.make_user("participant", email="pat@example.org", password=b.PASSWORD)
    b.enrol(person, cohort)
    db.session.commit()
    person.cohort = cohort  # for the tests' own use
    return person


def test_note_versions_are_capped_and_the_oldest_dropped(pat):
    long_text = "x" * 19_990
    for n in range(MAX_NOTE_VERSIONS + 10):
        record_activity(pat, *REFLECTION, {"reflection": f"{n:05d} {long_text}"})
        db.session.commit()
    kept = db.session.scalars(sa.select(ActivityNoteVersion.reflection)
                              .order_by(ActivityNoteVersion.id)).all()
    assert len(kept) == MAX_NOTE_VERSIONS == 50
    assert [text[:5] for text in (kept[0], kept[-1])] == ["00010", "00059"]
    record = db.session.scalar(sa.select(ActivityRecord))
    assert record.reflection.startswith("00059")  # the note itself is the latest


def test_saves_per_person_are_limited(app, pat):
    app.config["LMS_WRITE_LIMIT"] = "5 per minute"
    client = app.test_client()
    headers = b.bearer(pat)
    path = f"/api/v1/me/activities/{'/'.join(REFLECTION)}"
    answers = [client.put(path, json={"reflection": f"draft {n}"}, headers=headers)
               for n in range(5)]
    assert [answer.status_code for answer in answers] == [200] * 5
    # The limit is over every route that saves a person's work, API and pages alike.
    refused = client.put("/api/v1/me/assessments/pre", json={"ratings": {"SI.1": 3}},
                         headers=headers)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    # Reading is not a save.
    assert client.get(path, headers=headers).status_code == 200
    # Someone else saves as usual.
    other = b.make_user("participant")
    b.enrol(other, pat.cohort)
    other_headers = b.bearer(other)
    db.session.commit()
    assert client.put(path, json={"reflection": "mine"}, headers=other_headers).status_code == 200


def test_the_profile_chart_is_drawn_once_per_data_version(app, client, pat):
    headers = b.bearer(pat)
    db.session.commit()
    path = "/api/v1/me/charts/profile.png?width=2400&height=3000"
    first = client.get(path, headers=headers)
    second = client.get(path, headers=headers)
    assert (first.status_code, second.status_code) == (200, 200)
    assert (first.headers["X-Cache"], second.headers["X-Cache"]) == ("miss", "hit")
    assert first.data == second.data
    # A new answer moves the outcomes version: the chart is drawn afresh.
    b.assess(pat, pat.cohort, "pre")
    db.session.commit()
    assert client.get(path, headers=headers).headers["X-Cache"] == "miss"
