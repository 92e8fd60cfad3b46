"""What a programme evaluator asks of the outcomes answer, over the API, against references
computed here from the answers the test itself wrote: the exact signed-rank p at every level
and breakdown (scipy where it is exact, the enumeration of tests/outcomes/test_stats.py
elsewhere), the noncentral d_z interval, Cronbach's alpha, the participant flow with its
attrition check, reliable change, the linked frameworks, and what sponsors see of them."""

from __future__ import annotations

import csv
import io
from collections import defaultdict

import numpy as np
import pytest
import sqlalchemy as sa
from scipy import stats as sp

from lms.cohorts.models import Cohort
from lms.cohorts.service import withdraw
from lms.core.extensions import db
from lms.framework.models import Behaviour, ExternalFramework, ExternalHeading, Theme, ThemeLink
from lms.interop.personal import erase_person
from lms.outcomes.reliability import RCI_CRITICAL
from tests import builders as b
from tests.outcomes.test_reliability import reference_alpha
from tests.outcomes.test_stats import (
    enumerated_signed_rank_p,
    noncentral_dz_interval,
    reference_signed_rank_p,
)

LEVELS = ("leadership_level", "organisation_type", "sector")
ORGANISATIONS = (("local_authority", "commissioning"), ("nhs_trust", "providing"),
                 ("ccg", "commissioning"), ("voluntary_community", "both"))


def behaviours() -> dict[str, tuple[str, str]]:
    """code → (theme, applies_to)."""
    return {code: (theme, applies) for code, theme, applies in db.session.execute(
        sa.select(Behaviour.code, Theme.code, Behaviour.applies_to).join(Theme))}


def asked(sector: str, applies: str) -> bool:
    return applies == "all" or sector == "both" or applies == sector


@pytest.fixture
def evaluation(seeded, snapshots):
    """A cohort of 30: random answers to every behaviour asked (ties, zeros, some "na"),
    spread over levels and kinds of organisation; 26 submit post; plus drafts."""
    kept = snapshots.build_or_restore(seeded, "outcomes-evaluation", "seeded", build_evaluation)
    data = {**kept, "cohort": db.session.get(Cohort, kept["cohort"])}
    db.session.commit()  # end the read: a later fixture may write from another session
    return data


def build_evaluation() -> dict:
    """Make the evaluation cohort's rows in the current app's database and commit them."""
    rng = np.random.default_rng(2026)
    programme = b.make_programme(slug="lehc", min_group_size=5)
    cohort = b.make_cohort(programme, name="Evaluation cohort")
    organisations = [b.make_organisation(type_=t, sector=s) for t, s in ORGANISATIONS]
    codes = behaviours()
    people = {}
    for index in range(30):
        user = b.make_user("participant")
        organisation = organisations[index % 4]
        level = ("front_line", "manager", "senior_leader")[index % 3]
        b.enrol(user, cohort, organisation=organisation, level_code=level)
        base = int(rng.integers(1, 5))
        answers = {}
        for phase, lift in (("pre", 0), ("then", 0), ("post", 1)):
            if phase != "pre" and index >= 26:
                continue
            values = {}
            for code, (_theme, applies) in codes.items():
                if not asked(organisation.sector, applies):
                    continue
                value = int(np.clip(base + lift + rng.integers(-1, 2), 1, 5))
                values[code] = None if rng.random() < 0.03 else value
            b.assess(user, cohort, phase, values=values, sector=organisation.sector)
            answers[phase] = values
        people[user.id] = {"leadership_level": level, "organisation_type": organisation.type,
                           "sector": organisation.sector, "answers": answers}
    for _ in range(2):  # drafts count as started, never in the figures
        user = b.make_user("participant")
        b.enrol(user, cohort, organisation=organisations[0])
        b.assess(user, cohort, "pre", status="draft")
    tutor, sponsor = b.make_user("tutor"), b.make_user("sponsor")
    b.enrol(tutor, cohort)
    b.sponsor(sponsor, cohort=cohort)
    b.release(cohort)
    db.session.commit()
    return {"cohort": cohort.id, "people": people, "codes": codes,
            "tutor": b.bearer(tutor), "sponsor": b.bearer(sponsor)}


def units_of(level: str, codes: dict, linked: str | None = None) -> dict[str, list[str]]:
    """Row code → the behaviours whose answers make a person's score in it."""
    if level == "behaviour":
        return {code: [code] for code in codes}
    if level == "theme":
        themes = defaultdict(list)
        for code, (theme, _a) in codes.items():
            themes[theme].append(code)
        return dict(themes)
    if level == "framework":
        return {"framework": list(codes)}
    links = db.session.execute(
        sa.select(ExternalHeading.title, Theme.code).select_from(ThemeLink).join(Theme)
        .join(ExternalHeading).join(ExternalFramework)
        .where(ExternalFramework.code == linked)).all()
    headings = defaultdict(list)
    for title, theme in links:
        headings[title] += [c for c, (t, _a) in codes.items() if t == theme]
    return dict(headings)


