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
from lms.extensions import db
from lms.framework.models import Behaviour, Theme
from lms.outcomes.reliability import Alpha, Moments, change_threshold, cronbach_alpha
from lms.outcomes.report import PHASES, Row
from lms.outcomes.scope import answers_in_scope, join_linked, unit_column
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


def reliability_query(cohort_ids: Sequence[int] | sa.Select, level: str,
                      breakdown: str | None, linked: str | None,
                      phases: Sequence[str] = PHASES) -> sa.Select:
    """One statement: per row, group and phase, the n, sum and sum of squares of each item
    over the complete self-assessments, and the same of their totals."""
    answer = (answers_in_scope(cohort_ids, level, breakdown, linked,
                               extra=(Assessment.id.label("aid"), Behaviour.id.label("item")))
              .where(Behaviour.applies_to == "all", Assessment.phase.in_(phases))
              .cte("scale_answer"))
    per_assessment = (
        sa.select(answer.c.aid, answer.c.grp, answer.c.unit, answer.c.phase,
                  sa.func.count(answer.c.value).label("points"),
                  sa.func.sum(answer.c.value).label("total"))
        .group_by(answer.c.aid, answer.c.grp, answer.c.unit, answer.c.phase)
        .cte("scale_respondent"))
    items = item_counts(level, linked)
    complete = (sa.select(per_assessment).join(items, items.c.unit == per_assessment.c.unit)
                .where(per_assessment.c.points == items.c.item_count).cte("scale_complete"))
    item_rows = (
        sa.select(sa.literal("item", sa.String), answer.c.unit, answer.c.grp, answer.c.phase,
                  answer.c.item, sa.func.count(), sa.func.sum(answer.c.value),
                  sa.func.sum(answer.c.value * answer.c.value))
        .join(complete, sa.and_(complete.c.aid == answer.c.aid,
                                complete.c.unit == answer.c.unit))
        .group_by(answer.c.unit, answer.c.grp, answer.c.phase, answer.c.item))
    total_rows = (
        sa.select(sa.literal("total", sa.String), complete.c.unit, complete.c.grp,
                  complete.c.phase, NO_NUMBER, sa.func.count(), sa.func.sum(complete.c.total),
                  sa.func.sum(complete.c.total * complete.c.total))
        .group_by(complete.c.unit, complete.c.grp, complete.c.phase))
    return sa.union_all(item_rows, total_rows)


def reliability(cohort_ids: Sequence[int] | sa.Select, level: str, breakdown: str | None,
                linked: str | None, phases: Sequence[str] = PHASES
                ) -> dict[tuple[str, str | None], dict[str, Alpha]]:
    """Alpha per (row code, group) and phase, from one statement."""
    items: dict[tuple, list[Moments]] = defaultdict(list)
    totals: dict[tuple, Moments] = {}
    for kind, unit, group, phase, _item, n, total, squares in db.session.execute(
            reliability_query(cohort_ids, level, breakdown, linked, phases)):
        moments = Moments(int(n), int(total), int(squares))
        if kind == "item":
            items[(unit, group, phase)].append(moments)
        else:
            totals[(unit, group, phase)] = moments
    found: dict[tuple[str, str | None], dict[str, Alpha]] = defaultdict(dict)
    for (unit, group, phase), moments in totals.items():
        found[(unit, group)][phase] = cronbach_alpha(items[(unit, group, phase)], moments)
    return dict(found)


def change_thresholds(programme: Programme, level: str,
                      linked: str | None) -> dict[str, float | None]:
    """S_diff per row code from the programme's complete pre self-assessments (one query)."""
    every_cohort = sa.select(Cohort.id).where(Cohort.programme_id == programme.id)
    pre = reliability(every_cohort, level, None, linked, phases=("pre",))
    return {unit: change_threshold(phases["pre"]) for (unit, _group), phases in pre.items()}


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
