"""Outcomes from others' (360) ratings, source=others: each participant's "all others"
figure as their report shows it, paired pre and post, with every statistic checked against
scipy on figures worked out here from the raw answers; sponsors' figures come from releases,
whole cohorts only."""

from __future__ import annotations

import datetime as dt
import itertools

import numpy as np
import pytest
from scipy import stats

from lms.cohorts.models import Cohort
from lms.core.extensions import db
from lms.feedback import service as feedback
from lms.ratings.service import behaviours_for_sector
from tests import builders as b

TODAY = dt.date.today()
NUMBERS = itertools.count(1)
PEOPLE = 6


@pytest.fixture
def rated(seeded, snapshots):
    """A cohort of six participants, each rated by three peers in both rounds (then closed):
    their SI.1 points move by a different amount each; their own pre and post self-ratings
    submitted; a tutor, a sponsor. The raw points by participant, round and peer (built
    once a run, then restored)."""
    return snapshots.build_or_restore(seeded, "others-rated", "seeded", build_rated)


def build_rated() -> dict:
    """The rows of ``rated``, committed; its value."""
    cohort = b.make_cohort(name="Rated cohort", starts_on=TODAY - dt.timedelta(days=200),
                           ends_on=TODAY + dt.timedelta(days=10))
    cohort.pre_opens_on, cohort.pre_closes_on = (TODAY - dt.timedelta(days=190),
                                                 TODAY - dt.timedelta(days=170))
    cohort.post_opens_on, cohort.post_closes_on = (TODAY - dt.timedelta(days=20),
                                                   TODAY + dt.timedelta(days=5))
    raw: dict[int, dict[str, list[dict[str, int]]]] = {}
    participants = []
    codes = [behaviour.code for behaviour in behaviours_for_sector("providing")]
    for person in range(PEOPLE):
        user = b.make_user("participant", name=f"Person {person}")
        b.enrol(user, cohort)
        b.assess(user, cohort, "pre", values={"SI.1": 2, "SI.2": 4})
        b.assess(user, cohort, "post", values={"SI.1": 4, "SI.2": 4})
        participants.append(user)
        raw[user.id] = {}
        for phase, lift in (("pre", 0), ("post", 1 + person % 3)):
            open_round(cohort, phase)
            raw[user.id][phase] = []
            for peer in range(3):
                rater = feedback.nominate(cohort, user.id, user, f"Peer {peer}",
                                          f"peer{next(NUMBERS)}@example.org", "peer", phase)
                points = {code: 1 + (person + peer) % 3 for code in codes}
                points["SI.1"] = min(5, 1 + (peer + person) % 2 + (lift if peer else 0))
                feedback.save(rater, points, {})
                feedback.submit(rater)
                raw[user.id][phase].append(points)
            close_round(cohort, phase)
    tutor = b.make_user("tutor", email="tia.tutor@example.org", password=b.PASSWORD)
    b.enrol(tutor, cohort)
    sponsor = b.make_user("sponsor", email="sid.sponsor@example.org", password=b.PASSWORD)
    b.sponsor(sponsor, cohort=cohort)
    db.session.commit()
    return {"cohort": cohort.id, "raw": raw, "tutor": b.bearer(tutor),
            "sponsor": b.bearer(sponsor), "codes": codes}


def open_round(cohort: Cohort, phase: str) -> None:
    setattr(cohort, f"feedback_{phase}_opens_on", TODAY - dt.timedelta(days=2))
    setattr(cohort, f"feedback_{phase}_closes_on", TODAY + dt.timedelta(days=2))
    db.session.flush()


def close_round(cohort: Cohort, phase: str) -> None:
    setattr(cohort, f"feedback_{phase}_opens_on", TODAY - dt.timedelta(days=9))
    setattr(cohort, f"feedback_{phase}_closes_on", TODAY - dt.timedelta(days=1))
    db.session.flush()


def outcomes(client, world, who="tutor", **query):
    params = {"source": "others", **query}
    answer = client.get(f"/api/v1/cohorts/{world['cohort']}/outcomes",
                        query_string=params, headers=world[who])
    assert answer.status_code == 200, answer.json
    return answer.json


def row_of(report, code):
    return next(row for row in report["rows"] if row["code"] == code)


