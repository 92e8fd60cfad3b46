"""A demo programme for `make run`, whose dates agree with what has happened in it:

- the **Demo cohort** finished two weeks ago: its participants rated themselves in all three
  phases, inside its windows, and did most of the modules; its outcomes are released to the
  demo sponsor;
- the **Running cohort** is two months in: its pre self-assessment closed a month ago, every
  participant submitted it, the post window opens near its end, and its participants are at
  different places in the modules (two are at risk);
  each participant has 360 feedback from seven raters in both rounds;
- the **Starting cohort** began three days ago: its pre self-assessment is open, one
  participant can sign in with the demo password and two are invited by e-mail.

Built through the same roster import administrators use, so the demo exercises the real path.
Running it again changes nothing but the demo users' passwords (reset to the one printed).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import random

import sqlalchemy as sa

from lms.accounts import passwords
from lms.accounts.models import User
from lms.accounts.service import create_user, find_user_by_email
from lms.cohorts import roster
from lms.cohorts.models import Cohort, Enrolment
from lms.cohorts.service import create_cohort, default_programme
from lms.core.errors import Invalid
from lms.core.extensions import db
from lms.curriculum.models import ActivityRecord, CohortModule
from lms.curriculum.service import (
    cohort_curriculum,
    current_activities,
    current_modules,
    is_open,
    record_activity,
    set_cohort_curriculum,
)
from lms.feedback.models import FeedbackAnswer, FeedbackRater
from lms.outcomes import releases
from lms.ratings.importer import import_ratings
from lms.ratings.models import PHASES, Assessment
from lms.ratings.service import behaviours_for_sector

DEMO_PASSWORD = "healthy-communities-demo"  # noqa: S105 - printed for development sign-in
DEMO_COHORT = "Demo cohort"
ADMIN_EMAIL = "admin@example.org"

# email, name, organisation, organisation_type, sector, leadership_level, role
#: Demo people whose pages and e-mails are in Welsh (anyone can switch with the
#: "Cymraeg / English" link at the top of every page).
WELSH_READERS = {"carys.evans@example.org", "kemi.bello@example.org"}
DEMO_ROSTER = [
    ("tutor@example.org", "Tamsin Tutor", "", "", "", "", "tutor"),
    ("sponsor@example.org", "Sam Sponsor", "", "", "", "", "sponsor"),
    ("aisha.khan@example.org", "Aisha Khan", "Northshire County Council", "local_authority",
     "commissioning", "senior_leader", "participant"),
    ("ben.okafor@example.org", "Ben Okafor", "Northshire County Council", "local_authority",
     "commissioning", "manager", "participant"),
    ("carys.evans@example.org", "Carys Evans", "Riverside NHS Foundation Trust", "nhs_trust",
     "providing", "manager", "participant"),
    ("dev.patel@example.org", "Dev Patel", "Riverside NHS Foundation Trust", "nhs_trust",
     "providing", "front_line", "participant"),
    ("ellen.murphy@example.org", "Ellen Murphy", "Northshire Clinical Commissioning Group",
     "ccg", "commissioning", "senior_leader", "participant"),
    ("femi.adeyemi@example.org", "Femi Adeyemi", "Harbour Home Care", "independent_provider",
     "providing", "front_line", "participant"),
    ("grace.lee@example.org", "Grace Lee", "Harbour Home Care", "independent_provider",
     "providing", "manager", "participant"),
    ("hamid.rahman@example.org", "Hamid Rahman", "Valley Community Network",
     "voluntary_community", "providing", "front_line", "participant"),
    ("isla.campbell@example.org", "Isla Campbell", "Voices Together", "user_led", "both",
     "manager", "participant"),
    ("jack.wilson@example.org", "Jack Wilson", "Voices Together", "user_led", "both",
     "front_line", "participant"),
]


# A cohort mid-programme: the pre ratings are in, the post window is months away.
RUNNING_COHORT = "Running cohort"
RUNNING_ROSTER = [
    ("tutor@example.org", "Tamsin Tutor", "", "", "", "", "tutor"),
    ("sponsor@example.org", "Sam Sponsor", "", "", "", "", "sponsor"),
    ("kemi.bello@example.org", "Kemi Bello", "Northshire County Council", "local_authority",
     "commissioning", "manager", "participant"),
    ("liam.byrne@example.org", "Liam Byrne", "Northshire County Council", "local_authority",
     "commissioning", "front_line", "participant"),
    ("maya.singh@example.org", "Maya Singh", "Riverside NHS Foundation Trust", "nhs_trust",
     "providing", "senior_leader", "participant"),
    ("nia.roberts@example.org", "Nia Roberts", "Valley Community Network",
     "voluntary_community", "providing", "front_line", "participant"),
    ("owen.hughes@example.org", "Owen Hughes", "Harbour Home Care", "independent_provider",
     "providing", "manager", "participant"),
    ("priya.shah@example.org", "Priya Shah", "Voices Together", "user_led", "both",
     "front_line", "participant"),
]

# A cohort that has just started, so that a demo participant can fill in the pre
# self-assessment while it is open.
STARTING_COHORT = "Starting cohort"
STARTING_ROSTER = [
    ("tutor@example.org", "Tamsin Tutor", "", "", "", "", "tutor"),
    ("noor.hussain@example.org", "Noor Hussain", "Riverside NHS Foundation Trust", "nhs_trust",
     "providing", "manager", "participant"),
]
#: Newcomers of the starting cohort who have not signed in yet: the demo's worker e-mails
#: them their invitations (instance/outbox/, /dev/outbox), and they have no demo password.
INVITED_ROSTER = [
    ("sam.adeyemi@example.org", "Sam Adeyemi", "Northshire County Council", "local_authority",
     "commissioning", "senior_leader", "participant"),
    ("rhiannon.price@example.org", "Rhiannon Price", "Riverside NHS Foundation Trust",
     "nhs_trust", "providing", "manager", "participant"),
]


def roster_csv(rows: list[tuple[str, ...]] = DEMO_ROSTER) -> bytes:
    """A demo roster as the CSV an administrator would upload."""
    lines = [",".join(roster.HEADER)]
    lines += [",".join(row) for row in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


def demo_cohort(today: dt.date) -> Cohort:
    """The finished cohort: it ran for 28 weeks and ended two weeks ago."""
    ends = today - dt.timedelta(days=14)
    return cohort_named(DEMO_COHORT, ends - dt.timedelta(days=196), ends, "finished")


def running_cohort(today: dt.date) -> Cohort:
    """The cohort two months into its 26 weeks: its pre window closed five weeks ago."""
    starts = today - dt.timedelta(days=60)
    return cohort_named(RUNNING_COHORT, starts, starts + dt.timedelta(days=182), "running")


def starting_cohort(today: dt.date) -> Cohort:
    """The cohort that started three days ago, its pre self-assessment open for two weeks."""
    starts = today - dt.timedelta(days=3)
    return cohort_named(STARTING_COHORT, starts, starts + dt.timedelta(days=182), "running",
                        pre_closes_on=today + dt.timedelta(days=14))


def cohort_named(name: str, starts: dt.date, ends: dt.date, status: str,
                 pre_closes_on: dt.date | None = None) -> Cohort:
    """The cohort called ``name``, created on first run: its pre window opens a week before it
    starts and closes three weeks after (or on ``pre_closes_on``); its post window is its last
    four weeks."""
    cohort = db.session.scalar(sa.select(Cohort).filter_by(name=name))
    if cohort is None:
        cohort = create_cohort(
            name, starts, ends, status=status,
            pre_opens_on=starts - dt.timedelta(days=7),
            pre_closes_on=pre_closes_on or starts + dt.timedelta(days=21),
            post_opens_on=ends - dt.timedelta(days=28), post_closes_on=ends)
    return cohort


SLIPS_BACK = "ellen.murphy@example.org"


def demo_ratings_csv(rows: list[tuple[str, ...]] = DEMO_ROSTER,
                     phases: tuple[str, ...] = PHASES) -> bytes:
    """Self-ratings for every participant of ``rows`` in ``phases``, the same on every run.

    Each person has a baseline; their post ratings move by a personal gain (most improve,
    some hardly, one slips back) and their retrospective "then" ratings sit a little below
    their pre ratings for some, the response shift the programme reports beside the effect.
    """
    rng = random.Random(2012)  # noqa: S311 - demo data, not security
    lines = ["email,phase,behaviour,value"]
    for email, _name, _org, _type, sector, _level, role in rows:
        if role != "participant":
            continue
        baseline, gain, shift = rng.uniform(2.0, 3.4), rng.gauss(0.7, 0.5), rng.random() < 0.5
        if email == SLIPS_BACK:
            gain = -0.5
        for behaviour in behaviours_for_sector(sector):
            if rng.random() < 0.02:
                lines += [f"{email},{phase},{behaviour.code},na" for phase in phases]
                continue
            pre = clamp(round(baseline + rng.gauss(0, 0.6)))
            then = clamp(pre - (1 if shift and rng.random() < 0.4 else 0))
            post = clamp(round(pre + gain + rng.gauss(0, 0.5)))
            values = {"pre": pre, "then": then, "post": post}
            lines += [f"{email},{phase},{behaviour.code},{values[phase]}" for phase in phases]
    return ("\n".join(lines) + "\n").encode()


def clamp(value: int, low: int = 1, high: int = 5) -> int:
    """``value`` kept on the scale."""
    return max(low, min(high, value))


# Days after the cohort starts that each module opens.
DEMO_SCHEDULE = {"induction": 0, "strategic-intent": 14, "facilitative-collaborative": 35,
                 "driving-transformation": 70, "flexibility-openness": 100,
                 "sustaining-change": 150}
# How many activities of the open modules each participant has done, in order, and how many
# days ago they last worked: in the running cohort a spread from keen to stalled, so the
# tutor's view has something to show (two are at risk: one inactive, one behind); in the
# finished cohort, most of the programme, done before it ended.
DEMO_PROGRESS = {
    "kemi.bello@example.org": (13, 2), "liam.byrne@example.org": (11, 5),
    "maya.singh@example.org": (9, 1), "nia.roberts@example.org": (12, 4),
    "owen.hughes@example.org": (4, 30), "priya.shah@example.org": (3, 10),
    "aisha.khan@example.org": (60, 16), "ben.okafor@example.org": (55, 18),
    "carys.evans@example.org": (60, 15), "dev.patel@example.org": (48, 20),
    "ellen.murphy@example.org": (58, 17), "femi.adeyemi@example.org": (30, 40),
    "grace.lee@example.org": (60, 15), "hamid.rahman@example.org": (44, 22),
    "isla.campbell@example.org": (60, 16), "jack.wilson@example.org": (36, 25),
}


def demo_curriculum(cohort: Cohort) -> None:
    """Give the demo cohort every module, opening on a schedule from its start."""
    if db.session.scalar(sa.select(CohortModule).filter_by(cohort_id=cohort.id).limit(1)):
        return
    modules = {m.slug for m in current_modules()}
    if not modules:
        return  # `flask lms load-modules` has not run: the demo works without a curriculum
    set_cohort_curriculum(cohort, [
        {"slug": slug, "opens_on": cohort.starts_on + dt.timedelta(days=days)}
        for slug, days in DEMO_SCHEDULE.items() if slug in modules])


def demo_notes(activity) -> dict[str, str]:
    """The written part an activity needs before it can be marked done."""
    if activity.kind == "reflect":
        return {"reflection": f"Demo reflection on '{activity.title}': what I noticed, "
                              "what surprised me, and what I will try next."}
    if activity.kind == "practise":
        return {"evidence": f"Demo evidence for '{activity.title}': what I did and with whom."}
    return {}


def demo_progress(cohort: Cohort, today: dt.date) -> None:
    """Record the work of the cohort's demo participants, once, as if done over past weeks."""
    if db.session.scalar(sa.select(ActivityRecord.id).filter_by(cohort_id=cohort.id)
                         .limit(1)) is not None:
        return
    last_day = min(today, cohort.ends_on)
    open_activities = [
        activity for item in cohort_curriculum(cohort) if is_open(item, last_day)
        for activity in current_activities(item.module)
    ]
    enrolled = set(db.session.scalars(sa.select(User.email).join(
        Enrolment, Enrolment.user_id == User.id).where(Enrolment.cohort_id == cohort.id)))
    for email, (count, days_ago) in DEMO_PROGRESS.items():
        if email not in enrolled:
            continue
        user = find_user_by_email(email)
        when = dt.datetime.combine(today - dt.timedelta(days=days_ago), dt.time(10),
                                   tzinfo=dt.UTC)
        for activity in open_activities[:count]:
            entry = record_activity(user, activity.module.slug, activity.key,
                                    {"done": True, **demo_notes(activity)}, today=last_day,
                                    cohort_id=cohort.id)
            entry.completed_at = entry.updated_at = when


