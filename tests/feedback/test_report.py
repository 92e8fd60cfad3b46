"""The 360 report: groups shown or not, "all others", blind spots and hidden strengths, the
change since pre, comments; checked against figures worked out here from the raw answers,
and against an attacker who subtracts what the report shows."""

from __future__ import annotations

import itertools
import random
from collections import Counter
from types import SimpleNamespace

import pytest

from lms.cohorts.models import Cohort
from lms.core.extensions import db
from lms.feedback import report as feedback_report
from lms.feedback import service
from lms.ratings.service import behaviours_for_sector
from tests.feedback.conftest import PAT_SELF, close_round, open_round

REPORT = "/api/v1/me/feedback/report"
NUMBERS = itertools.count(1)


def rate(world, group: str, values: dict | None = None, comments: dict | None = None,
         phase: str = "pre", default=3, submit: bool = True) -> int:
    """A rater of ``group`` who answers every behaviour (``default``, or ``values`` by code)
    and submits; their id."""
    from lms.accounts.models import User

    cohort = db.session.get(Cohort, world["cohort_id"])
    pat = db.session.get(User, world["pat_id"])
    rater = service.nominate(cohort, pat.id, pat, f"Rater {group}",
                             f"{group}-{next(NUMBERS)}@example.org", group, phase)
    ratings = {b.code: (values or {}).get(b.code, default)
               for b in behaviours_for_sector("providing")}
    service.save(rater, ratings, comments or {})
    if submit:
        service.submit(rater)
    db.session.commit()
    return rater.id


def behaviour_row(report: dict, code: str) -> dict:
    return next(row for theme in report["themes"] for row in theme["behaviours"]
                if row["code"] == code)


def theme_row(report: dict, code: str) -> dict:
    return next(theme for theme in report["themes"] if theme["code"] == code)


def test_the_report_waits_for_the_round_to_close_and_says_who_answered(client, world):
    rate(world, "peer")
    rate(world, "peer", submit=False)
    early = client.get(REPORT, headers=world["pat"]).json
    assert early["available"] is False and "closes" in early["note"]
    assert early["groups"] == [{"group": "peer", "title": "Peers", "asked": 2,
                                "answered": 1}]
    assert "themes" not in early


def test_a_line_manager_and_three_peers(client, world):
    manager = {"SI.1": 2, "SI.2": 4, "SI.3": 4}
    peers = [{"SI.1": 3, "SI.2": 3, "SI.3": 5}, {"SI.1": 2, "SI.2": 4, "SI.3": 4},
             {"SI.1": 4, "SI.2": 5, "SI.3": 3}]
    rate(world, "line_manager", manager)
    for values in peers:
        rate(world, "peer", values, comments={"SI": f"peer says {values['SI.1']}"})
    close_round(world["cohort_id"])
    result = client.get(REPORT, headers=world["pat"]).json
    assert result["available"] and result["shown_groups"] == ["line_manager", "peer"]
    manager_row = next(g for g in result["groups"] if g["group"] == "line_manager")
    assert manager_row["not_anonymous"] and manager_row["state"] == "shown"
    for code in ("SI.1", "SI.2", "SI.3"):
        row = behaviour_row(result, code)
        everyone = [manager[code]] + [p[code] for p in peers]
        assert row["figures"]["peer"]["mean"] == pytest.approx(
            sum(p[code] for p in peers) / 3)
        assert row["figures"]["line_manager"]["mean"] == manager[code]
        assert row["figures"]["all_others"]["mean"] == pytest.approx(sum(everyone) / 4)
    # threshold: a third of the 1–5 scale's range, 4/3
    assert result["threshold"] == pytest.approx(1.33)
    # SI.1: self 5, others 2.75 → blind spot; SI.2: self 1, others 4 → hidden strength;
    # SI.3: self 3, others 4 → neither
    assert "SI.1" in result["blind_spots"] and "SI.2" in result["hidden_strengths"]
    assert "SI.3" not in result["blind_spots"] + result["hidden_strengths"]
    assert behaviour_row(result, "SI.1")["self"] == PAT_SELF["SI.1"]
    comments = theme_row(result, "SI")["comments"]
    assert sorted(c["text"] for c in comments) == ["peer says 2", "peer says 3", "peer says 4"]
    assert {c["group"] for c in comments} == {"peer"}


