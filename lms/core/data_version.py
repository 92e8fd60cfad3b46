"""Data versions: tokens that change in every transaction that changes what a kind of answer
is built from.

Expensive answers (outcome reports, drawn charts, cohort progress, the framework document) are
cached under keys that include the token of what they depend on, and chart ETags are derived
from it, so a change is seen at once by every server process and nothing is invalidated by
hand. A token is a random string in one row of ``data_version``: a new one is written in the
same transaction as the change (atomic with it); reading one is a primary-key lookup.

There are six, so that frequent writes do not throw away answers they cannot change:

- ``framework``: the framework's tables;
- ``outcomes``: the above, programmes, cohorts, enrolments, organisations, submitted
  assessments with their ratings (saving a draft changes no report), and outcome releases;
- ``progress``: cohorts, enrolments, curricula, recorded work, people's names, and
  submissions (the progress chart counts them);
- ``baseline``: the framework, cohorts, and submitted *pre* self-assessments with their
  ratings: the programme's reliable-change thresholds rest on these alone, so post and
  "then" submissions, which come when reliable change is read, keep them (a change whose
  phase is not known, such as a bulk statement on ratings, moves it too);
- ``released``: the framework, programmes, cohorts and outcome releases: what sponsors'
  answers are built from (with the baseline, for the reliable-change thresholds), so they
  stay cached between releases however many people submit;
- ``feedback``: the framework, 360 raters and their answers: what outcomes from others'
  ratings are built from (with ``outcomes``, and the day, since a round closes by date).

Each version also has a token per cohort, and an unscoped token that moves only for changes no
one cohort owns (the framework, a programme, an organisation, a person's name, a bulk
statement). An answer about some cohorts (an outcomes report, a chart, engagement, progress)
rests on ``scoped``: the unscoped tokens and those cohorts' own, so a submission in one cohort
leaves every other cohort's answers, charts and ETags cached; a programme's answer rests on
all its cohorts'. ``baseline`` and ``framework`` are taken whole, since every cohort's
reliable-change thresholds rest on the whole programme's baseline.
Changes are noticed through the ORM session: objects of the watched tables flushed, and bulk
INSERT, UPDATE or DELETE statements on them sent through ``db.session.execute``. Code that
writes around the session (PostgreSQL COPY in lms.synthetic) calls ``mark_changed`` itself.
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.orm.util import identity_key

from lms.core.extensions import db

FRAMEWORK, OUTCOMES, PROGRESS, BASELINE = "framework", "outcomes", "progress", "baseline"
RELEASED, FEEDBACK = "released", "feedback"
#: The work through the modules alone (the tutor's progress table): PROGRESS without the
#: self-assessments, so that a window's submissions leave that table cached.
WORK = "work"
NAMES = (FRAMEWORK, OUTCOMES, PROGRESS, BASELINE, RELEASED, FEEDBACK, WORK)
FRAMEWORK_TABLES = ("framework", "theme", "behaviour", "leadership_level", "external_framework",
                    "external_heading", "external_indicator", "theme_link", "theme_link_quote")
#: Which versions a change to each table moves. Audit entries, tokens, sign-ins and password
#: links move none: they feed no cached answer.
WATCHED: dict[str, frozenset[str]] = {
    **{table: frozenset(NAMES) for table in FRAMEWORK_TABLES},
    "programme": frozenset({OUTCOMES, PROGRESS, RELEASED, WORK}),
    "cohort": frozenset({OUTCOMES, PROGRESS, BASELINE, RELEASED, WORK}),
    "enrolment": frozenset({OUTCOMES, PROGRESS, WORK}),
    "organisation": frozenset({OUTCOMES}),
    "assessment": frozenset({OUTCOMES, PROGRESS, BASELINE}),
    "rating": frozenset({OUTCOMES, BASELINE}),
    "outcome_release": frozenset({OUTCOMES, RELEASED}),
    "released_answer": frozenset({OUTCOMES, RELEASED}),
    "released_person": frozenset({OUTCOMES, RELEASED}),
    "released_completion": frozenset({OUTCOMES, RELEASED}),
    "module": frozenset({PROGRESS, WORK}),
    "activity": frozenset({PROGRESS, WORK}),
    "cohort_module": frozenset({PROGRESS, WORK}),
    "activity_record": frozenset({PROGRESS, WORK}),
    "user_account": frozenset({PROGRESS, WORK}),
    "feedback_rater": frozenset({FEEDBACK}),
    "feedback_answer": frozenset({FEEDBACK}),
    "released_feedback": frozenset({OUTCOMES, RELEASED}),
}
#: For these tables only a change to these columns counts (a sign-in writes the account).
WATCHED_COLUMNS = {"user_account": ("display_name", "email")}
FLAG = "lms_data_changed"
#: Where a session keeps (version, cohort id or None) for the per-cohort tokens it moves.
SCOPED_FLAG = "lms_data_changed_scoped"
#: The suffix of a version's token that moves only for changes no one cohort owns (the
#: framework, a programme, an organisation, a bulk statement): a cohort-scoped answer rests
#: on it and on its cohorts' own tokens.
UNSCOPED = "/g"
#: Versions whose answers rest on every cohort at once (the reliable-change thresholds come
#: from the whole programme's baseline): a scoped answer takes their whole token.
PROGRAMME_WIDE = frozenset({FRAMEWORK, BASELINE})
#: For a row with no cohort_id of its own, the relationship to the row that has one.
PARENTS = {"rating": ("assessment", "assessment_id"),
           "feedback_answer": ("rater", "rater_id")}
#: Execution options naming the cohort a bulk statement writes for (a release's copies, a
#: submission) and, for self-assessments, their phase (a post or "then" one leaves the
#: baseline).
COHORT_OPTION = "lms_cohort"
PHASE_OPTION = "lms_phase"


class DataVersion(db.Model):
    """The current token of one kind of data."""

    __tablename__ = "data_version"

    name: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    token: Mapped[str] = mapped_column(sa.String(32))


class CohortDataVersion(db.Model):
    """The current token of one kind of data in one cohort: a change there moves it and
    leaves every other cohort's answers cached.

    No foreign key: the token must outlive a deleted cohort, whose id SQLite can hand out
    again, so that nothing cached for the old cohort is served for the new one.
    """

    __tablename__ = "cohort_data_version"

    cohort_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    token: Mapped[str] = mapped_column(sa.String(32))


def new_token() -> str:
    """A fresh, never-repeated version token."""
    return secrets.token_hex(16)


def current(name: str) -> str:
    """The current version of ``name`` (one query). With no row yet (a database just
    emptied), a fresh token every time, so nothing cached under an old one can be served."""
    token = db.session.scalar(sa.select(DataVersion.token).where(DataVersion.name == name))
    return token or new_token()


def current_of(names: tuple[str, ...]) -> str:
    """The current versions of several kinds, as one token (one query)."""
    rows = dict(db.session.execute(sa.select(DataVersion.name, DataVersion.token)
                                   .where(DataVersion.name.in_(names))).all())
    return ":".join(rows.get(name) or new_token() for name in names)


def mark_changed(names=NAMES, session: Session | None = None,
                 cohort_id: int | None = None) -> None:
    """Note that this transaction changed data behind ``names``, in one cohort when
    ``cohort_id`` is given (otherwise in no cohort in particular, which every cohort's
    answers see); also for writes made around the ORM."""
    info = (session or db.session()).info
    info.setdefault(FLAG, set()).update(names)
    info.setdefault(SCOPED_FLAG, set()).update((name, cohort_id) for name in names)


def scoped(names: tuple[str, ...], cohort_ids) -> str:
    """The versions of ``names`` as seen by an answer about ``cohort_ids`` only, as one token
    (one query): each version's unscoped token and each cohort's own, and for versions that
    rest on the whole programme their whole token. A change in another cohort leaves it."""
    ids = sorted(set(cohort_ids))
    whole = [name for name in names if name in PROGRAMME_WIDE]
    per_cohort = [name for name in names if name not in PROGRAMME_WIDE]
    global_names = whole + [name + UNSCOPED for name in per_cohort]
    rows = db.session.execute(sa.union_all(
        sa.select(DataVersion.name, DataVersion.token, sa.literal(-1).label("cohort"))
        .where(DataVersion.name.in_(global_names)),
        sa.select(CohortDataVersion.name, CohortDataVersion.token,
                  CohortDataVersion.cohort_id)
        .where(CohortDataVersion.cohort_id.in_(ids),
               CohortDataVersion.name.in_(per_cohort)))).all()
    found = {(name, cohort): token for name, token, cohort in rows}
    parts = [found.get((name, -1)) or new_token() for name in global_names]
    # A cohort no change has touched yet has no token: "-" until its first change.
    parts += [f"{cohort}={found.get((name, cohort), '-')}" for name in per_cohort
              for cohort in ids]
    return ":".join(parts)


def draft_only(session: Session, obj) -> bool:
    """A change to a draft assessment or its ratings: no report can see it."""
    table = getattr(obj, "__tablename__", None)
    if obj is None:
        return False
    if table == "assessment":
        state = sa.inspect(obj)
        if obj in session.deleted:
            return False
        if state.pending:  # a new draft: its status may only be set on INSERT
            return obj.status in (None, "draft")
        return obj.status == "draft" and not state.attrs.status.history.has_changes()
    if table == "rating":
        return draft_only(session, loaded_assessment(session, obj))
    return False


def loaded_assessment(session: Session, rating):
    """The assessment of a rating if the session already holds it (never a query)."""
    loaded = sa.inspect(rating).dict
    if loaded.get("assessment") is not None:
        return loaded["assessment"]
    if rating.assessment_id is None:
        return None
    mapper = type(rating).assessment.property.mapper
    return session.identity_map.get(identity_key(mapper.class_, rating.assessment_id))


def touched_columns(obj, columns: tuple[str, ...]) -> bool:
    """Whether any of ``columns`` of a changed object changed."""
    state = sa.inspect(obj)
    return state.pending or state.deleted or any(
        state.attrs[column].history.has_changes() for column in columns)


def versions_moved_by(session: Session, obj) -> frozenset[str]:
    """Which versions a new, changed or deleted object moves."""
    table = getattr(obj, "__tablename__", None)
    names = WATCHED.get(table, frozenset())
    if not names:
        return names
    if table in WATCHED_COLUMNS and obj not in session.new and obj not in session.deleted \
            and not touched_columns(obj, WATCHED_COLUMNS[table]):
        return frozenset()
    if table in ("assessment", "rating") and draft_only(session, obj):
        return frozenset()
    if table in ("assessment", "rating") and not_baseline(session, obj):
        return names - {BASELINE}
    return names


def not_baseline(session: Session, obj) -> bool:
    """A change known to be to a post or "then" self-assessment (or its ratings), which the
    baseline does not rest on; a phase the session cannot tell without a query counts."""
    assessment = obj if obj.__tablename__ == "assessment" else loaded_assessment(session, obj)
    if assessment is None:
        return False
    phase = sa.inspect(assessment).attrs.phase
    was = phase.history.deleted
    return assessment.phase in ("post", "then") and all(p in ("post", "then") for p in was)


def cohort_of(session: Session, obj) -> int | None:
    """The cohort a changed row belongs to, if the session can tell without a query."""
    table = getattr(obj, "__tablename__", None)
    if table == "cohort":
        return obj.id
    if hasattr(obj, "cohort_id"):
        if obj.cohort_id is not None:
            return obj.cohort_id
        cohort = sa.inspect(obj).dict.get("cohort")
        return cohort.id if cohort is not None else None
    if table in PARENTS:
        parent = loaded_parent(session, obj, *PARENTS[table])
        return cohort_of(session, parent) if parent is not None else None
    return None


def loaded_parent(session: Session, obj, relationship: str, key: str):
    """The row ``obj`` belongs to through ``relationship``, if the session holds it."""
    loaded = sa.inspect(obj).dict
    if loaded.get(relationship) is not None:
        return loaded[relationship]
    if getattr(obj, key) is None:
        return None
    mapper = getattr(type(obj), relationship).property.mapper
    return session.identity_map.get(identity_key(mapper.class_, getattr(obj, key)))


def note_flushed_objects(session: Session, _context, _instances) -> None:
    """before_flush: the versions moved by every new, changed or deleted object, and in
    which cohort."""
    for obj in (*session.new, *session.dirty, *session.deleted):
        moved = versions_moved_by(session, obj)
        if moved:
            mark_changed(moved, session, cohort_of(session, obj))


def note_bulk_statements(state) -> None:
    """do_orm_execute: an INSERT, UPDATE or DELETE statement on a watched table (in the
    cohort its ``lms_cohort`` execution option names, else in none in particular; a post or
    "then" self-assessment's, by its ``lms_phase``, leaves the baseline)."""
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        names = WATCHED.get(getattr(table, "name", None))
        if names and state.execution_options.get(PHASE_OPTION) in ("post", "then") \
                and table.name in ("assessment", "rating"):
            names = names - {BASELINE}
        if names:
            mark_changed(names, state.session, state.execution_options.get(COHORT_OPTION))


def write_new_versions(session: Session) -> None:
    """before_commit: store a new token for each version this transaction moved, whole,
    unscoped, and per cohort."""
    session.flush()
    for name in sorted(session.info.pop(FLAG, ())):  # a fixed order: no lock cycles
        set_token(session, name)
    moved = session.info.pop(SCOPED_FLAG, set())
    for name, cohort_id in sorted(moved, key=lambda pair: (pair[0], pair[1] or 0)):
        if cohort_id is None:
            set_token(session, name + UNSCOPED)
        else:
            set_cohort_token(session, cohort_id, name)


def set_token(session: Session, name: str) -> None:
    """A new token for ``name``."""
    token = new_token()
    updated = session.execute(sa.update(DataVersion).where(DataVersion.name == name)
                              .values(token=token))
    if updated.rowcount == 0:
        session.execute(sa.insert(DataVersion).values(name=name, token=token))


def set_cohort_token(session: Session, cohort_id: int, name: str) -> None:
    """A new token for ``name`` in one cohort: one upsert, so that two first changes of a
    cohort at once cannot both insert."""
    dialect = session.get_bind().dialect.name
    insert = (postgresql_insert if dialect == "postgresql" else sqlite_insert)(
        CohortDataVersion).values(cohort_id=cohort_id, name=name, token=new_token())
    session.execute(insert.on_conflict_do_update(
        index_elements=["cohort_id", "name"], set_={"token": insert.excluded.token}))


def forget_changes(session: Session, *_args) -> None:
    """after_rollback: nothing this transaction did was kept."""
    session.info.pop(FLAG, None)
    session.info.pop(SCOPED_FLAG, None)


def watch(session_class: type[Session]) -> None:
    """Listen to every session of ``session_class`` (idempotent)."""
    for name, handler in (("before_flush", note_flushed_objects),
                          ("do_orm_execute", note_bulk_statements),
                          ("before_commit", write_new_versions),
                          ("after_rollback", forget_changes),
                          ("after_soft_rollback", forget_changes)):
        if not sa.event.contains(session_class, name, handler):
            sa.event.listen(session_class, name, handler)
