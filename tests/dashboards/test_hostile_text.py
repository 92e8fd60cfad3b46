"""Script in every free-text field that a page shows: names of people, organisations,
cohorts and the programme, and a participant's reflection. Each role visits every page it
can reach from its home; no page carries the markup, and the text is shown, escaped.

Text is kept as written (a reflection may well quote "<script>"): it is escaped where it is
shown, never refused. Found this way: the design system's header printed a display name raw.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from lms.accounts.models import User
from lms.cohorts.models import Cohort, Organisation, Programme
from lms.core.extensions import db

PAYLOAD = "<script>alert('x')</script><img src=x onerror=alert(1)>"
RAW = ("<script>alert", "<img src=x")
ESCAPED = "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"
NOT_PAGES = ("/sign-out", "/static/", "/api/")


def poison_every_name() -> None:
    """Every free-text name stored becomes the payload, tagged with what it names."""
    for model, column in ((User, User.display_name), (Organisation, Organisation.name),
                          (Cohort, Cohort.name), (Programme, Programme.name)):
        db.session.execute(sa.update(model).values({column: column + " " + PAYLOAD}))
    db.session.commit()


def links(html: str) -> set[str]:
    """The site's own pages a page links to."""
    found = set()
    for href in re.findall(r'href="([^"#]+)"', html):
        path = urlsplit(href.replace("&amp;", "&")).path
        if path.startswith("/") and not path.startswith(NOT_PAGES) and "." not in path[-5:]:
            found.add(path)
    return found


def crawl(browser, limit: int = 60) -> dict[str, str]:
    """Every page reachable from the home page (up to ``limit``), by path."""
    pages: dict[str, str] = {}
    queue = ["/"]
    while queue and len(pages) < limit:
        path = queue.pop(0)
        if path in pages:
            continue
        response = browser.get(path, follow_redirects=True)
        pages[path] = response.text
        queue.extend(sorted(links(response.text) - pages.keys()))
    return pages


@pytest.mark.slow  # every page of every role (about 3 s)
def test_script_in_any_name_or_reflection_is_shown_as_text_on_every_page(browse, cohorts):
    saved = browse(cohorts.emails["participant"]).post(
        "/modules/induction/your-starting-point",
        {"your-starting-point-note": PAYLOAD, "your-starting-point-done": "y"})
    assert saved.status_code == 302
    poison_every_name()
    shown = 0
    for role in ("participant", "tutor", "sponsor", "admin"):
        pages = crawl(browse(cohorts.emails[role]))
        assert len(pages) >= 2, f"{role} reached only {list(pages)}"
        for path, html in pages.items():
            for raw in RAW:
                assert raw not in html, f"{role} at {path}: {raw!r} as markup"
            shown += html.count(ESCAPED)
    assert shown > 0, "no page showed a name"  # the names are on the pages, as text
