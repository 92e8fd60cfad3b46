"""Building an outcomes report from participants' answers. Pure: no Flask, no SQL.

An ``Answer`` is one participant's answers to one behaviour in each phase: a point of the
scale, ``NA`` ("not applicable", left out of every figure but counted in distributions), or
``None`` (not answered). Rows are behaviours, themes (a participant's theme score is the mean
of the behaviours they answered in it) or the whole framework, each split by group when the
report has a breakdown.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from lms.outcomes.stats import PairedResult, distribution, holm, mean, paired

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


def score(values: Iterable[int | str | None]) -> float | None:
    """The mean of the points answered (NA and unanswered left out), or None."""
    points = [v for v in values if isinstance(v, int)]
    return mean(points) if points else None


def pairs_of(scores: dict[int, dict[str, float | None]], before: str,
             after: str) -> list[tuple[float, float]]:
    """(before, after) for every participant who has both, in a stable order."""
    return [(s[before], s[after]) for _user, s in sorted(scores.items())
            if s[before] is not None and s[after] is not None]


def scores_by_user(answers: Sequence[Answer]) -> dict[int, dict[str, float | None]]:
    """Each participant's score per phase over the given answers."""
    by_user: dict[int, list[Answer]] = defaultdict(list)
    for answer in answers:
        by_user[answer.user_id].append(answer)
    return {user: {phase: score(a.value(phase) for a in rows) for phase in PHASES}
            for user, rows in by_user.items()}


def build_row(level: str, code: str, group: str | None, answers: Sequence[Answer],
              scale: Sequence[int]) -> Row:
    """Every figure of one row from the answers it covers."""
    scores = scores_by_user(answers)
    cells = {name: Cell(paired(pairs_of(scores, before, after)))
             for name, (before, after) in COMPARISONS.items()}
    counts = {phase: distribution((a.value(phase) if a.value(phase) != NA else None
                                   for a in answers if a.value(phase) is not None), scale)
              for phase in PHASES}
    respondents = {phase: len({a.user_id for a in answers if a.value(phase) is not None})
                   for phase in PHASES}
    return Row(level, code, group, cells, counts, respondents)


def row_keys(level: str, answer: Answer) -> str:
    """Which row of ``level`` an answer belongs to."""
    return {"behaviour": answer.behaviour, "theme": answer.theme,
            "framework": "framework"}[level]


def build_report(answers: Iterable[Answer], level: str, codes: Sequence[str],
                 groups: Sequence[str | None], scale: Sequence[int]) -> list[Row]:
    """Rows for every code (in ``codes`` order) and group, with Holm-adjusted p-values."""
    buckets: dict[tuple[str, str | None], list[Answer]] = defaultdict(list)
    for answer in answers:
        buckets[(row_keys(level, answer), answer.group)].append(answer)
    rows = [build_row(level, code, group, buckets.get((code, group), []), scale)
            for group in groups for code in codes]
    for name in COMPARISONS:
        adjusted = holm([row.cells[name].result.wilcoxon_p for row in rows])
        for row, p in zip(rows, adjusted, strict=True):
            row.cells[name].p_holm = p
    return rows
