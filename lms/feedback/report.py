"""The 360 report: a participant's self-ratings beside what each group of raters saw, under
the anonymity rules of the trusted 360 tools.

- A group's figures are shown only when at least the programme's minimum of it answered
  (``feedback_min_group``, 3 unless changed, never under 2). A line manager who is the only
  one of their group is shown as such and labelled "not anonymous" (their invitation said so).
- "All others" is everyone but the participant. A group under its minimum is folded into it
  only when the groups so folded hold at least the minimum between them: otherwise "all
  others" less the shown groups would be the small group's figures. Folded groups' counts
  are not shown apart.
- Each figure (a group's mean on a behaviour or theme) is shown only when enough raters gave
  a point on it: "not observed" answers thin a group out behaviour by behaviour, so the same
  rule holds per figure, and an "all others" figure is hidden when the raters in it whose
  own group's figure is hidden number between one and the minimum less one.
- A theme's figure is the mean of the theme's behaviour figures that are shown: made of
  shown figures only, it gives away nothing they do not.
- Comments are shown only for groups at their minimum (or the labelled line manager), in an
  order that says nothing about who wrote first; comments of folded groups are shown among
  "all others" without a label; those of groups left out are not shown.
- The report appears once the round has closed, so that no figure changes after it is read
  (a rater withdrawing, or another answering, would otherwise give away their answers by
  the difference).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext

from lms.cohorts.models import Cohort
from lms.cohorts.service import participant_in
from lms.core.extensions import db
from lms.feedback.models import GROUP_TITLES, GROUPS, FeedbackRater
from lms.feedback.service import (
    check_phase,
    long_date,
    round_state,
    round_window,
    submitted_raters,
    themes_of,
)
from lms.framework.models import Behaviour
from lms.ratings.models import Assessment, Rating
from lms.ratings.service import behaviours_for_sector, sector_of

ALL_OTHERS = "all_others"
BLIND_SPOT = "blind_spot"
HIDDEN_STRENGTH = "hidden_strength"


@dataclass
class Figure:
    """The points some raters gave on one behaviour or theme."""

    values: list[float] = field(default_factory=list)
    #: Who gave them (rater ids): whose own group's figure is hidden matters for "all others".
    raters: set[int] = field(default_factory=set)
    shown: bool = False
    reason: str | None = None

    def mean(self) -> float | None:
        """The mean point (for a theme, of its behaviour means), or None when nothing was
        given."""
        return sum(self.values) / len(self.values) if self.values else None

    def as_json(self) -> dict[str, Any]:
        """What the report says of it: how many raters gave points, and their mean if shown."""
        mean = self.mean()
        shown = self.shown and mean is not None
        return {"n": len(self.raters), "mean": mean if shown else None, "shown": shown,
                "reason": self.reason}


@dataclass
class Round:
    """Who answered a closed round, and which groups the report may show."""

    raters: list[FeedbackRater]
    answered: Counter
    asked: Counter
    minimum: int
    shown_groups: set[str]
    folded_groups: set[str]

    def in_all_others(self, rater: FeedbackRater) -> bool:
        """Whether a rater's answers count in "all others"."""
        return rater.rater_group in self.shown_groups | self.folded_groups

    def labelled_alone(self, group: str) -> bool:
        """A line manager shown although alone: not anonymous."""
        return group == "line_manager" and group in self.shown_groups and \
            self.answered[group] < self.minimum


def plan_round(raters: list[FeedbackRater], asked: Counter, minimum: int) -> Round:
    """Which groups are shown, folded into "all others", or left out."""
    answered = Counter(rater.rater_group for rater in raters)
    shown = {group for group, count in answered.items()
             if count >= minimum or (group == "line_manager" and count == 1)}
    small = {group: count for group, count in answered.items() if group not in shown}
    folded = set(small) if sum(small.values()) >= minimum else set()
    return Round(raters, answered, asked, minimum, shown, folded)


def asked_counts(cohort_id: int, participant_id: int, phase: str) -> Counter:
    """How many raters of each group were asked (taken-back invitations left out)."""
    rows = db.session.execute(
        sa.select(FeedbackRater.rater_group, sa.func.count())
        .where(FeedbackRater.cohort_id == cohort_id,
               FeedbackRater.participant_id == participant_id, FeedbackRater.phase == phase,
               FeedbackRater.revoked_at.is_(None))
        .group_by(FeedbackRater.rater_group))
    return Counter(dict(rows.all()))


def self_ratings(cohort_id: int, participant_id: int, phase: str) -> dict[str, int | None]:
    """The participant's submitted self-ratings of the phase, by behaviour code (None: not
    applicable); empty if not submitted."""
    rows = db.session.execute(
        sa.select(Behaviour.code, Rating.value)
        .join(Rating, Rating.behaviour_id == Behaviour.id)
        .join(Assessment, Rating.assessment_id == Assessment.id)
        .where(Assessment.cohort_id == cohort_id, Assessment.user_id == participant_id,
               Assessment.phase == phase, Assessment.status == "submitted"))
    return dict(rows.all())


