"""A demo programme for `make run`: a cohort with a person of every role.

Built through the same roster import administrators use, so the demo exercises the real path.
Running it again changes nothing but the demo users' passwords (reset to the one printed).
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from lms.accounts import passwords
from lms.accounts.models import User
from lms.accounts.service import create_user, find_user_by_email
from lms.cohorts import roster
from lms.cohorts.models import Cohort
from lms.cohorts.service import create_cohort, default_programme
from lms.extensions import db

DEMO_PASSWORD = "healthy-communities-demo"  # noqa: S105 - printed for development sign-in
DEMO_COHORT = "Demo cohort"
ADMIN_EMAIL = "admin@example.org"

# email, name, organisation, organisation_type, sector, leadership_level, role
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


def roster_csv() -> bytes:
    """The demo roster as the CSV an administrator would upload."""
    lines = [",".join(roster.HEADER)]
    lines += [",".join(row) for row in DEMO_ROSTER]
    return ("\n".join(lines) + "\n").encode("utf-8")


def demo_cohort(today: dt.date) -> Cohort:
    """The demo cohort, created on first run: it started two months ago."""
    cohort = db.session.scalar(sa.select(Cohort).filter_by(name=DEMO_COHORT))
    if cohort is None:
        cohort = create_cohort(DEMO_COHORT, today - dt.timedelta(days=60),
                               today + dt.timedelta(days=120), status="running")
    return cohort


def create_demo(password: str, today: dt.date | None = None) -> list[tuple[str, str]]:
    """Create (or refresh) the demo data; return (email, role) for every demo login."""
    default_programme()  # fails clearly if `flask lms seed` has not run
    if find_user_by_email(ADMIN_EMAIL) is None:
        create_user(ADMIN_EMAIL, "Ada Admin", "admin")
    roster.import_roster(demo_cohort(today or dt.date.today()), roster_csv())
    emails = [ADMIN_EMAIL, *(row[0] for row in DEMO_ROSTER)]
    users = db.session.scalars(sa.select(User).where(User.email.in_(emails))).all()
    password_hash = passwords.hash_password(password)  # one hash: it is the same password
    for user in users:
        if user.password_hash is None or not passwords.verify_password(user.password_hash,
                                                                        password):
            user.password_hash = password_hash
    by_email = {user.email: user.role for user in users}
    return [(email, by_email[email]) for email in emails]
