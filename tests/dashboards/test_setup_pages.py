"""Administrators set a cohort up from the pages: dates and windows, modules, tutors and
sponsors; each rule the services hold is refused on the field it names."""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa

from lms.cohorts.models import Cohort, Enrolment, Sponsorship
from lms.core.extensions import db
from lms.curriculum.models import CohortModule
from tests import builders as b


def dated(name: str, day: dt.date | None) -> dict[str, str]:
    """A date as the NHS.UK date input posts it (empty boxes for None)."""
    parts = ("", "", "") if day is None else (str(day.day), str(day.month), str(day.year))
    return dict(zip((f"{name}-day", f"{name}-month", f"{name}-year"), parts, strict=True))


def settings_form(cohort: Cohort, **changes) -> dict[str, str]:
    """The settings form as stored, with ``changes`` (dates or None)."""
    values = {name: getattr(cohort, name) for name in
              ("starts_on", "ends_on", "pre_opens_on", "pre_closes_on", "post_opens_on",
               "post_closes_on")}
    values.update(changes)
    form = {"name": changes.get("name", cohort.name), "status": cohort.status}
    for name, value in values.items():
        if name != "name":
            form.update(dated(name, value))
    return form


def test_windows_are_set_on_the_page_and_bad_ones_refused_on_their_field(browse, cohorts):
    admin = browse(cohorts.emails["admin"])
    cohort = db.session.get(Cohort, cohorts.cohort_id)
    path = f"/admin/cohorts/{cohort.id}/settings"
    page = admin.get(path)
    assert page.status_code == 200 and 'name="pre_opens_on-day"' in page.text
    post_opens = cohort.ends_on - dt.timedelta(days=20)
    overlapping = admin.post(path, settings_form(cohort, post_opens_on=cohort.pre_opens_on,
                                                 post_closes_on=cohort.ends_on))
    assert overlapping.status_code == 422
    assert "The post window must open after the pre window closes." in overlapping.text
    assert 'href="#post_opens_on-day"' in overlapping.text
    late = admin.post(path, settings_form(cohort, post_opens_on=post_opens,
                                          post_closes_on=cohort.ends_on + dt.timedelta(1)))
    assert late.status_code == 422 and 'href="#post_closes_on-day"' in late.text
    half = admin.post(path, {**settings_form(cohort, post_opens_on=post_opens),
                             **dated("post_closes_on", None)})
    assert half.status_code == 422 and "needs both dates, or neither" in half.text
    saved = admin.post(path, settings_form(cohort, post_opens_on=post_opens,
                                           post_closes_on=cohort.ends_on))
    assert saved.status_code == 302
    db.session.expire_all()
    stored = db.session.get(Cohort, cohort.id)
    assert (stored.post_opens_on, stored.post_closes_on) == (post_opens, stored.ends_on)


def test_modules_are_chosen_with_opening_and_due_dates(browse, cohorts):
    admin = browse(cohorts.emails["admin"])
    cohort = db.session.get(Cohort, cohorts.cohort_id)
    path = f"/admin/cohorts/{cohort.id}/modules"
    page = admin.get(path)
    assert page.status_code == 200 and 'name="induction-follows"' in page.text
    opens = cohort.starts_on + dt.timedelta(days=7)
    form = {"induction-follows": "y",
            **dated("induction-due_on", cohort.starts_on + dt.timedelta(3)),
            "strategic-intent-follows": "y", **dated("strategic-intent-opens_on", opens),
            **dated("strategic-intent-due_on", opens - dt.timedelta(days=1))}
    refused = admin.post(path, form)
    assert refused.status_code == 422
    assert "Strategic intent" in refused.text and "before it opens" in refused.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CohortModule)) == 0
    unreal = admin.post(path, {"induction-follows": "y", "induction-opens_on-day": "31",
                               "induction-opens_on-month": "2", "induction-opens_on-year": "2027"})
    assert unreal.status_code == 422
    assert "Leadership at every level: an induction: Opens must be a real date." in unreal.text
    none = admin.post(path, {})
    assert none.status_code == 422 and "Choose at least one module." in none.text
    form.update(dated("strategic-intent-due_on", opens + dt.timedelta(days=30)))
    assert admin.post(path, form).status_code == 302
    rows = db.session.execute(sa.select(CohortModule.position, CohortModule.opens_on,
                                        CohortModule.due_on)
                              .order_by(CohortModule.position)).all()
    assert rows == [(1, None, cohort.starts_on + dt.timedelta(3)),
                    (2, opens, opens + dt.timedelta(days=30))]
    again = admin.get(path).text
    followed = re.findall(r'<input[^>]*name="([a-z-]+)-follows"[^>]*checked', again)
    assert followed == ["induction", "strategic-intent"]


def test_tutors_and_sponsors_are_added_and_removed(browse, cohorts):
    tutor = b.make_user("tutor", name="Tia New")
    sponsor = b.make_user("sponsor", name="Sol Funder")
    db.session.commit()
    admin = browse(cohorts.emails["admin"])
    cohort_id = cohorts.cohort_id
    page = admin.get(f"/admin/cohorts/{cohort_id}/people").text
    assert "Tia New" in page and "Sol Funder" in page
    assert admin.post(f"/admin/cohorts/{cohort_id}/tutors",
                      {"tutor-user_id": str(tutor.id)}).status_code == 302
    assert admin.post(f"/admin/cohorts/{cohort_id}/sponsors",
                      {"sponsor-user_id": str(sponsor.id)}).status_code == 302
    assert db.session.scalar(sa.select(Enrolment.role).filter_by(
        cohort_id=cohort_id, user_id=tutor.id)) == "tutor"
    assert db.session.scalar(sa.select(Sponsorship.id).filter_by(
        cohort_id=cohort_id, user_id=sponsor.id)) is not None
    # A participant is not offered as a tutor, and cannot be forced in.
    forced = admin.post(f"/admin/cohorts/{cohort_id}/tutors",
                        {"tutor-user_id": str(cohorts.participant_id)})
    assert forced.status_code == 422 and "Not a valid choice" in forced.text
    assert admin.post(f"/admin/cohorts/{cohort_id}/tutors/{tutor.id}/remove").status_code == 302
    assert admin.post(f"/admin/cohorts/{cohort_id}/sponsors/{sponsor.id}/remove"
                      ).status_code == 302
    # A participant is never taken out of the cohort by the tutors' remove button.
    admin.post(f"/admin/cohorts/{cohort_id}/tutors/{cohorts.participant_id}/remove")
    db.session.expire_all()
    assert db.session.scalar(sa.select(Enrolment.id).filter_by(
        cohort_id=cohort_id, user_id=cohorts.participant_id)) is not None
    assert db.session.scalar(sa.select(Enrolment.id).filter_by(
        cohort_id=cohort_id, user_id=tutor.id)) is None
