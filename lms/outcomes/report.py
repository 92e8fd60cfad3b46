"""Building an outcomes report from participants' answers. Pure: no Flask, no SQL.

An ``Answer`` is one participant's answers to one behaviour in each phase: a point of the
scale, ``NA`` ("not applicable", left out of every figure but counted in distributions), or
``None`` (not answered). Rows are behaviours, themes (a participant's theme score is the mean
of the behaviours they answered in it) or the whole framework, each split by group when the
report has a breakdown.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from lms.outcomes.stats import PairedResult, holm, mean, paired_counts

NA = "na"
PHASES = ("pre", "then", "post")
#: name → (before phase, after phase): the programme effect, post against the retrospective
#: baseline, and the response shift.
COMPARISONS = {"post_pre": ("pre", "post"), "post_then": ("then", "post"),
               "then_pre": ("pre", "then")}
LEVELS = ("behaviour", "theme", "framework")


@dataclass(frozen=True)
class Answer:
    """One participant's answers to one behaviour."""

    user_id: int
    behaviour: str
    theme: str
    group: str | None
    pre: int | str | None
    then: int | str | None
    post: int | str | None

    def value(self, phase: str) -> int | str | None:
        """The answer in ``phase``."""
        return getattr(self, phase)


@dataclass
class Cell:
    """One comparison of one row, and whether disclosure control hides it."""

    result: PairedResult
    p_holm: float | None = None
    suppressed: bool = False
    reason: str | None = None


@dataclass
class Row:
    """One line of a report: a behaviour, theme or the framework, for one group."""

    level: str
    code: str
    group: str | None
    cells: dict[str, Cell]
    distribution: dict[str, dict[str, int]]
    #: How many people answered in each phase (a theme row pools several answers a person).
    respondents: dict[str, int]
    #: Phases whose distribution disclosure control hides, with why.
    hidden_distributions: dict[str, str] = field(default_factory=dict)


@dataclass
class Tally:
    """What one row of a report is built from, already counted: per comparison, how many
    people gave each (before, after) pair of scores; per phase, how many answers fell on each
    point (or "na"), and how many people answered at all. The database counts these for real
    reports (lms.outcomes.service); ``tally`` counts them from answers, for the tests."""

    pairs: dict[str, Counter] = field(
        default_factory=lambda: {name: Counter() for name in COMPARISONS})
    answers: dict[str, Counter] = field(
        default_factory=lambda: {phase: Counter() for phase in PHASES})
    respondents: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PHASES, 0))


def score(values: Iterable[int | str | None]) -> float | None:
    """The mean of the points answered (NA and unanswered left out), or None."""
    points = [v for v in values if isinstance(v, int)]
    return mean(points) if points else None


def scores_by_user(answers: Sequence[Answer]) -> dict[int, dict[str, float | None]]:
    """Each participant's score per phase over the given answers."""
    by_user: dict[int, list[Answer]] = defaultdict(list)
    for answer in answers:
        by_user[answer.user_id].append(answer)
    return {user: {phase: score(a.value(phase) for a in rows) for phase in PHASES}
            for user, rows in by_user.items()}


def tally_of(answers: Sequence[Answer]) -> Tally:
    """Count the answers of one row: the reference for what the database counts."""
    result = Tally()
    for scores in scores_by_user(answers).values():
        for name, (before, after) in COMPARISONS.items():
            if scores[before] is not None and scores[after] is not None:
                result.pairs[name][(scores[before], scores[after])] += 1
    for phase in PHASES:
        given = [a for a in answers if a.value(phase) is not None]
        result.answers[phase].update(a.value(phase) for a in given)
        result.respondents[phase] = len({a.user_id for a in given})
    return result


def row_keys(level: str, answer: Answer) -> str:
    """Which row of ``level`` an answer belongs to."""
    return {"behaviour": answer.behaviour, "theme": answer.theme,
            "framework": "framework"}[level]


def tally(answers: Iterable[Answer], level: str) -> dict[tuple[str, str | None], Tally]:
    """A tally per (row code, group) that has answers."""
    buckets: dict[tuple[str, str | None], list[Answer]] = defaultdict(list)
    for answer in answers:
        buckets[(row_keys(level, answer), answer.group)].append(answer)
    return {key: tally_of(rows) for key, rows in buckets.items()}


def build_row(level: str, code: str, group: str | None, counted: Tally,
              scale: Sequence[int]) -> Row:
    """Every figure of one row from its tally."""
    cells = {name: Cell(paired_counts(counted.pairs[name])) for name in COMPARISONS}
    counts = {phase: {**{str(point): counted.answers[phase].get(point, 0) for point in scale},
                      "na": counted.answers[phase].get(NA, 0)} for phase in PHASES}
    return Row(level, code, group, cells, counts, dict(counted.respondents))


def build_report(answers: Iterable[Answer], level: str, codes: Sequence[str],
                 groups: Sequence[str | None], scale: Sequence[int]) -> list[Row]:
    """A report from answers (the reference path; see ``report_from_tallies``)."""
    return report_from_tallies(tally(answers, level), level, codes, groups, scale)


def report_from_tallies(tallies: dict[tuple[str, str | None], Tally], level: str,
                        codes: Sequence[str], groups: Sequence[str | None],
                        scale: Sequence[int]) -> list[Row]:
    """Rows for every code (in ``codes`` order) and group, with Holm-adjusted p-values."""
    rows = [build_row(level, code, group, tallies.get((code, group)) or Tally(), scale)
            for group in groups for code in codes]
    for name in COMPARISONS:
        adjusted = holm([row.cells[name].result.wilcoxon_p for row in rows])
        for row, p in zip(rows, adjusted, strict=True):
            row.cells[name].p_holm = p
    return rows
