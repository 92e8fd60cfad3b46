"""Object-level access: 404 for what the caller may not know exists, 403 otherwise."""

from __future__ import annotations

import pytest

from lms.accounts.models import User
from lms.core.extensions import db
from tests import builders as b


def ids(response) -> set[int]:
    return {item["id"] for item in response.get_json()}


@pytest.mark.parametrize("role", ["participant", "tutor", "sponsor"])
@pytest.mark.parametrize("suffix", ["", "/enrolments", "/sponsors", "/roster"])
def test_another_cohort_looks_like_no_cohort_at_all(client, world, role, suffix):
    method = "POST" if suffix == "/roster" else "GET"
    other = client.open(f"/api/v1/cohorts/{world.other_cohort_id}{suffix}", method=method,
                        headers=world.headers[role], data=b"x", content_type="text/csv")
    missing = client.open(f"/api/v1/cohorts/999999{suffix}", method=method,
                          headers=world.headers[role], data=b"x", content_type="text/csv")
    assert other.status_code == missing.status_code == 404
    assert other.get_json()["message"].replace(str(world.other_cohort_id), "N") == \
        missing.get_json()["message"].replace("999999", "N")


@pytest.mark.parametrize(("role", "status"), [("participant", 403), ("sponsor", 403),
                                              ("tutor", 200), ("admin", 200)])
def test_only_tutors_and_admins_see_a_cohorts_people(client, world, role, status):
    response = client.get(f"/api/v1/cohorts/{world.cohort_id}/enrolments",
                          headers=world.headers[role])
    assert response.status_code == status


def test_each_role_lists_only_the_cohorts_it_has_a_part_in(client, world):
    for role in ("participant", "tutor", "sponsor"):
        listed = client.get("/api/v1/cohorts", headers=world.headers[role])
        assert ids(listed) == {world.cohort_id}, role
    admin = client.get("/api/v1/cohorts", headers=world.headers["admin"])
    assert ids(admin) == {world.cohort_id, world.other_cohort_id}


def test_a_programme_sponsor_sees_every_cohort_of_the_programme(client, world):
    outsider = db.session.get(User, world.outsider_sponsor_id)
    headers = b.bearer(outsider)
    db.session.commit()
    assert client.get("/api/v1/cohorts", headers=headers).get_json() == []
    assert client.get(f"/api/v1/programmes/{world.programme_id}",
                      headers=headers).status_code == 404
    admin = world.headers["admin"]
    added = client.post(f"/api/v1/programmes/{world.programme_id}/sponsors", headers=admin,
                        json={"user_id": world.outsider_sponsor_id})
    assert added.status_code == 201
    listed = client.get("/api/v1/cohorts", headers=headers)
    assert ids(listed) == {world.cohort_id, world.other_cohort_id}
    # Still aggregates only: the people of a sponsored cohort stay out of reach.
    people = client.get(f"/api/v1/cohorts/{world.cohort_id}/enrolments", headers=headers)
    assert people.status_code == 403


def test_tutor_sees_their_cohorts_people_with_organisation_and_level(client, world):
    people = client.get(f"/api/v1/cohorts/{world.cohort_id}/enrolments",
                        headers=world.headers["tutor"]).get_json()
    assert {p["role"] for p in people} == {"tutor", "participant"}
    participant = next(p for p in people if p["role"] == "participant")
    assert participant["user"]["email"] == world.emails["participant"]
    assert participant["leadership_level"] == "manager"
    assert participant["organisation"]["type"] == "nhs_trust"


def test_nobody_can_revoke_someone_elses_token(client, world):
    response = client.delete(f"/api/v1/me/tokens/{world.spare_token_ids['tutor']}",
                             headers=world.headers["participant"])
    assert response.status_code == 404
    tokens = client.get("/api/v1/me/tokens", headers=world.headers["tutor"]).get_json()
    assert all(token["revoked_at"] is None for token in tokens)


@pytest.mark.parametrize("path", ["/api/v1/cohorts/99999999999999999999",
                                  "/api/v1/cohorts/0", "/api/v1/cohorts/-1",
                                  "/api/v1/users/2147483648"])
def test_ids_out_of_range_are_404_not_500(client, world, path):
    assert client.get(path, headers=world.headers["admin"]).status_code == 404


@pytest.mark.parametrize("path", [
    "/api/v1/cohorts/{own}/participants/{person}/work",
    "/api/v1/cohorts/{own}/assessments/{person}/pre",
    "/api/v1/cohorts/{other}/participants/{person}/work",
    "/api/v1/cohorts/{other}/assessments/{person}/pre",
    "/cohorts/{own}/participants/{person}",
    "/cohorts/{other}/participants/{person}",
])
def test_a_tutor_cannot_reach_another_cohorts_person_by_id(client, world, path):
    # The person is in cohort B; the tutor teaches cohort A. Through either cohort's address,
    # the person does not exist for them.
    url = path.format(own=world.cohort_id, other=world.other_cohort_id,
                      person=world.other_participant_id)
    response = client.get(url, headers=world.headers["tutor"])
    assert response.status_code == 404, url
    assert "Sam" not in response.get_data(as_text=True)
