"""Participants' pages: what they show, and how they answer bad input."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from lms.cohorts.models import Cohort
from lms.core.extensions import db
from lms.curriculum.models import ActivityRecord
from lms.ratings.models import Assessment
from tests import builders as b


def records() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(ActivityRecord))


def test_each_role_lands_on_its_own_home(browse, cohorts):
    headings = {"participant": "Your programme", "tutor": "Your cohorts",
                "sponsor": "Outcomes", "admin": "Cohorts"}
    for role, heading in headings.items():
        page = browse(cohorts.emails[role]).get("/")
        assert page.status_code == 200
        assert f"<h1>{heading}</h1>" in page.text, role
        assert page.headers["Cache-Control"] == "no-store"


def test_page_forms_need_the_csrf_token(browse, cohorts):
    pat = browse(cohorts.emails["participant"])
    refused = pat.post("/modules/induction/three-ideas", {"three-ideas-done": "y"}, csrf=False)
    assert refused.status_code == 400
    assert records() == 0
    saved = pat.post("/modules/induction/three-ideas", {"three-ideas-done": "y"})
    assert saved.status_code == 302 and saved.headers["Location"].endswith("#three-ideas")
    assert records() == 1


def test_a_reflection_must_be_written_before_it_is_done(browse, cohorts):
    page = browse(cohorts.emails["participant"]).post(
        "/modules/induction/your-starting-point", {"your-starting-point-done": "y"})
    assert page.status_code == 422
    assert "There is a problem" in page.text
    assert 'href="#your-starting-point-note"' in page.text
    assert "Write your reflection before marking this activity done." in page.text
    assert records() == 0


def test_a_note_with_a_nul_character_is_refused_naming_the_field(browse, cohorts):
    page = browse(cohorts.emails["participant"]).post(
        "/modules/induction/your-starting-point",
        {"your-starting-point-note": "half\x00written", "your-starting-point-done": "y"})
    assert page.status_code == 422
    assert "Your note contains characters that cannot be stored." in page.text
    assert records() == 0


def test_a_module_outside_the_programme_is_a_404_page(browse, cohorts):
    pat = browse(cohorts.emails["participant"])
    assert pat.get("/modules/no-such-module").status_code == 404
    assert pat.post("/modules/induction/no-such-activity", {}).status_code == 404


def test_answers_are_saved_theme_by_theme_and_the_next_theme_follows(browse, cohorts):
    pat = browse(cohorts.emails["participant"])
    page = pat.post("/assessments/pre/themes/SI", {"SI.1": "4", "SI.2": "na"})
    assert page.status_code == 302 and page.headers["Location"] == "/assessments/pre/themes/FC"
    later = pat.post("/assessments/pre/themes/FC", {"FC.1": "2", "action": "later"})
    assert later.headers["Location"] == "/"
    answers = pat.get("/api/v1/me/assessments/pre").get_json()["ratings"]
    assert answers == {"SI.1": 4, "SI.2": "na", "FC.1": 2}
    form = pat.get("/assessments/pre/themes/SI").text  # coming back shows what was chosen
    assert 'id="SI.1-4" name="SI.1" type="radio" value="4" checked' in form


@pytest.mark.parametrize("bad", ["9", "0", "4.0", "٤", "４", "x" * 5000, "\x00"])
def test_an_answer_off_the_scale_is_refused_and_nothing_is_saved(browse, cohorts, bad):
    pat = browse(cohorts.emails["participant"])
    page = pat.post("/assessments/pre/themes/SI", {"SI.1": "4", "SI.2": bad})
    assert page.status_code == 422
    assert 'href="#SI.2"' in page.text and "must be a whole number from 1 to 5" in page.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Assessment)) == 0


def test_saving_after_the_window_closed_says_when_it_was_open(browse, cohorts):
    cohort = db.session.get(Cohort, cohorts.cohort_id)
    cohort.pre_closes_on = dt.date.today() - dt.timedelta(days=1)
    db.session.commit()
    page = browse(cohorts.emails["participant"]).post("/assessments/pre/themes/SI",
                                                      {"SI.1": "4"})
    assert page.status_code == 409
    assert "The pre self-assessment is open from" in page.text


def test_unknown_phases_and_themes_are_404_pages(browse, cohorts):
    pat = browse(cohorts.emails["participant"])
    for path in ("/assessments/during", "/assessments/pre/themes/XX",
                 "/assessments/during/review"):
        assert pat.get(path).status_code == 404, path


def test_submitting_with_answers_missing_lists_them_by_theme_with_their_statements(
        browse, cohorts):
    pat = browse(cohorts.emails["participant"])
    pat.post("/assessments/pre/themes/SI", {"SI.1": "4"})
    page = pat.post("/assessments/pre/submit")
    assert page.status_code == 422
    start = page.text.index('class="nhsuk-error-summary"')
    summary = re.sub(r"\s+", " ", page.text[start:page.text.index("</ul>", start)])
    # One line per theme in the error summary, linking the theme's first unanswered question.
    assert "answer 6 more behaviours" in summary  # Strategic intent: all but SI.1 of 7
    assert 'href="/assessments/pre/themes/SI#SI.2"' in summary
    assert summary.count("<li") == 4
    left = page.text[page.text.index('id="still-to-answer"'):]
    assert '<a href="/assessments/pre/themes/SI#SI.2">SI.2</a>:' in left
    assert 'DT.8</a>:' in left and 'DT.9</a>' not in left  # a commissioner
    status = db.session.scalar(sa.select(Assessment.status))
    assert status == "draft"


def test_a_submitted_assessment_ends_on_a_confirmation_page(browse, cohorts):
    pat = browse(cohorts.emails["participant"])
    asked = pat.get("/assessments/pre/review").text
    codes = re.findall(r'your answer for ([A-Z]{2}\.\d+)<', asked)
    for theme in sorted({code.split(".")[0] for code in codes}):
        pat.post(f"/assessments/pre/themes/{theme}",
                 {code: "3" for code in codes if code.startswith(theme + ".")})
    assert pat.get("/assessments/pre/submitted").headers["Location"] == "/assessments/pre"
    done = pat.post("/assessments/pre/submit")
    assert done.status_code == 302 and done.headers["Location"] == "/assessments/pre/submitted"
    page = pat.get("/assessments/pre/submitted").text
    assert "Self-assessment submitted" in page and "What happens next" in page


def test_the_home_page_says_what_is_due_first(browse, cohorts):
    pat = browse(cohorts.emails["participant"])
    pat.post("/assessments/pre/themes/SI", {"SI.1": "4", "SI.2": "3"})
    page = pat.get("/").text
    due = page[page.index('id="due-now"'):]
    assert "Your pre self-assessment closes in 5 days: 2 of 36 answered." in due
    assert page.index('id="due-now"') < page.index("Modules</caption>")
    assert re.search(r'<progress id="progress-\d+" max="100" value="0">', page)
    assert "Open now" in page and "No due date" in page


def test_my_progress_shows_the_profile_chart_with_its_table(browse, cohorts):
    page = browse(cohorts.emails["participant"]).get("/progress")
    assert page.status_code == 200
    assert 'src="/api/v1/me/charts/profile.png"' in page.text
    assert "<caption" in page.text and "cohort mean pre" in page.text
    # On a phone: each theme in a sentence first, every behaviour on request, drawn narrow.
    text = page.text
    assert text.index("Strategic intent: ") < text.index("Every behaviour, beside your")
    assert 'srcset="/api/v1/me/charts/profile.png?width=390"' in text
    assert text.index("<details") < text.index('src="/api/v1/me/charts/profile.png"')


def module_form(**activities) -> dict[str, str]:
    """The module page's one form as a browser posts it: every activity marked shown."""
    data = {f"{key}-shown": "y" for key in
            ("three-ideas", "your-starting-point", "network-map", "cohort-welcome",
             "best-experience")}
    for key, fields in activities.items():
        data.update({f"{key.replace('_', '-')}-{name}": value for name, value in fields.items()})
    return data


