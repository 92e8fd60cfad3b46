"""One error shape under /api/, HTML pages elsewhere, and no stack trace anywhere."""

import pytest
import sqlalchemy as sa

from lms import create_app
from lms.core.extensions import db
from lms.framework.models import LeadershipLevel
from tests.fixtures import app_settings


@pytest.mark.parametrize("path", ["/api/v1/nothing-here", "/api/v2/framework", "/api"])
def test_unknown_api_routes_are_json_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.mimetype == "application/json"
    assert response.get_json()["code"] == 404


def test_wrong_method_is_json_405_with_allow(client):
    response = client.post("/api/v1/framework", json={})
    assert response.status_code == 405
    assert response.get_json()["status"] == "Method Not Allowed"
    assert "GET" in response.headers["Allow"]


def test_pages_get_html_error_pages(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "<h1>Page not found</h1>" in page and "check it is correct" in page
    assert "requested URL" not in page and "the server" not in page  # Werkzeug's words


@pytest.fixture
def failing_app(app):
    """An app of its own (routes cannot be added to one that has served requests) with two
    routes that fail after writing to the session."""
    app = create_app(app_settings(app.config["SQLALCHEMY_DATABASE_URI"]))

    def write_then_fail():
        db.session.add(LeadershipLevel(code="half_written", title="Half", position=9))
        db.session.flush()
        raise RuntimeError("secret internals: SELECT * FROM users")

    app.add_url_rule("/api/v1/test-failure", "api_failure", write_then_fail)
    app.add_url_rule("/test-failure", "page_failure", write_then_fail)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize(
    ("path", "mimetype"),
    [("/api/v1/test-failure", "application/json"), ("/test-failure", "text/html")],
)
def test_unexpected_errors_are_500_without_internals_and_roll_back(failing_app, path, mimetype):
    response = failing_app.test_client().get(path)
    assert response.status_code == 500
    assert response.mimetype == mimetype
    text = response.get_data(as_text=True)
    assert "secret internals" not in text
    assert "Traceback" not in text
    if mimetype == "application/json":
        assert response.get_json()["status"] == "Internal Server Error"
    else:
        assert "<h1>Sorry, there is a problem with the service</h1>" in text
        assert "has not been saved" in text
    with failing_app.app_context():
        stored = db.session.scalar(sa.select(LeadershipLevel).filter_by(code="half_written"))
        assert stored is None
