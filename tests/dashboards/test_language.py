"""Welsh and English: the catalogs are whole, the language is chosen as a person expects, and
a page in Welsh says so and holds none of the catalog's English."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest
import sqlalchemy as sa
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from lms.accounts.models import User
from lms.core.extensions import db
from tests import builders as b
from tests.fixtures import PROJECT_ROOT
from tests.welsh import english_left

CATALOGS = PROJECT_ROOT / "lms" / "translations"
METHODS = [("lms/**.py", "python"), ("lms/templates/**.html", "jinja2"),
           ("lms/templates/**.txt", "jinja2")]
#: As babel.cfg reads the templates (Flask-Babel's new-style gettext).
NEWSTYLE = {"newstyle_gettext": "true"}
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None,
            "_l": None, "gettext_markup": None, "ngettext_markup": (1, 2)}


def catalog(language: str):
    with (CATALOGS / language / "LC_MESSAGES" / "messages.po").open("rb") as file:
        return read_po(file)


def message_id(message) -> str:
    return message.id if isinstance(message.id, str) else message.id[0]


def source_messages() -> set[str]:
    """Every message id the code and templates use, found as `make messages` finds them."""
    found = extract_from_dir(str(PROJECT_ROOT), METHODS, keywords=KEYWORDS,
                             options_map={"lms/templates/**.html": NEWSTYLE,
                                          "lms/templates/**.txt": NEWSTYLE},
                             comment_tags=())
    return {msgid if isinstance(msgid, str) else msgid[0]
            for _file, _line, msgid, _comments, _context in found}


def test_every_message_has_a_welsh_translation():
    welsh = catalog("cy")
    assert welsh.num_plurals == 6  # Welsh: zero, one, two, few (3), many (6), other
    problems = []
    for message in welsh:
        if not message.id:
            continue
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        if message.fuzzy or not all(s.strip() for s in strings):
            problems.append(message_id(message))
    assert problems == []


def test_the_catalogs_hold_every_message_the_code_uses():
    used = source_messages()
    assert len(used) > 20
    for language in ("cy", "en"):
        held = {message_id(m) for m in catalog(language) if m.id}
        assert used - held == set(), f"run `make messages` and translate ({language})"


def test_a_first_visit_follows_the_browser_and_says_which_language(client, seeded):
    welsh = client.get("/sign-in", headers={"Accept-Language": "cy-GB,cy;q=0.9,en;q=0.5"})
    assert welsh.headers["Content-Language"] == "cy"
    assert '<html lang="cy"' in welsh.text and "Neidio i'r prif gynnwys" in welsh.text
    english = client.get("/sign-in", headers={"Accept-Language": "en-GB"})
    assert english.headers["Content-Language"] == "en"
    assert '<html lang="en-GB"' in english.text and "Skip to main content" in english.text


def test_the_switch_returns_to_the_same_page_in_the_other_language(client, seeded):
    page = client.get("/sign-in?next=/account")
    link = re.search(r'<a class="nhsuk-header__account-link" href="([^"]+)" lang="cy" '
                     r'hreflang="cy">Cymraeg</a>', page.text)
    assert link, "every page links to its Welsh counterpart"
    switched = client.get(unescape(link.group(1)))
    assert switched.status_code == 302 and switched.headers["Location"] == "/sign-in?next=/account"
    welsh = client.get("/sign-in?next=/account")
    assert '<html lang="cy"' in welsh.text
    back = re.search(r'<a class="nhsuk-header__account-link" href="([^"]+)" lang="en" '
                     r'hreflang="en">English</a>', welsh.text)
    client.get(unescape(back.group(1)))
    assert '<html lang="en-GB"' in client.get("/sign-in").text
    # Never to another site.
    assert client.get("/language/cy?next=//evil.example").headers["Location"] == "/"


def test_a_signed_in_choice_is_kept_as_the_persons_language(client, cohorts):
    email = cohorts.emails["participant"]
    b.sign_in(client, email)
    client.get("/language/cy?next=/")
    person = db.session.scalar(sa.select(User).filter_by(email=email))
    db.session.refresh(person)
    assert person.language == "cy"  # their e-mails follow it too
    client.post("/sign-out", data={"csrf_token": b.csrf_from(client.get("/account").text)})
    fresh = client.application.test_client()  # another browser, no session yet
    b.sign_in(fresh, email)
    assert '<html lang="cy"' in fresh.get("/account").text


def test_the_api_answers_in_the_language_asked_for(client, seeded):
    response = client.get("/api/v1/framework", headers={"Accept-Language": "cy"})
    assert response.headers["Content-Language"] == "cy"
    assert "Accept-Language" in response.headers["Vary"]
    assert client.get("/api/v1/framework").headers["Content-Language"] == "en"


@pytest.mark.parametrize("path", ["/sign-in", "/forgot-password"])
def test_a_welsh_page_holds_no_english_from_the_catalog(client, seeded, path):
    english = [message_id(m) for m in catalog("cy") if m.id and len(message_id(m).split()) > 2]
    page = client.get(path, headers={"Accept-Language": "cy"}).text
    text = unescape(re.sub(r"<[^>]+>", " ", page))
    assert [msgid for msgid in english if msgid in text] == []


def test_make_compiles_the_catalogs_it_does_not_commit_them():
    ignored = (PROJECT_ROOT / ".gitignore").read_text()
    assert "lms/translations/*/LC_MESSAGES/*.mo" in ignored
    assert Path(CATALOGS / "cy" / "LC_MESSAGES" / "messages.mo").exists()


def test_a_participants_home_in_welsh(client, cohorts):
    b.sign_in(client, cohorts.emails["participant"])
    client.get("/language/cy?next=/")
    page = client.get("/").text
    assert '<html lang="cy"' in page and "Eich rhaglen" in page
    assert "Modiwlau" in page and "Statws" in page
    assert english_left(page) == []
    # Every module has its Welsh edition: the home names them in Welsh, nothing as English.
    assert "Bwriad strategol: gweld y darlun cyfan" in page
    assert 'lang="en"' not in page.split("<main", 1)[1]
    assert not re.search(r"\b(January|February|March|April|May|June|July|August|September|"
                         r"October|November|December)\b", page)  # dates are Welsh dates
    english = client.get("/language/en?next=/")
    assert english.headers["Location"] == "/"
    assert "Your programme" in client.get("/").text


def without_welsh_edition(slug: str) -> None:
    """Forget a module's Welsh edition, as for a module added in English only."""
    from lms.curriculum.models import Module

    module = db.session.scalar(sa.select(Module).filter_by(slug=slug))
    module.title_cy = module.summary_cy = module.introduction_html_cy = None
    for activity in module.activities:
        activity.title_cy = activity.text_html_cy = None
    db.session.commit()


