"""The framework's read API: shapes, filters, errors and a fixed number of queries."""

import re

import pytest
import sqlalchemy as sa

from lms import create_app
from lms.core.extensions import db
from lms.framework.models import Behaviour
from tests.fixtures import count_queries


def test_framework_before_seeding_is_a_404_that_says_what_to_do(client):
    response = client.get("/api/v1/framework")
    assert response.status_code == 404
    body = response.get_json()
    assert body["code"] == 404 and body["status"] == "Not Found"
    assert "flask lms seed" in body["message"]


def test_framework_is_served_whole_and_nested(seeded, client):
    body = client.get("/api/v1/framework").get_json()
    assert body["slug"] == "lehc"
    assert body["version"] == "July 2012"
    assert [t["code"] for t in body["themes"]] == ["SI", "FC", "DT", "FO"]
    assert sum(len(t["behaviours"]) for t in body["themes"]) == 37
    assert [level["code"] for level in body["leadership_levels"]] == [
        "front_line",
        "manager",
        "senior_leader",
    ]
    assert {fw["code"] for fw in body["external_frameworks"]} == {"hay-ccg", "nhs-lf", "lqf"}
    dt = body["themes"][2]
    assert dt["tagline"] == "Changing the system"
    assert dt["behaviours"][7]["code"] == "DT.8"
    assert dt["behaviours"][7]["applies_to"] == "commissioning"
    lqf = [link for link in dt["links"] if link["framework"] == "lqf"]
    assert lqf == [
        {
            "framework": "lqf",
            "framework_title": "Leadership Qualities Framework for social care",
            "heading": "Creating the vision",
            "indicators": [
                "Is prepared to actively lead the cultural change needed to support "
                "co-production with people who use services, carers, families and the wider "
                "public.",
                "Putting people's lives at the centre of strategic planning and development.",
            ],
        }
    ]


def test_framework_takes_a_fixed_number_of_queries(seeded, client):
    with seeded.app_context():
        engine = db.engine
    with count_queries(engine) as queries:
        first = client.get("/api/v1/framework")
    assert first.status_code == 200
    # The data version, then one per level of nesting, never one per theme, behaviour or
    # link (that would be ~100).
    assert queries.count <= 9, queries.statements
    with count_queries(engine) as queries:
        again = client.get("/api/v1/framework")
    # Kept under the data version: only the version is read.
    reads = [s for s in queries.statements if s != "BEGIN"]  # SQLite's own BEGIN
    assert again.get_json() == first.get_json() and len(reads) == 1, reads
    with count_queries(engine) as queries:
        same = client.get("/api/v1/framework", headers={"If-None-Match": first.headers["ETag"]})
    assert same.status_code == 304
    assert len([s for s in queries.statements if s != "BEGIN"]) == 1


def test_each_process_keeps_the_framework_for_a_moment(seeded, client):
    seeded.config["LMS_LOCAL_CACHE_SECONDS"] = 60
    with seeded.app_context():
        engine = db.engine
    first = client.get("/api/v1/framework")
    with count_queries(engine) as queries:
        again = client.get("/api/v1/framework")
    assert again.get_json() == first.get_json()
    assert [s for s in queries.statements if s != "BEGIN"] == []  # from memory
    with seeded.app_context():
        db.session.scalar(sa.select(Behaviour).filter_by(code="SI.1")).statement = "New."
        db.session.commit()
    assert client.get("/api/v1/framework").get_json() == first.get_json()  # within the window
    seeded.extensions["lms.framework"]["at"] -= 60  # the window has passed
    changed = client.get("/api/v1/framework")
    assert changed.headers["ETag"] != first.headers["ETag"]
    assert "New." in [b["statement"] for t in changed.get_json()["themes"]
                      for b in t["behaviours"]]


def test_the_framework_document_is_not_throttled(seeded):
    from tests.fixtures import app_settings

    app = create_app(app_settings(seeded.config["SQLALCHEMY_DATABASE_URI"],
                                  LMS_RATE_LIMIT="3 per minute"))
    client = app.test_client()
    try:
        assert [client.get("/api/v1/framework").status_code for _ in range(5)] == [200] * 5
        assert client.get("/api/v1/themes").status_code == 200
        assert [client.get("/api/v1/themes").status_code for _ in range(3)][-1] == 429
    finally:
        with app.app_context():
            db.engine.dispose()  # its own pool: closed here, not by the garbage collector


