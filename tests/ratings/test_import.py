"""Importing ratings collected elsewhere: all rows or none, re-import changes nothing."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from lms.accounts.models import User
from lms.core.extensions import db
from lms.ratings.models import Assessment, Rating
from lms.ratings.service import behaviours_for_sector
from tests import builders as b
from tests.framework.test_seed import snapshot

HEADER = "email,phase,behaviour,value"


@pytest.fixture
def cohort(seeded):
    """A cohort (windows unset: imports ignore them) with a provider and a commissioner."""
    cohort = b.make_cohort()
    b.enrol(b.make_user("participant", email="pat@example.org"), cohort,
            organisation=b.make_organisation("Provider", "nhs_trust", "providing"))
    b.enrol(b.make_user("participant", email="cal@example.org"), cohort,
            organisation=b.make_organisation("Council", "local_authority", "commissioning"))
    b.enrol(b.make_user("participant", email="elsewhere@example.org"), b.make_cohort())
    db.session.commit()
    return cohort


@pytest.fixture
def admin(app):
    headers = b.bearer(b.make_user("admin"))
    db.session.commit()
    return headers


def post_file(client, cohort, text, headers):
    return client.post(f"/api/v1/cohorts/{cohort.id}/ratings/import", data=text.encode(),
                       content_type="text/csv", headers=headers)


def full_file() -> str:
    """Every behaviour for both participants in all three phases."""
    lines = [HEADER]
    for email, sector in (("pat@example.org", "providing"), ("cal@example.org", "commissioning")):
        for behaviour in behaviours_for_sector(sector):
            for phase, value in (("pre", 2), ("then", 2), ("post", 4)):
                lines.append(f"{email},{phase},{behaviour.code},{value}")
    return "\n".join(lines) + "\n"


def test_an_import_becomes_submitted_assessments(client, cohort, admin):
    response = post_file(client, cohort, full_file(), admin)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["assessments_created"], body["ratings_created"]) == (6, 6 * 36)
    statuses = db.session.execute(sa.select(Assessment.status, Assessment.source)).all()
    assert set(statuses) == {("submitted", "imported")}


def test_importing_the_same_file_twice_changes_nothing(client, cohort, admin):
    post_file(client, cohort, full_file(), admin)
    before = snapshot()
    before.pop("audit_event")
    again = post_file(client, cohort, full_file(), admin).get_json()
    assert (again["assessments_created"], again["ratings_created"],
            again["ratings_updated"], again["ratings_unchanged"]) == (0, 0, 0, 216)
    after = snapshot()
    after.pop("audit_event")
    assert after == before


def test_a_changed_value_is_updated_and_a_missing_behaviour_stays_unanswered(client, cohort,
                                                                             admin):
    text = f"{HEADER}\npat@example.org,pre,SI.1,3\npat@example.org,pre,SI.2,na\n"
    post_file(client, cohort, text, admin)
    changed = post_file(client, cohort, text.replace("SI.1,3", "SI.1,5"), admin).get_json()
    assert (changed["ratings_updated"], changed["ratings_unchanged"]) == (1, 1)
    values = dict(db.session.execute(sa.select(Rating.behaviour_id, Rating.value)).all())
    assert sorted(values.values(), key=str) == [5, None]


def test_an_import_submits_an_existing_draft(client, cohort, admin):
    pat = db.session.scalar(sa.select(User).filter_by(email="pat@example.org"))
    b.assess(pat, cohort, "pre", status="draft")
    db.session.commit()
    body = post_file(client, cohort, f"{HEADER}\npat@example.org,pre,SI.1,5\n", admin).get_json()
    assert (body["assessments_created"], body["assessments_submitted"]) == (0, 1)


BAD_ROWS = {
    "unknown person": ("nobody@example.org,pre,SI.1,3", "is not a participant of this cohort"),
    "another cohort's participant": ("elsewhere@example.org,pre,SI.1,3",
                                     "is not a participant of this cohort"),
    "unknown phase": ("pat@example.org,during,SI.1,3", "phase 'during' is not one of"),
    "unknown behaviour": ("pat@example.org,pre,SI.99,3", "behaviour 'SI.99' is not a behaviour"),
    "off the scale": ("pat@example.org,pre,SI.1,6", "value '6' is not on the scale"),
    "a float": ("pat@example.org,pre,SI.1,3.5", "value '3.5' is not on the scale"),
    "empty value": ("pat@example.org,pre,SI.1,", "value '' is not on the scale"),
    "not applicable to them": ("pat@example.org,pre,DT.8,3",
                               "DT.8 applies only to commissioning organisations"),
    "too few cells": ("pat@example.org,pre,SI.1", "has 3 cells; the header has 4"),
    "huge number": ("pat@example.org,pre,SI.1," + "9" * 40, "is not on the scale"),
}


@pytest.mark.parametrize("case", BAD_ROWS, ids=list(BAD_ROWS))
def test_a_bad_row_rejects_the_file_naming_it(client, cohort, admin, case):
    row, reason = BAD_ROWS[case]
    text = f"{HEADER}\ncal@example.org,pre,SI.1,3\n{row}\n"
    before = snapshot()
    response = post_file(client, cohort, text, admin)
    assert response.status_code == 422
    rows = response.get_json()["errors"]["rows"]
    assert [r["row"] for r in rows] == [3]
    assert any(reason in e for e in rows[0]["errors"]), rows
    assert "ratings file was not imported" in response.get_json()["message"]
    assert snapshot() == before


def test_a_bad_file_is_refused_in_the_language_asked_for(client, cohort, admin):
    text = f"{HEADER}\nnobody@example.org,during,SI.1,9\n"
    welsh = post_file(client, cohort, text, {**admin, "Accept-Language": "cy"})
    assert welsh.status_code == 422 and welsh.headers["Content-Language"] == "cy"
    message = welsh.get_json()["message"]
    assert message.startswith("Ni fewnforiwyd y ffeil sgoriau; ni newidiwyd dim. rhes 2: ")
    assert "nid yw nobody@example.org yn gyfranogwr yn y garfan hon" in message
    assert "nid yw phase 'during' yn un o pre, then, post" in message
    assert "nid yw gwerth '9' ar y raddfa (1, 2, 3, 4, 5) nac yn na" in message


def test_duplicates_and_every_bad_row_are_listed_together(client, cohort, admin):
    text = (f"{HEADER}\npat@example.org,pre,SI.1,3\npat@example.org,pre,SI.1,4\n"
            "cal@example.org,pre,DT.9,2\n")
    rows = post_file(client, cohort, text, admin).get_json()["errors"]["rows"]
    assert [r["row"] for r in rows] == [3, 4]
    assert "already on row 2" in rows[0]["errors"][0]


@pytest.mark.parametrize(("data", "reason"), [
    (b"", "The file is empty."),
    (b"email,phase,behaviour\n", "The header must be: email,phase,behaviour,value"),
    (b"email,phase,behaviour,value\n", "no ratings"),
    (b"email,phase,behaviour,value\npat@example.org,pre,SI.1,\xff\n", "not UTF-8"),
])
def test_unreadable_files(client, cohort, admin, data, reason):
    response = client.post(f"/api/v1/cohorts/{cohort.id}/ratings/import", data=data,
                           content_type="text/csv", headers=admin)
    assert response.status_code == 422
    assert reason in response.get_json()["message"]


def test_import_ratings_from_the_command_line(cohort, app, tmp_path):
    path = tmp_path / "ratings.csv"
    path.write_text(full_file())
    runner = app.test_cli_runner()
    result = runner.invoke(args=["lms", "import-ratings", str(path), "--cohort", str(cohort.id)])
    assert result.exit_code == 0, result.output
    assert "6 assessments created, 0 submitted, 216 ratings added" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text(f"{HEADER}\npat@example.org,pre,SI.1,9\n")
    refused = runner.invoke(args=["lms", "import-ratings", str(bad), "--cohort", str(cohort.id)])
    assert refused.exit_code == 1
    assert "row 2: value '9' is not on the scale" in refused.output
    missing = runner.invoke(args=["lms", "import-ratings", str(path), "--cohort", "999999"])
    assert missing.exit_code == 1


def test_a_bad_upload_names_the_ratings_file(client, cohort, admin):
    missing = client.post(f"/api/v1/cohorts/{cohort.id}/ratings/import", data={},
                          content_type="multipart/form-data", headers=admin)
    assert missing.status_code == 422
    assert missing.get_json()["message"] == "Send the ratings file in the form field 'file'."
    wrong_type = client.post(f"/api/v1/cohorts/{cohort.id}/ratings/import", data=b"{}",
                             content_type="application/json", headers=admin)
    assert wrong_type.status_code == 422
    assert "roster" not in wrong_type.get_json()["message"]