def test_a_module_page_in_welsh_marks_its_english_content(browse, cohorts):
    without_welsh_edition("strategic-intent")
    pat = browse(cohorts.emails["participant"])
    pat.get("/language/cy?next=/")
    page = pat.get("/modules/strategic-intent").text
    assert '<html lang="cy"' in page and "Gweithgareddau" in page
    assert english_left(page) == []
    # This module has no Welsh edition yet: its text is marked as English, and said so.
    assert '<div class="lms-module-text" lang="en">' in page
    assert re.search(r'<h1 lang="en">[^<]+</h1>', page)
    assert "Nid oes fersiwn Cymraeg o'r modiwl hwn eto" in page


def test_a_module_with_a_welsh_edition_is_shown_in_welsh(browse, cohorts):
    pat = browse(cohorts.emails["participant"])
    assert "Leadership at every level: an induction" in pat.get("/modules/induction").text
    pat.get("/language/cy?next=/")
    page = pat.get("/modules/induction").text
    assert "<h1>Arwain ar bob lefel: cyflwyniad</h1>" in page  # modules/cy/01-induction.md
    assert "Tri syniad y mae&#39;r rhaglen wedi&#39;i hadeiladu arnynt" in page
    assert 'lang="en"' not in page.split("<main", 1)[1]  # nothing on it is English only
    assert "Nid oes fersiwn Cymraeg" not in page
    # The home page names it in Welsh too, without marking it as English.
    assert "Arwain ar bob lefel: cyflwyniad</a>" in pat.get("/").text
    saved = pat.post("/modules/induction/three-ideas", {"three-ideas-done": "y"})
    assert saved.status_code == 302
    assert "Wedi cadw “" in pat.get("/modules/induction").text
    # A refusal speaks Welsh too: a reflection must be written before it is done.
    refused = pat.post("/modules/induction/your-starting-point",
                       {"your-starting-point-done": "y"})
    assert refused.status_code == 422 and "Mae problem wedi codi" in refused.text
    assert "Ysgrifennwch eich myfyrdod cyn nodi bod y gweithgaredd hwn wedi" in refused.text


