"""Engagement: how many of a cohort's participants submitted each self-assessment and
completed each module, per cohort or breakdown group. A funder asks how many finished, not
only how much they changed.

Tutors and administrators see the live counts. Sponsors see counts from each cohort's latest
release (lms.outcomes.release_models), like its outcomes, so that they change only with a
release; and under disclosure control:

- a row (a cohort, or a group of one) shows only when it holds 0 or at least the minimum;
- a count shows only when it and its complement (those who did not) each hold 0 or at least
  the minimum, since the row's total is shown beside it;
- a breakdown follows the cohort's published plan (lms.outcomes.publication): groups the plan
  pools are never shown, and the pooled remainder (the cohort's total less the groups shown)
  must pass too, count and complement, or the figure is suppressed in every group of that
  cohort; a cohort whose plan does not publish the breakdown shows none of it;
- a total over several cohorts sums the cohorts' shown counts, and is suppressed where any
  cohort's count is.

Counted in SQL in one statement whatever the cohorts' size (people per group, and per group
the people per phase and module); the rules above work on those counts.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from lms.cohorts.models import Cohort, Enrolment, Organisation, Programme
from lms.core import data_version
from lms.core.caching import cached
from lms.core.extensions import db
from lms.curriculum.models import Module
from lms.curriculum.progress import completed_modules
from lms.curriculum.service import curriculum_pairs
from lms.framework.models import LeadershipLevel
from lms.outcomes import publication, scope, service
from lms.outcomes.publication import passes
from lms.outcomes.release_models import ReleasedAnswer, ReleasedCompletion, ReleasedPerson
from lms.ratings.models import Assessment

#: The self-assessments, in the order a cohort meets them, with how the table names them.
PHASES = {"pre": _l("Pre self-assessment"), "post": _l("Post self-assessment"),
          "then": _l("Looking back (then)")}
COMPLEMENT = "fewer than {k} people did, or did not"
SMALL_ROW = "fewer than {k} people"
NOT_KEPT = "not in this release (made before releases kept completed modules)"
NOT_FOLLOWED = "not in this cohort's curriculum"

Groups = tuple[str | None, str | None, str | None]
#: cohort → (leadership level, organisation type, sector) → "people" or a figure → count.
Counts = dict[int, dict[Groups, Counter]]


def module_key(module_id: int) -> str:
    """A module's figure key: ``module:12``."""
    return f"module:{module_id}"


def released_statement(cohort_ids: Sequence[int]) -> sa.CompoundSelect:
    """People per released group, and per group how many submitted each phase or completed
    each module, from each cohort's latest release."""
    latest = scope.latest_releases(cohort_ids)
    groups = (latest.c.cohort_id, ReleasedPerson.leadership_level,
              ReleasedPerson.organisation_type, ReleasedPerson.sector)
    person = sa.and_(latest.c.id == ReleasedPerson.release_id)

    def same_person(table):
        return sa.and_(table.release_id == ReleasedPerson.release_id,
                       table.user_id == ReleasedPerson.user_id)

    people = (sa.select(*groups, sa.literal("people"), sa.func.count())
              .select_from(ReleasedPerson).join(latest, person).group_by(*groups))
    phases = (sa.select(*groups, ReleasedAnswer.phase,
                        sa.func.count(sa.distinct(ReleasedPerson.user_id)))
              .select_from(ReleasedPerson).join(latest, person)
              .join(ReleasedAnswer, same_person(ReleasedAnswer))
              .group_by(*groups, ReleasedAnswer.phase))
    modules = (sa.select(*groups, sa.literal("module:") + sa.cast(ReleasedCompletion.module_id,
                                                                  sa.String),
                         sa.func.count())
               .select_from(ReleasedPerson).join(latest, person)
               .join(ReleasedCompletion, same_person(ReleasedCompletion))
               .group_by(*groups, ReleasedCompletion.module_id))
    return sa.union_all(people, phases, modules)


def live_statement(cohort_ids: Sequence[int]) -> sa.CompoundSelect:
    """The same counts from today's enrolments, submitted self-assessments and work."""
    groups = (Enrolment.cohort_id, LeadershipLevel.code, Organisation.type, Organisation.sector)

    def enrolled(select: sa.Select) -> sa.Select:
        return (select.outerjoin(LeadershipLevel,
                                 Enrolment.leadership_level_id == LeadershipLevel.id)
                .outerjoin(Organisation, Enrolment.organisation_id == Organisation.id)
                .where(Enrolment.cohort_id.in_(cohort_ids), Enrolment.role == "participant")
                .group_by(*groups))

    people = enrolled(sa.select(*groups, sa.literal("people"), sa.func.count())
                      .select_from(Enrolment))
    phases = enrolled(
        sa.select(*groups, Assessment.phase, sa.func.count(sa.distinct(Enrolment.user_id)))
        .select_from(Enrolment)
        .join(Assessment, sa.and_(Assessment.cohort_id == Enrolment.cohort_id,
                                  Assessment.user_id == Enrolment.user_id,
                                  Assessment.status == "submitted"))
        .group_by(Assessment.phase))
    done = completed_modules(list(cohort_ids)).subquery("completed")
    modules = enrolled(
        sa.select(*groups, sa.literal("module:") + sa.cast(done.c.module_id, sa.String),
                  sa.func.count())
        .select_from(Enrolment)
        .join(done, sa.and_(done.c.cohort_id == Enrolment.cohort_id,
                            done.c.user_id == Enrolment.user_id))
        .group_by(done.c.module_id))
    return sa.union_all(people, phases, modules)