def others_mean(points: list[dict[str, int]], codes: list[str]) -> float:
    """A participant's others' score over ``codes``: per behaviour the mean of the peers'
    points, then the mean over the behaviours."""
    return float(np.mean([np.mean([peer[code] for peer in points]) for code in codes]))


def test_others_figures_match_scipy_on_the_raw_answers(client, rated):
    for level, unit, codes in (("behaviour", "SI.1", ["SI.1"]),
                               ("theme", "SI", [c for c in rated["codes"] if c[:2] == "SI"]),
                               ("framework", "framework", rated["codes"])):
        report = outcomes(client, rated, level=level)
        assert report["source"] == "others" and report["participants"] == PEOPLE
        cell = row_of(report, unit)["post_pre"]
        before = np.array([others_mean(raw["pre"], codes) for raw in rated["raw"].values()])
        after = np.array([others_mean(raw["post"], codes) for raw in rated["raw"].values()])
        change = after - before
        assert cell["n"] == PEOPLE
        assert cell["mean_before"] == pytest.approx(before.mean())
        assert cell["mean_after"] == pytest.approx(after.mean())
        assert cell["mean_change"] == pytest.approx(change.mean())
        if change.std() > 0:
            t = stats.ttest_rel(after, before)
            low, high = t.confidence_interval(0.95)
            assert (cell["ci_low"], cell["ci_high"]) == (pytest.approx(low),
                                                          pytest.approx(high))
            assert cell["sd_change"] == pytest.approx(change.std(ddof=1))
            assert cell["d_z"] == pytest.approx(change.mean() / change.std(ddof=1))
            assert cell["wilcoxon_p"] == pytest.approx(stats.wilcoxon(after, before).pvalue)
        # no "then" round: its comparisons are empty
        assert row_of(report, unit)["then_pre"]["n"] == 0


def test_the_self_others_gap_per_theme(client, rated):
    report = outcomes(client, rated, level="theme")
    si_codes = [c for c in rated["codes"] if c[:2] == "SI"]
    gap = next(g for g in report["gaps"] if g["phase"] == "post" and g["unit"] == "SI")
    own = np.mean([4 if c in ("SI.1", "SI.2") else 3 for c in si_codes])
    theirs = [others_mean(raw["post"], si_codes) for raw in rated["raw"].values()]
    assert gap["n"] == PEOPLE
    assert gap["mean_gap"] == pytest.approx(float(np.mean([own - t for t in theirs])))


def test_sponsors_see_others_only_from_a_release_and_only_by_cohort(client, rated):
    before = outcomes(client, rated, who="sponsor", level="theme")
    assert before["held_back"][0]["reason"].startswith("no figures from others")
    assert all(row["post_pre"]["suppressed"] for row in before["rows"])
    b.release(db.session.get(Cohort, rated["cohort"]))
    db.session.commit()
    # the programme's minimum is 5 and all six have figures everywhere: shown
    released = outcomes(client, rated, who="sponsor", level="theme")
    assert released["disclosure_control"] and released["held_back"] == []
    tutor = outcomes(client, rated, level="theme")
    assert row_of(released, "FC")["post_pre"]["mean_change"] == pytest.approx(
        row_of(tutor, "FC")["post_pre"]["mean_change"])
    assert all(gap["suppressed"] and gap["mean_gap"] is None for gap in released["gaps"])
    # every row a sponsor sees rests on the same people
    framework = outcomes(client, rated, who="sponsor", level="framework")
    assert {row["post_pre"]["n"] for row in released["rows"] + framework["rows"]} == {PEOPLE}
    per_behaviour = client.get(f"/api/v1/cohorts/{rated['cohort']}/outcomes",
                               query_string={"source": "others", "level": "behaviour"},
                               headers=rated["sponsor"])
    assert per_behaviour.status_code == 422 and "level" in per_behaviour.json["errors"]["query"]
    refused = client.get(f"/api/v1/cohorts/{rated['cohort']}/outcomes",
                         query_string={"source": "others", "breakdown": "sector",
                                       "level": "theme"},
                         headers=rated["sponsor"])
    assert refused.status_code == 422 and "breakdown" in refused.json["errors"]["query"]
    linked = client.get(f"/api/v1/cohorts/{rated['cohort']}/outcomes",
                        query_string={"source": "others", "level": "linked",
                                      "framework": "nhs-lf"}, headers=rated["tutor"])
    assert linked.status_code == 422


