"""Issue 19's review, rows 3 and 4: what erasure left behind, and what a restore brought back.

The audit log must never hold text a person typed; erasure scrubs what older events hold;
``import --merge`` of a backup taken before the erasure skips every row of the person.
"""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from lms.accounts.models import ErasedPerson, User
from lms.accounts.service import (
    address_key,
    create_token,
    issue_password_link,
    update_user,
)
from lms.audit.models import AuditEvent
from lms.audit.service import record
from lms.cohorts.seed import read_programme_file, sync_programme
from lms.core.extensions import db
from lms.demo import create_demo
from lms.interop import backup
from lms.interop.personal import erase_person, person_export
from tests import builders as b
from tests.fixtures import PROJECT_ROOT

EMAIL, NAME = "aisha.khan@example.org", "Aisha Khan"


@pytest.fixture
def demo(curriculum, snapshots):
    """The demo programme; Aisha has notes, ratings, audit events, a token and a link."""
    aisha_id = snapshots.build_or_restore(curriculum, "security-demo", "curriculum", build_demo)
    aisha = db.session.get(User, aisha_id)
    db.session.commit()  # end the read: a later fixture may write from another session
    return aisha


def build_demo() -> int:
    """Load the demo programme, give Aisha a token and a link; her id."""
    sync_programme(read_programme_file(PROJECT_ROOT / "seeds" / "programme.yaml"))
    create_demo(b.PASSWORD)
    aisha = db.session.scalar(sa.select(User).filter_by(email=EMAIL))
    create_token(aisha, "Aisha's laptop script", 30)
    issue_password_link(aisha)
    db.session.commit()
    return aisha.id


def audit_text() -> str:
    """Every audit event's actor, address and details, as lower-case text."""
    events = db.session.scalars(sa.select(AuditEvent)).all()
    return json.dumps([[e.actor, e.ip, e.details] for e in events]).lower()


def test_a_failed_sign_in_stores_a_keyed_hash_of_the_typed_address(client, demo):
    assert b.sign_in(client, "A02@Example.org ", "wrong").status_code == 200
    assert b.sign_in(client, "Aisha.Khan@Example.org ", "wrong").status_code == 200
    assert "a02@example.org" not in audit_text()
    failed = db.session.scalars(sa.select(AuditEvent)
                                .filter_by(action="auth.sign_in_failed")).all()
    assert [event.details["address"] for event in failed] == [
        address_key("a02@example.org"), address_key(EMAIL)]
    assert address_key(EMAIL) != address_key("a02@example.org")


def test_updates_record_which_fields_changed_not_their_values(demo):
    update_user(demo, display_name="Aisha Rahman-Khan", role="tutor")
    db.session.commit()
    event = db.session.scalars(sa.select(AuditEvent).filter_by(action="user.update")
                               .order_by(AuditEvent.id.desc())).first()
    assert event.details == {"fields": ["display_name", "role"], "role": "tutor"}
    assert "rahman" not in audit_text()


def test_token_names_and_typed_reasons_stay_out_of_the_audit_log(demo):
    assert "laptop script" not in audit_text()
    created = db.session.scalar(sa.select(AuditEvent).filter_by(action="token.create"))
    assert created.details == {"days": 30}


def test_erasure_scrubs_what_older_events_typed(demo):
    # Events as the service wrote them before issue 19.
    record("auth.sign_in_failed", None, actor_label="anonymous",
           email="  Aisha.Khan@EXAMPLE.org ", reason="bad credentials")
    record("user.update", demo, display_name=NAME)
    record("token.create", None, actor=demo, name="Aisha's phone", days=9)
    record("assessment.reopen", None, user_id=demo.id, phase="pre",
           reason="Aisha said SI.3 was a slip")
    db.session.commit()
    erase_person(demo)
    db.session.commit()
    text = audit_text()
    for trace in ("aisha", "khan", "phone", "si.3 was a slip", address_key(EMAIL)):
        assert trace not in text, trace


def test_erasure_lists_the_person_in_the_register_and_nothing_else(demo):
    person_id = demo.id
    erase_person(demo)
    db.session.commit()
    register = db.session.execute(sa.select(ErasedPerson.__table__)).all()
    assert [tuple(row) for row in register] == [(person_id, address_key(EMAIL))]


def rows_erasure_deleted(document: dict, user_id: int) -> dict[str, int]:
    """How many rows of the person's the backup holds in the tables erasure empties."""
    def of(table: str) -> list[dict]:
        content = document["tables"][table]
        return [dict(zip(content["columns"], row, strict=True)) for row in content["rows"]]

    records = {r["id"] for r in of("activity_record") if r["user_id"] == user_id}
    counts = {name: sum(r["user_id"] == user_id for r in of(name))
              for name in ("api_token", "password_link", "sponsorship", "user_session",
                           "message")}
    counts["activity_note_version"] = sum(r["record_id"] in records
                                          for r in of("activity_note_version"))
    return counts


def test_a_merge_of_an_older_backup_brings_nothing_of_an_erased_person_back(demo, app):
    before = backup.export_document()
    assert EMAIL in json.dumps(before).lower()
    erase_person(demo)
    db.session.commit()
    deleted = rows_erasure_deleted(before, demo.id)
    assert deleted["activity_note_version"] and deleted["api_token"] and deleted["password_link"]
    restored = backup.import_document(json.loads(json.dumps(before)), merge=True)
    db.session.commit()
    assert restored.written == 0
    assert restored.skipped_erased == sum(deleted.values())
    everything = b.every_text_in_the_database()
    assert EMAIL not in everything and NAME.lower() not in everything
    left = person_export(db.session.get(User, demo.id))
    assert not left["activity_note_version"] and not left["api_token"]
    assert not left["password_link"] and not left["sponsorship"]
    assert all(r["reflection"] is None for r in left["activity_record"])
    # Everyone else's rows are still restorable: a merge into the erased database again
    # writes nothing new and skips the same rows.
    again = backup.import_document(json.loads(json.dumps(before)), merge=True)
    assert again.written == 0 and again.skipped_erased == restored.skipped_erased


def test_a_merge_skips_the_person_under_another_id_by_their_address(demo):
    before = backup.export_document()
    erase_person(demo)
    db.session.commit()
    # The backup's account rows move to ids this database does not hold (another server's
    # backup): the address alone says whose they are.
    table = before["tables"]["user_account"]
    columns = table["columns"]
    aisha = next(row for row in table["rows"] if row[columns.index("email")] == EMAIL)
    clone = list(aisha)
    clone[columns.index("id")] = 9_999
    table["rows"].append(clone)
    backup.import_document(before, merge=True)
    db.session.commit()
    assert EMAIL not in b.every_text_in_the_database()


def test_the_restore_command_says_what_it_skipped(demo, app, tmp_path):
    before = tmp_path / "backup_before.json"
    before.write_text(backup.export_json(), encoding="utf-8")
    erase_person(demo)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["lms", "import", str(before), "--merge"])
    assert result.exit_code == 0, result.output
    assert "rows of erased people" in result.output
