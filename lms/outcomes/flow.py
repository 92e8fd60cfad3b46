"""Who is in the figures: a participant flow in the manner of a CONSORT diagram, and a check
of whether those who completed started out differently from those who did not.

Counted over people (a person in two cohorts of a programme once), in one statement:

- ``enrolled``: participants enrolled in the cohorts now, of whom ``erased`` had their
  personal details erased (their answers still count, as erasure keeps results);
- ``withdrawn``: people taken out of a cohort (their enrolment deleted, as the audit log
  records, or their self-assessments left behind) who are not enrolled in it again; what
  they submitted before leaving still counts in the figures;
- per phase, how many ``started`` (a draft or more) and ``submitted`` a self-assessment, and
  how many of those started have one ``reopened`` by a tutor and not yet submitted again
  (their answers are out of the figures until they are);
- ``paired``: per comparison, how many gave a point of the scale in both of its phases (the
  n of the framework row);
- ``attrition``: the mean pre framework score (the mean of all their pre answers) of those who
  submitted a post self-assessment beside those who did not, with the difference (completers
  minus the rest) and its 95% Welch interval: a positive difference means the people the
  post − pre figures rest on started out rating themselves higher.

The counts come from enrolments, self-assessments and the audit log in one statement; the
pairing and the attrition check need the answers, so the report's own statement counts them
from the answers it reads anyway (``answer_parts``), without a second pass over the ratings.

For sponsors (``protect``), a count about 1 to minimum − 1 people is hidden, and the attrition
means only appear when both groups reach the minimum.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from lms.accounts.models import ERASED_DOMAIN, User
from lms.audit.models import AuditEvent
from lms.cohorts.models import Enrolment
from lms.core.extensions import db
from lms.outcomes.report import COMPARISONS, PHASES
from lms.outcomes.stats import welch_from_sums
from lms.ratings.models import Assessment

FEW_PEOPLE = "fewer than {k} people"
#: What the flow counts per phase.
STAGES = ("started", "submitted", "reopened")


def enrolled_pairs(cohort_ids: Sequence[int]) -> sa.Select:
    """(cohort, person) for every participant enrolled in scope now."""
    return sa.select(Enrolment.cohort_id, Enrolment.user_id).where(
        Enrolment.cohort_id.in_(cohort_ids), Enrolment.role == "participant")


def were_in(cohort_ids: Sequence[int]) -> sa.CompoundSelect:
    """(cohort, person) for everyone who was ever in a cohort in scope: by their
    self-assessments, or by the audit log's record of their enrolment being deleted."""
    deleted_cohort = AuditEvent.details["cohort_id"].as_integer()
    return sa.union(
        sa.select(Assessment.cohort_id, Assessment.user_id)
        .where(Assessment.cohort_id.in_(cohort_ids)),
        sa.select(deleted_cohort, AuditEvent.details["user_id"].as_integer())
        .where(AuditEvent.action == "enrolment.delete", deleted_cohort.in_(cohort_ids)))


def withdrawn_users(cohort_ids: Sequence[int]) -> sa.Select:
    """People who were in a cohort in scope (by the audit log or their self-assessments) and
    are no longer enrolled in it."""
    # NOT EXISTS rather than EXCEPT: PostgreSQL answers it with an anti join instead of
    # de-duplicating every (cohort, person) first (30 ms, not 57, over 20,000 people).
    were = sa.union_all(*were_in(cohort_ids).selects).subquery("were_in")
    still_enrolled = sa.select(Enrolment.id).where(
        Enrolment.cohort_id == were.c[0], Enrolment.user_id == were.c[1],
        Enrolment.role == "participant")
    a_participant = sa.select(User.id).where(User.id == were.c[1], User.role == "participant")
    return (sa.select(were.c[1].label("user_id")).distinct()
            .where(~still_enrolled.exists(), a_participant.exists()))


def phase_columns() -> list[sa.ColumnElement]:
    """Per person and phase: whether they started, submitted, and have a reopened draft."""
    columns = []
    for phase in PHASES:
        in_phase = Assessment.phase == phase
        submitted = sa.and_(in_phase, Assessment.status == "submitted")
        reopened = sa.and_(in_phase, Assessment.status == "draft",
                           Assessment.reopened_at.is_not(None))
        columns += [sa.func.max(sa.case((in_phase, 1), else_=0)).label(f"{phase}_started"),
                    sa.func.max(sa.case((submitted, 1), else_=0)).label(f"{phase}_submitted"),
                    sa.func.max(sa.case((reopened, 1), else_=0)).label(f"{phase}_reopened")]
    return columns


