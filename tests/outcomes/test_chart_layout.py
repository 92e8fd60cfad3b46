"""Every chart, at the smallest and largest sizes the API allows and with 1, 12 and 60 rows,
keeps all its text inside the figure: nothing a board member reads is cut off at an edge."""

from __future__ import annotations

import itertools

import pytest
from matplotlib import rc_context

from lms.outcomes import charts

SCALE = [1, 2, 3, 4, 5]
SCALE_LABELS = ["Not yet", "Rarely", "Sometimes", "Often", "Consistently"]
#: As long a title as a sponsor's report makes: a programme, three cohorts, a breakdown.
TITLE = ("Leadership for Empowered and Healthy Communities Programme: Spring cohort 2027, "
         "Autumn cohort 2026 and Winter cohort 2026, by organisation type")
STATEMENT = ("Engages the whole workforce, people who use services and the wider community "
             "in developing a vision for a better future.")
#: The API's limits on width and height (lms.outcomes.chart_api), and its default.
SIZES = [(300, 200), (900, 600), (2400, 3000)]


def comparison(suppressed: bool) -> dict:
    """A comparison's figures, or its suppression."""
    if suppressed:
        return {"suppressed": True, "reason": "fewer than 5 people"}
    return {"suppressed": False, "reason": None, "n": 12, "mean_before": 2.4,
            "mean_after": 3.6, "mean_change": 1.2, "d_z": 0.8, "d_z_ci_low": 0.2,
            "d_z_ci_high": 1.4}


def distribution(suppressed: bool) -> dict:
    """Answers per scale point, or their suppression."""
    if suppressed:
        return {"suppressed": True, "reason": "fewer than 5 people"}
    return {"suppressed": False, "people": 12,
            "counts": {"1": 1, "2": 3, "3": 4, "4": 3, "5": 1}}


def chart_data(name: str, rows: int) -> dict:
    """A chart's data with ``rows`` rows, every seventh one suppressed."""
    hidden = [i % 7 == 3 for i in range(rows)]
    scale = {"title": TITLE, "scale": SCALE, "scale_labels": SCALE_LABELS}
    if name == "likert":
        return {**scale, "rows": [
            {"label": f"SI.{i} {STATEMENT}", "distribution": {
                "pre": distribution(hidden[i]), "post": distribution(False)}}
            for i in range(rows)]}
    if name == "behaviours":
        return {**scale, "theme_boundaries": [rows // 2], "rows": [
            {"code": f"SI.{i}", "statement": STATEMENT, "n": 12,
             "post_pre": comparison(hidden[i]), "post_then": comparison(False)}
            for i in range(rows)]}
    if name == "effects":
        return {"title": TITLE, "comparison": "post_pre", "rows": [
            {"label": f"Independent provider of care {i}", "n": 12,
             "post_pre": comparison(hidden[i])} for i in range(rows)]}
    if name == "progress":
        return {"title": TITLE, "weeks": [
            {"week": f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}", "completions": i,
             "submissions": i % 3} for i in range(rows)]}
    if name == "engagement":
        figures = [{"key": f"module:{i}", "title": f"Module {i}: {STATEMENT}"}
                   for i in range(rows)]
        return {"title": TITLE, "figures": figures, "rows": [
            {"label": f"Cohort {c} · Clinical commissioning group (CCG)", "enrolled": 12,
             "figures": {f["key"]: {"suppressed": False, "count": 6, "share": 0.5}
                         if i % 7 != 3 else {"suppressed": True, "reason": "few"}
                         for i, f in enumerate(figures)}} for c in range(3)]}
    return {**scale, "behaviours": [
        {"code": f"SI.{i}", "statement": STATEMENT, "pre": "na" if i % 5 == 1 else 2,
         "then": 2, "post": "na" if i % 5 == 1 else 4,
         "cohort": {"suppressed": hidden[i], "mean_pre": 2.5, "mean_post": 3.5}}
        for i in range(rows)]}


@pytest.mark.slow
@pytest.mark.parametrize(("name", "rows", "size"),
                         list(itertools.product(charts.NAMES, (1, 12, 60), SIZES)))
def test_no_text_of_a_chart_falls_outside_it(name, rows, size):
    with rc_context(charts.RC):
        fig = charts.drawn(charts.DRAW[name], chart_data(name, rows), *size)
        assert charts.texts_outside(fig) == []


