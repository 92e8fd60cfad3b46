"""Outcome tallies kept ready as ratings arrive, so that a report never groups the ratings.

A report's figures come from one statement of counts (``lms.outcomes.service.tally_query``):
pairs of scores per comparison, answers per point, respondents, alpha's moments, the flow's
counts. Every one of those counts is a sum over participants, so a cohort's counts are the
sum of its participants' contributions. This module keeps each cohort's counts in
``outcome_tally``, one row per counted key, for each report level without a breakdown
(behaviour, theme, framework and each linked framework):

- **On write, in the same transaction.** The paths that change submitted answers (a
  submission, a reopening, an import) run inside ``keeping(cohort, people)``: it locks those
  people, counts their contribution before the change and after it (in Python, from their
  answers: lms.outcomes.contributions), and adds the difference to the cohort's rows. A
  reader sees them change with the commit.
- **Anything else marks the cohort stale** (noticed through the ORM session, as data
  versions are): ratings changed by hand, a framework change (every cohort), a bulk statement.
  A stale cohort's counts are taken from the ratings as before, so no reader ever sees a
  half-applied or missing change; the job queue then rebuilds it, and ``flask lms
  rebuild-tallies`` rebuilds every cohort (for migrations and repairs), all or nothing.
  A rebuild counts with the report's own statement, and the tests hold the kept counts to
  it after every kind of write.

A report over several cohorts adds their rows up in SQL: at most cohorts × rows × distinct
score pairs rows are read, never the ratings. One case is left to the ratings: a person with
answers in two of the cohorts asked about, whom a report over both counts once (their
answers pooled) while kept rows count once per cohort.
"""

from __future__ import annotations

import contextlib
import logging
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence

import sqlalchemy as sa
from flask import has_app_context
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from lms.cohorts.models import Cohort, Enrolment
from lms.core import data_version, events, jobs
from lms.core.extensions import db
from lms.core.progress import Progress
from lms.outcomes.contributions import contribution
from lms.ratings.models import Assessment

log = logging.getLogger(__name__)

#: The levels kept, as ``variant`` names: a linked level is kept per linked framework (the
#: service's LINKED_FRAMEWORKS, which imports this module; a test holds them equal).
LINKED_FRAMEWORKS = ("hay-ccg", "nhs-lf", "lqf")
VARIANTS = ("behaviour", "theme", "framework", *(f"linked:{code}" for code in LINKED_FRAMEWORKS))
#: Stands for NULL in a key column, so that the unique key matches on every database.
NONE = -1
#: The job that rebuilds stale cohorts.
REBUILD_JOB = "rebuild_stale_tallies"
#: Session keys: cohorts whose counts changed outside ``keeping`` (``ALL``: every cohort),
#: the ``keeping`` block in progress, and new cohorts (kept from birth, with no rows).
STALE = "lms_tallies_stale"
COVERING = "lms_tallies_covering"
NEW_COHORTS = "lms_tallies_new_cohorts"
QUEUE_REBUILD = "lms_tallies_queue_rebuild"
#: Cohorts whose outcomes this transaction changed, kept or not (lms.outcomes.ahead draws
#: their charts).
CHANGED = "lms_outcomes_changed_cohorts"
ALL = "all"
#: Which columns of a changed row can change a report's counts.
RELEVANT_COLUMNS = {"assessment": ("status", "phase", "cohort_id", "user_id"),
                    "rating": ("value", "behaviour_id", "assessment_id")}
FLOW_KINDS = ("attrition", "paired", "people")


