"""xAPI statements: their shape (xAPI 1.0.3, checked by ralph's models), what they record, who
may read them, and pushing them to a Learning Record Store again and again."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from lms.accounts.models import User
from lms.cohorts.models import Cohort
from lms.core.extensions import db
from lms.curriculum.models import Activity, Module
from lms.curriculum.service import record_activity
from lms.interop import lrs
from lms.interop.models import XapiDelivery
from tests import builders as b
from tests.interop.lrs_server import ConflictEnforcingLRS, problems

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
REFLECTION = "What I noticed about the week."


def is_iri(value: str) -> bool:
    parts = urlsplit(value)
    return bool(parts.scheme and parts.netloc)


def check_statement(entry: dict) -> None:
    """The rules of xAPI 1.0.3 (Data, section 2.4) these statements rely on."""
    assert UUID.match(entry["id"])
    actor = entry["actor"]
    ifis = [key for key in ("mbox", "mbox_sha1sum", "openid", "account") if key in actor]
    assert ifis == ["account"] and actor["objectType"] == "Agent"
    assert is_iri(actor["account"]["homePage"]) and actor["account"]["name"]
    assert is_iri(entry["verb"]["id"]) and entry["verb"]["display"]
    obj = entry["object"]
    if obj["objectType"] == "Agent":  # 360 feedback: the participant is the object
        assert list(obj) == ["objectType", "account"] and is_iri(obj["account"]["homePage"])
    else:
        assert obj["objectType"] == "Activity" and is_iri(obj["id"])
        assert is_iri(obj["definition"]["type"])
    assert dt.datetime.fromisoformat(entry["timestamp"].replace("Z", "+00:00")).tzinfo
    context = entry["context"]
    assert UUID.match(context["registration"])
    assert all(is_iri(a["id"]) for a in context["contextActivities"]["grouping"])
    assert all(is_iri(key) for key in context.get("extensions", {}))
    parents = context["contextActivities"]["parent"]
    assert [a["definition"]["type"] for a in parents] == [
        "http://adlnet.gov/expapi/activities/course"]  # the cohort, where Aspects looks
    assert parents[0]["id"].rsplit("/", 2)[-2] == "cohort"
    assert context["contextActivities"]["grouping"][0]["id"].rsplit("/", 2)[-2] == "programme"
    score = entry.get("result", {}).get("score")
    if score:
        assert score["min"] <= score["raw"] <= score["max"]
        assert score["scaled"] == (score["raw"] - score["min"]) / (score["max"] - score["min"])
    # xAPI Data 2.4.10: a provider should not set the version (and if it does, 1.0.0).
    assert "version" not in entry
    assert problems(entry) is None  # ralph's models take it


@pytest.fixture
def cohort_work(curriculum):
    """A participant who did two induction activities (one with a reflection) and
    submitted their pre self-assessment (one answer "not applicable")."""
    cohort = b.make_cohort(starts_on=dt.date.today() - dt.timedelta(days=30))
    person = b.make_user("participant", email="kim@example.org")
    b.enrol(person, cohort)
    tutor, other_tutor = b.make_user("tutor"), b.make_user("tutor")
    b.enrol(tutor, cohort)
    b.enrol(other_tutor, b.make_cohort())
    record_activity(person, "induction", "three-ideas", {"done": True})
    record_activity(person, "induction", "your-starting-point",
                    {"done": True, "reflection": REFLECTION})
    b.assess(person, cohort, "pre", values={"SI.1": 4, "SI.2": None})
    headers = {"tutor": b.bearer(tutor), "other": b.bearer(other_tutor),
               "participant": b.bearer(person)}
    db.session.commit()
    return {"cohort": cohort.id, "headers": headers, "person": person.id}


def statements(client, work, who="tutor") -> list[dict]:
    response = client.get(f"/api/v1/cohorts/{work['cohort']}/xapi", headers=work["headers"][who])
    assert response.status_code == 200 and response.mimetype == "application/x-ndjson"
    return [json.loads(line) for line in response.get_data(as_text=True).splitlines()]


def test_statements_stream_over_a_real_server(client, cohort_work, served):
    # Streamed after the view has returned and its session has ended (a test client inside
    # the test's own context would hide that).
    url = f"{served}/api/v1/cohorts/{cohort_work['cohort']}/xapi"
    request = urllib.request.Request(url, headers=cohort_work["headers"]["tutor"])  # noqa: S310
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - our server
        lines = response.read().decode().splitlines()
    db.session.rollback()  # the test's session began before the server wrote (SQLite WAL)
    assert [json.loads(line) for line in lines] == statements(client, cohort_work)


def test_statements_are_valid_xapi_and_record_the_work(client, cohort_work):
    found = statements(client, cohort_work)
    for entry in found:
        check_statement(entry)
    verbs = [entry["verb"]["id"].rsplit("/", 1)[1] for entry in found]
    assert verbs.count("completed") == 2  # two activities; the induction has four required
    assert verbs.count("responded") == 1
    # Two of the induction's four required activities, so two steps of its progress.
    progress = [e["result"]["extensions"]["https://w3id.org/xapi/cmi5/result/extensions/progress"]
                for e in found if e["verb"]["id"].endswith("/progressed")]
    assert progress == [25, 50]
    assert verbs.count("answered") == 36  # a providing organisation's behaviours
    answers = {e["object"]["id"].rsplit("/", 1)[1]: e["result"] for e in found
               if e["verb"]["id"].endswith("answered")}
    assert answers["SI.1"]["score"] == {"scaled": 0.75, "raw": 4, "min": 1, "max": 5}
    assert answers["SI.2"] == {"response": "not applicable"}
    phases = {e["context"]["extensions"]["http://127.0.0.1:5000/xapi/extensions/phase"]
              for e in found if e["verb"]["id"].endswith("answered")}
    assert phases == {"pre"}
    assert {e["actor"]["account"]["name"] for e in found} == {str(cohort_work["person"])}
    body = json.dumps(found)
    assert "kim@example.org" not in body and REFLECTION not in body
    assert len({e["id"] for e in found}) == len(found)
    assert statements(client, cohort_work) == found  # the same ids every time


def test_a_module_is_completed_when_its_required_activities_are(client, cohort_work):
    person = db.session.get(User, cohort_work["person"])
    required = db.session.execute(sa.select(Activity.key, Activity.kind).join(Module).where(
        Module.slug == "induction", Activity.required.is_(True))).all()
    for key, kind in required:
        notes = {"reflect": {"reflection": "r"}, "practise": {"evidence": "e"}}.get(kind, {})
        record_activity(person, "induction", key, {"done": True, **notes})
    db.session.commit()
    found = statements(client, cohort_work)
    modules = [e for e in found if e["object"]["definition"]["type"].endswith("/module")]
    assert {m["object"]["id"].rsplit("/", 1)[1] for m in modules} == {"induction"}
    verbs = [m["verb"]["id"].rsplit("/", 1)[1] for m in modules]
    assert verbs == ["progressed"] * len(required) + ["completed"]
    last_step = modules[-2]["result"]
    assert last_step["completion"] is True
    assert last_step["extensions"]["https://w3id.org/xapi/cmi5/result/extensions/progress"] == 100
    assert modules[-1]["timestamp"] == modules[-2]["timestamp"]  # completed at the last step


def test_the_text_of_reflections_is_sent_only_when_configured(client, cohort_work, app):
    app.config["LMS_XAPI_INCLUDE_TEXT"] = True
    responded = [e for e in statements(client, cohort_work) if e["verb"]["id"].endswith(
        "responded")]
    assert responded[0]["result"]["response"] == REFLECTION


def test_only_the_cohorts_tutors_read_them(client, cohort_work):
    path = f"/api/v1/cohorts/{cohort_work['cohort']}/xapi"
    assert client.get(path).status_code == 401
    assert client.get(path, headers=cohort_work["headers"]["participant"]).status_code == 403
    assert client.get(path, headers=cohort_work["headers"]["other"]).status_code == 404


class FakeLRS(BaseHTTPRequestHandler):
    """Records what it is sent; answers with the statuses queued in ``answers``."""

    received: list = []
    answers: list = []

    def do_POST(self):  # noqa: N802 - the name http.server calls
        body = self.rfile.read(int(self.headers["Content-Length"]))
        status = self.answers.pop(0) if self.answers else 200
        headers = {key.lower(): value for key, value in self.headers.items()}
        type(self).received.append((self.path, headers, json.loads(body), status))
        self.send_response(status)
        self.end_headers()
        self.wfile.write(b"[]" if status == 200 else b"invalid credentials")

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_lrs(monkeypatch):
    FakeLRS.received, FakeLRS.answers = [], []
    server = HTTPServer(("127.0.0.1", 0), FakeLRS)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setattr(lrs.time, "sleep", lambda _seconds: None)
    yield f"http://127.0.0.1:{server.server_port}/xapi"
    server.shutdown()
    server.server_close()


def push(app, lrs_url: str, cohort_id: int, *extra: str):
    return app.test_cli_runner().invoke(args=[
        "lms", "push-xapi", "--lrs", lrs_url, "--cohort", str(cohort_id), *extra])


def test_push_sends_batches_with_the_version_and_credentials(app, cohort_work, fake_lrs,
                                                              monkeypatch):
    monkeypatch.setenv("LMS_XAPI_USERNAME", "lms")
    monkeypatch.setenv("LMS_XAPI_PASSWORD", "s3cret")
    result = push(app, fake_lrs, cohort_work["cohort"], "--batch", "10")
    assert result.exit_code == 0, result.output
    assert "41 new statement(s) stored, 0 already there, 0 voided, 0 refused" in result.output
    assert [len(batch) for _path, _h, batch, _s in FakeLRS.received] == [10, 10, 10, 10, 1]
    path, headers, _batch, _status = FakeLRS.received[0]
    assert path == "/xapi/statements"
    assert headers["x-experience-api-version"] == "1.0.3"
    assert headers["authorization"] == "Basic " + base64.b64encode(b"lms:s3cret").decode()


def test_push_retries_a_busy_lrs_and_explains_a_refusal(app, cohort_work, fake_lrs):
    FakeLRS.answers = [503, 200]
    assert push(app, fake_lrs, cohort_work["cohort"]).exit_code == 0
    assert [status for *_rest, status in FakeLRS.received] == [503, 200]
    db.session.execute(sa.delete(XapiDelivery))  # forget, so the next pushes send again
    db.session.commit()
    FakeLRS.answers = [401]
    refused = push(app, fake_lrs, cohort_work["cohort"])
    assert refused.exit_code == 1
    assert "The LRS refused the statements: 401" in refused.output
    assert "invalid credentials" in refused.output
    FakeLRS.answers = [502, 502, 502]
    busy = push(app, fake_lrs, cohort_work["cohort"])
    assert busy.exit_code == 1 and "did not accept the statements after 3 tries" in busy.output


def test_push_refuses_an_address_that_is_not_http(app, cohort_work):
    result = push(app, "file:///etc/passwd", cohort_work["cohort"])
    assert result.exit_code == 1 and "must start with http:// or https://" in result.output


@pytest.fixture
def lrs_server():
    server = ConflictEnforcingLRS().start()
    yield server
    server.stop()


def test_two_pushes_in_a_row_send_nothing_twice(app, cohort_work, lrs_server):
    first = push(app, lrs_server.url, cohort_work["cohort"])
    assert first.exit_code == 0, first.output
    assert len(lrs_server.statements) == 41
    second = push(app, lrs_server.url, cohort_work["cohort"])
    assert second.exit_code == 0, second.output
    assert "0 new statement(s) stored, 41 already there, 0 voided, 0 refused" in second.output
    sent = lrs_server.ids_sent()
    assert len(sent) == len(set(sent)) == 41 and not lrs_server.conflicts()


def test_a_push_after_changes_sends_the_new_facts_and_voids_the_old(
        app, client, cohort_work, lrs_server):
    assert push(app, lrs_server.url, cohort_work["cohort"]).exit_code == 0
    before = {e["id"]: e for e in statements(client, cohort_work)}
    cohort = db.session.get(Cohort, cohort_work["cohort"])
    cohort.name = "Renamed cohort"  # a name is not a fact: no statement changes id for it
    person = db.session.get(User, cohort_work["person"])
    record_activity(person, "induction", "three-ideas", {"done": False})  # a completion undone
    record_activity(person, "induction", "your-starting-point", {"done": True})  # note as was
    db.session.commit()
    after = {e["id"]: e for e in statements(client, cohort_work)}
    gone = set(before) - set(after)
    # The undone completion and the progress steps that followed from it.
    assert {before[i]["verb"]["id"].rsplit("/", 1)[1] for i in gone} == {"completed",
                                                                          "progressed"}
    result = push(app, lrs_server.url, cohort_work["cohort"])
    assert result.exit_code == 0, result.output
    new = set(after) - set(before)
    assert f"{len(new)} new statement(s) stored" in result.output
    assert f"{len(gone)} voided" in result.output
    assert lrs_server.voided == gone and not lrs_server.conflicts()
    sent = lrs_server.ids_sent()
    assert len(sent) == len(set(sent))  # no statement sent twice (voidings are new ids)
    # The note's statement kept its id when "done" was ticked (the note did not change).
    assert sum(e["verb"]["id"].endswith("responded") for e in after.values()) == 1
    assert [i for i in after if after[i]["verb"]["id"].endswith("responded")][0] in before


def test_a_conflict_on_a_statement_sent_before_is_already_there(
        app, cohort_work, lrs_server):
    """An earlier push whose answer was lost: the LRS holds the statements under an older
    cohort name (ralph's LRS counts names as content), the service knows only that it sent
    them. The batch's 409 is taken statement by statement: each is already there."""
    assert push(app, lrs_server.url, cohort_work["cohort"]).exit_code == 0
    db.session.execute(sa.update(XapiDelivery).values(state="sent"))
    db.session.get(Cohort, cohort_work["cohort"]).name = "Renamed cohort"
    db.session.commit()
    result = push(app, lrs_server.url, cohort_work["cohort"])
    assert result.exit_code == 0, result.output
    assert "0 new statement(s) stored, 41 already there, 0 voided, 0 refused" in result.output
    assert [status for method, _ids, status in lrs_server.requests
            if method == "POST"] == [200, 409]
    assert set(db.session.scalars(sa.select(XapiDelivery.state))) == {"stored"}


def test_one_refused_statement_does_not_stop_the_push(app, cohort_work, lrs_server, client):
    """A statement the LRS holds with other content, which this service never sent: it is
    named, and every other statement is stored."""
    found = statements(client, cohort_work)
    taken = {**found[5], "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced",
                                  "display": {"en-US": "experienced"}}}
    lrs_server.statements[taken["id"]] = taken
    result = push(app, lrs_server.url, cohort_work["cohort"], "--batch", "10")
    assert result.exit_code == 1
    assert f"refused {taken['id']}: 409: the LRS holds a different statement" in result.output
    assert "The LRS refused 1 statement(s); the others were pushed" in result.output
    assert set(lrs_server.statements) == {e["id"] for e in found}
    assert lrs_server.statements[taken["id"]] is taken
    # Not remembered: the next push tries it again (and is refused again).
    again = push(app, lrs_server.url, cohort_work["cohort"])
    assert again.exit_code == 1 and "40 already there" in again.output


