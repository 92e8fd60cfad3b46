"""Tutors' pages: the cohort, a participant, reopening, CSV exports; and their limits."""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa

from lms.accounts.models import User
from lms.audit.models import AuditEvent
from lms.cohorts.models import Cohort
from lms.core.extensions import db
from lms.ratings.models import Assessment
from tests import builders as b
from tests.fixtures import count_queries


def test_the_cohort_page_shows_progress_completion_and_who_is_at_risk(browse, cohorts):
    pat = browse(cohorts.emails["participant"])
    pat.post("/modules/induction/three-ideas", {"three-ideas-done": "y"})
    pat.post("/assessments/pre/themes/SI", {"SI.1": "4"})
    page = browse(cohorts.emails["tutor"]).get(f"/cohorts/{cohorts.cohort_id}")
    assert page.status_code == 200
    assert "Pat Jones" in page.text
    assert '<strong class="nhsuk-tag nhsuk-tag--blue">In progress</strong>' in page.text
    assert "0 submitted, 1 started, 0 not started." in page.text  # pre
    assert "Started, not submitted" in page.text


def test_a_reflection_is_shown_to_the_tutor_as_text_never_as_markup(browse, cohorts):
    script = "<script>alert('x')</script> & <b>bold</b>"
    saved = browse(cohorts.emails["participant"]).post(
        "/modules/induction/your-starting-point",
        {"your-starting-point-note": script, "your-starting-point-done": "y"})
    assert saved.status_code == 302
    page = browse(cohorts.emails["tutor"]).get(
        f"/cohorts/{cohorts.cohort_id}/participants/{cohorts.participant_id}")
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &lt;b&gt;bold" in page.text
    assert "<script>alert" not in page.text


def test_a_tutor_of_another_cohort_sees_neither_it_nor_its_people(browse, cohorts):
    other = browse("other.tutor@example.org")
    for path in (f"/cohorts/{cohorts.cohort_id}",
                 f"/cohorts/{cohorts.cohort_id}/participants/{cohorts.participant_id}",
                 f"/cohorts/{cohorts.cohort_id}/progress.csv"):
        assert other.get(path).status_code == 404, path
    # Nor someone of their own cohort's id under another cohort.
    tutor = browse(cohorts.emails["tutor"])
    stranger = db.session.scalar(sa.select(User.id).filter_by(display_name="Sam Other"))
    assert tutor.get(f"/cohorts/{cohorts.cohort_id}/participants/{stranger}").status_code == 404


def test_reopening_needs_a_reason_and_a_submitted_assessment(browse, cohorts):
    pat = db.session.get(User, cohorts.participant_id)
    b.assess(pat, db.session.get(Cohort, cohorts.cohort_id), "pre", sector="commissioning")
    db.session.commit()
    tutor = browse(cohorts.emails["tutor"])
    path = f"/cohorts/{cohorts.cohort_id}/participants/{cohorts.participant_id}/reopen"
    no_reason = tutor.post(path, {"phase": "pre", "reason": "  "})
    assert no_reason.status_code == 422 and "Give the reason" in no_reason.text
    not_submitted = tutor.post(path, {"phase": "post", "reason": "typo"})
    assert not_submitted.status_code == 422
    assert "has no post self-assessment" in not_submitted.text
    bad_phase = tutor.post(path, {"phase": "during", "reason": "typo"})
    assert bad_phase.status_code == 422 and "Not a valid choice" in bad_phase.text
    done = tutor.post(path, {"phase": "pre", "reason": "SI.3 was mistyped"})
    assert done.status_code == 302
    assert db.session.scalar(sa.select(Assessment.status)) == "draft"
    event = db.session.scalar(sa.select(AuditEvent).filter_by(action="assessment.reopen"))
    assert "reason" not in event.details  # free text stays on the assessment only
    assert db.session.scalar(sa.select(Assessment.reopen_reason)) == "SI.3 was mistyped"


def test_csv_exports_keep_formulas_as_text(browse, cohorts):
    pat = db.session.get(User, cohorts.participant_id)
    pat.display_name = "=HYPERLINK(\"http://evil.example\")"
    db.session.commit()
    tutor = browse(cohorts.emails["tutor"])
    progress = tutor.get(f"/cohorts/{cohorts.cohort_id}/progress.csv")
    assert progress.mimetype == "text/csv"
    assert progress.headers["Cache-Control"] == "no-store"
    lines = progress.text.splitlines()
    assert lines[0].startswith("name,email,percent_done,last_activity,at_risk,why,induction")
    assert lines[1].startswith("\"'=HYPERLINK(\"\"http://evil.example\"\")\",pat@example.org")
    completion = tutor.get(f"/cohorts/{cohorts.cohort_id}/assessments.csv").text.splitlines()
    assert completion[0].startswith("name,pre_status,pre_answered,pre_required,then_status")
    assert completion[1].endswith("not started,0,36,not started,0,36,not started,0,36")


def grow(cohort_id: int, count: int) -> None:
    """Add ``count`` participants with some work and a draft to a cohort."""
    cohort = db.session.get(Cohort, cohort_id)
    for _ in range(count):
        person = b.make_user("participant")
        b.enrol(person, cohort)
        b.assess(person, cohort, "pre", status="draft")
    db.session.commit()