def test_with_two_peers_the_peers_are_neither_shown_nor_derivable(client, world):
    rate(world, "line_manager", {"SI.1": 2})
    rate(world, "peer", {"SI.1": 5}, comments={"SI": "secret peer view"})
    rate(world, "peer", {"SI.1": 4})
    close_round(world["cohort_id"])
    result = client.get(REPORT, headers=world["pat"]).json
    assert result["shown_groups"] == ["line_manager"]
    peers = next(g for g in result["groups"] if g["group"] == "peer")
    assert peers["state"] == "left_out" and peers["answered"] == 2
    assert result["all_others"] == {"raters": 1, "groups": ["line_manager"]}
    row = behaviour_row(result, "SI.1")
    assert "peer" not in row["figures"]
    # all others is the line manager alone: nothing of the peers in it
    assert row["figures"]["all_others"] == row["figures"]["line_manager"]
    assert row["figures"]["all_others"]["mean"] == 2
    text = str(result)
    assert "secret peer view" not in text and "4.5" not in text


def test_small_groups_together_at_the_minimum_are_folded_into_all_others(client, world):
    rate(world, "peer", {"SI.1": 5}, comments={"SI": "from a peer"})
    rate(world, "peer", {"SI.1": 4})
    rate(world, "direct_report", {"SI.1": 1})
    close_round(world["cohort_id"])
    result = client.get(REPORT, headers=world["pat"]).json
    assert result["shown_groups"] == []
    assert {g["group"]: g["state"] for g in result["groups"]} == {
        "peer": "in_all_others", "direct_report": "in_all_others"}
    row = behaviour_row(result, "SI.1")
    assert set(row["figures"]) == {"all_others"}
    assert row["figures"]["all_others"]["mean"] == pytest.approx(10 / 3)
    # their comments are shown, without a group
    assert theme_row(result, "SI")["comments"] == [{"group": None, "text": "from a peer"}]


def test_not_observed_thins_a_figure_out_behaviour_by_behaviour(client, world):
    rate(world, "line_manager", {"SI.3": 4})
    rate(world, "peer", {"SI.3": "not_observed"})
    rate(world, "peer", {"SI.3": 5})
    rate(world, "peer", {"SI.3": 2})
    close_round(world["cohort_id"])
    result = client.get(REPORT, headers=world["pat"]).json
    row = behaviour_row(result, "SI.3")
    # two peers gave points on SI.3: their figure is hidden, and so is all others (which
    # less the line manager would be those two)
    assert row["figures"]["peer"] == {"n": 2, "mean": None, "shown": False,
                                      "reason": "fewer than 3 of this group gave points on it"}
    assert row["figures"]["all_others"]["shown"] is False
    assert row["figures"]["line_manager"]["mean"] == 4
    # a theme's figure is the mean of its behaviour figures that are shown: the peers' SI
    # leaves SI.3 out, so it says nothing of the two peers' points there
    theme = theme_row(result, "SI")
    shown = [row["figures"]["peer"]["mean"] for row in theme["behaviours"]
             if row["figures"]["peer"]["shown"]]
    assert len(shown) == 6 and theme["figures"]["peer"]["mean"] == pytest.approx(
        sum(shown) / 6)
    assert theme["figures"]["line_manager"]["mean"] == pytest.approx((4 + 3 * 6) / 7)
    # another behaviour everyone rated is shown as usual
    assert behaviour_row(result, "SI.4")["figures"]["peer"]["mean"] == 3


def test_the_minimum_is_the_programmes(client, world):
    programme = db.session.get(Cohort, world["cohort_id"]).programme
    programme.feedback_min_group = 2
    db.session.commit()
    rate(world, "peer", {"SI.1": 5})
    rate(world, "peer", {"SI.1": 4})
    close_round(world["cohort_id"])
    result = client.get(REPORT, headers=world["pat"]).json
    assert result["shown_groups"] == ["peer"]
    assert behaviour_row(result, "SI.1")["figures"]["peer"]["mean"] == 4.5


def test_the_post_report_gives_the_change_in_others_since_pre(client, world):
    for value in (2, 2, 3):
        rate(world, "peer", {"SI.1": value})
    close_round(world["cohort_id"], "pre")
    open_round(world["cohort_id"], "post")
    for value in (4, 4, 5):
        rate(world, "peer", {"SI.1": value}, phase="post")
    close_round(world["cohort_id"], "post")
    result = client.get(f"{REPORT}?phase=post", headers=world["pat"]).json
    assert behaviour_row(result, "SI.1")["change_since_pre"] == pytest.approx(13 / 3 - 7 / 3)
    assert behaviour_row(result, "SI.2")["change_since_pre"] == pytest.approx(0)


