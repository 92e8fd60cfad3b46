"""Themes, the framework and linked headings as scales: Cronbach's alpha per phase counted in
SQL, and the reliable-change threshold from the programme's pre answers.

Alpha needs the same items from everyone, so a scale's items are its behaviours asked of
everyone (DT.8 and DT.9, asked only of commissioners or providers, are left out of DT's and
the framework's alpha), and a self-assessment counts only when it gives a point of the scale
on every one of them ("not applicable" leaves it out). Each submitted self-assessment is one
respondent (a person in two cohorts of a programme answers twice). The database counts each
item's and each total's n, sum and sum of squares in one statement; the figures follow in
lms.outcomes.reliability.

Reliable change (Jacobson & Truax 1991) judges a person's change on a scale against the
scale's measurement error, taken from the whole programme's pre self-assessments (every
cohort, whoever asks: a property of the instrument, not of the cohort reported on), and not
available below 20 complete ones.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from lms.cohorts.models import Cohort, Programme
from lms.core import data_version
from lms.core.caching import cached
from lms.core.extensions import db
from lms.framework.models import Behaviour, Theme
from lms.outcomes.release_models import ReleasedAnswer
from lms.outcomes.reliability import Alpha, Moments, change_threshold, cronbach_alpha
from lms.outcomes.report import PHASES, Row
from lms.outcomes.scope import answers_in_scope, join_linked, room_to_group, unit_column
from lms.ratings.models import Assessment

NO_NUMBER = sa.cast(sa.null(), sa.Integer)


def item_counts(level: str, linked: str | None) -> sa.CTE:
    """How many behaviours asked of everyone each row's scale has."""
    query = (sa.select(unit_column(level).label("unit"),
                       sa.func.count(sa.distinct(Behaviour.id)).label("item_count"))
             .select_from(Behaviour).join(Theme, Behaviour.theme_id == Theme.id)
             .where(Behaviour.applies_to == "all"))
    if level == "linked":
        query = join_linked(query, linked)
    if level != "framework":  # the framework is one row: no grouping (and no constant in it)
        query = query.group_by(unit_column(level))
    return query.cte("scale_items")


def alpha_parts(answer: sa.CTE, level: str, linked: str | None) -> list[sa.Select]:
    """Parts of a report's one statement, over its answers (with their self-assessment
    ``aid``, behaviour ``item`` and ``applies_to``): per row, group and phase, the n, sum and
    sum of squares of each item over the complete self-assessments, and of their totals, as
    (kind, unit, group, phase, item, sum, sum of squares, NULL, n).

    A self-assessment's points and total on a scale are window sums over its answers, so the
    complete ones are found without joining the answers to an aggregate of themselves (which
    PostgreSQL, blind to a CTE's size, planned as a nested loop taking minutes)."""
    everyone = answer.c.applies_to == "all"
    per_scale = (answer.c.aid, answer.c.unit)
    windowed = (
        sa.select(answer.c.unit, answer.c.grp, answer.c.phase, answer.c.item, answer.c.value,
                  sa.func.count(answer.c.value).over(partition_by=per_scale).label("points"),
                  sa.func.sum(answer.c.value).over(partition_by=per_scale).label("total"))
        .where(everyone).cte("scale_windowed"))
    items = item_counts(level, linked)
    complete = (sa.select(windowed, items.c.item_count)
                .join(items, items.c.unit == windowed.c.unit)
                .where(windowed.c.points == items.c.item_count).cte("scale_complete"))
    item_rows = (
        sa.select(sa.literal("alpha_item", sa.String), complete.c.unit, complete.c.grp,
                  complete.c.phase, complete.c.item, sa.func.sum(complete.c.value),
                  sa.func.sum(complete.c.value * complete.c.value), NO_NUMBER,
                  sa.func.count())
        .group_by(complete.c.unit, complete.c.grp, complete.c.phase, complete.c.item))
    # Every complete self-assessment has one line per item, each carrying its total: the
    # totals' n, sum and sum of squares are the lines' sums divided by the item count.
    k = sa.func.max(complete.c.item_count)
    total_rows = (
        sa.select(sa.literal("alpha_total", sa.String), complete.c.unit, complete.c.grp,
                  complete.c.phase, NO_NUMBER, whole(sa.func.sum(complete.c.total) / k),
                  whole(sa.func.sum(complete.c.total * complete.c.total) / k), NO_NUMBER,
                  whole(sa.func.count() / k))
        .group_by(complete.c.unit, complete.c.grp, complete.c.phase))
    return [item_rows, total_rows]


