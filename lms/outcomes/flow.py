"""Who is in the figures: a participant flow in the manner of a CONSORT diagram, and a check
of whether those who completed started out differently from those who did not.

Counted over people (a person in two cohorts of a programme once), in one statement:

- ``enrolled``: participants enrolled in the cohorts now, of whom ``erased`` had their
  personal details erased (their answers still count, as erasure keeps results);
- ``withdrawn``: people taken out of a cohort (their enrolment deleted, as the audit log
  records, or their self-assessments left behind) who are not enrolled in it again; what
  they submitted before leaving still counts in the figures;
- per phase, how many ``started`` (a draft or more) and ``submitted`` a self-assessment;
- ``paired``: per comparison, how many gave a point of the scale in both of its phases (the
  n of the framework row);
- ``attrition``: the mean pre framework score (the mean of all their pre answers) of those who
  submitted a post self-assessment beside those who did not, with the difference (completers
  minus the rest) and its 95% Welch interval: a positive difference means the people the
  post − pre figures rest on started out rating themselves higher.

For sponsors (``protect``), a count about 1 to minimum − 1 people is hidden, and the attrition
means only appear when both groups reach the minimum.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from lms.accounts.models import User
from lms.audit.models import AuditEvent
from lms.cohorts.models import Enrolment
from lms.extensions import db
from lms.interop.personal import ERASED_DOMAIN
from lms.outcomes.report import COMPARISONS, PHASES
from lms.outcomes.stats import welch_from_sums
from lms.ratings.models import Assessment, Rating

FEW_PEOPLE = "fewer than {k} people"


def enrolled_pairs(cohort_ids: Sequence[int]) -> sa.Select:
    """(cohort, person) for every participant enrolled in scope now."""
    return sa.select(Enrolment.cohort_id, Enrolment.user_id).where(
        Enrolment.cohort_id.in_(cohort_ids), Enrolment.role == "participant")


def withdrawn_users(cohort_ids: Sequence[int]) -> sa.Select:
    """People who were in a cohort in scope (by the audit log or their self-assessments) and
    are no longer enrolled in it."""
    deleted_cohort = AuditEvent.details["cohort_id"].as_integer()
    were_in = sa.union(
        sa.select(Assessment.cohort_id, Assessment.user_id)
        .where(Assessment.cohort_id.in_(cohort_ids)),
        sa.select(deleted_cohort, AuditEvent.details["user_id"].as_integer())
        .where(AuditEvent.action == "enrolment.delete", deleted_cohort.in_(cohort_ids)))
    left = sa.except_(sa.select(were_in.subquery()), enrolled_pairs(cohort_ids)).subquery()
    return (sa.select(left.c[1].label("user_id")).distinct()
            .join(User, User.id == left.c[1]).where(User.role == "participant"))


def phase_columns() -> list[sa.ColumnElement]:
    """Per person and phase: started, submitted, points given; and their pre answers' sum."""
    columns = []
    for phase in PHASES:
        in_phase = Assessment.phase == phase
        submitted = sa.and_(in_phase, Assessment.status == "submitted")
        columns += [sa.func.max(sa.case((in_phase, 1), else_=0)).label(f"{phase}_started"),
                    sa.func.max(sa.case((submitted, 1), else_=0)).label(f"{phase}_submitted"),
                    sa.func.count(sa.case((submitted, Rating.value))).label(f"{phase}_points")]
    pre_submitted = sa.and_(Assessment.phase == "pre", Assessment.status == "submitted")
    return [*columns, sa.func.sum(sa.case((pre_submitted, Rating.value))).label("pre_sum")]


def flow_query(cohort_ids: Sequence[int]) -> sa.Select:
    """One statement: every count of the flow and the attrition groups' moments."""
    enrolled = sa.select(enrolled_pairs(cohort_ids).subquery().c.user_id).distinct().cte(
        "flow_enrolled")
    withdrawn = withdrawn_users(cohort_ids).cte("flow_withdrawn")
    per_user = (sa.select(Assessment.user_id, *phase_columns())
                .outerjoin(Rating, Rating.assessment_id == Assessment.id)
                .where(Assessment.cohort_id.in_(cohort_ids))
                .group_by(Assessment.user_id).cte("flow_person"))
    people = sa.union(sa.select(enrolled.c.user_id), sa.select(withdrawn.c.user_id),
                      sa.select(per_user.c.user_id)).cte("flow_people")
    is_enrolled = people.c.user_id.in_(sa.select(enrolled.c.user_id))
    is_withdrawn = people.c.user_id.in_(sa.select(withdrawn.c.user_id))
    person = sa.join(people, User, User.id == people.c.user_id).outerjoin(
        per_user, per_user.c.user_id == people.c.user_id)
    has = {phase: sa.func.coalesce(per_user.c[f"{phase}_points"], 0) > 0 for phase in PHASES}
    score = sa.cast(per_user.c.pre_sum, sa.Float) / per_user.c.pre_points

    def count_where(condition) -> sa.ColumnElement:
        return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)

    def moments(condition) -> list[sa.ColumnElement]:
        return [count_where(condition), sa.func.sum(sa.case((condition, score))),
                sa.func.sum(sa.case((condition, score * score)))]

    completed = sa.func.coalesce(per_user.c.post_submitted, 0) == 1
    return sa.select(
        count_where(is_enrolled), count_where(is_withdrawn),
        count_where(sa.and_(is_enrolled, User.email.like(f"%@{ERASED_DOMAIN}"))),
        *[count_where(sa.func.coalesce(per_user.c[f"{phase}_{what}"], 0) == 1)
          for phase in PHASES for what in ("started", "submitted")],
        *[count_where(sa.and_(has[before], has[after]))
          for before, after in COMPARISONS.values()],
        *moments(sa.and_(has["pre"], completed)),
        *moments(sa.and_(has["pre"], sa.not_(completed))),
    ).select_from(person)


def participant_flow(cohort_ids: Sequence[int]) -> dict[str, Any]:
    """The flow of the cohorts in scope, every count shown (see ``protect``)."""
    row = [0 if value is None else value
           for value in db.session.execute(flow_query(cohort_ids)).one()]
    enrolled, withdrawn, erased, *rest = row
    phases = {phase: {"started": int(rest[2 * i]), "submitted": int(rest[2 * i + 1])}
              for i, phase in enumerate(PHASES)}
    paired = dict(zip(COMPARISONS, (int(v) for v in rest[6:9]), strict=True))
    with_post, without_post = rest[9:12], rest[12:15]
    compared = welch_from_sums(int(with_post[0]), float(with_post[1]), float(with_post[2]),
                               int(without_post[0]), float(without_post[1]),
                               float(without_post[2]))
    return {
        "enrolled": int(enrolled), "withdrawn": int(withdrawn), "erased": int(erased),
        "phases": phases, "paired": paired, "suppressed": [], "reason": None,
        "attrition": {
            "with_post": {"n": compared.n_first, "mean_pre": compared.mean_first},
            "without_post": {"n": compared.n_second, "mean_pre": compared.mean_second},
            "difference": compared.difference, "ci_low": compared.ci_low,
            "ci_high": compared.ci_high, "suppressed": False, "reason": None},
    }


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
