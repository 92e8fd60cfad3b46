"""What a few people contribute to their cohort's kept outcome counts, worked out in Python
from their answers (lms.outcomes.kept).

A submission changes one person's contribution, and the report's own statement (six of
them, one per kept level) takes some 40 ms of planning and executing for one person, more
than a submission may cost when 20 arrive a second. This module reads the person's answers
once (one query, and two for the framework's shape) and counts exactly what the statement
would count for them, key by key. `tests/outcomes/test_kept.py` holds the kept counts to the
statement's recount after every kind of write, so the two cannot drift apart unseen.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from lms.core.extensions import db
from lms.framework.models import Behaviour, ExternalFramework, ExternalHeading, Theme, ThemeLink
from lms.outcomes.report import COMPARISONS, PHASES
from lms.ratings.models import Assessment, Rating

NONE = -1  # NULL in a key column (lms.outcomes.kept.NONE)


@dataclass
class Shape:
    """The framework as the counts need it: each behaviour's code, theme and whether
    everyone is asked it; each linked framework's headings per theme (a heading once per
    link); and how many behaviours asked of everyone each scale row has."""

    code: dict[int, str]
    theme: dict[int, str]
    everyone: set[int]
    headings: dict[str, dict[str, list[str]]]
    items: dict[str, dict[str, int]]

    def units(self, variant: str, behaviour: int) -> list[str]:
        """The rows of ``variant`` an answer to ``behaviour`` counts in."""
        if variant == "behaviour":
            return [self.code[behaviour]]
        if variant == "theme":
            return [self.theme[behaviour]]
        if variant == "framework":
            return ["framework"]
        return self.headings.get(variant.partition(":")[2], {}).get(self.theme[behaviour], [])


def framework_shape(variants: Sequence[str]) -> Shape:
    """The framework's shape (two queries)."""
    behaviours = db.session.execute(
        sa.select(Behaviour.id, Behaviour.code, Theme.code, Behaviour.applies_to)
        .join(Theme, Behaviour.theme_id == Theme.id)).all()
    links = db.session.execute(
        sa.select(ExternalFramework.code, Theme.code, ExternalHeading.title)
        .select_from(ThemeLink).join(Theme, ThemeLink.theme_id == Theme.id)
        .join(ExternalHeading, ThemeLink.heading_id == ExternalHeading.id)
        .join(ExternalFramework,
              ExternalHeading.external_framework_id == ExternalFramework.id)).all()
    headings: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for framework, theme, title in links:
        headings[framework][theme].append(title)
    shape = Shape(code={b: code for b, code, _t, _a in behaviours},
                  theme={b: theme for b, _c, theme, _a in behaviours},
                  everyone={b for b, _c, _t, applies in behaviours if applies == "all"},
                  headings={k: dict(v) for k, v in headings.items()}, items={})
    for variant in variants:
        found: dict[str, set[int]] = defaultdict(set)
        for behaviour in shape.everyone:
            for unit in shape.units(variant, behaviour):
                found[unit].add(behaviour)
        shape.items[variant] = {unit: len(items) for unit, items in found.items()}
    return shape


#: One answer: (self-assessment id, phase, behaviour id, value or None for "not applicable").
Answer = tuple[int, str, int, int | None]


def answers_of(cohort_id: int, people: Iterable[int]) -> dict[int, list[Answer]]:
    """The submitted answers of ``people`` in one cohort, by person (one query)."""
    found: dict[int, list[Answer]] = defaultdict(list)
    for user_id, aid, phase, behaviour, value in db.session.execute(
            sa.select(Assessment.user_id, Assessment.id, Assessment.phase,
                      Rating.behaviour_id, Rating.value)
            .join(Rating, Rating.assessment_id == Assessment.id)
            .where(Assessment.cohort_id == cohort_id, Assessment.status == "submitted",
                   Assessment.user_id.in_(sorted(set(people))))):
        found[user_id].append((aid, phase, behaviour, value))
    return found


class Counts:
    """Kept keys and their sums (s1, s2, s3, n), added up."""

    def __init__(self) -> None:
        self.sums: dict[tuple, list[int]] = {}

    def add(self, key: tuple, s1: int = 0, s2: int = 0, s3: int = 0, n: int = 0) -> None:
        """Add to one key."""
        sums = self.sums.setdefault(key, [0, 0, 0, 0])
        sums[0] += s1
        sums[1] += s2
        sums[2] += s3
        sums[3] += n

    def result(self) -> dict[tuple, tuple[int, int, int, int]]:
        """Every key whose sums are not all nothing."""
        return {key: tuple(sums) for key, sums in self.sums.items() if any(sums)}


