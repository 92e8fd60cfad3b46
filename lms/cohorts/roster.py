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
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l

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
from lms.core.i18n import current_language
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


#: The first sentence of a file's refusal, by what the file is.
NOT_IMPORTED = {"roster": _l("The roster was not imported; nothing was changed."),
                "ratings file": _l("The ratings file was not imported; nothing was changed.")}
#: How many bad rows the refusal's message lists (its ``errors`` list them all).
ROWS_IN_MESSAGE = 5


def roster_error(problems: dict[int, list[str]], what: str = "roster") -> Invalid:
    """The refusal of a file, listing every bad row."""
    rows = [{"row": number, "errors": reasons} for number, reasons in sorted(problems.items())]
    summary = "; ".join(gettext("row %(row)d: %(problems)s", row=r["row"],
                                problems=", ".join(r["errors"]))
                        for r in rows[:ROWS_IN_MESSAGE])
    more = len(rows) - ROWS_IN_MESSAGE
    tail = " " + ngettext("(And %(num)d more row.)", "(And %(num)d more rows.)", more) \
        if more > 0 else ""
    return Invalid(f"{NOT_IMPORTED[what]} {summary}{tail}", errors={"rows": rows})


def file_error(reason: str, what: str = "roster") -> Invalid:
    """The refusal of a file that cannot be read at all."""
    return Invalid(f"{NOT_IMPORTED[what]} {reason}", errors={"file": [str(reason)]})


