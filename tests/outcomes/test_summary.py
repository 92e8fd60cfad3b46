"""The plain-English summary: its words follow from the figures alone, say what each figure
means, and never describe a suppressed one or a count worked out by subtraction."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from lms.outcomes.summary import (
    headline_sentence,
    my_themes,
    shift_sentence,
    summarise,
    theme_sentence,
    who_sentences,
)

TITLES = {"SI": "Strategic intent", "FC": "Facilitative and collaborative style"}
SCALE = [1, 2, 3, 4, 5]


def cell(n=10, change=1.02, low=0.66, high=1.37, d_z=2.03, p=0.0156, improved=0.9):
    return {"suppressed": False, "reason": None, "n": n, "mean_change": change,
            "ci_low": low, "ci_high": high, "d_z": d_z, "p_holm": p, "wilcoxon_p": p,
            "improved": improved}


HIDDEN = {"suppressed": True, "reason": "fewer than 5 paired participants"}


def flow(enrolled=16, paired=10, post=10, withdrawn=0, reopened=0):
    return {"enrolled": enrolled, "withdrawn": withdrawn, "erased": 0,
            "phases": {"pre": {"started": 16, "submitted": 16, "reopened": 0},
                       "then": {"started": post, "submitted": post, "reopened": 0},
                       "post": {"started": post, "submitted": post, "reopened": reopened}},
            "paired": {"post_pre": paired, "post_then": paired, "then_pre": paired},
            "attrition": {"suppressed": True, "reason": "fewer than 5 people"}}


def report(rows, protect=True, suppressed=0, held_back=(), the_flow=None):
    return {"rows": rows, "disclosure_control": protect, "min_group_size": 5,
            "suppressed_cells": suppressed, "held_back": list(held_back),
            "flow": the_flow or flow()}


def test_a_theme_reads_as_its_figures():
    said = theme_sentence("Strategic intent (SI)", cell())
    assert said == ("Strategic intent (SI): participants rated themselves 1.02 points higher "
                    "on average at the end than at the start (the true average most likely "
                    "lies between 0.66 and 1.37); 9 of 10 improved. It is a large change, and "
                    "unlikely to be chance alone.")


def test_effect_sizes_and_chance_are_put_in_words():
    assert "a negligible change" in theme_sentence("X", cell(d_z=0.1, p=0.6))
    assert "could well be chance" in theme_sentence("X", cell(d_z=0.1, p=0.6))
    assert "a small change" in theme_sentence("X", cell(d_z=0.3))
    assert "a medium-sized change" in theme_sentence("X", cell(d_z=0.6))
    assert "very unlikely to be chance alone" in theme_sentence("X", cell(p=0.004))
    lower = theme_sentence("X", cell(change=-0.5, low=-0.9, high=-0.1, d_z=-0.7))
    assert "0.50 points lower" in lower and "a medium-sized change" in lower


def test_nothing_to_say_is_said_plainly():
    assert "nobody has yet rated themselves" in theme_sentence("X", cell(n=0))
    assert theme_sentence("X", HIDDEN) == ("X: not shown, to protect small groups (fewer "
                                            "than 5 paired participants).")
    assert "not shown" in headline_sentence(HIDDEN, SCALE)
    assert "no change to report" in headline_sentence(cell(n=0), SCALE)


def test_the_response_shift_says_which_way_to_read_the_effect():
    down = shift_sentence(cell(change=-0.27), cell(change=1.18))
    assert "0.27 points lower" in down and "understates" in down
    assert "1.18 points higher" in down
    assert "may overstate" in shift_sentence(cell(change=0.4), None)
    assert "no response shift" in shift_sentence(cell(change=0.01), None)
    assert "cannot be judged yet" in shift_sentence(cell(n=0), None)
    assert "not shown" in shift_sentence(HIDDEN, None)


def test_who_is_missing_is_given_as_reasons_never_as_a_difference():
    said = " ".join(who_sentences(flow(enrolled=16, paired=13, post=13, withdrawn=5,
                                       reopened=6), 5))
    assert "13 participants" in said and "of 16 enrolled" in said
    assert "5 withdrew" in said and "reopened" in said
    assert "3" not in re.sub(r"13", "", said)  # 16 − 13 is never written
    hidden = who_sentences({**flow(), "enrolled": None, "paired": {"post_pre": None}}, 5)
    assert "fewer than 5 participants" in hidden[0] and "of fewer than 5 enrolled" in hidden[0]


def test_what_is_hidden_is_said_for_sponsors_and_tutors_are_warned():
    protected = summarise(report([], suppressed=3,
                                 held_back=[{"cohort_id": 2, "rows": [], "breakdown": None,
                                             "reason": "no figures released yet"}]),
                          report([]), TITLES, SCALE, {2: "Spring cohort"})
    said = " ".join(protected.hidden)
    assert "3 are held back" in said
    assert "Spring cohort has no released figures yet" in said
    open_report = summarise(report([], protect=False), report([], protect=False), TITLES,
                            SCALE, {})
    assert "not under disclosure control" in " ".join(open_report.hidden)


cells = st.one_of(
    st.just(HIDDEN),
    st.builds(cell, n=st.integers(0, 40), change=st.floats(-4, 4), low=st.floats(-5, 0),
              high=st.floats(0, 5), d_z=st.one_of(st.none(), st.floats(-6, 6)),
              p=st.floats(0, 1), improved=st.floats(0, 1)))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["SI", "FC"]), cells, cells, cells),
                min_size=1, max_size=2))
def test_the_same_figures_give_the_same_words_and_suppressed_ones_none(rows):
    theme_rows = [{"code": code, "group": None, "post_pre": a, "post_then": b, "then_pre": c}
                  for code, a, b, c in rows]
    framework = report([{"code": "framework", **theme_rows[0]}])
    first = summarise(report(theme_rows), framework, TITLES, SCALE, {})
    again = summarise(report(theme_rows), framework, TITLES, SCALE, {})
    assert first == again
    for row, sentence in zip(theme_rows, first.themes, strict=True):
        if row["post_pre"].get("suppressed"):
            # Only the reason's own number (the minimum) may appear: no figure of the row.
            assert re.findall(r"\d+(?:\.\d+)?", sentence) == ["5"], sentence


def test_my_themes_average_my_own_points_and_leave_out_not_applicable():
    rows = [{"code": "SI.1", "theme": "SI", "pre": 2, "then": 1, "post": 4},
            {"code": "SI.2", "theme": "SI", "pre": 3, "then": None, "post": 3},
            {"code": "SI.3", "theme": "SI", "pre": "na", "then": "na", "post": 5},
            {"code": "FC.1", "theme": "FC", "pre": 4, "then": None, "post": None}]
    si, fc = my_themes(rows, TITLES)
    assert (si["pre"], si["then"], si["post"]) == (2.5, 1.0, 4.0)
    assert (si["higher"], si["compared"]) == (1, 2)
    assert si["sentence"] == ("Strategic intent: from 2.5 at the start to 4.0 at the end on "
                              "average; higher on 1 of 2 behaviours.")
    assert fc["sentence"] == "Facilitative and collaborative style: 4.0 on average at the start."
