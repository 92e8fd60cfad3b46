"""Outcomes over the API: figures checked independently, scopes, disclosure, CSV, queries."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest
from scipy import stats as sp

from lms.core.extensions import db
from tests import builders as b
from tests.fixtures import count_queries


def row_for(body, code, group=None):
    return next(r for r in body["rows"] if r["code"] == code and r["group"] == group)


def test_figures_match_an_independent_computation(client, programme_data):
    a = programme_data["a"]
    body = client.get(f"/api/v1/cohorts/{a.id}/outcomes",
                      headers=programme_data["headers"]["tutor"]).get_json()
    mine = [v for v in programme_data["values"].values() if v[0] == a.id]
    pre = np.array([v[2] for v in mine], float)
    then = np.array([v[3] for v in mine], float)
    post = np.array([v[4] for v in mine], float)
    for name, before, after in (("post_pre", pre, post), ("post_then", then, post),
                                ("then_pre", pre, then)):
        cell = row_for(body, "SI.1")[name]
        d = after - before
        assert cell["n"] == 8
        assert cell["mean_before"] == pytest.approx(before.mean())
        assert cell["mean_change"] == pytest.approx(d.mean())
        if d.std() > 0:
            ci = sp.ttest_rel(after, before).confidence_interval()
            assert (cell["ci_low"], cell["ci_high"]) == pytest.approx((ci.low, ci.high))
            assert cell["d_z"] == pytest.approx(d.mean() / d.std(ddof=1))
            # n = 8 with ties: scipy's default enumerates every sign flip (exact).
            assert cell["wilcoxon_p"] == pytest.approx(sp.wilcoxon(
                d, zero_method="pratt").pvalue, abs=1e-9)
            assert cell["wilcoxon_method"] == "exact"
        assert cell["improved"] == pytest.approx((d > 0).mean())
    # Every other behaviour was rated 3 in every phase: no change at all.
    still = row_for(body, "FC.1")["post_pre"]
    assert (still["mean_change"], still["wilcoxon_p"], still["same"]) == (0, 1.0, 1.0)
    assert body["disclosure_control"] is False and body["participants"] == 8


def test_theme_and_framework_rows(client, programme_data):
    a = programme_data["a"]
    theme = client.get(f"/api/v1/cohorts/{a.id}/outcomes?level=theme",
                       headers=programme_data["headers"]["tutor"]).get_json()
    assert [r["code"] for r in theme["rows"]] == ["SI", "FC", "DT", "FO"]
    si = row_for(theme, "SI")["post_pre"]
    mine = [v for v in programme_data["values"].values() if v[0] == a.id]
    # SI score = mean of SI.1 (varies) and SI.2–SI.7 (3 each) for each person.
    changes = [(v[4] + 18) / 7 - (v[2] + 18) / 7 for v in mine]
    assert si["mean_change"] == pytest.approx(np.mean(changes))
    framework = client.get(f"/api/v1/cohorts/{a.id}/outcomes?level=framework",
                           headers=programme_data["headers"]["tutor"]).get_json()
    assert [r["code"] for r in framework["rows"]] == ["framework"]


def test_a_sponsor_sees_small_groups_suppressed_and_protected(client, programme_data):
    a = programme_data["a"]
    path = f"/api/v1/cohorts/{a.id}/outcomes?level=behaviour&breakdown=leadership_level"
    tutor = client.get(path, headers=programme_data["headers"]["tutor"]).get_json()
    assert row_for(tutor, "SI.1", "senior_leader")["post_pre"]["n"] == 3
    sponsor = client.get(path, headers=programme_data["headers"]["sponsor"]).get_json()
    assert sponsor["disclosure_control"] is True
    seniors = row_for(sponsor, "SI.1", "senior_leader")["post_pre"]
    assert seniors == {"suppressed": True, "reason": "held back to protect small groups"}
    managers = row_for(sponsor, "SI.1", "manager")["post_pre"]
    # Managers (5) would reveal the seniors by subtraction from the cohort total: the cohort
    # does not publish this breakdown at all.
    assert managers == {"suppressed": True, "reason": "held back to protect small groups"}
    assert "n" not in managers
    assert row_for(sponsor, "SI.1", "front_line")["distribution"]["pre"]["suppressed"]
    whole = client.get(f"/api/v1/cohorts/{a.id}/outcomes",
                       headers=programme_data["headers"]["sponsor"]).get_json()
    assert row_for(whole, "SI.1")["post_pre"]["n"] == 8  # the cohort as a whole is shown


def test_scopes_of_a_programme_report(client, programme_data):
    pid, a, b_ = (programme_data["programme"].id, programme_data["a"].id,
                  programme_data["b"].id)
    headers = programme_data["headers"]
    everything = client.get(f"/api/v1/programmes/{pid}/outcomes", headers=headers["admin"])
    assert everything.get_json()["scope"]["cohort_ids"] == [a, b_]
    assert row_for(everything.get_json(), "SI.1")["post_pre"]["n"] == 14
    mine = client.get(f"/api/v1/programmes/{pid}/outcomes", headers=headers["sponsor"])
    assert mine.get_json()["scope"]["cohort_ids"] == [a]
    refused = client.get(f"/api/v1/programmes/{pid}/outcomes?cohorts={b_}",
                         headers=headers["sponsor"])
    assert refused.status_code == 404
    wide = client.get(f"/api/v1/programmes/{pid}/outcomes?breakdown=cohort",
                      headers=headers["programme_sponsor"]).get_json()
    assert wide["scope"]["cohort_ids"] == [a, b_]
    groups = {r["group"]: r["post_pre"].get("n") for r in wide["rows"] if r["code"] == "SI.1"}
    assert groups == {str(a): 8, str(b_): 6}
    narrowed = client.get(f"/api/v1/programmes/{pid}/outcomes?cohorts={b_},{b_}",
                          headers=headers["admin"]).get_json()
    assert narrowed["scope"]["cohort_ids"] == [b_]


@pytest.mark.parametrize("query", ["level=everything", "breakdown=shoe_size", "cohorts=abc",
                                   "cohorts=0", "level="])
def test_bad_queries_are_422(client, programme_data, query):
    pid = programme_data["programme"].id
    response = client.get(f"/api/v1/programmes/{pid}/outcomes?{query}",
                          headers=programme_data["headers"]["admin"])
    assert response.status_code == 422


def test_participants_see_only_their_own_profile(client, programme_data):
    headers = programme_data["headers"]["participant"]
    a = programme_data["a"]
    assert client.get(f"/api/v1/cohorts/{a.id}/outcomes", headers=headers).status_code == 403
    assert client.get(f"/api/v1/programmes/{programme_data['programme'].id}/outcomes",
                      headers=headers).status_code == 403
    profile = client.get("/api/v1/me/outcomes", headers=headers).get_json()
    _cid, _level, pre, then, post = programme_data["values"][programme_data["participant"]]
    si1 = profile["behaviours"][0]
    assert (si1["code"], si1["pre"], si1["then"], si1["post"]) == ("SI.1", pre, then, post)
    assert si1["cohort"]["n"] == 8


def test_a_participant_in_a_small_cohort_sees_its_averages_suppressed(client, seeded):
    cohort = b.make_cohort(b.make_programme())
    people = [b.make_user("participant") for _ in range(3)]
    for person in people:
        b.enrol(person, cohort)
        b.assess(person, cohort, "pre")
        b.assess(person, cohort, "post", values={"SI.1": 4})
    headers = b.bearer(people[0])
    db.session.commit()
    profile = client.get("/api/v1/me/outcomes", headers=headers).get_json()
    assert profile["behaviours"][0]["post"] == 4
    assert profile["behaviours"][0]["cohort"]["suppressed"] is True


def parse_csv(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_has_a_line_per_figure_and_neutralises_formulas(client, programme_data):
    pid = programme_data["programme"].id
    response = client.get(f"/api/v1/programmes/{pid}/outcomes.csv?level=theme&breakdown=cohort",
                          headers=programme_data["headers"]["admin"])
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    lines = parse_csv(response.get_data(as_text=True))
    labels = {line["group_label"] for line in lines}
    assert "'=HYPERLINK(\"http://evil\")" in labels
    assert not any(str(v).startswith(("=", "+", "@")) for line in lines for v in line.values())
    n = next(line for line in lines if line["code"] == "SI" and line["figure"] == "n"
             and line["comparison"] == "post_pre" and line["group"] == str(programme_data["a"].id))
    assert n["value"] == "8"
    negative = [line for line in lines if line["figure"] == "mean_change"
                and line["value"].startswith("-")]
    assert all(float(line["value"]) < 0 for line in negative)  # numbers stay numbers


def test_csv_shows_suppressed_cells_as_suppressed(client, programme_data):
    a = programme_data["a"]
    text = client.get(f"/api/v1/cohorts/{a.id}/outcomes.csv?breakdown=leadership_level",
                      headers=programme_data["headers"]["sponsor"]).get_data(as_text=True)
    seniors = [line for line in parse_csv(text) if line["group"] == "senior_leader"
               and line["code"] == "SI.1" and line["comparison"] == "post_pre"]
    assert seniors == [{**seniors[0], "value": "suppressed",
                        "note": "held back to protect small groups"}]


def test_my_csv(client, programme_data):
    response = client.get("/api/v1/me/outcomes.csv",
                          headers=programme_data["headers"]["participant"])
    lines = parse_csv(response.get_data(as_text=True))
    assert len(lines) == 36 and lines[0]["code"] == "SI.1"


def test_a_report_takes_the_same_statements_for_more_participants(client, programme_data):
    a = programme_data["a"]
    path = f"/api/v1/cohorts/{a.id}/outcomes?breakdown=leadership_level"

    def statements():
        client.get(path, headers=programme_data["headers"]["tutor"])
        with count_queries(db.engine) as queries:
            client.get(path, headers=programme_data["headers"]["tutor"])
        return queries.count

    before = statements()
    for _ in range(20):
        person = b.make_user("participant")
        b.enrol(person, a)
        b.assess(person, a, "pre")
        b.assess(person, a, "post")
    db.session.commit()
    assert statements() == before


def test_csv_numbers_are_rounded_for_people_and_the_json_keeps_them_whole(client,
                                                                          programme_data):
    from lms.outcomes.csv_export import for_people

    assert for_people("mean_before", 2.4444444444444446) == 2.44
    assert for_people("p_holm", 0.00012345) == 0.000123 and for_people("n", 8) == 8
    assert for_people("wilcoxon_p", 0.5) == 0.5 and for_people("note", "exact") == "exact"
    a = programme_data["a"]
    headers = programme_data["headers"]["tutor"]
    lines = parse_csv(client.get(f"/api/v1/cohorts/{a.id}/outcomes.csv",
                                 headers=headers).get_data(as_text=True))
    for line in lines:
        value = line["value"]
        if line["figure"] in ("wilcoxon_p", "p_holm") and value:
            assert len(value.replace("0.", "").lstrip("0").split("e")[0].replace(".", "")) <= 3
        elif "." in value and value.replace(".", "").lstrip("-").isdigit():
            assert len(value.split(".")[1]) <= 2, line
    report = client.get(f"/api/v1/cohorts/{a.id}/outcomes", headers=headers).get_json()
    means = [cell["mean_before"] for row in report["rows"] for cell in (row["post_pre"],)
             if not cell["suppressed"] and cell["mean_before"] is not None]
    assert any(round(mean, 2) != mean for mean in means)  # the JSON keeps full precision