def date_submissions(cohort: Cohort) -> None:
    """Put the imported self-assessments' submission times inside their windows (ten days
    after each opened), as if the participants had submitted them then."""
    for phase, opens in (("pre", cohort.pre_opens_on), ("then", cohort.post_opens_on),
                         ("post", cohort.post_opens_on)):
        when = dt.datetime.combine(opens + dt.timedelta(days=10), dt.time(11), tzinfo=dt.UTC)
        db.session.execute(sa.update(Assessment).where(
            Assessment.cohort_id == cohort.id, Assessment.phase == phase,
            Assessment.status == "submitted").values(
                submitted_at=when, created_at=when, updated_at=when))


#: The raters of each participant of the Demo cohort in its two rounds: (name, address,
#: group). Two direct reports and one person supported are each under the minimum of 3, so
#: they are shown only within "all others"; the line manager is shown as such, not
#: anonymous.
DEMO_RATERS = [
    ("Morgan Price", "morgan.price@example.net", "line_manager"),
    ("Alex Rowe", "alex.rowe@example.net", "peer"),
    ("Bea Quinn", "bea.quinn@example.net", "peer"),
    ("Cal Hart", "cal.hart@example.net", "peer"),
    ("Dara Bell", "dara.bell@example.net", "direct_report"),
    ("Eli Moss", "eli.moss@example.net", "direct_report"),
    ("Fran Lowe", "fran.lowe@example.net", "person_supported"),
]
def demo_feedback(cohort: Cohort) -> None:
    """360 feedback for every participant of the finished cohort, both rounds closed: the
    same seven kinds of rater each, whose points rise by the end; Aisha Khan's others saw
    less strategic intent than she did at the start, and more collaboration."""
    enrolments = db.session.scalars(sa.select(Enrolment).filter_by(
        cohort_id=cohort.id, role="participant").order_by(Enrolment.id)).all()
    if not enrolments or db.session.scalar(sa.select(FeedbackRater.id).filter_by(
            cohort_id=cohort.id).limit(1)) is not None:
        return
    rng = random.Random(360)  # noqa: S311 - demo data, not security
    for enrolment in enrolments:
        aisha = enrolment.user.email == "aisha.khan@example.org"
        leaning = ({"SI": -1.0, "FC": 0.8, "DT": 0.0, "FO": 0.3} if aisha else
                   dict.fromkeys(("SI", "FC", "DT", "FO"), rng.uniform(-0.5, 0.5)))
        behaviours = behaviours_for_sector(enrolment.organisation.sector)
        for phase, lift in (("pre", 0.0), ("post", rng.uniform(0.2, 0.9))):
            when = dt.datetime.combine(cohort.ends_on if phase == "post" else
                                       cohort.starts_on + dt.timedelta(days=7),
                                       dt.time(10), tzinfo=dt.UTC)
            for name, address, group in DEMO_RATERS:
                local, domain = address.split("@")
                rater = FeedbackRater(
                    cohort_id=cohort.id, participant_id=enrolment.user_id, name=name,
                    email=f"{local}.for.{enrolment.user.email.split('@')[0]}@{domain}",
                    rater_group=group, phase=phase, status="submitted",
                    language="cy" if enrolment.user.email in WELSH_READERS else "en",
                    nominated_by_id=enrolment.user_id,
                    # no link: these rounds are long closed
                    token_digest=f"demo:{enrolment.user_id}:{phase}:{local}",
                    created_at=when - dt.timedelta(days=5), updated_at=when,
                    submitted_at=when)
                for behaviour in behaviours:
                    seen = rng.random() > 0.04
                    value = clamp(round(3 + leaning[behaviour.theme.code] + lift
                                        + rng.gauss(0, 0.6))) if seen else None
                    rater.answers.append(FeedbackAnswer(behaviour_id=behaviour.id,
                                                        value=value))
                db.session.add(rater)
    db.session.flush()