def test_the_api_refuses_in_the_language_asked_for(client, cohorts):
    b.sign_in(client, cohorts.emails["tutor"])
    welsh = client.get("/api/v1/cohorts/9999", headers={"Accept-Language": "cy"})
    assert welsh.status_code == 404 and welsh.headers["Content-Language"] == "cy"
    assert welsh.get_json()["message"] == "Nid oes carfan â'r id 9999."
    english = client.get("/api/v1/cohorts/9999", headers={"Accept-Language": "en"})
    assert english.get_json()["message"] == "There is no cohort with id 9999."


@pytest.mark.parametrize(("method", "path", "body", "welsh"), [
    ("post", "/api/v1/organisations", {"name": "Northshire County Council",
                                       "type": "local_authority", "sector": "commissioning"},
     "Mae sefydliad o'r enw 'Northshire County Council' yn bodoli eisoes."),
    ("get", "/api/v1/behaviours?theme=XX", None, "Nid oes thema â'r cod 'XX'."),
    ("get", "/api/v1/no-such-thing", None, "Ni chafwyd hyd i'r URL y gofynnwyd amdano"),
    ("post", "/api/v1/organisations", {"type": "charity"},
     "Mae'r cais yn annilys: gweler errors am y meysydd i'w cywiro."),
    ("get", "/api/v1/users/99999", None, "Nid oes defnyddiwr â'r id 99999."),
    ("post", "/api/v1/cohorts/{cohort}/roster", "not a form",
     "Anfonwch y rhestr fel text/csv neu multipart/form-data."),
    ("get", "/api/v1/cohorts/{cohort}/charts/pie.png", None,
     "Nid oes siart 'pie'; y siartiau yw"),
])
def test_administrative_refusals_in_welsh(client, cohorts, method, path, body, welsh):
    """The less-seen services refuse in the language asked for, too."""
    admin = db.session.scalar(sa.select(User).filter_by(email=cohorts.emails["admin"]))
    headers = {**b.bearer(admin), "Accept-Language": "cy"}
    url = path.format(cohort=cohorts.cohort_id)
    if isinstance(body, str):
        answer = client.post(url, data=body, content_type="application/pdf", headers=headers)
    else:
        answer = getattr(client, method)(url, json=body, headers=headers)
    assert 400 <= answer.status_code < 500 and answer.headers["Content-Language"] == "cy"
    assert answer.get_json()["message"].startswith(welsh), answer.get_json()
    assert english_left(f"<body><p>{answer.get_json()}</p></body>") == [], answer.get_json()


def test_the_libraries_field_errors_in_welsh(client, cohorts):
    """marshmallow's own words (required, not a valid …, length) are said in Welsh."""
    admin = db.session.scalar(sa.select(User).filter_by(email=cohorts.emails["admin"]))
    answer = client.post("/api/v1/organisations", json={"name": "x" * 300, "type": 7,
                                                        "sector": "providing", "extra": 1},
                         headers={**b.bearer(admin), "Accept-Language": "cy"})
    errors = answer.get_json()["errors"]["json"]
    assert errors["type"] == ["Nid yw'n llinyn dilys."]
    assert errors["extra"] == ["Maes anhysbys."]
    assert errors["name"] == ["Rhaid i'r hyd fod rhwng 1 a 255."]
    english = client.post("/api/v1/organisations", json={"type": 7},
                          headers={**b.bearer(admin), "Accept-Language": "en"})
    assert english.get_json()["errors"]["json"]["name"] == ["Missing data for required field."]


def test_the_framework_is_shown_in_its_welsh_translation(browse, cohorts):
    pat = browse(cohorts.emails["participant"])
    pat.get("/language/cy?next=/")
    page = pat.get("/assessments/pre/themes/SI").text
    assert "<h1>Bwriad strategol</h1>" in page  # seeds/framework.cy.yaml
    assert "Yn fedrus wrth edrych tua&#39;r dyfodol" in page  # SI.6
    assert "Is adept at future scanning" not in page  # the English is not shown beside it
    assert pat.get("/language/en?next=/").status_code == 302
    assert "Is adept at future scanning and invests for the long-term." in unescape(
        pat.get("/assessments/pre/themes/SI").text)