def whole(number: sa.ColumnElement) -> sa.ColumnElement:
    """An exact quotient as a whole number, so the statement's columns stay integers."""
    return sa.cast(number, sa.BigInteger)


def alpha_columns(released: bool = False) -> tuple[sa.ColumnElement, ...]:
    """The extra columns of a report's answers that alpha needs: each answer's
    self-assessment, behaviour and to whom the behaviour applies."""
    aid = ReleasedAnswer.assessment_id if released else Assessment.id
    return (aid.label("aid"), Behaviour.id.label("item"),
            Behaviour.applies_to.label("applies_to"))


class AlphaCounts:
    """Alpha parts' rows as they arrive, turned into alpha per (row, group) and phase."""

    def __init__(self) -> None:
        self.items: dict[tuple, dict[int, Moments]] = defaultdict(dict)
        self.totals: dict[tuple, Moments] = {}

    def add(self, kind: str, unit: str, group: str | None, phase: str, item, total, squares,
            n) -> None:
        """One row of an alpha part (counts of the same item and group add up)."""
        moments = Moments(int(n), int(total), int(squares))
        if kind == "alpha_item":
            self.items[(unit, group, phase)][item] = plus(
                self.items[(unit, group, phase)].get(item), moments)
        else:
            self.totals[(unit, group, phase)] = plus(self.totals.get((unit, group, phase)),
                                                     moments)

    def regrouped(self, group_of) -> AlphaCounts:
        """The same counts under other groups: ``group_of(unit, group, phase)`` names each
        fine group's new group, or False to leave it out."""
        merged = AlphaCounts()
        for (unit, group, phase), moments in self.totals.items():
            new = group_of(unit, group, phase)
            if new is False:
                continue
            merged.totals[(unit, new, phase)] = plus(merged.totals.get((unit, new, phase)),
                                                     moments)
            for item, item_moments in self.items[(unit, group, phase)].items():
                mine = merged.items[(unit, new, phase)]
                mine[item] = plus(mine.get(item), item_moments)
        return merged

    def alphas(self) -> dict[tuple[str, str | None], dict[str, Alpha]]:
        """Alpha per (row code, group) and phase."""
        found: dict[tuple[str, str | None], dict[str, Alpha]] = defaultdict(dict)
        for (unit, group, phase), moments in self.totals.items():
            items = list(self.items[(unit, group, phase)].values())
            found[(unit, group)][phase] = cronbach_alpha(items, moments)
        return dict(found)


def plus(first: Moments | None, second: Moments) -> Moments:
    """The moments of two sets of values together."""
    if first is None:
        return second
    return Moments(first.n + second.n, first.total + second.total,
                   first.squares + second.squares)


