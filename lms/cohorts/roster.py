"""Roster import: a CSV of people into a cohort, all rows or none.

Every row is checked before anything is written; a file with any bad row is refused with
every bad row listed by number (the header is row 1) and reason. Importing the same file
twice changes nothing; a person already known by e-mail is enrolled, not duplicated.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email

from lms.accounts.models import User
from lms.accounts.service import issue_password_link
from lms.audit.service import record
from lms.cohorts.models import (
    ORGANISATION_TYPES,
    SECTORS,
    Cohort,
    Enrolment,
    Organisation,
    Sponsorship,
)
from lms.cohorts.service import enrolment_role_allowed, name_key
from lms.core.errors import Invalid
from lms.core.events import person_created
from lms.core.extensions import db
from lms.framework.models import LeadershipLevel

HEADER = ("email", "name", "organisation", "organisation_type", "sector", "leadership_level",
          "role")
ROW_ROLES = ("participant", "tutor", "sponsor")
MAX_ROWS = 10_000
MAX_LENGTHS = {"email": 320, "name": 200, "organisation": 255}
#: What makes a spreadsheet read a cell as a formula (OWASP "CSV injection"): such a cell,
#: stored and later exported, would run in the spreadsheet of whoever opens the export.
FORMULA_STARTS = ("=", "+", "-", "@")


@dataclass
class RosterRow:
    """One person of the file, with the number a spreadsheet would show for the row."""

    number: int
    email: str
    name: str
    organisation: str
    organisation_type: str
    sector: str
    leadership_level: str
    role: str
    #: How many cells the row had; anything but the header's count is an error.
    cell_count: int = len(HEADER)


@dataclass
class RosterResult:
    """What an import did."""

    #: The people the import created, each with their set-password link when the caller
    #: asked for links instead of invitations (None otherwise).
    created_users: list[tuple[User, str | None]] = field(default_factory=list)
    enrolled: int = 0
    updated: int = 0
    sponsors_added: int = 0
    organisations_created: int = 0
    unchanged: int = 0

    @property
    def changes(self) -> int:
        """How many people or organisations the import added or changed."""
        return (len(self.created_users) + self.enrolled + self.updated + self.sponsors_added
                + self.organisations_created)


def roster_error(problems: dict[int, list[str]], what: str = "roster") -> Invalid:
    """The refusal of a file, listing every bad row."""
    rows = [{"row": number, "errors": reasons} for number, reasons in sorted(problems.items())]
    summary = "; ".join(f"row {r['row']}: {', '.join(r['errors'])}" for r in rows[:5])
    more = f" (and {len(rows) - 5} more rows)" if len(rows) > 5 else ""
    return Invalid(f"The {what} was not imported; nothing was changed. {summary}{more}",
                   errors={"rows": rows})


def file_error(reason: str, what: str = "roster") -> Invalid:
    """The refusal of a file that cannot be read at all."""
    return Invalid(f"The {what} was not imported; nothing was changed. {reason}",
                   errors={"file": [reason]})


def decode(data: bytes, what: str = "roster") -> str:
    """The file as text: UTF-8 (a byte-order mark is allowed) with no NUL characters."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise file_error(f"The file is not UTF-8 text (byte {exc.start} cannot be read). "
                         "Save it from your spreadsheet as 'CSV UTF-8'.", what) from None
    if "\x00" in text:
        raise file_error("The file contains NUL characters; it is not a CSV text file.", what)
    return text


def parse_roster(data: bytes) -> list[RosterRow]:
    """Read the rows of a roster file; refuse a file whose header or shape is wrong."""
    reader = csv.reader(io.StringIO(decode(data), newline=""))
    try:
        header = [column.strip().lower() for column in next(reader)]
    except StopIteration:
        raise file_error("The file is empty.") from None
    except csv.Error as exc:
        raise file_error(f"The file is not valid CSV: {exc}.") from None
    if sorted(header) != sorted(HEADER) or len(header) != len(HEADER):
        raise file_error(f"The header must be: {','.join(HEADER)} (found: {','.join(header)}).")
    rows: list[RosterRow] = []
    number = 1
    try:
        for number, values in enumerate(reader, start=2):
            if not any(value.strip() for value in values):
                continue  # spreadsheets often leave blank lines at the end
            if len(rows) >= MAX_ROWS:
                raise file_error(f"A roster holds at most {MAX_ROWS} people; split the file.")
            cells = dict(zip(header, (value.strip() for value in values), strict=False))
            rows.append(RosterRow(number=number, cell_count=len(values),
                                  **{column: cells.get(column, "") for column in HEADER}))
    except csv.Error as exc:
        raise file_error(f"The file is not valid CSV near row {number}: {exc}.") from None
    if not rows:
        raise file_error("The file has a header but no people.")
    return rows


@dataclass
class Known:
    """What is already stored that the rows refer to, fetched in a fixed number of queries."""

    users: dict[str, User]
    organisations: dict[str, Organisation]
    levels: dict[str, LeadershipLevel]
    enrolments: dict[int, Enrolment]
    sponsor_ids: set[int]