class OutcomeTally(db.Model):
    """One counted key of one cohort's report at one level, and its count (and, for alpha's
    moments and the flow's pairing, the sums that go with it)."""

    __tablename__ = "outcome_tally"
    __table_args__ = (sa.UniqueConstraint("variant", "cohort_id", "kind", "unit", "phase",
                                          "k1", "k2", "k3", "k4"),)

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"),
                                    primary_key=True)
    cohort_id: Mapped[int] = mapped_column(sa.ForeignKey("cohort.id", ondelete="CASCADE"),
                                           index=True)
    variant: Mapped[str] = mapped_column(sa.String(24))
    kind: Mapped[str] = mapped_column(sa.String(16))
    unit: Mapped[str] = mapped_column(sa.String(255))
    phase: Mapped[str] = mapped_column(sa.String(8))
    k1: Mapped[int] = mapped_column(sa.BigInteger)
    k2: Mapped[int] = mapped_column(sa.BigInteger)
    k3: Mapped[int] = mapped_column(sa.BigInteger)
    k4: Mapped[int] = mapped_column(sa.BigInteger)
    s1: Mapped[int] = mapped_column(sa.BigInteger)
    s2: Mapped[int] = mapped_column(sa.BigInteger)
    s3: Mapped[int] = mapped_column(sa.BigInteger)
    n: Mapped[int] = mapped_column(sa.BigInteger)


class OutcomeTallyState(db.Model):
    """Whether a cohort's kept counts are current (a cohort without a row is not)."""

    __tablename__ = "outcome_tally_state"

    cohort_id: Mapped[int] = mapped_column(sa.ForeignKey("cohort.id", ondelete="CASCADE"),
                                           primary_key=True, autoincrement=False)
    fresh: Mapped[bool] = mapped_column(default=False)


Key = tuple[str, str, str, str, int, int, int, int]  # variant, kind, unit, phase, k1..k4
Sums = tuple[int, int, int, int]  # s1, s2, s3, n


def variant_of(level: str, linked: str | None) -> str:
    """The kept variant a report level reads."""
    return f"linked:{linked}" if level == "linked" else level


def level_of(variant: str) -> tuple[str, str | None]:
    """A variant's report level and linked framework."""
    level, _sep, linked = variant.partition(":")
    return level, linked or None


def number(value) -> int:
    """A key number, NONE for NULL."""
    return NONE if value is None else int(value)


def stored(variant: str, row) -> tuple[Key, Sums]:
    """One row of a report's statement (kind, unit, group, phase, a, b, c, d, count) as a kept
    key and its sums. The four numbers are part of the key, except alpha's moments and the
    flow's pairing counts, which add up."""
    kind, unit, _group, phase, a, b, c, d, count = row
    unit, phase = unit or "", phase or ""
    if kind == "alpha_item":
        return ((variant, kind, unit, phase, number(a), NONE, NONE, NONE),
                (int(b), int(c), 0, int(count)))
    if kind == "alpha_total":
        return ((variant, kind, unit, phase, NONE, NONE, NONE, NONE),
                (int(b), int(c), 0, int(count)))
    if kind == "paired":
        return ((variant, kind, unit, phase, NONE, NONE, NONE, NONE),
                (int(a or 0), int(b or 0), int(c or 0), 0))
    return ((variant, kind, unit, phase, number(a), number(b), number(c), number(d)),
            (0, 0, 0, int(count)))


def unstored(kind: str, unit: str, phase: str, keys: Sequence[int], sums: Sequence[int],
             group: str | None) -> tuple:
    """A kept key and its sums back as a row of a report's statement."""
    k1, k2, k3, k4 = (None if k == NONE else k for k in keys)
    s1, s2, s3, n = sums
    if kind in FLOW_KINDS:
        group = None  # the flow and the head count are never split by cohort
    if kind == "alpha_item":
        return (kind, unit, group, phase, k1, s1, s2, None, n)
    if kind == "alpha_total":
        return (kind, unit, group, phase, None, s1, s2, None, n)
    if kind == "paired":
        return (kind, None, group, None, s1, s2, s3, None, 0)
    return (kind, unit or None, group, phase or None, k1, k2, k3, k4, n)


