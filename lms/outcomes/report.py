"""Building an outcomes report from participants' answers. Pure: no Flask, no SQL.

An ``Answer`` is one participant's answers to one behaviour in each phase: a point of the
scale, ``NA`` ("not applicable", left out of every figure but counted in distributions), or
``None`` (not answered). Rows are behaviours, themes (a participant's theme score is the mean
of the behaviours they answered in it) or the whole framework, each split by group when the
report has a breakdown. Rows of a linked framework (``linked``) are the headings of the NHS
Leadership Framework, the Hay Group CCG model or the LQF that the themes link to, a person's
score being the mean of their answers to the behaviours of the linked themes.

Theme, framework and linked rows also carry reliable change: how many of the people paired
post − pre changed by more than the scale's measurement error (lms.outcomes.reliability), by
the threshold worked out from the programme's pre answers for that row.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from lms.outcomes.reliability import (
    DECLINED,
    IMPROVED,
    NO_CHANGE,
    Alpha,
    classify,
    reliable_change_index,
)
from lms.outcomes.stats import PairedResult, holm, mean, paired_many

NA = "na"
PHASES = ("pre", "then", "post")
#: name → (before phase, after phase): the programme effect, post against the retrospective
#: baseline, and the response shift.
COMPARISONS = {"post_pre": ("pre", "post"), "post_then": ("then", "post"),
               "then_pre": ("pre", "then")}
LEVELS = ("behaviour", "theme", "framework", "linked")
#: The levels whose rows follow from the answers alone (a linked report also needs the
#: links: the database joins them; see lms.outcomes.scope).
ANSWER_LEVELS = ("behaviour", "theme", "framework")
#: Levels whose rows are scales of several behaviours: they carry reliability and reliable
#: change.
SCALE_LEVELS = ("theme", "framework", "linked")


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
    #: A linked heading's themes (None for other levels).
    themes: list[str] | None = None
    #: Cronbach's alpha per phase (scale levels only), and the phases hidden, with why.
    reliability: dict[str, Alpha] | None = None
    hidden_reliability: dict[str, str] = field(default_factory=dict)
    #: Of the people paired post − pre: how many changed reliably (None: not available).
    reliable_change: dict[str, int] | None = None


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

    def add(self, other: Tally, figures=(*COMPARISONS, *PHASES)) -> None:
        """Count another group's people in with these (groups never share a person), in the
        comparisons and phases named in ``figures`` only."""
        for name in COMPARISONS:
            if name in figures:
                self.pairs[name].update(other.pairs[name])
        for phase in PHASES:
            if phase in figures:
                self.answers[phase].update(other.answers[phase])
                self.respondents[phase] += other.respondents[phase]


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
    """Which row of ``level`` an answer belongs to (linked rows are not built from answers
    here: the database joins the headings)."""
    return {"behaviour": answer.behaviour, "theme": answer.theme,
            "framework": "framework"}[level]


def tally(answers: Iterable[Answer], level: str) -> dict[tuple[str, str | None], Tally]:
    """A tally per (row code, group) that has answers."""
    buckets: dict[tuple[str, str | None], list[Answer]] = defaultdict(list)
    for answer in answers:
        buckets[(row_keys(level, answer), answer.group)].append(answer)
    return {key: tally_of(rows) for key, rows in buckets.items()}


def build_row(level: str, code: str, group: str | None, counted: Tally, cells: dict[str, Cell],
              scale: Sequence[int]) -> Row:
    """A row from its tally and its already computed cells."""
    counts = {phase: {**{str(point): counted.answers[phase].get(point, 0) for point in scale},
                      "na": counted.answers[phase].get(NA, 0)} for phase in PHASES}
    return Row(level, code, group, cells, counts, dict(counted.respondents))


def reliable_changes(pairs: Counter, threshold: float | None) -> dict[str, int] | None:
    """How many pairs (pre, post) changed reliably up, not reliably, reliably down."""
    if threshold is None:
        return None
    counts = dict.fromkeys((IMPROVED, NO_CHANGE, DECLINED), 0)
    for (before, after), count in pairs.items():
        counts[classify(reliable_change_index(after - before, threshold))] += count
    return counts


def build_report(answers: Iterable[Answer], level: str, codes: Sequence[str],
                 groups: Sequence[str | None], scale: Sequence[int]) -> list[Row]:
    """A report from answers (the reference path; see ``report_from_tallies``)."""
    return report_from_tallies(tally(answers, level), level, codes, groups, scale)


def report_from_tallies(tallies: dict[tuple[str, str | None], Tally], level: str,
                        codes: Sequence[str], groups: Sequence[str | None],
                        scale: Sequence[int],
                        thresholds: dict[str, float | None] | None = None) -> list[Row]:
    """Rows for every code (in ``codes`` order) and group, with Holm-adjusted p-values, and
    reliable change where ``thresholds`` gives a row's S_diff."""
    keys = [(code, group) for group in groups for code in codes]
    counted = [tallies.get(key) or Tally() for key in keys]
    # Every cell of the report at once: the d_z intervals are found in one vectorised search.
    results = iter(paired_many([c.pairs[name] for c in counted for name in COMPARISONS]))
    rows = []
    for (code, group), tallied in zip(keys, counted, strict=True):
        cells = {name: Cell(next(results)) for name in COMPARISONS}
        row = build_row(level, code, group, tallied, cells, scale)
        if thresholds is not None:
            row.reliable_change = reliable_changes(tallied.pairs["post_pre"],
                                                   thresholds.get(code))
        rows.append(row)
    for name in COMPARISONS:
        adjusted = holm([row.cells[name].result.wilcoxon_p for row in rows])
        for row, p in zip(rows, adjusted, strict=True):
            row.cells[name].p_holm = p
    return rows