def test_answers_cached_in_welsh_are_kept_apart_from_english_ones(app):
    from flask_babel import refresh

    from lms.core.caching import cached

    with app.test_request_context("/api/v1/anything", headers={"Accept-Language": "cy"}):
        refresh()
        assert cached("words", {"version": 1}, lambda: "Cymraeg") == "Cymraeg"
    with app.test_request_context("/api/v1/anything", headers={"Accept-Language": "en"}):
        refresh()
        assert cached("words", {"version": 1}, lambda: "English") == "English"
        assert cached("words", {"version": 1}, lambda: "built again") == "English"


def test_the_account_page_in_welsh_and_the_language_preference(browse, cohorts):
    pat = browse(cohorts.emails["participant"])
    english = pat.get("/account").text
    assert "Language for emails and pages" in english
    saved = pat.post("/account/preferences", {"email_reminders": "y", "language": "cy"})
    assert saved.status_code == 302
    page = pat.get("/account").text  # the pages follow the preference at once
    assert '<html lang="cy"' in page and "Eich cyfrif" in page
    assert "Mae eich dewisiadau wedi'u cadw." in unescape(page)  # said in the new language
    assert english_left(page) == []
    person = db.session.scalar(sa.select(User).filter_by(email=cohorts.emails["participant"]))
    db.session.refresh(person)
    assert person.language == "cy"


def test_a_rater_is_asked_for_in_the_language_chosen_for_them(browse, cohorts):
    """A rater has no account: whoever asks them chooses their language, by default the
    page's, and a language the service does not write in is refused on the form."""
    from lms.feedback.models import FeedbackRater

    page = browse(cohorts.emails["participant"])
    page.get("/language/cy?next=/my-feedback")
    form = page.get("/my-feedback").text
    assert re.search(r'<input[^>]*value="cy"[^>]*checked', form)
    assert '<span lang="en-GB">English</span>' in form  # a language named in itself
    rater = {"name": "Lowri Hughes", "email": "lowri@example.org", "group": "peer",
             "phase": "pre"}
    refused = page.post("/my-feedback", {**rater, "language": "fr"})
    assert refused.status_code == 422 and 'href="#rater-language"' in refused.text
    assert page.post("/my-feedback", {**rater, "language": "cy"}).status_code == 302
    page.get("/language/en?next=/my-feedback")
    english = page.post("/my-feedback", {**rater, "email": "eve@example.org"})
    assert english.status_code == 302  # no choice sent: the page's language
    languages = dict(db.session.execute(
        sa.select(FeedbackRater.email, FeedbackRater.language)).all())
    assert languages == {"lowri@example.org": "cy", "eve@example.org": "en"}


def test_the_tutors_csv_files_in_welsh(browse, cohorts):
    """The downloads of a Welsh page: column names, states and notes in Welsh; codes and
    behaviour keys stay as they are."""
    tutor = browse(cohorts.emails["tutor"])
    tutor.get("/language/cy?next=/")
    progress = tutor.get(f"/cohorts/{cohorts.cohort_id}/progress.csv").text.splitlines()
    assert progress[0].startswith("enw,e-bost,canran_wedi_gwneud,gweithgarwch_diwethaf,"
                                  "mewn_perygl,pam,induction")
    assert "heb ddechrau" in progress[1] and "not started" not in progress[1]
    completion = tutor.get(f"/cohorts/{cohorts.cohort_id}/assessments.csv").text.splitlines()
    assert completion[0].startswith("enw,pre_statws,pre_wedi_ateb,pre_gofynnol")
    assert completion[1].endswith("heb ddechrau,0,36,heb ddechrau,0,36,heb ddechrau,0,36")
    sponsor = browse(cohorts.emails["sponsor"])  # who sees figures held back
    sponsor.get("/language/cy?next=/")
    outcomes = sponsor.get(f"/api/v1/cohorts/{cohorts.cohort_id}/outcomes.csv")
    assert outcomes.headers["Content-Language"] == "cy"
    lines = outcomes.text.splitlines()
    assert lines[0] == "level,code,group,group_label,comparison,figure,value,note"  # keys
    assert "behaviour,SI.1,,everyone,post_pre,,suppressed,wedi'i ddal yn ôl i ddiogelu " \
        "grwpiau bach" in lines
    assert "flow,,,,attrition,,suppressed,llai na 5 o bobl" in lines
    assert "held back" not in outcomes.text and "fewer than" not in outcomes.text
    sponsor.get("/language/en?next=/")
    english = sponsor.get(f"/api/v1/cohorts/{cohorts.cohort_id}/outcomes.csv").text
    assert "post_pre,,suppressed,held back to protect small groups" in english
    assert "flow,,,,attrition,,suppressed,fewer than 5 people" in english
    pat = browse(cohorts.emails["participant"])  # their own file, from "My progress"
    pat.get("/language/cy?next=/")
    own = pat.get("/api/v1/me/outcomes.csv").text.splitlines()
    assert own[0].startswith("cod,thema,cyn y rhaglen (pre),")
    assert own[1].startswith("SI.1,SI,")  # the codes stay codes


