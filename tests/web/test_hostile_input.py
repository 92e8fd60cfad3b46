"""Hostile and malformed bodies: each answered 4xx with a message a person can act on, and
nothing stored."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from lms.accounts.models import User
from lms.cohorts.models import Cohort
from lms.core.extensions import db
from tests import builders as b

JSON = {"Content-Type": "application/json"}
BODIES = {
    "oversized": (b'{"name":"' + b"x" * (9 * 1024 * 1024) + b'"}', 413, "too large"),
    "not JSON": (b"{name: 1", 400, "not valid JSON"),
    "invalid UTF-8": (b'{"name":"\xff\xfe"}', 400, "not valid JSON"),
    "nested 100,000 deep": (b"[" * 100_000 + b"]" * 100_000, 400, "nested too deeply"),
    "objects nested deep": (b'{"a":' * 50_000 + b"1" + b"}" * 50_000, 400,
                            "nested too deeply"),
    "an integer of 5,000 digits": (b'{"programme_id":' + b"9" * 5000 + b"}", 400,
                                   "cannot be read"),
    "a list, not an object": (b"[1, 2]", 422, "invalid"),
    "NUL in a string": (json.dumps({"name": "a\x00b", "starts_on": "2026-01-01",
                                    "ends_on": "2026-06-01"}).encode(), 422, "invalid"),
    "an integer beyond any id": (json.dumps({"name": "n", "starts_on": "2026-01-01",
                                             "ends_on": "2026-06-01",
                                             "programme_id": 10**400}).encode(), 422,
                                 "invalid"),
}


@pytest.fixture
def admin(seeded):
    """An administrator's token headers, and a programme to add cohorts to."""
    b.make_programme(slug="lehc")
    headers = b.bearer(b.make_user("admin"))
    db.session.commit()
    return headers


def count(model) -> int:
    """Rows of ``model`` now."""
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.mark.parametrize("name", BODIES)
@pytest.mark.parametrize("path, model", [("/api/v1/cohorts", Cohort),
                                         ("/api/v1/users", User)])
def test_hostile_bodies_are_refused_and_nothing_is_stored(client, admin, name, path, model):
    body, status, words = BODIES[name]
    before = count(model)
    response = client.post(path, data=body, headers={**admin, **JSON})
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    answer = response.get_json()
    assert answer["code"] == status and words.lower() in answer["message"].lower()
    assert "Traceback" not in response.get_data(as_text=True)
    assert count(model) == before


def test_a_body_that_is_not_said_to_be_json_is_refused(client, admin):
    response = client.post("/api/v1/cohorts", data=b'{"name": "x"}',
                           headers={**admin, "Content-Type": "text/plain"})
    assert response.status_code == 422 and count(Cohort) == 0


@pytest.mark.parametrize("document, message", [
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ('{"n": ' + "9" * 5000 + "}", "cannot be read"),
])
def test_files_that_cannot_be_read_are_refused_by_the_commands(seeded, tmp_path, document,
                                                                message):
    runner = seeded.test_cli_runner()
    path = tmp_path / "hostile.json"
    path.write_text(document)
    for command in (["lms", "import-framework", str(path)], ["lms", "import", str(path)]):
        result = runner.invoke(args=command)
        assert result.exit_code != 0, command
        assert "Traceback" not in result.output
        assert ("nested too deeply" in result.output or message in result.output
                or "not a JSON backup" in result.output), (command, result.output)


def arabic_indic(number: int) -> str:
    """``number`` in Arabic-Indic digits, which Python's int() reads as the same number."""
    return "".join(chr(0x0660 + int(digit)) for digit in str(number))


@pytest.mark.parametrize("path, status", [
    ("/api/v1/cohorts/{id}/sponsors", 404),
    ("/api/v1/cohorts/{id}", 404),
    ("/api/v1/users?page={id}", 422),
    ("/api/v1/programmes/{programme}/outcomes?cohorts={id}", 422),
])
def test_ids_and_numbers_are_ascii_digits_only(client, admin, path, status):
    # Found by Schemathesis: werkzeug's \d+ and Python's int() take any script's digits, so
    # /cohorts/𑜴 was cohort 4, against the document's integer.
    cohort = b.make_cohort()
    db.session.commit()
    assert client.get(f"/api/v1/cohorts/{cohort.id}", headers=admin).status_code == 200
    url = path.format(id=arabic_indic(cohort.id), programme=cohort.programme_id)
    assert client.get(url, headers=admin).status_code == status


