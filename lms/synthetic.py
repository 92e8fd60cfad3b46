"""Synthetic programmes at national scale, for benchmarks and load tests.

``generate`` adds cohorts of made-up participants to the default programme: organisations of
every type (shared between runs), every leadership level, a tutor per cohort, progress through
the curriculum, and submitted self-assessments in all three phases with a plausible spread.
Rows are written in bulk (PostgreSQL: COPY; SQLite: one executemany per table), and the ids
the database gave are read back with one query per table, so 20,000 participants take seconds
rather than the hours the one-at-a-time services would.

Every synthetic person has an address under ``synthetic.example.org`` (a domain reserved for
examples) and the same password, hashed once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import sqlalchemy as sa

from lms.accounts import passwords
from lms.accounts.models import User
from lms.cohorts.models import ORGANISATION_TYPES, Cohort, Enrolment, Organisation, Programme
from lms.cohorts.service import default_programme
from lms.core import data_version
from lms.core.bulk import bulk_insert
from lms.core.errors import Invalid
from lms.core.extensions import db
from lms.core.progress import Progress
from lms.curriculum.models import ActivityRecord, CohortModule
from lms.curriculum.service import current_modules
from lms.framework.models import Behaviour, LeadershipLevel, Theme
from lms.outcomes import kept
from lms.ratings.models import PHASES, Assessment, Rating

DOMAIN = "synthetic.example.org"
MAX_PARTICIPANTS = 200_000
MAX_COHORTS = 2_000

#: Which side of care each kind of organisation is on (user-led and other bodies do both).
SECTOR_OF_TYPE = {"local_authority": "commissioning", "nhs_trust": "providing",
                  "ccg": "commissioning", "independent_provider": "providing",
                  "voluntary_community": "providing", "user_led": "both", "other": "both"}
#: How an organisation of each kind is named, after its place.
NAME_OF_TYPE = {"local_authority": "{} Council", "nhs_trust": "{} NHS Foundation Trust",
                "ccg": "{} Clinical Commissioning Group",
                "independent_provider": "{} Home Care", "voluntary_community": "{} Community "
                "Network", "user_led": "{} Voices Together", "other": "{} Leadership Academy"}
#: Rough shares of participants from each kind of organisation (councils and trusts lead).
TYPE_WEIGHTS = [0.30, 0.30, 0.08, 0.12, 0.10, 0.05, 0.05]
LEVEL_WEIGHTS = {"front_line": 0.45, "manager": 0.40, "senior_leader": 0.15}
PLACES = ["Ashby", "Brookfield", "Calder", "Dunmore", "Eastleigh", "Fairhaven", "Glenwood",
          "Hartley", "Ivybridge", "Kingsmere", "Larkhill", "Marston", "Northfield", "Oakham",
          "Penrose", "Queensbury", "Redcliffe", "Stanway", "Thornbury", "Upton", "Westbury"]
FIRST_NAMES = ["Aisha", "Ben", "Carys", "Dev", "Ellen", "Femi", "Grace", "Hamid", "Isla",
               "Jack", "Kiran", "Leah", "Mohammed", "Niamh", "Owen", "Priya", "Rhys", "Sara",
               "Tom", "Uma", "Victor", "Wen", "Yusuf", "Zara"]
LAST_NAMES = ["Adeyemi", "Brown", "Campbell", "Davies", "Evans", "Fraser", "Green", "Hussain",
              "Iqbal", "Jones", "Khan", "Lewis", "Murphy", "Nowak", "Okafor", "Patel", "Quinn",
              "Rahman", "Smith", "Taylor", "Walker", "Young"]
#: Share of participants who gave each phase (the "then" rating is given beside the post one).
RESPONSE_RATE = {"pre": 0.99, "then": 0.95, "post": 0.95}
COHORT_DAYS = 180


@dataclass
class Summary:
    """What one run created."""

    cohorts: int = 0
    participants: int = 0
    tutors: int = 0
    organisations: int = 0
    assessments: int = 0
    ratings: int = 0
    activity_records: int = 0
    cohort_ids: list[int] = field(default_factory=list)


def generate(participants: int, cohorts: int, password: str, seed: int = 2012,
             today: dt.date | None = None, progress: Progress | None = None) -> Summary:
    """Add ``cohorts`` cohorts sharing ``participants`` people to the default programme
    (``progress`` counts the participants written at each of its steps)."""
    check_size(participants, cohorts)
    progress = progress or Progress()
    today = today or dt.date.today()
    rng = np.random.default_rng(seed)
    programme = default_programme()
    run = next_run_number(programme)
    summary = Summary()
    organisations = ensure_organisations(participants, summary)
    cohort_ids = insert_cohorts(programme, run, cohorts, today)
    password_hash = passwords.hash_password(password)
    progress.start(participants, "people")
    people = insert_people(run, participants, cohort_ids, organisations, password_hash, rng)
    tutors = insert_tutors(run, cohort_ids, password_hash)
    enrol(people, tutors)
    progress.advance(participants)
    progress.finish()
    progress.start(participants, "modules worked through")
    schedules = set_curricula(cohort_ids, today)
    summary.activity_records = record_progress(people, schedules, today, rng)
    progress.advance(participants)
    progress.finish()
    progress.start(participants, "self-assessments")
    with kept.counted_afresh(list(cohort_ids), progress):
        summary.assessments, summary.ratings = rate(people, programme, today, rng)
        progress.advance(participants)
        progress.finish()
        finish_bulk_load()  # the planner's statistics, before the tallies are counted
    summary.cohorts, summary.participants, summary.tutors = cohorts, participants, cohorts
    summary.cohort_ids = list(cohort_ids)
    return summary


def finish_bulk_load() -> None:
    """COPY went around the session: note the change of data, and on PostgreSQL refresh the
    planner's statistics, which otherwise still describe the tables as they were."""
    data_version.mark_changed()  # every version: framework rows are untouched, but cheap
    if db.session.connection().dialect.name == "postgresql":
        tables = ", ".join(t.name for t in BULK_TABLES)
        db.session.execute(sa.text(f"ANALYZE {tables}"))
    db.session.expire_all()


