"""Outcomes from the database, counted in SQL in a fixed number of statements.

One aggregate statement counts, for every row of a report (a behaviour, theme or the whole
framework, per group), how many people gave each pair of scores in each comparison and how
many answers fell on each point; the figures are worked out from those counts by the pure
modules beside this one. What Python receives grows with the number of distinct scores, not
with the number of people, so a report over 20,000 people costs little more than one over 100.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext

from lms.cohorts.models import (
    ORGANISATION_TYPE_TITLES,
    ORGANISATION_TYPES,
    SECTOR_TITLES,
    Cohort,
    Programme,
)
from lms.core import data_version
from lms.core.caching import cached
from lms.core.errors import Invalid
from lms.core.extensions import db
from lms.framework.models import (
    Behaviour,
    ExternalFramework,
    ExternalHeading,
    LeadershipLevel,
    Theme,
    ThemeLink,
)
from lms.outcomes import flow, kept, others, publication, scales, scope
from lms.outcomes.disclosure import suppress
from lms.outcomes.publication import NOT_RELEASED
from lms.outcomes.release_models import OutcomeRelease, ReleasedAnswer, ReleasedPerson
from lms.outcomes.report import (
    COMPARISONS,
    NA,
    PHASES,
    SCALE_LEVELS,
    Row,
    Tally,
    report_from_tallies,
)
from lms.outcomes.scope import answers_in_scope
from lms.ratings.models import Assessment, Rating
from lms.ratings.service import behaviours_for_sector

FEW_BESIDES = "fewer than {k} paired participants besides you"
BREAKDOWNS = ("leadership_level", "organisation_type", "sector", "cohort")
#: The frameworks the themes link to, whose headings a ``linked`` report's rows are.
LINKED_FRAMEWORKS = ("hay-ccg", "nhs-lf", "lqf")


def framework_codes() -> tuple[list[str], dict[str, str], list[str]]:
    """Behaviour codes in order, the theme of each, and theme codes in order: two queries."""
    behaviours = db.session.execute(
        sa.select(Behaviour.code, Theme.code).join(Theme)
        .order_by(Theme.position, Behaviour.position)).all()
    themes = db.session.scalars(sa.select(Theme.code).order_by(Theme.position)).all()
    return [code for code, _t in behaviours], dict(behaviours), list(themes)


def linked_headings(linked: str) -> list[tuple[str, str]]:
    """(heading title, theme code) for every link of one external framework, headings in the
    order the themes first link to them (one query); a clear 422 for an unknown framework."""
    links = db.session.execute(
        sa.select(ExternalHeading.title, Theme.code, ExternalFramework.code)
        .select_from(ExternalFramework)
        .outerjoin(ExternalHeading, ExternalHeading.external_framework_id == ExternalFramework.id)
        .outerjoin(ThemeLink, ThemeLink.heading_id == ExternalHeading.id)
        .outerjoin(Theme, ThemeLink.theme_id == Theme.id)
        .order_by(Theme.position, ThemeLink.position)).all()
    known = sorted({code for _h, _t, code in links})
    if linked not in known:
        raise Invalid(gettext("Unknown linked framework %(code)s.", code=repr(linked[:40])),
                      errors={"query": {"framework": [
                          gettext("One of %(choices)s.", choices=", ".join(known))]}})
    return [(heading, theme) for heading, theme, code in links
            if code == linked and heading is not None and theme is not None]


def scores_of(answer: sa.CTE) -> sa.CTE:
    """Per person, group and row: the sum and count of the points they gave in each phase
    (their score is sum / count, worked out in Python so it is the same on every database),
    and whether they answered the phase at all."""
    columns = []
    for phase in PHASES:
        in_phase = answer.c.phase == phase
        value = sa.case((in_phase, answer.c.value))
        columns += [sa.func.coalesce(sa.func.sum(value), 0).label(f"{phase}_sum"),
                    sa.func.count(value).label(f"{phase}_count"),
                    sa.func.count(sa.case((in_phase, 1))).label(f"{phase}_answers")]
    return (sa.select(answer.c.user_id, answer.c.grp, answer.c.unit, *columns)
            .group_by(answer.c.user_id, answer.c.grp, answer.c.unit).cte("score"))


NO_NUMBER = sa.cast(sa.null(), sa.Integer)
NO_TEXT = sa.cast(sa.null(), sa.String)


def tally_query(cohort_ids: Sequence[int], level: str, breakdown: str | None,
                linked: str | None = None, released: bool = False,
                people: Sequence[int] | None = None) -> sa.Select:
    """One statement counting everything a report needs, as rows of (kind, unit, group,
    phase, four numbers, count): pairs of scores per comparison, answers per point, people
    answering per phase, and people in all. The answers are read once (a CTE); only the
    pairs need them grouped by person, the distributions are counted straight from them.
    With ``people``, only their answers: what they contribute (lms.outcomes.kept)."""
    extra = scales.alpha_columns(released) if level in SCALE_LEVELS else ()
    answer = answers_in_scope(cohort_ids, level, breakdown, linked, extra=extra,
                              released=released, people=people).cte("answer")
    score = scores_of(answer)
    parts = []
    if level in SCALE_LEVELS:
        parts += scales.alpha_parts(answer, level, linked)
    # The flow's pairing and attrition check need each answer once: a linked report's
    # answers repeat under every heading their theme links to, so it reads them again.
    once = (answer if level != "linked" else
            answers_in_scope(cohort_ids, "framework", breakdown if breakdown == scope.ATOM
                             else None, released=released, people=people).cte("answer_once"))
    parts += flow.answer_parts(once, per_group=breakdown == scope.ATOM)
    for name, (before, after) in COMPARISONS.items():
        numbers = [score.c[f"{before}_sum"], score.c[f"{before}_count"],
                   score.c[f"{after}_sum"], score.c[f"{after}_count"]]
        parts.append(sa.select(sa.literal(name, sa.String), score.c.unit, score.c.grp, NO_TEXT,
                               *numbers, sa.func.count())
                     .where(score.c[f"{before}_count"] > 0, score.c[f"{after}_count"] > 0)
                     .group_by(score.c.unit, score.c.grp, *numbers))
    parts.append(sa.select(sa.literal("answers", sa.String), answer.c.unit, answer.c.grp,
                           answer.c.phase, answer.c.value, NO_NUMBER, NO_NUMBER, NO_NUMBER,
                           sa.func.count())
                 .group_by(answer.c.unit, answer.c.grp, answer.c.phase, answer.c.value))
    for phase in PHASES:
        parts.append(sa.select(sa.literal("respondents", sa.String), score.c.unit, score.c.grp,
                               sa.literal(phase, sa.String), NO_NUMBER, NO_NUMBER, NO_NUMBER,
                               NO_NUMBER, sa.func.count())
                     .where(score.c[f"{phase}_answers"] > 0)
                     .group_by(score.c.unit, score.c.grp))
    if breakdown == scope.ATOM:
        parts.append(row_atom_part(score))
        if level in SCALE_LEVELS:
            parts.append(rated_part(answer))
        # People per fine group: a sponsor's count is the sum of the cohorts it may show.
        parts.append(sa.select(sa.literal("people", sa.String), NO_TEXT, score.c.grp, NO_TEXT,
                               NO_NUMBER, NO_NUMBER, NO_NUMBER, NO_NUMBER,
                               sa.func.count(sa.distinct(score.c.user_id)))
                     .group_by(score.c.grp))
    else:
        parts.append(sa.select(sa.literal("people", sa.String), NO_TEXT, NO_TEXT, NO_TEXT,
                               NO_NUMBER, NO_NUMBER, NO_NUMBER, NO_NUMBER,
                               sa.func.count(sa.distinct(score.c.user_id))))
    return sa.union_all(*parts)


def row_atom_part(score: sa.CTE) -> sa.Select:
    """Per row and fine group: how many people gave how many points in each phase, and in
    which phases they answered at all (points or "not applicable", as a mask: pre 1, then 2,
    post 4), as ("row_atom", unit, group, NULL, pre points, then points, post points, mask,
    people)."""
    points = [score.c[f"{phase}_count"] for phase in PHASES]
    answered = [score.c[f"{phase}_answers"] for phase in PHASES]
    mask = sum((sa.case((given > 0, bit), else_=0) for given, bit in zip(answered, (1, 2, 4),
                                                                           strict=True)),
               sa.literal(0))
    return (sa.select(sa.literal("row_atom", sa.String), score.c.unit, score.c.grp, NO_TEXT,
                      *points, mask, sa.func.count())
            .where(sa.or_(*[given > 0 for given in answered]))
            .group_by(score.c.unit, score.c.grp, *points, mask))


def rated_part(answer: sa.CTE) -> sa.Select:
    """Per scale row, fine group and phase, each behaviour someone gave points on, as
    ("rated", unit, group, phase, behaviour id, NULL, NULL, NULL, answers): whether everyone
    of an atom rated the same set (``RowAtom.weights_pass``)."""
    return (sa.select(sa.literal("rated", sa.String), answer.c.unit, answer.c.grp,
                      answer.c.phase, answer.c.item, NO_NUMBER, NO_NUMBER, NO_NUMBER,
                      sa.func.count())
            .where(answer.c.value.is_not(None))
            .group_by(answer.c.unit, answer.c.grp, answer.c.phase, answer.c.item))


@dataclass
class Counted:
    """Everything one statement counted for a report: each row's tally, how many people
    answered anything, each scale row's alpha, and the flow's pairing and attrition counts."""

    rows: dict[tuple[str, str | None], Tally]
    people: int
    alphas: scales.AlphaCounts
    flow: flow.AnswerCounts
    #: Per (row, fine group): people by the phases they gave points in (atom reports only).
    row_atoms: dict[tuple[str, str], publication.RowAtom]
    #: People per fine group (atom reports only).
    people_by_group: dict[str, int]


def tallies(cohort_ids: Sequence[int], level: str, breakdown: str | None,
            linked: str | None = None, released: bool = False) -> Counted:
    """Every row's tally and the rest of ``Counted``: for live reports without a breakdown
    (or by cohort), from the counts kept ready (lms.outcomes.kept) of every cohort whose
    counts are current, and from the ratings for the rest; otherwise counted by the
    database in one statement (over the cohorts' latest releases when ``released``)."""
    counted = Accumulator()
    if released or breakdown not in (None, "cohort") or kept.shared_people(cohort_ids):
        scope.room_to_group()
        counted.add_all(db.session.execute(
            tally_query(cohort_ids, level, breakdown, linked, released)))
        return counted.result()
    fresh = kept.fresh_among(cohort_ids)
    counted.add_all(kept.kept_rows(sorted(fresh), level, linked,
                                   by_cohort=breakdown == "cohort"))
    stale = sorted(set(cohort_ids) - fresh)
    if stale:
        scope.room_to_group()
        counted.add_all(db.session.execute(tally_query(stale, level, breakdown, linked)))
    return counted.result()


class Accumulator:
    """Rows of a report's statement (or of kept counts) added up into ``Counted``; rows of
    several sources for the same key add."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str | None], Tally] = defaultdict(Tally)
        self.people = 0
        self.alphas, self.answered = scales.AlphaCounts(), flow.AnswerCounts()
        self.row_atoms: dict[tuple[str, str], publication.RowAtom] = defaultdict(
            publication.RowAtom)
        self.people_by_group: dict[str, int] = {}

    def add_all(self, rows) -> None:
        """Add every row of (kind, unit, group, phase, a, b, c, d, count)."""
        for row in rows:
            self.add(*row)

    def add(self, kind, unit, group, phase, a, b, c, d, count) -> None:
        """Add one row."""
        if kind == "people" and group is not None:
            self.people_by_group[group] = self.people_by_group.get(group, 0) + count
        elif kind == "people":
            self.people += count
        elif kind.startswith("alpha_"):
            self.alphas.add(kind, unit, group, phase, a, b, c, count)
        elif kind == "row_atom":
            self.row_atoms[(unit, group)].add_people(a, b, c, count, answered=d)
        elif kind == "rated":
            self.row_atoms[(unit, group)].add_rated(phase, a)
        elif kind in ("attrition", "paired"):
            self.answered.add(kind, group, a, b, c, count)
        elif kind == "answers":
            self.rows[(unit, group)].answers[phase][NA if a is None else int(a)] += count
        elif kind == "respondents":
            self.rows[(unit, group)].respondents[phase] += count
        else:
            self.rows[(unit, group)].pairs[kind][(int(a) / int(b), int(c) / int(d))] += count

    def result(self) -> Counted:
        """What was added up."""
        return Counted(dict(self.rows), int(self.people), self.alphas, self.answered,
                       dict(self.row_atoms), self.people_by_group)


def paired_people(cohort_ids: Sequence[int]) -> dict[int, Counter]:
    """Per cohort, how many participants of its latest release gave both a pre and a post
    self-assessment, by their (leadership level, organisation type, sector): what a cohort's
    published breakdowns are chosen from (one statement)."""
    latest = scope.latest_releases(cohort_ids)
    both = (sa.select(ReleasedAnswer.release_id, ReleasedAnswer.user_id)
            .join(latest, latest.c.id == ReleasedAnswer.release_id)
            .where(ReleasedAnswer.phase.in_(("pre", "post")))
            .group_by(ReleasedAnswer.release_id, ReleasedAnswer.user_id)
            .having(sa.func.count(sa.distinct(ReleasedAnswer.phase)) == 2).subquery())
    rows = db.session.execute(
        sa.select(latest.c.cohort_id, ReleasedPerson.leadership_level,
                  ReleasedPerson.organisation_type, ReleasedPerson.sector, sa.func.count())
        .select_from(ReleasedPerson)
        .join(latest, latest.c.id == ReleasedPerson.release_id)
        .join(both, sa.and_(both.c.release_id == ReleasedPerson.release_id,
                            both.c.user_id == ReleasedPerson.user_id))
        .group_by(latest.c.cohort_id, ReleasedPerson.leadership_level,
                  ReleasedPerson.organisation_type, ReleasedPerson.sector))
    found: dict[int, Counter] = defaultdict(Counter)
    for cohort, level_code, kind, sector, count in rows:
        found[cohort][(level_code, kind, sector)] += count
    return dict(found)


def releases_of(cohort_ids: Sequence[int]) -> dict[int, OutcomeRelease]:
    """Each cohort's latest release (one statement; a cohort without one is absent)."""
    latest = scope.latest_releases(cohort_ids)
    return {release.cohort_id: release for release in db.session.scalars(
        sa.select(OutcomeRelease).where(OutcomeRelease.id.in_(sa.select(latest.c.id))))}


def published_counts(cohort_ids: Sequence[int], level: str, breakdown: str | None,
                     linked: str | None, minimum: int
                     ) -> tuple[Counted, list[dict[str, Any]], set[str | None]]:
    """What a sponsor's report is built from: everything counted per atom (cohort, level,
    organisation type, sector), then regrouped into the report's groups with only the
    atoms and groups lms.outcomes.publication lets through; what it held back, and which
    groups any cohort shows."""
    fine = tallies(cohort_ids, level, scope.ATOM, linked, released=True)
    plans = release_plans(releases_of(cohort_ids), minimum)
    keys = set(fine.rows) | set(fine.row_atoms)
    decided = publication.regroup(keys, fine.row_atoms, plans, breakdown, minimum,
                                  scope.split_atom)
    if decided.core:
        rescore_over_core(fine.rows, decided.core, cohort_ids, level, linked)
    rows: dict[tuple[str, str | None], Tally] = defaultdict(Tally)
    for (unit, key), tallied in fine.rows.items():
        group = decided.groups.get((unit, key), False)
        if group is not False:
            rows[(unit, group)].add(tallied, decided.kinds.get((unit, key), frozenset()))
    alphas = fine.alphas.regrouped(
        lambda unit, key, phase: (decided.groups.get((unit, key), False)
                                  if phase in decided.kinds.get((unit, key), ()) else False))
    counted = Counted(dict(rows), people_shown(fine.people_by_group, minimum), alphas,
                      fine.flow, {}, {})
    return counted, decided.held_back, decided.shown


def rescore_over_core(rows: dict[tuple[str, str], Tally], core: dict[tuple[str, str], tuple],
                      cohort_ids: Sequence[int], level: str, linked: str | None) -> None:
    """Replace the comparisons of the atoms publication scores over their core behaviours
    (one statement: the released answers of those cohorts' rows, behaviour by behaviour)."""
    cohorts = {scope.split_atom(key)[0] for _unit, key in core}
    units = {unit for unit, _key in core}
    answer = answers_in_scope([c for c in cohort_ids if c in cohorts], level, scope.ATOM,
                              linked, extra=(Behaviour.code.label("behaviour"),),
                              released=True).subquery()
    found = db.session.execute(
        sa.select(answer.c.user_id, answer.c.grp, answer.c.unit, answer.c.behaviour,
                  answer.c.phase, answer.c.value).where(answer.c.unit.in_(units)))
    for fine, pairs in publication.core_pairs(found, core, COMPARISONS).items():
        if fine in rows:
            rows[fine].pairs = pairs


#: Every level a sponsor can ask for: one plan must hold at all of them, or a breakdown
#: published at one level set against another published at the next would give their
#: cross-cells.
PLAN_LEVELS = (("behaviour", None), ("theme", None), ("framework", None),
               *(("linked", name) for name in LINKED_FRAMEWORKS))


def plan_of_release(cohort_id: int, minimum: int) -> publication.CohortPlan:
    """The breakdowns a cohort's latest release publishes, the same at every level: each
    dimension only if no row of any level loses a figure by it (one statement per level)."""
    row_atoms: dict[tuple[str, str], publication.RowAtom] = {}
    for level, linked in PLAN_LEVELS:
        fine = tallies([cohort_id], level, scope.ATOM, linked, released=True)
        row_atoms.update({(f"{level}:{linked or ''}:{unit}", key): atom
                          for (unit, key), atom in fine.row_atoms.items()})
    return publication.plan_cohorts(paired_people([cohort_id]), minimum, row_atoms,
                                    scope.split_atom).get(cohort_id, publication.CohortPlan())


def release_plans(released: dict[int, OutcomeRelease], minimum: int
                  ) -> dict[int, publication.CohortPlan]:
    """Each released cohort's plan: as its release keeps it, or worked out now for a
    release made before plans were kept or under another minimum (read-only: a question
    never writes)."""
    plans = {}
    for cohort_id, release in released.items():
        kept = publication.CohortPlan.from_json(release.plan, minimum)
        plans[cohort_id] = kept if kept is not None else plan_of_release(cohort_id, minimum)
    return plans


def people_shown(by_group: dict[str, int], minimum: int) -> int:
    """How many people answered, over the cohorts whose count may be shown."""
    per_cohort: Counter = Counter()
    for key, count in by_group.items():
        per_cohort[scope.split_atom(key)[0]] += count
    return sum(count for count in per_cohort.values()
               if publication.passes(count, minimum))


def my_answers(user_id: int, cohort_id: int) -> dict[str, dict[str, int | str]]:
    """A participant's own submitted answers: behaviour code → phase → point or NA."""
    rows = db.session.execute(
        sa.select(Behaviour.code, Assessment.phase, Rating.value)
        .join(Rating, Rating.assessment_id == Assessment.id)
        .join(Behaviour, Rating.behaviour_id == Behaviour.id)
        .where(Assessment.cohort_id == cohort_id, Assessment.user_id == user_id,
               Assessment.status == "submitted"))
    mine: dict[str, dict[str, int | str]] = defaultdict(dict)
    for code, phase, value in rows:
        mine[code][phase] = NA if value is None else value
    return mine


def group_labels(breakdown: str | None, cohorts: Sequence[Cohort]) -> dict[str | None, str]:
    """Every group of a breakdown, in a fixed order, with a label a person can read."""
    if breakdown is None:
        return {None: "everyone"}
    if breakdown == "leadership_level":
        levels = db.session.execute(sa.select(LeadershipLevel.code, LeadershipLevel.title)
                                    .order_by(LeadershipLevel.position)).all()
        return dict(levels)
    if breakdown == "organisation_type":
        return {t: ORGANISATION_TYPE_TITLES[t] for t in ORGANISATION_TYPES}
    if breakdown == "sector":
        return dict(SECTOR_TITLES)
    return {str(c.id): c.name for c in cohorts}


def outcomes(cohorts: Sequence[Cohort], programme: Programme, level: str,
             breakdown: str | None, protect: bool, linked: str | None = None,
             source: str = "self") -> dict[str, Any]:
    """A report over ``cohorts``; ``protect`` applies disclosure control (sponsors); ``linked``
    names the external framework of a ``linked`` report; ``source`` is ``self`` (the
    self-ratings) or ``others`` (360 raters', lms.outcomes.others). Cached under the data
    version: a repeated question costs one query until something changes."""
    parts = report_key(cohorts, programme, level, breakdown, protect, linked, source)
    return cached("outcomes", parts, lambda: build_outcomes(cohorts, programme, level,
                                                            breakdown, protect, linked, source))


def report_key(cohorts: Sequence[Cohort], programme: Programme, level: str,
               breakdown: str | None, protect: bool, linked: str | None = None,
               source: str = "self") -> dict[str, Any]:
    """What a report depends on, its data version included (one query): a sponsor's answer
    rests on releases (and the live baseline's reliable-change thresholds), not on live
    answers, so submissions between releases leave it cached."""
    key = {"version": data_version.scoped(versions_for(protect), [c.id for c in cohorts]),
           "programme": programme.id,
           "cohorts": sorted(c.id for c in cohorts), "level": level, "breakdown": breakdown,
           "protect": protect, "linked": linked}
    return key if source == "self" else others.cache_parts(key, cohorts, protect)


def versions_for(protect: bool) -> tuple[str, ...]:
    """The data versions a report rests on: releases or live answers, and the whole
    programme's baseline (its reliable-change thresholds)."""
    if protect:
        return (data_version.RELEASED, data_version.BASELINE)
    return (data_version.OUTCOMES, data_version.BASELINE)


def check_linked(level: str, linked: str | None) -> None:
    """``framework=`` goes with ``level=linked`` and only with it."""
    if level == "linked" and linked is None:
        raise Invalid(gettext("level=linked needs framework= (hay-ccg, nhs-lf or lqf)."),
                      errors={"query": {"framework": [
                          gettext("Required with level=linked.")]}})
    if level != "linked" and linked is not None:
        raise Invalid(gettext("framework= is for level=linked only."),
                      errors={"query": {"framework": [gettext("Only with level=linked.")]}})


def row_codes(level: str, linked: str | None) -> tuple[list[str], dict[str, list[str]]]:
    """The codes of a report's rows in order, and each linked heading's themes."""
    behaviour_codes, _themes, theme_codes = framework_codes()
    if level != "linked":
        return {"behaviour": behaviour_codes, "theme": theme_codes,
                "framework": ["framework"]}[level], {}
    themes_of: dict[str, list[str]] = {}
    for heading, theme in linked_headings(linked):
        themes_of.setdefault(heading, [])
        if theme not in themes_of[heading]:
            themes_of[heading].append(theme)
    return list(themes_of), themes_of


def build_outcomes(cohorts: Sequence[Cohort], programme: Programme, level: str,
                   breakdown: str | None, protect: bool,
                   linked: str | None = None, source: str = "self") -> dict[str, Any]:
    """A report over ``cohorts``, computed now (see ``outcomes``)."""
    check_linked(level, linked)
    if source == "others":
        return build_others(cohorts, programme, level, breakdown, protect)
    codes, themes_of = row_codes(level, linked)
    scale = [point["value"] for point in programme.rating_scale]
    ids = [c.id for c in cohorts]
    minimum = programme.min_group_size
    held_back: list[dict[str, Any]] = []
    if protect:
        counted, held_back, shown = published_counts(ids, level, breakdown, linked, minimum)
    else:
        counted = tallies(ids, level, breakdown, linked)
    participants = counted.people
    labels = group_labels(breakdown, cohorts)
    thresholds = (scales.change_thresholds(programme, level, linked)
                  if level in SCALE_LEVELS else None)
    report = report_from_tallies(counted.rows, level, codes, list(labels), scale, thresholds)
    if level in SCALE_LEVELS:
        scales.attach_reliability(report, counted.alphas.alphas())
    for row in report:
        row.themes = themes_of.get(row.code) if level == "linked" else None
    if protect:
        hold_back_groups(report, shown)
        suppress(report, minimum)
        released = releases_of(ids)
        people_flow = flow.published_flow(
            {cohort: release.flow for cohort, release in released.items()}, counted.flow,
            minimum, lambda key: scope.split_atom(key)[0])
        held_back += [{"cohort_id": cohort_id, "rows": [], "breakdown": None,
                       "reason": NOT_RELEASED} for cohort_id in ids if cohort_id not in released]
    else:
        people_flow = flow.participant_flow(ids, counted.flow)
    return {
        "scope": {"programme_id": programme.id, "cohort_ids": ids},
        "level": level, "breakdown": breakdown, "framework": linked,
        "disclosure_control": protect, "min_group_size": programme.min_group_size,
        "participants": (participants if not protect or participants >= programme.min_group_size
                         or participants == 0 else None),
        "suppressed_cells": sum(cell.suppressed for row in report
                                for cell in row.cells.values()),
        "held_back": held_back,
        "releases": ([{"cohort_id": r.cohort_id, "number": r.number,
                       "released_at": r.created_at.isoformat()}
                      for r in sorted(released.values(), key=lambda r: r.cohort_id)]
                     if protect else None),
        "flow": people_flow,
        "source": "self",
        "rows": [row_json(row, labels) for row in report],
    }


def build_others(cohorts: Sequence[Cohort], programme: Programme, level: str,
                 breakdown: str | None, protect: bool) -> dict[str, Any]:
    """A report over others' (360) figures, computed now (lms.outcomes.others)."""
    others.check_source(level, breakdown, protect)
    codes, _themes_of = row_codes(level, None)
    labels = group_labels(breakdown, cohorts)
    found = others.others_outcomes(cohorts, programme, level, breakdown, protect, codes, labels)
    minimum = programme.min_group_size
    people = found["participants"]
    releases = releases_of([c.id for c in cohorts]) if protect else {}
    return {
        "scope": {"programme_id": programme.id, "cohort_ids": [c.id for c in cohorts]},
        "level": level, "breakdown": breakdown, "framework": None,
        "disclosure_control": protect, "min_group_size": minimum, "source": "others",
        "participants": (people if not protect or people >= minimum or people == 0
                         else None),
        "suppressed_cells": sum(cell.suppressed for row in found["rows"]
                                for cell in row.cells.values()),
        "held_back": found["held_back"],
        "releases": ([{"cohort_id": r.cohort_id, "number": r.number,
                       "released_at": r.created_at.isoformat()}
                      for r in sorted(releases.values(), key=lambda r: r.cohort_id)]
                     if protect else None),
        "flow": None,
        "gaps": found["gaps"],
        "rows": [row_json(row, labels) for row in found["rows"]],
    }


def hold_back_groups(report: Sequence[Row], shown: set[str | None]) -> None:
    """Mark every figure of a group no cohort publishes as held back (before the ordinary
    suppression, which leaves an already hidden figure as it is)."""
    for row in report:
        if row.group in shown:
            continue
        for cell in row.cells.values():
            cell.suppressed, cell.reason = True, publication.HELD_BACK
        for phase in PHASES:
            row.hidden_distributions[phase] = publication.HELD_BACK
            if row.reliability is not None:
                row.hidden_reliability[phase] = publication.HELD_BACK


FIGURES = ("n", "mean_before", "mean_after", "mean_change", "median_change", "ci_low",
           "ci_high", "sd_change", "d_z", "d_z_ci_low", "d_z_ci_high", "d_av", "wilcoxon_p",
           "p_holm", "rank_biserial", "improved", "same", "declined")
#: Figures that are words, not numbers.
LABELS = ("wilcoxon_method",)


def cell_json(cell) -> dict[str, Any]:
    """A comparison: every figure, or only that it is suppressed and why."""
    if cell.suppressed:
        return {"suppressed": True, "reason": cell.reason}
    figures = {name: getattr(cell.result, name) for name in (*FIGURES, *LABELS)
               if name != "p_holm"}
    return {**figures, "p_holm": cell.p_holm, "suppressed": False, "reason": None}


def row_json(row: Row, labels: dict[str | None, str]) -> dict[str, Any]:
    """A report row as the API answers it."""
    return {
        "level": row.level, "code": row.code, "group": row.group,
        "group_label": labels.get(row.group), "themes": row.themes,
        **{name: cell_json(row.cells[name]) for name in COMPARISONS},
        "distribution": {
            phase: ({"suppressed": True, "reason": row.hidden_distributions[phase]}
                    if phase in row.hidden_distributions
                    else {"suppressed": False, "counts": row.distribution[phase],
                          "people": row.respondents[phase]})
            for phase in PHASES},
        "reliability": scales.reliability_json(row),
        "reliable_change": scales.reliable_change_json(row),
    }


def my_profile(user_id: int, cohort: Cohort, sector: str | None) -> dict[str, Any]:
    """A participant's own answers to the behaviours they are asked, beside their cohort's
    averages from its latest release (under disclosure control: a cohort is a group like
    any other, and the participant knows their own answers)."""
    asked = {b.code for b in behaviours_for_sector(sector)}
    programme = cohort.programme
    behaviour_codes, themes, _theme_codes = framework_codes()
    scale = [point["value"] for point in programme.rating_scale]
    release = releases_of([cohort.id]).get(cohort.id)
    counted = tallies([cohort.id], "behaviour", None, released=True).rows if release else {}
    cohort_rows = {row.code: row for row in suppress(
        report_from_tallies(counted, "behaviour", behaviour_codes, [None], scale),
        programme.min_group_size)}
    mine = my_answers(user_id, cohort.id)
    in_release = released_pairs(release, user_id) if release else set()
    profile = []
    for code in (code for code in behaviour_codes if code in asked):
        answers = mine.get(code, {})
        profile.append({"code": code, "theme": themes[code],
                        **{phase: answers.get(phase) for phase in PHASES},
                        "cohort": cohort_means(cohort_rows[code].cells["post_pre"],
                                               code in in_release, release is not None,
                                               programme.min_group_size)})
    return {"cohort_id": cohort.id, "behaviours": profile,
            "min_group_size": programme.min_group_size,
            "released_at": release.created_at.isoformat() if release else None}


def cohort_means(averages, mine_in_it: bool, released: bool, minimum: int) -> dict[str, Any]:
    """The cohort's released means of one behaviour as a participant may see them: they must
    rest on at least the minimum people besides the participant, who knows their own."""
    if not released:
        return {"suppressed": True, "reason": NOT_RELEASED}
    if averages.suppressed:
        return {"suppressed": True, "reason": averages.reason}
    if averages.result.n - (1 if mine_in_it else 0) < minimum:
        return {"suppressed": True, "reason": FEW_BESIDES.format(k=minimum)}
    return {"suppressed": False, "n": averages.result.n, "mean_pre": averages.result.mean_before,
            "mean_post": averages.result.mean_after}


def released_pairs(release: OutcomeRelease, user_id: int) -> set[str]:
    """The behaviours on which a participant is paired (pre and post points) in a release."""
    rows = db.session.execute(
        sa.select(Behaviour.code, ReleasedAnswer.phase)
        .join(Behaviour, Behaviour.id == ReleasedAnswer.behaviour_id)
        .where(ReleasedAnswer.release_id == release.id, ReleasedAnswer.user_id == user_id,
               ReleasedAnswer.value.is_not(None), ReleasedAnswer.phase.in_(("pre", "post"))))
    phases: dict[str, set[str]] = defaultdict(set)
    for code, phase in rows:
        phases[code].add(phase)
    return {code for code, given in phases.items() if len(given) == 2}
