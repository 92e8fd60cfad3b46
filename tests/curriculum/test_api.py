"""Modules, coverage and cohort curricula over the API; safe rendering of every text."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from lms.core.extensions import db
from lms.curriculum.rendering import render_markdown, render_plain_text
from tests import builders as b


def test_modules_in_order_with_their_behaviours(client, curriculum):
    modules = client.get("/api/v1/modules").get_json()
    assert [m["slug"] for m in modules][:2] == ["induction", "strategic-intent"]
    si = modules[1]
    assert si["theme"] == "SI" and si["behaviours"][0] == "SI.1"
    assert si["activity_count"] == 5


def test_a_module_has_source_and_rendered_text(client, curriculum):
    module = client.get("/api/v1/modules/induction").get_json()
    assert module["introduction"].startswith("This first module")
    assert module["introduction_html"].startswith("<p>This first module")
    first = module["activities"][0]
    assert "**Distributed leadership.**" in first["text"]
    assert "<strong>Distributed leadership.</strong>" in first["text_html"]
    assert client.get("/api/v1/modules/nope").status_code == 404


def test_coverage_names_the_modules_of_each_behaviour(client, curriculum):
    body = client.get("/api/v1/framework/coverage").get_json()
    assert len(body["behaviours"]) == 37
    assert body["uncovered"] == []
    si1 = next(row for row in body["behaviours"] if row["behaviour"] == "SI.1")
    assert si1["modules"] == ["induction", "strategic-intent"]


def test_coverage_reports_behaviours_no_module_develops(client, seeded):
    body = client.get("/api/v1/framework/coverage").get_json()
    assert len(body["uncovered"]) == 37  # no modules loaded


@pytest.fixture
def admin_and_cohort(curriculum):
    cohort = b.make_cohort()
    tutor = b.make_user("tutor")
    b.enrol(tutor, cohort)
    headers = {"admin": b.bearer(b.make_user("admin")), "tutor": b.bearer(tutor)}
    db.session.commit()
    return cohort, headers


def test_setting_a_cohorts_curriculum(client, admin_and_cohort):
    cohort, headers = admin_and_cohort
    path = f"/api/v1/cohorts/{cohort.id}/modules"
    default = client.get(path, headers=headers["tutor"]).get_json()
    assert len(default) == 6  # every module until one is chosen
    body = {"modules": [{"slug": "induction"},
                        {"slug": "driving-transformation", "opens_on": "2026-12-01"}]}
    response = client.put(path, json=body, headers=headers["admin"])
    assert response.status_code == 200
    assert [(m["slug"], m["opens_on"]) for m in response.get_json()] == [
        ("induction", None), ("driving-transformation", "2026-12-01")]
    assert client.put(path, json=body, headers=headers["tutor"]).status_code == 403


@pytest.mark.parametrize(("modules", "message"), [
    ([{"slug": "nope"}], "Unknown"),
    ([{"slug": "induction"}, {"slug": "induction"}], "twice"),
    ([{"slug": "induction", "opens_on": "2099-01-01"}], "after the cohort ends"),
    ([], None),
])
def test_bad_curricula_are_422(client, admin_and_cohort, modules, message):
    cohort, headers = admin_and_cohort
    response = client.put(f"/api/v1/cohorts/{cohort.id}/modules", json={"modules": modules},
                          headers=headers["admin"])
    assert response.status_code == 422
    if message:
        assert message in response.get_json()["message"]


HOSTILE = [
    "<script>alert('x')</script>",
    "[click me](javascript:alert(1))",
    "<img src=x onerror=alert(1)>",
    "<a href=\"javascript:alert(1)\">raw link</a>",
    "[data](data:text/html;base64,PHNjcmlwdD4=)",
    "<iframe src=https://evil.example></iframe>",
]


class ActiveParts(HTMLParser):
    """Collects everything in HTML that could run or load something."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "img", "iframe", "object", "embed", "style", "form"):
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"{tag}[{name}]")
            if name in ("href", "src") and (value or "").strip().lower().startswith(
                    ("javascript:", "data:", "vbscript:")):
                self.found.append(f"{tag}[{name}={value}]")


def active_parts(html: str) -> list[str]:
    parser = ActiveParts()
    parser.feed(html)
    return parser.found


@pytest.mark.parametrize("text", HOSTILE)
def test_markdown_never_yields_script_or_dangerous_links(text):
    assert active_parts(render_markdown(text)) == []


def test_markdown_keeps_ordinary_formatting_and_safe_links():
    html = render_markdown("**bold** and [a link](https://example.org)")
    assert "<strong>bold</strong>" in html
    assert '<a href="https://example.org" rel="noopener noreferrer">a link</a>' in html


@pytest.mark.parametrize("text", HOSTILE)
def test_reflections_are_always_escaped(text):
    html = str(render_plain_text(text + "\nsecond line"))
    assert active_parts(html) == []
    assert "<a" not in html  # not even a harmless link: a reflection is plain text
    assert html.endswith("<br>\nsecond line")


def test_a_module_file_with_script_is_stored_safe(client, curriculum):
    from lms.curriculum.seed import sync_modules

    hostile = {"slug": "hostile", "title": "T", "theme": None, "position": 99,
               "summary": "S", "behaviours": [], "hours": 1, "file": "x.md",
               "introduction": "<script>alert(1)</script> [x](javascript:alert(1))",
               "activities": [{"key": "a", "kind": "read", "title": "A", "required": True,
                               "text": "<b onclick=alert(1)>hi</b>"}]}
    sync_modules([hostile])
    db.session.commit()
    module = client.get("/api/v1/modules/hostile").get_json()
    assert active_parts(module["introduction_html"]) == []
    assert active_parts(module["activities"][0]["text_html"]) == []
    assert "&lt;script&gt;" in module["introduction_html"]  # shown as text, not run