def test_saving_one_activity_keeps_what_was_typed_in_another(browse, cohorts):
    pat = browse(cohorts.emails["participant"])
    page = pat.get("/modules/induction").text
    assert page.count('name="save"') == 5
    assert page.count('<form method="post" action="/modules/induction"') == 1
    saved = pat.post("/modules/induction", {
        **module_form(your_starting_point={"note": "Where I stand."},
                      network_map={"note": "Who I work with."}),
        "save": "network-map"})
    assert saved.status_code == 302 and saved.headers["Location"].endswith("#network-map")
    shown = pat.get("/modules/induction").text
    assert "Where I stand." in shown and "Who I work with." in shown
    assert records() == 2
    nothing = pat.post("/modules/induction", {
        **module_form(your_starting_point={"note": "Where I stand."},
                      network_map={"note": "Who I work with."}), "save": "three-ideas"})
    assert nothing.status_code == 302 and records() == 2


def test_a_problem_in_one_activity_saves_nothing_and_keeps_every_typed_text(browse, cohorts):
    pat = browse(cohorts.emails["participant"])
    refused = pat.post("/modules/induction", {
        **module_form(three_ideas={"done": "y"},
                      network_map={"note": "Typed but not yet saved.", "done": "y"},
                      best_experience={"done": "y"}, your_starting_point={"done": "y"}),
        "save": "three-ideas"})
    assert refused.status_code == 422
    assert "Write your reflection before marking this activity done." in refused.text
    assert "Typed but not yet saved." in refused.text
    assert records() == 0  # all or nothing


def test_the_module_form_is_refused_without_csrf(browse, cohorts):
    pat = browse(cohorts.emails["participant"])
    refused = pat.post("/modules/induction", module_form(three_ideas={"done": "y"}), csrf=False)
    assert refused.status_code == 400 and records() == 0


def test_error_pages_speak_the_design_systems_words_and_keep_the_services_reason(
        browse, cohorts):
    pat = browse(cohorts.emails["participant"])
    refused = pat.get("/admin/users")
    assert refused.status_code == 403
    assert "<h1>You cannot see this page</h1>" in refused.text
    assert "ask your programme administrator" in refused.text
    missing = pat.get("/modules/no-such-module")
    assert missing.status_code == 404 and "<h1>Page not found</h1>" in missing.text
    assert "is not part of your programme" in missing.text


def test_before_the_cohort_starts_the_module_page_says_when_and_refuses_work(browse, cohorts):
    starts = dt.date.today() + dt.timedelta(days=40)
    later = b.make_cohort(db.session.get(Cohort, cohorts.cohort_id).programme,
                          name="March cohort", starts_on=starts,
                          ends_on=starts + dt.timedelta(days=180))
    early = b.make_user("participant", email="early@example.org", password=b.PASSWORD)
    b.enrol(early, later)
    db.session.commit()
    page = browse("early@example.org")
    shown = page.get("/modules/induction").text
    assert "Not open yet" in shown and f"opens on {starts:%-d %B %Y}" in shown
    assert 'name="save"' not in shown  # nothing to save before it opens
    refused = page.post("/modules/induction/three-ideas", {"three-ideas-done": "y"})
    assert refused.status_code == 422 and f"starts on {starts:%-d %B %Y}" in refused.text
    assert records() == 0
    home = page.get("/").text
    assert "Your cohort starts in 40 days" not in home  # beyond three weeks: the date
    assert f"Your cohort starts on {starts:%-d %B %Y}" in home
