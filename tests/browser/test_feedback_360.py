"""360 feedback in Chromium, with axe on each page: a participant asks a line manager and
three peers; each gets an invitation at a real SMTP server, opens its link without an account,
answers and submits; the report shows the peers and the labelled line manager, blind spots and
hidden strengths. In a second round only two peers answer: the peers are not shown, and
nothing in the report lets them be worked out."""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa
from playwright.sync_api import expect

from lms.cohorts.models import Cohort, Enrolment
from lms.core import jobs
from lms.core.extensions import db
from lms.ratings.service import behaviours_for_sector
from tests import builders as b
from tests.browser.conftest import assert_accessible, screenshot
from tests.messaging.conftest import smtp_server, smtp_settings, text_of  # noqa: F401

TODAY = dt.date.today()
#: Pat's own pre points: 5 on SI.1 (others will say 2.5: a blind spot), 1 on SI.2 (others
#: 4.25: a hidden strength), 3 elsewhere.
SELF = {"SI.1": 5, "SI.2": 1}
RATERS = [("Lee Manager", "lee@example.net", "Line manager", {"SI.1": 2, "SI.2": 4}),
          ("Ash Peer", "ash@example.net", "Peers", {"SI.1": 3, "SI.2": 4}),
          ("Bo Peer", "bo@example.net", "Peers", {"SI.1": 2, "SI.2": 5}),
          ("Cy Peer", "cy@example.net", "Peers", {"SI.1": 3, "SI.2": 4})]


def nominate(page, name: str, email: str, group: str, round_name: str) -> None:
    """Ask one rater through the form."""
    page.get_by_label("Their name").fill(name)
    page.get_by_label("Their email address").fill(email)
    page.get_by_label("Who they are to you").select_option(label=group)
    page.get_by_label(round_name).check()
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_role("status")).to_contain_text(f"{name} is asked")


def answer(visitor, link: str, values: dict[str, int], codes: list[str], check: bool) -> None:
    """Open a rater's link, answer every behaviour (3 unless ``values`` says), comment on a
    theme, and submit."""
    page = visitor.page
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Feedback for Pat Jones")
    if check:
        assert_accessible(page)
        screenshot(page, "feedback-rater-form")
    for code in codes:
        page.locator(f'input[name="{code}"][value="{values.get(code, 3)}"]').check()
    page.get_by_label(re.compile("Anything you would like to say about .Strategic intent"))\
        .fill(f"Seen by {visitor.page.url[-6:]}")
    page.get_by_role("button", name="Submit your feedback").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you")
    if check:
        assert_accessible(page)


def close_round(cohort_id: int, phase: str) -> None:
    """The round's last day was yesterday."""
    db.session.rollback()  # a snapshot read before the server's writes cannot write
    cohort = db.session.get(Cohort, cohort_id)
    setattr(cohort, f"feedback_{phase}_opens_on", TODAY - dt.timedelta(days=10))
    setattr(cohort, f"feedback_{phase}_closes_on", TODAY - dt.timedelta(days=1))
    db.session.commit()


def links_sent(app, server, count: int) -> dict[str, str]:
    """Deliver what is queued; the feedback link each new rater was sent, by address."""
    app.extensions[jobs.EXTENSION].run_pending()
    found = {}
    for message in server.received.messages[-count:]:
        link = re.search(r"http://\S+/feedback/[A-Za-z0-9_-]{43}", text_of(message)).group(0)
        found[message["To"].addresses[0].addr_spec] = link
    assert len(found) == count
    return found


