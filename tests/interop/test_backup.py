"""Backups: a restore gives back exactly what was exported, across SQLite and PostgreSQL;
restores are refused where they would mix or mismatch data."""

from __future__ import annotations

import json
import os

import flask_migrate
import pytest
import sqlalchemy as sa

from lms import create_app
from lms.accounts.models import User
from lms.cohorts.seed import read_programme_file, sync_programme
from lms.core.extensions import db
from lms.core.seeding import SeedError
from lms.demo import create_demo
from lms.interop import backup
from tests.fixtures import POSTGRES_URL, PROJECT_ROOT, app_settings, empty_tables, reset_postgres

#: In CI the SQLite run goes through PostgreSQL (lms_test is free during it), and the
#: PostgreSQL run through SQLite; without PostgreSQL it goes through a second SQLite file.
SECOND_POSTGRES = os.environ.get("LMS_TEST_DATABASE_URL_PG")


@pytest.fixture
def programme_with_everything(curriculum, snapshots):
    """The demo: people of every role, two cohorts, progress, notes, ratings, audit events."""
    snapshots.build_or_restore(curriculum, "interop-demo", "curriculum", build_demo)
    return curriculum


def build_demo() -> None:
    """Load the demo programme into the current app's database."""
    sync_programme(read_programme_file(PROJECT_ROOT / "seeds" / "programme.yaml"))
    create_demo("healthy-communities-demo")


@pytest.fixture
def other_database(tmp_path) -> str:
    """An empty, migrated database of the other kind (see SECOND_POSTGRES)."""
    if POSTGRES_URL or not SECOND_POSTGRES:
        url = f"sqlite:///{tmp_path / 'restore.sqlite'}"
    else:
        reset_postgres(SECOND_POSTGRES)
        url = SECOND_POSTGRES
    other = create_app(app_settings(url))
    with other.app_context():
        flask_migrate.upgrade()
        db.engine.dispose()
    return url


def test_a_backup_restores_identically_through_the_other_database(
        programme_with_everything, other_database):
    first = backup.export_document()
    assert sum(len(t["rows"]) for t in first["tables"].values()) > 1000
    other = create_app(app_settings(other_database))
    with other.app_context():
        written = backup.import_document(json.loads(json.dumps(first))).written
        db.session.commit()
        second = backup.export_document()
        # The restored database keeps working: new rows get fresh ids.
        db.session.add(User(email="after.restore@example.org", display_name="After",
                            role="tutor"))
        db.session.flush()
        db.session.rollback()
        db.session.remove()
        db.engine.dispose()
    assert written == sum(len(t["rows"]) for t in first["tables"].values())
    assert second == first
    db.session.remove()
    empty_tables()
    backup.import_document(second)
    db.session.commit()
    assert backup.export_document() == first


def test_a_restore_into_a_database_with_data_is_refused_unless_merging(
        programme_with_everything):
    document = backup.export_document()
    with pytest.raises(SeedError) as refused:
        backup.import_document(document)
    assert "the database is not empty" in refused.value.problems[0]
    assert backup.export_document() == document  # nothing was written


def test_merging_adds_the_missing_rows_and_keeps_the_rest(programme_with_everything):
    document = backup.export_document()
    user = User(email="only.in.backup@example.org", display_name="Only", role="tutor")
    db.session.add(user)
    db.session.commit()
    with_extra = backup.export_document()
    db.session.delete(user)
    db.session.commit()
    db.session.get(User, 1).display_name = "Renamed since"
    db.session.commit()
    assert backup.import_document(with_extra, merge=True).written == 1
    db.session.commit()
    assert db.session.scalar(sa.select(User).filter_by(email="only.in.backup@example.org"))
    assert db.session.get(User, 1).display_name == "Renamed since"
    assert document["tables"].keys() == with_extra["tables"].keys()


@pytest.mark.parametrize(("change", "reason"), [
    (lambda d: d.update(format="something else"), "not an lms backup"),
    (lambda d: d.update(version=99), "backup format version 99"),
    (lambda d: d.update(revision="0001"), "run `flask db upgrade`"),
    (lambda d: d["tables"].update(pets={"columns": [], "rows": []}), "tables.pets"),
    (lambda d: d["tables"]["theme"]["columns"].pop(), "tables.theme.columns"),
])
def test_a_document_that_does_not_fit_is_refused(programme_with_everything, change, reason):
    document = backup.export_document()
    db.session.remove()
    empty_tables()
    change(document)
    with pytest.raises(SeedError) as refused:
        backup.import_document(document)
    assert any(reason in problem for problem in refused.value.problems)
    assert backup.is_empty()


def test_the_commands_export_and_restore(programme_with_everything, tmp_path):
    runner = programme_with_everything.test_cli_runner()
    target = tmp_path / "backup.json"
    exported = runner.invoke(args=["lms", "export", "--out", str(target)])
    assert exported.exit_code == 0, exported.output
    refused = runner.invoke(args=["lms", "import", str(target)])
    assert refused.exit_code == 1 and "the database is not empty" in refused.output
    db.session.remove()
    empty_tables()
    restored = runner.invoke(args=["lms", "import", str(target)])
    assert restored.exit_code == 0 and "Restored" in restored.output
    assert json.loads(target.read_text()) == backup.export_document()
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    assert "is not a JSON backup" in runner.invoke(args=["lms", "import", str(broken)]).output
