"""The audit log: administrators read it through the API and the admin page, which ask the
one query in lms/audit/service.py and so list the same events."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from lms.audit.service import record
from lms.core.extensions import db
from tests import builders as b


@dataclass
class Log:
    """Who acted, and the admin's credentials."""

    admin_email: str
    admin_headers: dict[str, str]
    pat_email: str
    other_headers: dict[str, dict[str, str]]


@pytest.fixture
def log(app) -> Log:
    """Five events by Pat, the administrator and the command line, in a known order."""
    admin = b.make_user("admin", email="admin@example.org", password=b.PASSWORD)
    pat = b.make_user("participant", email="pat.jones@example.org")
    others = {role: b.make_user(role) for role in ("participant", "tutor", "sponsor")}
    record("module.completed", actor=pat, module="listening")
    record("user.updated", pat, actor=admin, field="display_name")
    record("module.completed", actor=pat, module="coaching")
    record("framework.seeded", actor_label="command line")
    record("module.completed", actor=admin, module="listening")
    log = Log(admin.email, b.bearer(admin), pat.email,
              {role: b.bearer(user) for role, user in others.items()})
    db.session.commit()
    return log


def api_events(client, log: Log, **query) -> list[dict]:
    """The API's events for ``query``, all on one page."""
    response = client.get("/api/v1/audit", query_string={"per_page": 100, **query},
                          headers=log.admin_headers)
    assert response.status_code == 200, response.json
    return response.json["items"]


def test_the_api_filters_by_action_newest_first(client, log):
    events = api_events(client, log, action="module.completed")
    assert [(e["actor"], e["details"]["module"]) for e in events] == [
        ("admin@example.org", "listening"),
        ("pat.jones@example.org", "coaching"),
        ("pat.jones@example.org", "listening"),
    ]
    assert [e["id"] for e in events] == sorted((e["id"] for e in events), reverse=True)


def test_the_api_filters_by_actor_whatever_the_case_of_the_address(client, log):
    events = api_events(client, log, actor="  Pat.Jones@EXAMPLE.org ")
    assert [e["details"]["module"] for e in events] == ["coaching", "listening"]
    both = api_events(client, log, actor=log.admin_email, action="user.updated")
    assert [(e["target_type"], e["details"]) for e in both] == [
        ("user_account", {"field": "display_name"})]


def test_an_unknown_action_lists_nothing(client, log):
    assert api_events(client, log, action="no.such.action") == []


@pytest.mark.parametrize("query, field", [
    ({"action": "x" * 65}, "action"),
    ({"per_page": 0}, "per_page"),
    ({"page": "first"}, "page"),
])
def test_a_bad_filter_is_refused_naming_the_field(client, log, query, field):
    response = client.get("/api/v1/audit", query_string=query, headers=log.admin_headers)
    assert response.status_code == 422
    assert field in str(response.json)


@pytest.mark.parametrize("role", ["participant", "tutor", "sponsor"])
def test_only_administrators_read_the_log(client, log, role):
    assert client.get("/api/v1/audit", headers=log.other_headers[role]).status_code == 403
    assert client.get("/api/v1/audit").status_code == 401


def page_rows(client, **query) -> list[tuple[str, str]]:
    """(who, action) of each row of the admin page's table for ``query``."""
    html = client.get("/admin/audit", query_string=query).text
    body = html.split('<tbody class="nhsuk-table__body">', 1)[1].split("</tbody>", 1)[0]
    rows = re.findall(r'<tr class="nhsuk-table__row">(.*?)</tr>', body, re.S)
    cells = [re.findall(r'<td class="nhsuk-table__cell">(.*?)</td>', row, re.S) for row in rows]
    return [(cell[1].strip(), re.sub(r"</?code>", "", cell[2]).strip()) for cell in cells]


@pytest.mark.parametrize("query", [
    {"action": "module.completed"},
    {"actor": "PAT.JONES@example.org"},
    {"action": "module.completed", "actor": "admin@example.org"},
    {"action": "user.updated"},
])
def test_the_admin_page_lists_what_the_api_lists(client, log, query):
    assert b.sign_in(client, log.admin_email).status_code == 302
    from_api = [(e["actor"], e["action"]) for e in api_events(client, log, **query)]
    assert from_api, "the query should find events"
    assert page_rows(client, **query) == from_api


def test_the_admin_page_keeps_the_filters_in_its_form(client, log):
    b.sign_in(client, log.admin_email)
    html = client.get("/admin/audit", query_string={"action": "module.completed",
                                                    "actor": "pat.jones@example.org"}).text
    assert 'value="module.completed"' in html
    assert 'value="pat.jones@example.org"' in html
    assert "2 events, newest first" in html


def test_the_admin_page_is_for_administrators_only(client, log):
    participant = b.make_user("participant", password=b.PASSWORD)
    db.session.commit()
    b.sign_in(client, participant.email)
    assert client.get("/admin/audit").status_code == 403