def test_a_participant_gets_360_feedback_from_a_line_manager_and_peers(
        app, visit, served, programme, smtp_server):  # noqa: F811
    app.config.update(smtp_settings(smtp_server), LMS_BASE_URL=served)
    pat = db.session.scalar(sa.select(Enrolment).filter_by(user_id=programme.participant_id))
    b.assess(pat.user, pat.cohort, "pre", values=SELF, sector="commissioning")
    cohort_id = pat.cohort_id
    db.session.commit()
    codes = [behaviour.code for behaviour in behaviours_for_sector("commissioning")]

    participant = visit()
    participant.sign_in(programme.emails["participant"])
    page = participant.page
    page.get_by_role("link", name="360 feedback").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("360 feedback")
    assert_accessible(page)
    for name, email, group, _values in RATERS:
        nominate(page, name, email, group, "Start of the programme (pre)")
    # a bad nomination is refused on its field
    page.get_by_label("Their name").fill("Nobody")
    page.get_by_label("Their email address").fill("not an address")
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("email")
    assert_accessible(page)

    links = links_sent(app, smtp_server, 4)
    for index, (_name, email, _group, values) in enumerate(RATERS):
        rater = visit()  # a browser with no account, no cookie
        answer(rater, links[email], values, codes, check=index == 0)
    page.goto("/my-feedback")
    expect(page.locator("#round-pre + p")).to_contain_text(
        "Answered so far: Line manager, 1 of 1; Peers, 3 of 3.")
    screenshot(page, "feedback-raters")

    close_round(cohort_id, "pre")
    page.goto("/my-feedback")
    page.get_by_role("link", name="Read the pre report").click()
    assert_accessible(page)
    table = page.get_by_role("table", name="Strategic intent: mean points")
    expect(table.get_by_role("columnheader")).to_have_text(
        ["Behaviour", "You", "Line manager (not anonymous)", "Peers", "All others"])
    si1 = table.get_by_role("row").filter(has_text="SI.1")
    expect(si1).to_contain_text("Blind spot")
    expect(si1.get_by_role("cell")).to_have_text(["5", "2.0", "2.7", "2.5"])
    si2 = table.get_by_role("row").filter(has_text="SI.2")
    expect(si2).to_contain_text("Hidden strength")
    expect(si2.get_by_role("cell")).to_have_text(["1", "4.0", "4.3", "4.2"])
    expect(page.locator("h2:text('Blind spots') + p + ul")).to_contain_text("SI.1")
    expect(page.locator("h2:text('Hidden strengths') + p + ul")).to_contain_text("SI.2")
    screenshot(page, "feedback-report")

    # The post round: the same four asked, but only the manager and two peers answer.
    db.session.rollback()
    cohort = db.session.get(Cohort, cohort_id)
    cohort.feedback_post_opens_on = TODAY - dt.timedelta(days=1)
    cohort.feedback_post_closes_on = TODAY + dt.timedelta(days=10)
    db.session.commit()
    page.goto("/my-feedback")
    for name, email, group, _values in RATERS:
        nominate(page, name, email, group, "End of the programme (post)")
    links = links_sent(app, smtp_server, 4)
    post_values = {"lee@example.net": {"SI.1": 4}, "ash@example.net": {"SI.1": 5},
                   "bo@example.net": {"SI.1": 1}}
    for email, values in post_values.items():
        answer(visit(), links[email], values, codes, check=False)
    close_round(cohort_id, "post")
    page.goto("/my-feedback/report/post")
    assert_accessible(page)
    who = page.get_by_role("table", name="Who answered")
    expect(who.get_by_role("row").filter(has_text="Peers")).to_contain_text(
        "Left out: fewer than 3 answered")
    table = page.get_by_role("table", name="Strategic intent: mean points")
    expect(table.get_by_role("columnheader")).to_have_text(
        ["Behaviour", "You", "Line manager (not anonymous)", "All others",
         "All others since pre"])
    si1 = table.get_by_role("row").filter(has_text="SI.1")
    # all others is the manager alone (4): nothing of the two peers (5 and 1, mean 3)
    expect(si1.get_by_role("cell")).to_have_text(["–", "4.0", "4.0", "+1.5"])
    content = page.locator("main").inner_text()
    assert "Peers" not in content.split("Who answered", 1)[1].split("Left out", 1)[1]
    assert "3.0" not in si1.inner_text()
    for comment in page.locator("main li").all_inner_texts():
        assert not comment.startswith("Peers")


def test_a_rater_asked_in_welsh_answers_in_welsh(app, visit, served, programme,
                                                 smtp_server):  # noqa: F811
    """A participant reading in Welsh asks a rater: the form offers Cymraeg first, the
    invitation is Welsh, and the rater's page opens in Welsh and can be switched."""
    from tests.welsh import english_left

    app.config.update(smtp_settings(smtp_server), LMS_BASE_URL=served)
    participant = visit()
    participant.sign_in(programme.emails["participant"])
    page = participant.page
    page.goto("/my-feedback")
    page.get_by_role("link", name="Cymraeg").click()
    expect(page.locator("html")).to_have_attribute("lang", "cy")
    expect(page.get_by_label("Cymraeg")).to_be_checked()
    page.get_by_label("Eu henw").fill("Lowri Manager")
    page.get_by_label("Eu cyfeiriad e-bost").fill("lowri@example.net")
    page.get_by_label("Pwy ydynt i chi").select_option(value="line_manager")
    page.locator("#rater-phase").check()
    page.locator("#rater-language").scroll_into_view_if_needed()
    screenshot(page, "feedback-ask-in-welsh")
    page.get_by_role("button", name="Anfon y gwahoddiad").click()
    expect(page.get_by_role("status")).to_contain_text("Lowri Manager")
    [link] = links_sent(app, smtp_server, 1).values()
    [email] = smtp_server.received.messages[-1:]
    assert email["Subject"] == "Mae Pat Jones yn gofyn am eich adborth"
    assert english_left(f"<body><pre>{text_of(email)}</pre></body>",
                        ("Pat Jones", "Lowri Manager")) == []
    rater = visit().page  # no account, no cookie, an English browser
    rater.goto(link)
    expect(rater.locator("html")).to_have_attribute("lang", "cy")
    expect(rater.get_by_role("heading", level=1)).to_have_text("Adborth ar gyfer Pat Jones")
    assert_accessible(rater)
    screenshot(rater, "feedback-rater-form-welsh")
    rater.get_by_role("link", name="English").click()
    expect(rater.get_by_role("heading", level=1)).to_have_text("Feedback for Pat Jones")
