"""A small programme with a person of every role, for access tests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest

from lms.accounts.service import create_token, issue_password_link
from lms.core.extensions import db
from lms.feedback.service import nominate
from tests import builders as b

ROLES = ("participant", "tutor", "sponsor", "admin")


@dataclass
class World:
    """Ids and credentials of the people and things access tests ask about."""

    programme_id: int
    cohort_id: int  # everyone below has a part in this cohort
    other_cohort_id: int  # none of the non-admins has a part in this one
    organisation_id: int
    user_ids: dict[str, int]
    emails: dict[str, str]
    headers: dict[str, dict[str, str]]
    spare_token_ids: dict[str, int]
    other_participant_id: int
    other_tutor_id: int
    outsider_sponsor_id: int
    password_link: str
    extra: dict = field(default_factory=dict)


@pytest.fixture
def world(curriculum, snapshots) -> World:
    """Cohort A with a participant, a tutor and a sponsor; cohort B with other people."""
    return snapshots.build_or_restore(curriculum, "accounts-world", "curriculum", build_world)


def build_world() -> World:
    """Make the world's rows in the current app's database and commit them."""
    programme = b.make_programme()
    today = dt.date.today()
    cohort = b.make_cohort(programme, name="Cohort A", starts_on=today - dt.timedelta(days=5),
                           ends_on=today + dt.timedelta(days=100))
    cohort.pre_opens_on, cohort.pre_closes_on = today - dt.timedelta(days=5), today
    cohort.post_opens_on = cohort.post_closes_on = today + dt.timedelta(days=90)
    other = b.make_cohort(programme, name="Cohort B")
    users = {role: b.make_user(role, password=b.PASSWORD) for role in ROLES}
    b.enrol(users["participant"], cohort)
    b.assess(users["participant"], cohort, "pre", status="draft")  # complete, not submitted
    b.assess(users["participant"], cohort, "post", status="submitted")
    b.enrol(users["tutor"], cohort)
    b.sponsor(users["sponsor"], cohort=cohort)
    other_participant = b.make_user("participant")
    other_tutor = b.make_user("tutor")
    b.enrol(other_participant, other)
    b.enrol(other_tutor, other)
    outsider_sponsor = b.make_user("sponsor")
    organisation = b.make_organisation("Northshire County Council", "local_authority",
                                       "commissioning")
    headers = {role: b.bearer(user) for role, user in users.items()}
    spare = {role: create_token(user, "spare", 30)[0].id for role, user in users.items()}
    link = issue_password_link(b.make_user("participant"))
    rater = nominate(cohort, users["participant"].id, users["participant"], "Lee Manager",
                     "lee.manager@example.org", "line_manager", "pre")
    db.session.commit()
    return World(
        programme_id=programme.id, cohort_id=cohort.id, other_cohort_id=other.id,
        organisation_id=organisation.id,
        user_ids={role: user.id for role, user in users.items()},
        emails={role: user.email for role, user in users.items()},
        headers=headers, spare_token_ids=spare,
        other_participant_id=other_participant.id, other_tutor_id=other_tutor.id,
        outsider_sponsor_id=outsider_sponsor.id,
        password_link=link.rsplit("/", 1)[-1],
        extra={"rater_id": rater.id},
    )