def score(values: dict, members: list[str]) -> float | None:
    points = [values[c] for c in members if values.get(c) is not None]
    return float(np.mean(points)) if points else None


def reference_changes(evaluation, level, breakdown, linked=None):
    """(row code, group) → every person's change post − pre, computed from the answers."""
    changes = defaultdict(list)
    for person in evaluation["people"].values():
        group = person[breakdown] if breakdown else None
        for code, members in units_of(level, evaluation["codes"], linked).items():
            phases = person["answers"]
            if "post" not in phases:
                continue
            before, after = score(phases["pre"], members), score(phases["post"], members)
            if before is not None and after is not None:
                changes[(code, group)].append(after - before)
    return changes


def get(client, evaluation, who="tutor", **query):
    cohort = evaluation["cohort"]
    response = client.get(f"/api/v1/cohorts/{cohort.id}/outcomes", query_string=query,
                          headers=evaluation[who])
    assert response.status_code == 200, response.get_json()
    return response.get_json()


@pytest.mark.slow
@pytest.mark.parametrize("level", ["behaviour", "theme", "framework", "nhs-lf"])
def test_exact_p_at_every_level_and_breakdown(client, evaluation, level):
    for breakdown in (None, *LEVELS):  # one cohort built, every breakdown asked of it
        check_exact_p(client, evaluation, level, breakdown)


def check_exact_p(client, evaluation, level, breakdown):
    """Every row's p, median and d_z interval of one answer against the references."""
    linked = level if level == "nhs-lf" else None
    query = {"level": "linked", "framework": linked} if linked else {"level": level}
    if breakdown:
        query["breakdown"] = breakdown
    body = get(client, evaluation, **query)
    expected = reference_changes(evaluation, "linked" if linked else level, breakdown, linked)
    checked, against_scipy = 0, 0
    for row in body["rows"]:
        cell = row["post_pre"]
        d = np.array(expected.get((row["code"], row["group"]), []))
        assert cell["n"] == len(d), (row["code"], row["group"])
        if len(d) < 2:
            continue
        assert cell["wilcoxon_method"] == "exact"
        p = 1.0 if (d == 0).all() else enumerated_signed_rank_p(d)
        assert cell["wilcoxon_p"] == pytest.approx(p, abs=1e-9), (row["code"], row["group"])
        # scipy's permutation test costs a second a call: a few cells of each answer are
        # held to scipy itself, where its default is exact (n <= 13, or no ties).
        scipy_is_exact = len(d) <= 13 or len(np.unique(np.abs(d))) == len(d) and (d != 0).all()
        if against_scipy < 4 and scipy_is_exact and (d != 0).any():
            scipy_p, method = reference_signed_rank_p(d)
            assert method == "exact"
            assert cell["wilcoxon_p"] == pytest.approx(scipy_p, abs=1e-9)
            against_scipy += 1
        assert cell["median_change"] == pytest.approx(np.median(d))
        if d.std() > 0:
            low, high = noncentral_dz_interval(d.mean() / d.std(ddof=1), len(d))
            assert (cell["d_z_ci_low"], cell["d_z_ci_high"]) == pytest.approx((low, high),
                                                                              rel=1e-7)
        checked += 1
    assert checked >= len(body["rows"]) // 2


def test_holm_runs_over_the_exact_p_values(client, evaluation):
    rows = get(client, evaluation, level="theme")["rows"]
    p = sorted(r["post_pre"]["wilcoxon_p"] for r in rows)
    smallest = min(rows, key=lambda r: r["post_pre"]["wilcoxon_p"])
    assert smallest["post_pre"]["p_holm"] == pytest.approx(min(1.0, len(p) * p[0]))


def test_the_enumeration_reference_is_what_scipy_gives_on_a_small_group(evaluation):
    d = np.array([1, 1, 0, 2, -1, 0, 0.5, 1])  # what a small breakdown group looks like
    assert enumerated_signed_rank_p(d) == pytest.approx(
        sp.wilcoxon(d, zero_method="pratt").pvalue, abs=1e-12)