def behaviour_figures(round_: Round, code: str) -> dict[str, Figure]:
    """Each group's figure and "all others" on one behaviour, each marked shown or not."""
    figures: dict[str, Figure] = {group: Figure() for group in round_.answered}
    others = Figure()
    for rater in round_.raters:
        value = next((a.value for a in rater.answers if a.behaviour.code == code), None)
        if value is None:
            continue
        figures[rater.rater_group].values.append(value)
        figures[rater.rater_group].raters.add(rater.id)
        if round_.in_all_others(rater):
            others.values.append(value)
            others.raters.add(rater.id)
    for group, figure in figures.items():
        alone = round_.labelled_alone(group) and len(figure.raters) == 1
        figure.shown = group in round_.shown_groups and (
            len(figure.raters) >= round_.minimum or alone)
        if not figure.shown:
            figure.reason = (hidden_reason(round_, group) if figure.values
                             else "nobody in this group gave points on it (not observed)")
    hidden_in_others = sum(1 for rater in round_.raters if rater.id in others.raters
                           and not figures[rater.rater_group].shown)
    others.shown = hidden_in_others == 0 or hidden_in_others >= round_.minimum
    if not others.shown:
        others.reason = (f"hidden: fewer than {round_.minimum} of the raters in it gave "
                         "points on this apart from groups shown")
    figures[ALL_OTHERS] = others
    return figures


def hidden_reason(round_: Round, group: str) -> str:
    """Why a group's figure is not shown."""
    if group not in round_.shown_groups:
        return f"fewer than {round_.minimum} of this group answered"
    return f"fewer than {round_.minimum} of this group gave points on it"


def theme_figures(round_: Round, behaviours: dict[str, dict[str, Figure]]) -> dict[str, Figure]:
    """Each group's figure on a theme: the mean of its behaviour figures that are shown (each
    behaviour weighing the same). Made only of figures the report shows already, it tells
    nothing more about anyone; its raters are those of the figures it is made of."""
    pooled: dict[str, Figure] = {}
    for key in [*round_.answered, ALL_OTHERS]:
        figure = Figure()
        parts = [by_key[key] for by_key in behaviours.values()
                 if key in by_key and by_key[key].shown and by_key[key].values]
        for part in parts:
            figure.values.append(part.mean())
            figure.raters |= part.raters
        figure.shown = bool(parts)
        if not figure.shown:
            figure.reason = "no behaviour figure of this theme is shown"
        pooled[key] = figure
    return pooled


def flag(self_value: float | None, others: Figure, threshold: float) -> str | None:
    """blind_spot (self above others by the threshold or more), hidden_strength (below), or
    None."""
    others_mean = others.mean()
    if self_value is None or not others.shown or others_mean is None:
        return None
    gap = self_value - others_mean
    if gap >= threshold - 1e-9:
        return BLIND_SPOT
    if gap <= -threshold + 1e-9:
        return HIDDEN_STRENGTH
    return None


def comment_order(comment_id: int) -> str:
    """A comment's place: a keyed hash of its id, unrelated to who wrote when."""
    key = current_app.config["SECRET_KEY"]
    return hashlib.sha256(f"{key}:feedback-comment:{comment_id}".encode()).hexdigest()


def theme_comments(round_: Round, theme_code: str) -> list[dict[str, Any]]:
    """The comments on a theme that may be shown: labelled for groups shown, unlabelled for
    groups folded into "all others"; in an order that tells nothing."""
    found = []
    for rater in round_.raters:
        for comment in rater.comments:
            if comment.theme.code != theme_code:
                continue
            if rater.rater_group in round_.shown_groups:
                found.append((comment.id, rater.rater_group, comment.body))
            elif rater.rater_group in round_.folded_groups:
                found.append((comment.id, None, comment.body))
    found.sort(key=lambda item: comment_order(item[0]))
    return [{"group": group, "text": text} for _id, group, text in found]


def mean_of_self(values: list[int | None]) -> float | None:
    """The mean of a participant's points (not applicable left out)."""
    points = [value for value in values if value is not None]
    return sum(points) / len(points) if points else None


def group_summary(round_: Round) -> list[dict[str, Any]]:
    """Per group: asked, answered, and whether shown, folded into all others, or left out."""
    rows = []
    for group in GROUPS:
        if not round_.asked[group] and not round_.answered[group]:
            continue
        if group in round_.shown_groups:
            state = "shown"
        else:
            state = "in_all_others" if group in round_.folded_groups else "left_out"
        rows.append({"group": group, "title": str(GROUP_TITLES[group]),
                     "asked": round_.asked[group], "answered": round_.answered[group],
                     "state": state, "not_anonymous": round_.labelled_alone(group)})
    return rows


def closed_round(cohort: Cohort, participant_id: int, phase: str) -> Round:
    """The answers of a round and its plan."""
    raters = submitted_raters(cohort.id, participant_id, phase)
    return plan_round(raters, asked_counts(cohort.id, participant_id, phase),
                      cohort.programme.feedback_min_group)


