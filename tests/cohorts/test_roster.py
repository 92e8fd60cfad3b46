"""Roster import: all rows or none, every bad row named, re-import changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from lms.accounts.models import PasswordLink, User
from lms.audit.models import AuditEvent
from lms.cohorts.models import Enrolment, Organisation, Sponsorship
from lms.core.extensions import db
from lms.messaging.models import Message
from tests import builders as b
from tests.framework.test_seed import snapshot

HEADER = "email,name,organisation,organisation_type,sector,leadership_level,role"
GOOD = (Path(__file__).parent / "data" / "roster.csv").read_text(encoding="utf-8")


@pytest.fixture
def cohort(seeded):
    """A cohort in a programme, with the framework's leadership levels loaded."""
    cohort = b.make_cohort()
    db.session.commit()
    return cohort


@pytest.fixture
def admin_headers(app):
    admin = b.make_user("admin")
    headers = b.bearer(admin)
    db.session.commit()
    return headers


def post_roster(client, cohort_id, text, headers, **kwargs):
    return client.post(f"/api/v1/cohorts/{cohort_id}/roster", data=text.encode("utf-8"),
                       content_type=kwargs.pop("content_type", "text/csv"), headers=headers,
                       **kwargs)


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_a_good_roster_creates_people_organisations_and_enrolments(client, cohort,
                                                                      admin_headers):
    response = post_roster(client, cohort.id, GOOD, admin_headers)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert {u["email"] for u in body["created_users"]} == {
        "tess.tutor@example.org", "sid.sponsor@example.org", "aisha.khan@example.org",
        "ben.okafor@example.org", "carys.evans@example.org"}
    assert not any("password_link" in u for u in body["created_users"])
    invited = db.session.scalars(sa.select(Message.to_address).filter_by(kind="invitation"))
    assert set(invited) == {u["email"] for u in body["created_users"]}
    assert count(PasswordLink) == 0  # links are made when the invitation is sent
    assert (body["enrolled"], body["sponsors_added"], body["organisations_created"]) == (4, 1, 2)
    ben = db.session.scalar(sa.select(User).filter_by(email="ben.okafor@example.org"))
    enrolment = db.session.scalar(sa.select(Enrolment).filter_by(user_id=ben.id))
    assert enrolment.organisation.name == "Northshire County Council"  # one organisation
    assert enrolment.leadership_level.code == "manager"
    assert db.session.scalar(sa.select(User.role).filter_by(email="sid.sponsor@example.org")) \
        == "sponsor"
    assert count(Sponsorship) == 1
    assert db.session.scalar(sa.select(AuditEvent.action).order_by(AuditEvent.id.desc())
                             .limit(1)) == "roster.import"


def test_importing_the_same_file_twice_changes_nothing(client, cohort, admin_headers):
    post_roster(client, cohort.id, GOOD, admin_headers)
    before = snapshot()
    before.pop("audit_event")
    before.pop("password_link")
    again = post_roster(client, cohort.id, GOOD, admin_headers).get_json()
    assert again["created_users"] == []
    assert (again["enrolled"], again["updated"], again["sponsors_added"]) == (0, 0, 0)
    assert again["unchanged"] == 5
    db.session.expire_all()
    after = snapshot()
    after.pop("audit_event")
    after.pop("password_link")
    assert after == before


def test_a_known_person_is_enrolled_not_duplicated(client, cohort, admin_headers):
    known = b.make_user("participant", email="aisha.khan@example.org", name="Aisha K")
    db.session.commit()
    body = post_roster(client, cohort.id, GOOD, admin_headers).get_json()
    assert "aisha.khan@example.org" not in {u["email"] for u in body["created_users"]}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)
                             .filter_by(email="aisha.khan@example.org")) == 1
    assert db.session.scalar(sa.select(Enrolment.role).filter_by(user_id=known.id)) == \
        "participant"


def test_a_changed_row_updates_the_enrolment(client, cohort, admin_headers):
    post_roster(client, cohort.id, GOOD, admin_headers)
    moved = GOOD.replace("Carys Evans,Riverside NHS Trust,nhs_trust,providing,front_line",
                         "Carys Evans,Riverside NHS Trust,nhs_trust,providing,manager")
    body = post_roster(client, cohort.id, moved, admin_headers).get_json()
    assert body["updated"] == 1


BAD_ROWS = {
    "unknown organisation type": (
        "x@example.org,X,Acme,acme_corp,providing,manager,participant",
        "organisation_type 'acme_corp' is not one of"),
    "unknown sector": (
        "x@example.org,X,Acme,other,selling,manager,participant", "sector 'selling'"),
    "unknown leadership level": (
        "x@example.org,X,Acme,other,providing,boss,participant", "leadership_level 'boss'"),
    "unknown role": ("x@example.org,X,Acme,other,providing,manager,observer", "role 'observer'"),
    "bad e-mail": ("not-an-email,X,Acme,other,providing,manager,participant",
                   "email 'not-an-email' is not valid"),
    "empty name": ("x@example.org,,Acme,other,providing,manager,participant", "name is empty"),
    "participant without organisation": (
        "x@example.org,X,,,,manager,participant", "organisation is empty"),
    "too many cells": ("x@example.org,X,Acme,other,providing,manager,participant,extra",
                       "has 8 cells; the header has 7"),
    "too few cells": ("x@example.org,X,Acme", "has 3 cells; the header has 7"),
    "organisation recorded differently": (
        "x@example.org,X,Northshire County Council,nhs_trust,providing,manager,participant",
        "is recorded as local_authority, commissioning"),
}


