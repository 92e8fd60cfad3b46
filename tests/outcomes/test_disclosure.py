"""Property: no sponsor answer ever reveals a group under the minimum, directly or by
subtracting what it shows from a total another answer shows."""

from __future__ import annotations

from collections import defaultdict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lms.outcomes.disclosure import suppress
from lms.outcomes.report import (
    ANSWER_LEVELS,
    COMPARISONS,
    NA,
    PHASES,
    Answer,
    build_report,
)

SCALE = [1, 2, 3, 4, 5]
BEHAVIOURS = {"SI.1": "SI", "SI.2": "SI", "FC.1": "FC"}
answer_value = st.one_of(st.none(), st.just(NA), st.integers(1, 5))


@st.composite
def cohorts(draw):
    """Random participants, in random groups, with random answers (some missing or NA)."""
    groups = draw(st.lists(st.sampled_from(["front_line", "manager", "senior_leader",
                                            "cohort 2", "other"]),
                           min_size=1, max_size=4, unique=True))
    people = draw(st.integers(min_value=0, max_value=30))
    answers = []
    for user in range(people):
        group = draw(st.sampled_from(groups))
        for code, theme in BEHAVIOURS.items():
            answers.append(Answer(user, code, theme, group, draw(answer_value),
                                  draw(answer_value), draw(answer_value)))
    return groups, answers


def codes_for(level):
    return {"behaviour": list(BEHAVIOURS), "theme": ["SI", "FC"], "framework": ["framework"]}[
        level]


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(cohorts(), st.sampled_from(ANSWER_LEVELS), st.integers(min_value=2, max_value=8),
       st.booleans())
def test_no_answer_reveals_a_group_under_the_minimum(cohort, level, minimum, broken_down):
    groups, answers = cohort
    if not broken_down:
        answers = [Answer(a.user_id, a.behaviour, a.theme, None, a.pre, a.then, a.post)
                   for a in answers]
        groups = [None]
    rows = suppress(build_report(answers, level, codes_for(level), groups, SCALE), minimum)
    by_code = defaultdict(list)
    for row in rows:
        by_code[row.code].append(row)
    for same_code in by_code.values():
        for name in COMPARISONS:
            cells = [row.cells[name] for row in same_code]
            for cell in cells:
                if not cell.suppressed:
                    assert cell.result.n >= minimum  # shown: big enough on its own
            hidden = sum(c.result.n for c in cells if c.suppressed)
            # What a sponsor can work out by subtraction (total − shown) is a group of
            # `hidden` people: none at all, or at least the minimum. If nothing is shown,
            # the difference is the total itself, which its own answer suppresses if small.
            assert hidden == 0 or hidden >= minimum or all(c.suppressed for c in cells)
        for phase in PHASES:
            for row in same_code:
                if phase not in row.hidden_distributions:
                    assert row.respondents[phase] >= minimum
            hidden = sum(r.respondents[phase] for r in same_code
                         if phase in r.hidden_distributions)
            assert hidden == 0 or hidden >= minimum or all(
                phase in r.hidden_distributions for r in same_code)


def test_a_small_group_is_suppressed_with_a_reason_and_its_neighbour_protects_it():
    # Six managers and two senior leaders, everyone improving by one point.
    answers = [Answer(u, "SI.1", "SI", "manager", 2, 2, 3) for u in range(6)]
    answers += [Answer(10 + u, "SI.1", "SI", "senior_leader", 2, 2, 3) for u in range(2)]
    answers += [Answer(20 + u, "SI.1", "SI", "front_line", 2, 2, 4) for u in range(7)]
    rows = suppress(build_report(answers, "behaviour", ["SI.1"],
                                 ["front_line", "manager", "senior_leader"], SCALE), 5)
    cells = {row.group: row.cells["post_pre"] for row in rows}
    assert cells["senior_leader"].suppressed and "fewer than 5" in cells["senior_leader"].reason
    # 2 hidden people could be worked out from the total: the next smallest (6) goes too.
    assert cells["manager"].suppressed and "worked out" in cells["manager"].reason
    assert not cells["front_line"].suppressed
    assert cells["front_line"].result.mean_change == 2


def test_without_a_breakdown_nothing_extra_is_hidden():
    answers = [Answer(u, "SI.1", "SI", None, 2, 2, 3) for u in range(5)]
    rows = suppress(build_report(answers, "behaviour", ["SI.1"], [None], SCALE), 5)
    assert not rows[0].cells["post_pre"].suppressed
    assert rows[0].cells["post_pre"].result.n == 5


def test_theme_scores_are_means_of_answered_behaviours_and_na_is_left_out():
    answers = [Answer(1, "SI.1", "SI", None, 2, 2, 4), Answer(1, "SI.2", "SI", None, 4, NA, NA),
               Answer(2, "SI.1", "SI", None, 1, None, 2), Answer(2, "SI.2", "SI", None, NA, 1, 3)]
    row = build_report(answers, "theme", ["SI"], [None], SCALE)[0]
    post_pre = row.cells["post_pre"].result
    # User 1: pre (2+4)/2 = 3, post 4. User 2: pre 1, post (2+3)/2 = 2.5.
    assert post_pre.n == 2
    assert post_pre.mean_before == 2 and post_pre.mean_after == 3.25
    then_pre = row.cells["then_pre"].result
    assert then_pre.n == 2 and then_pre.mean_after == 1.5  # then: user 1 → 2, user 2 → 1
    assert row.distribution["pre"] == {"1": 1, "2": 1, "3": 0, "4": 1, "5": 0, "na": 1}
    assert row.respondents == {"pre": 2, "then": 2, "post": 2}