def pre_alphas(cohort_ids: Sequence[int] | sa.Select, level: str,
               linked: str | None) -> dict[str, Alpha]:
    """Alpha of each row's scale over the complete pre self-assessments in scope, in a
    statement of its own (the reliable-change thresholds' input).

    Over a whole programme this reads hundreds of thousands of answers, so it groups rather
    than windows: each self-assessment's points and total per scale by GROUP BY (a hash
    aggregate), then the items of the complete ones by joining the answers to those totals."""
    room_to_group()
    answer = (answers_in_scope(cohort_ids, level, None, linked, extra=alpha_columns())
              .where(Assessment.phase == "pre", Behaviour.applies_to == "all")
              .cte("pre_answer"))
    items = item_counts(level, linked)
    per_scale = (sa.select(answer.c.aid, answer.c.unit,
                           sa.func.count(answer.c.value).label("points"),
                           sa.func.sum(answer.c.value).label("total"))
                 .group_by(answer.c.aid, answer.c.unit).subquery("pre_scale"))
    complete = (sa.select(per_scale.c.aid, per_scale.c.unit, per_scale.c.total)
                .join(items, items.c.unit == per_scale.c.unit)
                .where(per_scale.c.points == items.c.item_count).cte("pre_complete"))
    totals = (sa.select(sa.literal("alpha_total", sa.String), complete.c.unit, NO_NUMBER,
                        sa.func.sum(complete.c.total),
                        sa.func.sum(complete.c.total * complete.c.total), sa.func.count())
              .group_by(complete.c.unit))
    item_rows = (sa.select(sa.literal("alpha_item", sa.String), answer.c.unit, answer.c.item,
                           sa.func.sum(answer.c.value),
                           sa.func.sum(answer.c.value * answer.c.value), sa.func.count())
                 .join(complete, sa.and_(complete.c.aid == answer.c.aid,
                                         complete.c.unit == answer.c.unit))
                 .group_by(answer.c.unit, answer.c.item))
    counts = AlphaCounts()
    for kind, unit, item, total, squares, n in db.session.execute(
            sa.union_all(totals, item_rows)):
        counts.add(kind, unit, None, "pre", item, total, squares, n)
    return {unit: phases["pre"] for (unit, _group), phases in counts.alphas().items()}


def change_thresholds(programme: Programme, level: str,
                      linked: str | None) -> dict[str, float | None]:
    """S_diff per row code from the programme's complete pre self-assessments. They change
    only with the programme's pre answers, so they are kept under the baseline data version
    (which post and "then" submissions, arriving when reliable change is read, leave alone):
    every report of the programme shares one computation (one query when cached)."""
    key = {"version": data_version.current(data_version.BASELINE), "programme": programme.id,
           "level": level, "linked": linked}
    return cached("rci-thresholds", key,
                  lambda: compute_thresholds(programme, level, linked))


def compute_thresholds(programme: Programme, level: str,
                       linked: str | None) -> dict[str, float | None]:
    """``change_thresholds`` worked out now."""
    every_cohort = sa.select(Cohort.id).where(Cohort.programme_id == programme.id)
    return {unit: change_threshold(alpha)
            for unit, alpha in pre_alphas(every_cohort, level, linked).items()}


def attach_reliability(rows: Sequence[Row],
                       found: dict[tuple[str, str | None], dict[str, Alpha]]) -> None:
    """Give each scale row its alpha per phase (n = 0 where no one answered completely)."""
    for row in rows:
        mine = found.get((row.code, row.group), {})
        row.reliability = {phase: mine.get(phase) or Alpha(n=0, items=0) for phase in PHASES}


def reliability_json(row: Row) -> dict[str, Any] | None:
    """A row's alpha per phase as the API answers it (None for behaviour rows)."""
    if row.reliability is None:
        return None
    answer = {}
    for phase, alpha in row.reliability.items():
        if phase in row.hidden_reliability:
            answer[phase] = {"suppressed": True, "reason": row.hidden_reliability[phase]}
        else:
            answer[phase] = {"suppressed": False, "reason": None, "n": alpha.n,
                             "behaviours": alpha.items, "alpha": alpha.alpha,
                             "ci_low": alpha.ci_low, "ci_high": alpha.ci_high}
    return answer


def reliable_change_json(row: Row) -> dict[str, Any] | None:
    """How many of the people paired post − pre changed reliably, and their shares; hidden
    with the post − pre comparison; ``available`` false without a programme threshold."""
    if row.level not in ("theme", "framework", "linked"):
        return None
    cell = row.cells["post_pre"]
    if cell.suppressed:
        return {"suppressed": True, "reason": cell.reason, "available": None}
    if row.reliable_change is None:
        return {"suppressed": False, "reason": None, "available": False}
    n = cell.result.n
    return {"suppressed": False, "reason": None, "available": True, **row.reliable_change,
            **{f"{name}_share": (count / n if n else None)
               for name, count in row.reliable_change.items()}}