def test_the_cohort_page_costs_the_same_statements_for_3_or_30_participants(
        browse, cohorts, app):
    tutor = browse(cohorts.emails["tutor"])
    counts = []
    for extra in (2, 27):
        grow(cohorts.cohort_id, extra)
        with count_queries(db.engine) as counter:
            assert tutor.get(f"/cohorts/{cohorts.cohort_id}").status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1], counts


def test_reopening_a_closed_window_on_the_page_asks_for_a_date_and_the_participant_reads_why(
        browse, cohorts):
    pat = db.session.get(User, cohorts.participant_id)
    b.assess(pat, db.session.get(Cohort, cohorts.cohort_id), "post", sector="commissioning")
    db.session.commit()
    tutor = browse(cohorts.emails["tutor"])
    path = f"/cohorts/{cohorts.cohort_id}/participants/{cohorts.participant_id}/reopen"
    undated = tutor.post(path, {"phase": "post", "reason": "Answers swapped"})
    assert undated.status_code == 422
    assert "give the participant a new closing date" in undated.text
    assert 'href="#closes_on-day"' in undated.text  # the error summary links the first box
    unreal = tutor.post(path, {"phase": "post", "reason": "Answers swapped",
                               "closes_on-day": "31", "closes_on-month": "2",
                               "closes_on-year": "2030"})
    assert unreal.status_code == 422 and "must be a real date" in unreal.text
    assert 'value="31"' in unreal.text  # what was typed stays in the boxes
    partial = tutor.post(path, {"phase": "post", "reason": "Answers swapped",
                                "closes_on-day": "3", "closes_on-year": "2030"})
    assert partial.status_code == 422 and "must include a month" in partial.text
    until = dt.date.today() + dt.timedelta(days=9)
    done = tutor.post(path, {"phase": "post", "reason": "Answers swapped",
                             "closes_on-day": str(until.day),
                             "closes_on-month": str(until.month),
                             "closes_on-year": str(until.year)})
    assert done.status_code == 302
    page = browse(cohorts.emails["participant"]).get("/assessments/post")
    assert "Your tutor reopened this self-assessment." in page.text
    assert "Answers swapped" in page.text and f"{until:%-d %B %Y}" in page.text


def test_a_tutor_gives_feedback_that_the_participant_reads_beside_their_note(browse, cohorts):
    from lms.curriculum.models import Activity, ActivityFeedback
    from lms.interop.personal import erase_person, person_export

    pat = browse(cohorts.emails["participant"])
    pat.post("/modules/induction/your-starting-point",
             {"your-starting-point-note": "I lead through others.",
              "your-starting-point-done": "y"})
    activity_id = db.session.scalar(sa.select(Activity.id).filter_by(key="your-starting-point"))
    reading_id = db.session.scalar(sa.select(Activity.id).filter_by(key="three-ideas"))
    base = f"/cohorts/{cohorts.cohort_id}/participants/{cohorts.participant_id}/activities"
    tutor = browse(cohorts.emails["tutor"])
    assert tutor.post(f"{base}/{activity_id}/feedback", {"body": "  "}).status_code == 422
    nothing_written = tutor.post(f"{base}/{reading_id}/feedback", {"body": "Well done"})
    assert nothing_written.status_code == 404
    given = tutor.post(f"{base}/{activity_id}/feedback",
                       {"body": "Say more about who the others are."})
    assert given.status_code == 302
    assert "Say more about who the others are." in tutor.get(
        f"/cohorts/{cohorts.cohort_id}/participants/{cohorts.participant_id}").text
    other = browse("other.tutor@example.org")
    assert other.post(f"{base}/{activity_id}/feedback", {"body": "x"}).status_code == 404
    module = browse(cohorts.emails["participant"]).get("/modules/induction").text
    assert "Feedback from" in module and "Say more about who the others are." in module
    event = db.session.scalar(sa.select(AuditEvent).filter_by(action="feedback.create"))
    assert "Say more" not in str(event.details)  # the text stays on the row only
    person = db.session.get(User, cohorts.participant_id)
    exported = person_export(person)["activity_feedback"]
    assert [row["body"] for row in exported] == ["Say more about who the others are."]
    erase_person(person)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ActivityFeedback)) == 0


def test_the_cohort_table_is_searched_and_sorted_and_shows_last_activity(browse, cohorts):
    cohort = db.session.get(Cohort, cohorts.cohort_id)
    for name in ("Zed Quiet", "Amy Busy"):
        b.enrol(b.make_user("participant", name=name), cohort)
    db.session.commit()
    pat = browse(cohorts.emails["participant"])
    pat.post("/modules/induction/three-ideas", {"three-ideas-done": "y"})
    tutor = browse(cohorts.emails["tutor"])

    def names(query: str) -> list[str]:
        page = tutor.get(f"/cohorts/{cohorts.cohort_id}?{query}").text
        table = page[page.index('id="progress-caption"'):page.index('id="assessments"')]
        return re.findall(r'/participants/\d+">([^<]+)</a>', table)

    assert names("") == ["Amy Busy", "Pat Jones", "Zed Quiet"]
    assert names("sort=progress")[-1] == "Pat Jones"  # the only one with work done
    assert names("sort=last_activity")[-1] == "Pat Jones"
    assert names("q=zed") == ["Zed Quiet"]
    assert names("q=nobody") == [] and names("sort=bogus") == names("")
    page = tutor.get(f"/cohorts/{cohorts.cohort_id}").text
    assert f"{dt.date.today():%-d %b %Y}" in page and "No work yet" in page