def complete_matrix(evaluation, theme, phase):
    """The people × items answers of one theme's behaviours asked of everyone, complete rows
    only (no "na", no missing): what alpha is computed over."""
    items = [c for c, (t, applies) in evaluation["codes"].items()
             if (t == theme or theme == "framework") and applies == "all"]
    rows = []
    for person in evaluation["people"].values():
        values = person["answers"].get(phase)
        if values and all(values.get(c) is not None for c in items):
            rows.append([values[c] for c in items])
    return np.array(rows, float)


@pytest.mark.parametrize("level", ["theme", "framework"])
def test_alpha_per_theme_and_phase_matches_the_reference(client, evaluation, level):
    rows = get(client, evaluation, level=level)["rows"]
    for row in rows:
        for phase in ("pre", "then", "post"):
            matrix = complete_matrix(evaluation, row["code"], phase)
            found = row["reliability"][phase]
            assert found["n"] == len(matrix)
            alpha, low, high = reference_alpha(matrix)
            assert (found["alpha"], found["ci_low"], found["ci_high"]) == pytest.approx(
                (alpha, low, high), rel=1e-9)
    dt = next(r for r in rows if r["code"] == "DT") if level == "theme" else None
    if dt:
        assert dt["reliability"]["pre"]["behaviours"] == 9  # DT.8 and DT.9 are not asked of all


def test_reliable_change_counts_follow_jacobson_and_truax(client, evaluation):
    rows = get(client, evaluation, level="theme")["rows"]
    for row in rows:
        pre = complete_matrix(evaluation, row["code"], "pre")
        alpha, _low, _high = reference_alpha(pre)
        threshold = np.sqrt(2) * pre.mean(axis=1).std(ddof=1) * np.sqrt(1 - alpha)
        changes = reference_changes(evaluation, "theme", None)[(row["code"], None)]
        rci = np.array(changes) / threshold
        found = row["reliable_change"]
        assert found["available"] is True
        assert found["improved"] == int((rci > RCI_CRITICAL).sum())
        assert found["declined"] == int((rci < -RCI_CRITICAL).sum())
        assert found["improved"] + found["none"] + found["declined"] == len(changes)
        assert found["improved_share"] == pytest.approx(found["improved"] / len(changes))


def test_reliable_change_is_not_available_in_a_small_programme(client, seeded):
    programme = b.make_programme(slug="small", min_group_size=5)
    cohort = b.make_cohort(programme)
    for lift in range(6):
        person = b.make_user("participant")
        b.enrol(person, cohort)
        b.assess(person, cohort, "pre", values={"SI.1": 1 + lift % 3})
        b.assess(person, cohort, "post", values={"SI.1": 2 + lift % 3})
    tutor = b.make_user("tutor")
    b.enrol(tutor, cohort)
    headers = b.bearer(tutor)
    db.session.commit()
    body = client.get(f"/api/v1/cohorts/{cohort.id}/outcomes?level=theme",
                      headers=headers).get_json()
    assert {r["reliable_change"]["available"] for r in body["rows"]} == {False}


def test_the_flow_counts_who_is_in_the_figures(client, evaluation):
    flow = get(client, evaluation)["flow"]
    assert flow["enrolled"] == 32 and flow["withdrawn"] == 0 and flow["erased"] == 0
    assert flow["phases"]["pre"] == {"started": 32, "submitted": 30, "reopened": 0}
    assert flow["phases"]["post"] == {"started": 26, "submitted": 26, "reopened": 0}
    assert flow["paired"] == {"post_pre": 26, "post_then": 26, "then_pre": 26}
    completers, others = [], []
    for person in evaluation["people"].values():
        pre = score(person["answers"]["pre"], list(evaluation["codes"]))
        (completers if "post" in person["answers"] else others).append(pre)
    attrition = flow["attrition"]
    assert attrition["with_post"]["n"] == 26 and attrition["without_post"]["n"] == 4
    assert attrition["with_post"]["mean_pre"] == pytest.approx(np.mean(completers))
    welch = sp.ttest_ind(completers, others, equal_var=False).confidence_interval()
    assert attrition["difference"] == pytest.approx(np.mean(completers) - np.mean(others))
    assert (attrition["ci_low"], attrition["ci_high"]) == pytest.approx((welch.low, welch.high))


def test_the_flow_counts_withdrawn_and_erased_people(client, evaluation):
    cohort = evaluation["cohort"]
    gone, erased = list(evaluation["people"])[:2]
    withdraw(cohort, gone)
    from lms.accounts.models import User
    erase_person(db.session.get(User, erased))
    db.session.commit()
    flow = get(client, evaluation)["flow"]
    assert (flow["enrolled"], flow["withdrawn"], flow["erased"]) == (31, 1, 1)
    assert flow["phases"]["pre"]["submitted"] == 30  # what they gave still counts