def test_a_cohort_under_the_minimum_is_held_back_for_sponsors(client, rated):
    cohort = db.session.get(Cohort, rated["cohort"])
    cohort.programme.min_group_size = 7
    b.release(cohort)
    db.session.commit()
    report = outcomes(client, rated, who="sponsor", level="framework")
    assert report["held_back"][0]["reason"].startswith("fewer than 7 participants")
    assert report["participants"] == 0
    assert all(row["post_pre"]["suppressed"] for row in report["rows"])
    assert all(gap["suppressed"] or gap["n"] == 0 for gap in report["gaps"])


def test_a_release_is_refused_while_few_peoples_figures_from_others_changed(client, rated):
    from lms.core.errors import Invalid
    from lms.feedback.models import FeedbackRater
    from lms.outcomes import releases

    cohort = db.session.get(Cohort, rated["cohort"])
    b.release(cohort)
    db.session.commit()
    # one participant's post round gets another peer (an administrator reopened it)
    person = next(iter(rated["raw"]))
    open_round(cohort, "post")
    extra = feedback.nominate(cohort, person, cohort.enrolments[0].user, "Late Peer",
                              "late.peer@example.org", "peer", "post")
    feedback.save(extra, {code: 5 for code in rated["codes"]}, {})
    feedback.submit(extra)
    close_round(cohort, "post")
    db.session.commit()
    with pytest.raises(Invalid, match="1 participant changed"):
        releases.publish(cohort)
    db.session.rollback()
    assert db.session.query(FeedbackRater).count() == PEOPLE * 6 + 1


def test_the_effects_chart_draws_others_figures(client, rated):
    path = f"/api/v1/cohorts/{rated['cohort']}/charts/effects.json"
    text = client.get(path, query_string={"source": "others"}, headers=rated["tutor"]).json
    assert "from others’ ratings" in text["title"]
    table = outcomes(client, rated, level="theme")
    d_z = {row["code"]: row["post_pre"]["d_z"] for row in table["rows"]}
    for line in text["rows"]:
        code = line[0].split()[0]
        shown = None if line[2] == "—" else float(line[2])
        assert shown == (None if d_z[code] is None else pytest.approx(d_z[code], abs=0.01))
    refused = client.get(f"/api/v1/cohorts/{rated['cohort']}/charts/likert.json",
                         query_string={"source": "others"}, headers=rated["tutor"])
    assert refused.status_code == 422 and "source" in refused.json["errors"]["query"]


def test_the_outcomes_page_shows_others_figures_and_sponsors_rules(client, rated):
    b.release(db.session.get(Cohort, rated["cohort"]))
    db.session.commit()
    assert b.sign_in(client, "tia.tutor@example.org").status_code == 302
    page = client.get("/outcomes?source=others&level=theme")
    assert page.status_code == 200 and "Outcomes seen by others" in page.text
    assert "others rated participants" in page.text and "Self − others" in page.text
    client.post("/sign-out", data={"csrf_token": b.csrf_from(page.text)})
    assert b.sign_in(client, "sid.sponsor@example.org").status_code == 302
    page = client.get("/outcomes?source=others")
    assert page.status_code == 200 and "Self − others, per theme" not in page.text
    assert '<option value="behaviour"' not in page.text
    assert client.get("/outcomes?source=others&level=behaviour").status_code == 422
    assert client.get("/outcomes?source=others&breakdown=sector").status_code == 422


@pytest.mark.slow  # gathers the whole evaluation report twice (about 1.5 s)
def test_the_evaluation_report_has_others_figures(client, rated):
    b.release(db.session.get(Cohort, rated["cohort"]))
    db.session.commit()
    assert b.sign_in(client, "tia.tutor@example.org").status_code == 302
    page = client.get(f"/outcomes/report?scope={rated['cohort']}")
    assert page.status_code == 200 and "Seen by others (360 feedback)" in page.text
    table = outcomes(client, rated, level="theme")
    change = row_of(table, "SI")["post_pre"]["mean_change"]
    assert f"{change:.2f}" in page.text and "Self − others" in page.text
    client.post("/sign-out", data={"csrf_token": b.csrf_from(client.get("/account").text)})
    assert b.sign_in(client, "sid.sponsor@example.org").status_code == 302
    page = client.get("/outcomes/report")
    assert "Seen by others (360 feedback)" in page.text and "Self − others" not in page.text