def counted_by_statement(cohort_id: int, people: Sequence[int] | None = None) -> Counter:
    """The counts ``people`` of one cohort (everyone when None) give to every kept variant,
    counted now by the report's own statement (one per variant): what a rebuild keeps, and
    what the tests hold the kept counts to."""
    from lms.outcomes.service import tally_query  # the service reads this module's rows

    found: dict[Key, list[int]] = {}
    for variant in VARIANTS:
        level, linked = level_of(variant)
        for row in db.session.execute(tally_query([cohort_id], level, None, linked,
                                                  people=people)):
            key, sums = stored(variant, row)
            if key in found:
                found[key] = [x + y for x, y in zip(found[key], sums, strict=True)]
            else:
                found[key] = list(sums)
    return Counter({key: tuple(sums) for key, sums in found.items() if any(sums)})


def difference(before: dict[Key, Sums], after: dict[Key, Sums]) -> dict[Key, Sums]:
    """What changed between two contributions, key by key."""
    zero = (0, 0, 0, 0)
    changed = {}
    for key in before.keys() | after.keys():
        delta = tuple(new - old for new, old in zip(after.get(key, zero), before.get(key, zero),
                                                   strict=True))
        if any(delta):
            changed[key] = delta
    return changed


def insert_for(session: Session):
    """The dialect's INSERT with ON CONFLICT."""
    dialect = session.get_bind().dialect.name
    return postgresql_insert if dialect == "postgresql" else sqlite_insert


def add_to_cohort(cohort_id: int, changes: dict[Key, Sums]) -> None:
    """Add ``changes`` to a cohort's kept rows, keys in a fixed order so that two writers
    never lock the same rows in opposite orders. A row that falls to nothing stays (readers
    skip it; a rebuild drops it): finding it to delete would cost more than the write."""
    if not changes:
        return
    session = db.session()
    insert = insert_for(session)(OutcomeTally)
    rows = [{"cohort_id": cohort_id, "variant": key[0], "kind": key[1], "unit": key[2],
             "phase": key[3], "k1": key[4], "k2": key[5], "k3": key[6], "k4": key[7],
             "s1": sums[0], "s2": sums[1], "s3": sums[2], "n": sums[3]}
            for key, sums in sorted(changes.items())]
    table = OutcomeTally.__table__
    # executemany: psycopg pipelines the rows (a multi-row VALUES took twice as long to
    # compile and run for a submission's 600 keys).
    session.execute(insert.on_conflict_do_update(
        index_elements=["variant", "cohort_id", "kind", "unit", "phase", "k1", "k2", "k3",
                        "k4"],
        set_={name: table.c[name] + insert.excluded[name] for name in ("s1", "s2", "s3", "n")}),
        rows)


def live_rows():
    """Kept rows that count: not fallen to nothing."""
    t = OutcomeTally
    return sa.or_(t.n != 0, t.s1 != 0, t.s2 != 0, t.s3 != 0)


def is_fresh(cohort_id: int, share: bool) -> bool:
    """Whether a cohort's kept rows are current; ``share``: hold them so (a rebuild waits for
    this transaction, and this one for a rebuild under way) on PostgreSQL."""
    query = sa.select(OutcomeTallyState.fresh).where(OutcomeTallyState.cohort_id == cohort_id)
    if share:
        query = query.with_for_update(read=True)
    return bool(db.session.scalar(query))


def lock_people(cohort_id: int, people: Sequence[int]) -> None:
    """Hold the enrolments of ``people`` in the cohort until the transaction ends, so that two
    changes to one person's answers are counted one after the other (each sees the other's
    result as its "before")."""
    db.session.execute(sa.select(Enrolment.id).where(
        Enrolment.cohort_id == cohort_id, Enrolment.user_id.in_(sorted(set(people))))
        .order_by(Enrolment.id).with_for_update())