def flow_query(cohort_ids: Sequence[int]) -> sa.Select:
    """One statement over enrolments, self-assessments and the audit log (no ratings): who
    is enrolled, withdrawn, erased, and who started and submitted each phase."""
    enrolled = sa.select(enrolled_pairs(cohort_ids).subquery().c.user_id).distinct().cte(
        "flow_enrolled")
    withdrawn = withdrawn_users(cohort_ids).cte("flow_withdrawn")
    per_user = (sa.select(Assessment.user_id, *phase_columns())
                .where(Assessment.cohort_id.in_(cohort_ids))
                .group_by(Assessment.user_id).cte("flow_person"))
    people = sa.union(sa.select(enrolled.c.user_id), sa.select(withdrawn.c.user_id),
                      sa.select(per_user.c.user_id)).cte("flow_people")
    is_enrolled = people.c.user_id.in_(sa.select(enrolled.c.user_id))
    is_withdrawn = people.c.user_id.in_(sa.select(withdrawn.c.user_id))
    person = sa.join(people, User, User.id == people.c.user_id).outerjoin(
        per_user, per_user.c.user_id == people.c.user_id)
    return sa.select(
        count_where(is_enrolled), count_where(is_withdrawn),
        count_where(sa.and_(is_enrolled, User.email.like(f"%@{ERASED_DOMAIN}"))),
        *[count_where(sa.func.coalesce(per_user.c[f"{phase}_{what}"], 0) == 1)
          for phase in PHASES for what in STAGES],
    ).select_from(person)


def flow_by_cohort_query(cohort_ids: Sequence[int]) -> sa.Select:
    """The flow's counts per cohort, over (cohort, person) pairs (one statement, no
    ratings): what a sponsor's flow is summed from, so that it is always a sum of cohorts'
    counts that each pass (lms.outcomes.publication)."""
    enrolled = (enrolled_pairs(cohort_ids).add_columns(sa.literal(1).label("flag"))
                .cte("cohort_enrolled"))
    left = sa.except_(sa.select(were_in(cohort_ids).subquery()),
                      enrolled_pairs(cohort_ids)).subquery("cohort_left")
    withdrawn = (sa.select(left.c[0].label("cohort_id"), left.c[1].label("user_id"),
                           sa.literal(1).label("flag"))
                 .join(User, User.id == left.c[1]).where(User.role == "participant")
                 .cte("cohort_withdrawn"))
    per_pair = (sa.select(Assessment.cohort_id, Assessment.user_id, *phase_columns())
                .where(Assessment.cohort_id.in_(cohort_ids))
                .group_by(Assessment.cohort_id, Assessment.user_id).cte("cohort_person"))
    pairs = sa.union(sa.select(enrolled.c.cohort_id, enrolled.c.user_id),
                     sa.select(withdrawn.c.cohort_id, withdrawn.c.user_id),
                     sa.select(per_pair.c.cohort_id, per_pair.c.user_id)).subquery("pairs")

    def on(other):
        return sa.and_(other.c.cohort_id == pairs.c.cohort_id,
                       other.c.user_id == pairs.c.user_id)

    is_enrolled, is_withdrawn = enrolled.c.flag == 1, withdrawn.c.flag == 1
    source = (sa.join(pairs, User, User.id == pairs.c.user_id)
              .outerjoin(enrolled, on(enrolled)).outerjoin(withdrawn, on(withdrawn))
              .outerjoin(per_pair, on(per_pair)))
    return (sa.select(
        pairs.c.cohort_id, count_where(is_enrolled), count_where(is_withdrawn),
        count_where(sa.and_(is_enrolled, User.email.like(f"%@{ERASED_DOMAIN}"))),
        *[count_where(sa.func.coalesce(per_pair.c[f"{phase}_{what}"], 0) == 1)
          for phase in PHASES for what in STAGES])
        .select_from(source).group_by(pairs.c.cohort_id))