def counted(statement: sa.CompoundSelect) -> Counts:
    """The statement's rows as counts per cohort and groups."""
    found: Counts = defaultdict(lambda: defaultdict(Counter))
    for cohort, level, kind, sector, figure, count in db.session.execute(statement):
        found[int(cohort)][(level, kind, sector)][figure] += int(count)
    return found


def curricula(cohort_ids: Sequence[int]) -> tuple[list[tuple[str, str]], dict[int, set[str]]]:
    """The modules any cohort in scope follows, as (figure key, title) in the programme's
    order, and each cohort's own: one statement."""
    followed_pairs = curriculum_pairs(list(cohort_ids)).subquery("followed")
    rows = db.session.execute(
        sa.select(followed_pairs.c[0], Module.id, Module.title)
        .join(Module, Module.id == followed_pairs.c[1])
        .order_by(Module.position, Module.id)).all()
    order: dict[str, str] = {}
    followed: dict[int, set[str]] = defaultdict(set)
    for cohort, module_id, title in rows:
        order.setdefault(module_key(module_id), title)
        followed[cohort].add(module_key(module_id))
    return list(order.items()), followed


def figure_cell(count: int, people: int) -> dict[str, Any]:
    """A shown count with its share of the row's people."""
    return {"suppressed": False, "count": count,
            "share": count / people if people else None}


def hidden(reason: str) -> dict[str, Any]:
    """A count not shown, and why."""
    return {"suppressed": True, "reason": reason}


class Table:
    """Builds the engagement rows of one report."""

    def __init__(self, figures: list[tuple[str, str]], followed: dict[int, set[str]],
                 protect: bool, minimum: int, kept: dict[int, bool]) -> None:
        self.figures, self.followed = figures, followed
        self.protect, self.minimum, self.kept = protect, minimum, kept

    def available(self, cohort_id: int, key: str) -> str | None:
        """Why a cohort has no count for ``key`` at all, or None."""
        if key.startswith("module:") and key not in self.followed.get(cohort_id, set()):
            return NOT_FOLLOWED
        if key.startswith("module:") and not self.kept.get(cohort_id, True):
            return NOT_KEPT
        return None

    def safe(self, key: str, parts: list[Counter]) -> bool:
        """Whether ``key``'s counts in ``parts`` (a row, or a cohort's groups and their pooled
        remainder) and their complements all pass."""
        return all(passes(part[key], self.minimum)
                   and passes(part["people"] - part[key], self.minimum) for part in parts)

    def row(self, cohort: Cohort, group: str | None, label: str | None, counts: Counter,
            parts: list[Counter]) -> dict[str, Any]:
        """One row: its people and each figure, shown or suppressed with why."""
        people = counts["people"]
        base = {"cohort_id": cohort.id, "cohort": cohort.name, "group": group,
                "group_label": label}
        if self.protect and not passes(people, self.minimum):
            return {**base, "enrolled": None, "suppressed": True,
                    "reason": SMALL_ROW.format(k=self.minimum), "figures": {}}
        cells = {}
        for key, _title in self.figures:
            missing = self.available(cohort.id, key)
            if missing:
                cells[key] = {**hidden(missing), "followed": missing != NOT_FOLLOWED}
            elif self.protect and not self.safe(key, parts):
                cells[key] = {**hidden(COMPLEMENT.format(k=self.minimum)), "followed": True}
            else:
                cells[key] = {**figure_cell(counts[key], people), "followed": True}
        return {**base, "enrolled": people, "suppressed": False, "reason": None,
                "figures": cells}


def total(counts: dict[Groups, Counter]) -> Counter:
    """A cohort's counts over all its groups."""
    found: Counter = Counter()
    for part in counts.values():
        found.update(part)
    return found


def by_group(counts: dict[Groups, Counter], dimension: str) -> dict[str | None, Counter]:
    """A cohort's counts per group of one breakdown dimension."""
    index = publication.DIMENSIONS.index(dimension)
    found: dict[str | None, Counter] = defaultdict(Counter)
    for groups, part in counts.items():
        found[groups[index]].update(part)
    return found


