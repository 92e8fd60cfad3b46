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