@contextlib.contextmanager
def covered(session: Session, what: int | str) -> Iterator[None]:
    """Take every change the block makes to assessments and ratings as accounted for by
    ``what`` (a cohort kept in step, or ALL counted afresh): none marks a cohort stale.
    What came before the block is flushed first, and so noticed as usual."""
    session.flush()
    session.info[COVERING] = what
    try:
        yield
        session.flush()
    finally:
        session.info.pop(COVERING, None)


@contextlib.contextmanager
def keeping(cohort_id: int, people: Iterable[int]) -> Iterator[None]:
    """Around a change to the submitted answers of ``people`` in one cohort: keep the
    cohort's counts up to date in the same transaction. Every change the block makes to
    assessments and ratings is taken as theirs, so the block must change nobody else's."""
    people = sorted(set(people))
    session = db.session()
    session.flush()  # what came before the block is noticed as usual
    lock_people(cohort_id, people)
    kept = is_fresh(cohort_id, share=True)
    before = contribution(cohort_id, people, VARIANTS) if kept else None
    with covered(session, cohort_id):
        yield
    if before is not None:
        after = contribution(cohort_id, people, VARIANTS)
        add_to_cohort(cohort_id, difference(before, after))
    session.info.setdefault(CHANGED, set()).add(cohort_id)


@contextlib.contextmanager
def counted_afresh(cohort_ids: Sequence[int], progress: Progress | None = None
                   ) -> Iterator[None]:
    """Around a bulk load of whole cohorts' answers: count those cohorts afresh after it
    (every change the block makes to assessments and ratings is taken as theirs)."""
    with covered(db.session(), ALL):
        yield
    progress = progress or Progress()
    progress.start(len(cohort_ids), "outcome tallies")
    for cohort_id in cohort_ids:
        rebuild([cohort_id])
        progress.advance()
    progress.finish()
    refresh_statistics()


events.keep_answers_with(keeping)


# --- noticing changes made outside ``keeping`` ----------------------------------------------

def mark_stale(session: Session, cohort_id: int | None) -> None:
    """Note that this transaction changed a cohort's counts (``None``: any cohort's) outside
    ``keeping``, so its kept rows are marked stale with the commit."""
    stale = session.info.setdefault(STALE, set())
    stale.add(ALL if cohort_id is None else cohort_id)
    if cohort_id is not None:
        session.info.setdefault(CHANGED, set()).add(cohort_id)


def changes_counts(session: Session, obj) -> bool:
    """Whether a new, changed or deleted row can change a report's counts."""
    table = getattr(obj, "__tablename__", None)
    if table in data_version.FRAMEWORK_TABLES:
        return True
    if table not in RELEVANT_COLUMNS or data_version.draft_only(session, obj):
        return False
    return data_version.touched_columns(obj, RELEVANT_COLUMNS[table])


def note_flushed_objects(session: Session, _context, _instances) -> None:
    """before_flush: changes to the framework, assessments and ratings made outside
    ``keeping``, and new cohorts."""
    for obj in session.new:
        if getattr(obj, "__tablename__", None) == "cohort":
            session.info.setdefault(NEW_COHORTS, []).append(obj)
    if COVERING in session.info:
        return
    for obj in (*session.new, *session.dirty, *session.deleted):
        if changes_counts(session, obj):
            framework = obj.__tablename__ in data_version.FRAMEWORK_TABLES
            mark_stale(session, None if framework else data_version.cohort_of(session, obj))