@pytest.mark.parametrize("case", BAD_ROWS, ids=list(BAD_ROWS))
def test_a_bad_row_rejects_the_whole_file_naming_it(client, cohort, admin_headers, case):
    b.make_organisation("Northshire County Council", "local_authority", "commissioning")
    db.session.commit()
    row, reason = BAD_ROWS[case]
    text = GOOD + row + "\n"
    before = snapshot()
    response = post_roster(client, cohort.id, text, admin_headers)
    assert response.status_code == 422
    body = response.get_json()
    assert [r["row"] for r in body["errors"]["rows"]] == [7]
    assert any(reason in e for e in body["errors"]["rows"][0]["errors"]), body
    db.session.expire_all()
    assert snapshot() == before


def test_every_bad_row_is_listed_at_once(client, cohort, admin_headers):
    text = GOOD + "\n".join([
        "aisha.khan@example.org,Aisha Again,Northshire County Council,local_authority,"
        "commissioning,manager,participant",
        "y@example.org,Y,Acme,other,providing,boss,participant",
        "z@example.org,Z,Acme,nhs_trust,providing,manager,participant",
    ]) + "\n"
    response = post_roster(client, cohort.id, text, admin_headers)
    assert response.status_code == 422
    rows = {r["row"]: r["errors"] for r in response.get_json()["errors"]["rows"]}
    assert set(rows) == {7, 8, 9}
    assert "duplicate: aisha.khan@example.org is already on row 4" in rows[7]
    assert any("leadership_level 'boss'" in e for e in rows[8])
    assert any("described differently on row 8" in e for e in rows[9])
    assert count(User) == 1  # only the admin


@pytest.mark.parametrize(("existing_role", "row_role", "reason"), [
    ("tutor", "participant", "is a tutor and cannot be enrolled as a participant"),
    ("participant", "tutor", "is a participant and cannot be enrolled as a tutor"),
    ("participant", "sponsor", "is a participant and cannot be made a sponsor"),
])
def test_a_known_person_must_fit_the_rows_role(client, cohort, admin_headers, existing_role,
                                               row_role, reason):
    b.make_user(existing_role, email="x@example.org")
    db.session.commit()
    row = f"x@example.org,X,Acme,other,providing,manager,{row_role}"
    response = post_roster(client, cohort.id, f"{HEADER}\n{row}\n", admin_headers)
    assert response.status_code == 422
    assert any(reason in e for e in response.get_json()["errors"]["rows"][0]["errors"])


@pytest.mark.parametrize(("data", "reason"), [
    (b"", "The file is empty."),
    (b"email,name\nx@example.org,X\n", "The header must be"),
    (f"{HEADER}\n".encode(), "no people"),
    ("caf\xe9".encode("latin-1"), "not UTF-8"),
    (f"{HEADER}\nx@example.org,X\x00Y,Acme,other,providing,manager,participant\n".encode(),
     "NUL characters"),
    (f'{HEADER}\n"unterminated,x\n'.encode(), "row 2: has 1 cells"),
])
def test_unreadable_files_are_refused(client, cohort, admin_headers, data, reason):
    response = client.post(f"/api/v1/cohorts/{cohort.id}/roster", data=data,
                           content_type="text/csv", headers=admin_headers)
    assert response.status_code == 422
    assert reason in response.get_json()["message"]


def test_a_byte_order_mark_and_blank_lines_are_fine(client, cohort, admin_headers):
    data = ("\ufeff" + GOOD + "\n\n,,,,,,\n").encode("utf-8")
    response = client.post(f"/api/v1/cohorts/{cohort.id}/roster", data=data,
                           content_type="text/csv", headers=admin_headers)
    assert response.status_code == 200, response.get_json()


def test_the_roster_can_be_uploaded_as_a_form_file(client, cohort, admin_headers):
    import io

    response = client.post(f"/api/v1/cohorts/{cohort.id}/roster", headers=admin_headers,
                           data={"file": (io.BytesIO(GOOD.encode()), "roster.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 200
    assert response.get_json()["enrolled"] == 4


def test_other_content_types_are_refused(client, cohort, admin_headers):
    response = client.post(f"/api/v1/cohorts/{cohort.id}/roster", headers=admin_headers,
                           json={"rows": []})
    assert response.status_code == 422
    assert "content_type" in response.get_json()["errors"]


def test_organisations_are_not_duplicated_by_spelling(client, cohort, admin_headers):
    post_roster(client, cohort.id, GOOD, admin_headers)
    assert count(Organisation) == 2