ROSTER_HEADER = b"email,name,organisation,organisation_type,sector,leadership_level,role\n"
GOOD_ROW = b"new.person@example.org,New Person,Northshire Council,local_authority," \
           b"commissioning,manager,participant\n"
RATINGS_HEADER = b"email,phase,behaviour,value\n"
HOSTILE_CSV = {
    "invalid UTF-8": (b"\xff\xfe,broken\n", "not UTF-8"),
    "a NUL byte": (b"a\x00b,c\n", "NUL"),
    "a formula in a name": (b'x.y@example.org,"=HYPERLINK(""http://evil.example"",""x"")",'
                            b"Northshire Council,local_authority,commissioning,manager,"
                            b"participant\n", "formula"),
    "a formula in an organisation": (b"x.y@example.org,X Y,+cmd|' /C calc'!A0,local_authority,"
                                     b"commissioning,manager,participant\n", "formula"),
    "an @ formula": (b"x.y@example.org,@SUM(1+1)*cmd,Northshire Council,local_authority,"
                     b"commissioning,manager,participant\n", "formula"),
    "a - formula": (b"x.y@example.org,-2+3+cmd,Northshire Council,local_authority,"
                    b"commissioning,manager,participant\n", "formula"),
}


@pytest.mark.parametrize("name", HOSTILE_CSV)
def test_hostile_roster_files_are_refused_whole_and_nothing_is_stored(client, admin, name):
    # The good row comes first: refusing the file must not keep it.
    cohort = b.make_cohort()
    db.session.commit()
    hostile, words = HOSTILE_CSV[name]
    before = count(User)
    response = client.post(f"/api/v1/cohorts/{cohort.id}/roster",
                           data=ROSTER_HEADER + GOOD_ROW + hostile,
                           content_type="text/csv", headers=admin)
    assert response.status_code == 422
    assert words.lower() in response.get_data(as_text=True).lower()
    assert count(User) == before


@pytest.mark.parametrize("cells", [
    b"=1+1,pre,SI.1,3", b"x@example.org,=pre,SI.1,3", b"x@example.org,pre,=SI.1,3",
    b"x@example.org,pre,SI.1,+3", b"x@example.org,pre,SI.1,=3", b"x@example.org,pre,SI.1,-3",
    b"x@example.org,pre,SI.1,3\x00", b"x@example.org,pre,SI.1,\xff",
])
def test_hostile_ratings_files_are_refused_and_nothing_is_stored(client, admin, cells):
    from lms.ratings.models import Rating

    cohort = b.make_cohort()
    b.enrol(b.make_user("participant", email="x@example.org"), cohort)
    db.session.commit()
    response = client.post(f"/api/v1/cohorts/{cohort.id}/ratings/import",
                           data=RATINGS_HEADER + b"x@example.org,pre,SI.2,3\n" + cells + b"\n",
                           content_type="text/csv", headers=admin)
    assert response.status_code == 422, response.get_data(as_text=True)
    assert count(Rating) == 0


@pytest.mark.parametrize("path", [
    "/static/../lms/app.py", "/static/%2e%2e/lms/app.py", "/static/..%2flms%2fapp.py",
    "/api/v1/modules/..%2f..%2fpyproject.toml", "/api/v1/framework/export/..%2fcase",
    "/api/v1/cohorts/1/charts/..%2f..%2fwsgi.png", "/modules/..%2f..%2fwsgi.py",
])
def test_path_tricks_in_urls_reach_no_file(client, admin, path):
    response = client.get(path, headers=admin)
    assert response.status_code in (400, 404), path
    body = response.get_data(as_text=True)
    assert "import" not in body and "[project]" not in body
    response.close()


@pytest.mark.parametrize("args, words", [
    (["lms", "import", "/etc/passwd"], "not a json backup"),
    (["lms", "import-framework", "/etc"], "is a directory"),
    (["lms", "export", "--out", "/nonexistent-directory/backup.json"], "cannot write"),
])
def test_path_tricks_in_file_options_are_refused_with_a_reason(seeded, args, words):
    result = seeded.test_cli_runner().invoke(args=args)
    assert result.exit_code != 0
    assert words in result.output.lower()
    assert "Traceback" not in result.output