def test_a_roster_is_refused_row_by_row_in_welsh(browse, cohorts):
    from tests.dashboards.test_admin_pages import HEADER, upload

    admin = browse(cohorts.emails["admin"])
    admin.get("/language/cy?next=/")
    page = upload(admin, cohorts.cohort_id, HEADER
                  + "not-an-address,Someone,Northshire County Council,local_authority,"
                    "commissioning,manager,participant\n"
                  + "x@example.org,X,Somewhere,spaceship,commissioning,manager,observer\n"
                  + "y@example.org,,Elsewhere,spaceship,commissioning,manager,participant\n")
    assert page.status_code == 422
    text = unescape(page.text)
    assert "nid yw'r e-bost 'not-an-address' yn gyfeiriad dilys" in text
    assert "nid yw role 'observer' yn un o participant, tutor, sponsor" in text
    assert "mae'r enw yn wag" in text
    assert english_left(page.text, ("Northshire County Council", "Somewhere")) == []
    unreadable = upload(admin, cohorts.cohort_id, b"\xff\xfe,broken\n")
    assert "Nid yw'r ffeil yn destun UTF-8" in unescape(unreadable.text)


def test_a_modules_dates_are_refused_in_welsh_naming_the_module(browse, cohorts):
    import datetime as dt

    from lms.cohorts.models import Cohort
    from tests.dashboards.test_setup_pages import dated

    admin = browse(cohorts.emails["admin"])
    admin.get("/language/cy?next=/")
    cohort = db.session.get(Cohort, cohorts.cohort_id)
    early = cohort.starts_on - dt.timedelta(days=3)
    refused = admin.post(f"/admin/cohorts/{cohort.id}/modules",
                         {"induction-follows": "y", **dated("induction-due_on", early)})
    assert refused.status_code == 422
    text = unescape(refused.text)
    assert ("Mae Arwain ar bob lefel: cyflwyniad i fod i'w gwblhau ar "
            f"{early.day} ") in text  # the module's Welsh title, a Welsh date
    assert "Leadership at every level" not in text  # named once, in Welsh, not again in front
    unreal = admin.post(f"/admin/cohorts/{cohort.id}/modules",
                        {"induction-follows": "y", "induction-opens_on-day": "31",
                         "induction-opens_on-month": "2", "induction-opens_on-year": "2027"})
    assert "Arwain ar bob lefel: cyflwyniad: " in unescape(unreal.text)  # its Welsh title
    assert english_left(refused.text, ("Cohort A",)) == []
    nothing = admin.post(f"/admin/cohorts/{cohort.id}/modules", {})
    assert "Dewiswch o leiaf un modiwl." in unescape(nothing.text)


def test_the_rating_scale_in_welsh(browse, cohorts):
    """The programme's scale labels in their Welsh (seeds/programme.yaml's label_cy), on the
    self-assessment and beside a chart's figures; without Welsh, English marked as such."""
    from lms.cohorts.models import Cohort

    pat = browse(cohorts.emails["participant"])
    pat.get("/language/cy?next=/")
    english_only = pat.get("/assessments/pre/themes/SI").text
    assert '3 – <span lang="en">Sometimes</span>' in english_only
    programme = db.session.get(Cohort, cohorts.cohort_id).programme
    programme.scale_labels_cy = {"1": "Ddim eto", "2": "Anaml", "3": "Weithiau",
                                 "4": "Yn aml", "5": "Yn gyson"}
    db.session.commit()
    welsh = pat.get("/assessments/pre/themes/SI").text
    assert "3 – Weithiau" in welsh and "Sometimes" not in welsh
    assert english_left(welsh, ("Cohort A",)) == []