def test_a_changed_framework_is_served_at_once(seeded, client):
    first = client.get("/api/v1/framework")
    with seeded.app_context():
        behaviour = db.session.scalar(sa.select(Behaviour).filter_by(code="SI.1"))
        behaviour.statement = "A statement changed by a new seed."
        db.session.commit()
    changed = client.get("/api/v1/framework", headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and changed.headers["ETag"] != first.headers["ETag"]
    statements = [b["statement"] for t in changed.get_json()["themes"] for b in t["behaviours"]]
    assert "A statement changed by a new seed." in statements


def test_themes_list_and_detail(seeded, client):
    themes = client.get("/api/v1/themes").get_json()
    assert [(t["code"], len(t["behaviours"])) for t in themes] == [
        ("SI", 7),
        ("FC", 12),
        ("DT", 11),
        ("FO", 7),
    ]
    fo = client.get("/api/v1/themes/FO").get_json()
    assert fo["title"] == "Flexibility and openness"
    assert fo["behaviours"][4]["statement"] == "Prepared to take calculated risks."
    assert client.get("/api/v1/themes/fo").get_json()["code"] == "FO"


@pytest.mark.parametrize("path", ["/api/v1/themes/XX", "/api/v1/behaviours/SI.99"])
def test_unknown_codes_are_404_in_the_error_shape(seeded, client, path):
    response = client.get(path)
    assert response.status_code == 404
    body = response.get_json()
    assert set(body) == {"code", "status", "message"}
    assert body["code"] == 404


@pytest.mark.parametrize(
    ("query", "count", "included", "excluded"),
    [
        ("", 37, {"DT.8", "DT.9"}, set()),
        ("?theme=DT", 11, {"DT.1", "DT.11"}, {"SI.1"}),
        ("?theme=dt", 11, {"DT.1"}, set()),
        ("?applies_to=providing", 36, {"DT.9", "SI.1"}, {"DT.8"}),
        ("?applies_to=commissioning", 36, {"DT.8"}, {"DT.9"}),
        ("?applies_to=all", 35, {"FO.7"}, {"DT.8", "DT.9"}),
        ("?theme=DT&applies_to=providing", 10, {"DT.9", "DT.10"}, {"DT.8"}),
    ],
)
def test_behaviours_filters(seeded, client, query, count, included, excluded):
    response = client.get(f"/api/v1/behaviours{query}")
    assert response.status_code == 200
    codes = [b["code"] for b in response.get_json()]
    assert len(codes) == count
    assert included <= set(codes)
    assert not excluded & set(codes)


def test_behaviours_come_in_framework_order(seeded, client):
    codes = [b["code"] for b in client.get("/api/v1/behaviours").get_json()]
    assert codes[:8] == ["SI.1", "SI.2", "SI.3", "SI.4", "SI.5", "SI.6", "SI.7", "FC.1"]
    assert codes[-1] == "FO.7"


def test_one_behaviour(seeded, client):
    body = client.get("/api/v1/behaviours/dt.9").get_json()
    assert body["code"] == "DT.9"
    assert body["theme"] == "DT"
    assert body["applies_to"] == "providing"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?applies_to=everyone", "applies_to"),
        ("?theme=DT&bogus=1", "bogus"),
    ],
)
def test_bad_filters_are_422_naming_the_field(seeded, client, query, field):
    response = client.get(f"/api/v1/behaviours{query}")
    assert response.status_code == 422
    body = response.get_json()
    assert body["status"] == "Unprocessable Entity"
    assert field in body["errors"]["query"]


def test_an_unknown_theme_in_the_filter_is_404_naming_the_themes(seeded, client):
    # A well-formed filter naming a theme that does not exist: not found, as /themes/ZZ is.
    response = client.get("/api/v1/behaviours?theme=ZZ")
    assert response.status_code == 404
    assert "SI, FC, DT, FO" in response.get_json()["errors"]["query"]["theme"][0]


def test_openapi_document_describes_every_framework_route(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    for path in [
        "/api/v1/framework",
        "/api/v1/themes",
        "/api/v1/themes/{code}",
        "/api/v1/behaviours",
        "/api/v1/behaviours/{code}",
    ]:
        assert "get" in spec["paths"][path], path
    assert "404" in spec["paths"]["/api/v1/themes/{code}"]["get"]["responses"]
    assert "422" in spec["paths"]["/api/v1/behaviours"]["get"]["responses"]
    error = spec["components"]["schemas"]["Error"]["properties"]
    assert {"code", "status", "message", "errors"} <= set(error)


def test_docs_page_lists_every_operation(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    for path in ["/api/v1/framework", "/api/v1/themes/{code}", "/api/v1/behaviours"]:
        assert f"<code>{path}</code>" in page
    # Shared responses are resolved: their meaning and body show, not a reference.
    assert "#/components/responses" not in page
    assert re.search(r"<td>404</td><td>[^<]+</td>\s*<td><a href=\"#schema-Error\">Error</a>",
                     page)
    # A contents list by tag, each linking its section, and each operation its own anchor.
    contents = page.split('aria-label="Contents of the API reference"')[1].split("</nav>")[0]
    tags = re.findall(r'<h2 id="(tag-[^"]+)"', page)
    assert tags and re.findall(r'href="#(tag-[^"]+)"', contents) == tags
    assert 'id="get-api-v1-themes-code"' in page and 'href="#get-api-v1-themes-code"' in page
    # Rendered on the server; the only script is the page's own, from this site.
    assert re.findall(r'<script[^>]* src="([^"]+)"', page) == ["/static/lms.js"]
    assert "https://" not in " ".join(re.findall(r'(?:src|href)="([^"]+)"', page))
