"""A cohort whose pre 360 round is open: Pat (a participant with a submitted pre
self-assessment), Quin (another participant), their tutor, a sponsor and an administrator."""

from __future__ import annotations

import datetime as dt

import pytest

from lms.core.extensions import db
from lms.feedback import service
from lms.feedback.models import FeedbackRater
from tests import builders as b

TODAY = dt.date.today()
#: Pat's own pre ratings: 5 on SI.1, 1 on SI.2, 3 elsewhere.
PAT_SELF = {"SI.1": 5, "SI.2": 1}


@pytest.fixture
def world(seeded):
    """The cohort, its people, bearer headers and ids."""
    cohort = b.make_cohort(name="Feedback cohort", starts_on=TODAY - dt.timedelta(days=30),
                           ends_on=TODAY + dt.timedelta(days=150))
    cohort.pre_opens_on, cohort.pre_closes_on = (TODAY - dt.timedelta(days=3),
                                                 TODAY + dt.timedelta(days=7))
    cohort.post_opens_on, cohort.post_closes_on = (TODAY + dt.timedelta(days=120),
                                                   TODAY + dt.timedelta(days=140))
    pat = b.make_user("participant", email="pat@example.org", name="Pat Participant",
                      password=b.PASSWORD)
    quin = b.make_user("participant", email="quin@example.org", name="Quin Participant",
                       password=b.PASSWORD)
    b.enrol(pat, cohort)
    b.enrol(quin, cohort)
    b.assess(pat, cohort, "pre", values=PAT_SELF)
    tutor = b.make_user("tutor", email="tina@example.org", name="Tina Tutor",
                        password=b.PASSWORD)
    b.enrol(tutor, cohort)
    other_cohort = b.make_cohort(programme=cohort.programme, name="Elsewhere")
    outsider = b.make_user("tutor", email="otto@example.org", password=b.PASSWORD)
    b.enrol(outsider, other_cohort)
    sponsor = b.make_user("sponsor", email="sam@example.org", password=b.PASSWORD)
    b.sponsor(sponsor, cohort=cohort)
    admin = b.make_user("admin", email="ada@example.org", password=b.PASSWORD)
    world = {"cohort_id": cohort.id, "pat_id": pat.id, "quin_id": quin.id,
             "pat": b.bearer(pat), "quin": b.bearer(quin), "tutor": b.bearer(tutor),
             "outsider": b.bearer(outsider), "sponsor": b.bearer(sponsor),
             "admin": b.bearer(admin)}
    db.session.commit()
    return world


def token_of(rater_id: int) -> str:
    """The link token of a rater (what their invitation carries)."""
    rater = db.session.get(FeedbackRater, rater_id)
    token = service.link_token(rater)
    db.session.rollback()
    return token


def close_round(cohort_id: int, phase: str = "pre") -> None:
    """Give the round its own dates, ended yesterday: the report is then available."""
    from lms.cohorts.models import Cohort

    cohort = db.session.get(Cohort, cohort_id)
    setattr(cohort, f"feedback_{phase}_opens_on", TODAY - dt.timedelta(days=20))
    setattr(cohort, f"feedback_{phase}_closes_on", TODAY - dt.timedelta(days=1))
    db.session.commit()


def open_round(cohort_id: int, phase: str) -> None:
    """Give the round its own dates, open today."""
    from lms.cohorts.models import Cohort

    cohort = db.session.get(Cohort, cohort_id)
    setattr(cohort, f"feedback_{phase}_opens_on", TODAY - dt.timedelta(days=1))
    setattr(cohort, f"feedback_{phase}_closes_on", TODAY + dt.timedelta(days=5))
    db.session.commit()