def test_a_sponsor_sees_the_flow_without_small_counts(client, evaluation):
    flow = get(client, evaluation, who="sponsor")["flow"]
    assert flow["enrolled"] == 32 and flow["paired"]["post_pre"] == 26
    assert flow["phases"]["then"]["submitted"] == 26
    # 4 did not submit post: their mean pre score is about fewer than 5 people.
    assert flow["attrition"] == {"suppressed": True, "reason": "fewer than 5 people"}
    tutor_flow = get(client, evaluation)["flow"]
    assert tutor_flow["attrition"]["without_post"]["n"] == 4


def test_a_sponsor_sees_no_small_groups_reliability_or_reliable_change(client, evaluation):
    body = get(client, evaluation, who="sponsor", level="theme", breakdown="organisation_type")
    for row in body["rows"]:
        for phase, alpha in row["reliability"].items():
            assert alpha["suppressed"] or alpha["n"] >= 5, (row["code"], row["group"], phase)
        if row["post_pre"]["suppressed"]:
            assert row["reliable_change"]["suppressed"] is True
            assert "improved" not in row["reliable_change"]
    # Groups with no one in them are hidden, and never as a shown zero.
    empty = [r for r in body["rows"] if r["group"] == "user_led"]
    assert all(r["reliability"]["pre"]["suppressed"] for r in empty)


def test_linked_rows_are_the_headings_with_their_themes(client, evaluation):
    for framework in ("nhs-lf", "hay-ccg", "lqf"):
        body = get(client, evaluation, level="linked", framework=framework)
        headings = units_of("linked", evaluation["codes"], framework)
        assert [r["code"] for r in body["rows"]] == list(dict.fromkeys(
            r["code"] for r in body["rows"]))
        assert {r["code"] for r in body["rows"]} == set(headings)
        assert body["framework"] == framework
        for row in body["rows"]:
            themes = {evaluation["codes"][c][0] for c in headings[row["code"]]}
            assert set(row["themes"]) == themes
            assert row["reliability"] is not None and row["reliable_change"] is not None


@pytest.mark.parametrize(("query", "field"), [
    ({"level": "linked"}, "framework"),
    ({"level": "theme", "framework": "nhs-lf"}, "framework"),
    ({"level": "linked", "framework": "mbti"}, "framework"),
])
def test_linked_queries_that_make_no_sense_are_422(client, evaluation, query, field):
    cohort = evaluation["cohort"]
    response = client.get(f"/api/v1/cohorts/{cohort.id}/outcomes", query_string=query,
                          headers=evaluation["tutor"])
    assert response.status_code == 422
    assert field in str(response.get_json()["errors"])


def test_the_csv_carries_every_new_figure(client, evaluation):
    cohort = evaluation["cohort"]
    text = client.get(f"/api/v1/cohorts/{cohort.id}/outcomes.csv?level=theme",
                      headers=evaluation["tutor"]).text
    lines = list(csv.DictReader(io.StringIO(text)))
    figures = {(line["comparison"], line["figure"]) for line in lines}
    for name in ("wilcoxon_method", "d_z_ci_low", "d_z_ci_high", "d_av", "median_change"):
        assert ("post_pre", name) in figures
    assert ("reliability_pre", "alpha") in figures
    assert ("reliable_change", "improved") in figures
    assert ("flow", "enrolled") in figures and ("attrition", "difference") in figures
    si = next(line for line in lines if line["code"] == "SI"
              and line["comparison"] == "post_pre" and line["figure"] == "wilcoxon_method")
    assert si["value"] == "exact"
    linked = client.get(f"/api/v1/cohorts/{cohort.id}/outcomes.csv?level=linked"
                        "&framework=lqf", headers=evaluation["tutor"])
    assert linked.status_code == 200 and "linked" in linked.text


def test_the_openapi_document_describes_the_new_figures(client):
    document = client.get("/api/v1/openapi.json").get_json()
    schemas = document["components"]["schemas"]
    comparison = schemas["Comparison"]["properties"]
    for name in ("wilcoxon_method", "d_z_ci_low", "d_z_ci_high", "d_av", "median_change"):
        assert name in comparison
    assert {"flow", "framework"} <= set(schemas["OutcomeReport"]["properties"])
    assert {"reliability", "reliable_change", "themes"} <= set(
        schemas["OutcomeRow"]["properties"])
    parameters = document["paths"]["/api/v1/cohorts/{cohort_id}/outcomes"]["get"]["parameters"]
    level = next(p for p in parameters if p["name"] == "level")
    assert "linked" in level["schema"]["enum"]
    assert any(p["name"] == "framework" for p in parameters)