def contribution(cohort_id: int, people: Sequence[int], variants: Sequence[str]
                 ) -> dict[tuple, tuple[int, int, int, int]]:
    """What ``people`` of one cohort contribute to the kept counts of ``variants``."""
    shape = framework_shape(variants)
    counts = Counts()
    for answers in answers_of(cohort_id, people).values():
        for variant in variants:
            count_person(counts, variant, shape, answers)
    return counts.result()


def count_person(counts: Counts, variant: str, shape: Shape, answers: list[Answer]) -> None:
    """One person's counts at one level: as the report's statement counts them."""
    rows = [(unit, aid, phase, behaviour, value) for aid, phase, behaviour, value in answers
            for unit in shape.units(variant, behaviour)]
    count_flow(counts, variant, answers)
    if not rows:
        return
    counts.add((variant, "people", "", "", NONE, NONE, NONE, NONE), n=1)
    by_unit: dict[str, list[tuple]] = defaultdict(list)
    for row in rows:
        by_unit[row[0]].append(row)
        counts.add((variant, "answers", row[0], row[2], NONE if row[4] is None else row[4],
                    NONE, NONE, NONE), n=1)
    for unit, unit_rows in by_unit.items():
        count_scores(counts, variant, unit, unit_rows)
    if variant != "behaviour":
        count_alpha(counts, variant, shape, rows)


def count_scores(counts: Counts, variant: str, unit: str, rows: list[tuple]) -> None:
    """A person's score on one row in each phase, paired per comparison, and the phases
    they answered at all."""
    sums, points, answered = dict.fromkeys(PHASES, 0), dict.fromkeys(PHASES, 0), set()
    for _unit, _aid, phase, _behaviour, value in rows:
        answered.add(phase)
        if value is not None:
            sums[phase] += value
            points[phase] += 1
    for name, (before, after) in COMPARISONS.items():
        if points[before] and points[after]:
            counts.add((variant, name, unit, "", sums[before], points[before], sums[after],
                        points[after]), n=1)
    for phase in answered:
        counts.add((variant, "respondents", unit, phase, NONE, NONE, NONE, NONE), n=1)


def count_alpha(counts: Counts, variant: str, shape: Shape, rows: list[tuple]) -> None:
    """Alpha's moments: each complete self-assessment's items and total on each scale row
    (complete: points on every behaviour of the row asked of everyone)."""
    per_scale: dict[tuple, list[tuple]] = defaultdict(list)
    for row in rows:
        if row[3] in shape.everyone:
            per_scale[(row[1], row[0])].append(row)
    for (_aid, unit), scale_rows in per_scale.items():
        given = [row for row in scale_rows if row[4] is not None]
        if len(given) != shape.items[variant].get(unit):
            continue
        phase = scale_rows[0][2]
        total = sum(row[4] for row in given)
        for _unit, _aid2, _phase, behaviour, value in given:
            counts.add((variant, "alpha_item", unit, phase, behaviour, NONE, NONE, NONE),
                       value, value * value, 0, 1)
        counts.add((variant, "alpha_total", unit, phase, NONE, NONE, NONE, NONE),
                   total, total * total, 0, 1)


def count_flow(counts: Counts, variant: str, answers: list[Answer]) -> None:
    """The flow's counts over every answer of the person once: their pre points (attrition)
    and whether they have points in both phases of each comparison (pairing)."""
    points = dict.fromkeys(PHASES, 0)
    pre_sum, posted = 0, 0
    for _aid, phase, _behaviour, value in answers:
        posted = posted or int(phase == "post")
        if value is not None:
            points[phase] += 1
            if phase == "pre":
                pre_sum += value
    if points["pre"]:
        counts.add((variant, "attrition", "", "", pre_sum, points["pre"], posted, NONE), n=1)
    paired = [int(bool(points[before] and points[after])) for before, after
              in COMPARISONS.values()]
    counts.add((variant, "paired", "", "", NONE, NONE, NONE, NONE), *paired)