def load_known(cohort: Cohort, rows: list[RosterRow]) -> Known:
    """Fetch the users, organisations, levels, enrolments and sponsors the rows mention."""
    emails = {row.email.lower() for row in rows}
    keys = {name_key(row.organisation) for row in rows if row.organisation}
    users = db.session.scalars(sa.select(User).where(User.email.in_(emails))).all()
    organisations = db.session.scalars(
        sa.select(Organisation).where(Organisation.name_key.in_(keys))).all()
    enrolments = db.session.scalars(sa.select(Enrolment).filter_by(cohort_id=cohort.id)).all()
    sponsors = db.session.scalars(
        sa.select(Sponsorship.user_id).filter_by(cohort_id=cohort.id)).all()
    levels = db.session.scalars(sa.select(LeadershipLevel)).all()
    return Known(
        users={u.email: u for u in users},
        organisations={o.name_key: o for o in organisations},
        levels={level.code: level for level in levels},
        enrolments={e.user_id: e for e in enrolments},
        sponsor_ids=set(sponsors),
    )


def row_problems(row: RosterRow, known: Known) -> list[str]:
    """Everything wrong with one row on its own and against what is stored."""
    if row.cell_count != len(HEADER):
        return [f"has {row.cell_count} cells; the header has {len(HEADER)}"]
    problems = [f"{name} is longer than {limit} characters"
                for name, limit in MAX_LENGTHS.items() if len(getattr(row, name)) > limit]
    problems += [f"{name} starts with {getattr(row, name)[0]!r}, which a spreadsheet would "
                 "run as a formula" for name in MAX_LENGTHS
                 if getattr(row, name).startswith(FORMULA_STARTS)]
    try:
        validate_email(row.email, check_deliverability=False)
    except EmailNotValidError as exc:
        problems.append(f"email {row.email!r} is not valid: {exc}")
    if not row.name:
        problems.append("name is empty")
    if row.role not in ROW_ROLES:
        problems.append(f"role {row.role!r} is not one of {', '.join(ROW_ROLES)}")
        return problems
    problems += organisation_problems(row, known)
    user = known.users.get(row.email.lower())
    if user is not None:
        problems += existing_user_problems(row, user, known)
    return problems


def organisation_problems(row: RosterRow, known: Known) -> list[str]:
    """A participant needs a valid organisation and level; others may leave them empty."""
    problems = []
    given = any((row.organisation, row.organisation_type, row.sector))
    if row.role == "participant" or given:
        if not row.organisation:
            problems.append("organisation is empty")
        if row.organisation_type not in ORGANISATION_TYPES:
            problems.append(f"organisation_type {row.organisation_type!r} is not one of "
                            f"{', '.join(ORGANISATION_TYPES)}")
        if row.sector not in SECTORS:
            problems.append(f"sector {row.sector!r} is not one of {', '.join(SECTORS)}")
    level_needed = row.role == "participant" or row.leadership_level
    if level_needed and row.leadership_level not in known.levels:
        problems.append(f"leadership_level {row.leadership_level!r} is not one of "
                        f"{', '.join(known.levels) or 'the levels (none loaded yet)'}")
    stored = known.organisations.get(name_key(row.organisation)) if row.organisation else None
    if stored is not None and (stored.type, stored.sector) != (row.organisation_type, row.sector):
        problems.append(f"organisation {stored.name!r} is recorded as {stored.type}, "
                        f"{stored.sector}; the row says {row.organisation_type}, {row.sector}")
    return problems


def existing_user_problems(row: RosterRow, user: User, known: Known) -> list[str]:
    """A known person must fit the row's role, and keep their role in this cohort."""
    if row.role == "sponsor":
        return [] if user.role == "sponsor" else [
            f"{user.email} is a {user.role} and cannot be made a sponsor"]
    if not enrolment_role_allowed(user, row.role):
        return [f"{user.email} is a {user.role} and cannot be enrolled as a {row.role}"]
    enrolment = known.enrolments.get(user.id)
    if enrolment is not None and enrolment.role != row.role:
        return [f"{user.email} is already a {enrolment.role} of this cohort"]
    return []


def file_wide_problems(rows: list[RosterRow]) -> dict[int, list[str]]:
    """Duplicates within the file: the same person twice, one organisation described twice."""
    problems: dict[int, list[str]] = {}
    counts = Counter(row.email.lower() for row in rows)
    first_seen: dict[str, int] = {}
    described: dict[str, tuple[str, str, int]] = {}
    for row in rows:
        email = row.email.lower()
        if counts[email] > 1 and email in first_seen:
            problems.setdefault(row.number, []).append(
                f"duplicate: {row.email} is already on row {first_seen[email]}")
        first_seen.setdefault(email, row.number)
        if row.organisation:
            key = name_key(row.organisation)
            kind = (row.organisation_type, row.sector)
            earlier = described.setdefault(key, (*kind, row.number))
            if earlier[:2] != kind:
                problems.setdefault(row.number, []).append(
                    f"organisation {row.organisation!r} is described differently on row "
                    f"{earlier[2]}")
    return problems


