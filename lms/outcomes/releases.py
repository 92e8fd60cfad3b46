"""Publishing a cohort's outcomes as a release, after a check of what the release would
reveal.

Live figures change with every submission, so a sponsor who asks before and after one
learns that person's answers by subtraction, and a participant the same from their cohort's
means. Sponsors and participants therefore see releases only (lms.outcomes.release_models):
a release copies the cohort's submitted answers, its participants' groups, their figures
from others' (360) ratings and its flow's counts. A new release is compared with the last
one: the people whose answers, figures or groups differ, or who came or went, are the
difference anyone can work out by setting the two releases' figures against each other.
It is refused while that difference, in the whole cohort or in any atom that the new
release publishes at any level, holds 1 to minimum − 1 people; it then says how many more
must change before it can go out.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import sqlalchemy as sa

from lms.cohorts.models import Cohort, Enrolment, Organisation
from lms.core import data_version
from lms.core.errors import Invalid
from lms.core.extensions import db
from lms.curriculum.progress import completed_modules
from lms.framework.models import LeadershipLevel
from lms.outcomes import flow, others, publication
from lms.outcomes.release_models import (
    OutcomeRelease,
    ReleasedAnswer,
    ReleasedCompletion,
    ReleasedFeedback,
    ReleasedPerson,
)
from lms.outcomes.service import plan_of_release
from lms.ratings.models import Assessment, Rating


@dataclass
class Outcome:
    """What publishing did or would do."""

    release: OutcomeRelease | None
    changed: int
    message: str


def latest(cohort: Cohort) -> OutcomeRelease | None:
    """The cohort's latest release, if any."""
    return db.session.scalar(sa.select(OutcomeRelease).where(OutcomeRelease.cohort_id ==
                                                             cohort.id)
                             .order_by(OutcomeRelease.number.desc()).limit(1))


def snapshot(cohort: Cohort, actor_id: int | None) -> OutcomeRelease:
    """Copy the cohort's submitted answers, its current participants' groups, the modules
    they have completed and its flow into a new release (four INSERT … SELECT statements,
    whatever the cohort's size)."""
    previous = latest(cohort)
    release = OutcomeRelease(cohort_id=cohort.id, number=(previous.number + 1 if previous
                                                          else 1),
                             created_by_id=actor_id,
                             flow=flow.counts_by_cohort([cohort.id]).get(cohort.id, {}))
    db.session.add(release)
    db.session.flush()
    # Every copy is this cohort's alone: other cohorts' answers stay cached.
    one_cohort = {data_version.COHORT_OPTION: cohort.id}
    participants = sa.and_(Enrolment.cohort_id == cohort.id, Enrolment.role == "participant")
    db.session.execute(sa.insert(ReleasedPerson).from_select(
        ["release_id", "user_id", "leadership_level", "organisation_type", "sector"],
        sa.select(sa.literal(release.id), Enrolment.user_id, LeadershipLevel.code,
                  Organisation.type, Organisation.sector)
        .select_from(Enrolment)
        .outerjoin(LeadershipLevel, Enrolment.leadership_level_id == LeadershipLevel.id)
        .outerjoin(Organisation, Enrolment.organisation_id == Organisation.id)
        .where(participants)), execution_options=one_cohort)
    db.session.execute(sa.insert(ReleasedAnswer).from_select(
        ["release_id", "assessment_id", "user_id", "phase", "behaviour_id", "value"],
        sa.select(sa.literal(release.id), Assessment.id, Assessment.user_id, Assessment.phase,
                  Rating.behaviour_id, Rating.value)
        .join(Rating, Rating.assessment_id == Assessment.id)
        .join(Enrolment, sa.and_(Enrolment.cohort_id == Assessment.cohort_id,
                                 Enrolment.user_id == Assessment.user_id))
        .where(Assessment.cohort_id == cohort.id, Assessment.status == "submitted",
               participants)), execution_options=one_cohort)
    completed = completed_modules([cohort.id]).subquery()
    db.session.execute(sa.insert(ReleasedCompletion).from_select(
        ["release_id", "user_id", "module_id"],
        sa.select(sa.literal(release.id), completed.c.user_id, completed.c.module_id)),
        execution_options=one_cohort)
    from_others = others.snapshot_rows(cohort, release)
    if from_others:
        db.session.execute(sa.insert(ReleasedFeedback), from_others,
                           execution_options=one_cohort)
    return release


