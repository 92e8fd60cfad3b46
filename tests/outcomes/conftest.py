"""Shared data for the outcomes tests."""

from __future__ import annotations

import numpy as np
import pytest

from lms.accounts.models import User
from lms.cohorts.models import Cohort, Programme
from lms.core.extensions import db
from tests import builders as b

RNG_SEED = 7


@pytest.fixture
def programme_data(seeded, snapshots):
    """Two cohorts: A with 8 participants (5 managers, 3 senior leaders), B with 6."""
    kept = snapshots.build_or_restore(seeded, "outcomes-programme", "seeded", build_programme)
    data = {**kept, "programme": db.session.get(Programme, kept["programme"]),
            "a": db.session.get(Cohort, kept["a"]), "b": db.session.get(Cohort, kept["b"])}
    db.session.commit()  # end the read: a later fixture may write from another session
    return data


def build_programme() -> dict:
    """Make the programme's rows in the current app's database and commit them."""
    rng = np.random.default_rng(RNG_SEED)
    programme = b.make_programme(slug="lehc", min_group_size=5)
    cohort_a = b.make_cohort(programme, name="Cohort A")
    cohort_b = b.make_cohort(programme, name="=HYPERLINK(\"http://evil\")")
    values = {}
    for cohort, people in ((cohort_a, [("manager", 5), ("senior_leader", 3)]),
                           (cohort_b, [("front_line", 6)])):
        for level_code, count in people:
            for _ in range(count):
                user = b.make_user("participant")
                b.enrol(user, cohort, level_code=level_code)
                pre = int(rng.integers(1, 5))
                post = min(5, pre + int(rng.integers(-1, 3)))
                then = max(1, pre - int(rng.integers(0, 2)))
                for phase, value in (("pre", pre), ("then", then), ("post", post)):
                    b.assess(user, cohort, phase, values={"SI.1": value})
                values[user.id] = (cohort.id, level_code, pre, then, post)
    tutor, sponsor_a, admin = b.make_user("tutor"), b.make_user("sponsor"), b.make_user("admin")
    b.enrol(tutor, cohort_a)
    b.sponsor(sponsor_a, cohort=cohort_a)
    programme_sponsor = b.make_user("sponsor")
    b.sponsor(programme_sponsor, programme=programme)
    participant = next(iter(values))
    headers = {"tutor": b.bearer(tutor), "sponsor": b.bearer(sponsor_a),
               "admin": b.bearer(admin), "programme_sponsor": b.bearer(programme_sponsor),
               "participant": b.bearer(db.session.get(User, participant))}
    b.release(cohort_a, cohort_b)
    db.session.commit()
    return {"programme": programme.id, "a": cohort_a.id, "b": cohort_b.id, "values": values,
            "headers": headers, "participant": participant}
