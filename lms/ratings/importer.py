"""Importing ratings collected elsewhere (an online survey, paper) as submitted assessments.

CSV header ``email,phase,behaviour,value``. All rows or none: every bad row is listed by
number (the header is row 1) and reason. Importing the same file twice changes nothing. An
import is an administrator's act and is not bound by the assessment windows. It reads what it
needs in a fixed number of queries and writes in bulk, so 10,000 rows take about a second.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext

from lms.accounts.models import User
from lms.audit.service import record
from lms.cohorts import roster
from lms.cohorts.models import Cohort, Enrolment, Organisation
from lms.core import data_version
from lms.core.bulk import bulk_insert
from lms.core.db_types import utcnow
from lms.core.events import changing_answers
from lms.core.extensions import db
from lms.core.progress import Progress
from lms.framework.models import Behaviour
from lms.ratings.models import PHASES, Assessment, Rating
from lms.ratings.service import NOT_APPLICABLE, scale_values

HEADER = ("email", "phase", "behaviour", "value")
WHAT = "ratings file"
MAX_ROWS = 200_000


@dataclass
class RatingRow:
    """One answer of the file."""

    number: int
    email: str
    phase: str
    behaviour: str
    value: str
    cell_count: int


@dataclass
class ImportResult:
    """What an import did."""

    assessments_created: int = 0
    assessments_submitted: int = 0
    ratings_created: int = 0
    ratings_updated: int = 0
    ratings_unchanged: int = 0


def parse_rows(data: bytes) -> list[RatingRow]:
    """The rows of a ratings file; a file whose header or shape is wrong is refused."""
    reader = csv.reader(io.StringIO(roster.decode(data, WHAT), newline=""))
    try:
        header = [column.strip().lower() for column in next(reader)]
    except StopIteration:
        raise roster.file_error(gettext("The file is empty."), WHAT) from None
    except csv.Error as exc:
        raise roster.file_error(roster.not_csv(exc), WHAT) from None
    if header != list(HEADER):
        raise roster.file_error(roster.wrong_header(HEADER, header), WHAT)
    rows: list[RatingRow] = []
    number = 1
    try:
        for number, values in enumerate(reader, start=2):
            if not any(value.strip() for value in values):
                continue
            if len(rows) >= MAX_ROWS:
                raise roster.file_error(gettext("A ratings file holds at most %(most)d rows.",
                                                most=MAX_ROWS), WHAT)
            cells = [value.strip() for value in values] + [""] * len(HEADER)
            rows.append(RatingRow(number, cells[0].lower(), cells[1].lower(), cells[2].upper(),
                                  cells[3].lower(), len(values)))
    except csv.Error as exc:
        raise roster.file_error(roster.not_csv(exc, number), WHAT) from None
    if not rows:
        raise roster.file_error(gettext("The file has a header but no ratings."), WHAT)
    return rows


def applies(behaviour: Behaviour, sector: str | None) -> bool:
    """Whether a participant from an organisation of ``sector`` rates ``behaviour``."""
    return behaviour.applies_to == "all" or sector == "both" or behaviour.applies_to == sector


def row_problems(row: RatingRow, people: dict[str, tuple[int, str | None]],
                 behaviours: dict[str, Behaviour], values: set[str]) -> list[str]:
    """Everything wrong with one row."""
    if row.cell_count != len(HEADER):
        return [roster.cell_count_problem(row.cell_count, len(HEADER))]
    problems = []
    person = people.get(row.email)
    if person is None:
        problems.append(gettext("%(email)s is not a participant of this cohort",
                                email=row.email) if row.email
                        else gettext("(empty email) is not a participant of this cohort"))
    if row.phase not in PHASES:
        problems.append(roster.not_one_of("phase", row.phase, ", ".join(PHASES)))
    behaviour = behaviours.get(row.behaviour)
    if behaviour is None:
        problems.append(gettext("behaviour %(code)s is not a behaviour of the framework",
                                code=repr(row.behaviour)))
    elif person is not None and not applies(behaviour, person[1]):
        problems.append(gettext("%(code)s applies only to %(sector)s organisations; this "
                                "participant's is %(theirs)s", code=row.behaviour,
                                sector=behaviour.applies_to, theirs=person[1]))
    if row.value not in values:
        shown = ", ".join(sorted(values - {NOT_APPLICABLE}, key=int))
        problems.append(gettext("value %(value)s is not on the scale (%(scale)s) or %(na)s",
                                value=repr(row.value), scale=shown, na=NOT_APPLICABLE))
    return problems


def duplicate_problems(rows: list[RatingRow]) -> dict[int, list[str]]:
    """The same person, phase and behaviour twice in one file."""
    first: dict[tuple[str, str, str], int] = {}
    counts = Counter((r.email, r.phase, r.behaviour) for r in rows)
    problems: dict[int, list[str]] = {}
    for row in rows:
        key = (row.email, row.phase, row.behaviour)
        if counts[key] > 1 and key in first:
            problems[row.number] = [gettext(
                "duplicate: %(email)s, %(phase)s, %(code)s is already on row %(row)d",
                email=row.email, phase=row.phase, code=row.behaviour, row=first[key])]
        first.setdefault(key, row.number)
    return problems


def load_people(cohort: Cohort) -> dict[str, tuple[int, str | None]]:
    """Participants of the cohort by e-mail: (user id, their organisation's sector)."""
    rows = db.session.execute(
        sa.select(User.email, User.id, Organisation.sector)
        .join(Enrolment, Enrolment.user_id == User.id)
        .outerjoin(Organisation, Enrolment.organisation_id == Organisation.id)
        .where(Enrolment.cohort_id == cohort.id, Enrolment.role == "participant"))
    return {email: (user_id, sector) for email, user_id, sector in rows}


def import_ratings(cohort: Cohort, data: bytes, progress: Progress | None = None
                   ) -> ImportResult:
    """Check every row, then store them all as submitted assessments (or store nothing)."""
    rows = parse_rows(data)
    people = load_people(cohort)
    behaviours = {b.code: b for b in db.session.scalars(sa.select(Behaviour))}
    values = {str(v) for v in scale_values(cohort.programme)} | {NOT_APPLICABLE}
    problems = duplicate_problems(rows)
    progress = progress or Progress()
    progress.start(len(rows))
    for row in rows:
        found = row_problems(row, people, behaviours, values)
        if found:
            problems.setdefault(row.number, []).extend(found)
        progress.advance()
    if problems:
        progress.finish()
        raise roster.roster_error(problems, WHAT)
    result = ImportResult()
    with changing_answers(cohort.id, {people[row.email][0] for row in rows}):
        assessments = ensure_assessments(cohort, rows, people, result)
        write_ratings(cohort.id, rows, people, behaviours, assessments, result)
    progress.finish()
    record("ratings.import", cohort, rows=len(rows), ratings_created=result.ratings_created,
           ratings_updated=result.ratings_updated)
    return result


def ensure_assessments(cohort: Cohort, rows: list[RatingRow],
                       people: dict[str, tuple[int, str | None]],
                       result: ImportResult) -> dict[tuple[int, str], int]:
    """Assessment ids by (user, phase), created or marked submitted as needed."""
    existing = {(a.user_id, a.phase): a for a in db.session.scalars(
        sa.select(Assessment).filter_by(cohort_id=cohort.id))}
    now = utcnow()
    for user_id, phase in sorted({(people[r.email][0], r.phase) for r in rows}):
        assessment = existing.get((user_id, phase))
        if assessment is None:
            assessment = Assessment(cohort_id=cohort.id, user_id=user_id, phase=phase,
                                    status="submitted", submitted_at=now, source="imported")
            db.session.add(assessment)
            existing[(user_id, phase)] = assessment
            result.assessments_created += 1
        elif assessment.status != "submitted":
            assessment.status, assessment.submitted_at = "submitted", now
            result.assessments_submitted += 1
    db.session.flush()
    return {key: assessment.id for key, assessment in existing.items()}


def write_ratings(cohort_id: int, rows: list[RatingRow],
                  people: dict[str, tuple[int, str | None]],
                  behaviours: dict[str, Behaviour], assessments: dict[tuple[int, str], int],
                  result: ImportResult) -> None:
    """Insert new ratings and update changed ones in bulk (two statements at most)."""
    wanted = {
        (assessments[(people[r.email][0], r.phase)], behaviours[r.behaviour].id):
            None if r.value == NOT_APPLICABLE else int(r.value)
        for r in rows
    }
    stored = {(a_id, b_id): (rating_id, value) for rating_id, a_id, b_id, value in
              db.session.execute(sa.select(Rating.id, Rating.assessment_id, Rating.behaviour_id,
                                           Rating.value)
                                 .join(Assessment, Rating.assessment_id == Assessment.id)
                                 .where(Assessment.cohort_id == cohort_id))}
    inserts, updates = [], []
    for (assessment_id, behaviour_id), value in wanted.items():
        if (assessment_id, behaviour_id) not in stored:
            inserts.append({"assessment_id": assessment_id, "behaviour_id": behaviour_id,
                            "value": value})
        elif stored[(assessment_id, behaviour_id)][1] != value:
            updates.append({"id": stored[(assessment_id, behaviour_id)][0], "value": value})
        else:
            result.ratings_unchanged += 1
    # COPY on PostgreSQL (lms.core.bulk): psycopg's executemany sends one statement per rating.
    # The UPDATE of the assessments below moves the data version.
    bulk_insert(Rating.__table__, ("assessment_id", "behaviour_id", "value"),
                [(row["assessment_id"], row["behaviour_id"], row["value"]) for row in inserts])
    one_cohort = {data_version.COHORT_OPTION: cohort_id}  # only its answers change
    if updates:
        db.session.execute(sa.update(Rating), updates, execution_options=one_cohort)
    updated_ids = {row["id"] for row in updates}
    touched = {row["assessment_id"] for row in inserts} | {
        a_id for (a_id, _b), (r_id, _v) in stored.items() if r_id in updated_ids}
    if touched:  # what changed ratings must show as a change of their assessments (ETags)
        db.session.execute(sa.update(Assessment).where(Assessment.id.in_(touched))
                           .values(updated_at=utcnow()), execution_options=one_cohort)
    result.ratings_created, result.ratings_updated = len(inserts), len(updates)