def count_where(condition) -> sa.ColumnElement:
    """How many rows meet ``condition`` (0, not NULL, when none)."""
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def answer_parts(answer: sa.CTE, per_group: bool = False) -> list[sa.Select]:
    """Parts of a report's one statement, over its answers (the framework's, each once):
    per person, the sum and count of their pre points and whether they submitted post,
    counted by (sum, count, post) like the pairs, as ("attrition", …, sum, count, post, NULL,
    people); and per comparison how many people have points in both phases, as ("paired",
    …, post − pre, post − then, then − pre, NULL, NULL). With ``per_group`` (a sponsor's
    report, whose groups are atoms naming the cohort) both are counted per group, in the
    third column."""
    def points(phase: str) -> sa.ColumnElement:
        return sa.func.count(sa.case((answer.c.phase == phase, answer.c.value)))

    no_text, no_number = sa.cast(sa.null(), sa.String), sa.cast(sa.null(), sa.Integer)
    keys = (answer.c.user_id, answer.c.grp) if per_group else (answer.c.user_id,)
    person = (sa.select(*keys,
                        sa.func.coalesce(sa.func.sum(
                            sa.case((answer.c.phase == "pre", answer.c.value))), 0)
                        .label("pre_sum"),
                        *[points(phase).label(f"{phase}_points") for phase in PHASES],
                        sa.func.max(sa.case((answer.c.phase == "post", 1), else_=0))
                        .label("posted"))
              .group_by(*keys).cte("flow_answers"))
    group = person.c.grp if per_group else no_text
    by_group = (person.c.grp,) if per_group else ()
    attrition = (sa.select(sa.literal("attrition", sa.String), no_text, group, no_text,
                           person.c.pre_sum, person.c.pre_points, person.c.posted, no_number,
                           sa.func.count())
                 .where(person.c.pre_points > 0)
                 .group_by(*by_group, person.c.pre_sum, person.c.pre_points, person.c.posted))
    both = [count_where(sa.and_(person.c[f"{before}_points"] > 0,
                                person.c[f"{after}_points"] > 0))
            for before, after in COMPARISONS.values()]
    paired = sa.select(sa.literal("paired", sa.String), no_text, group, no_text, *both,
                       no_number, sa.cast(sa.literal(0), sa.Integer))
    if per_group:
        paired = paired.group_by(person.c.grp)
    return [attrition, paired]


@dataclass
class AnswerCounts:
    """What the report's statement counted for the flow: people per (pre sum, pre count,
    submitted post), and people paired per comparison; in all and per group."""

    attrition: Counter = field(default_factory=Counter)
    paired: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COMPARISONS, 0))
    attrition_by: dict[str, Counter] = field(default_factory=dict)
    paired_by: dict[str, dict[str, int]] = field(default_factory=dict)

    def add(self, kind: str, group: str | None, a, b, c, count) -> None:
        """One row of an answer part."""
        if kind == "attrition":
            self.attrition[(int(a), int(b), bool(c))] += int(count)
            if group is not None:
                self.attrition_by.setdefault(group, Counter())[
                    (int(a), int(b), bool(c))] += int(count)
            return
        counts = dict(zip(COMPARISONS, (int(a or 0), int(b or 0), int(c or 0)), strict=True))
        if group is None:  # several sources (kept cohorts and the rest) add up
            self.paired = {name: self.paired[name] + counts[name] for name in COMPARISONS}
        else:
            self.paired_by[group] = counts
            self.paired = {name: self.paired_by_total(name) for name in COMPARISONS}

    def paired_by_total(self, name: str) -> int:
        """People paired in one comparison, over every group."""
        return sum(counts[name] for counts in self.paired_by.values())


def attrition_check(counted: Counter) -> dict[str, Any]:
    """Completers' mean pre score against the others', from the counted (sum, count, post)."""
    moments = {True: [0, 0.0, 0.0], False: [0, 0.0, 0.0]}
    for (total, points, posted), people in counted.items():
        score = total / points
        moments[posted][0] += people
        moments[posted][1] += people * score
        moments[posted][2] += people * score * score
    compared = welch_from_sums(*moments[True], *moments[False])
    return {"with_post": {"n": compared.n_first, "mean_pre": compared.mean_first},
            "without_post": {"n": compared.n_second, "mean_pre": compared.mean_second},
            "difference": compared.difference, "ci_low": compared.ci_low,
            "ci_high": compared.ci_high, "suppressed": False, "reason": None}


def stage_counts(numbers: Sequence[int]) -> dict[str, dict[str, int]]:
    """The flow statement's per-phase columns (phase by phase, stage by stage) by name."""
    numbers = iter(numbers)
    return {phase: {stage: next(numbers) for stage in STAGES} for phase in PHASES}


def participant_flow(cohort_ids: Sequence[int], counted: AnswerCounts) -> dict[str, Any]:
    """The flow of the cohorts in scope, every count shown (see ``protect``)."""
    row = [int(value or 0) for value in db.session.execute(flow_query(cohort_ids)).one()]
    enrolled, withdrawn, erased, *rest = row
    phases = stage_counts(rest)
    return {"enrolled": enrolled, "withdrawn": withdrawn, "erased": erased,
            "phases": phases, "paired": dict(counted.paired), "suppressed": [],
            "reason": None, "attrition": attrition_check(counted.attrition)}