def feedback_report(cohort: Cohort, participant_id: int, phase: str,
                    today: dt.date | None = None) -> dict[str, Any]:
    """A participant's 360 report for one phase (for them and their tutors)."""
    today = today or dt.date.today()
    check_phase(phase)
    enrolment = participant_in(cohort, participant_id)
    opens, closes = round_window(cohort, phase)
    state = round_state(cohort, phase, today)
    head = {"participant": {"id": participant_id, "name": enrolment.user.display_name},
            "cohort_id": cohort.id, "phase": phase,
            "round": {"opens_on": opens, "closes_on": closes, "state": state},
            "min_group": cohort.programme.feedback_min_group}
    if state != "closed":
        return {**head, "available": False, "groups": progress_of(cohort, participant_id,
                                                                  phase),
                "note": (gettext("The report appears when the round closes on %(date)s, so "
                                 "that nothing in it changes once you have read it.",
                                 date=long_date(closes))
                         if closes else gettext("The round has no dates yet."))}
    round_ = closed_round(cohort, participant_id, phase)
    scale = [point["value"] for point in cohort.programme.rating_scale]
    threshold = (scale[-1] - scale[0]) / 3
    mine = self_ratings(cohort.id, participant_id, phase)
    behaviours = behaviours_for_sector(sector_of(enrolment))
    themes = [theme_json(round_, theme, items, mine, threshold)
              for theme, items in themes_of(behaviours)]
    flagged = [b for t in themes for b in t["behaviours"]]
    report = {**head, "available": True, "threshold": round(threshold, 2),
              "scale_range": [scale[0], scale[-1]],
            "groups": group_summary(round_),
            "all_others": {"raters": sum(1 for r in round_.raters if round_.in_all_others(r)),
                           "groups": sorted(round_.shown_groups | round_.folded_groups,
                                            key=GROUPS.index)},
            "shown_groups": [g for g in GROUPS if g in round_.shown_groups],
            "themes": themes,
            "blind_spots": [b["code"] for b in flagged if b["flag"] == BLIND_SPOT],
            "hidden_strengths": [b["code"] for b in flagged if b["flag"] == HIDDEN_STRENGTH]}
    if phase == "post":
        add_change(report, feedback_report(cohort, participant_id, "pre", today))
    return report


def add_change(post: dict[str, Any], pre: dict[str, Any]) -> None:
    """Give each theme and behaviour of a post report the change in "all others" since pre."""
    change = change_between(pre, post)
    for theme in post["themes"]:
        for row in [theme, *theme["behaviours"]]:
            row["change_since_pre"] = change.get(row["code"])


def theme_json(round_: Round, theme, items: list[Behaviour], mine: dict[str, int | None],
               threshold: float) -> dict[str, Any]:
    """One theme of the report with its behaviours."""
    by_behaviour = {b.code: behaviour_figures(round_, b.code) for b in items}
    pooled = theme_figures(round_, by_behaviour)
    self_theme = mean_of_self([mine.get(b.code) for b in items])
    return {
        "code": theme.code, "title": theme.title,
        "self": self_theme,
        "figures": figures_json(round_, pooled),
        "flag": flag(self_theme, pooled[ALL_OTHERS], threshold),
        "comments": theme_comments(round_, theme.code),
        "behaviours": [{"code": b.code, "statement": b.statement, "self": mine.get(b.code),
                        "figures": figures_json(round_, by_behaviour[b.code]),
                        "flag": flag(mine.get(b.code), by_behaviour[b.code][ALL_OTHERS],
                                     threshold)}
                       for b in items],
    }


def figures_json(round_: Round, figures: dict[str, Figure]) -> dict[str, Any]:
    """The figures of the groups shown, and "all others"."""
    return {key: figure.as_json() for key, figure in figures.items()
            if key == ALL_OTHERS or key in round_.shown_groups}


def progress_of(cohort: Cohort, participant_id: int, phase: str) -> list[dict[str, Any]]:
    """While a round is open: how many of each group were asked and have answered."""
    asked = asked_counts(cohort.id, participant_id, phase)
    answered = Counter(r.rater_group for r in submitted_raters(cohort.id, participant_id,
                                                                phase))
    return [{"group": group, "title": str(GROUP_TITLES[group]), "asked": asked[group],
             "answered": answered[group]} for group in GROUPS if asked[group]]


def change_between(pre: dict[str, Any], post: dict[str, Any]) -> dict[str, float]:
    """Post less pre in "all others" figures, per theme and behaviour code, where both are
    shown (two closed rounds)."""
    change: dict[str, float] = {}
    if not (pre.get("available") and post.get("available")):
        return change
    before = {row["code"]: row["figures"][ALL_OTHERS] for theme in pre["themes"]
              for row in [theme, *theme["behaviours"]]}
    for theme in post["themes"]:
        for row in [theme, *theme["behaviours"]]:
            earlier, later = before.get(row["code"]), row["figures"][ALL_OTHERS]
            if earlier and earlier["shown"] and later["shown"]:
                change[row["code"]] = later["mean"] - earlier["mean"]
    return change
