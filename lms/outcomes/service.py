"""Outcomes from the database: paired values fetched in a fixed number of statements.

One aggregate query returns, per participant and behaviour, the answer in each phase of their
submitted assessments (a point, "na", or nothing) and the participant's groups; the report is
built from those tuples by the pure modules beside this one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from lms.cohorts.models import ORGANISATION_TYPES, Cohort, Enrolment, Organisation, Programme
from lms.extensions import db
from lms.framework.models import Behaviour, LeadershipLevel, Theme
from lms.outcomes.disclosure import suppress
from lms.outcomes.report import COMPARISONS, NA, PHASES, Answer, Row, build_report
from lms.ratings.models import Assessment, Rating
from lms.ratings.service import behaviours_for_sector

BREAKDOWNS = ("leadership_level", "organisation_type", "sector", "cohort")


def framework_codes() -> tuple[list[str], dict[str, str], list[str]]:
    """Behaviour codes in order, the theme of each, and theme codes in order: two queries."""
    behaviours = db.session.execute(
        sa.select(Behaviour.code, Theme.code).join(Theme)
        .order_by(Theme.position, Behaviour.position)).all()
    themes = db.session.scalars(sa.select(Theme.code).order_by(Theme.position)).all()
    return [code for code, _t in behaviours], dict(behaviours), list(themes)


def answer_rows(cohort_ids: Sequence[int]) -> list[sa.Row]:
    """Per participant and behaviour: each phase's answer and the participant's groups."""
    columns = []
    for phase in PHASES:
        in_phase = Assessment.phase == phase
        columns.append(sa.func.max(sa.case((in_phase, 1), else_=0)).label(f"{phase}_answered"))
        columns.append(sa.func.max(sa.case((in_phase, Rating.value))).label(phase))
    query = (
        sa.select(Assessment.user_id, Assessment.cohort_id, Behaviour.code, *columns,
                  LeadershipLevel.code.label("level"), Organisation.type.label("org_type"),
                  Organisation.sector)
        .join(Rating, Rating.assessment_id == Assessment.id)
        .join(Behaviour, Rating.behaviour_id == Behaviour.id)
        .join(Enrolment, sa.and_(Enrolment.cohort_id == Assessment.cohort_id,
                                 Enrolment.user_id == Assessment.user_id))
        .outerjoin(LeadershipLevel, Enrolment.leadership_level_id == LeadershipLevel.id)
        .outerjoin(Organisation, Enrolment.organisation_id == Organisation.id)
        .where(Assessment.cohort_id.in_(cohort_ids), Assessment.status == "submitted")
        .group_by(Assessment.user_id, Assessment.cohort_id, Behaviour.code, LeadershipLevel.code,
                  Organisation.type, Organisation.sector))
    return db.session.execute(query).all()


def phase_answer(row: sa.Row, phase: str) -> int | str | None:
    """A point, NA (answered "not applicable") or None (not answered)."""
    if not getattr(row, f"{phase}_answered"):
        return None
    value = getattr(row, phase)
    return NA if value is None else int(value)


def group_of(row: sa.Row, breakdown: str | None) -> str | None:
    """The participant's group in the breakdown."""
    return {None: None, "leadership_level": row.level, "organisation_type": row.org_type,
            "sector": row.sector, "cohort": str(row.cohort_id)}[breakdown]


def to_answers(rows: Sequence[sa.Row], themes: dict[str, str],
               breakdown: str | None) -> list[Answer]:
    """The pure report's input."""
    return [Answer(user_id=row.user_id, behaviour=row.code, theme=themes[row.code],
                   group=group_of(row, breakdown), pre=phase_answer(row, "pre"),
                   then=phase_answer(row, "then"), post=phase_answer(row, "post"))
            for row in rows]


def group_labels(breakdown: str | None, cohorts: Sequence[Cohort]) -> dict[str | None, str]:
    """Every group of a breakdown, in a fixed order, with a label a person can read."""
    if breakdown is None:
        return {None: "everyone"}
    if breakdown == "leadership_level":
        levels = db.session.execute(sa.select(LeadershipLevel.code, LeadershipLevel.title)
                                    .order_by(LeadershipLevel.position)).all()
        return dict(levels)
    if breakdown == "organisation_type":
        return {t: t.replace("_", " ") for t in ORGANISATION_TYPES}
    if breakdown == "sector":
        return {"commissioning": "commissioning", "providing": "providing",
                "both": "commissioning and providing"}
    return {str(c.id): c.name for c in cohorts}