def release_outcomes(cohort: Cohort) -> None:
    """Release the cohort's outcomes to its sponsors, as an administrator would after its
    windows close; a refresh that a release check refuses keeps the last release."""
    with contextlib.suppress(Invalid):
        releases.publish(cohort)


def create_demo(password: str, today: dt.date | None = None) -> list[tuple[str, str, str]]:
    """Create (or refresh) the demo data; return (email, role, language) for every demo
    login."""
    today = today or dt.date.today()
    default_programme()  # fails clearly if `flask lms seed` has not run
    if find_user_by_email(ADMIN_EMAIL) is None:
        create_user(ADMIN_EMAIL, "Ada Admin", "admin")
    finished, running = demo_cohort(today), running_cohort(today)
    for cohort, rows, phases in ((finished, DEMO_ROSTER, PHASES),
                                 (running, RUNNING_ROSTER, ("pre",))):
        roster.import_roster(cohort, roster_csv(rows))
        demo_curriculum(cohort)
        demo_progress(cohort, today)
        import_ratings(cohort, demo_ratings_csv(rows, phases))
        date_submissions(cohort)
    starting = starting_cohort(today)
    roster.import_roster(starting, roster_csv(STARTING_ROSTER + INVITED_ROSTER))
    demo_curriculum(starting)
    demo_feedback(finished)  # before the release, which keeps others' figures too
    for released in (finished, running):
        release_outcomes(released)
    emails = list(dict.fromkeys([ADMIN_EMAIL, *(row[0] for row in DEMO_ROSTER),
                                 *(row[0] for row in RUNNING_ROSTER),
                                 *(row[0] for row in STARTING_ROSTER)]))
    users = db.session.scalars(sa.select(User).where(User.email.in_(emails))).all()
    password_hash = passwords.hash_password(password)  # one hash: it is the same password
    # The demo users share one stored hash, so each distinct hash is checked once (a check
    # costs what a sign-in does).
    checked: dict[str, bool] = {}
    for user in users:
        stored = user.password_hash
        if stored is not None and stored not in checked:
            checked[stored] = passwords.verify_password(stored, password)
        if stored is None or not checked[stored]:
            user.password_hash = password_hash
    for user in users:  # the demo in both languages: some people read it in Welsh
        if user.email in WELSH_READERS:
            user.language = "cy"
    by_email = {user.email: user for user in users}
    return [(email, by_email[email].role, by_email[email].language) for email in emails]