def test_ids_are_the_deployments_own(app, client, cohort_work):
    first = [e["id"] for e in statements(client, cohort_work)]
    app.config["LMS_BASE_URL"] = "https://staging.example.org"
    staging = [e["id"] for e in statements(client, cohort_work)]
    app.config["LMS_XAPI_NAMESPACE"] = "3f0b6c1e-2b1d-4c55-9d0e-6a1f3b2c4d5e"
    chosen = [e["id"] for e in statements(client, cohort_work)]
    assert len({*first, *staging, *chosen}) == 3 * len(first)
    assert [e["id"] for e in statements(client, cohort_work)] == chosen


def test_a_raters_feedback_is_a_statement_about_the_participant_naming_no_rater(
        client, cohort_work):
    from lms.feedback import service as feedback
    from lms.ratings.service import behaviours_for_sector

    cohort = db.session.get(Cohort, cohort_work["cohort"])
    cohort.pre_opens_on = dt.date.today() - dt.timedelta(days=1)
    cohort.pre_closes_on = dt.date.today() + dt.timedelta(days=5)
    person = db.session.get(User, cohort_work["person"])
    for email, group in (("lee.rater@example.net", "line_manager"),
                         ("pia.rater@example.net", "peer")):
        rater = feedback.nominate(cohort, person.id, person, "Lee Rater", email, group, "pre")
        feedback.save(rater, {b.code: 4 for b in behaviours_for_sector("providing")},
                      {"SI": "A private comment"})
        feedback.submit(rater)
    db.session.commit()
    found = [e for e in statements(client, cohort_work)
             if e["verb"]["id"] == "http://id.tincanapi.com/verb/reviewed"]
    assert len(found) == 2
    for entry in found:
        check_statement(entry)
        assert entry["object"]["account"]["name"] == str(person.id)
        assert entry["actor"]["account"]["name"] == "anonymous-360-rater"
        assert entry["timestamp"].endswith("T00:00:00.000Z")
        assert "result" not in entry
    body = json.dumps(found)
    for secret in ("Lee Rater", "rater@example.net", "line_manager", "peer", "private"):
        assert secret not in body


def test_a_push_beside_another_of_the_same_cohort_stops_with_a_clear_message(
        cohort_work, lrs_server):
    from lms.core.progress import Progress
    from lms.interop import delivery, xapi

    cohort = db.session.get(Cohort, cohort_work["cohort"])
    client = lrs.LRSClient(lrs_server.url)
    push = delivery.Push(client, cohort, Progress())  # what the LRS had when it began
    first = list(xapi.cohort_statements(cohort))[0]
    # Meanwhile another push of the same cohort sent the first statement.
    db.session.add(XapiDelivery(lrs=client.url, statement_id=first["id"],
                                cohort_id=cohort.id, state="sent"))
    db.session.commit()
    with pytest.raises(lrs.LRSError, match="Another push of this cohort to this LRS"):
        push.run(500, xapi.Vocabulary.of_app())
    assert not lrs_server.requests  # nothing was sent before it stopped
