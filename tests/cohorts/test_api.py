"""Administrators manage users, organisations, cohorts, enrolments and sponsors over the API."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from lms.cohorts.models import Organisation
from lms.core.extensions import db
from tests import builders as b


@pytest.fixture
def admin(seeded):
    """Headers of an administrator, and a programme to work in."""
    user = b.make_user("admin")
    programme = b.make_programme(slug="lehc")
    headers = b.bearer(user)
    db.session.commit()
    return {"headers": headers, "programme_id": programme.id}


def post(client, admin, path, body):
    return client.post(f"/api/v1{path}", json=body, headers=admin["headers"])


def patch(client, admin, path, body):
    return client.patch(f"/api/v1{path}", json=body, headers=admin["headers"])


COHORT = {"name": "Spring 2027", "starts_on": "2027-03-01", "ends_on": "2027-09-30"}


def test_create_and_change_a_cohort(client, admin):
    created = post(client, admin, "/cohorts", COHORT)
    assert created.status_code == 201
    body = created.get_json()
    assert (body["status"], body["participants"], body["programme_id"]) == (
        "planned", 0, admin["programme_id"])
    changed = patch(client, admin, f"/cohorts/{body['id']}", {"status": "running",
                                                              "name": "Spring cohort"})
    assert changed.get_json()["status"] == "running"
    assert changed.get_json()["name"] == "Spring cohort"


@pytest.mark.parametrize(("body", "field"), [
    ({**COHORT, "ends_on": "2027-01-01"}, "ends_on"),
    ({**COHORT, "starts_on": "01/03/2027"}, "starts_on"),
    ({**COHORT, "name": ""}, "name"),
    ({**COHORT, "name": "x" * 256}, "name"),
    ({**COHORT, "name": "nul\x00byte"}, "name"),
    ({**COHORT, "status": "paused"}, "status"),
    ({**COHORT, "programme_id": 10**12}, "programme_id"),
    ({**COHORT, "programme_id": "1"}, "programme_id"),
    ({**COHORT, "extra": 1}, "extra"),
    ({k: v for k, v in COHORT.items() if k != "name"}, "name"),
])
def test_bad_cohorts_are_422_naming_the_field(client, admin, body, field):
    response = post(client, admin, "/cohorts", body)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]


WINDOWS = {"pre_opens_on": "2027-02-22", "pre_closes_on": "2027-03-15",
           "post_opens_on": "2027-09-01", "post_closes_on": "2027-09-30"}


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"pre_closes_on": "2027-02-01"}, "pre_closes_on", "closes before it opens"),
    ({"post_opens_on": "2027-03-10"}, "post_opens_on", "after the pre window closes"),
    ({"post_opens_on": "2027-01-10", "post_closes_on": "2027-02-01"}, "post_opens_on",
     "after the pre window closes"),
    ({"post_closes_on": "2027-10-14"}, "post_closes_on", "after the cohort ends"),
    ({"pre_opens_on": None}, "pre_opens_on", "both dates, or neither"),
])
def test_windows_that_would_strand_people_are_refused_naming_the_field(client, admin, change,
                                                                       field, words):
    refused = post(client, admin, "/cohorts", {**COHORT, **WINDOWS, **change,
                                               "programme_id": admin["programme_id"]})
    assert refused.status_code == 422
    assert words in refused.get_json()["message"] and field in refused.get_json()["errors"]
    created = post(client, admin, "/cohorts", {**COHORT, **WINDOWS,
                                               "programme_id": admin["programme_id"]})
    assert created.status_code == 201
    cohort_id = created.get_json()["id"]
    changed = patch(client, admin, f"/cohorts/{cohort_id}", change)
    assert changed.status_code == 422 and field in changed.get_json()["errors"]
    kept = client.get(f"/api/v1/cohorts/{cohort_id}", headers=admin["headers"]).get_json()
    assert {name: kept[name] for name in WINDOWS} == WINDOWS


def test_ending_a_cohort_before_its_post_window_closes_is_refused(client, admin):
    created = post(client, admin, "/cohorts", {**COHORT, **WINDOWS,
                                               "programme_id": admin["programme_id"]})
    changed = patch(client, admin, f"/cohorts/{created.get_json()['id']}",
                    {"ends_on": "2027-09-20"})
    assert changed.status_code == 422
    assert "post_closes_on" in changed.get_json()["errors"]


def test_non_json_and_malformed_bodies_are_4xx(client, admin):
    bad_json = client.post("/api/v1/cohorts", data="{not json", content_type="application/json",
                           headers=admin["headers"])
    assert bad_json.status_code in (400, 422)
    as_list = post(client, admin, "/cohorts", [COHORT])
    assert as_list.status_code == 422


def test_cohort_name_clashes_are_409(client, admin):
    assert post(client, admin, "/cohorts", COHORT).status_code == 201
    again = post(client, admin, "/cohorts", COHORT)
    assert again.status_code == 409
    assert "already has a cohort called" in again.get_json()["message"]
    assert post(client, admin, "/cohorts", {**COHORT, "programme_id": 999}).status_code == 404


def test_a_patch_that_puts_the_end_before_the_start_is_422(client, admin):
    cohort_id = post(client, admin, "/cohorts", COHORT).get_json()["id"]
    response = patch(client, admin, f"/cohorts/{cohort_id}", {"ends_on": "2027-01-01"})
    assert response.status_code == 422
    assert "ends_on" in response.get_json()["errors"]


def test_enrolments(client, admin):
    cohort_id = post(client, admin, "/cohorts", COHORT).get_json()["id"]
    participant = b.make_user("participant")
    tutor = b.make_user("tutor")
    organisation = b.make_organisation()
    db.session.commit()
    path = f"/cohorts/{cohort_id}/enrolments"
    missing = post(client, admin, path, {"user_id": participant.id, "role": "participant"})
    assert missing.status_code == 422
    assert "organisation_id" in missing.get_json()["errors"]
    good = post(client, admin, path, {"user_id": participant.id, "role": "participant",
                                      "organisation_id": organisation.id,
                                      "leadership_level": "front_line"})
    assert good.status_code == 201
    assert good.get_json()["leadership_level"] == "front_line"
    assert post(client, admin, path, {"user_id": participant.id, "role": "participant",
                                      "organisation_id": organisation.id,
                                      "leadership_level": "front_line"}).status_code == 409
    wrong_role = post(client, admin, path, {"user_id": tutor.id, "role": "participant",
                                            "organisation_id": organisation.id,
                                            "leadership_level": "manager"})
    assert wrong_role.status_code == 422
    assert post(client, admin, path, {"user_id": tutor.id, "role": "tutor"}).status_code == 201
    assert post(client, admin, path, {"user_id": 999999, "role": "tutor"}).status_code == 404
    listed = client.get(f"/api/v1{path}", headers=admin["headers"]).get_json()
    assert [e["role"] for e in listed] == ["tutor", "participant"]
    gone = client.delete(f"/api/v1{path}/{participant.id}", headers=admin["headers"])
    assert gone.status_code == 204
    again = client.delete(f"/api/v1{path}/{participant.id}", headers=admin["headers"])
    assert again.status_code == 404


def test_users(client, admin):
    created = post(client, admin, "/users", {"email": "New.Person@example.org",
                                             "display_name": "New Person", "role": "tutor"})
    assert created.status_code == 201
    body = created.get_json()
    assert body["user"]["email"] == "new.person@example.org"
    assert body["user"]["has_password"] is False
    assert body["invitation"] == "queued" and "password_link" not in body
    invited = client.get("/api/v1/messages?kind=invitation", headers=admin["headers"])
    assert [m["to"] for m in invited.get_json()["items"]] == ["new.person@example.org"]
    assert post(client, admin, "/users", {"email": "new.person@EXAMPLE.org",
                                          "display_name": "Again", "role": "tutor"}
                ).status_code == 409
    bad = post(client, admin, "/users", {"email": "nope", "display_name": "X", "role": "tutor"})
    assert bad.status_code == 422 and "email" in bad.get_json()["errors"]
    found = client.get("/api/v1/users?q=new.person", headers=admin["headers"]).get_json()
    assert [u["email"] for u in found["items"]] == ["new.person@example.org"]
    assert found["total"] == 1
    wildcard = client.get("/api/v1/users?q=%25", headers=admin["headers"]).get_json()
    assert wildcard["total"] == 0  # % is a character to find, not a wildcard


@pytest.mark.parametrize("query", ["per_page=101", "per_page=0", "page=0", "role=boss",
                                   "page=abc"])
def test_paging_is_bounded(client, admin, query):
    response = client.get(f"/api/v1/users?{query}", headers=admin["headers"])
    assert response.status_code == 422


def test_organisations(client, admin):
    body = {"name": "Harbour Home Care", "type": "independent_provider", "sector": "providing"}
    created = post(client, admin, "/organisations", body)
    assert created.status_code == 201
    assert post(client, admin, "/organisations", {**body, "name": " harbour  home care "}
                ).status_code == 409
    bad = post(client, admin, "/organisations", {**body, "type": "charity"})
    assert bad.status_code == 422 and "type" in bad.get_json()["errors"]["json"]
    changed = patch(client, admin, f"/organisations/{created.get_json()['id']}",
                    {"sector": "both"})
    assert changed.get_json()["sector"] == "both"


def test_programme_settings(client, admin):
    path = f"/programmes/{admin['programme_id']}"
    programme = client.get(f"/api/v1{path}", headers=admin["headers"]).get_json()
    assert [p["value"] for p in programme["rating_scale"]] == [1, 2, 3, 4, 5]
    assert programme["min_group_size"] == 5
    assert patch(client, admin, path, {"min_group_size": 1}).status_code == 422
    assert patch(client, admin, path, {"min_group_size": 8}).get_json()["min_group_size"] == 8


def test_sponsors(client, admin):
    cohort_id = post(client, admin, "/cohorts", COHORT).get_json()["id"]
    sponsor = b.make_user("sponsor")
    tutor = b.make_user("tutor")
    db.session.commit()
    path = f"/cohorts/{cohort_id}/sponsors"
    assert post(client, admin, path, {"user_id": tutor.id}).status_code == 422
    assert post(client, admin, path, {"user_id": sponsor.id}).status_code == 201
    assert post(client, admin, path, {"user_id": sponsor.id}).status_code == 201  # no-op
    listed = client.get(f"/api/v1{path}", headers=admin["headers"]).get_json()
    assert [s["user"]["id"] for s in listed] == [sponsor.id]


def test_a_write_that_loses_a_race_is_409_not_500(client, admin, monkeypatch):
    from lms.cohorts import service

    body = {"name": "Harbour Home Care", "type": "independent_provider", "sector": "providing"}
    assert post(client, admin, "/organisations", body).status_code == 201
    # Another request created the same organisation between our check and our insert.
    monkeypatch.setattr(service, "find_organisation", lambda name: None)
    response = post(client, admin, "/organisations", body)
    assert response.status_code == 409
    assert "same moment" in response.get_json()["message"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == 1


def statements_to_list_people(client, admin, size: int) -> int:
    """How many SQL statements listing a cohort of ``size`` participants takes."""
    from tests.fixtures import count_queries

    cohort = b.make_cohort(name=f"Size {size}")
    organisation = b.make_organisation()
    for _ in range(size):
        b.enrol(b.make_user("participant"), cohort, organisation=organisation)
    db.session.commit()
    path = f"/api/v1/cohorts/{cohort.id}/enrolments"
    client.get(path, headers=admin["headers"])  # the token's once-a-minute last-used write
    with count_queries(db.engine) as queries:
        response = client.get(path, headers=admin["headers"])
    assert len(response.get_json()) == size
    return queries.count


def test_a_cohorts_people_take_the_same_statements_whatever_its_size(client, admin):
    assert statements_to_list_people(client, admin, 3) == \
        statements_to_list_people(client, admin, 40)