def counts_by_cohort(cohort_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """The flow's counts of each cohort now, by name ("enrolled", "phases.pre.started", …):
    what a release keeps (one statement)."""
    per_cohort: dict[int, dict[str, int]] = {}
    for cohort, *numbers in db.session.execute(flow_by_cohort_query(cohort_ids)):
        enrolled, withdrawn, erased, *rest = (int(n or 0) for n in numbers)
        counts = {"enrolled": enrolled, "withdrawn": withdrawn, "erased": erased}
        for phase, stages in stage_counts(rest).items():
            counts.update({f"phases.{phase}.{stage}": n for stage, n in stages.items()})
        per_cohort[int(cohort)] = counts
    return per_cohort


def published_flow(released: dict[int, dict[str, int]], counted: AnswerCounts, minimum: int,
                   cohort_of) -> dict[str, Any]:
    """The flow as a sponsor may see it, over any scope, from each cohort's released counts
    (``released``): each count is the sum of the cohorts' counts when every cohort's passes
    (0 or at least the minimum), else hidden, so one scope's flow set against another's
    never gives a small cohort's count; the attrition check only when every cohort's two
    groups pass and both totals reach the minimum. ``cohort_of`` names the cohort of a group
    key of ``counted``."""
    per_cohort = {cohort: dict(counts) for cohort, counts in released.items()}
    for group, paired in counted.paired_by.items():
        mine = per_cohort.setdefault(cohort_of(group), {})
        for name, count in paired.items():
            mine[f"paired.{name}"] = mine.get(f"paired.{name}", 0) + count
    names = ["enrolled", "withdrawn", "erased",
             *[f"phases.{p}.{w}" for p in PHASES for w in STAGES],
             *[f"paired.{name}" for name in COMPARISONS]]
    hidden, shown = [], {}
    for name in names:
        counts = [counts.get(name, 0) for counts in per_cohort.values()]
        if all(count == 0 or count >= minimum for count in counts):
            shown[name] = sum(counts)
        else:
            hidden.append(name)
            shown[name] = None
    return {
        "enrolled": shown["enrolled"], "withdrawn": shown["withdrawn"],
        "erased": shown["erased"],
        "phases": {p: {w: shown[f"phases.{p}.{w}"] for w in STAGES}
                   for p in PHASES},
        "paired": {name: shown[f"paired.{name}"] for name in COMPARISONS},
        "suppressed": hidden, "reason": FEW_PEOPLE.format(k=minimum) if hidden else None,
        "attrition": published_attrition(counted, minimum, cohort_of),
    }


def published_attrition(counted: AnswerCounts, minimum: int, cohort_of) -> dict[str, Any]:
    """The attrition check over cohorts whose completers and others each pass."""
    by_cohort: dict[int, Counter] = {}
    for group, counts in counted.attrition_by.items():
        by_cohort.setdefault(cohort_of(group), Counter()).update(counts)
    for counts in by_cohort.values():
        sizes = [sum(n for (_s, _c, posted), n in counts.items() if posted is flag)
                 for flag in (True, False)]
        if not all(size == 0 or size >= minimum for size in sizes):
            return {"suppressed": True, "reason": FEW_PEOPLE.format(k=minimum)}
    check = attrition_check(counted.attrition)
    if check["with_post"]["n"] < minimum or check["without_post"]["n"] < minimum:
        return {"suppressed": True, "reason": FEW_PEOPLE.format(k=minimum)}
    return check


def protect(flow: dict[str, Any], minimum: int) -> dict[str, Any]:
    """The flow as a sponsor may see it: counts of 1 to minimum − 1 people hidden (null, and
    named in ``suppressed``), the attrition means only when both groups reach the minimum."""
    hidden: list[str] = []

    def shown(name: str, count: int) -> int | None:
        if 0 < count < minimum:
            hidden.append(name)
            return None
        return count

    attrition = flow["attrition"]
    groups = (attrition["with_post"]["n"], attrition["without_post"]["n"])
    safe_attrition = (attrition if all(n == 0 or n >= minimum for n in groups) else
                      {"suppressed": True, "reason": FEW_PEOPLE.format(k=minimum)})
    protected = {
        **{name: shown(name, flow[name]) for name in ("enrolled", "withdrawn", "erased")},
        "phases": {phase: {what: shown(f"phases.{phase}.{what}", count)
                           for what, count in counts.items()}
                   for phase, counts in flow["phases"].items()},
        "paired": {name: shown(f"paired.{name}", count)
                   for name, count in flow["paired"].items()},
        "attrition": safe_attrition,
    }
    return {**protected, "suppressed": hidden,
            "reason": FEW_PEOPLE.format(k=minimum) if hidden else None}
