"""Which answers a report is built from: the submitted answers of the cohorts in scope, each
with the person's group in a breakdown and the row it belongs to. Shared by the tallies
(lms.outcomes.service) and the scale reliability (lms.outcomes.scales)."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from lms.cohorts.models import Enrolment, Organisation
from lms.core.extensions import db
from lms.framework.models import (
    Behaviour,
    ExternalFramework,
    ExternalHeading,
    LeadershipLevel,
    Theme,
    ThemeLink,
)
from lms.outcomes.release_models import OutcomeRelease, ReleasedAnswer, ReleasedPerson
from lms.ratings.models import Assessment, Rating

#: The finest groups a sponsor's figures are built from (lms.outcomes.publication): cohort,
#: leadership level, organisation type and sector, as one text key.
ATOM = "atom"
ATOM_SEPARATOR = "|"


def group_column(breakdown: str | None) -> sa.ColumnElement:
    """The participant's group in ``breakdown``, as text (NULL without a breakdown)."""
    if breakdown is None:
        return sa.cast(sa.null(), sa.String)
    if breakdown == ATOM:
        parts = [sa.cast(Assessment.cohort_id, sa.String), LeadershipLevel.code,
                 Organisation.type, Organisation.sector]
        joined = parts[0]
        for part in parts[1:]:
            joined = joined + ATOM_SEPARATOR + sa.func.coalesce(part, "")
        return joined
    column = {"leadership_level": LeadershipLevel.code, "organisation_type": Organisation.type,
              "sector": Organisation.sector, "cohort": Assessment.cohort_id}[breakdown]
    return sa.cast(column, sa.String)


def unit_column(level: str) -> sa.ColumnElement:
    """What a row of ``level`` is: a behaviour, a theme, the whole framework, or a heading of
    a linked framework."""
    return {"behaviour": Behaviour.code, "theme": Theme.code,
            "framework": sa.literal("framework", sa.String),
            "linked": ExternalHeading.title}[level]


def join_linked(query: sa.Select, linked: str) -> sa.Select:
    """Each answer once per heading of ``linked`` that its theme links to."""
    return (query.join(ThemeLink, ThemeLink.theme_id == Theme.id)
            .join(ExternalHeading, ThemeLink.heading_id == ExternalHeading.id)
            .join(ExternalFramework,
                  ExternalHeading.external_framework_id == ExternalFramework.id)
            .where(ExternalFramework.code == linked))


def answers_in_scope(cohort_ids: Sequence[int] | sa.Select, level: str, breakdown: str | None,
                     linked: str | None = None, extra: Sequence[sa.ColumnElement] = (),
                     released: bool = False, people: Sequence[int] | None = None
                     ) -> sa.Select:
    """Every answer of a submitted assessment in scope: who, their group, the row, the phase
    and the value (NULL: "not applicable"), and any ``extra`` columns; ``released``: the
    answers of each cohort's latest release instead of the live ones; ``people``: only
    theirs (live answers only)."""
    if released:
        return released_answers(cohort_ids, level, breakdown, linked, extra)
    query = (
        sa.select(Assessment.user_id, group_column(breakdown).label("grp"),
                  unit_column(level).label("unit"), Assessment.phase, Rating.value, *extra)
        .join(Rating, Rating.assessment_id == Assessment.id)
        .join(Behaviour, Rating.behaviour_id == Behaviour.id)
        .join(Theme, Behaviour.theme_id == Theme.id)
        .where(Assessment.cohort_id.in_(cohort_ids), Assessment.status == "submitted"))
    if people is not None:
        query = query.where(Assessment.user_id.in_(people))
    if level == "linked":
        query = join_linked(query, linked)
    if breakdown in ("leadership_level", "organisation_type", "sector", ATOM):
        query = query.join(Enrolment, sa.and_(Enrolment.cohort_id == Assessment.cohort_id,
                                              Enrolment.user_id == Assessment.user_id))
        if breakdown in ("leadership_level", ATOM):
            query = query.outerjoin(LeadershipLevel,
                                    Enrolment.leadership_level_id == LeadershipLevel.id)
        if breakdown != "leadership_level":
            query = query.outerjoin(Organisation, Enrolment.organisation_id == Organisation.id)
    return query


def latest_releases(cohort_ids: Sequence[int] | sa.Select) -> sa.Subquery:
    """Each cohort's latest release: (id, cohort_id)."""
    newest = (sa.select(sa.func.max(OutcomeRelease.id))
              .where(OutcomeRelease.cohort_id.in_(cohort_ids))
              .group_by(OutcomeRelease.cohort_id))
    return (sa.select(OutcomeRelease.id, OutcomeRelease.cohort_id)
            .where(OutcomeRelease.id.in_(newest)).subquery("latest_release"))


def released_group_column(breakdown: str | None, latest: sa.Subquery) -> sa.ColumnElement:
    """A released participant's group in ``breakdown`` (as ``group_column``)."""
    if breakdown is None:
        return sa.cast(sa.null(), sa.String)
    columns = {"leadership_level": ReleasedPerson.leadership_level,
               "organisation_type": ReleasedPerson.organisation_type,
               "sector": ReleasedPerson.sector}
    if breakdown == "cohort":
        return sa.cast(latest.c.cohort_id, sa.String)
    if breakdown != ATOM:
        return sa.cast(columns[breakdown], sa.String)
    joined = sa.cast(latest.c.cohort_id, sa.String)
    for part in columns.values():
        joined = joined + ATOM_SEPARATOR + sa.func.coalesce(part, "")
    return joined


def released_answers(cohort_ids: Sequence[int] | sa.Select, level: str, breakdown: str | None,
                     linked: str | None, extra: Sequence[sa.ColumnElement]) -> sa.Select:
    """``answers_in_scope`` over each cohort's latest release."""
    latest = latest_releases(cohort_ids)
    query = (
        sa.select(ReleasedAnswer.user_id,
                  released_group_column(breakdown, latest).label("grp"),
                  unit_column(level).label("unit"), ReleasedAnswer.phase, ReleasedAnswer.value,
                  *extra)
        .select_from(ReleasedAnswer)
        .join(latest, latest.c.id == ReleasedAnswer.release_id)
        .join(Behaviour, ReleasedAnswer.behaviour_id == Behaviour.id)
        .join(Theme, Behaviour.theme_id == Theme.id))
    if level == "linked":
        query = join_linked(query, linked)
    if breakdown not in (None, "cohort"):
        query = query.join(ReleasedPerson, sa.and_(
            ReleasedPerson.release_id == ReleasedAnswer.release_id,
            ReleasedPerson.user_id == ReleasedAnswer.user_id))
    return query


def split_atom(key: str) -> tuple[int, tuple[str | None, ...]]:
    """An atom key's cohort and its groups (leadership level, organisation type, sector)."""
    cohort, *groups = key.split(ATOM_SEPARATOR)
    return int(cohort), tuple(group or None for group in groups)


def room_to_group() -> None:
    """Grouping a programme's answers by person needs more than PostgreSQL's default 4 MB
    of working memory to stay in memory: 64 MB, for this transaction only."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.text("SET LOCAL work_mem = '64MB'"))
