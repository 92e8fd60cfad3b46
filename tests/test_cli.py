"""The administrators' commands: exact names, output scripts can parse, clear failures."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa

from lms.accounts.models import User
from lms.cohorts.models import Cohort, Enrolment
from lms.core.extensions import db
from lms.curriculum.models import ActivityRecord
from lms.messaging.models import Message
from lms.ratings.models import Assessment, Rating
from tests import builders as b

ROSTER = Path(__file__).parent / "cohorts" / "data" / "roster.csv"


@pytest.fixture
def cli(seeded):
    """A runner for `flask lms …`, with the framework and the programme loaded."""
    runner = seeded.test_cli_runner()
    result = runner.invoke(args=["lms", "seed"])
    assert result.exit_code == 0, result.output

    def run(*args, input=None):
        return runner.invoke(args=["lms", *args], input=input)

    return run


def invitations() -> list[str]:
    """The addresses invitations are queued for."""
    return list(db.session.scalars(sa.select(Message.to_address).filter_by(kind="invitation")
                                   .order_by(Message.id)))


def test_create_user_queues_an_invitation(cli):
    result = cli("create-user", "Rhia@Example.org", "--name", "Rhia Jones", "--role", "tutor")
    assert result.exit_code == 0, result.output
    assert "invitation" in result.output and "/set-password/" not in result.output
    user = db.session.scalar(sa.select(User).filter_by(email="rhia@example.org"))
    assert (user.role, user.password_hash) == ("tutor", None)
    assert invitations() == ["rhia@example.org"]


def test_create_user_prints_a_one_time_link_for_offline_use(cli):
    result = cli("create-user", "Rhia@Example.org", "--name", "Rhia Jones", "--role", "tutor",
                 "--print-links")
    assert result.exit_code == 0, result.output
    link = result.output.strip().splitlines()[-1]
    assert link.startswith("http://127.0.0.1:5000/set-password/")
    assert invitations() == []


def test_create_user_with_a_password_from_stdin(cli, client):
    result = cli("create-user", "ada@example.org", "--name", "Ada", "--role", "admin",
                 "--password-stdin", input="kettle-harbour-violet-88\n")
    assert result.exit_code == 0, result.output
    assert b.sign_in(client, "ada@example.org", "kettle-harbour-violet-88").status_code == 302


@pytest.mark.parametrize(("args", "stdin", "message"), [
    (["not-an-email", "--name", "X", "--role", "tutor"], None, "not a valid e-mail address"),
    (["x@example.org", "--name", "  ", "--role", "tutor"], None, "display name is required"),
    (["x@example.org", "--name", "X", "--role", "tutor", "--password-stdin"], "password1234\n",
     "less common"),
    (["x@example.org", "--name", "X", "--role", "tutor", "--password-stdin"], "", "No password"),
])
def test_create_user_refuses_bad_input_and_writes_nothing(cli, args, stdin, message):
    result = cli("create-user", *args, input=stdin)
    assert result.exit_code == 1
    assert message in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_create_user_refuses_an_unknown_role_and_a_taken_address(cli):
    assert cli("create-user", "x@example.org", "--name", "X", "--role", "boss").exit_code == 2
    assert cli("create-user", "x@example.org", "--name", "X", "--role", "tutor").exit_code == 0
    taken = cli("create-user", "X@example.org", "--name", "X", "--role", "tutor")
    assert taken.exit_code == 1
    assert "already exists" in taken.output


def test_set_password(cli, client):
    cli("create-user", "x@example.org", "--name", "X", "--role", "tutor")
    weak = cli("set-password", "x@example.org", input="aaaaaaaaaaaaaaa\n")
    assert weak.exit_code == 1
    good = cli("set-password", "X@example.org", input="kettle-harbour-violet-88\n")
    assert good.exit_code == 0, good.output
    assert b.sign_in(client, "x@example.org", "kettle-harbour-violet-88").status_code == 302
    assert cli("set-password", "nobody@example.org", input="x\n").exit_code == 1


def test_create_token_prints_the_token_alone_on_the_last_line(cli, client):
    cli("create-user", "x@example.org", "--name", "X", "--role", "tutor")
    result = cli("create-token", "x@example.org", "--days", "7")
    assert result.exit_code == 0, result.output
    token = result.output.splitlines()[-1]
    assert token.startswith("lms_") and " " not in token
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.get_json()["email"] == "x@example.org"
    assert cli("create-token", "x@example.org", "--days", "400").exit_code == 1
    assert cli("create-token", "nobody@example.org").exit_code == 1


def test_create_cohort_prints_its_id_alone_on_the_last_line(cli):
    result = cli("create-cohort", "--name", "Spring 2027", "--starts", "2027-03-01",
                 "--ends", "2027-09-30")
    assert result.exit_code == 0, result.output
    cohort = db.session.get(Cohort, int(result.output.splitlines()[-1]))
    assert cohort.name == "Spring 2027"
    assert cohort.programme.slug == "lehc"


@pytest.mark.parametrize(("starts", "ends", "message", "code"), [
    ("2027-09-30", "2027-03-01", "cannot end before it starts", 1),
    ("2027-02-30", "2027-03-01", "Invalid value for '--starts'", 2),
    ("tomorrow", "2027-03-01", "Invalid value for '--starts'", 2),
])
def test_create_cohort_refuses_bad_dates(cli, starts, ends, message, code):
    result = cli("create-cohort", "--name", "X", "--starts", starts, "--ends", ends)
    assert result.exit_code == code
    assert message in result.output


def test_create_cohort_refuses_a_duplicate_name(cli):
    args = ["create-cohort", "--name", "Spring", "--starts", "2027-03-01", "--ends", "2027-09-30"]
    assert cli(*args).exit_code == 0
    again = cli(*args)
    assert again.exit_code == 1
    assert "already has a cohort called 'Spring'" in again.output


def test_import_roster_from_the_command_line(cli, tmp_path):
    cohort_id = cli("create-cohort", "--name", "C", "--starts", "2027-03-01", "--ends",
                    "2027-09-30").output.splitlines()[-1]
    result = cli("import-roster", str(ROSTER), "--cohort", cohort_id)
    assert result.exit_code == 0, result.output
    assert "5 new people, 4 enrolled" in result.output
    assert "5 invitations queued" in result.output and "/set-password/" not in result.output
    again = cli("import-roster", str(ROSTER), "--cohort", cohort_id)
    assert "0 new people, 0 enrolled, 0 updated, 0 sponsors added, 5 unchanged" in again.output
    assert len(invitations()) == 5
    offline = cli("create-cohort", "--name", "D", "--starts", "2027-03-01", "--ends",
                  "2027-09-30").output.splitlines()[-1]
    other = tmp_path / "other.csv"
    other.write_text(ROSTER.read_text().splitlines()[0] + "\nnew@example.org,New,,,,,tutor\n")
    printed = cli("import-roster", str(other), "--cohort", offline, "--print-links")
    assert printed.exit_code == 0, printed.output
    assert printed.output.count("/set-password/") == 1 and len(invitations()) == 5
    bad = tmp_path / "bad.csv"
    bad.write_text(ROSTER.read_text() + "z@example.org,Z,,,,,observer\n")
    refused = cli("import-roster", str(bad), "--cohort", cohort_id)
    assert refused.exit_code == 1
    assert "row 7: role 'observer' is not one of participant, tutor, sponsor" in refused.output
    assert cli("import-roster", str(ROSTER), "--cohort", "999").exit_code == 1
    enrolled = db.session.scalar(sa.select(sa.func.count()).select_from(Enrolment))
    assert enrolled == 5  # four, and the tutor imported with --print-links


@pytest.mark.slow  # builds the whole demo (about 2 s)
def test_demo_creates_a_user_of_every_role_in_a_demo_cohort(cli, client, curriculum):
    result = cli("demo")
    assert result.exit_code == 0, result.output
    roles = {line.split()[0] for line in result.output.splitlines()[1:]}
    assert roles == {"admin", "tutor", "sponsor", "participant"}
    assert "password: healthy-communities-demo" in result.output
    # The demo in both languages: two participants read it in Welsh.
    assert result.output.count("(reads it in Cymraeg)") == 2
    assert b.sign_in(client, "carys.evans@example.org", "healthy-communities-demo"
                     ).status_code == 302
    assert '<html lang="cy"' in client.get("/").text
    client.post("/sign-out", data={"csrf_token": b.csrf_from(client.get("/account").text)})
    assert b.sign_in(client, "tutor@example.org", "healthy-communities-demo").status_code == 302
    cohorts = client.get("/api/v1/cohorts").get_json()
    assert sorted((c["name"], c["participants"], c["tutors"]) for c in cohorts) == [
        ("Demo cohort", 10, 1), ("Running cohort", 6, 1), ("Starting cohort", 3, 1)]
    again = cli("demo")
    assert again.exit_code == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Cohort)) == 3
    # Submitted self-ratings in all three phases, with a spread of change.
    phases = db.session.execute(
        sa.select(Assessment.phase, sa.func.count(), sa.func.avg(Rating.value))
        .join(Rating).where(Assessment.status == "submitted").group_by(Assessment.phase)).all()
    means = {phase: float(mean) for phase, _count, mean in phases}
    assert set(means) == {"pre", "then", "post"}
    assert means["then"] < means["pre"] < means["post"]
    by_name = {c["name"]: c["id"] for c in cohorts}
    running = client.get(f"/api/v1/cohorts/{by_name['Running cohort']}/progress")
    assert running.status_code == 200  # the demo tutor follows the demo cohorts
    assert any(p["at_risk"] for p in running.get_json()["participants"])
    # The participant of the cohort that has just started can do the pre self-assessment.
    assert b.sign_in(client, "noor.hussain@example.org", "healthy-communities-demo"
                     ).status_code == 302
    pre = client.get("/api/v1/me/assessments").get_json()["phases"][0]
    assert (pre["phase"], pre["open"], pre["status"]) == ("pre", True, "not_started")


@pytest.mark.slow  # builds the whole demo (about 2 s)
def test_the_demo_agrees_with_its_own_dates(cli, curriculum):
    assert cli("demo").exit_code == 0
    today = dt.date.today()
    cohorts = {c.name: c for c in db.session.scalars(sa.select(Cohort))}
    finished, running, starting = (cohorts[name] for name in
                                   ("Demo cohort", "Running cohort", "Starting cohort"))
    assert finished.status == "finished" and finished.ends_on < today
    assert running.starts_on < today < running.ends_on and running.pre_closes_on < today
    assert today < running.post_opens_on
    assert starting.pre_opens_on <= today <= starting.pre_closes_on
    submitted = db.session.execute(
        sa.select(Cohort.name, Assessment.phase, Assessment.submitted_at)
        .join(Cohort, Cohort.id == Assessment.cohort_id)
        .where(Assessment.status == "submitted")).all()
    assert {(name, phase) for name, phase, _at in submitted} == {
        ("Demo cohort", "pre"), ("Demo cohort", "then"), ("Demo cohort", "post"),
        ("Running cohort", "pre")}
    for name, phase, at in submitted:
        opens, closes = (cohorts[name].pre_opens_on, cohorts[name].pre_closes_on) if \
            phase == "pre" else (cohorts[name].post_opens_on, cohorts[name].post_closes_on)
        assert opens <= at.date() <= closes, (name, phase, at)
    # Nobody's work is recorded before their cohort started or after it ended.
    work = db.session.execute(
        sa.select(Cohort.starts_on, Cohort.ends_on, ActivityRecord.completed_at)
        .join(Cohort, Cohort.id == ActivityRecord.cohort_id)).all()
    assert work and all(starts <= done.date() <= min(ends, today)
                        for starts, ends, done in work)


def test_demo_refuses_to_run_in_production(seeded):
    seeded.config["LMS_ENV"] = "production"
    result = seeded.test_cli_runner().invoke(args=["lms", "demo"])
    assert result.exit_code == 1
    assert "production" in result.output
