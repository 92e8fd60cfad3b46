"""Migrations: they build the schema from nothing, and the models match them exactly."""

import flask_migrate
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from lms.core.extensions import db


def schema_differences() -> list:
    """What autogenerate would write for the models against the migrated database."""
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def table_names() -> set[str]:
    return set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}


def test_models_match_the_migrations(app):
    with app.app_context():
        assert schema_differences() == []


def test_downgrade_to_nothing_and_upgrade_again(app):
    with app.app_context():
        flask_migrate.downgrade(revision="base")
        db.engine.dispose()
        assert table_names() == set()
        flask_migrate.upgrade()
        db.engine.dispose()
        assert table_names() == set(db.metadata.tables)
        assert schema_differences() == []


def test_a_stored_framework_gets_its_change_time_from_migration_0019(app):
    """Adding a column to a table others refer to, with rows in it, on both databases."""
    with app.app_context():
        flask_migrate.downgrade(revision="0018")
        db.engine.dispose()
        with db.engine.begin() as connection:
            connection.execute(sa.text(
                "INSERT INTO framework (id, slug, title, version, source) "
                "VALUES (1, 'lehc', 'A framework', 'July 2012', 'Its source')"))
            connection.execute(sa.text(
                "INSERT INTO theme (id, framework_id, code, title, tagline, introduction, "
                "position) VALUES (1, 1, 'SI', 'A theme', 'Tagline', 'Intro', 1)"))
        flask_migrate.upgrade()
        db.engine.dispose()
        with db.engine.connect() as connection:
            stamp = connection.execute(sa.text("SELECT changed_at FROM framework")).scalar_one()
            themes = connection.execute(sa.text("SELECT count(*) FROM theme")).scalar_one()
        assert str(stamp)[:4] >= "2026" and themes == 1
        flask_migrate.downgrade(revision="0018")  # and back again, the rows kept
        db.engine.dispose()
        with db.engine.connect() as connection:
            assert connection.execute(sa.text("SELECT count(*) FROM theme")).scalar_one() == 1
        flask_migrate.upgrade()
        db.engine.dispose()
