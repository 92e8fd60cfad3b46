"""Charts: valid images, text alternatives with the right numbers, suppression, caching."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from lms.core.extensions import db
from lms.outcomes import chart_api
from tests import builders as b


@pytest.fixture
def headers(programme_data):
    return programme_data["headers"]


def cohort_chart(programme_data, name, fmt="png", query=""):
    return f"/api/v1/cohorts/{programme_data['a'].id}/charts/{name}.{fmt}{query}"


@pytest.mark.parametrize("name", ["likert", "behaviours", "effects", "progress"])
def test_every_chart_is_a_valid_png_of_the_asked_size(client, programme_data, headers, name):
    response = client.get(cohort_chart(programme_data, name, query="?width=800&height=500"),
                          headers=headers["tutor"])
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    image = Image.open(io.BytesIO(response.data))
    # The width asked for; the height asked for, or more where the rows need it.
    assert image.format == "PNG" and image.size[0] == 800 and image.size[1] >= 500


@pytest.mark.parametrize("name", ["likert", "behaviours", "effects"])
def test_every_chart_is_a_valid_svg(client, programme_data, headers, name):
    response = client.get(cohort_chart(programme_data, name, "svg"), headers=headers["tutor"])
    assert response.mimetype == "image/svg+xml"
    text = response.get_data(as_text=True)
    assert "<svg" in text and text.rstrip().endswith("</svg>")


def test_the_effects_alternative_carries_the_reports_numbers(client, programme_data, headers):
    report = client.get(f"/api/v1/cohorts/{programme_data['a'].id}/outcomes?level=theme",
                        headers=headers["tutor"]).get_json()
    alt = client.get(cohort_chart(programme_data, "effects", "json"),
                     headers=headers["tutor"]).get_json()
    assert "post − pre" in alt["title"]
    assert alt["columns"] == ["row", "n", "d_z", "interval low", "interval high"]
    for row, line in zip(report["rows"], alt["rows"], strict=True):
        cell = row["post_pre"]
        assert line[1] == cell["n"]
        expected = "—" if cell["d_z"] is None else f"{cell['d_z']:.2f}"
        assert line[2] == expected
        # The noncentral-t interval the report gives, not the mean change's t interval / SD.
        for bound, column in (("d_z_ci_low", 3), ("d_z_ci_high", 4)):
            assert line[column] == ("—" if cell[bound] is None else f"{cell[bound]:.2f}")
    assert "noncentral t" in alt["summary"]


def test_the_likert_alternative_gives_percentages_of_answers(client, programme_data, headers):
    report = client.get(f"/api/v1/cohorts/{programme_data['a'].id}/outcomes?level=theme",
                        headers=headers["tutor"]).get_json()
    alt = client.get(cohort_chart(programme_data, "likert", "json"),
                     headers=headers["tutor"]).get_json()
    counts = report["rows"][0]["distribution"]["pre"]["counts"]
    answered = sum(v for k, v in counts.items() if k != "na")
    first = alt["rows"][0]
    assert first[:3] == ["SI Strategic intent", "pre", 8]
    assert first[3:] == [f"{100 * counts[str(p)] / answered:.0f}%" for p in range(1, 6)]


def test_a_sponsors_chart_shows_small_groups_as_suppressed(client, seeded):
    programme = b.make_programme(slug="small")
    cohort = b.make_cohort(programme)
    for _ in range(3):
        person = b.make_user("participant")
        b.enrol(person, cohort)
        b.assess(person, cohort, "pre")
        b.assess(person, cohort, "post", values={"SI.1": 5})
    sponsor = b.make_user("sponsor")
    b.sponsor(sponsor, cohort=cohort)
    headers = b.bearer(sponsor)
    db.session.commit()
    base = f"/api/v1/cohorts/{cohort.id}/charts"
    alt = client.get(f"{base}/behaviours.json", headers=headers).get_json()
    assert all(line[1] == "suppressed" for line in alt["rows"])
    likert = client.get(f"{base}/likert.json", headers=headers).get_json()
    assert all(line[2] == "suppressed" for line in likert["rows"])
    picture = client.get(f"{base}/likert.png", headers=headers)
    assert Image.open(io.BytesIO(picture.data)).format == "PNG"


def test_a_matching_etag_is_answered_304_without_drawing(client, programme_data, headers,
                                                         monkeypatch):
    first = client.get(cohort_chart(programme_data, "behaviours"), headers=headers["tutor"])
    assert first.headers["Cache-Control"].startswith("private")
    etag = first.headers["ETag"]

    def no_drawing(*_args, **_kwargs):
        raise AssertionError("a 304 must not draw")

    monkeypatch.setattr(chart_api, "render", no_drawing)
    monkeypatch.setattr(chart_api, "scope_chart", no_drawing)
    again = client.get(cohort_chart(programme_data, "behaviours"),
                       headers={**headers["tutor"], "If-None-Match": etag})
    assert again.status_code == 304
    assert again.headers["ETag"] == etag
    assert again.data == b""


def test_a_new_rating_or_completion_changes_the_tag(client, programme_data, headers,
                                                    curriculum):
    path = cohort_chart(programme_data, "progress")
    before = client.get(path, headers=headers["tutor"]).headers["ETag"]
    person = b.make_user("participant")
    b.enrol(person, programme_data["a"])
    db.session.commit()
    enrolled = client.get(path, headers=headers["tutor"]).headers["ETag"]
    assert enrolled != before
    b.assess(person, programme_data["a"], "pre")
    db.session.commit()
    rated = client.get(path, headers=headers["tutor"]).headers["ETag"]
    assert rated != enrolled
    completion = client.put("/api/v1/me/activities/induction/three-ideas", json={"done": True},
                            headers=b.bearer(person))
    db.session.commit()
    assert completion.status_code == 200
    assert client.get(path, headers=headers["tutor"]).headers["ETag"] != rated


def test_the_tag_differs_by_size_and_format(client, programme_data, headers):
    tags = {client.get(cohort_chart(programme_data, "effects", fmt, query),
                       headers=headers["tutor"]).headers["ETag"]
            for fmt, query in (("png", ""), ("svg", ""), ("png", "?width=600"))}
    assert len(tags) == 3


@pytest.mark.parametrize(("path", "status"), [
    ("likert.png?width=10", 422), ("likert.png?height=99999", 422),
    ("likert.png?width=wide", 422), ("effects.png?comparison=sideways", 422),
    ("likert.png?theme=ZZ", 422), ("nope.png", 404), ("likert.gif", 404),
    ("profile.png", 404),
])
def test_bad_options_are_4xx_in_the_error_shape(client, programme_data, headers, path,
                                                 status):
    response = client.get(f"/api/v1/cohorts/{programme_data['a'].id}/charts/{path}",
                          headers=headers["tutor"])
    assert response.status_code == status
    assert response.get_json()["code"] == status


def test_charts_are_guarded_like_the_numbers(client, programme_data, headers):
    a, other = programme_data["a"].id, programme_data["b"].id
    assert client.get(f"/api/v1/cohorts/{a}/charts/likert.png",
                      headers=headers["participant"]).status_code == 403
    assert client.get(f"/api/v1/cohorts/{a}/charts/progress.png",
                      headers=headers["participant"]).status_code == 403
    assert client.get(f"/api/v1/cohorts/{other}/charts/likert.png",
                      headers=headers["sponsor"]).status_code == 404
    pid = programme_data["programme"].id
    # A sponsor's progress chart is engagement under disclosure control, not the tutors'
    # week-by-week counts.
    engaged = client.get(f"/api/v1/programmes/{pid}/charts/progress.json",
                         headers=headers["programme_sponsor"]).get_json()
    assert "who submitted each self-assessment and completed each module" in engaged["title"]
    assert client.get(f"/api/v1/programmes/{pid}/charts/progress.png",
                      headers=headers["programme_sponsor"]).status_code == 200
    weekly = client.get(f"/api/v1/cohorts/{a}/charts/progress.json",
                        headers=headers["tutor"]).get_json()
    assert "progress per week" in weekly["title"]
    wide = client.get(f"/api/v1/programmes/{pid}/charts/effects.png",
                      headers=headers["programme_sponsor"])
    assert wide.status_code == 200


def test_my_profile_chart(client, programme_data, headers):
    picture = client.get("/api/v1/me/charts/profile.png", headers=headers["participant"])
    width, height = Image.open(io.BytesIO(picture.data)).size
    assert width == 900 and height >= 600  # 36 behaviours make it taller than the default
    alt = client.get("/api/v1/me/charts/profile.json", headers=headers["participant"]).get_json()
    _cid, _level, pre, then, post = programme_data["values"][programme_data["participant"]]
    assert alt["rows"][0][:4] == ["SI.1", pre, then, post]
    assert client.get("/api/v1/me/charts/profile.png",
                      headers=headers["tutor"]).status_code == 403


def test_likert_and_effects_split_by_group_under_disclosure_control(client, programme_data,
                                                                    headers):
    base = f"/api/v1/cohorts/{programme_data['a'].id}/charts"
    tutor = client.get(f"{base}/effects.json?breakdown=leadership_level",
                       headers=headers["tutor"]).get_json()
    labels = [line[0] for line in tutor["rows"]]
    assert "SI · Manager" in labels and "SI · Senior leader" in labels
    sponsor = client.get(f"{base}/effects.json?breakdown=leadership_level",
                         headers=headers["sponsor"]).get_json()
    # The suppressed group is left out of the chart, and its text alternative says so.
    assert not any(line[0] == "SI · Senior leader" for line in sponsor["rows"])
    assert "too few people to show" in sponsor["summary"]
    likert = client.get(f"{base}/likert.png?breakdown=sector", headers=headers["sponsor"])
    assert likert.status_code == 200
    refused = client.get(f"{base}/behaviours.png?breakdown=sector", headers=headers["tutor"])
    assert refused.status_code == 422
    assert "breakdown" in refused.get_json()["errors"]["query"]


def test_progress_and_profile_charts_say_how_many_people(client, programme_data, headers):
    base = f"/api/v1/cohorts/{programme_data['a'].id}/charts"
    progress = client.get(f"{base}/progress.json", headers=headers["tutor"]).get_json()
    assert "(n = 8 participants)" in progress["title"]
    profile = client.get("/api/v1/me/charts/profile.json",
                         headers=headers["participant"]).get_json()
    assert "cohort n = 8" in profile["title"]