def outcomes(cohorts: Sequence[Cohort], programme: Programme, level: str,
             breakdown: str | None, protect: bool) -> dict[str, Any]:
    """A report over ``cohorts``; ``protect`` applies disclosure control (sponsors)."""
    behaviour_codes, themes, theme_codes = framework_codes()
    rows = answer_rows([c.id for c in cohorts])
    answers = to_answers(rows, themes, breakdown)
    labels = group_labels(breakdown, cohorts)
    codes = {"behaviour": behaviour_codes, "theme": theme_codes,
             "framework": ["framework"]}[level]
    scale = [point["value"] for point in programme.rating_scale]
    report = build_report(answers, level, codes, list(labels), scale)
    if protect:
        suppress(report, programme.min_group_size)
    participants = len({a.user_id for a in answers})
    return {
        "scope": {"programme_id": programme.id, "cohort_ids": [c.id for c in cohorts]},
        "level": level, "breakdown": breakdown,
        "disclosure_control": protect, "min_group_size": programme.min_group_size,
        "participants": (participants if not protect or participants >= programme.min_group_size
                         or participants == 0 else None),
        "suppressed_cells": sum(cell.suppressed for row in report
                                for cell in row.cells.values()),
        "rows": [row_json(row, labels) for row in report],
    }


FIGURES = ("n", "mean_before", "mean_after", "mean_change", "ci_low", "ci_high", "sd_change",
           "d_z", "wilcoxon_p", "p_holm", "rank_biserial", "improved", "same", "declined")


def cell_json(cell) -> dict[str, Any]:
    """A comparison: every figure, or only that it is suppressed and why."""
    if cell.suppressed:
        return {"suppressed": True, "reason": cell.reason}
    figures = {name: getattr(cell.result, name) for name in FIGURES if name != "p_holm"}
    return {**figures, "p_holm": cell.p_holm, "suppressed": False, "reason": None}


def row_json(row: Row, labels: dict[str | None, str]) -> dict[str, Any]:
    """A report row as the API answers it."""
    return {
        "level": row.level, "code": row.code, "group": row.group,
        "group_label": labels.get(row.group),
        **{name: cell_json(row.cells[name]) for name in COMPARISONS},
        "distribution": {
            phase: ({"suppressed": True, "reason": row.hidden_distributions[phase]}
                    if phase in row.hidden_distributions
                    else {"suppressed": False, "counts": row.distribution[phase],
                          "people": row.respondents[phase]})
            for phase in PHASES},
    }


def my_profile(user_id: int, cohort: Cohort, sector: str | None) -> dict[str, Any]:
    """A participant's own answers to the behaviours they are asked, beside their cohort's
    averages (under disclosure control: a cohort is a group like any other)."""
    asked = {b.code for b in behaviours_for_sector(sector)}
    programme = cohort.programme
    behaviour_codes, themes, theme_codes = framework_codes()
    rows = answer_rows([cohort.id])
    mine = [r for r in rows if r.user_id == user_id]
    answers = to_answers(rows, themes, None)
    scale = [point["value"] for point in programme.rating_scale]
    cohort_rows = {row.code: row for row in suppress(
        build_report(answers, "behaviour", behaviour_codes, [None], scale),
        programme.min_group_size)}
    profile = []
    by_code = {r.code: r for r in mine}
    for code in (code for code in behaviour_codes if code in asked):
        own = by_code.get(code)
        averages = cohort_rows[code].cells["post_pre"]
        profile.append({
            "code": code, "theme": themes[code],
            **{phase: (phase_answer(own, phase) if own else None) for phase in PHASES},
            "cohort": ({"suppressed": True, "reason": averages.reason} if averages.suppressed
                       else {"suppressed": False, "n": averages.result.n,
                             "mean_pre": averages.result.mean_before,
                             "mean_post": averages.result.mean_after}),
        })
    return {"cohort_id": cohort.id, "behaviours": profile,
            "min_group_size": programme.min_group_size}
