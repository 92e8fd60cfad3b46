"""Engagement: who submitted each self-assessment and completed each module. Tutors' counts
are checked against each participant's module statuses as the progress pages work them out
(lms.curriculum.progress, in Python); sponsors' come from releases, under disclosure
control."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from lms.cohorts.models import Cohort
from lms.core.errors import Invalid
from lms.core.extensions import db
from lms.curriculum.models import Module
from lms.curriculum.progress import cohort_progress
from lms.outcomes import releases
from lms.outcomes.release_models import OutcomeRelease
from tests import builders as b

MINIMUM = 5


@pytest.fixture
def world(curriculum):
    """A cohort of 12 (7 managers, 5 front-line staff): everyone rated pre; 10 finished
    the induction, 6 started it without finishing; post from the 7 managers."""
    programme = b.make_programme(slug=b.unique("engaged"), min_group_size=MINIMUM)
    cohort = b.make_cohort(programme, "Engaged cohort",
                           starts_on=dt.date.today() - dt.timedelta(days=60),
                           ends_on=dt.date.today() + dt.timedelta(days=60))
    people = []
    for index in range(12):
        level_code = "manager" if index < 7 else "front_line"
        person = b.make_user("participant")
        b.enrol(person, cohort, level_code=level_code)
        b.assess(person, cohort, "pre", values={"SI.1": 2})
        if level_code == "manager":
            b.assess(person, cohort, "post", values={"SI.1": 4})
        b.complete_module(person, cohort, "induction", every=index < 10)
        if index < 5:
            b.complete_module(person, cohort, "strategic-intent")
        people.append(person)
    tutor, sponsor = b.make_user("tutor"), b.make_user("sponsor")
    b.enrol(tutor, cohort)
    b.sponsor(sponsor, cohort=cohort)
    db.session.commit()
    return {"cohort": cohort, "people": people, "tutor": b.bearer(tutor),
            "sponsor": b.bearer(sponsor), "participant": b.bearer(people[0])}


def engagement(client, world, who, query=""):
    response = client.get(f"/api/v1/cohorts/{world['cohort'].id}/engagement{query}",
                          headers=world[who])
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def module_ids(slugs):
    return {slug: db.session.scalar(sa.select(Module.id).where(Module.slug == slug))
            for slug in slugs}


def test_a_tutor_sees_live_counts_that_agree_with_the_progress_pages(client, world):
    table = engagement(client, world, "tutor")
    assert table["disclosure_control"] is False
    [row] = table["rows"]
    assert row["enrolled"] == 12
    figures = row["figures"]
    assert figures["pre"]["count"] == 12 and figures["post"]["count"] == 7
    assert figures["then"]["count"] == 0
    # The reference: each participant's module statuses as the progress pages give them.
    progress = cohort_progress(db.session.get(Cohort, world["cohort"].id))
    ids = module_ids(module.slug for module in progress["participants"][0].modules)
    for slug, module_id in ids.items():
        done = sum(1 for person in progress["participants"]
                   for module in person.modules if module.slug == slug
                   and module.status == "complete")
        assert figures[f"module:{module_id}"]["count"] == done, slug
    assert figures[f"module:{ids['induction']}"]["count"] == 10
    assert figures[f"module:{ids['strategic-intent']}"]["share"] == pytest.approx(5 / 12)


def test_a_sponsor_sees_the_release_and_no_count_a_small_group_follows_from(client, world):
    b.release(world["cohort"])
    db.session.commit()
    [row] = engagement(client, world, "sponsor")["rows"]
    figures = row["figures"]
    ids = module_ids(["induction", "strategic-intent", "flexibility-openness"])
    assert row["enrolled"] == 12
    assert figures["pre"]["count"] == 12  # everyone: the complement is 0
    assert figures["post"]["count"] == 7 and figures["then"]["count"] == 0
    # 10 of 12 finished the induction: the 2 who did not are too few to show.
    assert figures[f"module:{ids['induction']}"] == {
        "suppressed": True, "reason": "fewer than 5 people did, or did not", "followed": True}
    assert figures[f"module:{ids['strategic-intent']}"]["count"] == 5  # 5 did, 7 did not
    assert figures[f"module:{ids['flexibility-openness']}"]["count"] == 0


def test_a_sponsors_counts_change_only_with_a_release(client, world):
    b.release(world["cohort"])
    db.session.commit()
    ids = module_ids(["strategic-intent"])
    before = engagement(client, world, "sponsor")["rows"][0]["figures"]
    for person in world["people"][7:12]:  # the five front-line staff: five change
        b.complete_module(person, world["cohort"], "strategic-intent")
    db.session.commit()
    assert engagement(client, world, "sponsor")["rows"][0]["figures"] == before
    assert engagement(client, world, "tutor")["rows"][0]["figures"][
        f"module:{ids['strategic-intent']}"]["count"] == 10
    b.release(world["cohort"])  # five changed: a release may go out
    db.session.commit()
    after = engagement(client, world, "sponsor")["rows"][0]["figures"]
    key = f"module:{ids['strategic-intent']}"
    assert before[key]["count"] == 5
    # Now 10 of 12 have: the 2 who have not are too few, so the new count is not shown.
    assert after[key]["suppressed"] and after[key]["reason"].startswith("fewer than 5")


def test_a_release_is_refused_when_only_a_few_completions_changed(client, world):
    b.release(world["cohort"])
    db.session.commit()
    b.complete_module(world["people"][11], world["cohort"], "strategic-intent")
    db.session.commit()
    with pytest.raises(Invalid, match="1 participant changed"):
        releases.publish(db.session.get(Cohort, world["cohort"].id))


def test_a_release_from_before_completions_were_kept_says_so(client, world):
    b.release(world["cohort"])
    db.session.execute(sa.update(OutcomeRelease).values(keeps_completions=False))
    db.session.commit()
    [row] = engagement(client, world, "sponsor")["rows"]
    ids = module_ids(["strategic-intent"])
    assert row["figures"][f"module:{ids['strategic-intent']}"]["reason"].startswith(
        "not in this release")
    assert row["figures"]["pre"]["count"] == 12


def test_a_breakdown_shows_groups_that_pass_and_holds_back_the_rest(client, world):
    b.release(world["cohort"])
    db.session.commit()
    table = engagement(client, world, "sponsor", "?breakdown=leadership_level")
    assert table["breakdown"] == "leadership_level"
    for row in table["rows"]:
        assert row["enrolled"] is None or row["enrolled"] >= MINIMUM
        for cell in row["figures"].values():
            if not cell["suppressed"]:
                for count in (cell["count"], row["enrolled"] - cell["count"]):
                    assert count == 0 or count >= MINIMUM, (row["group"], cell)
    tutor = engagement(client, world, "tutor", "?breakdown=leadership_level")
    assert {row["group"]: row["enrolled"] for row in tutor["rows"]} == {
        "front_line": 5, "manager": 7}


# Each refusal in a test of its own: an error answer rolls back the test's own writes.
@pytest.mark.parametrize(("who", "query", "status"), [("participant", "", 403),
                                                    ("anonymous", "", 401),
                                                    ("tutor", "?breakdown=height", 422)])
def test_who_may_ask_and_how(client, world, who, query, status):
    response = client.get(f"/api/v1/cohorts/{world['cohort'].id}/engagement{query}",
                          headers=world.get(who, {}))
    assert response.status_code == status
    if status == 422:
        assert "breakdown" in response.get_data(as_text=True)


def test_an_unreleased_cohort_is_left_out_for_sponsors(client, world):
    unreleased = engagement(client, world, "sponsor")
    assert unreleased["rows"] == []
    assert unreleased["notes"] == [{"cohort_id": world["cohort"].id,
                                    "note": "no figures released yet"}]
