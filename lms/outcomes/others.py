"""Outcomes with others' eyes (``source=others``): the programme's statistics over each
participant's "all others" figures from their 360 rounds instead of their self-ratings.

A participant's figure on a behaviour in a round is the one their own 360 report shows in its
"all others" column (lms.feedback.report): the mean of the points their raters gave, under
the report's anonymity rules, so no outcome figure rests on an answer the participant could
not see in their report. Only closed rounds count (a report appears when its round closes).
A theme's (or the framework's) figure is the mean of the participant's behaviour figures in
it. Pairs are the participants with a figure in both the pre and the post round; there is no
"then" round, so the comparisons with "then" are empty.

Tutors and administrators see the live figures. Sponsors see each cohort's latest release
(which keeps these figures, ``ReleasedFeedback``), and only:

- themes and the whole framework, scored over the behaviours everyone is asked (DT.8 and
  DT.9 depend on the kind of organisation), never single behaviours: "not observed" leaves a
  different few people out of each behaviour, and rows resting on sets of people that
  differ by a few would give those few away by difference;
- the participants with a score on every theme in both rounds, so that every row of a
  cohort rests on the same people;
- whole cohorts, each with at least the programme's minimum of such participants (a cohort
  with fewer is held back); no breakdown but by cohort;
- no self–others gap: it would set these people against those of the self-rating figures,
  and the difference between the two sets could be a few people.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.orm import joinedload, selectinload

from lms.cohorts.models import Cohort, Enrolment, Organisation, Programme
from lms.core import data_version
from lms.core.caching import cached
from lms.core.errors import Invalid
from lms.core.extensions import db
from lms.feedback.models import PHASES as ROUND_PHASES
from lms.feedback.models import FeedbackAnswer, FeedbackRater
from lms.feedback.report import ALL_OTHERS, behaviour_figures, plan_round
from lms.feedback.service import round_state
from lms.framework.models import Behaviour, LeadershipLevel, Theme
from lms.outcomes.disclosure import suppress
from lms.outcomes.release_models import OutcomeRelease, ReleasedFeedback
from lms.outcomes.report import Tally, report_from_tallies
from lms.outcomes.scope import latest_releases
from lms.ratings.models import Assessment, Rating

#: (cohort id, participant id) -> phase -> behaviour code -> figure
Figures = dict[tuple[int, int], dict[str, dict[str, float]]]
SOURCES = ("self", "others")
NOT_RELEASED = "no figures from others' ratings released yet"
TOO_FEW = ("fewer than {minimum} participants have figures from others on every theme in "
           "both rounds")
NO_GAP = "not shown to sponsors: it would set two different sets of people side by side"
SPONSOR_BREAKDOWNS = (None, "cohort")


# --- each participant's figures ------------------------------------------------------------

def closed_raters(cohort_ids: Sequence[int], today: dt.date) -> list[FeedbackRater]:
    """The submitted raters of every closed round of the cohorts, with their answers (three
    queries, whatever the cohorts' size)."""
    raters = db.session.scalars(
        sa.select(FeedbackRater)
        .where(FeedbackRater.cohort_id.in_(cohort_ids), FeedbackRater.status == "submitted")
        .options(joinedload(FeedbackRater.cohort),
                 selectinload(FeedbackRater.answers).joinedload(FeedbackAnswer.behaviour))
        .order_by(FeedbackRater.id)).all()
    return [rater for rater in raters
            if round_state(rater.cohort, rater.phase, today) == "closed"]


def live_figures(cohorts: Sequence[Cohort], today: dt.date) -> Figures:
    """Each participant's "all others" figures in each closed round, as their reports show
    them."""
    minimum = {cohort.id: cohort.programme.feedback_min_group for cohort in cohorts}
    by_round: dict[tuple[int, int, str], list[FeedbackRater]] = defaultdict(list)
    for rater in closed_raters([cohort.id for cohort in cohorts], today):
        by_round[(rater.cohort_id, rater.participant_id, rater.phase)].append(rater)
    figures: Figures = defaultdict(dict)
    for (cohort_id, user_id, phase), raters in by_round.items():
        round_ = plan_round(raters, Counter(), minimum[cohort_id])
        codes = {answer.behaviour.code for rater in raters for answer in rater.answers}
        shown = {}
        for code in codes:
            others = behaviour_figures(round_, code)[ALL_OTHERS]
            if others.shown and others.values:
                shown[code] = others.mean()
        if shown:
            figures[(cohort_id, user_id)][phase] = shown
    return dict(figures)


def released_figures(cohort_ids: Sequence[int]) -> Figures:
    """The figures kept by each cohort's latest release (one query)."""
    latest = latest_releases(cohort_ids)
    rows = db.session.execute(
        sa.select(latest.c.cohort_id, ReleasedFeedback.user_id, ReleasedFeedback.phase,
                  Behaviour.code, ReleasedFeedback.value)
        .join(latest, latest.c.id == ReleasedFeedback.release_id)
        .join(Behaviour, Behaviour.id == ReleasedFeedback.behaviour_id))
    figures: Figures = defaultdict(lambda: defaultdict(dict))
    for cohort_id, user_id, phase, code, value in rows:
        figures[(cohort_id, user_id)][phase][code] = value
    return {key: dict(phases) for key, phases in figures.items()}


def snapshot_rows(cohort: Cohort, release: OutcomeRelease) -> list[dict[str, Any]]:
    """The rows a new release keeps of the cohort's figures from others, as of today."""
    ids = dict(db.session.execute(sa.select(Behaviour.code, Behaviour.id)).all())
    return [{"release_id": release.id, "user_id": user_id, "phase": phase,
             "behaviour_id": ids[code], "value": value}
            for (_cohort, user_id), phases in live_figures([cohort], dt.date.today()).items()
            for phase, codes in phases.items() for code, value in codes.items()]


def rated_any(cohort_ids: Sequence[int]) -> bool:
    """Whether any 360 rater has submitted in these cohorts (one query)."""
    return db.session.scalar(sa.select(sa.exists().where(
        FeedbackRater.cohort_id.in_(cohort_ids), FeedbackRater.status == "submitted")))


# --- from figures to a report --------------------------------------------------------------

@dataclass
class Framework:
    """What a participant's figures are scored over: behaviour codes by theme, and which
    behaviours everyone is asked."""

    theme_of: dict[str, str]
    core: set[str]
    themes: list[str]

    @classmethod
    def load(cls) -> Framework:
        """The framework's behaviours (one query)."""
        rows = db.session.execute(sa.select(Behaviour.code, Theme.code, Behaviour.applies_to)
                                  .join(Theme, Behaviour.theme_id == Theme.id)
                                  .order_by(Theme.position, Behaviour.position)).all()
        return cls({code: theme for code, theme, _kind in rows},
                   {code for code, _theme, kind in rows if kind == "all"},
                   list(dict.fromkeys(theme for _code, theme, _kind in rows)))


def unit_scores(codes: dict[str, float], level: str, framework: Framework,
                core_only: bool) -> dict[str, float]:
    """A participant's scores in one round at ``level``: per behaviour their figure; per
    theme and for the framework the mean of their behaviour figures in it (over the
    behaviours everyone is asked, when ``core_only``)."""
    if level == "behaviour":
        return dict(codes)
    grouped: dict[str, list[float]] = defaultdict(list)
    for code, value in codes.items():
        if core_only and code not in framework.core:
            continue
        unit = framework.theme_of[code] if level == "theme" else "framework"
        grouped[unit].append(value)
    return {unit: sum(values) / len(values) for unit, values in grouped.items()}


def tallies_of(figures: Figures, level: str, group_of: dict[tuple[int, int], str | None],
               framework: Framework, core_only: bool) -> tuple[dict, int]:
    """Each row's tally (pairs of pre and post scores, people per round) and how many
    participants have a figure in either round."""
    tallies: dict[tuple[str, str | None], Tally] = defaultdict(Tally)
    for key, phases in figures.items():
        group = group_of.get(key)
        scores = {phase: unit_scores(phases.get(phase, {}), level, framework, core_only)
                  for phase in ROUND_PHASES}
        for phase in ROUND_PHASES:
            for unit in scores[phase]:
                tallies[(unit, group)].respondents[phase] += 1
        for unit in scores["pre"].keys() & scores["post"].keys():
            tallies[(unit, group)].pairs["post_pre"][(scores["pre"][unit],
                                                      scores["post"][unit])] += 1
    return dict(tallies), len(figures)


def covered(figures: Figures, framework: Framework) -> Figures:
    """The participants with a figure on at least one behaviour everyone is asked in every
    theme, in both rounds (so a score on every theme and the framework)."""
    themes = set(framework.themes)

    def every_theme(codes: dict[str, float]) -> bool:
        return {framework.theme_of[c] for c in codes if c in framework.core} == themes

    return {key: phases for key, phases in figures.items()
            if all(every_theme(phases.get(phase, {})) for phase in ROUND_PHASES)}


def groups_of(keys: Iterable[tuple[int, int]], breakdown: str | None
              ) -> dict[tuple[int, int], str | None]:
    """Each participant's group in ``breakdown`` (as the self-rating reports name them)."""
    keys = list(keys)
    if breakdown is None:
        return dict.fromkeys(keys)
    if breakdown == "cohort":
        return {key: str(key[0]) for key in keys}
    column = {"leadership_level": LeadershipLevel.code, "organisation_type": Organisation.type,
              "sector": Organisation.sector}[breakdown]
    rows = db.session.execute(
        sa.select(Enrolment.cohort_id, Enrolment.user_id, column)
        .outerjoin(LeadershipLevel, Enrolment.leadership_level_id == LeadershipLevel.id)
        .outerjoin(Organisation, Enrolment.organisation_id == Organisation.id)
        .where(Enrolment.cohort_id.in_({key[0] for key in keys}),
               Enrolment.role == "participant"))
    found = {(cohort, user): group for cohort, user, group in rows}
    return {key: found.get(key) for key in keys}


def check_source(level: str, breakdown: str | None, protect: bool) -> None:
    """What others' figures can be reported by; Invalid naming the field otherwise."""
    if level == "linked":
        raise Invalid(gettext("Figures from others' ratings are reported per behaviour, "
                              "theme or the whole framework."), errors={"query": {"level": [
                          gettext("With source=others: behaviour, theme or framework.")]}})
    if protect and level == "behaviour":
        raise Invalid(gettext("Sponsors see figures from others' ratings per theme or for the "
                              "whole framework, so that no behaviour's few missing answers "
                              "single anyone out."), errors={"query": {"level": [
                          gettext("With source=others: theme or framework.")]}})
    if protect and breakdown not in SPONSOR_BREAKDOWNS:
        raise Invalid(gettext("Figures from others' ratings are broken down by cohort only, "
                              "so that no small group of participants follows from them."),
                      errors={"query": {"breakdown": [
                          gettext("With source=others: cohort, or none.")]}})


def others_outcomes(cohorts: Sequence[Cohort], programme: Programme, level: str,
                    breakdown: str | None, protect: bool, codes: list[str],
                    labels: dict[str | None, str]) -> dict[str, Any]:
    """The outcomes answer over others' figures (see the module's docstring)."""
    check_source(level, breakdown, protect)
    ids = [cohort.id for cohort in cohorts]
    framework = Framework.load()
    held_back: list[dict[str, Any]] = []
    minimum = programme.min_group_size
    if protect:
        released = {release.cohort_id for release in db.session.scalars(
            sa.select(OutcomeRelease).where(OutcomeRelease.id.in_(
                sa.select(latest_releases(ids).c.id))))}
        figures = covered(released_figures(ids), framework)
        per_cohort = Counter(key[0] for key in figures)
        for cohort_id in ids:
            if cohort_id not in released:
                held_back.append(note(cohort_id, NOT_RELEASED))
            elif per_cohort[cohort_id] < minimum:
                held_back.append(note(cohort_id, TOO_FEW.format(minimum=minimum)))
        kept = {cohort_id for cohort_id in ids if cohort_id in released
                and per_cohort[cohort_id] >= minimum}
        figures = {key: value for key, value in figures.items() if key[0] in kept}
    else:
        figures = live_figures(cohorts, dt.date.today())
    tallies, people = tallies_of(figures, level, groups_of(figures, breakdown), framework,
                                 core_only=protect)
    scale = [point["value"] for point in programme.rating_scale]
    rows = report_from_tallies(tallies, level, codes, list(labels), scale)
    if protect:
        suppress(rows, minimum)
    return {"rows": rows, "participants": people, "held_back": held_back,
            "gaps": self_others_gaps(figures, framework, protect)}


def note(cohort_id: int, reason: str) -> dict[str, Any]:
    """A cohort left out of the figures, and why."""
    return {"cohort_id": cohort_id, "rows": [], "breakdown": None, "reason": reason}


# --- the self–others gap -------------------------------------------------------------------

def self_points(keys: Iterable[tuple[int, int]]
                ) -> dict[tuple[int, int], dict[str, dict[str, int]]]:
    """The participants' own submitted points by round and behaviour (one query)."""
    keys = list(keys)
    if not keys:
        return {}
    cohort_ids = {key[0] for key in keys}
    rows = db.session.execute(
        sa.select(Assessment.cohort_id, Assessment.user_id, Assessment.phase,
                  Behaviour.code, Rating.value)
        .join(Rating, Rating.assessment_id == Assessment.id)
        .join(Behaviour, Behaviour.id == Rating.behaviour_id)
        .where(Assessment.cohort_id.in_(cohort_ids), Assessment.status == "submitted",
               Assessment.phase.in_(ROUND_PHASES), Rating.value.is_not(None)))
    wanted = set(keys)
    found: dict[tuple[int, int], dict[str, dict[str, int]]] = defaultdict(
        lambda: defaultdict(dict))
    for cohort_id, user_id, phase, code, value in rows:
        if (cohort_id, user_id) in wanted:
            found[(cohort_id, user_id)][phase][code] = value
    return found


def self_others_gaps(figures: Figures, framework: Framework,
                     protect: bool) -> list[dict[str, Any]]:
    """Per round and theme (and the framework), the mean over participants of their own
    score less others' (both over the behaviours each has both of), and how many it rests
    on; not for sponsors (NO_GAP)."""
    if protect:
        return [{"phase": phase, "unit": unit, "n": None, "mean_gap": None,
                 "suppressed": True, "reason": NO_GAP}
                for phase in ROUND_PHASES for unit in [*framework.themes, "framework"]]
    mine = self_points(figures)
    gaps = []
    for phase in ROUND_PHASES:
        differences: dict[str, list[float]] = defaultdict(list)
        for key, phases in figures.items():
            theirs, own = phases.get(phase, {}), mine.get(key, {}).get(phase, {})
            both = {code for code in theirs.keys() & own.keys()
                    if not protect or code in framework.core}
            for level in ("theme", "framework"):
                mine_scores = unit_scores({c: own[c] for c in both}, level, framework, False)
                their_scores = unit_scores({c: theirs[c] for c in both}, level, framework,
                                           False)
                for unit, value in mine_scores.items():
                    differences[unit].append(value - their_scores[unit])
        for unit in [*framework.themes, "framework"]:
            values = differences.get(unit, [])
            gaps.append({"phase": phase, "unit": unit, "n": len(values),
                         "mean_gap": sum(values) / len(values) if values else None,
                         "suppressed": False, "reason": None})
    return gaps


def others_key(cohorts: Sequence[Cohort], protect: bool) -> str:
    """What an others' answer rests on: releases for sponsors; live answers, raters and the
    day (a round closes by date) for tutors."""
    if protect:
        return data_version.scoped((data_version.RELEASED,), [c.id for c in cohorts])
    return (data_version.scoped((data_version.OUTCOMES, data_version.FEEDBACK),
                                [c.id for c in cohorts])
            + f":{dt.date.today().isoformat()}")


def cache_parts(base: dict[str, Any], cohorts: Sequence[Cohort], protect: bool
                ) -> dict[str, Any]:
    """A report key for others' figures."""
    return {**base, "version": others_key(cohorts, protect), "source": "others"}


def cached_outcomes(parts: dict[str, Any], build) -> dict[str, Any]:
    """An others' answer, kept under its key."""
    return cached("outcomes-others", parts, build)