def changed_people(old: OutcomeRelease | None, new: OutcomeRelease) -> dict[int, tuple]:
    """Everyone whose released answers, completed modules or groups differ between two
    releases (or who is in one only), with their groups (the new release's, else the
    old's)."""
    def answers(release):
        return sa.select(ReleasedAnswer.user_id, ReleasedAnswer.phase,
                         ReleasedAnswer.behaviour_id, ReleasedAnswer.value).where(
            ReleasedAnswer.release_id == release.id)

    def from_others(release):
        return sa.select(ReleasedFeedback.user_id, ReleasedFeedback.phase,
                         ReleasedFeedback.behaviour_id, ReleasedFeedback.value).where(
            ReleasedFeedback.release_id == release.id)

    def completions(release):
        return sa.select(ReleasedCompletion.user_id, ReleasedCompletion.module_id).where(
            ReleasedCompletion.release_id == release.id)

    def people(release):
        return sa.select(ReleasedPerson.user_id, ReleasedPerson.leadership_level,
                         ReleasedPerson.organisation_type, ReleasedPerson.sector).where(
            ReleasedPerson.release_id == release.id)

    groups = {user: tuple(rest) for user, *rest in db.session.execute(people(new))}
    if old is None:
        return groups
    old_groups = {user: tuple(rest) for user, *rest in db.session.execute(people(old))}
    differ = set()
    for first, second in ((new, old), (old, new)):
        for kept in (answers, from_others):
            differ |= set(db.session.scalars(sa.select(
                sa.except_(kept(first), kept(second)).subquery().c.user_id)))
        if old.keeps_completions:
            differ |= set(db.session.scalars(sa.select(
                sa.except_(completions(first), completions(second)).subquery().c.user_id)))
    if not old.keeps_completions:  # it kept none: everyone with one now is new to sponsors
        differ |= set(db.session.scalars(sa.select(completions(new).subquery().c.user_id)))
    differ |= {user for user in set(groups) | set(old_groups)
               if groups.get(user) != old_groups.get(user)}
    return {user: groups.get(user) or old_groups[user] for user in differ}


def too_few(changed: dict[int, tuple], plan: publication.CohortPlan,
            minimum: int) -> str | None:
    """Why the difference would reveal a small group, or None: the whole difference, and its
    part in every atom the new release publishes (its plan holds at every level)."""
    if not publication.passes(len(changed), minimum):
        return f"{len(changed)} participant{'s' if len(changed) != 1 else ''} changed"
    by_atom = Counter(plan.atom_of(groups) for groups in changed.values())
    for atom, count in by_atom.items():
        if not publication.passes(count, minimum):
            where = ", ".join(g for g in atom if g and g != publication.POOLED) or "all"
            return (f"{count} participant{'s' if count != 1 else ''} changed in a group "
                    f"the figures publish ({where})")
    return None


def publish(cohort: Cohort, actor_id: int | None = None, dry_run: bool = False) -> Outcome:
    """Release the cohort's outcomes if the difference from its last release reveals no
    small group; otherwise refuse (Invalid) saying why. ``dry_run`` checks and writes
    nothing."""
    minimum = cohort.programme.min_group_size
    previous = latest(cohort)
    with db.session.begin_nested() as attempt:
        release = snapshot(cohort, actor_id)
        changed = changed_people(previous, release)
        if previous is not None and not changed:
            attempt.rollback()
            return Outcome(None, 0, f"Nothing has changed since release {previous.number}; "
                                    "no new release.")
        plan = plan_of_release(cohort.id, minimum)
        release.plan = plan.as_json(minimum)
        # A first release reveals only its own figures, which the publication rule protects.
        reason = too_few(changed, plan, minimum) if previous is not None else None
        if reason or dry_run:
            attempt.rollback()
    if reason:
        raise Invalid(
            f"Release refused: {reason} since {describe(previous)}, and a sponsor setting "
            f"the two releases side by side would learn about fewer than {minimum} people. "
            f"Publish when at least {minimum} have changed, or nothing has.",
            errors={"cohort": [reason]})
    if dry_run:
        return Outcome(None, len(changed), f"Would publish: {len(changed)} participants "
                                           f"differ from {describe(previous)}.")
    return Outcome(release, len(changed), f"Published release {release.number} of "
                                          f"{cohort.name}: {len(changed)} participants "
                                          f"differ from {describe(previous)}.")


def describe(release: OutcomeRelease | None) -> str:
    """A release as words."""
    return f"release {release.number}" if release else "no release (the first)"