def check_size(participants: int, cohorts: int) -> None:
    """Refuse sizes that make no sense, naming the option."""
    if not 1 <= cohorts <= MAX_COHORTS:
        raise Invalid(f"--cohorts must be between 1 and {MAX_COHORTS}; got {cohorts}.")
    if not cohorts <= participants <= MAX_PARTICIPANTS:
        raise Invalid(f"--participants must be between the number of cohorts ({cohorts}) and "
                      f"{MAX_PARTICIPANTS:,}; got {participants}.")


def next_run_number(programme: Programme) -> int:
    """1 for the first synthetic run on this programme, then 2, …: keeps names unique."""
    names = db.session.scalars(sa.select(Cohort.name).where(
        Cohort.programme_id == programme.id, Cohort.name.like("Synthetic %"))).all()
    runs = [int(name.split()[1].split("-")[0]) for name in names
            if name.split()[1].split("-")[0].isdigit()]
    return max(runs, default=0) + 1


# --- organisations, cohorts and people ------------------------------------------------------

def ensure_organisations(participants: int, summary: Summary) -> dict[str, list[int]]:
    """Organisation ids by type: at least two of each kind, more for bigger programmes."""
    per_type = max(2, min(200, participants // 300))
    wanted = [(NAME_OF_TYPE[kind].format(f"{PLACES[n % len(PLACES)]} {n + 1}"), kind)
              for kind in ORGANISATION_TYPES for n in range(per_type)]
    known = set(db.session.scalars(sa.select(Organisation.name_key)).all())
    missing = [(name, kind) for name, kind in wanted if name.lower() not in known]
    bulk_insert(Organisation.__table__, ("name", "name_key", "type", "sector"),
                [(name, name.lower(), kind, SECTOR_OF_TYPE[kind]) for name, kind in missing])
    summary.organisations = len(missing)
    keys = {name.lower() for name, _kind in wanted}
    found = db.session.execute(sa.select(Organisation.id, Organisation.name_key,
                                         Organisation.type)).all()
    by_type: dict[str, list[int]] = {kind: [] for kind in ORGANISATION_TYPES}
    for org_id, key, kind in found:
        if key in keys:
            by_type[kind].append(org_id)
    return by_type


def cohort_dates(index: int, count: int, today: dt.date) -> dict[str, object]:
    """Starts spread over a year and a quarter, the last ending ten days from now; every
    cohort's post window has opened, so all three phases can be rated."""
    last_start = today - dt.timedelta(days=COHORT_DAYS - 10)
    starts = last_start - dt.timedelta(days=(count - 1 - index) * 390 // max(1, count - 1))
    ends = starts + dt.timedelta(days=COHORT_DAYS)
    return {"starts_on": starts, "ends_on": ends,
            "status": "finished" if ends < today else "running",
            "pre_opens_on": starts - dt.timedelta(days=7),
            "pre_closes_on": starts + dt.timedelta(days=14),
            "post_opens_on": ends - dt.timedelta(days=21),
            "post_closes_on": ends + dt.timedelta(days=14)}


def insert_cohorts(programme: Programme, run: int, count: int,
                   today: dt.date) -> dict[int, dict[str, object]]:
    """The new cohorts' dates by id."""
    now = dt.datetime.now(dt.UTC)
    rows = [{"programme_id": programme.id, "name": f"Synthetic {run}-{i + 1:04d}",
             "created_at": now, **cohort_dates(i, count, today)} for i in range(count)]
    db.session.execute(sa.insert(Cohort), rows)
    found = db.session.execute(sa.select(Cohort.id, Cohort.starts_on, Cohort.ends_on).where(
        Cohort.programme_id == programme.id,
        Cohort.name.like(f"Synthetic {run}-%")).order_by(Cohort.name)).all()
    return {cohort_id: {"starts_on": starts, "ends_on": ends}
            for cohort_id, starts, ends in found}


@dataclass
class Person:
    """A synthetic participant and where they sit."""

    user_id: int
    cohort_id: int
    organisation_id: int
    sector: str
    level_id: int


def insert_users(rows: list[tuple[str, str, str]], password_hash: str) -> dict[str, int]:
    """Create users from (email, name, role); their ids by e-mail."""
    now = dt.datetime.now(dt.UTC)
    columns = ("email", "display_name", "role", "active", "password_hash", "created_at")
    bulk_insert(User.__table__, columns,
                [(email, name, role, True, password_hash, now) for email, name, role in rows])
    emails = [email for email, _name, _role in rows]
    prefix = emails[0].split(".")[0] + "."
    found = db.session.execute(sa.select(User.email, User.id).where(
        User.email.like(f"{prefix}%@{DOMAIN}"))).all()
    wanted = set(emails)
    return {email: user_id for email, user_id in found if email in wanted}


def insert_people(run: int, count: int, cohorts: dict[int, dict], organisations: dict,
                  password_hash: str, rng: np.random.Generator) -> list[Person]:
    """Participants, spread evenly over the cohorts, from every kind of organisation and
    leadership level."""
    levels = dict(db.session.execute(sa.select(LeadershipLevel.code, LeadershipLevel.id)).all())
    level_codes = [code for code in LEVEL_WEIGHTS if code in levels]
    if not level_codes:
        raise Invalid("No leadership levels are loaded; run `flask lms seed` first.")
    weights = np.array([LEVEL_WEIGHTS[c] for c in level_codes])
    chosen_levels = rng.choice(len(level_codes), size=count, p=weights / weights.sum())
    chosen_types = rng.choice(len(ORGANISATION_TYPES), size=count, p=TYPE_WEIGHTS)
    names = [f"{FIRST_NAMES[i % len(FIRST_NAMES)]} "
             f"{LAST_NAMES[(i * 7 + i // len(FIRST_NAMES)) % len(LAST_NAMES)]}"
             for i in range(count)]
    emails = [f"p{run}.{i + 1}@{DOMAIN}" for i in range(count)]
    ids = insert_users([(e, n, "participant") for e, n in zip(emails, names, strict=True)],
                       password_hash)
    cohort_ids = list(cohorts)
    people = []
    for i, email in enumerate(emails):
        kind = ORGANISATION_TYPES[chosen_types[i]]
        choices = organisations[kind]
        people.append(Person(ids[email], cohort_ids[i % len(cohort_ids)],
                             choices[int(rng.integers(len(choices)))], SECTOR_OF_TYPE[kind],
                             levels[level_codes[chosen_levels[i]]]))
    return people


def insert_tutors(run: int, cohorts: dict[int, dict], password_hash: str) -> dict[int, int]:
    """A tutor per cohort: user ids by cohort id."""
    rows = [(f"t{run}.{n + 1}@{DOMAIN}", f"Tutor {n + 1}", "tutor") for n in range(len(cohorts))]
    ids = insert_users(rows, password_hash)
    return {cohort_id: ids[rows[n][0]] for n, cohort_id in enumerate(cohorts)}


def enrol(people: list[Person], tutors: dict[int, int]) -> None:
    """Enrol participants and tutors."""
    now = dt.datetime.now(dt.UTC)
    rows = [(p.cohort_id, p.user_id, "participant", p.organisation_id, p.level_id, now)
            for p in people]
    rows += [(cohort_id, user_id, "tutor", None, None, now)
             for cohort_id, user_id in tutors.items()]
    bulk_insert(Enrolment.__table__, ("cohort_id", "user_id", "role", "organisation_id",
                                      "leadership_level_id", "enrolled_at"), rows)


# --- progress -------------------------------------------------------------------------------

@dataclass
class Schedule:
    """A cohort's curriculum: each activity with the day it opens, in order."""

    activities: list[tuple[int, str, dt.date]]


def set_curricula(cohorts: dict[int, dict], today: dt.date) -> dict[int, Schedule]:
    """Every current module for each cohort, opening evenly over its run."""
    modules = current_modules()
    if not modules:
        return {}  # no curriculum loaded: ratings still make a programme
    rows, schedules = [], {}
    for cohort_id, dates in cohorts.items():
        step = COHORT_DAYS // len(modules)
        schedule = []
        for position, module in enumerate(modules):
            opens = dates["starts_on"] + dt.timedelta(days=position * step)
            rows.append((cohort_id, module.id, position + 1, opens))
            schedule += [(a.id, a.kind, opens) for a in module.activities
                         if a.retired_at is None and a.required]
        schedules[cohort_id] = Schedule(schedule)
    bulk_insert(CohortModule.__table__, ("cohort_id", "module_id", "position", "opens_on"), rows)
    return schedules


def record_progress(people: list[Person], schedules: dict[int, Schedule], today: dt.date,
                    rng: np.random.Generator) -> int:
    """Each participant completes the open activities in order, as far as their engagement
    takes them (most are nearly up to date, some lag, a few stalled early)."""
    if not schedules:
        return 0
    engagement = np.clip(rng.beta(5, 1.6, size=len(people)), 0, 1)
    rows = []
    for person, share in zip(people, engagement, strict=True):
        open_now = [a for a in schedules[person.cohort_id].activities if a[2] <= today]
        for activity_id, kind, opens in open_now[: int(round(share * len(open_now)))]:
            when = dt.datetime.combine(min(today, opens + dt.timedelta(days=3)), dt.time(10),
                                       tzinfo=dt.UTC)
            note = "Synthetic note: what I tried and what I learnt."
            rows.append((person.user_id, person.cohort_id, activity_id, when,
                         note if kind == "reflect" else None,
                         note if kind == "practise" else None, when))
    bulk_insert(ActivityRecord.__table__, ("user_id", "cohort_id", "activity_id",
                                           "completed_at", "reflection", "evidence",
                                           "updated_at"), rows)
    return len(rows)


# --- self-ratings ---------------------------------------------------------------------------

def behaviour_ids_by_sector() -> dict[str, list[int]]:
    """The behaviours a participant of each sector rates: one query."""
    rows = db.session.execute(sa.select(Behaviour.id, Behaviour.applies_to).join(Theme)
                              .order_by(Theme.position, Behaviour.position)).all()
    kinds = {"commissioning": {"all", "commissioning"}, "providing": {"all", "providing"},
             "both": {"all", "commissioning", "providing"}}
    return {sector: [bid for bid, applies in rows if applies in wanted]
            for sector, wanted in kinds.items()}


def rate(people: list[Person], programme: Programme, today: dt.date,
         rng: np.random.Generator) -> tuple[int, int]:
    """Submitted pre, then and post assessments with ratings: (assessments, ratings)."""
    answered = {phase: rng.random(len(people)) < RESPONSE_RATE[phase] for phase in PHASES}
    answered["then"] &= answered["post"]  # the retrospective rating is given with the post
    now = dt.datetime.now(dt.UTC)
    rows = [(p.cohort_id, p.user_id, phase, "submitted", now, now, now, "imported")
            for phase in PHASES for i, p in enumerate(people) if answered[phase][i]]
    bulk_insert(Assessment.__table__, ("cohort_id", "user_id", "phase", "status", "created_at",
                                       "updated_at", "submitted_at", "source"), rows)
    cohort_ids = sorted({p.cohort_id for p in people})
    ids = {(user_id, phase): aid for aid, user_id, phase in db.session.execute(
        sa.select(Assessment.id, Assessment.user_id, Assessment.phase)
        .where(Assessment.cohort_id.in_(cohort_ids)))}
    scale = [point["value"] for point in programme.rating_scale]
    ratings = rating_rows(people, answered, ids, behaviour_ids_by_sector(), scale, rng)
    count = 0

    def counted():
        nonlocal count
        for row in ratings:
            count += 1
            yield row

    bulk_insert(Rating.__table__, ("assessment_id", "behaviour_id", "value"), counted())
    return len(rows), count


def rating_rows(people, answered, ids, behaviours, scale, rng) -> Iterable[tuple]:
    """Each person has a baseline and a personal gain; the "then" rating sits a little under
    the pre rating for about half (the response shift); about 2% answer not applicable."""
    low, high = min(scale), max(scale)
    baseline = rng.normal(2.7, 0.5, len(people))
    gain = rng.normal(0.6, 0.45, len(people))
    shifts = rng.random(len(people)) < 0.5
    for i, person in enumerate(people):
        codes = behaviours[person.sector]
        noise = rng.normal(0, 0.6, len(codes))
        pre = np.clip(np.rint(baseline[i] + noise), low, high).astype(int)
        post = np.clip(np.rint(pre + gain[i] + rng.normal(0, 0.5, len(codes))), low,
                       high).astype(int)
        then = np.clip(pre - (shifts[i] & (rng.random(len(codes)) < 0.4)), low, high)
        not_applicable = rng.random(len(codes)) < 0.02
        values = {"pre": pre, "then": then, "post": post}
        for phase in PHASES:
            if not answered[phase][i]:
                continue
            assessment = ids[(person.user_id, phase)]
            for j, behaviour in enumerate(codes):
                yield (assessment, behaviour,
                       None if not_applicable[j] else int(values[phase][j]))


BULK_TABLES = (User.__table__, Organisation.__table__, Cohort.__table__, Enrolment.__table__,
               CohortModule.__table__, ActivityRecord.__table__, Assessment.__table__,
               Rating.__table__)