def checked_rows(cohort: Cohort, data: bytes) -> tuple[list[RosterRow], Known]:
    """The file's rows and what is stored about them; Invalid listing every bad row."""
    rows = parse_roster(data)
    known = load_known(cohort, rows)
    problems = file_wide_problems(rows)
    for row in rows:
        found = row_problems(row, known)
        if found:
            problems.setdefault(row.number, []).extend(found)
    if problems:
        raise roster_error(problems)
    return rows, known


@dataclass
class RosterPlan:
    """What importing a checked file would do, row by row, before anything is written."""

    rows: list[tuple[RosterRow, str]]
    new_organisations: list[str]

    def count(self, action: str) -> int:
        """How many rows would have ``action``."""
        return sum(1 for _row, planned in self.rows if planned == action)


def preview_roster(cohort: Cohort, data: bytes) -> RosterPlan:
    """Check a file as importing it would, and say what importing it would do; writes
    nothing."""
    rows, known = checked_rows(cohort, data)
    planned, new_organisations = [], {}
    for row in rows:
        key = name_key(row.organisation) if row.organisation else None
        if key and key not in known.organisations:
            new_organisations.setdefault(key, " ".join(row.organisation.split()))
        planned.append((row, planned_action(row, known)))
    return RosterPlan(planned, list(new_organisations.values()))


def planned_action(row: RosterRow, known: Known) -> str:
    """What ``apply_row`` would do with a checked row: create, enrol, update, sponsor or
    unchanged (the roster page says each in words)."""
    user = known.users.get(row.email.lower())
    if user is None:
        return "create"
    if row.role == "sponsor":
        return "unchanged" if user.id in known.sponsor_ids else "sponsor"
    enrolment = known.enrolments.get(user.id)
    if enrolment is None:
        return "enrol"
    organisation_key = name_key(row.organisation) if row.organisation else None
    stored_key = enrolment.organisation.name_key if enrolment.organisation else None
    stored_level = enrolment.leadership_level.code if enrolment.leadership_level else ""
    if (stored_key, stored_level) != (organisation_key, row.leadership_level or ""):
        return "update"
    return "unchanged"


def import_roster(cohort: Cohort, data: bytes, *, links: bool = False) -> RosterResult:
    """Check every row, then write them all; refuse the whole file if any row is bad. Each
    new person is invited by e-mail, or, with ``links``, given a set-password link in the
    result instead (for the command line's --print-links)."""
    rows, known = checked_rows(cohort, data)
    result = RosterResult()
    for row in rows:
        apply_row(cohort, row, known, result, links)
    db.session.flush()
    record("roster.import", cohort, rows=len(rows), created_users=len(result.created_users),
           enrolled=result.enrolled, updated=result.updated,
           sponsors_added=result.sponsors_added)
    return result


def apply_row(cohort: Cohort, row: RosterRow, known: Known, result: RosterResult,
              links: bool) -> None:
    """Write one checked row: the person (invited by e-mail, or given a link when ``links``),
    their organisation, their place in the cohort."""
    user = known.users.get(row.email.lower())
    if user is None:
        user = User(email=validate_email(row.email, check_deliverability=False)
                    .normalized.lower(), display_name=row.name, role=row.role)
        db.session.add(user)
        db.session.flush()
        known.users[user.email] = user
        result.created_users.append((user, issue_password_link(user) if links else None))
        person_created.send(user, cohort=cohort, invite=not links)
    if row.role == "sponsor":
        if user.id not in known.sponsor_ids:
            db.session.add(Sponsorship(user=user, cohort=cohort))
            known.sponsor_ids.add(user.id)
            result.sponsors_added += 1
        else:
            result.unchanged += 1
        return
    organisation = organisation_for(row, known, result)
    level = known.levels.get(row.leadership_level)
    enrolment = known.enrolments.get(user.id)
    if enrolment is None:
        enrolment = Enrolment(cohort=cohort, user=user, role=row.role, organisation=organisation,
                              leadership_level=level)
        db.session.add(enrolment)
        known.enrolments[user.id] = enrolment
        result.enrolled += 1
    elif (enrolment.organisation, enrolment.leadership_level) != (organisation, level):
        enrolment.organisation, enrolment.leadership_level = organisation, level
        result.updated += 1
    else:
        result.unchanged += 1


def organisation_for(row: RosterRow, known: Known, result: RosterResult) -> Organisation | None:
    """The row's organisation, created on first mention."""
    if not row.organisation:
        return None
    key = name_key(row.organisation)
    organisation = known.organisations.get(key)
    if organisation is None:
        organisation = Organisation(name=" ".join(row.organisation.split()), name_key=key,
                                    type=row.organisation_type, sector=row.sector)
        db.session.add(organisation)
        known.organisations[key] = organisation
        result.organisations_created += 1
    return organisation