def group_rows(table: Table, cohort: Cohort, counts: dict[Groups, Counter], dimension: str,
               labels: dict[str | None, str], plan: publication.CohortPlan | None
               ) -> tuple[list[dict[str, Any]], str | None]:
    """A cohort's rows for one breakdown, and a note when it shows none of it."""
    groups = by_group(counts, dimension)
    if not table.protect:
        return [table.row(cohort, group, labels.get(group, "not recorded"), part, [part])
                for group, part in sorted(groups.items(), key=lambda g: str(g[0]))], None
    if plan is None or dimension not in plan.dimensions:
        return [], "its people are left out of this breakdown, to protect small groups"
    shown = {group: part for group, part in groups.items() if plan.group_shown(dimension, group)}
    remainder: Counter = Counter()
    for group, part in groups.items():
        if group not in shown:
            remainder.update(part)
    parts = [*shown.values(), remainder]
    if not all(passes(part["people"], table.minimum) for part in parts):
        return [], "its people are left out of this breakdown, to protect small groups"
    order = list(labels)
    rows = [table.row(cohort, group, labels.get(group, "not recorded"), part, parts)
            for group, part in sorted(shown.items(),
                                      key=lambda g: order.index(g[0]) if g[0] in order else 99)]
    note = ("its smaller groups are pooled and not shown" if remainder["people"] else None)
    return rows, note


def total_row(table: Table, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Every cohort shown, summed: a count only where every cohort following the module (or
    every cohort) shows it."""
    shown = [row for row in rows if not row["suppressed"]]
    people = sum(row["enrolled"] for row in shown)
    cells = {}
    for key, _title in table.figures:
        mine = [row["figures"][key] for row in shown if row["figures"][key]["followed"]]
        if not mine:
            cells[key] = {**hidden(NOT_FOLLOWED), "followed": False}
        elif any(cell["suppressed"] for cell in mine):
            cells[key] = {**hidden(next(c["reason"] for c in mine if c["suppressed"])),
                          "followed": True}
        else:
            among = sum(row["enrolled"] for row in shown if row["figures"][key]["followed"])
            cells[key] = {**figure_cell(sum(cell["count"] for cell in mine), among),
                          "followed": True}
    return {"cohort_id": None, "cohort": gettext("All cohorts shown"), "group": None,
            "group_label": None, "enrolled": people, "suppressed": False, "reason": None,
            "figures": cells}


def engagement(cohorts: Sequence[Cohort], programme: Programme, protect: bool,
               breakdown: str | None = None) -> dict[str, Any]:
    """The engagement table of ``cohorts`` (see the module's docstring for the rules), kept
    under the data version it rests on: releases for sponsors, live work for tutors."""
    versions = ((data_version.RELEASED,) if protect
                else (data_version.OUTCOMES, data_version.PROGRESS))
    parts = {"version": data_version.scoped(versions, [c.id for c in cohorts]),
             "programme": programme.id,
             "cohorts": sorted(c.id for c in cohorts), "protect": protect,
             "breakdown": breakdown}
    return cached("engagement", parts,
                  lambda: build_engagement(cohorts, programme, protect, breakdown))


def build_engagement(cohorts: Sequence[Cohort], programme: Programme, protect: bool,
                     breakdown: str | None = None) -> dict[str, Any]:
    """The engagement table, counted now (see ``engagement``)."""
    ids = [c.id for c in cohorts]
    minimum = programme.min_group_size
    modules, followed = curricula(ids)
    figures = [*((key, str(title)) for key, title in PHASES.items()), *modules]
    releases = service.releases_of(ids) if protect else {}
    counts = counted(released_statement(ids) if protect else live_statement(ids))
    kept = {cohort: release.keeps_completions for cohort, release in releases.items()}
    table = Table(figures, followed, protect, minimum, kept)
    dimension = breakdown if breakdown in publication.DIMENSIONS else None
    plans = (service.release_plans(releases, minimum) if protect and dimension else {})
    labels = service.group_labels(dimension, cohorts) if dimension else {}
    rows, notes = [], []
    for cohort in cohorts:
        if protect and cohort.id not in releases:
            notes.append({"cohort_id": cohort.id, "note": publication.NOT_RELEASED})
            continue
        mine = counts.get(cohort.id, {})
        if dimension:
            found, note = group_rows(table, cohort, mine, dimension, labels,
                                     plans.get(cohort.id))
            rows += found
            if note:
                notes.append({"cohort_id": cohort.id, "note": note})
        else:
            whole = total(mine)
            rows.append(table.row(cohort, None, None, whole, [whole]))
    if not dimension and len(rows) > 1:
        rows.append(total_row(table, rows))
    return {"scope": {"programme_id": programme.id, "cohort_ids": ids},
            "breakdown": breakdown, "disclosure_control": protect,
            "min_group_size": minimum,
            "figures": [{"key": key, "title": title} for key, title in figures],
            "rows": rows, "notes": notes}