def decode(data: bytes, what: str = "roster") -> str:
    """The file as text: UTF-8 (a byte-order mark is allowed) with no NUL characters."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise file_error(gettext("The file is not UTF-8 text (byte %(byte)d cannot be read). "
                                 "Save it from your spreadsheet as 'CSV UTF-8'.",
                                 byte=exc.start), what) from None
    if "\x00" in text:
        raise file_error(gettext("The file contains NUL characters; it is not a CSV text "
                                 "file."), what)
    return text


def parse_roster(data: bytes) -> list[RosterRow]:
    """Read the rows of a roster file; refuse a file whose header or shape is wrong."""
    reader = csv.reader(io.StringIO(decode(data), newline=""))
    try:
        header = [column.strip().lower() for column in next(reader)]
    except StopIteration:
        raise file_error(gettext("The file is empty.")) from None
    except csv.Error as exc:
        raise file_error(not_csv(exc)) from None
    if sorted(header) != sorted(HEADER) or len(header) != len(HEADER):
        raise file_error(wrong_header(HEADER, header))
    rows: list[RosterRow] = []
    number = 1
    try:
        for number, values in enumerate(reader, start=2):
            if not any(value.strip() for value in values):
                continue  # spreadsheets often leave blank lines at the end
            if len(rows) >= MAX_ROWS:
                raise file_error(gettext("A roster holds at most %(most)d people; split the "
                                         "file.", most=MAX_ROWS))
            cells = dict(zip(header, (value.strip() for value in values), strict=False))
            rows.append(RosterRow(number=number, cell_count=len(values),
                                  **{column: cells.get(column, "") for column in HEADER}))
    except csv.Error as exc:
        raise file_error(not_csv(exc, number)) from None
    if not rows:
        raise file_error(gettext("The file has a header but no people."))
    return rows


def not_csv(exc: csv.Error, row: int | None = None) -> str:
    """Why a file is not CSV (the csv module's own words are English: said only there)."""
    if current_language() != "en":
        return (gettext("The file is not valid CSV near row %(row)d.", row=row) if row
                else gettext("The file is not valid CSV."))
    return (gettext("The file is not valid CSV near row %(row)d: %(reason)s.", row=row,
                    reason=exc) if row
            else gettext("The file is not valid CSV: %(reason)s.", reason=exc))


def wrong_header(expected: tuple[str, ...], found: list[str]) -> str:
    """The refusal of a header that is not the one the file must have."""
    return gettext("The header must be: %(expected)s (found: %(found)s).",
                   expected=",".join(expected), found=",".join(found))


def cell_count_problem(count: int, columns: int) -> str:
    """A row with too many or too few cells."""
    return gettext("has %(cells)d cells; the header has %(columns)d", cells=count,
                   columns=columns)


def not_one_of(column: str, value: str, allowed: str) -> str:
    """A cell whose value is not one the column allows."""
    return gettext("%(column)s %(value)s is not one of %(allowed)s", column=column,
                   value=repr(value), allowed=allowed)


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
        return [cell_count_problem(row.cell_count, len(HEADER))]
    problems = [gettext("%(column)s is longer than %(limit)d characters", column=name,
                        limit=limit)
                for name, limit in MAX_LENGTHS.items() if len(getattr(row, name)) > limit]
    problems += [gettext("%(column)s starts with %(start)s, which a spreadsheet would run as "
                         "a formula", column=name, start=repr(getattr(row, name)[0]))
                 for name in MAX_LENGTHS if getattr(row, name).startswith(FORMULA_STARTS)]
    try:
        validate_email(row.email, check_deliverability=False)
    except EmailNotValidError as exc:
        problems.append(bad_email(row.email, exc))
    if not row.name:
        problems.append(gettext("name is empty"))
    if row.role not in ROW_ROLES:
        problems.append(not_one_of("role", row.role, ", ".join(ROW_ROLES)))
        return problems
    problems += organisation_problems(row, known)
    user = known.users.get(row.email.lower())
    if user is not None:
        problems += existing_user_problems(row, user, known)
    return problems


def bad_email(email: str, exc: EmailNotValidError) -> str:
    """An address that is not one (email_validator's reason is English: said only there)."""
    if current_language() != "en":
        return gettext("email %(email)s is not a valid address", email=repr(email))
    return gettext("email %(email)s is not valid: %(reason)s", email=repr(email), reason=exc)


def organisation_problems(row: RosterRow, known: Known) -> list[str]:
    """A participant needs a valid organisation and level; others may leave them empty."""
    problems = []
    given = any((row.organisation, row.organisation_type, row.sector))
    if row.role == "participant" or given:
        if not row.organisation:
            problems.append(gettext("organisation is empty"))
        if row.organisation_type not in ORGANISATION_TYPES:
            problems.append(not_one_of("organisation_type", row.organisation_type,
                                       ", ".join(ORGANISATION_TYPES)))
        if row.sector not in SECTORS:
            problems.append(not_one_of("sector", row.sector, ", ".join(SECTORS)))
    level_needed = row.role == "participant" or row.leadership_level
    if level_needed and row.leadership_level not in known.levels:
        problems.append(
            not_one_of("leadership_level", row.leadership_level, ", ".join(known.levels))
            if known.levels else gettext("leadership_level %(value)s is not one of the "
                                         "levels (none loaded yet)",
                                         value=repr(row.leadership_level)))
    stored = known.organisations.get(name_key(row.organisation)) if row.organisation else None
    if stored is not None and (stored.type, stored.sector) != (row.organisation_type, row.sector):
        problems.append(gettext(
            "organisation %(name)s is recorded as %(type)s, %(sector)s; the row says "
            "%(row_type)s, %(row_sector)s", name=repr(stored.name), type=stored.type,
            sector=stored.sector, row_type=row.organisation_type, row_sector=row.sector))
    return problems


def existing_user_problems(row: RosterRow, user: User, known: Known) -> list[str]:
    """A known person must fit the row's role, and keep their role in this cohort."""
    if row.role == "sponsor":
        return [] if user.role == "sponsor" else [
            gettext("%(email)s is a %(role)s and cannot be made a sponsor", email=user.email,
                    role=user.role)]
    if not enrolment_role_allowed(user, row.role):
        return [gettext("%(email)s is a %(role)s and cannot be enrolled as a %(row_role)s",
                        email=user.email, role=user.role, row_role=row.role)]
    enrolment = known.enrolments.get(user.id)
    if enrolment is not None and enrolment.role != row.role:
        return [gettext("%(email)s is already a %(role)s of this cohort", email=user.email,
                        role=enrolment.role)]
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
                gettext("duplicate: %(email)s is already on row %(row)d", email=row.email,
                        row=first_seen[email]))
        first_seen.setdefault(email, row.number)
        if row.organisation:
            key = name_key(row.organisation)
            kind = (row.organisation_type, row.sector)
            earlier = described.setdefault(key, (*kind, row.number))
            if earlier[:2] != kind:
                problems.setdefault(row.number, []).append(
                    gettext("organisation %(name)s is described differently on row %(row)d",
                            name=repr(row.organisation), row=earlier[2]))
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