def note_bulk_statements(state) -> None:
    """do_orm_execute: an INSERT, UPDATE or DELETE statement on the tables behind the counts,
    outside ``keeping``."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    if COVERING in state.session.info:
        return
    name = getattr(getattr(state.statement, "table", None), "name", None)
    if name in RELEVANT_COLUMNS or name in data_version.FRAMEWORK_TABLES:
        mark_stale(state.session, state.execution_options.get(data_version.COHORT_OPTION))


def set_state(session: Session, cohort_ids: Sequence[int], fresh: bool) -> None:
    """Insert or update the state of ``cohort_ids`` (one statement)."""
    if not cohort_ids:
        return
    insert = insert_for(session)(OutcomeTallyState)
    session.execute(insert.on_conflict_do_update(
        index_elements=["cohort_id"], set_={"fresh": insert.excluded.fresh}),
        [{"cohort_id": cohort_id, "fresh": fresh} for cohort_id in sorted(cohort_ids)])


def keep_new_cohorts(session: Session, _context) -> None:
    """after_flush: a cohort just inserted has no answers, so its (empty) counts are current
    from the start, before anything in the same transaction submits into it."""
    born = [cohort.id for cohort in session.info.pop(NEW_COHORTS, [])
            if cohort.id is not None]
    if born:
        insert = insert_for(session)(OutcomeTallyState)
        session.connection().execute(insert.on_conflict_do_nothing(),
                                     [{"cohort_id": cohort_id, "fresh": True}
                                      for cohort_id in sorted(born)])


def write_state(session: Session) -> None:
    """before_commit: cohorts changed outside ``keeping`` become stale."""
    session.flush()
    stale = session.info.pop(STALE, set())
    if ALL in stale:
        session.execute(sa.update(OutcomeTallyState).values(fresh=False))
    elif stale:
        session.execute(sa.update(OutcomeTallyState)
                        .where(OutcomeTallyState.cohort_id.in_(sorted(stale)))
                        .values(fresh=False))
    if stale:
        session.info[QUEUE_REBUILD] = True


def queue_rebuild(session: Session) -> None:
    """after_commit: have the worker rebuild what went stale."""
    if not session.info.pop(QUEUE_REBUILD, False) or not has_app_context():
        return
    try:
        jobs.queue().enqueue(REBUILD_JOB)
    except Exception:  # the queue away: readers count stale cohorts from the ratings
        log.warning("could not queue a rebuild of stale outcome tallies", exc_info=True)


def forget(session: Session, *_args) -> None:
    """after_rollback: nothing this transaction did was kept."""
    for key in (STALE, NEW_COHORTS, QUEUE_REBUILD, CHANGED):
        session.info.pop(key, None)


def watch(session_class: type[Session]) -> None:
    """Listen to every session of ``session_class`` (idempotent)."""
    for name, handler in (("before_flush", note_flushed_objects),
                          ("do_orm_execute", note_bulk_statements),
                          ("after_flush", keep_new_cohorts),
                          ("before_commit", write_state),
                          ("after_commit", queue_rebuild),
                          ("after_rollback", forget),
                          ("after_soft_rollback", forget)):
        if not sa.event.contains(session_class, name, handler):
            sa.event.listen(session_class, name, handler)


# --- rebuilding -----------------------------------------------------------------------------

def rebuild(cohort_ids: Sequence[int]) -> int:
    """Count ``cohort_ids`` afresh from their ratings and keep the counts (in the caller's
    transaction); how many rows were written."""
    written = 0
    session = db.session()
    for cohort_id in sorted(cohort_ids):
        set_state(session, [cohort_id], False)
        session.execute(sa.select(OutcomeTallyState.cohort_id)
                        .where(OutcomeTallyState.cohort_id == cohort_id).with_for_update())
        session.execute(sa.delete(OutcomeTally).where(OutcomeTally.cohort_id == cohort_id))
        counts = counted_by_statement(cohort_id)
        add_to_cohort(cohort_id, dict(counts))
        set_state(session, [cohort_id], True)
        written += len(counts)
    return written


def rebuild_all(progress: Progress | None = None) -> tuple[int, int]:
    """Rebuild every cohort in the caller's transaction (all or nothing): (cohorts, rows)."""
    progress = progress or Progress()
    cohort_ids = list(db.session.scalars(sa.select(Cohort.id).order_by(Cohort.id)))
    progress.start(len(cohort_ids))
    rows = 0
    for cohort_id in cohort_ids:
        rows += rebuild([cohort_id])
        progress.advance()
    progress.finish()
    refresh_statistics()
    return len(cohort_ids), rows