def test_tutors_read_the_report_and_sponsors_never_do(client, world):
    rate(world, "peer")
    close_round(world["cohort_id"])
    path = (f"/api/v1/cohorts/{world['cohort_id']}/participants/{world['pat_id']}"
            "/feedback/report?phase=pre")
    assert client.get(path, headers=world["tutor"]).json["available"] is True
    assert client.get(path, headers=world["admin"]).status_code == 200
    assert client.get(path, headers=world["sponsor"]).status_code == 403
    assert client.get(path, headers=world["outsider"]).status_code == 404
    assert client.get(path, headers=world["quin"]).status_code == 403
    assert client.get(REPORT, headers=world["sponsor"]).status_code == 403


# --- the rules against an attacker, over many random rounds ------------------------------

CODES = ("B.1", "B.2", "B.3")
GROUP_CHOICES = ("line_manager", "peer", "direct_report", "person_supported", "other")


def fake_round(rng: random.Random) -> list[SimpleNamespace]:
    """Raters of random groups with random points (or not observed) on three behaviours."""
    raters = []
    for rater_id in range(rng.randint(1, 9)):
        answers = [SimpleNamespace(behaviour=SimpleNamespace(code=code),
                                   value=rng.choice([None, 1, 2, 3, 4, 5]))
                   for code in CODES]
        raters.append(SimpleNamespace(id=rater_id, rater_group=rng.choice(GROUP_CHOICES),
                                      answers=answers, comments=[]))
    return raters


def leaks(figures: dict, minimum: int, alone_manager: bool) -> list[str]:
    """What an attacker learns about fewer than ``minimum`` raters from shown figures alone:
    a shown group figure on too few people, or "all others" less the shown groups."""
    found = []
    shown = {k: v for k, v in figures.items() if v["shown"] and k != "all_others"}
    for group, figure in shown.items():
        if figure["n"] < minimum and not (group == "line_manager" and alone_manager):
            found.append(f"{group} shown on {figure['n']}")
    others = figures["all_others"]
    if others["shown"]:
        rest = others["n"] - sum(f["n"] for f in shown.values())
        if 0 < rest < minimum:
            found.append(f"all others less shown groups is {rest} raters")
    return found


@pytest.mark.parametrize("minimum", [2, 3, 4])
def test_no_random_round_lets_a_small_group_be_worked_out(minimum):
    rng = random.Random(minimum)  # noqa: S311  (repeatable test data, not a secret)
    for _ in range(3000):
        raters = fake_round(rng)
        answered = Counter(r.rater_group for r in raters)
        round_ = feedback_report.plan_round(raters, answered, minimum)
        alone = answered["line_manager"] == 1
        for code in CODES:
            figures = feedback_report.behaviour_figures(round_, code)
            as_json = {k: v.as_json() for k, v in figures.items()}
            assert not leaks(as_json, minimum, alone), (code, minimum, as_json)
            # and every shown figure is the plain mean of its raters' points
            for key, figure in as_json.items():
                if figure["shown"]:
                    points = [a.value for r in raters for a in r.answers
                              if a.behaviour.code == code and a.value is not None
                              and (key == "all_others" and round_.in_all_others(r)
                                   or r.rater_group == key)]
                    assert figure["mean"] == pytest.approx(sum(points) / len(points))


@pytest.mark.slow  # lays out a PDF (a few seconds)
def test_the_report_as_a_pdf_for_the_participant_and_their_tutor(client, world):
    import io

    from pypdf import PdfReader

    rate(world, "line_manager", {"SI.1": 2})
    for value in (3, 2, 3):
        rate(world, "peer", {"SI.1": value}, comments={"SI": f"peer {value}"})
    pdf = f"/api/v1/cohorts/{world['cohort_id']}/participants/{world['pat_id']}" \
          "/feedback/report.pdf?phase=pre"
    early = client.get(pdf, headers=world["tutor"])
    assert early.status_code == 409 and "closes" in early.json["message"]
    close_round(world["cohort_id"])
    assert client.get(pdf, headers=world["sponsor"]).status_code == 403
    answer = client.get(pdf, headers=world["tutor"])
    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(answer.data))
    text = " ".join(page.extract_text() for page in reader.pages)
    for words in ("Pat Participant", "Line manager (not anonymous)", "Blind spots",
                  "Hidden strengths", "peer 2"):
        assert words in " ".join(text.split()), words
    assert reader.trailer["/Root"]["/Lang"] == "en-GB"
    assert "/StructTreeRoot" in reader.trailer["/Root"]  # tagged
