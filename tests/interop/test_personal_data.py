"""A person's data: everything is given to them, and erasure removes who they are while
the programme's results stay as they were."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from lms.accounts.models import User
from lms.cohorts.models import Cohort
from lms.cohorts.seed import read_programme_file, sync_programme
from lms.core.extensions import db
from lms.curriculum.progress import cohort_progress
from lms.demo import create_demo
from lms.interop.personal import COVERAGE, DERIVED, erase_person, person_export
from lms.outcomes.service import outcomes
from tests import builders as b
from tests.fixtures import PROJECT_ROOT

EMAIL, NAME = "aisha.khan@example.org", "Aisha Khan"


@pytest.fixture
def demo(curriculum, snapshots):
    """The demo programme; Aisha has notes, ratings in all phases, and audit events."""
    aisha_id = snapshots.build_or_restore(curriculum, "personal-data-demo", "curriculum",
                                          build_demo)
    aisha = db.session.get(User, aisha_id)
    db.session.commit()  # end the read: a later fixture may write from another session
    return aisha


def build_demo() -> int:
    """Load the demo programme with the tests' password; Aisha's id."""
    sync_programme(read_programme_file(PROJECT_ROOT / "seeds" / "programme.yaml"))
    create_demo(b.PASSWORD)
    db.session.commit()
    return db.session.scalar(sa.select(User.id).filter_by(email=EMAIL))


def tables_about_people() -> set[str]:
    """Tables that refer to a user, directly or through a table that does."""
    found = {"user_account"}
    changed = True
    while changed:
        changed = False
        for table in db.metadata.sorted_tables:
            if table.name not in found and any(fk.column.table.name in found
                                               for fk in table.foreign_keys):
                found.add(table.name)
                changed = True
    return found


def test_every_table_about_a_person_is_exported_and_erased(demo):
    personal = tables_about_people()
    assert personal == set(COVERAGE), (sorted(personal - set(COVERAGE)),
                                       sorted(set(COVERAGE) - personal))
    assert set(person_export(demo)) == set(COVERAGE) | set(DERIVED) | {"about"}


def test_the_export_holds_their_data_and_no_secret(demo):
    data = person_export(demo)
    assert data["user_account"][0]["email"] == EMAIL
    assert len(data["enrolment"]) == 1
    assert any(r["reflection"] for r in data["activity_record"])
    assert data["activity_note_version"]
    assert {a["phase"] for a in data["assessment"]} == {"pre", "then", "post"}
    assert len(data["rating"]) == 3 * 36  # a commissioner's behaviours, three phases
    # Her invitation, queued by the roster import (not sent: she has a password already).
    assert [m["kind"] for m in data["message"]] == ["invitation"]
    text = json.dumps(data)
    for secret in ("password_hash", "session_token", "token_hash", demo.password_hash):
        assert secret not in text


def test_a_person_downloads_their_own_data_only(demo, client):
    other = db.session.scalar(sa.select(User).filter_by(email="ben.okafor@example.org"))
    response = client.get("/api/v1/me/export", headers=b.bearer(demo))
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    data = response.get_json()
    assert {row["user_id"] for row in data["enrolment"]} == {demo.id}
    assert other.email not in response.get_data(as_text=True)


def test_erasure_removes_who_they_are_and_keeps_the_results(demo, client):
    cohort = db.session.scalar(sa.select(Cohort).filter_by(name="Demo cohort"))
    before = (outcomes([cohort], cohort.programme, "behaviour", "leadership_level", False),
              [p.percentage for p in cohort_progress(cohort)["participants"]])
    assert EMAIL in b.every_text_in_the_database()
    erase_person(demo)
    db.session.commit()
    db.session.expire_all()
    after = (outcomes([cohort], cohort.programme, "behaviour", "leadership_level", False),
             [p.percentage for p in cohort_progress(cohort)["participants"]])
    # The figures are the same; only the flow now counts one erased person among the enrolled.
    assert after[0]["flow"].pop("erased") == before[0]["flow"].pop("erased") + 1
    assert after[0] == before[0]
    assert sorted(after[1]) == sorted(before[1])
    everything = b.every_text_in_the_database()
    assert EMAIL not in everything and NAME.lower() not in everything
    assert "demo reflection" in everything  # other people's notes are untouched
    assert b.sign_in(client, EMAIL, b.PASSWORD).status_code == 200  # no longer signs in
    left = person_export(demo)
    assert not left["api_token"] and not left["activity_note_version"]
    assert all(r["reflection"] is None for r in left["activity_record"])


def test_the_commands(demo, app):
    runner = app.test_cli_runner()
    exported = runner.invoke(args=["lms", "export-person", EMAIL])
    assert exported.exit_code == 0 and json.loads(exported.output)["user_account"][0]["email"] \
        == EMAIL
    unconfirmed = runner.invoke(args=["lms", "erase-person", EMAIL])
    assert unconfirmed.exit_code == 1 and "--yes" in unconfirmed.output
    assert db.session.scalar(sa.select(User).filter_by(email=EMAIL)) is not None
    erased = runner.invoke(args=["lms", "erase-person", EMAIL, "--yes"])
    assert erased.exit_code == 0 and "erased-" in erased.output
    assert runner.invoke(args=["lms", "export-person", EMAIL]).exit_code == 1