def refresh_statistics() -> None:
    """After writing many kept rows at once, on PostgreSQL refresh the planner's statistics
    of the table: described as nearly empty, adding up a programme's rows was planned as a
    sort (102 ms) instead of a hash (31 ms). Autovacuum would, later, where it runs."""
    if db.session.connection().dialect.name == "postgresql":
        db.session.execute(sa.text(f"ANALYZE {OutcomeTally.__tablename__}, "
                                   f"{OutcomeTallyState.__tablename__}"))


def stale_cohorts() -> list[int]:
    """Cohorts whose kept counts are not current (one query)."""
    return list(db.session.scalars(
        sa.select(Cohort.id).outerjoin(OutcomeTallyState,
                                      OutcomeTallyState.cohort_id == Cohort.id)
        .where(sa.or_(OutcomeTallyState.fresh.is_(None), OutcomeTallyState.fresh.is_(False)))
        .order_by(Cohort.id)))


def rebuild_stale() -> int:
    """The worker's job: rebuild each stale cohort in a transaction of its own; how many."""
    done = 0
    for cohort_id in stale_cohorts():
        rebuild([cohort_id])
        db.session.commit()
        done += 1
    if done:
        log.info("rebuilt the outcome tallies of %d cohort(s)", done)
    return done


def run_rebuild_job() -> None:
    """The rebuild job, as the worker runs it."""
    rebuild_stale()


#: Also whenever a worker starts: after a migration or a restore, every cohort is stale.
JOBS = [jobs.Job(REBUILD_JOB, run_rebuild_job, at_startup=True)]


# --- reading --------------------------------------------------------------------------------

def fresh_among(cohort_ids: Sequence[int]) -> set[int]:
    """Which of ``cohort_ids`` have current kept counts (one query)."""
    return set(db.session.scalars(sa.select(OutcomeTallyState.cohort_id).where(
        OutcomeTallyState.cohort_id.in_(sorted(set(cohort_ids))),
        OutcomeTallyState.fresh.is_(True))))


def shared_people(cohort_ids: Sequence[int]) -> bool:
    """Whether someone has submitted answers in two of ``cohort_ids`` (one query)."""
    if len(set(cohort_ids)) < 2:
        return False
    return db.session.scalar(
        sa.select(Assessment.user_id)
        .where(Assessment.cohort_id.in_(sorted(set(cohort_ids))),
               Assessment.status == "submitted")
        .group_by(Assessment.user_id)
        # Two cohorts or more, said without DISTINCT so that it can hash (19 ms, not 33).
        .having(sa.func.min(Assessment.cohort_id) != sa.func.max(Assessment.cohort_id))
        .limit(1)) is not None


def kept_rows(cohort_ids: Sequence[int], level: str, linked: str | None,
              by_cohort: bool) -> list[tuple]:
    """The kept counts of ``cohort_ids`` at one level, added up across them in SQL (or per
    cohort, labelled with it, when ``by_cohort``), as rows of a report's statement."""
    if not cohort_ids:
        return []
    t = OutcomeTally
    keys = [t.kind, t.unit, t.phase, t.k1, t.k2, t.k3, t.k4]
    if by_cohort:
        keys.append(t.cohort_id)
    # Cast, so that PostgreSQL's sums of big integers come back as ints, not decimals.
    sums = [sa.cast(sa.func.sum(column), sa.BigInteger) for column in (t.s1, t.s2, t.s3, t.n)]
    query = (sa.select(*keys, *sums)
             .where(t.variant == variant_of(level, linked),
                    t.cohort_id.in_(sorted(set(cohort_ids))), live_rows())
             .group_by(*keys))
    return [unstored(row[0], row[1], row[2], row[3:7], row[-4:],
                     str(row[7]) if by_cohort else None)
            for row in db.session.execute(query)]