def test_the_check_does_find_text_outside():
    """The check can fail: a label placed past the right edge is found."""
    with rc_context(charts.RC):
        fig = charts.drawn(charts.DRAW["effects"], chart_data("effects", 1), 900, 600)
        fig.text(0.98, 0.5, "a label that runs off the edge")
        assert charts.texts_outside(fig) == ["a label that runs off the edge"]


def test_heights_grow_with_the_rows():
    assert charts.chart_height("behaviours", chart_data("behaviours", 60), 600) > 600
    assert charts.chart_height("behaviours", chart_data("behaviours", 12), 600) == 600


def test_groups_are_labelled_with_their_titles():
    from lms.cohorts.models import ORGANISATION_TYPES, SECTORS
    from lms.outcomes.service import group_labels

    types = group_labels("organisation_type", [])
    assert set(types) == set(ORGANISATION_TYPES)
    assert types["nhs_trust"] == "NHS trust" and types["ccg"].startswith("Clinical")
    assert "_" not in " ".join(types.values())
    assert set(group_labels("sector", [])) == set(SECTORS)
    assert group_labels("sector", [])["both"] == "Commissioning and providing"


@pytest.mark.parametrize("name", ["likert", "effects"])
def test_a_chart_with_nothing_to_draw_says_why_and_a_note_says_what_is_left_out(name):
    empty = {**chart_data(name, 0),
             "empty": "No paired answers yet: the post self-assessment opens on 10 March 2027."}
    noted = {**chart_data(name, 3), "note": "Left out: 53 rows with too few people to show."}
    with rc_context(charts.RC):
        for data, words in ((empty, "No paired answers yet"), (noted, "Left out: 53 rows")):
            fig = charts.drawn(charts.DRAW[name], data, 300, 200)
            texts = [t.get_text().replace("\n", " ") for t in fig.findobj(
                lambda a: hasattr(a, "get_text") and hasattr(a, "get_window_extent"))]
            assert any(words in text for text in texts)
            assert charts.texts_outside(fig) == []
    assert charts.DESCRIBE[name](empty).summary.startswith("No paired answers yet") or \
        name == "likert"


def test_rows_with_nothing_to_show_are_left_out_of_the_charts_data(client, programme_data):
    from lms.outcomes.chart_data import left_out_note

    assert left_out_note(0, 0) is None
    assert left_out_note(2, 1) == ("Left out: rows with too few people to show (1) and rows "
                                   "with no answers (2).")
    a = programme_data["a"]
    described = client.get(f"/api/v1/cohorts/{a.id}/charts/effects.json?breakdown="
                           "organisation_type", headers=programme_data["headers"]["sponsor"])
    assert described.status_code == 200
    summary = described.get_json()["summary"]
    assert "Left out:" in summary  # most organisation types have no one in this cohort


def test_the_profile_says_not_applicable_and_keeps_its_end_markers():
    data = chart_data("profile", 3)
    data["behaviours"][0].update(pre="na", then=None, post="na")
    data["behaviours"][1].update(pre=2, post=4)
    data["behaviours"][2].update(then="na")
    with rc_context(charts.RC):
        fig = charts.drawn(charts.DRAW["profile"], data, 900, 600)
    said = [text.get_text() for text in fig.axes[0].texts]
    assert said == ["not applicable", "not applicable (then)"]
    # The first and last rows' markers sit half a row from the edge: drawn, not clipped.
    assert all(not collection.get_clip_on() for collection in fig.axes[0].collections[1:])
    labels = [label.get_text() for label in fig.axes[0].get_yticklabels()]
    assert labels[0].startswith("SI.0 Engages the whole workforce")


@pytest.mark.parametrize("name", ["likert", "engagement"])
def test_what_a_chart_leaves_out_is_said_over_its_legend_not_on_it(name):
    data = {**chart_data(name, 3), "note": "Left out: 4 rows with too few people to show."}
    with rc_context(charts.RC):
        fig = charts.drawn(charts.DRAW[name], data, 900, 600)
    [legend] = fig.legends
    assert legend.get_title().get_text() == data["note"]
    assert fig._supxlabel is None  # no second text laid over the legend
